//! Reference data files (catalog, stock, loyalty accounts) turned into the records the
//! store's cluster carries — what `purser publish` sends. Validated whole before
//! anything is sent.

use std::path::Path;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use purser_core::catalog::Product;
use purser_core::inbound::{
    CatalogRecord, ChargeAccount, InventoryRecord, LoyaltyAccountRecord, MemberStatus,
};
use purser_core::Money;

use crate::config::Settings;
use crate::error::{AppError, AppResult};

/// A record for the cluster: key and value (None = tombstone).
pub type KeyedRecord = (String, Option<Vec<u8>>);

fn json(v: &impl serde::Serialize) -> AppResult<Option<Vec<u8>>> {
    Ok(Some(serde_json::to_vec(v)?))
}

pub fn catalog_record(p: &Product, currency: &str, now: DateTime<Utc>) -> CatalogRecord {
    CatalogRecord {
        schema_version: 1,
        sku: p.sku.clone(),
        name: p.name.clone(),
        barcodes: p
            .barcodes
            .iter()
            .map(|g| {
                purser_core::barcode::Gtin::parse(g)
                    .map(|x| x.display().to_string())
                    .unwrap_or_else(|_| g.clone())
            })
            .collect(),
        price: p.price,
        currency: currency.to_string(),
        tax_class: p.tax_class.clone(),
        sold_by: p.sold_by,
        category: p.category.clone(),
        active: p.active,
        modifier_groups: p.modifier_groups.clone(),
        updated_at: now,
    }
}

pub fn catalog_records(
    products: &[Product],
    settings: &Settings,
    now: DateTime<Utc>,
) -> AppResult<Vec<KeyedRecord>> {
    products
        .iter()
        .map(|p| {
            Ok((
                p.sku.clone(),
                json(&catalog_record(p, &settings.currency.code, now))?,
            ))
        })
        .collect()
}

/// Happy-hour rules as catalog-topic records, keyed `price-rule:<id>`.
pub fn price_rule_records(
    rules: &[purser_core::pricing::PriceRule],
    settings: &Settings,
    now: DateTime<Utc>,
) -> AppResult<Vec<KeyedRecord>> {
    rules
        .iter()
        .map(|r| {
            let rec = purser_core::inbound::PriceRuleRecord {
                schema_version: 1,
                id: r.id.clone(),
                name: r.name.clone(),
                days: r.days.clone(),
                start: r.start,
                end: r.end,
                skus: r.skus.clone(),
                categories: r.categories.clone(),
                adjustment: r.adjustment,
                currency: settings.currency.code.clone(),
                updated_at: now,
            };
            Ok((
                format!("{}{}", purser_core::inbound::PRICE_RULE_KEY_PREFIX, r.id),
                json(&rec)?,
            ))
        })
        .collect()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StockRow {
    sku: String,
    on_hand: i64,
    #[serde(default)]
    low_stock_at: i64,
}

/// CSV `sku,on_hand,low_stock_at` or a JSON array of the same.
pub fn inventory_records(
    path: &Path,
    store_id: &str,
    now: DateTime<Utc>,
) -> AppResult<Vec<KeyedRecord>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| AppError::invalid(format!("cannot read {}: {e}", path.display())))?;
    let rows: Vec<StockRow> = if text.trim_start().starts_with('[') {
        serde_json::from_str(&text)
            .map_err(|e| AppError::invalid(format!("{}: {e}", path.display())))?
    } else {
        csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes())
            .deserialize()
            .enumerate()
            .map(|(i, r)| {
                r.map_err(|e| AppError::invalid(format!("{} line {}: {e}", path.display(), i + 2)))
            })
            .collect::<AppResult<_>>()?
    };
    rows.into_iter()
        .map(|r| {
            purser_core::catalog::validate_sku(&r.sku)
                .map_err(|e| AppError::invalid(e.to_string()))?;
            if r.low_stock_at < 0 {
                return Err(AppError::invalid(format!(
                    "{}: low_stock_at cannot be negative",
                    r.sku
                )));
            }
            let rec = InventoryRecord {
                schema_version: 1,
                store_id: store_id.into(),
                sku: r.sku.clone(),
                on_hand: r.on_hand,
                low_stock_at: r.low_stock_at,
                updated_at: now,
            };
            Ok((format!("{store_id}:{}", r.sku), json(&rec)?))
        })
        .collect()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountInput {
    pub member_id: String,
    pub name: String,
    #[serde(default)]
    pub card_ids: Vec<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    #[serde(default = "default_tier")]
    pub tier: String,
    #[serde(default)]
    pub points_balance: i64,
    #[serde(default)]
    pub closed: bool,
    pub charge_account: Option<ChargeAccount>,
    /// Per till, the last `till_seq` this balance includes (see the record's schema).
    #[serde(default)]
    pub applied_till_seq: std::collections::BTreeMap<String, u64>,
}

fn default_tier() -> String {
    "member".into()
}

pub fn account_record(a: AccountInput, now: DateTime<Utc>) -> LoyaltyAccountRecord {
    LoyaltyAccountRecord {
        schema_version: 1,
        member_id: a.member_id,
        name: a.name,
        card_ids: a.card_ids,
        phone: a.phone,
        email: a.email,
        tier: a.tier,
        points_balance: a.points_balance,
        status: if a.closed {
            MemberStatus::Closed
        } else {
            MemberStatus::Active
        },
        charge_account: a.charge_account,
        updated_at: now,
        applied_till_seq: a.applied_till_seq,
    }
}

/// A JSON array of members (see `AccountInput`).
pub fn account_records(path: &Path, now: DateTime<Utc>) -> AppResult<Vec<KeyedRecord>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| AppError::invalid(format!("cannot read {}: {e}", path.display())))?;
    let rows: Vec<AccountInput> = serde_json::from_str(&text)
        .map_err(|e| AppError::invalid(format!("{}: {e}", path.display())))?;
    rows.into_iter()
        .map(|a| {
            if a.member_id.trim().is_empty() || a.name.trim().is_empty() || a.points_balance < 0 {
                return Err(AppError::invalid(format!(
                    "member '{}' needs an id, a name and a balance of at least 0",
                    a.member_id
                )));
            }
            let rec = account_record(a, now);
            Ok((rec.member_id.clone(), json(&rec)?))
        })
        .collect()
}

/// Validates a record the way the till will read it, so nothing is published that every
/// till would quarantine.
pub fn check(
    kind: purser_core::inbound::InboundKind,
    records: &[KeyedRecord],
    store_id: &str,
    currency: &str,
) -> AppResult<()> {
    for (key, value) in records {
        purser_core::inbound::decode(
            kind,
            Some(key.as_bytes()),
            value.as_deref(),
            store_id,
            currency,
        )
        .map_err(|e| AppError::invalid(format!("{key}: {e}")))?;
    }
    Ok(())
}

/// The demo store's members: some with a cabin folio, one closed.
pub fn demo_members(now: DateTime<Utc>) -> Vec<LoyaltyAccountRecord> {
    let names = [
        "Ada Lovelace",
        "Grace Hopper",
        "Alan Turing",
        "Katherine Johnson",
        "Edsger Dijkstra",
        "Barbara Liskov",
        "Donald Knuth",
        "Margaret Hamilton",
        "Ken Thompson",
        "Frances Allen",
        "John McCarthy",
        "Radia Perlman",
    ];
    names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let n = i + 1;
            account_record(
                AccountInput {
                    member_id: format!("M-{n:06}"),
                    name: (*name).to_string(),
                    card_ids: vec![format!("LC-{n:06}")],
                    phone: Some(format!("+44 20 7946 0{n:03}")),
                    email: Some(format!(
                        "{}@example.org",
                        name.split(' ').next().unwrap_or("guest").to_lowercase()
                    )),
                    tier: ["member", "silver", "gold"][i % 3].to_string(),
                    points_balance: i64::try_from(n * 850).unwrap_or(0),
                    closed: n == 12,
                    charge_account: (n % 2 == 1).then(|| ChargeAccount {
                        account_kind: purser_core::tender::AccountKind::Cabin,
                        account_id: format!("CABIN-{}", 7000 + n),
                        offline_limit: Money(200_000),
                    }),
                    applied_till_seq: Default::default(),
                },
                now,
            )
        })
        .collect()
}

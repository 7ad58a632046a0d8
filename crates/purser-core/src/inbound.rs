//! Records the till reads from the store's cluster: catalog, inventory and loyalty
//! accounts (compacted topics), and the decoder that turns a Kafka record into one of
//! them — or into a quarantine reason. Decoding never panics and never stops a till.
//!
//! `pos.catalog.v1` carries two kinds of record, told apart by the key:
//! * key = a SKU: a [`CatalogRecord`] (with its modifier groups); a tombstone delists it;
//! * key = `price-rule:<rule id>` ([`PRICE_RULE_KEY_PREFIX`]): a happy-hour
//!   [`PriceRuleRecord`]; a tombstone deletes the rule. A SKU never holds a ':', so the two
//!   cannot be confused, and compaction keeps the latest of each rule like of each product.
//!
//! A catalog or price-rule record that fails validation (a product's modifier groups, a
//! rule's window targets or adjustment) is quarantined as [`QuarantineReason::Invalid`]
//! with the validation message, which names what to fix.

use chrono::{DateTime, NaiveTime, Utc, Weekday};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::barcode::Gtin;
use crate::catalog::{validate_sku, ModifierGroup, Product, SoldBy};
use crate::money::{Money, MAX_INPUT_MINOR};
use crate::pricing::{Adjustment, PriceRule};
use crate::tender::AccountKind;

/// Key prefix of price-rule records on `pos.catalog.v1`: `price-rule:<rule id>`.
pub const PRICE_RULE_KEY_PREFIX: &str = "price-rule:";

/// Largest record value accepted (bytes); anything bigger is quarantined.
pub const MAX_RECORD_BYTES: usize = 256 * 1024;

/// `pos.catalog.v1`, key = SKU. A tombstone (no value) delists the product.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CatalogRecord {
    pub schema_version: u32,
    pub sku: String,
    pub name: String,
    /// EAN-8, UPC-A, EAN-13 or GTIN-14, check digits valid.
    pub barcodes: Vec<String>,
    /// Minor units of `currency`; per kilogram for weighed products.
    pub price: Money,
    pub currency: String,
    pub tax_class: String,
    pub sold_by: SoldBy,
    pub category: Option<String>,
    /// false = delisted but kept (a tombstone removes it).
    pub active: bool,
    pub updated_at: DateTime<Utc>,
    /// Choices made when the product is rung up ("Size: single / double +4.00"); ids
    /// unique, names not empty, 0 <= min <= max, 1 <= max <= number of options.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub modifier_groups: Vec<ModifierGroup>,
}

/// `pos.catalog.v1`, key = `price-rule:<id>`. A happy-hour price rule (see
/// `purser_core::pricing`); a tombstone deletes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PriceRuleRecord {
    pub schema_version: u32,
    /// 1-64 letters, digits, '-', '_' or '.'; the key's part after `price-rule:`.
    pub id: String,
    /// Printed on receipts beside the lines it priced.
    pub name: String,
    /// The days the window starts on; empty (or absent) = every day.
    #[serde(default)]
    pub days: Vec<Weekday>,
    /// Store-local start of the window, inclusive (`17:00:00`).
    pub start: NaiveTime,
    /// Store-local end, exclusive; at or before `start` the window runs past midnight and
    /// belongs to the day it started.
    pub end: NaiveTime,
    /// SKUs it applies to.
    #[serde(default)]
    pub skus: Vec<String>,
    /// Categories it applies to; a product listed by SKU or category gets the price.
    #[serde(default)]
    pub categories: Vec<String>,
    pub adjustment: Adjustment,
    /// The currency of amounts in `adjustment`: the store's.
    pub currency: String,
    pub updated_at: DateTime<Utc>,
}

impl PriceRuleRecord {
    /// The rule it publishes (not yet validated: see [`PriceRule::validate`]).
    pub fn rule(&self) -> PriceRule {
        PriceRule {
            id: self.id.clone(),
            name: self.name.trim().to_string(),
            days: self.days.clone(),
            start: self.start,
            end: self.end,
            skus: self.skus.clone(),
            categories: self.categories.clone(),
            adjustment: self.adjustment,
        }
    }
}

/// `pos.inventory.v1`, key = `store_id:sku`. Stock level of one SKU in one store.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InventoryRecord {
    pub schema_version: u32,
    pub store_id: String,
    pub sku: String,
    /// Units, or grams for weighed products. May be negative (oversold).
    pub on_hand: i64,
    /// At or below this, the till shows "low stock".
    pub low_stock_at: i64,
    pub updated_at: DateTime<Utc>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MemberStatus {
    Active,
    Closed,
}

/// A guest account that purchases can be charged to (a cruise cabin's folio, a hotel room).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChargeAccount {
    pub account_kind: AccountKind,
    pub account_id: String,
    /// Most that tills may charge to it while offline, in minor units.
    pub offline_limit: Money,
}

/// `pos.loyalty-accounts.v1`, key = member id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LoyaltyAccountRecord {
    pub schema_version: u32,
    pub member_id: String,
    pub name: String,
    /// Card numbers or QR codes that identify the member (not payment cards).
    pub card_ids: Vec<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub tier: String,
    pub points_balance: i64,
    pub status: MemberStatus,
    pub charge_account: Option<ChargeAccount>,
    pub updated_at: DateTime<Utc>,
    /// Per till, the highest `till_seq` of that till's loyalty and charge events this
    /// balance already includes; a till counts its own later events as unsynced. Keyed
    /// `<store_id>/<till_id>` ([`till_key`]; till ids repeat across a fleet), or by the bare
    /// till id where the publisher knows one store only (read when no qualified key is
    /// there).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub applied_till_seq: std::collections::BTreeMap<String, u64>,
}

/// Which inbound topic a record came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InboundKind {
    Catalog,
    Inventory,
    LoyaltyAccounts,
}

impl InboundKind {
    pub const ALL: [InboundKind; 3] = [
        InboundKind::Catalog,
        InboundKind::Inventory,
        InboundKind::LoyaltyAccounts,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            InboundKind::Catalog => "catalog",
            InboundKind::Inventory => "inventory",
            InboundKind::LoyaltyAccounts => "loyalty_accounts",
        }
    }
}

/// What a record means for the till's local view.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Inbound {
    Product(Product),
    /// Tombstone on the catalog: remove the product.
    Delist {
        sku: String,
    },
    /// A happy-hour rule (catalog key `price-rule:<id>`), validated.
    PriceRule(PriceRule),
    /// Tombstone of a price rule: delete it.
    PriceRuleRemoved {
        id: String,
    },
    Stock(InventoryRecord),
    /// Tombstone on inventory: forget the stock level.
    StockRemoved {
        sku: String,
    },
    /// Another store's inventory: skipped, offset still advances.
    OtherStore,
    Member(LoyaltyAccountRecord),
    /// Tombstone on accounts: the member is gone.
    MemberRemoved {
        member_id: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuarantineReason {
    #[error("record has no key")]
    MissingKey,
    #[error("key is not UTF-8")]
    BadKey,
    #[error("record is {0} bytes, above the {MAX_RECORD_BYTES}-byte limit")]
    Oversized(usize),
    #[error("value is not JSON: {0}")]
    Malformed(String),
    #[error("unknown schema version {0} (this till reads version 1)")]
    UnknownVersion(i64),
    #[error("value does not match the schema: {0}")]
    SchemaViolation(String),
    #[error("key '{key}' does not match the record ('{expected}')")]
    KeyMismatch { key: String, expected: String },
    #[error("invalid record: {0}")]
    Invalid(String),
}

fn parse<T: for<'de> Deserialize<'de>>(value: &[u8]) -> Result<T, QuarantineReason> {
    if value.len() > MAX_RECORD_BYTES {
        return Err(QuarantineReason::Oversized(value.len()));
    }
    let json: serde_json::Value =
        serde_json::from_slice(value).map_err(|e| QuarantineReason::Malformed(e.to_string()))?;
    match json
        .get("schema_version")
        .and_then(serde_json::Value::as_i64)
    {
        Some(1) => {}
        Some(v) => return Err(QuarantineReason::UnknownVersion(v)),
        None => {
            return Err(QuarantineReason::SchemaViolation(
                "missing schema_version".into(),
            ))
        }
    }
    serde_json::from_value(json).map_err(|e| QuarantineReason::SchemaViolation(e.to_string()))
}

/// Decodes one record of `kind`. `store_id` is this till's store (inventory filter);
/// `currency` is the store's (a catalog price in another currency is refused).
pub fn decode(
    kind: InboundKind,
    key: Option<&[u8]>,
    value: Option<&[u8]>,
    store_id: &str,
    currency: &str,
) -> Result<Inbound, QuarantineReason> {
    let key = std::str::from_utf8(key.ok_or(QuarantineReason::MissingKey)?)
        .map_err(|_| QuarantineReason::BadKey)?;
    if key.is_empty() {
        return Err(QuarantineReason::MissingKey);
    }
    match kind {
        InboundKind::Catalog if key.starts_with(PRICE_RULE_KEY_PREFIX) => {
            let id = &key[PRICE_RULE_KEY_PREFIX.len()..];
            if id.is_empty() {
                return Err(QuarantineReason::Invalid(format!(
                    "price rule key '{key}' has no rule id after '{PRICE_RULE_KEY_PREFIX}'"
                )));
            }
            let Some(v) = value else {
                return Ok(Inbound::PriceRuleRemoved { id: id.to_string() });
            };
            let r: PriceRuleRecord = parse(v)?;
            if r.id != id {
                return Err(QuarantineReason::KeyMismatch {
                    key: key.into(),
                    expected: format!("{PRICE_RULE_KEY_PREFIX}{}", r.id),
                });
            }
            if r.currency != currency {
                return Err(QuarantineReason::Invalid(format!(
                    "price rule in {}, but this store sells in {currency}",
                    r.currency
                )));
            }
            let rule = r.rule();
            rule.validate()
                .map_err(|e| QuarantineReason::Invalid(e.to_string()))?;
            Ok(Inbound::PriceRule(rule))
        }
        InboundKind::Catalog => {
            let Some(v) = value else {
                return Ok(Inbound::Delist {
                    sku: key.to_string(),
                });
            };
            let r: CatalogRecord = parse(v)?;
            if r.sku != key {
                return Err(QuarantineReason::KeyMismatch {
                    key: key.into(),
                    expected: r.sku,
                });
            }
            if r.currency != currency {
                return Err(QuarantineReason::Invalid(format!(
                    "price in {}, but this store sells in {currency}",
                    r.currency
                )));
            }
            let codes: Vec<&str> = r.barcodes.iter().map(String::as_str).collect();
            let p = Product::new(
                &r.sku,
                &r.name,
                &codes,
                r.price,
                &r.tax_class,
                r.sold_by,
                r.category.as_deref(),
                r.active,
            )
            .and_then(|p| p.with_modifier_groups(r.modifier_groups))
            .map_err(|e| QuarantineReason::Invalid(e.to_string()))?;
            Ok(Inbound::Product(p))
        }
        InboundKind::Inventory => {
            let (store, sku) = key.split_once(':').ok_or_else(|| {
                QuarantineReason::Invalid(format!("inventory key '{key}' is not store_id:sku"))
            })?;
            if store != store_id {
                return Ok(Inbound::OtherStore);
            }
            let Some(v) = value else {
                return Ok(Inbound::StockRemoved {
                    sku: sku.to_string(),
                });
            };
            let r: InventoryRecord = parse(v)?;
            if r.store_id != store || r.sku != sku {
                return Err(QuarantineReason::KeyMismatch {
                    key: key.into(),
                    expected: format!("{}:{}", r.store_id, r.sku),
                });
            }
            validate_sku(&r.sku).map_err(|e| QuarantineReason::Invalid(e.to_string()))?;
            if r.on_hand.abs() > MAX_INPUT_MINOR || r.low_stock_at < 0 {
                return Err(QuarantineReason::Invalid("stock level out of range".into()));
            }
            Ok(Inbound::Stock(r))
        }
        InboundKind::LoyaltyAccounts => {
            let Some(v) = value else {
                return Ok(Inbound::MemberRemoved {
                    member_id: key.to_string(),
                });
            };
            let r: LoyaltyAccountRecord = parse(v)?;
            if r.member_id != key {
                return Err(QuarantineReason::KeyMismatch {
                    key: key.into(),
                    expected: r.member_id,
                });
            }
            if r.name.trim().is_empty() || r.member_id.len() > 64 {
                return Err(QuarantineReason::Invalid(
                    "member needs an id of at most 64 characters and a name".into(),
                ));
            }
            if r.points_balance < 0 {
                return Err(QuarantineReason::Invalid(
                    "points balance cannot be negative".into(),
                ));
            }
            if let Some(c) = &r.charge_account {
                crate::tender::validate_account_id(&c.account_id)
                    .map_err(|e| QuarantineReason::Invalid(e.to_string()))?;
            }
            for card in &r.card_ids {
                if crate::tender::looks_like_card_number(card) && Gtin::parse(card).is_err() {
                    return Err(QuarantineReason::Invalid(
                        "a card id looks like a payment card number".into(),
                    ));
                }
            }
            Ok(Inbound::Member(r))
        }
    }
}

/// A till's key in [`LoyaltyAccountRecord::applied_till_seq`].
pub fn till_key(store_id: &str, till_id: &str) -> String {
    format!("{store_id}/{till_id}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn catalog_json(sku: &str) -> String {
        format!(
            r#"{{"schema_version":1,"sku":"{sku}","name":"Espresso","barcodes":["4006381333931"],"price":220,"currency":"EUR","tax_class":"standard","sold_by":"unit","category":"Coffee","active":true,"updated_at":"2026-11-25T08:00:00Z"}}"#
        )
    }

    #[test]
    fn decodes_and_refuses() {
        let ok = decode(
            InboundKind::Catalog,
            Some(b"ESP"),
            Some(catalog_json("ESP").as_bytes()),
            "S1",
            "EUR",
        )
        .unwrap();
        assert!(
            matches!(ok, Inbound::Product(ref p) if p.barcodes == vec!["04006381333931".to_string()])
        );
        assert_eq!(
            decode(InboundKind::Catalog, Some(b"ESP"), None, "S1", "EUR").unwrap(),
            Inbound::Delist { sku: "ESP".into() }
        );
        assert_eq!(
            decode(InboundKind::Catalog, None, Some(b"{}"), "S1", "EUR"),
            Err(QuarantineReason::MissingKey)
        );
        assert!(matches!(
            decode(
                InboundKind::Catalog,
                Some(b"ESP"),
                Some(b"{not json"),
                "S1",
                "EUR"
            ),
            Err(QuarantineReason::Malformed(_))
        ));
        let v2 = catalog_json("ESP").replace("\"schema_version\":1", "\"schema_version\":2");
        assert_eq!(
            decode(
                InboundKind::Catalog,
                Some(b"ESP"),
                Some(v2.as_bytes()),
                "S1",
                "EUR"
            ),
            Err(QuarantineReason::UnknownVersion(2))
        );
        assert!(matches!(
            decode(
                InboundKind::Catalog,
                Some(b"OTHER"),
                Some(catalog_json("ESP").as_bytes()),
                "S1",
                "EUR"
            ),
            Err(QuarantineReason::KeyMismatch { .. })
        ));
        let bad_code = catalog_json("ESP").replace("4006381333931", "4006381333932");
        assert!(matches!(
            decode(
                InboundKind::Catalog,
                Some(b"ESP"),
                Some(bad_code.as_bytes()),
                "S1",
                "EUR"
            ),
            Err(QuarantineReason::Invalid(_))
        ));
        let usd = catalog_json("ESP").replace("EUR", "USD");
        assert!(matches!(
            decode(
                InboundKind::Catalog,
                Some(b"ESP"),
                Some(usd.as_bytes()),
                "S1",
                "EUR"
            ),
            Err(QuarantineReason::Invalid(_))
        ));
        let extra =
            catalog_json("ESP").replace("\"active\":true", "\"active\":true,\"colour\":\"red\"");
        assert!(matches!(
            decode(
                InboundKind::Catalog,
                Some(b"ESP"),
                Some(extra.as_bytes()),
                "S1",
                "EUR"
            ),
            Err(QuarantineReason::SchemaViolation(_))
        ));
        let big = vec![b' '; MAX_RECORD_BYTES + 1];
        assert!(matches!(
            decode(InboundKind::Catalog, Some(b"ESP"), Some(&big), "S1", "EUR"),
            Err(QuarantineReason::Oversized(_))
        ));
        let inv = r#"{"schema_version":1,"store_id":"S1","sku":"ESP","on_hand":12,"low_stock_at":3,"updated_at":"2026-11-25T08:00:00Z"}"#;
        assert!(matches!(
            decode(
                InboundKind::Inventory,
                Some(b"S1:ESP"),
                Some(inv.as_bytes()),
                "S1",
                "EUR"
            ),
            Ok(Inbound::Stock(_))
        ));
        assert_eq!(
            decode(
                InboundKind::Inventory,
                Some(b"S2:ESP"),
                Some(inv.as_bytes()),
                "S1",
                "EUR"
            ),
            Ok(Inbound::OtherStore)
        );
        assert!(matches!(
            decode(
                InboundKind::Inventory,
                Some(b"S1-ESP"),
                Some(inv.as_bytes()),
                "S1",
                "EUR"
            ),
            Err(QuarantineReason::Invalid(_))
        ));
    }

    #[test]
    fn published_examples_decode() {
        let mut n = 0;
        for (stem, name, value) in crate::contract::examples() {
            let (kind, key) = match stem.as_str() {
                "catalog.product.v1" => (
                    InboundKind::Catalog,
                    value["sku"].as_str().unwrap().to_string(),
                ),
                "catalog.price_rule.v1" => (
                    InboundKind::Catalog,
                    format!("{PRICE_RULE_KEY_PREFIX}{}", value["id"].as_str().unwrap()),
                ),
                "inventory.level.v1" => (
                    InboundKind::Inventory,
                    format!(
                        "{}:{}",
                        value["store_id"].as_str().unwrap(),
                        value["sku"].as_str().unwrap()
                    ),
                ),
                "loyalty.account.v1" => (
                    InboundKind::LoyaltyAccounts,
                    value["member_id"].as_str().unwrap().to_string(),
                ),
                _ => continue,
            };
            let bytes = serde_json::to_vec(&value).unwrap();
            let r = decode(kind, Some(key.as_bytes()), Some(&bytes), "S042", "EUR");
            assert!(r.is_ok(), "{stem}/{name}: {r:?}");
            n += 1;
        }
        assert_eq!(n, 8);
    }

    #[test]
    fn a_product_with_modifiers_decodes_and_bad_modifiers_are_quarantined_with_the_reason() {
        let with = |groups: &str| {
            catalog_json("GT").replace(
                "\"active\":true",
                &format!("\"active\":true,\"modifier_groups\":{groups}"),
            )
        };
        let good = with(
            r#"[{"id":"size","name":"Size","min":1,"max":1,"options":[{"id":"single","name":"single","price_delta":0},{"id":"double","name":"double","price_delta":400}]}]"#,
        );
        let ok = decode(
            InboundKind::Catalog,
            Some(b"GT"),
            Some(good.as_bytes()),
            "S1",
            "EUR",
        );
        assert!(
            matches!(&ok, Ok(Inbound::Product(p)) if p.modifier_groups.len() == 1 && p.modifier_groups[0].options[1].price_delta == Money(400)),
            "{ok:?}"
        );
        // max 2 of one option: quarantined, with a reason naming the product and group.
        let bad = with(
            r#"[{"id":"size","name":"Size","min":1,"max":2,"options":[{"id":"single","name":"single","price_delta":0}]}]"#,
        );
        assert_eq!(
            decode(InboundKind::Catalog, Some(b"GT"), Some(bad.as_bytes()), "S1", "EUR"),
            Err(QuarantineReason::Invalid(
                "product GT: modifier group 'size': max 2 must be at least 1 and at most its number of options (1)".into()
            ))
        );
        let dup = with(
            r#"[{"id":"ice","name":"Ice","min":0,"max":1,"options":[{"id":"neat","name":"neat","price_delta":0}]},{"id":"ice","name":"Ice","min":0,"max":1,"options":[{"id":"rocks","name":"rocks","price_delta":0}]}]"#,
        );
        assert!(matches!(
            decode(InboundKind::Catalog, Some(b"GT"), Some(dup.as_bytes()), "S1", "EUR"),
            Err(QuarantineReason::Invalid(m)) if m.contains("'ice' appears more than once")
        ));
        // A wrongly shaped group is a schema violation, not a panic.
        let shape = with(r#"[{"id":"size","min":-1}]"#);
        assert!(matches!(
            decode(
                InboundKind::Catalog,
                Some(b"GT"),
                Some(shape.as_bytes()),
                "S1",
                "EUR"
            ),
            Err(QuarantineReason::SchemaViolation(_))
        ));
    }

    fn rule_json(id: &str) -> String {
        format!(
            r#"{{"schema_version":1,"id":"{id}","name":"Happy hour","days":["Mon","Fri"],"start":"17:00:00","end":"19:00:00","categories":["Cocktails"],"adjustment":{{"kind":"percent_off","bp":2000}},"currency":"EUR","updated_at":"2026-11-25T08:00:00Z"}}"#
        )
    }

    #[test]
    fn price_rules_ride_the_catalog_stream_under_their_own_keys() {
        let d = |key: &str, value: Option<&str>| {
            decode(
                InboundKind::Catalog,
                Some(key.as_bytes()),
                value.map(str::as_bytes),
                "S1",
                "EUR",
            )
        };
        let ok = d("price-rule:hh", Some(&rule_json("hh")));
        let Ok(Inbound::PriceRule(r)) = ok else {
            panic!("{ok:?}")
        };
        assert_eq!((r.id.as_str(), r.days.len(), r.skus.len()), ("hh", 2, 0));
        assert_eq!(r.start, NaiveTime::from_hms_opt(17, 0, 0).unwrap());
        // Short times and long day names are read too; absent lists are empty.
        let short = rule_json("hh")
            .replace("\"17:00:00\"", "\"17:00\"")
            .replace("\"Mon\"", "\"monday\"")
            .replace("\"categories\":[\"Cocktails\"],", "\"skus\":[\"MOJ\"],");
        assert!(
            matches!(d("price-rule:hh", Some(&short)), Ok(Inbound::PriceRule(r)) if r.categories.is_empty() && r.days[0] == Weekday::Mon)
        );
        assert_eq!(
            d("price-rule:hh", None),
            Ok(Inbound::PriceRuleRemoved { id: "hh".into() })
        );
        assert!(matches!(
            d("price-rule:", None),
            Err(QuarantineReason::Invalid(_))
        ));
        assert!(matches!(
            d("price-rule:other", Some(&rule_json("hh"))),
            Err(QuarantineReason::KeyMismatch { .. })
        ));
        assert!(matches!(
            d(
                "price-rule:hh",
                Some(&rule_json("hh").replace("EUR", "USD"))
            ),
            Err(QuarantineReason::Invalid(_))
        ));
        assert_eq!(
            d(
                "price-rule:hh",
                Some(&rule_json("hh").replace("\"bp\":2000", "\"bp\":0"))
            ),
            Err(QuarantineReason::Invalid(
                "price rule hh: percent off must be 1-10000 basis points (0.01-100 %), got 0"
                    .into()
            ))
        );
        assert!(matches!(
            d("price-rule:hh", Some(&rule_json("hh").replace("\"categories\":[\"Cocktails\"],", ""))),
            Err(QuarantineReason::Invalid(m)) if m.contains("at least one SKU or category")
        ));
        assert!(matches!(
            d(
                "price-rule:hh",
                Some(&rule_json("hh").replace("17:00:00", "25:00:00"))
            ),
            Err(QuarantineReason::SchemaViolation(_))
        ));
        assert!(matches!(
            d(
                "price-rule:hh",
                Some(&rule_json("hh").replace("\"Mon\"", "\"Someday\""))
            ),
            Err(QuarantineReason::SchemaViolation(_))
        ));
        // A product record under a price-rule key is not a rule.
        assert!(matches!(
            d("price-rule:hh", Some(&catalog_json("hh"))),
            Err(QuarantineReason::SchemaViolation(_))
        ));
    }

    proptest! {
        /// The decoders take arbitrary bytes for key and value and never panic.
        #[test]
        fn decoders_never_panic(key in prop::option::of(prop::collection::vec(any::<u8>(), 0..40)),
                                value in prop::option::of(prop::collection::vec(any::<u8>(), 0..400)),
                                k in 0usize..3) {
            let _ = decode(InboundKind::ALL[k], key.as_deref(), value.as_deref(), "S1", "EUR");
        }

        /// Price-rule records with arbitrary bytes never panic.
        #[test]
        fn price_rule_decoding_never_panics(id in "[a-z:]{0,8}", value in prop::option::of(prop::collection::vec(any::<u8>(), 0..400))) {
            let key = format!("{PRICE_RULE_KEY_PREFIX}{id}");
            let _ = decode(InboundKind::Catalog, Some(key.as_bytes()), value.as_deref(), "S1", "EUR");
        }

        /// Structured JSON mutations of a valid record never panic either.
        #[test]
        fn mutated_json_never_panics(field in "[a-z_]{1,12}", v in prop_oneof![Just(serde_json::json!(null)), Just(serde_json::json!(-1)), Just(serde_json::json!("x")), Just(serde_json::json!([1,2])), Just(serde_json::json!({"a":1})), Just(serde_json::json!(1e300))], k in 0usize..3) {
            let mut base: serde_json::Value = serde_json::from_str(&catalog_json("ESP")).unwrap();
            base[field] = v;
            let bytes = serde_json::to_vec(&base).unwrap();
            let _ = decode(InboundKind::ALL[k], Some(b"ESP"), Some(&bytes), "S1", "EUR");
        }
    }
}

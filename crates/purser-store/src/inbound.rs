//! The till's views of the store's streams: products (catalog), stock (inventory) and
//! members (loyalty accounts), with the consumed offsets stored in the same transaction
//! as the rows they produced — exactly-once application, no consumer-group commits.

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Transaction};

use purser_core::inbound::{
    Inbound, InboundKind, LoyaltyAccountRecord, MemberStatus, QuarantineReason,
};

use crate::catalog::{pause_search_index, resume_search_index, upsert_products_in};
use crate::error::Result;
use crate::time::{format_ts, parse_ts};
use crate::Store;

/// One consumed record and what the decoder made of it.
#[derive(Clone, Debug)]
pub struct Consumed {
    pub partition: i32,
    pub offset: i64,
    pub key: Option<String>,
    pub outcome: std::result::Result<Inbound, QuarantineReason>,
    /// The first bytes of a quarantined value, for whoever investigates.
    pub excerpt: Option<String>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Applied {
    pub applied: u64,
    pub quarantined: u64,
    pub skipped: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StockLevel {
    pub sku: String,
    pub on_hand: i64,
    pub low_stock_at: i64,
    pub updated_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct StreamState {
    pub topic: String,
    pub applied_total: u64,
    pub last_applied_at: Option<DateTime<Utc>>,
    pub rebuilds: u64,
    pub quarantined: u64,
    /// (partition, next offset to read)
    pub offsets: Vec<(i32, i64)>,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Quarantined {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub key: Option<String>,
    pub reason: String,
    pub excerpt: Option<String>,
    pub received_at: DateTime<Utc>,
}

fn clear_view(tx: &Transaction<'_>, kind: InboundKind) -> Result<()> {
    match kind {
        InboundKind::Catalog => tx.execute_batch(
            "DELETE FROM product_barcodes; DELETE FROM products; DELETE FROM price_rules;",
        )?,
        InboundKind::Inventory => tx.execute_batch("DELETE FROM stock;")?,
        InboundKind::LoyaltyAccounts => {
            tx.execute_batch("DELETE FROM member_cards; DELETE FROM members;")?
        }
    }
    Ok(())
}

fn upsert_member(tx: &Transaction<'_>, m: &LoyaltyAccountRecord) -> Result<()> {
    let (kind, account, limit) = match &m.charge_account {
        Some(c) => (
            Some(format!("{:?}", c.account_kind).to_lowercase()),
            Some(c.account_id.clone()),
            Some(c.offline_limit.0),
        ),
        None => (None, None, None),
    };
    tx.prepare_cached(
        "INSERT INTO members (member_id, name, phone, email, tier, points_balance, status, account_kind, account_id, offline_limit, updated_at, applied)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
         ON CONFLICT(member_id) DO UPDATE SET name = excluded.name, phone = excluded.phone, email = excluded.email,
           tier = excluded.tier, points_balance = excluded.points_balance, status = excluded.status,
           account_kind = excluded.account_kind, account_id = excluded.account_id,
           offline_limit = excluded.offline_limit, updated_at = excluded.updated_at, applied = excluded.applied",
    )?
    .execute(params![
        m.member_id,
        m.name,
        m.phone,
        m.email,
        m.tier,
        m.points_balance,
        if m.status == MemberStatus::Active { "active" } else { "closed" },
        kind,
        account,
        limit,
        format_ts(m.updated_at),
        (!m.applied_till_seq.is_empty())
            .then(|| serde_json::to_string(&m.applied_till_seq))
            .transpose()?
    ])?;
    // A member enrolled at this till is now the cloud's: the local copy steps aside.
    tx.prepare_cached("UPDATE enrolled_members SET seen_in_stream = 1 WHERE member_id = ?1 AND seen_in_stream = 0")?
        .execute(params![m.member_id])?;
    tx.prepare_cached("DELETE FROM member_cards WHERE member_id = ?1")?
        .execute(params![m.member_id])?;
    let mut card = tx.prepare_cached(
        "INSERT OR REPLACE INTO member_cards (card_id, member_id) VALUES (?1, ?2)",
    )?;
    for c in &m.card_ids {
        card.execute(params![c, m.member_id])?;
    }
    Ok(())
}

fn apply_one(
    tx: &Transaction<'_>,
    topic: &str,
    c: &Consumed,
    at: &str,
    now: DateTime<Utc>,
    stats: &mut Applied,
) -> Result<()> {
    match &c.outcome {
        Err(reason) => {
            tx.prepare_cached(
                "INSERT OR IGNORE INTO quarantine (topic, partition, \"offset\", key, reason, excerpt, received_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![topic, c.partition, c.offset, c.key, reason.to_string(), c.excerpt, at])?;
            stats.quarantined += 1;
            tracing::warn!(
                topic,
                partition = c.partition,
                offset = c.offset,
                "quarantined: {reason}"
            );
        }
        Ok(Inbound::Product(p)) => {
            upsert_products_in(tx, std::slice::from_ref(p), now)?;
            stats.applied += 1;
        }
        Ok(Inbound::Delist { sku }) => {
            tx.prepare_cached("DELETE FROM products WHERE sku = ?1")?
                .execute(params![sku])?;
            stats.applied += 1;
        }
        Ok(Inbound::Stock(s)) => {
            tx.prepare_cached(
                "INSERT INTO stock (sku, on_hand, low_stock_at, updated_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(sku) DO UPDATE SET on_hand = excluded.on_hand, low_stock_at = excluded.low_stock_at, updated_at = excluded.updated_at",
            )?
            .execute(params![s.sku, s.on_hand, s.low_stock_at, format_ts(s.updated_at)])?;
            stats.applied += 1;
        }
        Ok(Inbound::StockRemoved { sku }) => {
            tx.prepare_cached("DELETE FROM stock WHERE sku = ?1")?
                .execute(params![sku])?;
            stats.applied += 1;
        }
        Ok(Inbound::OtherStore) => stats.skipped += 1,
        Ok(Inbound::PriceRule(r)) => {
            tx.prepare_cached(
                "INSERT INTO price_rules (rule_id, rule, updated_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT(rule_id) DO UPDATE SET rule = excluded.rule, updated_at = excluded.updated_at",
            )?
            .execute(params![r.id, serde_json::to_string(r)?, at])?;
            stats.applied += 1;
        }
        Ok(Inbound::PriceRuleRemoved { id }) => {
            tx.prepare_cached("DELETE FROM price_rules WHERE rule_id = ?1")?
                .execute(params![id])?;
            stats.applied += 1;
        }
        Ok(Inbound::Member(m)) => {
            upsert_member(tx, m)?;
            stats.applied += 1;
        }
        Ok(Inbound::MemberRemoved { member_id }) => {
            tx.prepare_cached("DELETE FROM members WHERE member_id = ?1")?
                .execute(params![member_id])?;
            tx.prepare_cached(
                "UPDATE enrolled_members SET seen_in_stream = 1 WHERE member_id = ?1",
            )?
            .execute(params![member_id])?;
            stats.applied += 1;
        }
    }
    Ok(())
}

fn save_offsets(
    tx: &Transaction<'_>,
    topic: &str,
    records: &[Consumed],
    extra: &[(i32, i64)],
) -> Result<()> {
    let mut next: Vec<(i32, i64)> = extra.to_vec();
    for c in records {
        match next.iter_mut().find(|(p, _)| *p == c.partition) {
            Some(e) => e.1 = e.1.max(c.offset + 1),
            None => next.push((c.partition, c.offset + 1)),
        }
    }
    let mut stmt = tx.prepare_cached(
        "INSERT INTO stream_offsets (topic, partition, next_offset) VALUES (?1, ?2, ?3)
         ON CONFLICT(topic, partition) DO UPDATE SET next_offset = max(next_offset, excluded.next_offset)",
    )?;
    for (p, o) in next {
        stmt.execute(params![topic, p, o])?;
    }
    Ok(())
}

impl Store {
    /// Applies consumed records and their offsets in one transaction.
    pub fn apply_inbound(
        &mut self,
        topic: &str,
        records: &[Consumed],
        now: DateTime<Utc>,
    ) -> Result<Applied> {
        let mut stats = Applied::default();
        if records.is_empty() {
            return Ok(stats);
        }
        let at = format_ts(now);
        let tx = self.conn.transaction()?;
        for c in records {
            apply_one(&tx, topic, c, &at, now, &mut stats)?;
        }
        save_offsets(&tx, topic, records, &[])?;
        tx.execute(
            "INSERT INTO stream_state (topic, applied_total, last_applied_at) VALUES (?1, ?2, ?3)
             ON CONFLICT(topic) DO UPDATE SET applied_total = applied_total + excluded.applied_total, last_applied_at = excluded.last_applied_at",
            params![topic, stats.applied, at],
        )?;
        tx.commit()?;
        Ok(stats)
    }

    /// Replaces a whole view with a complete read of its topic, in one transaction, so the
    /// till never serves a half-built view. `ends` are the high watermarks read up to.
    pub fn rebuild_inbound(
        &mut self,
        kind: InboundKind,
        topic: &str,
        records: &[Consumed],
        ends: &[(i32, i64)],
        now: DateTime<Utc>,
    ) -> Result<Applied> {
        let mut stats = Applied::default();
        let at = format_ts(now);
        let tx = self.conn.transaction()?;
        // The product search index follows the products table: row by row through its
        // triggers for updates and tombstones (apply_inbound), and in one pass here.
        let paused = if kind == InboundKind::Catalog {
            Some(pause_search_index(&tx)?)
        } else {
            None
        };
        clear_view(&tx, kind)?;
        tx.execute(
            "DELETE FROM stream_offsets WHERE topic = ?1",
            params![topic],
        )?;
        for c in records {
            apply_one(&tx, topic, c, &at, now, &mut stats)?;
        }
        if let Some(paused) = paused {
            resume_search_index(&tx, paused)?;
        }
        save_offsets(&tx, topic, records, ends)?;
        tx.execute(
            "INSERT INTO stream_state (topic, applied_total, last_applied_at, rebuilds, last_rebuild_at) VALUES (?1, ?2, ?3, 1, ?3)
             ON CONFLICT(topic) DO UPDATE SET applied_total = applied_total + excluded.applied_total,
               last_applied_at = excluded.last_applied_at, rebuilds = rebuilds + 1, last_rebuild_at = excluded.last_rebuild_at",
            params![topic, stats.applied, at],
        )?;
        tx.commit()?;
        Ok(stats)
    }

    /// (partition, next offset) stored for a topic.
    pub fn stream_offsets(&self, topic: &str) -> Result<Vec<(i32, i64)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT partition, next_offset FROM stream_offsets WHERE topic = ?1 ORDER BY partition",
        )?;
        let rows = stmt.query_map(params![topic], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    pub fn stream_state(&self, topic: &str) -> Result<StreamState> {
        let (applied_total, last, rebuilds) = self
            .conn
            .query_row("SELECT applied_total, last_applied_at, rebuilds FROM stream_state WHERE topic = ?1", params![topic], |r| {
                Ok((r.get::<_, u64>(0)?, r.get::<_, Option<String>>(1)?, r.get::<_, u64>(2)?))
            })
            .optional()?
            .unwrap_or((0, None, 0));
        let quarantined: u64 = self.conn.query_row(
            "SELECT count(*) FROM quarantine WHERE topic = ?1",
            params![topic],
            |r| r.get(0),
        )?;
        Ok(StreamState {
            topic: topic.to_string(),
            applied_total,
            last_applied_at: last.as_deref().map(parse_ts).transpose()?,
            rebuilds,
            quarantined,
            offsets: self.stream_offsets(topic)?,
        })
    }

    pub fn quarantined(&self, limit: usize) -> Result<Vec<Quarantined>> {
        let mut stmt = self.conn.prepare(
            "SELECT topic, partition, \"offset\", key, reason, excerpt, received_at FROM quarantine ORDER BY id DESC LIMIT ?1",
        )?;
        let rows = stmt.query_map(params![i64::try_from(limit).unwrap_or(100)], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get::<_, String>(6)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (topic, partition, offset, key, reason, excerpt, at) = row?;
            out.push(Quarantined {
                topic,
                partition,
                offset,
                key,
                reason,
                excerpt,
                received_at: parse_ts(&at)?,
            });
        }
        Ok(out)
    }

    pub fn stock_of(&self, sku: &str) -> Result<Option<StockLevel>> {
        let row = self
            .conn
            .prepare_cached(
                "SELECT sku, on_hand, low_stock_at, updated_at FROM stock WHERE sku = ?1",
            )?
            .query_row(params![sku], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get::<_, String>(3)?))
            })
            .optional()?;
        row.map(|(sku, on_hand, low_stock_at, at)| {
            Ok(StockLevel {
                sku,
                on_hand,
                low_stock_at,
                updated_at: parse_ts(&at)?,
            })
        })
        .transpose()
    }

    /// Products at or below their low-stock mark (out of stock first), with their names.
    pub fn low_stock(&self, limit: usize) -> Result<Vec<(StockLevel, Option<String>)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT s.sku, s.on_hand, s.low_stock_at, s.updated_at, p.name FROM stock s
             LEFT JOIN products p ON p.sku = s.sku
             WHERE s.on_hand <= s.low_stock_at ORDER BY s.on_hand, s.sku LIMIT ?1",
        )?;
        let rows = stmt
            .query_map(params![i64::try_from(limit).unwrap_or(100)], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Option<String>>(4)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter()
            .map(|(sku, on_hand, low_stock_at, at, name)| {
                Ok((
                    StockLevel {
                        sku,
                        on_hand,
                        low_stock_at,
                        updated_at: parse_ts(&at)?,
                    },
                    name,
                ))
            })
            .collect()
    }

    pub fn member_count(&self) -> Result<u64> {
        Ok(self
            .conn
            .query_row("SELECT count(*) FROM members", [], |r| r.get(0))?)
    }
}

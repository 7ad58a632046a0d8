//! The loyalty ledger: every store's `*.pos.loyalty.v1` applied to each member's balance in
//! PostgreSQL exactly once per `event_id`, published on `pos.loyalty-accounts.v1` with the
//! watermark of every till it has applied, so a till counts as unsynced only its own
//! events above it.
//!
//! - `loyalty.points_earned` adds, `loyalty.points_redeemed` takes, `loyalty.points_reversed`
//!   takes back the earned points (including the till's `earned_shortfall`, which the till
//!   could not take because they were already spent) and returns the redeemed ones. A
//!   balance never goes below zero: what it cannot take is recorded as `forgiven`.
//! - `loyalty.enrolled` creates the member from the till's enrolment if headquarters does
//!   not know it yet ([`import_members`] loads what it does know).
//! - Watermarks are keyed `<store_id>/<till_id>`: till ids repeat across a fleet (every
//!   ship has a `T1`). Tills read their own key (and, for records written before, their
//!   bare till id).

use std::collections::BTreeMap;

use chrono::Utc;
use postgres::{Client, Transaction};

use purser_core::events::EventBody;
use purser_core::inbound::{LoyaltyAccountRecord, MemberStatus};
use purser_core::report::parse_event;

use crate::db::{self, Result};
use crate::service::{send_all, Applied, Job, Publisher, Record};

pub const SERVICE: &str = "loyalty-ledger";

/// The till topics the ledger reads.
pub const LOYALTY_TOPICS: &str = r"^([A-Za-z0-9_-]+\.)?pos\.loyalty\.v1$";

#[derive(Default)]
pub struct Ledger;

/// A loyalty event of a batch and what it does to its member's balance.
struct Loyal {
    member: String,
    delta: i64,
    event: purser_core::events::Event,
}

/// The record of a member the ledger meets first in `body`: from an enrolment, or a
/// placeholder (the enrolment may come later from another partition) that keeps the points.
fn new_member(member: &str, body: &EventBody) -> serde_json::Value {
    let rec = match body {
        EventBody::MemberEnrolled(b) => LoyaltyAccountRecord {
            schema_version: 1,
            member_id: b.member_id.clone(),
            name: b.name.clone(),
            card_ids: b.card_ids.clone(),
            phone: b.phone.clone(),
            email: b.email.clone(),
            tier: b.tier.clone(),
            points_balance: 0,
            status: MemberStatus::Active,
            charge_account: None,
            updated_at: Utc::now(),
            applied_till_seq: Default::default(),
        },
        _ => LoyaltyAccountRecord {
            schema_version: 1,
            member_id: member.to_string(),
            name: String::new(),
            card_ids: vec![],
            phone: None,
            email: None,
            tier: "standard".into(),
            points_balance: 0,
            status: MemberStatus::Active,
            charge_account: None,
            updated_at: Utc::now(),
            applied_till_seq: Default::default(),
        },
    };
    serde_json::to_value(&rec).expect("a record serialises")
}

pub use purser_core::inbound::till_key;

impl Job for Ledger {
    fn service(&self) -> &'static str {
        SERVICE
    }

    fn apply(&mut self, tx: &mut Transaction<'_>, records: &[Record]) -> Result<Applied> {
        let mut out = Applied::default();
        // The batch's loyalty events, in order, each event_id once.
        let mut events: Vec<Loyal> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for rec in records {
            let Some(raw) = rec.value.as_deref() else {
                out.ignored += 1;
                continue;
            };
            let event = match parse_event(raw) {
                Ok(e) => e,
                Err(why) => {
                    out.unreadable += 1;
                    db::quarantine(tx, SERVICE, rec, &why)?;
                    continue;
                }
            };
            let (member, delta) = match &event.body {
                EventBody::PointsEarned(b) => (b.member_id.clone(), b.points),
                EventBody::PointsRedeemed(b) => (b.member_id.clone(), -b.points),
                EventBody::PointsReversed(b) => (
                    b.member_id.clone(),
                    b.redeemed_returned - b.earned_reversed - b.earned_shortfall,
                ),
                EventBody::MemberEnrolled(b) => (b.member_id.clone(), 0),
                _ => {
                    out.ignored += 1;
                    continue;
                }
            };
            if !seen.insert(event.header.event_id) {
                out.duplicates += 1;
                continue;
            }
            events.push(Loyal {
                member,
                delta,
                event,
            });
        }
        if events.is_empty() {
            return Ok(out);
        }
        // 1. Each event_id once, ever: what the table already had is a duplicate.
        let col = |f: &dyn Fn(&Loyal) -> String| events.iter().map(f).collect::<Vec<String>>();
        let ids: Vec<uuid::Uuid> = events.iter().map(|e| e.event.header.event_id).collect();
        let seqs: Vec<i64> = events
            .iter()
            .map(|e| e.event.header.till_seq as i64)
            .collect();
        let deltas: Vec<i64> = events.iter().map(|e| e.delta).collect();
        let fresh: std::collections::HashSet<uuid::Uuid> = tx
            .query(
                "INSERT INTO loyalty_applied (event_id, member_id, store_id, till_id, till_seq, event_type, delta)
                 SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::bigint[])
                 ON CONFLICT (event_id) DO NOTHING RETURNING event_id",
                &[
                    &ids,
                    &col(&|e| e.member.clone()),
                    &col(&|e| e.event.header.store_id.clone()),
                    &col(&|e| e.event.header.till_id.clone()),
                    &seqs,
                    &col(&|e| e.event.header.event_type.clone()),
                    &deltas,
                ],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect();
        events.retain(|e| fresh.contains(&e.event.header.event_id));
        out.duplicates += (ids.len() - events.len()) as u64;
        out.new += events.len() as u64;
        if events.is_empty() {
            return Ok(out);
        }
        // 2. Members not known yet: from their enrolment, or a placeholder it fills later.
        let mut first: BTreeMap<String, serde_json::Value> = BTreeMap::new();
        for e in &events {
            let rec = new_member(&e.member, &e.event.body);
            let enrolled = matches!(e.event.body, EventBody::MemberEnrolled(_));
            let slot = first.entry(e.member.clone());
            match slot {
                std::collections::btree_map::Entry::Vacant(v) => {
                    v.insert(rec);
                }
                std::collections::btree_map::Entry::Occupied(mut o) if enrolled => {
                    o.insert(rec);
                }
                _ => {}
            }
        }
        let (new_ids, new_recs): (Vec<String>, Vec<serde_json::Value>) = first.into_iter().unzip();
        tx.execute(
            "INSERT INTO loyalty_members (member_id, record, balance, updated_at)
             SELECT id, r, 0, now() FROM unnest($1::text[], $2::jsonb[]) AS u(id, r)
             ON CONFLICT (member_id) DO NOTHING",
            &[&new_ids, &new_recs],
        )?;
        // An enrolment fills in a member first seen through its points.
        let enrolments: Vec<&purser_core::events::MemberEnrolled> = events
            .iter()
            .filter_map(|e| match &e.event.body {
                EventBody::MemberEnrolled(b) => Some(b),
                _ => None,
            })
            .collect();
        if !enrolments.is_empty() {
            let fill: Vec<serde_json::Value> = enrolments
                .iter()
                .map(|b| {
                    serde_json::json!({"name": b.name, "card_ids": b.card_ids, "phone": b.phone,
                                       "email": b.email, "tier": b.tier})
                })
                .collect();
            let who: Vec<String> = enrolments.iter().map(|b| b.member_id.clone()).collect();
            tx.execute(
                "UPDATE loyalty_members m SET record = m.record || u.f
                   FROM unnest($1::text[], $2::jsonb[]) AS u(id, f)
                  WHERE m.member_id = u.id AND m.record->>'name' = ''",
                &[&who, &fill],
            )?;
        }
        // 3. Balances, locked in member order (two instances never deadlock), each event
        //    applied in turn and never below zero.
        let members: Vec<String> = new_ids;
        let mut balance: BTreeMap<String, i64> = tx
            .query(
                "SELECT member_id, balance FROM loyalty_members WHERE member_id = ANY($1)
                  ORDER BY member_id FOR UPDATE",
                &[&members],
            )?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        let mut marks: BTreeMap<(String, String), i64> = BTreeMap::new();
        let mut forgiven: Vec<(uuid::Uuid, i64)> = Vec::new();
        for e in &events {
            let h = &e.event.header;
            let b = balance.entry(e.member.clone()).or_default();
            let next = *b + e.delta;
            if next < 0 {
                forgiven.push((h.event_id, -next));
            }
            *b = next.max(0);
            let m = marks
                .entry((e.member.clone(), till_key(&h.store_id, &h.till_id)))
                .or_default();
            *m = (*m).max(h.till_seq as i64);
        }
        if !forgiven.is_empty() {
            let (fi, fv): (Vec<uuid::Uuid>, Vec<i64>) = forgiven.into_iter().unzip();
            tx.execute(
                "UPDATE loyalty_applied a SET forgiven = u.f
                   FROM unnest($1::uuid[], $2::bigint[]) AS u(id, f) WHERE a.event_id = u.id",
                &[&fi, &fv],
            )?;
        }
        let (bm, bv): (Vec<String>, Vec<i64>) = balance.into_iter().unzip();
        tx.execute(
            "UPDATE loyalty_members m SET balance = u.b, updated_at = now(),
                    revision = m.revision + 1, published = false
               FROM unnest($1::text[], $2::bigint[]) AS u(id, b) WHERE m.member_id = u.id",
            &[&bm, &bv],
        )?;
        let mut wm = Vec::new();
        let mut wk = Vec::new();
        let mut ws = Vec::new();
        for ((m, k), s) in marks {
            wm.push(m);
            wk.push(k);
            ws.push(s);
        }
        tx.execute(
            "INSERT INTO loyalty_watermarks (member_id, till_key, applied_till_seq)
             SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[])
             ON CONFLICT (member_id, till_key) DO UPDATE
                SET applied_till_seq = greatest(loyalty_watermarks.applied_till_seq, EXCLUDED.applied_till_seq)",
            &[&wm, &wk, &ws],
        )?;
        Ok(out)
    }

    fn publish(&mut self, client: &mut Client, producer: &Publisher, topic: &str) -> Result<u64> {
        let rows = client.query(
            &format!("{ACCOUNT_SELECT} WHERE NOT m.published GROUP BY m.member_id ORDER BY m.updated_at LIMIT 5000"),
            &[],
        )?;
        if rows.is_empty() {
            return Ok(0);
        }
        let mut records = Vec::new();
        let (mut ids, mut revs) = (Vec::new(), Vec::new());
        for row in &rows {
            let Some(rec) = account_from_row(row) else {
                continue;
            };
            ids.push(rec.member_id.clone());
            revs.push(row.get::<_, i64>(4));
            records.push((
                rec.member_id.clone(),
                serde_json::to_string(&rec).expect("serialises"),
            ));
        }
        send_all(producer, topic, &records)?;
        client.execute(
            "UPDATE loyalty_members m SET published = true
               FROM unnest($1::text[], $2::bigint[]) AS u(id, rev)
              WHERE m.member_id = u.id AND m.revision = u.rev",
            &[&ids, &revs],
        )?;
        Ok(records.len() as u64)
    }
}

/// A member's record with its balance, time, revision and watermarks, in one query.
const ACCOUNT_SELECT: &str = "SELECT m.record, m.balance, m.updated_at,
        coalesce(jsonb_object_agg(w.till_key, w.applied_till_seq) FILTER (WHERE w.till_key IS NOT NULL), '{}'::jsonb),
        m.revision
   FROM loyalty_members m LEFT JOIN loyalty_watermarks w ON w.member_id = m.member_id";

fn account_from_row(row: &postgres::Row) -> Option<LoyaltyAccountRecord> {
    let v: serde_json::Value = row.get(0);
    let mut rec: LoyaltyAccountRecord = match serde_json::from_value(v) {
        Ok(r) => r,
        Err(e) => {
            tracing::error!("a stored member record is unreadable: {e}");
            return None;
        }
    };
    rec.points_balance = row.get(1);
    rec.updated_at = row.get(2);
    let marks: serde_json::Value = row.get(3);
    rec.applied_till_seq = serde_json::from_value(marks).unwrap_or_default();
    Some(rec)
}

/// A member's account as the ledger publishes it.
pub fn account(client: &mut Client, member_id: &str) -> Result<Option<LoyaltyAccountRecord>> {
    let row = client.query_opt(
        &format!("{ACCOUNT_SELECT} WHERE m.member_id = $1 GROUP BY m.member_id"),
        &[&member_id],
    )?;
    Ok(row.as_ref().and_then(account_from_row))
}

/// Loads headquarters' members (`pos.loyalty-accounts.v1` records, one JSON per line): a
/// new member starts at the record's balance; a known one keeps the ledger's balance and
/// takes the rest of the record. Returns how many records were loaded.
pub fn import_members(client: &mut Client, jsonl: &str) -> Result<usize> {
    let mut tx = client.transaction()?;
    let mut n = 0;
    for (i, line) in jsonl.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let rec: LoyaltyAccountRecord = serde_json::from_str(line).map_err(|e| {
            db::CloudError::Config(format!("line {}: not a loyalty account record: {e}", i + 1))
        })?;
        let mut stored = rec.clone();
        stored.applied_till_seq.clear();
        tx.execute(
            "INSERT INTO loyalty_members (member_id, record, balance, updated_at) VALUES ($1, $2, $3, now())
             ON CONFLICT (member_id) DO UPDATE SET record = EXCLUDED.record, updated_at = now(),
                 revision = loyalty_members.revision + 1, published = false",
            &[
                &rec.member_id,
                &serde_json::to_value(&stored).expect("serialises"),
                &rec.points_balance,
            ],
        )?;
        n += 1;
    }
    tx.commit()?;
    Ok(n)
}

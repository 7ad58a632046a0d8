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

pub use purser_core::inbound::till_key;

impl Job for Ledger {
    fn service(&self) -> &'static str {
        SERVICE
    }

    fn apply(&mut self, tx: &mut Transaction<'_>, records: &[Record]) -> Result<Applied> {
        let mut out = Applied::default();
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
            let h = &event.header;
            let (member, delta) = match &event.body {
                EventBody::PointsEarned(b) => (&b.member_id, b.points),
                EventBody::PointsRedeemed(b) => (&b.member_id, -b.points),
                EventBody::PointsReversed(b) => (
                    &b.member_id,
                    b.redeemed_returned - b.earned_reversed - b.earned_shortfall,
                ),
                EventBody::MemberEnrolled(b) => (&b.member_id, 0),
                _ => {
                    out.ignored += 1;
                    continue;
                }
            };
            let inserted = tx.execute(
                "INSERT INTO loyalty_applied (event_id, member_id, store_id, till_id, till_seq, event_type, delta)
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (event_id) DO NOTHING",
                &[
                    &h.event_id,
                    member,
                    &h.store_id,
                    &h.till_id,
                    &(h.till_seq as i64),
                    &h.event_type,
                    &delta,
                ],
            )?;
            if inserted == 0 {
                out.duplicates += 1;
                continue;
            }
            out.new += 1;
            let row = tx.query_opt(
                "SELECT balance FROM loyalty_members WHERE member_id = $1 FOR UPDATE",
                &[member],
            )?;
            let balance = match row {
                Some(r) => r.get::<_, i64>(0),
                None => {
                    let record = match &event.body {
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
                        // Points for a member neither headquarters nor an enrolment has
                        // described yet (the enrolment may come later from another
                        // partition): keep the points, fill in the rest when it comes.
                        _ => LoyaltyAccountRecord {
                            schema_version: 1,
                            member_id: member.clone(),
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
                    tx.execute(
                        "INSERT INTO loyalty_members (member_id, record, balance, updated_at) VALUES ($1, $2, 0, now())",
                        &[member, &serde_json::to_value(&record).expect("serialises")],
                    )?;
                    0
                }
            };
            if let EventBody::MemberEnrolled(b) = &event.body {
                // An enrolment fills in a member first seen through its points.
                tx.execute(
                    "UPDATE loyalty_members
                        SET record = record || jsonb_build_object('name', $2::text, 'card_ids', $3::jsonb,
                                                                   'phone', $4::text, 'email', $5::text, 'tier', $6::text)
                      WHERE member_id = $1 AND record->>'name' = ''",
                    &[
                        member,
                        &b.name,
                        &serde_json::to_value(&b.card_ids).expect("serialises"),
                        &b.phone,
                        &b.email,
                        &b.tier,
                    ],
                )?;
            }
            let next = balance + delta;
            let forgiven = (-next).max(0);
            tx.execute(
                "UPDATE loyalty_members SET balance = $2, updated_at = now(), revision = revision + 1, published = false
                  WHERE member_id = $1",
                &[member, &next.max(0)],
            )?;
            if forgiven > 0 {
                tx.execute(
                    "UPDATE loyalty_applied SET forgiven = $2 WHERE event_id = $1",
                    &[&h.event_id, &forgiven],
                )?;
            }
            tx.execute(
                "INSERT INTO loyalty_watermarks (member_id, till_key, applied_till_seq) VALUES ($1, $2, $3)
                 ON CONFLICT (member_id, till_key) DO UPDATE
                    SET applied_till_seq = greatest(loyalty_watermarks.applied_till_seq, EXCLUDED.applied_till_seq)",
                &[
                    member,
                    &till_key(&h.store_id, &h.till_id),
                    &(h.till_seq as i64),
                ],
            )?;
        }
        Ok(out)
    }

    fn publish(&mut self, client: &mut Client, producer: &Publisher, topic: &str) -> Result<u64> {
        let rows = client.query(
            "SELECT member_id, revision FROM loyalty_members WHERE NOT published ORDER BY updated_at LIMIT 5000",
            &[],
        )?;
        if rows.is_empty() {
            return Ok(0);
        }
        let mut records = Vec::new();
        let mut marks = Vec::new();
        for row in &rows {
            let id: String = row.get(0);
            let Some(rec) = account(client, &id)? else {
                continue;
            };
            marks.push((id.clone(), row.get::<_, i64>(1)));
            records.push((id, serde_json::to_string(&rec).expect("serialises")));
        }
        send_all(producer, topic, &records)?;
        let mut tx = client.transaction()?;
        for (id, rev) in &marks {
            tx.execute(
                "UPDATE loyalty_members SET published = true WHERE member_id = $1 AND revision = $2",
                &[id, rev],
            )?;
        }
        tx.commit()?;
        Ok(records.len() as u64)
    }
}

/// A member's account as the ledger publishes it.
pub fn account(client: &mut Client, member_id: &str) -> Result<Option<LoyaltyAccountRecord>> {
    let Some(row) = client.query_opt(
        "SELECT record, balance, updated_at FROM loyalty_members WHERE member_id = $1",
        &[&member_id],
    )?
    else {
        return Ok(None);
    };
    let v: serde_json::Value = row.get(0);
    let mut rec: LoyaltyAccountRecord = match serde_json::from_value(v) {
        Ok(r) => r,
        Err(e) => {
            tracing::error!("member {member_id}'s stored record is unreadable: {e}");
            return Ok(None);
        }
    };
    rec.points_balance = row.get(1);
    rec.updated_at = row.get(2);
    rec.applied_till_seq = client
        .query(
            "SELECT till_key, applied_till_seq FROM loyalty_watermarks WHERE member_id = $1",
            &[&member_id],
        )?
        .iter()
        .map(|r| (r.get::<_, String>(0), r.get::<_, i64>(1) as u64))
        .collect();
    Ok(Some(rec))
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

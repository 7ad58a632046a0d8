//! The reconciler as a service: every till event once in PostgreSQL, each touched day's
//! status rebuilt with the pure [`crate::reconcile::Reconciler`] from the events that
//! decide it, kept in `day_status` and published on `pos.reconciliation.v1`.
//!
//! Per batch and till (tills locked in key order, so two instances never deadlock):
//! 1. the stored events the batch's records could collide with (same `event_id` or
//!    `till_seq`) and the batch's records go through one `Reconciler::take` each, which
//!    tells new events from byte-identical duplicates and conflicts;
//! 2. new events are inserted, duplicates and conflicts counted in `day_notes`;
//! 3. every touched day, and the day after it (whose missing range starts where the
//!    touched day ends), is rebuilt from a window: that day's events, the event just
//!    before it (for the gap and the chain link into the day) and every event of its
//!    shifts. The first chain break a till ever showed is kept in `tills`.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{NaiveDate, Utc};
use postgres::{Client, Transaction};
use uuid::Uuid;

use purser_core::reconciliation::{DayStatus, ReconciliationRecord};
use purser_core::report::parse_event;

use crate::db::{self, Result};
use crate::reconcile::{Reconciler, Taken};
use crate::service::{send_all, Applied, Job, Publisher, Record};

pub const SERVICE: &str = "reconciler";

/// The reconciler's job (see the module docs).
#[derive(Default)]
pub struct Days {
    /// Days whose status changed in the batches applied so far.
    pub changed: u64,
}

struct Incoming<'a> {
    raw: &'a str,
    seq: u64,
    id: Uuid,
    date: NaiveDate,
}

impl Job for Days {
    fn service(&self) -> &'static str {
        SERVICE
    }

    fn apply(&mut self, tx: &mut Transaction<'_>, records: &[Record]) -> Result<Applied> {
        let mut out = Applied::default();
        let mut by_till: BTreeMap<(String, String), Vec<Incoming>> = BTreeMap::new();
        for rec in records {
            let Some(raw) = rec.value.as_deref() else {
                // A tombstone on a till topic: nothing to reconcile.
                out.ignored += 1;
                continue;
            };
            match parse_event(raw) {
                Ok(e) => {
                    let h = &e.header;
                    by_till
                        .entry((h.store_id.clone(), h.till_id.clone()))
                        .or_default()
                        .push(Incoming {
                            raw,
                            seq: h.till_seq,
                            id: h.event_id,
                            date: h.business_date,
                        });
                }
                Err(why) => {
                    out.unreadable += 1;
                    db::quarantine(tx, SERVICE, rec, &why)?;
                }
            }
        }
        for ((store, till), incoming) in by_till {
            let touched = take_till(tx, &store, &till, &incoming, &mut out)?;
            self.changed += rebuild_days(tx, &store, &till, &touched)?;
        }
        Ok(out)
    }

    fn publish(&mut self, client: &mut Client, producer: &Publisher, topic: &str) -> Result<u64> {
        publish_days(client, producer, topic)
    }
}

/// Steps 1 and 2 of the module docs; returns the touched days.
fn take_till(
    tx: &mut Transaction<'_>,
    store: &str,
    till: &str,
    incoming: &[Incoming],
    out: &mut Applied,
) -> Result<BTreeSet<NaiveDate>> {
    tx.execute(
        "INSERT INTO tills (store_id, till_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        &[&store, &till],
    )?;
    tx.execute(
        "SELECT 1 FROM tills WHERE store_id = $1 AND till_id = $2 FOR UPDATE",
        &[&store, &till],
    )?;
    let seqs: Vec<i64> = incoming.iter().map(|i| i.seq as i64).collect();
    let ids: Vec<Uuid> = incoming.iter().map(|i| i.id).collect();
    let stored = tx.query(
        "SELECT raw FROM till_events WHERE store_id = $1 AND till_id = $2
            AND (till_seq = ANY($3) OR event_id = ANY($4))",
        &[&store, &till, &seqs, &ids],
    )?;
    let mut r = Reconciler::new();
    for row in &stored {
        let raw: String = row.get(0);
        // Stored events were readable when they came; take them as they are.
        let _ = r.take(&raw);
    }
    let mut notes: BTreeMap<NaiveDate, (i64, Vec<String>)> = BTreeMap::new();
    let mut touched = BTreeSet::new();
    let mut new_rows: Vec<&Incoming> = Vec::new();
    for i in incoming {
        touched.insert(i.date);
        match r.take(i.raw) {
            Ok(Taken::New) => new_rows.push(i),
            Ok(Taken::Duplicate) => {
                out.duplicates += 1;
                notes.entry(i.date).or_default().0 += 1;
            }
            Ok(Taken::Conflict(why)) => {
                out.conflicts += 1;
                notes.entry(i.date).or_default().1.push(why);
            }
            Err(_) => out.unreadable += 1,
        }
    }
    out.new += new_rows.len() as u64;
    if !new_rows.is_empty() {
        let mut seq = Vec::new();
        let mut id = Vec::new();
        let mut ty = Vec::new();
        let mut date = Vec::new();
        let mut shift: Vec<Option<Uuid>> = Vec::new();
        let mut raw = Vec::new();
        for i in &new_rows {
            let e = parse_event(i.raw).expect("taken as new, so readable");
            seq.push(i.seq as i64);
            id.push(i.id);
            ty.push(e.header.event_type.as_str().to_string());
            date.push(i.date);
            shift.push(e.header.shift_id);
            raw.push(i.raw.to_string());
        }
        tx.execute(
            "INSERT INTO till_events (store_id, till_id, till_seq, event_id, event_type, business_date, shift_id, raw)
             SELECT $1, $2, * FROM unnest($3::bigint[], $4::uuid[], $5::text[], $6::date[], $7::uuid[], $8::text[])",
            &[&store, &till, &seq, &id, &ty, &date, &shift, &raw],
        )?;
    }
    for (date, (dups, conflicts)) in notes {
        tx.execute(
            "INSERT INTO day_notes (store_id, till_id, business_date, duplicates, conflicts)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (store_id, till_id, business_date) DO UPDATE
                SET duplicates = day_notes.duplicates + EXCLUDED.duplicates,
                    conflicts = day_notes.conflicts || EXCLUDED.conflicts",
            &[&store, &till, &date, &dups, &conflicts],
        )?;
    }
    Ok(touched)
}

/// Step 3 of the module docs; returns how many days' statuses changed.
fn rebuild_days(
    tx: &mut Transaction<'_>,
    store: &str,
    till: &str,
    touched: &BTreeSet<NaiveDate>,
) -> Result<u64> {
    let mut dates: Vec<NaiveDate> = touched.iter().copied().collect();
    // The day after each touched one: its missing range starts at the touched day's end.
    // One round trip: per touched day, the event just before it and the day just after.
    let bounds = tx.query(
        "WITH b AS (SELECT min(till_seq) AS first, max(till_seq) AS last FROM till_events
                     WHERE store_id = $1 AND till_id = $2 AND business_date = ANY($3)
                     GROUP BY business_date)
         SELECT (SELECT p.till_seq FROM till_events p
                  WHERE p.store_id = $1 AND p.till_id = $2 AND p.till_seq < b.first
                  ORDER BY p.till_seq DESC LIMIT 1),
                (SELECT n.business_date FROM till_events n
                  WHERE n.store_id = $1 AND n.till_id = $2 AND n.till_seq > b.last
                  ORDER BY n.till_seq LIMIT 1)
           FROM b",
        &[&store, &till, &dates],
    )?;
    let mut before: Vec<i64> = Vec::new();
    for row in &bounds {
        if let Some(p) = row.get::<_, Option<i64>>(0) {
            before.push(p);
        }
        if let Some(next) = row.get::<_, Option<NaiveDate>>(1) {
            if !dates.contains(&next) {
                dates.push(next);
            }
        }
    }
    // The next days' own predecessors are inside the window already (the touched days).
    let window = tx.query(
        "SELECT raw FROM till_events e
          WHERE e.store_id = $1 AND e.till_id = $2
            AND (e.business_date = ANY($3) OR e.till_seq = ANY($4)
                 OR e.shift_id IN (SELECT DISTINCT shift_id FROM till_events
                                    WHERE store_id = $1 AND till_id = $2
                                      AND business_date = ANY($3) AND shift_id IS NOT NULL))
          ORDER BY e.till_seq",
        &[&store, &till, &dates, &before],
    )?;
    let mut r = Reconciler::new();
    for row in &window {
        let raw: String = row.get(0);
        let _ = r.take(&raw);
    }
    let days = r.days();
    let stored_break: Option<i64> = tx
        .query_one(
            "SELECT chain_broken_from FROM tills WHERE store_id = $1 AND till_id = $2",
            &[&store, &till],
        )?
        .get(0);
    let window_break = days.iter().filter_map(|d| d.chain_broken_from).min();
    let first_break = match (stored_break.map(|b| b as u64), window_break) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    if first_break != stored_break.map(|b| b as u64) {
        tx.execute(
            "UPDATE tills SET chain_broken_from = $3 WHERE store_id = $1 AND till_id = $2",
            &[&store, &till, &first_break.map(|b| b as i64)],
        )?;
    }
    let notes: BTreeMap<NaiveDate, (i64, Vec<String>)> = tx
        .query(
            "SELECT business_date, duplicates, conflicts FROM day_notes
              WHERE store_id = $1 AND till_id = $2 AND business_date = ANY($3)",
            &[&store, &till, &dates],
        )?
        .iter()
        .map(|r| (r.get(0), (r.get(1), r.get(2))))
        .collect();
    let (mut d_dates, mut d_states, mut d_status) = (Vec::new(), Vec::new(), Vec::new());
    for mut day in days
        .into_iter()
        .filter(|d| dates.contains(&d.business_date))
    {
        if let Some((dups, conflicts)) = notes.get(&day.business_date) {
            day.duplicates = *dups as u64;
            day.conflicts = conflicts.clone();
        }
        day.chain_broken_from = first_break.filter(|b| *b <= day.last_seq);
        day.settle();
        d_dates.push(day.business_date);
        d_states.push(day.state.as_str().to_string());
        d_status.push(serde_json::to_value(&day).expect("a day status serialises"));
    }
    // One statement for every day; a day whose status did not change keeps its revision
    // and is not published again.
    let changed = tx.execute(
        "INSERT INTO day_status (store_id, till_id, business_date, state, status, updated_at)
         SELECT $1, $2, d, s, j, $6 FROM unnest($3::date[], $4::text[], $5::jsonb[]) AS u(d, s, j)
         ON CONFLICT (store_id, till_id, business_date) DO UPDATE
            SET state = EXCLUDED.state, status = EXCLUDED.status,
                updated_at = EXCLUDED.updated_at,
                revision = day_status.revision + 1, published = false
          WHERE day_status.status IS DISTINCT FROM EXCLUDED.status",
        &[&store, &till, &d_dates, &d_states, &d_status, &Utc::now()],
    )?;
    Ok(changed)
}

/// Publishes every day status not yet on the topic, then marks it published unless it
/// changed meanwhile.
pub fn publish_days(client: &mut Client, producer: &Publisher, topic: &str) -> Result<u64> {
    let rows = client.query(
        "SELECT status, updated_at, revision FROM day_status WHERE NOT published
          ORDER BY updated_at LIMIT 5000",
        &[],
    )?;
    if rows.is_empty() {
        return Ok(0);
    }
    let mut records = Vec::with_capacity(rows.len());
    let mut marks: Vec<(String, String, NaiveDate, i64)> = Vec::new();
    for row in &rows {
        let status: serde_json::Value = row.get(0);
        let day: DayStatus = match serde_json::from_value(status) {
            Ok(d) => d,
            Err(e) => {
                tracing::error!("a stored day status is unreadable: {e}");
                continue;
            }
        };
        let rec = ReconciliationRecord {
            schema_version: 1,
            updated_at: row.get(1),
            day,
        };
        marks.push((
            rec.day.store_id.clone(),
            rec.day.till_id.clone(),
            rec.day.business_date,
            row.get(2),
        ));
        records.push((
            rec.day.key(),
            serde_json::to_string(&rec).expect("a record serialises"),
        ));
    }
    send_all(producer, topic, &records)?;
    let mut stores = Vec::new();
    let mut tills = Vec::new();
    let mut dates = Vec::new();
    let mut revs = Vec::new();
    for (s, t, d, rev) in marks {
        stores.push(s);
        tills.push(t);
        dates.push(d);
        revs.push(rev);
    }
    client.execute(
        "UPDATE day_status d SET published = true
           FROM unnest($1::text[], $2::text[], $3::date[], $4::bigint[]) AS u(s, t, dt, rev)
          WHERE d.store_id = u.s AND d.till_id = u.t AND d.business_date = u.dt AND d.revision = u.rev",
        &[&stores, &tills, &dates, &revs],
    )?;
    Ok(records.len() as u64)
}

/// The stored statuses, for `purser-cloud report`.
pub fn report(
    client: &mut Client,
    store: Option<&str>,
    date: Option<NaiveDate>,
) -> Result<Vec<(DayStatus, chrono::DateTime<Utc>)>> {
    let rows = client.query(
        "SELECT status, updated_at FROM day_status
          WHERE ($1::text IS NULL OR store_id = $1) AND ($2::date IS NULL OR business_date = $2)
          ORDER BY store_id, till_id, business_date",
        &[&store, &date],
    )?;
    let mut out = Vec::new();
    for row in rows {
        let v: serde_json::Value = row.get(0);
        match serde_json::from_value(v) {
            Ok(d) => out.push((d, row.get(1))),
            Err(e) => tracing::error!("a stored day status is unreadable: {e}"),
        }
    }
    Ok(out)
}

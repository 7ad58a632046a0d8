//! Reconciliation of every till's events, as the cloud receives them: pure, no I/O.
//!
//! [`Reconciler::take`] is given each record of a store's replicated till topics, in any
//! order and as often as it comes. Per till it keeps each `till_seq` once and tells apart
//! a duplicate (the same event again, byte for byte: replays and MirrorMaker's
//! re-deliveries) from a conflict (the same `event_id` or `till_seq` with other content).
//! [`Reconciler::days`] then gives, per store, till and business day, a [`DayStatus`]:
//! which `till_seq` are still missing, duplicates and conflicts seen, each shift's Z
//! rebuilt from its events with the till's own formulas
//! (`purser_core::report::derive_shift`) and compared with the Z it printed, and the
//! till's hash chain checked end to end (`purser_core::chain`).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::NaiveDate;
use uuid::Uuid;

use purser_core::chain::{verify_chain, ChainBreak};
use purser_core::events::{Event, EventBody};
use purser_core::report::{derive_shift, parse_event};

/// What one record was to the reconciler.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Taken {
    New,
    /// The same event again, byte for byte.
    Duplicate,
    /// Another content under an `event_id` or a `till_seq` already seen.
    Conflict(String),
}

pub use purser_core::reconciliation::{DayState, DayStatus, ZMismatch};

struct Seen {
    event: Event,
    raw: String,
}

#[derive(Default)]
struct TillBook {
    events: BTreeMap<u64, Seen>,
    ids: HashMap<Uuid, u64>,
    duplicates: BTreeMap<NaiveDate, u64>,
    conflicts: BTreeMap<NaiveDate, Vec<String>>,
}

/// Everything the cloud has received of every till (see the module docs).
#[derive(Default)]
pub struct Reconciler {
    tills: BTreeMap<(String, String), TillBook>,
}

impl Reconciler {
    pub fn new() -> Reconciler {
        Reconciler::default()
    }

    /// Takes one record's value. An unreadable value is an error (the caller quarantines
    /// it) and changes nothing.
    pub fn take(&mut self, raw: &str) -> Result<Taken, String> {
        let event = parse_event(raw)?;
        let h = &event.header;
        let book = self
            .tills
            .entry((h.store_id.clone(), h.till_id.clone()))
            .or_default();
        let (id, seq, date) = (h.event_id, h.till_seq, h.business_date);
        if let Some(&at) = book.ids.get(&id) {
            let same = book.events.get(&at).is_some_and(|s| s.raw == raw);
            if same {
                *book.duplicates.entry(date).or_default() += 1;
                return Ok(Taken::Duplicate);
            }
            let why = format!("event {id} came again with other content (till_seq {seq})");
            book.conflicts.entry(date).or_default().push(why.clone());
            return Ok(Taken::Conflict(why));
        }
        if let Some(other) = book.events.get(&seq) {
            let why = format!(
                "till_seq {seq} is claimed by two events: {} and {id}",
                other.event.header.event_id
            );
            book.conflicts.entry(date).or_default().push(why.clone());
            return Ok(Taken::Conflict(why));
        }
        book.ids.insert(id, seq);
        book.events.insert(
            seq,
            Seen {
                event,
                raw: raw.to_string(),
            },
        );
        Ok(Taken::New)
    }

    /// Distinct events taken so far.
    pub fn len(&self) -> usize {
        self.tills.values().map(|b| b.events.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every till's days, by store, till and date.
    pub fn days(&self) -> Vec<DayStatus> {
        let mut out = Vec::new();
        for ((store, till), book) in &self.tills {
            out.extend(book.days(store, till));
        }
        out
    }
}

impl TillBook {
    fn days(&self, store: &str, till: &str) -> Vec<DayStatus> {
        let (broken, unverified) = self.chain();
        let currency = self.currency();
        let all: Vec<&Event> = self.events.values().map(|s| &s.event).collect();
        // The days in the order the till lived them (by their last till_seq).
        let mut by_day: BTreeMap<NaiveDate, Vec<u64>> = BTreeMap::new();
        for (seq, s) in &self.events {
            by_day
                .entry(s.event.header.business_date)
                .or_default()
                .push(*seq);
        }
        let mut order: Vec<(NaiveDate, Vec<u64>)> = by_day.into_iter().collect();
        order.sort_by_key(|(_, seqs)| seqs.last().copied());
        let mut prev_last = 0u64;
        let mut out = Vec::new();
        for (date, seqs) in order {
            let first = seqs[0];
            let last = *seqs.last().expect("a day has events");
            let missing = gaps(
                self.events.range(prev_last + 1..=last).map(|(s, _)| *s),
                prev_last,
                last,
            );
            prev_last = prev_last.max(last);
            let (open_shifts, mut z_mismatches, z_matched) = self.shifts(&seqs, &all, &currency);
            // A Z is compared only once none of the day's events is missing: a missing
            // sale or refund is not the Z's fault.
            if !missing.is_empty() {
                z_mismatches.clear();
            }
            let conflicts = self.conflicts.get(&date).cloned().unwrap_or_default();
            let chain_broken_from = broken.filter(|b| *b <= last);
            let mut day = DayStatus {
                store_id: store.to_string(),
                till_id: till.to_string(),
                business_date: date,
                state: DayState::Complete,
                events: seqs.len() as u64,
                first_seq: first,
                last_seq: last,
                missing,
                open_shifts,
                duplicates: self.duplicates.get(&date).copied().unwrap_or(0),
                conflicts,
                z_mismatches,
                chain_broken_from,
                chain_unverified: unverified,
                z_matched,
            };
            day.settle();
            out.push(day);
        }
        out.sort_by_key(|d| d.business_date);
        out
    }

    /// The first `till_seq` where the chain breaks, and whether some events had no link.
    fn chain(&self) -> (Option<u64>, bool) {
        let (brk, _) = verify_chain(
            None,
            self.events.iter().map(|(seq, s)| {
                let h = &s.event.header;
                (
                    *seq,
                    // The id as the till hashed it (hyphenated, lower case).
                    h.event_id.to_string(),
                    h.event_type.as_str(),
                    h.prev_hash.as_deref(),
                    s.raw.as_str(),
                )
            }),
        );
        match brk {
            Some(ChainBreak::Link { till_seq }) => (Some(till_seq), false),
            Some(ChainBreak::Unchained { .. }) => (None, true),
            None => (None, false),
        }
    }

    fn currency(&self) -> String {
        self.events
            .values()
            .find_map(|s| match &s.event.body {
                EventBody::ShiftOpened(o) => Some(o.currency.clone()),
                EventBody::SaleCompleted(c) => Some(c.currency.clone()),
                _ => None,
            })
            .unwrap_or_default()
    }

    /// The shifts whose events fall on this day: still open, Z mismatches, Z matched.
    fn shifts(
        &self,
        seqs: &[u64],
        all: &[&Event],
        currency: &str,
    ) -> (Vec<Uuid>, Vec<ZMismatch>, u64) {
        let ids: BTreeSet<Uuid> = seqs
            .iter()
            .filter_map(|s| self.events.get(s)?.event.header.shift_id)
            .collect();
        let (mut open, mut mismatches, mut matched) = (Vec::new(), Vec::new(), 0);
        for id in ids {
            let Some(d) = derive_shift(id, all, currency) else {
                continue;
            };
            match &d.printed {
                None => open.push(id),
                Some(_) if d.differences.is_empty() => matched += 1,
                Some(_) => mismatches.push(ZMismatch {
                    shift_id: id,
                    differences: d.differences.clone(),
                }),
            }
        }
        (open, mismatches, matched)
    }
}

/// Missing ranges in (after, last], given the `till_seq` present there in order.
fn gaps(present: impl Iterator<Item = u64>, after: u64, last: u64) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    let mut expect = after + 1;
    for s in present {
        if s > expect {
            out.push((expect, s - 1));
        }
        expect = s + 1;
    }
    if expect <= last {
        out.push((expect, last));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use purser_core::chain::chain_hash;

    /// The contract's example day of one till (16 chained events: a shift with sales, a
    /// refund, a void, its Z, a heartbeat, loyalty events and a tab handed over), as
    /// published.
    fn day() -> Vec<String> {
        purser_core::contract::example_day()
            .into_iter()
            .map(|(_, raw)| raw)
            .collect()
    }

    fn status(raws: &[String]) -> (Reconciler, Vec<DayStatus>) {
        let mut r = Reconciler::new();
        for raw in raws {
            r.take(raw).unwrap();
        }
        let days = r.days();
        (r, days)
    }

    #[test]
    fn a_clean_day_is_complete_and_raises_nothing() {
        let d = day();
        // A shift's sales, refund, void, drawer, Z, heartbeat, loyalty and a paid tab.
        assert_eq!(d.len(), 16);
        let (_, days) = status(&d);
        assert_eq!(days.len(), 1);
        let s = &days[0];
        assert_eq!(s.state, DayState::Complete, "{s:?}");
        assert_eq!((s.events, s.first_seq, s.last_seq), (16, 1, 16));
        assert!(s.missing.is_empty() && s.conflicts.is_empty() && s.z_mismatches.is_empty());
        assert_eq!(s.z_matched, 1, "the printed Z matches its events");
        assert_eq!(s.chain_broken_from, None);
        assert!(!s.chain_unverified);
    }

    #[test]
    fn duplicates_count_but_leave_the_day_complete_in_any_order() {
        let mut d = day();
        d.reverse();
        let again = d.clone();
        let mut r = Reconciler::new();
        for raw in d.iter().chain(again.iter().take(4)) {
            r.take(raw).unwrap();
        }
        assert_eq!(r.len(), 16);
        let s = &r.days()[0];
        assert_eq!(s.state, DayState::Complete);
        assert_eq!(s.duplicates, 4);
    }

    #[test]
    fn a_missing_event_makes_the_day_wait_and_names_it() {
        let mut d = day();
        d.remove(4); // till_seq 5
        let (mut r, days) = status(&d);
        assert_eq!(days[0].state, DayState::Waiting);
        assert_eq!(days[0].missing, vec![(5, 5)]);
        // It arrives late: complete.
        r.take(&day()[4]).unwrap();
        assert_eq!(r.days()[0].state, DayState::Complete);
    }

    #[test]
    fn an_altered_copy_is_a_conflict() {
        let d = day();
        let (mut r, _) = status(&d);
        let altered = d[2].replace("\"receipt_no\":\"", "\"receipt_no\":\"X");
        assert_ne!(altered, d[2]);
        assert!(matches!(r.take(&altered).unwrap(), Taken::Conflict(_)));
        let s = &r.days()[0];
        assert_eq!(s.state, DayState::Conflict);
        assert!(
            s.conflicts[0].contains("other content"),
            "{:?}",
            s.conflicts
        );
    }

    #[test]
    fn an_edited_entry_republished_with_a_recomputed_hash_breaks_the_chain_after_it() {
        // Whoever edits event 3 can publish it under its own id with a consistent own
        // hash, but event 4 still names the original.
        let mut d = day();
        let edited = d[2].replace("\"receipt_no\":\"", "\"receipt_no\":\"X");
        d[2] = edited;
        let (_, days) = status(&d);
        assert_eq!(days[0].state, DayState::ChainBroken);
        assert_eq!(days[0].chain_broken_from, Some(4));
    }

    #[test]
    fn a_z_that_disagrees_with_its_sales_is_named_field_by_field() {
        // A Z whose printed net sales were changed: the chain would catch the edit too, so
        // rebuild the chain from there on as a till that printed a wrong Z would have.
        let mut d = day();
        let z: serde_json::Value = serde_json::from_str(&d[7]).unwrap();
        let net = z["report"]["net_sales"].as_i64().unwrap();
        let mut values: Vec<serde_json::Value> =
            d.iter().map(|r| serde_json::from_str(r).unwrap()).collect();
        values[7]["report"]["net_sales"] = (net + 100).into();
        let mut prev = values[6]["prev_hash"].as_str().unwrap().to_string();
        prev = chain_hash(
            &prev,
            7,
            values[6]["event_id"].as_str().unwrap(),
            "drawer.opened",
            &d[6],
        );
        for (i, v) in values.iter_mut().enumerate().skip(7) {
            v["prev_hash"] = prev.clone().into();
            let raw = v.to_string();
            prev = chain_hash(
                &prev,
                (i + 1) as u64,
                v["event_id"].as_str().unwrap(),
                v["event_type"].as_str().unwrap(),
                &raw,
            );
            d[i] = raw;
        }
        let (_, days) = status(&d);
        let s = &days[0];
        assert_eq!(s.state, DayState::ZMismatch, "{s:?}");
        assert_eq!(s.chain_broken_from, None);
        assert!(
            s.z_mismatches[0]
                .differences
                .iter()
                .any(|f| f.starts_with("net_sales")),
            "{:?}",
            s.z_mismatches
        );
    }

    #[test]
    fn an_open_shift_waits_for_its_z() {
        let d = day();
        let (_, days) = status(&d[..7]);
        assert_eq!(days[0].state, DayState::Waiting);
        assert_eq!(days[0].open_shifts.len(), 1);
        assert!(days[0].missing.is_empty());
    }

    #[test]
    fn unreadable_records_are_errors_and_change_nothing() {
        let mut r = Reconciler::new();
        assert!(r.take("not json").is_err());
        assert!(r.take("{\"event_type\":\"sale.completed\"}").is_err());
        assert!(r.is_empty());
    }
}

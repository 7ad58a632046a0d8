//! The till's journal hash chain, as the till writes it and as a consumer checks it.
//!
//! Every journal entry's hash is `SHA-256(prev_hash | till_seq | event_id | event_type |
//! body)` in hex, where `body` is the event's value exactly as published and `prev_hash`
//! is the hash of the till's entry before it (empty for `till_seq` 1). The published event
//! carries `prev_hash` in its header ([`crate::events::EventHeader::prev_hash`]), so anyone
//! holding a till's events can recompute each hash from the record's own bytes and check
//! that the next event names it: an event edited after it was recorded, or one removed or
//! replaced in between, breaks the chain from there on.

use sha2::{Digest, Sha256};

/// The hash of one journal entry (see the module docs).
pub fn chain_hash(
    prev_hash: &str,
    till_seq: u64,
    event_id: &str,
    event_type: &str,
    body: &str,
) -> String {
    let mut h = Sha256::new();
    h.update(prev_hash.as_bytes());
    h.update(b"|");
    h.update(till_seq.to_string().as_bytes());
    h.update(b"|");
    h.update(event_id.as_bytes());
    h.update(b"|");
    h.update(event_type.as_bytes());
    h.update(b"|");
    h.update(body.as_bytes());
    hex::encode(h.finalize())
}

/// Where a till's chain breaks, as a consumer finds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChainBreak {
    /// The event does not name the hash of the event before it (that one was altered,
    /// or something between them was removed or replaced).
    Link { till_seq: u64 },
    /// The event carries no `prev_hash` (written before the chain was in the contract).
    Unchained { till_seq: u64 },
}

/// Checks one till's events, given in `till_seq` order as `(till_seq, event_id,
/// event_type, prev_hash, raw value)`, from `till_seq` 1 or from an event whose hash is
/// `start_hash`. Returns the first break, if any, and the last event's hash. Gaps in
/// `till_seq` are not breaks here (they are found by `till_seq` itself): the chain check
/// resumes after a gap with the next event's own `prev_hash`.
pub fn verify_chain<A, B, C, D>(
    start_hash: Option<&str>,
    events: impl IntoIterator<Item = (u64, A, B, Option<C>, D)>,
) -> (Option<ChainBreak>, Option<String>)
where
    A: AsRef<str>,
    B: AsRef<str>,
    C: AsRef<str>,
    D: AsRef<str>,
{
    let mut expected: Option<(u64, String)> = start_hash.map(|h| (0, h.to_string()));
    let mut last = None;
    for (seq, id, ty, prev, body) in events {
        let Some(prev) = prev else {
            return (Some(ChainBreak::Unchained { till_seq: seq }), last);
        };
        let prev = prev.as_ref();
        // Right after the event it follows, it must name that event's hash; the first
        // event of the till names none.
        let linked = match &expected {
            Some((s, h)) if *s + 1 == seq || (*s == 0 && start_hash.is_some()) => prev == h,
            None if seq == 1 => prev.is_empty(),
            _ => true,
        };
        if !linked {
            return (Some(ChainBreak::Link { till_seq: seq }), last);
        }
        let h = chain_hash(prev, seq, id.as_ref(), ty.as_ref(), body.as_ref());
        last = Some(h.clone());
        expected = Some((seq, h));
    }
    (None, last)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: u64) -> Vec<(u64, String, String, String, String)> {
        let mut prev = String::new();
        (1..=n)
            .map(|s| {
                let id = format!("id-{s}");
                let body = format!("{{\"till_seq\":{s},\"prev_hash\":\"{prev}\"}}");
                let e = (
                    s,
                    id.clone(),
                    "sale.completed".to_string(),
                    prev.clone(),
                    body,
                );
                prev = chain_hash(&e.3, s, &id, &e.2, &e.4);
                e
            })
            .collect()
    }

    fn check(events: &[(u64, String, String, String, String)]) -> Option<ChainBreak> {
        verify_chain(
            None,
            events
                .iter()
                .map(|(s, i, t, p, b)| (*s, i.as_str(), t.as_str(), Some(p.as_str()), b.as_str())),
        )
        .0
    }

    #[test]
    fn an_intact_chain_passes_and_an_edit_breaks_it_at_the_next_event() {
        let mut c = chain(5);
        assert_eq!(check(&c), None);
        // Edited and rehashed by whoever published it: the next event still names the
        // original hash.
        c[2].4 = c[2].4.replace("till_seq", "till_seq ");
        assert_eq!(check(&c), Some(ChainBreak::Link { till_seq: 4 }));
        // A gap is not a break: the chain resumes with the next event's own prev_hash.
        let mut g = chain(6);
        g.remove(2);
        assert_eq!(check(&g), None);
    }
}

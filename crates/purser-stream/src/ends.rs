//! When a catch-up has read everything a partition had: the rule every reader that stops
//! "at the end" shares (the inbound rebuild and catch-up, the manager's catch-up, the
//! read-back).
//!
//! The end is the high watermark seen at the start (for a `read_committed` consumer, the
//! last stable offset: librdkafka asks ListOffsets at the consumer's isolation level). It is
//! NOT always the offset of a record the consumer will receive:
//! * a transactional producer's commit or abort marker occupies the last offset — control
//!   records are never handed to the application, and aborted records are skipped;
//! * records can be deleted under the consumer (DeleteRecords, retention): a reset to the
//!   new log start delivers nothing when everything up to the end is gone;
//! * a partition can be empty with a log start above 0 (low == high > 0).
//!
//! So a partition is done when a record at `end - 1` or later was delivered, OR the
//! consumer's position (which librdkafka advances past control records as they are polled)
//! has reached the end, OR the partition's log start has moved to or past the end (nothing
//! of what was there is left to read). A partition with nothing to read from its starting
//! offset is never waited for at all.

use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
use rdkafka::Offset;

/// How often an idle reader asks the broker for log starts (one ListOffsets per partition
/// still open).
const LOW_CHECK: Duration = Duration::from_millis(500);
/// How long one such question may take.
const LOW_TIMEOUT: Duration = Duration::from_millis(500);

/// The partitions a catch-up still has to read, each with the end it must reach.
#[derive(Debug, Default)]
pub(crate) struct Ends {
    left: Vec<(String, i32, i64)>,
    last_low_check: Option<Instant>,
}

impl Ends {
    /// Reading `topic`/`partition` from `start` (the stored offset, or the log start when
    /// it is higher) to `end`; nothing to wait for when `start >= end`.
    pub(crate) fn want(&mut self, topic: &str, partition: i32, start: i64, end: i64) {
        if end > start {
            self.left.push((topic.to_string(), partition, end));
        }
    }

    /// A record at `offset` was delivered.
    pub(crate) fn delivered(&mut self, topic: &str, partition: i32, offset: i64) {
        self.left
            .retain(|(t, p, end)| !(t == topic && *p == partition && offset + 1 >= *end));
    }

    /// After polling (above all a poll that returned nothing): partitions whose position
    /// passed their end (control records, aborted transactions) or whose log start did
    /// (deleted records) are done. The log starts are asked at most every `LOW_CHECK`,
    /// each question bounded by `LOW_TIMEOUT`, so a silent broker holds no caller long.
    pub(crate) fn settle<C: ConsumerContext>(&mut self, c: &BaseConsumer<C>) {
        if self.left.is_empty() {
            return;
        }
        for ((topic, p), pos) in positions(c) {
            self.reached(&topic, p, pos);
        }
        if self.left.is_empty() || self.last_low_check.is_some_and(|t| t.elapsed() < LOW_CHECK) {
            return;
        }
        self.last_low_check = Some(Instant::now());
        let open = self.left.clone();
        for (topic, p, _) in open {
            match c.fetch_watermarks(&topic, p, LOW_TIMEOUT) {
                Ok((low, _)) => self.reached(&topic, p, low),
                // The broker is not answering: ask again next time rather than hold the
                // caller (its deadline and stop flag) for a timeout per partition.
                Err(_) => break,
            }
        }
    }

    /// Everything below `offset` of the partition is read or gone.
    fn reached(&mut self, topic: &str, partition: i32, offset: i64) {
        self.left
            .retain(|(t, p, end)| !(t == topic && *p == partition && offset >= *end));
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.left.is_empty()
    }

    /// (topic, partition, end) still open, for error messages.
    pub(crate) fn left(&self) -> &[(String, i32, i64)] {
        &self.left
    }
}

/// The consumer's position of each assigned partition that has one ((topic, partition) →
/// next offset).
pub(crate) fn positions<C: ConsumerContext>(
    c: &BaseConsumer<C>,
) -> std::collections::HashMap<(String, i32), i64> {
    c.position()
        .map(|tpl| {
            tpl.elements()
                .iter()
                .filter_map(|e| match e.offset() {
                    Offset::Offset(o) => Some(((e.topic().to_string(), e.partition()), o)),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::Ends;

    #[test]
    fn a_partition_is_done_at_its_end_and_never_waited_for_when_empty() {
        let mut e = Ends::default();
        e.want("t", 0, 5, 5); // low == high > 0: nothing to read
        e.want("t", 1, 7, 3); // stored beyond the end (an old high): nothing either
        e.want("t", 2, 0, 10);
        e.want("u", 2, 0, 4);
        assert_eq!(e.left().len(), 2);
        e.delivered("t", 2, 8);
        assert_eq!(e.left().len(), 2, "offset 8 is not the last before 10");
        e.delivered("u", 2, 3);
        assert_eq!(
            e.left(),
            &[("t".to_string(), 2, 10)],
            "same partition, other topic"
        );
        // The marker at 9 is never delivered; the position says 10.
        e.reached("t", 2, 10);
        assert!(e.is_empty());
    }
}

//! Any bytes as key and value, on any of the three inbound topics: the decoder must return
//! a record or a quarantine reason, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use purser_core::inbound::{decode, InboundKind};

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let kind = InboundKind::ALL[usize::from(data[0]) % 3];
    let split = 1 + usize::from(data[1]) % data.len().max(1);
    let (key, value) = data[1..].split_at(split.min(data.len() - 1));
    let key = if data[0] & 0x80 == 0 { Some(key) } else { None };
    let value = if data[0] & 0x40 == 0 {
        Some(value)
    } else {
        None
    };
    let _ = decode(kind, key, value, "S1", "EUR");
});

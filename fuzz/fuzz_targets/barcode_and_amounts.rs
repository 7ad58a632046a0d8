//! What a scanner or a cashier types: barcodes and amounts are parsed or refused, never
//! a panic, and an accepted amount formats back to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use purser_core::barcode::Gtin;
use purser_core::Currency;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = Gtin::parse(text);
    for code in ["EUR", "JPY", "KWD"] {
        let c = Currency::from_code(code).expect("known currency");
        if let Ok(m) = c.parse_amount(text) {
            assert_eq!(c.parse_amount(&c.format(m)), Ok(m));
        }
    }
});

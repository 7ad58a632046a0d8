//! GTIN barcodes (EAN-8, UPC-A, EAN-13, GTIN-14) with check-digit validation.
//!
//! Every valid code is normalised to its 14-digit GTIN form, which is what the catalog
//! stores and looks up: a UPC-A `036000291452` and the EAN-13 `0036000291452` are the same
//! product.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BarcodeError {
    #[error("empty barcode")]
    Empty,
    #[error("barcode '{code}' contains '{ch}', but only digits are allowed")]
    NotDigits { code: String, ch: char },
    #[error("barcode '{code}' has {len} digits; expected 8 (EAN-8), 12 (UPC-A), 13 (EAN-13) or 14 (GTIN-14)")]
    BadLength { code: String, len: usize },
    #[error(
        "barcode '{code}' has check digit {got}, but its digits give {expected}: mis-scan or typo"
    )]
    BadCheckDigit { code: String, expected: u8, got: u8 },
}

/// A validated GTIN, normalised to 14 digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Gtin(String);

impl Gtin {
    pub fn parse(input: &str) -> Result<Gtin, BarcodeError> {
        let code = input.trim();
        if code.is_empty() {
            return Err(BarcodeError::Empty);
        }
        if let Some(ch) = code.chars().find(|c| !c.is_ascii_digit()) {
            return Err(BarcodeError::NotDigits {
                code: code.to_string(),
                ch,
            });
        }
        if !matches!(code.len(), 8 | 12 | 13 | 14) {
            return Err(BarcodeError::BadLength {
                code: code.to_string(),
                len: code.len(),
            });
        }
        let digits: Vec<u8> = code.bytes().map(|b| b - b'0').collect();
        let (body, check) = digits.split_at(digits.len() - 1);
        let expected = check_digit(body);
        if expected != check[0] {
            return Err(BarcodeError::BadCheckDigit {
                code: code.to_string(),
                expected,
                got: check[0],
            });
        }
        Ok(Gtin(format!("{code:0>14}")))
    }

    /// The 14-digit form.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The shortest conventional form: EAN-13 for anything that fits, EAN-8 kept as 8.
    pub fn display(&self) -> &str {
        let trimmed = self.0.trim_start_matches('0');
        if trimmed.len() <= 8 && self.0.starts_with("000000") {
            &self.0[6..]
        } else if self.0.starts_with('0') {
            &self.0[1..]
        } else {
            &self.0
        }
    }
}

/// GS1 mod-10 check digit of the digits before it.
pub fn check_digit(body: &[u8]) -> u8 {
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| u32::from(*d) * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    u8::try_from((10 - sum % 10) % 10).unwrap_or(0)
}

/// Builds a valid EAN-13 from 12 body digits (used by the demo catalog and tests).
pub fn ean13_from_body(body12: &str) -> Option<String> {
    if body12.len() != 12 || !body12.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits: Vec<u8> = body12.bytes().map(|b| b - b'0').collect();
    Some(format!("{body12}{}", check_digit(&digits)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_real_codes() {
        // Real retail codes.
        assert_eq!(
            Gtin::parse("4006381333931").unwrap().as_str(),
            "04006381333931"
        );
        assert_eq!(
            Gtin::parse("036000291452").unwrap().as_str(),
            "00036000291452"
        );
        assert_eq!(
            Gtin::parse("0036000291452").unwrap(),
            Gtin::parse("036000291452").unwrap()
        );
        assert_eq!(Gtin::parse("96385074").unwrap().as_str(), "00000096385074");
        assert_eq!(Gtin::parse("96385074").unwrap().display(), "96385074");
        assert_eq!(
            Gtin::parse("4006381333931").unwrap().display(),
            "4006381333931"
        );
    }

    #[test]
    fn refuses_malformed_codes() {
        assert_eq!(Gtin::parse(""), Err(BarcodeError::Empty));
        assert!(matches!(
            Gtin::parse("40063813339X1"),
            Err(BarcodeError::NotDigits { ch: 'X', .. })
        ));
        assert!(matches!(
            Gtin::parse("12345"),
            Err(BarcodeError::BadLength { len: 5, .. })
        ));
        assert!(matches!(
            Gtin::parse("4006381333932"),
            Err(BarcodeError::BadCheckDigit {
                expected: 1,
                got: 2,
                ..
            })
        ));
    }

    proptest::proptest! {
        #[test]
        fn generated_codes_validate(body in "[0-9]{12}") {
            let code = ean13_from_body(&body).unwrap();
            proptest::prop_assert!(Gtin::parse(&code).is_ok());
            // Changing any one digit is always caught by the mod-10 check.
            let last = code.as_bytes()[12] - b'0';
            let wrong = format!("{}{}", &code[..12], (last + 1) % 10);
            proptest::prop_assert!(Gtin::parse(&wrong).is_err());
        }
    }
}

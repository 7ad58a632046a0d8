//! Products as the till sees them.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::barcode::{BarcodeError, Gtin};
use crate::money::{Money, MAX_INPUT_MINOR};

/// How a product is counted at the till.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SoldBy {
    /// Whole units; the price is per unit.
    Unit,
    /// Weighed in grams; the price is per kilogram.
    Weight,
}

impl SoldBy {
    pub fn as_str(self) -> &'static str {
        match self {
            SoldBy::Unit => "unit",
            SoldBy::Weight => "weight",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Product {
    pub sku: String,
    pub name: String,
    /// Barcodes normalised to 14-digit GTINs.
    pub barcodes: Vec<String>,
    /// Price per unit, or per kilogram for weighed products, in minor units.
    pub price: Money,
    pub tax_class: String,
    pub sold_by: SoldBy,
    pub category: Option<String>,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProductError {
    #[error("SKU must be 1-64 characters of letters, digits, '-', '_' or '.': '{0}'")]
    BadSku(String),
    #[error("product {sku}: name must not be empty")]
    EmptyName { sku: String },
    #[error("product {sku}: {source}")]
    Barcode { sku: String, source: BarcodeError },
    #[error("product {sku}: price must be between 0 and {max} minor units")]
    BadPrice { sku: String, max: i64 },
    #[error("product {sku}: tax class must not be empty")]
    EmptyTaxClass { sku: String },
}

pub fn validate_sku(sku: &str) -> Result<(), ProductError> {
    let ok = !sku.is_empty()
        && sku.len() <= 64
        && sku
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(ProductError::BadSku(sku.to_string()))
    }
}

impl Product {
    /// Builds a product from raw input, validating every field and normalising barcodes.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        sku: &str,
        name: &str,
        barcodes: &[&str],
        price: Money,
        tax_class: &str,
        sold_by: SoldBy,
        category: Option<&str>,
        active: bool,
    ) -> Result<Product, ProductError> {
        validate_sku(sku)?;
        if name.trim().is_empty() {
            return Err(ProductError::EmptyName {
                sku: sku.to_string(),
            });
        }
        if price.is_negative() || price.0 > MAX_INPUT_MINOR {
            return Err(ProductError::BadPrice {
                sku: sku.to_string(),
                max: MAX_INPUT_MINOR,
            });
        }
        if tax_class.trim().is_empty() {
            return Err(ProductError::EmptyTaxClass {
                sku: sku.to_string(),
            });
        }
        let mut normalised = Vec::with_capacity(barcodes.len());
        for code in barcodes.iter().filter(|c| !c.trim().is_empty()) {
            let gtin = Gtin::parse(code).map_err(|source| ProductError::Barcode {
                sku: sku.to_string(),
                source,
            })?;
            if !normalised.contains(&gtin.as_str().to_string()) {
                normalised.push(gtin.as_str().to_string());
            }
        }
        Ok(Product {
            sku: sku.to_string(),
            name: name.trim().to_string(),
            barcodes: normalised,
            price,
            tax_class: tax_class.trim().to_string(),
            sold_by,
            category: category
                .map(|c| c.trim().to_string())
                .filter(|c| !c.is_empty()),
            active,
        })
    }
}

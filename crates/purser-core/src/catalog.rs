//! Products as the till sees them, with their modifier groups ("Size: single / double",
//! "Ice: neat / rocks"): the choices a bartender makes when ringing a drink up.

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
    /// Choices made when the product is rung up, in the order the till shows them. Set
    /// through [`Product::with_modifier_groups`], which validates them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub modifier_groups: Vec<ModifierGroup>,
}

/// One choice of a [`ModifierGroup`], e.g. "double" (+4.00) or "rocks" (no change).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ModifierOption {
    /// Unique within its group; 1-64 letters, digits, '-', '_' or '.'.
    pub id: String,
    pub name: String,
    /// Added to the unit price (per kilogram for weighed products) when chosen; may be
    /// negative, but a line's unit price never goes below zero.
    pub price_delta: Money,
}

/// A set of choices for a product, e.g. "Size" (exactly one of single / double) or
/// "Mixer" (up to two of tonic / soda / ginger ale). A group is required when `min` >= 1.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ModifierGroup {
    /// Unique within its product; 1-64 letters, digits, '-', '_' or '.'.
    pub id: String,
    pub name: String,
    /// Fewest options that must be chosen (0 = optional).
    pub min: u32,
    /// Most options that may be chosen (at least 1, at most the number of options).
    pub max: u32,
    pub options: Vec<ModifierOption>,
}

impl ModifierGroup {
    /// At least one option must be chosen.
    pub fn required(&self) -> bool {
        self.min >= 1
    }

    pub fn option(&self, id: &str) -> Option<&ModifierOption> {
        self.options.iter().find(|o| o.id == id)
    }

    /// Checks the group on its own (ids, names, bounds, price changes).
    pub fn validate(&self) -> Result<(), ModifierError> {
        if !valid_id(&self.id) {
            return Err(ModifierError::BadGroupId(self.id.clone()));
        }
        if self.name.trim().is_empty() {
            return Err(ModifierError::EmptyGroupName(self.id.clone()));
        }
        if self.options.is_empty() {
            return Err(ModifierError::NoOptions(self.id.clone()));
        }
        for (i, o) in self.options.iter().enumerate() {
            if !valid_id(&o.id) {
                return Err(ModifierError::BadOptionId {
                    group: self.id.clone(),
                    option: o.id.clone(),
                });
            }
            if self.options[..i].iter().any(|p| p.id == o.id) {
                return Err(ModifierError::DuplicateOption {
                    group: self.id.clone(),
                    option: o.id.clone(),
                });
            }
            if o.name.trim().is_empty() {
                return Err(ModifierError::EmptyOptionName {
                    group: self.id.clone(),
                    option: o.id.clone(),
                });
            }
            if o.price_delta.0.abs() > MAX_INPUT_MINOR {
                return Err(ModifierError::BadDelta {
                    group: self.id.clone(),
                    option: o.id.clone(),
                    max: MAX_INPUT_MINOR,
                });
            }
        }
        if self.min > self.max {
            return Err(ModifierError::MinAboveMax {
                group: self.id.clone(),
                min: self.min,
                max: self.max,
            });
        }
        let options = self.options.len();
        if self.max == 0 || usize::try_from(self.max).map_or(true, |m| m > options) {
            return Err(ModifierError::BadMax {
                group: self.id.clone(),
                max: self.max,
                options,
            });
        }
        Ok(())
    }
}

/// What is wrong with a product's modifier groups, worded for whoever maintains the
/// catalog at headquarters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModifierError {
    #[error(
        "modifier group id must be 1-64 characters of letters, digits, '-', '_' or '.': '{0}'"
    )]
    BadGroupId(String),
    #[error(
        "modifier group '{0}' appears more than once; group ids must be unique within a product"
    )]
    DuplicateGroup(String),
    #[error("modifier group '{0}' needs a name (the bartender sees it)")]
    EmptyGroupName(String),
    #[error("modifier group '{0}' has no options")]
    NoOptions(String),
    #[error("modifier group '{group}': option id must be 1-64 characters of letters, digits, '-', '_' or '.': '{option}'")]
    BadOptionId { group: String, option: String },
    #[error("modifier group '{group}' lists option '{option}' more than once; option ids must be unique within a group")]
    DuplicateOption { group: String, option: String },
    #[error("modifier group '{group}': option '{option}' needs a name (the bartender sees it)")]
    EmptyOptionName { group: String, option: String },
    #[error("modifier group '{group}': min {min} is more than max {max}")]
    MinAboveMax { group: String, min: u32, max: u32 },
    #[error("modifier group '{group}': max {max} must be at least 1 and at most its number of options ({options})")]
    BadMax {
        group: String,
        max: u32,
        options: usize,
    },
    #[error("modifier group '{group}': the price change of option '{option}' must be between -{max} and {max} minor units")]
    BadDelta {
        group: String,
        option: String,
        max: i64,
    },
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
    #[error("product {sku}: {source}")]
    Modifier { sku: String, source: ModifierError },
}

/// The shape of SKUs, modifier and price-rule ids: 1-64 letters, digits, '-', '_' or '.'.
pub(crate) fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

pub fn validate_sku(sku: &str) -> Result<(), ProductError> {
    if valid_id(sku) {
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
            modifier_groups: Vec::new(),
        })
    }

    /// The product with these modifier groups, validated: ids well formed and unique
    /// (groups within the product, options within their group), names not empty,
    /// 0 <= min <= max, 1 <= max <= number of options, each price change within
    /// ±[`MAX_INPUT_MINOR`]. Names are trimmed.
    pub fn with_modifier_groups(
        mut self,
        groups: Vec<ModifierGroup>,
    ) -> Result<Product, ProductError> {
        let err = |source| ProductError::Modifier {
            sku: self.sku.clone(),
            source,
        };
        let mut checked: Vec<ModifierGroup> = Vec::with_capacity(groups.len());
        for mut g in groups {
            g.validate().map_err(err)?;
            if checked.iter().any(|c| c.id == g.id) {
                return Err(err(ModifierError::DuplicateGroup(g.id)));
            }
            g.name = g.name.trim().to_string();
            for o in &mut g.options {
                o.name = o.name.trim().to_string();
            }
            checked.push(g);
        }
        self.modifier_groups = checked;
        Ok(self)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn opt(id: &str, delta: i64) -> ModifierOption {
        ModifierOption {
            id: id.into(),
            name: id.into(),
            price_delta: Money(delta),
        }
    }

    pub(crate) fn group(
        id: &str,
        min: u32,
        max: u32,
        options: Vec<ModifierOption>,
    ) -> ModifierGroup {
        ModifierGroup {
            id: id.into(),
            name: id.into(),
            min,
            max,
            options,
        }
    }

    fn gin() -> Product {
        Product::new(
            "GIN",
            "Gin",
            &[],
            Money(800),
            "standard",
            SoldBy::Unit,
            Some("Spirits"),
            true,
        )
        .unwrap()
    }

    fn refused(groups: Vec<ModifierGroup>) -> ModifierError {
        match gin().with_modifier_groups(groups) {
            Err(ProductError::Modifier { sku, source }) => {
                assert_eq!(sku, "GIN");
                source
            }
            other => panic!("expected a modifier error, got {other:?}"),
        }
    }

    #[test]
    fn modifier_groups_are_validated() {
        let size = group("size", 1, 1, vec![opt("single", 0), opt("double", 400)]);
        let ice = group("ice", 0, 1, vec![opt("neat", 0), opt("rocks", 0)]);
        let p = gin()
            .with_modifier_groups(vec![size.clone(), ice.clone()])
            .unwrap();
        assert_eq!(p.modifier_groups.len(), 2);
        assert!(p.modifier_groups[0].required() && !p.modifier_groups[1].required());
        assert_eq!(
            p.modifier_groups[0].option("double").map(|o| o.price_delta),
            Some(Money(400))
        );

        assert_eq!(
            refused(vec![size.clone(), size.clone()]),
            ModifierError::DuplicateGroup("size".into())
        );
        assert_eq!(
            refused(vec![group("si ze", 0, 1, vec![opt("a", 0)])]),
            ModifierError::BadGroupId("si ze".into())
        );
        assert_eq!(
            refused(vec![group("", 0, 1, vec![opt("a", 0)])]),
            ModifierError::BadGroupId(String::new())
        );
        let mut unnamed = size.clone();
        unnamed.name = "  ".into();
        assert_eq!(
            refused(vec![unnamed]),
            ModifierError::EmptyGroupName("size".into())
        );
        assert_eq!(
            refused(vec![group("size", 0, 1, vec![])]),
            ModifierError::NoOptions("size".into())
        );
        assert!(matches!(
            refused(vec![group("size", 0, 1, vec![opt("a/b", 0)])]),
            ModifierError::BadOptionId { .. }
        ));
        assert_eq!(
            refused(vec![group("size", 0, 1, vec![opt("a", 0), opt("a", 5)])]),
            ModifierError::DuplicateOption {
                group: "size".into(),
                option: "a".into()
            }
        );
        let mut nameless = opt("a", 0);
        nameless.name = String::new();
        assert!(matches!(
            refused(vec![group("size", 0, 1, vec![nameless])]),
            ModifierError::EmptyOptionName { .. }
        ));
        assert_eq!(
            refused(vec![group("size", 2, 1, vec![opt("a", 0), opt("b", 0)])]),
            ModifierError::MinAboveMax {
                group: "size".into(),
                min: 2,
                max: 1
            }
        );
        assert_eq!(
            refused(vec![group("size", 0, 0, vec![opt("a", 0)])]),
            ModifierError::BadMax {
                group: "size".into(),
                max: 0,
                options: 1
            }
        );
        assert!(matches!(
            refused(vec![group("size", 0, 3, vec![opt("a", 0), opt("b", 0)])]),
            ModifierError::BadMax {
                max: 3,
                options: 2,
                ..
            }
        ));
        assert!(matches!(
            refused(vec![group(
                "size",
                0,
                1,
                vec![opt("a", MAX_INPUT_MINOR + 1)]
            )]),
            ModifierError::BadDelta { .. }
        ));
        assert!(gin()
            .with_modifier_groups(vec![group(
                "size",
                0,
                1,
                vec![opt("small", -MAX_INPUT_MINOR)]
            )])
            .is_ok());
        // The message names the product, the group and what to fix.
        let e = gin()
            .with_modifier_groups(vec![group("size", 0, 3, vec![opt("a", 0)])])
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "product GIN: modifier group 'size': max 3 must be at least 1 and at most its number of options (1)"
        );
    }

    #[test]
    fn a_product_without_modifiers_serialises_as_before() {
        let json = serde_json::to_value(gin()).unwrap();
        assert!(json.get("modifier_groups").is_none());
        let back: Product = serde_json::from_value(json).unwrap();
        assert_eq!(back, gin());
    }
}

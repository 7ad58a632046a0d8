//! Catalog files: CSV or JSON, validated whole before anything is written.
//!
//! CSV header: `sku,name,barcodes,price,tax_class,sold_by,category,active` — `barcodes`
//! separated by `|` or spaces, `price` in major units (`3.50`; per kg for weighed items),
//! `sold_by` `unit` or `weight`, `active` `true`/`false` (default true).
//! JSON: an array of objects with the same fields (`barcodes` an array, `price` a string).

use std::path::Path;

use serde::Deserialize;

use purser_core::catalog::{Product, SoldBy};
use purser_core::Currency;

use crate::error::{AppError, AppResult};

#[derive(Debug, Deserialize)]
struct CsvRow {
    sku: String,
    name: String,
    #[serde(default)]
    barcodes: String,
    price: String,
    tax_class: String,
    #[serde(default)]
    sold_by: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    active: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonRow {
    sku: String,
    name: String,
    #[serde(default)]
    barcodes: Vec<String>,
    price: serde_json::Value,
    tax_class: String,
    #[serde(default)]
    sold_by: Option<String>,
    #[serde(default)]
    category: Option<String>,
    #[serde(default)]
    active: Option<bool>,
}

fn sold_by(s: &str) -> Result<SoldBy, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "" | "unit" | "each" => Ok(SoldBy::Unit),
        "weight" | "kg" => Ok(SoldBy::Weight),
        other => Err(format!("sold_by '{other}' must be 'unit' or 'weight'")),
    }
}

fn active(s: &str) -> Result<bool, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "" | "true" | "yes" | "1" => Ok(true),
        "false" | "no" | "0" => Ok(false),
        other => Err(format!("active '{other}' must be true or false")),
    }
}

/// Reads and validates a whole catalog file; any bad row fails the whole file, listing
/// (up to 20 of) the problems with their line numbers.
pub fn read_catalog(
    path: &Path,
    currency: &Currency,
    known_tax_classes: &[String],
) -> AppResult<Vec<Product>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| AppError::invalid(format!("cannot read {}: {e}", path.display())))?;
    let is_json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
        || text.trim_start().starts_with('[');
    let mut products = Vec::new();
    let mut problems: Vec<String> = Vec::new();
    let mut check = |where_: String, r: Result<Product, String>| match r {
        Ok(p) if !known_tax_classes.contains(&p.tax_class) => problems.push(format!(
            "{where_}: tax class '{}' is not configured for this store",
            p.tax_class
        )),
        Ok(p) => products.push(p),
        Err(e) => problems.push(format!("{where_}: {e}")),
    };
    if is_json {
        let rows: Vec<JsonRow> = serde_json::from_str(&text)
            .map_err(|e| AppError::invalid(format!("{}: {e}", path.display())))?;
        for (i, r) in rows.into_iter().enumerate() {
            let price = match &r.price {
                serde_json::Value::String(s) => currency.parse_amount(s).map_err(|e| e.to_string()),
                serde_json::Value::Number(n) if n.is_u64() => currency
                    .parse_amount(&n.to_string())
                    .map_err(|e| e.to_string()),
                _ => Err("price must be a string such as \"3.50\" (or a whole number)".to_string()),
            };
            let barcodes: Vec<&str> = r.barcodes.iter().map(String::as_str).collect();
            let built = price.and_then(|price| {
                let sb = sold_by(r.sold_by.as_deref().unwrap_or(""))?;
                Product::new(
                    &r.sku,
                    &r.name,
                    &barcodes,
                    price,
                    &r.tax_class,
                    sb,
                    r.category.as_deref(),
                    r.active.unwrap_or(true),
                )
                .map_err(|e| e.to_string())
            });
            check(format!("item {}", i + 1), built);
        }
    } else {
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        for (i, rec) in reader.deserialize::<CsvRow>().enumerate() {
            let line = i + 2;
            let built = rec.map_err(|e| e.to_string()).and_then(|r| {
                let price = currency.parse_amount(&r.price).map_err(|e| e.to_string())?;
                let barcodes: Vec<&str> = r
                    .barcodes
                    .split(['|', ' '])
                    .filter(|b| !b.is_empty())
                    .collect();
                let category = (!r.category.is_empty()).then_some(r.category.as_str());
                Product::new(
                    &r.sku,
                    &r.name,
                    &barcodes,
                    price,
                    &r.tax_class,
                    sold_by(&r.sold_by)?,
                    category,
                    active(&r.active)?,
                )
                .map_err(|e| e.to_string())
            });
            check(format!("line {line}"), built);
        }
    }
    if !problems.is_empty() {
        let n = problems.len();
        problems.truncate(20);
        return Err(AppError::invalid(format!(
            "{} has {n} bad row(s); nothing was imported:\n  {}",
            path.display(),
            problems.join("\n  ")
        )));
    }
    if products.is_empty() {
        return Err(AppError::invalid(format!(
            "{} holds no products",
            path.display()
        )));
    }
    let mut skus: Vec<&str> = products.iter().map(|p| p.sku.as_str()).collect();
    skus.sort_unstable();
    if let Some(w) = skus.windows(2).find(|w| w[0] == w[1]) {
        return Err(AppError::invalid(format!(
            "SKU {} appears twice; nothing was imported",
            w[0]
        )));
    }
    Ok(products)
}

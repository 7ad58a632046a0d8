//! The touch screen's category grid: categories of active products and their products.

use rusqlite::params;

use purser_core::catalog::Product;

use crate::catalog::{product_from_row, SELECT_PRODUCT};
use crate::error::Result;
use crate::Store;

impl Store {
    /// Categories of active products with how many each holds, by name.
    pub fn categories(&self) -> Result<Vec<(String, i64)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT category, count(*) FROM products WHERE active = 1 AND category IS NOT NULL AND category <> ''
             GROUP BY category ORDER BY category",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Active products of one category, by name.
    pub fn products_in_category(&self, category: &str, limit: usize) -> Result<Vec<Product>> {
        let sql = format!(
            "{SELECT_PRODUCT} WHERE p.active = 1 AND p.category = ?1 ORDER BY p.name LIMIT ?2"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(
            params![category, i64::try_from(limit).unwrap_or(200)],
            product_from_row,
        )?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }
}

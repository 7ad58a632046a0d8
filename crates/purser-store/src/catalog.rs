//! The till's product table (fed by `purser catalog import` until the catalog stream).

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Row};

use purser_core::catalog::{Product, SoldBy};
use purser_core::Money;

use crate::error::Result;
use crate::time::format_ts;
use crate::Store;

pub(crate) fn product_from_row(r: &Row<'_>) -> rusqlite::Result<Product> {
    let sold_by: String = r.get(4)?;
    let barcodes: Option<String> = r.get(7)?;
    Ok(Product {
        sku: r.get(0)?,
        name: r.get(1)?,
        price: Money(r.get(2)?),
        tax_class: r.get(3)?,
        sold_by: if sold_by == "weight" {
            SoldBy::Weight
        } else {
            SoldBy::Unit
        },
        category: r.get(5)?,
        active: r.get(6)?,
        barcodes: barcodes
            .map(|b| b.split(',').map(str::to_string).collect())
            .unwrap_or_default(),
        modifier_groups: match r.get::<_, Option<String>>(8)? {
            Some(json) => serde_json::from_str(&json).map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(
                    8,
                    rusqlite::types::Type::Text,
                    Box::new(e),
                )
            })?,
            None => Vec::new(),
        },
    })
}

pub(crate) const SELECT_PRODUCT: &str = "SELECT p.sku, p.name, p.price, p.tax_class, p.sold_by, p.category, p.active,
        (SELECT group_concat(gtin, ',') FROM product_barcodes b WHERE b.sku = p.sku), p.modifier_groups FROM products p";

pub(crate) fn upsert_products_in(
    tx: &rusqlite::Transaction<'_>,
    products: &[Product],
    now: DateTime<Utc>,
) -> Result<()> {
    let at = format_ts(now);
    let mut up = tx.prepare_cached(
        "INSERT INTO products (sku, name, price, tax_class, sold_by, category, active, updated_at, modifier_groups)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT(sku) DO UPDATE SET name = excluded.name, price = excluded.price, tax_class = excluded.tax_class,
           sold_by = excluded.sold_by, category = excluded.category, active = excluded.active, updated_at = excluded.updated_at,
           modifier_groups = excluded.modifier_groups",
    )?;
    let mut del = tx.prepare_cached("DELETE FROM product_barcodes WHERE sku = ?1")?;
    let mut have =
        tx.prepare_cached("SELECT gtin FROM product_barcodes WHERE sku = ?1 ORDER BY gtin")?;
    let mut bc =
        tx.prepare_cached("INSERT OR REPLACE INTO product_barcodes (gtin, sku) VALUES (?1, ?2)")?;
    for p in products {
        up.execute(params![
            p.sku,
            p.name,
            p.price.0,
            p.tax_class,
            p.sold_by.as_str(),
            p.category,
            p.active,
            at,
            if p.modifier_groups.is_empty() {
                None
            } else {
                Some(serde_json::to_string(&p.modifier_groups)?)
            },
        ])?;
        // Most updates change a price, not the barcodes: touch them only when they differ.
        let current: Vec<String> = have
            .query_map(params![p.sku], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let mut wanted = p.barcodes.clone();
        wanted.sort_unstable();
        if current != wanted {
            del.execute(params![p.sku])?;
            for g in &p.barcodes {
                bc.execute(params![g, p.sku])?;
            }
        }
    }
    Ok(())
}

impl Store {
    /// The happy-hour price rules the catalog stream brought, by id.
    pub fn price_rules(&self) -> Result<Vec<purser_core::pricing::PriceRule>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT rule FROM price_rules ORDER BY rule_id")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for json in rows {
            out.push(serde_json::from_str(&json?)?);
        }
        Ok(out)
    }
}

/// The search index's triggers, taken off `products` for a bulk load.
#[must_use = "give the triggers back with resume_search_index"]
pub(crate) struct PausedIndex(Vec<String>);

/// Drops the search index triggers for the rest of `tx`, for a bulk load that ends with
/// `resume_search_index` in the same transaction (see migration v4). DDL is
/// transactional: if anything fails, the rollback puts the triggers back.
pub(crate) fn pause_search_index(tx: &rusqlite::Transaction<'_>) -> Result<PausedIndex> {
    let triggers = tx
        .prepare(
            "SELECT name, sql FROM sqlite_master
             WHERE type = 'trigger' AND tbl_name = 'products' AND name LIKE 'products_fts%'",
        )?
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    for (name, _) in &triggers {
        tx.execute_batch(&format!("DROP TRIGGER \"{}\"", name.replace('"', "\"\"")))?;
    }
    Ok(PausedIndex(
        triggers.into_iter().map(|(_, sql)| sql).collect(),
    ))
}

/// Puts the triggers back as they were and rebuilds the index from `products` in one pass
/// (only if there were triggers: without them there is no index to keep, as in the
/// baseline of `purser bench search`).
pub(crate) fn resume_search_index(
    tx: &rusqlite::Transaction<'_>,
    paused: PausedIndex,
) -> Result<()> {
    if paused.0.is_empty() {
        return Ok(());
    }
    for sql in &paused.0 {
        tx.execute_batch(sql)?;
    }
    tx.execute_batch("INSERT INTO products_fts (products_fts) VALUES ('rebuild')")?;
    Ok(())
}

/// Below this many products an import updates the search index row by row.
const BULK_IMPORT: usize = 1000;

impl Store {
    /// Inserts or replaces products (and their barcodes) in one transaction. A large
    /// import (at least 1000 products and an eighth of the catalog) rebuilds the search
    /// index once at the end instead of row by row.
    pub fn upsert_products(&mut self, products: &[Product], now: DateTime<Utc>) -> Result<usize> {
        let bulk = products.len() >= BULK_IMPORT
            && products.len().saturating_mul(8)
                >= usize::try_from(self.product_count()?).unwrap_or(usize::MAX);
        let tx = self.conn.transaction()?;
        let paused = if bulk {
            Some(pause_search_index(&tx)?)
        } else {
            None
        };
        upsert_products_in(&tx, products, now)?;
        if let Some(paused) = paused {
            resume_search_index(&tx, paused)?;
        }
        tx.commit()?;
        Ok(products.len())
    }

    /// Rebuilds the product search index from the products table (after a VACUUM, or to
    /// repair it); the triggers keep it in step otherwise.
    pub fn rebuild_search_index(&mut self) -> Result<()> {
        self.conn
            .execute_batch("INSERT INTO products_fts (products_fts) VALUES ('rebuild')")?;
        Ok(())
    }

    pub fn product_by_sku(&self, sku: &str) -> Result<Option<Product>> {
        let sql = format!("{SELECT_PRODUCT} WHERE p.sku = ?1");
        Ok(self
            .conn
            .prepare_cached(&sql)?
            .query_row(params![sku], product_from_row)
            .optional()?)
    }

    /// Looks a product up by its normalised 14-digit GTIN.
    pub fn product_by_gtin(&self, gtin14: &str) -> Result<Option<Product>> {
        let sql =
            format!("{SELECT_PRODUCT} JOIN product_barcodes x ON x.sku = p.sku WHERE x.gtin = ?1");
        Ok(self
            .conn
            .prepare_cached(&sql)?
            .query_row(params![gtin14], product_from_row)
            .optional()?)
    }

    /// Active products matching every word of `text` as a prefix of a word of their name
    /// or SKU (case- and accent-insensitive), best match first (bm25), then by name. A
    /// single word of one or two characters matches too much for a ranking to mean
    /// anything (half the catalog for one letter, where bm25 is the whole cost): those
    /// list by name. Blank text lists active products by name. Any text is safe: it is
    /// never parsed as FTS5 syntax (see `fts_query`).
    pub fn search_products(&self, text: &str, limit: usize) -> Result<Vec<Product>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        if text.trim().is_empty() {
            let sql = format!("{SELECT_PRODUCT} WHERE p.active = 1 ORDER BY p.name LIMIT ?1");
            let mut stmt = self.conn.prepare_cached(&sql)?;
            let rows = stmt.query_map(params![limit], product_from_row)?;
            return Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?);
        }
        let Some((query, ranked)) = fts_query(text) else {
            return Ok(Vec::new());
        };
        let order = if ranked { "f.rank, p.name" } else { "p.name" };
        let sql = format!(
            "{SELECT_PRODUCT} JOIN products_fts f ON f.rowid = p.rowid
             WHERE products_fts MATCH ?1 AND p.active = 1 ORDER BY {order} LIMIT ?2"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![query, limit], product_from_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    pub fn product_count(&self) -> Result<u64> {
        Ok(self
            .conn
            .query_row("SELECT count(*) FROM products", [], |r| r.get(0))?)
    }
}

/// The FTS5 query for what a cashier typed: each word becomes a quoted prefix term
/// (`"word"*`), AND-ed. Quoting means nothing typed is FTS5 syntax (`AND`, `NEAR`, `*`,
/// `:`, `^`, parentheses); a quote inside a word is doubled. Words are cut at anything
/// that is not a letter or digit, as the `unicode61` tokenizer does, so a word that is
/// only punctuation adds nothing. `None` when nothing searchable is left; otherwise the
/// query and whether it is specific enough to rank (more than one word, or one of three
/// characters or more).
pub(crate) fn fts_query(text: &str) -> Option<(String, bool)> {
    let mut query = String::new();
    let mut words = 0;
    let mut longest = 0;
    for word in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        words += 1;
        longest = longest.max(word.chars().count());
        if !query.is_empty() {
            query.push_str(" AND ");
        }
        query.push('"');
        query.push_str(&word.replace('"', "\"\""));
        query.push_str("\"*");
    }
    (words > 0).then_some((query, words > 1 || longest >= 3))
}

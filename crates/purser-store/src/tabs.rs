//! Tabs and parked tickets on this till (`purser_core::tab`): the `tabs` table. Rows are
//! written only inside an `Action`, together with the `tab.*` event that says the same, so
//! the row and the journal never disagree. A tab handed over to another till keeps its
//! row here, closed with outcome `moved`; one taken over from another till gets a row (or
//! its old row back) at the version its `tab.opened` names (migration v8).

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use uuid::Uuid;

use purser_core::cart::Cart;
use purser_core::tab::TabKind;
use purser_core::Money;

use crate::action::Action;
use crate::error::{Result, StoreError};
use crate::time::{format_ts, parse_ts};
use crate::Store;

/// One tab as the till holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TabRow {
    pub tab_id: Uuid,
    pub kind: TabKind,
    pub label: String,
    pub member_id: Option<String>,
    pub version: u32,
    pub cart: Cart,
    /// Lines given to the member as rewards for points.
    pub rewards: Vec<u32>,
    /// What the ticket came to at its last change, in minor units.
    pub total: Money,
    pub opened_at: DateTime<Utc>,
    pub opened_by: String,
    pub updated_at: DateTime<Utc>,
    pub served_by: String,
    /// Set once the tab is paid, cancelled or handed over to another till.
    pub closed_at: Option<DateTime<Utc>>,
    /// `paid`, `cancelled` or `moved`.
    pub outcome: Option<String>,
    pub sale_id: Option<Uuid>,
    /// The version this till got the tab at: 1 when it opened it, the version of its
    /// `tab.opened` when it took it over from another till.
    pub held_since: u32,
    /// The till it was taken over from (the latest time).
    pub moved_from: Option<String>,
    /// The till it was handed over to (outcome `moved`).
    pub moved_to: Option<String>,
}

const COLUMNS: &str = "tab_id, kind, label, member_id, version, cart, rewards, total, opened_at, opened_by, updated_at, served_by, closed_at, outcome, sale_id, held_since, moved_from, moved_to";

/// A row as stored, before its text is checked.
struct Raw {
    tab_id: String,
    kind: String,
    label: String,
    member_id: Option<String>,
    version: u32,
    cart: String,
    rewards: String,
    total: i64,
    opened_at: String,
    opened_by: String,
    updated_at: String,
    served_by: String,
    closed_at: Option<String>,
    outcome: Option<String>,
    sale_id: Option<String>,
    held_since: u32,
    moved_from: Option<String>,
    moved_to: Option<String>,
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Raw> {
    Ok(Raw {
        tab_id: r.get(0)?,
        kind: r.get(1)?,
        label: r.get(2)?,
        member_id: r.get(3)?,
        version: r.get(4)?,
        cart: r.get(5)?,
        rewards: r.get(6)?,
        total: r.get(7)?,
        opened_at: r.get(8)?,
        opened_by: r.get(9)?,
        updated_at: r.get(10)?,
        served_by: r.get(11)?,
        closed_at: r.get(12)?,
        outcome: r.get(13)?,
        sale_id: r.get(14)?,
        held_since: r.get(15)?,
        moved_from: r.get(16)?,
        moved_to: r.get(17)?,
    })
}

fn uuid(s: &str) -> Result<Uuid> {
    Uuid::parse_str(s).map_err(|e| StoreError::Corrupt(format!("bad id '{s}' in tabs: {e}")))
}

fn parse(r: Raw) -> Result<TabRow> {
    Ok(TabRow {
        tab_id: uuid(&r.tab_id)?,
        kind: TabKind::parse(&r.kind)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown tab kind '{}'", r.kind)))?,
        label: r.label,
        member_id: r.member_id,
        version: r.version,
        cart: serde_json::from_str(&r.cart)?,
        rewards: serde_json::from_str(&r.rewards)?,
        total: Money(r.total),
        opened_at: parse_ts(&r.opened_at)?,
        opened_by: r.opened_by,
        updated_at: parse_ts(&r.updated_at)?,
        served_by: r.served_by,
        closed_at: r.closed_at.as_deref().map(parse_ts).transpose()?,
        outcome: r.outcome,
        sale_id: r.sale_id.as_deref().map(uuid).transpose()?,
        held_since: r.held_since,
        moved_from: r.moved_from,
        moved_to: r.moved_to,
    })
}

fn query(conn: &Connection, filter: &str, args: &[&dyn rusqlite::ToSql]) -> Result<Vec<TabRow>> {
    let sql = format!("SELECT {COLUMNS} FROM tabs {filter}");
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt
        .query_map(args, row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter().map(parse).collect()
}

fn by_id(conn: &Connection, tab_id: Uuid) -> Result<Option<TabRow>> {
    let cols = conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM tabs WHERE tab_id = ?1"))?
        .query_row(params![tab_id.to_string()], row)
        .optional()?;
    cols.map(parse).transpose()
}

impl Store {
    /// The tabs and parked tickets still open on this till, oldest first.
    pub fn open_tabs(&self) -> Result<Vec<TabRow>> {
        query(
            &self.conn,
            "WHERE closed_at IS NULL ORDER BY opened_at, tab_id",
            &[],
        )
    }

    pub fn tab(&self, tab_id: Uuid) -> Result<Option<TabRow>> {
        by_id(&self.conn, tab_id)
    }
}

impl Action<'_> {
    /// The tab as this transaction sees it.
    pub fn tab(&self, tab_id: Uuid) -> Result<Option<TabRow>> {
        by_id(self.conn(), tab_id)
    }

    /// Writes a tab as it now stands: a new one, or the next version of an open one.
    pub fn put_tab(&mut self, t: &TabRow) -> Result<()> {
        let cart = serde_json::to_string(&t.cart)?;
        let rewards = serde_json::to_string(&t.rewards)?;
        self.conn()
            .prepare_cached(&format!(
                "INSERT INTO tabs ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)
                 ON CONFLICT (tab_id) DO UPDATE SET kind = excluded.kind, label = excluded.label,
                   member_id = excluded.member_id, version = excluded.version, cart = excluded.cart, rewards = excluded.rewards,
                   total = excluded.total, opened_at = excluded.opened_at, opened_by = excluded.opened_by,
                   updated_at = excluded.updated_at, served_by = excluded.served_by,
                   closed_at = excluded.closed_at, outcome = excluded.outcome, sale_id = excluded.sale_id,
                   held_since = excluded.held_since, moved_from = excluded.moved_from, moved_to = excluded.moved_to"
            ))?
            .execute(params![
                t.tab_id.to_string(),
                t.kind.as_str(),
                t.label,
                t.member_id,
                t.version,
                cart,
                rewards,
                t.total.0,
                format_ts(t.opened_at),
                t.opened_by,
                format_ts(t.updated_at),
                t.served_by,
                t.closed_at.map(format_ts),
                t.outcome,
                t.sale_id.map(|s| s.to_string()),
                t.held_since,
                t.moved_from,
                t.moved_to,
            ])?;
        Ok(())
    }
}

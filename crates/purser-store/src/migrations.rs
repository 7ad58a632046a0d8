//! Versioned schema migrations, run at open. `PRAGMA user_version` holds the version; a
//! database newer than this binary is refused before anything is touched.

use rusqlite::Connection;

use crate::error::{Result, StoreError};

/// Each entry moves the schema from version `i` to `i + 1`.
pub const MIGRATIONS: &[&str] = &[
    // v1: the till's record.
    r#"
    CREATE TABLE till (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        store_id TEXT NOT NULL,
        till_id TEXT NOT NULL,
        currency TEXT NOT NULL,
        currency_exponent INTEGER NOT NULL,
        tax_mode TEXT NOT NULL,
        created_at TEXT NOT NULL,
        next_till_seq INTEGER NOT NULL DEFAULT 1,
        next_receipt_no INTEGER NOT NULL DEFAULT 1,
        journal_head_seq INTEGER NOT NULL DEFAULT 0,
        journal_head_hash TEXT NOT NULL DEFAULT '',
        -- every outbox row up to here is acknowledged (see outbox_acks)
        outbox_acked_through INTEGER NOT NULL DEFAULT 0,
        -- the relay's last delivery error, cleared by the next acknowledgement
        outbox_last_error TEXT
    );
    CREATE TABLE products (
        sku TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        price INTEGER NOT NULL CHECK (price >= 0),
        tax_class TEXT NOT NULL,
        sold_by TEXT NOT NULL CHECK (sold_by IN ('unit', 'weight')),
        category TEXT,
        active INTEGER NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX products_name ON products(name COLLATE NOCASE);
    CREATE TABLE product_barcodes (
        gtin TEXT PRIMARY KEY,
        sku TEXT NOT NULL REFERENCES products(sku) ON DELETE CASCADE
    );
    CREATE INDEX product_barcodes_sku ON product_barcodes(sku);
    CREATE TABLE shifts (
        shift_id TEXT PRIMARY KEY,
        cashier_id TEXT NOT NULL,
        business_date TEXT NOT NULL,
        opened_at TEXT NOT NULL,
        opening_float INTEGER NOT NULL,
        closed_at TEXT,
        counted_cash INTEGER,
        report_kind TEXT,
        report TEXT
    );
    CREATE UNIQUE INDEX shifts_one_open ON shifts((closed_at IS NULL)) WHERE closed_at IS NULL;
    CREATE TABLE sales (
        sale_id TEXT PRIMARY KEY,
        receipt_no TEXT NOT NULL UNIQUE,
        shift_id TEXT NOT NULL REFERENCES shifts(shift_id),
        cashier_id TEXT NOT NULL,
        occurred_at TEXT NOT NULL,
        business_date TEXT NOT NULL,
        total INTEGER NOT NULL,
        tax_total INTEGER NOT NULL,
        discount_total INTEGER NOT NULL,
        cash_rounding INTEGER NOT NULL,
        change_given INTEGER NOT NULL,
        till_seq INTEGER NOT NULL,
        voided_at TEXT,
        void_reason TEXT,
        voided_by TEXT
    ) WITHOUT ROWID;
    CREATE INDEX sales_shift ON sales(shift_id);
    -- A sale's lines and tenders are read from its journal entry (the till's record);
    -- `sales` and `tenders` are the indexes reports and refunds query.
    CREATE TABLE refunds (
        refund_id TEXT PRIMARY KEY,
        receipt_no TEXT NOT NULL UNIQUE,
        sale_id TEXT NOT NULL REFERENCES sales(sale_id),
        shift_id TEXT NOT NULL REFERENCES shifts(shift_id),
        occurred_at TEXT NOT NULL,
        total INTEGER NOT NULL,
        tax_total INTEGER NOT NULL,
        cash_rounding INTEGER NOT NULL,
        reason TEXT NOT NULL,
        approved_by TEXT,
        till_seq INTEGER NOT NULL
    );
    CREATE INDEX refunds_sale ON refunds(sale_id);
    CREATE INDEX refunds_shift ON refunds(shift_id);
    CREATE TABLE refund_lines (
        refund_id TEXT NOT NULL REFERENCES refunds(refund_id),
        sale_id TEXT NOT NULL,
        line_no INTEGER NOT NULL,
        qty INTEGER NOT NULL CHECK (qty > 0),
        amount INTEGER NOT NULL,
        tax INTEGER NOT NULL,
        PRIMARY KEY (refund_id, line_no)
    ) WITHOUT ROWID;
    CREATE INDEX refund_lines_sale ON refund_lines(sale_id, line_no);
    CREATE TABLE tenders (
        owner_id TEXT NOT NULL,
        owner_kind TEXT NOT NULL CHECK (owner_kind IN ('sale', 'refund')),
        idx INTEGER NOT NULL,
        shift_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        amount INTEGER NOT NULL,
        offline_card INTEGER NOT NULL DEFAULT 0,
        detail TEXT NOT NULL,
        PRIMARY KEY (shift_id, owner_id, idx)
    ) WITHOUT ROWID;
    CREATE TABLE drawer_opens (
        event_id TEXT PRIMARY KEY,
        shift_id TEXT NOT NULL,
        occurred_at TEXT NOT NULL,
        reason TEXT NOT NULL,
        approved_by TEXT
    );
    CREATE TABLE journal (
        till_seq INTEGER PRIMARY KEY,
        event_id TEXT NOT NULL UNIQUE,
        event_type TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        body TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
    );
    -- event_id is unique through the journal row written in the same transaction.
    CREATE TABLE outbox (
        till_seq INTEGER PRIMARY KEY,
        event_id TEXT NOT NULL,
        topic TEXT NOT NULL,
        key TEXT NOT NULL,
        event_type TEXT NOT NULL,
        payload TEXT NOT NULL,
        headers TEXT NOT NULL,
        created_at TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT
    );
    -- One narrow row per event the broker acknowledged as persisted. Kept apart from the
    -- wide outbox rows so that marking an event published is an append, not a rewrite.
    -- Every till_seq up to till.outbox_acked_through is acknowledged.
    CREATE TABLE outbox_acks (
        till_seq INTEGER PRIMARY KEY REFERENCES outbox(till_seq) ON DELETE CASCADE,
        published_at TEXT NOT NULL,
        partition INTEGER NOT NULL,
        "offset" INTEGER NOT NULL
    );
    -- The outbox as the design brief describes it: published_at is null until acknowledged.
    CREATE VIEW outbox_rows AS
        SELECT o.*, a.published_at, a.partition, a."offset"
        FROM outbox o LEFT JOIN outbox_acks a ON a.till_seq = o.till_seq;
    "#,
    // v2: what the till reads from the store's cluster (catalog goes into `products`).
    r#"
    CREATE TABLE stock (
        sku TEXT PRIMARY KEY,
        on_hand INTEGER NOT NULL,
        low_stock_at INTEGER NOT NULL,
        updated_at TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE members (
        member_id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        phone TEXT,
        email TEXT,
        tier TEXT NOT NULL,
        points_balance INTEGER NOT NULL,
        status TEXT NOT NULL,
        account_kind TEXT,
        account_id TEXT,
        offline_limit INTEGER,
        updated_at TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX members_account ON members(account_id) WHERE account_id IS NOT NULL;
    CREATE INDEX members_phone ON members(phone) WHERE phone IS NOT NULL;
    CREATE INDEX members_email ON members(email COLLATE NOCASE) WHERE email IS NOT NULL;
    CREATE TABLE member_cards (
        card_id TEXT PRIMARY KEY,
        member_id TEXT NOT NULL REFERENCES members(member_id) ON DELETE CASCADE
    ) WITHOUT ROWID;
    CREATE INDEX member_cards_member ON member_cards(member_id);
    -- Consumed positions, written in the same transaction as the rows they produced.
    CREATE TABLE stream_offsets (
        topic TEXT NOT NULL,
        partition INTEGER NOT NULL,
        next_offset INTEGER NOT NULL,
        PRIMARY KEY (topic, partition)
    ) WITHOUT ROWID;
    CREATE TABLE stream_state (
        topic TEXT PRIMARY KEY,
        applied_total INTEGER NOT NULL DEFAULT 0,
        last_applied_at TEXT,
        rebuilds INTEGER NOT NULL DEFAULT 0,
        last_rebuild_at TEXT
    ) WITHOUT ROWID;
    CREATE TABLE quarantine (
        id INTEGER PRIMARY KEY,
        topic TEXT NOT NULL,
        partition INTEGER NOT NULL,
        "offset" INTEGER NOT NULL,
        key TEXT,
        reason TEXT NOT NULL,
        excerpt TEXT,
        received_at TEXT NOT NULL,
        UNIQUE (topic, partition, "offset")
    );
    "#,
    // v3: the till's users and their PINs (argon2id PHC strings, hashed by purser-app).
    // failed_attempts and locked_until carry the sign-in lockout; timestamps as in time.rs.
    r#"
    CREATE TABLE users (
        user_id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('cashier', 'supervisor', 'manager')),
        pin_hash TEXT NOT NULL,
        active INTEGER NOT NULL DEFAULT 1,
        failed_attempts INTEGER NOT NULL DEFAULT 0,
        locked_until TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    "#,
    // v4: full-text search over product names and SKUs. External content: the index holds
    // only tokens and points at products.rowid; the triggers keep it in step with every
    // insert, rename and delete (the catalog stream's upserts and tombstones go through
    // them). products has no INTEGER PRIMARY KEY, so a VACUUM may renumber its rowids:
    // rebuild the index after one (`Store::rebuild_search_index`). No `INSERT OR REPLACE`
    // may touch products (a REPLACE deletes without firing the delete trigger).
    // Bulk loads (a view rebuild, a large import) drop the triggers, write the products
    // and put the triggers back, then rebuild the index in one pass, all in one
    // transaction (`catalog::pause_search_index`): row by row, FTS5 flushes its pending
    // terms at every statement, which made a 100,000-product rebuild 9 times slower.
    r#"
    CREATE VIRTUAL TABLE products_fts USING fts5(
        name, sku,
        content = 'products', content_rowid = 'rowid',
        tokenize = 'unicode61 remove_diacritics 2',
        prefix = '2 3'
    );
    CREATE TRIGGER products_fts_insert AFTER INSERT ON products BEGIN
        INSERT INTO products_fts (rowid, name, sku) VALUES (new.rowid, new.name, new.sku);
    END;
    CREATE TRIGGER products_fts_delete AFTER DELETE ON products BEGIN
        INSERT INTO products_fts (products_fts, rowid, name, sku)
            VALUES ('delete', old.rowid, old.name, old.sku);
    END;
    -- The catalog's upsert sets every column: re-index only when the text changed.
    CREATE TRIGGER products_fts_update AFTER UPDATE OF name, sku ON products
    WHEN old.name IS NOT new.name OR old.sku IS NOT new.sku BEGIN
        INSERT INTO products_fts (products_fts, rowid, name, sku)
            VALUES ('delete', old.rowid, old.name, old.sku);
        INSERT INTO products_fts (rowid, name, sku) VALUES (new.rowid, new.name, new.sku);
    END;
    INSERT INTO products_fts (products_fts) VALUES ('rebuild');
    "#,
    // v5: the touch screen's category grid (`Store::categories`,
    // `Store::products_in_category`) reads this index instead of the whole table.
    r#"
    CREATE INDEX products_category ON products(active, category, name);
    "#,
    // v6: loyalty at the till. `loyalty_ledger` holds this till's own loyalty effects
    // (points earned, redeemed, reversed, given back) and cabin/room charges, each with
    // the till_seq of the event that carried it, so the till can tell which of them the
    // published balance (`members.applied`, per-till till_seq watermarks) already
    // includes. `enrolled_members` are members enrolled here, usable before the cloud
    // publishes them; `seen_in_stream` turns the local copy off once it has.
    r#"
    ALTER TABLE members ADD COLUMN applied TEXT;
    CREATE TABLE loyalty_ledger (
        id INTEGER PRIMARY KEY,
        till_seq INTEGER NOT NULL,
        member_id TEXT,
        account_id TEXT,
        kind TEXT NOT NULL CHECK (kind IN ('earn', 'redeem', 'reverse_earn', 'return_redeem', 'charge', 'charge_back')),
        points INTEGER NOT NULL DEFAULT 0,
        amount INTEGER NOT NULL DEFAULT 0,
        sale_id TEXT NOT NULL,
        -- The receipt the row belongs to: the sale's, or the refund's or void's.
        receipt_no TEXT NOT NULL,
        business_date TEXT NOT NULL,
        occurred_at TEXT NOT NULL,
        detail TEXT
    );
    CREATE INDEX loyalty_ledger_member ON loyalty_ledger(member_id, till_seq) WHERE member_id IS NOT NULL;
    CREATE INDEX loyalty_ledger_account ON loyalty_ledger(account_id, till_seq) WHERE account_id IS NOT NULL;
    CREATE INDEX loyalty_ledger_sale ON loyalty_ledger(sale_id);
    CREATE INDEX loyalty_ledger_receipt ON loyalty_ledger(receipt_no);
    CREATE INDEX loyalty_ledger_day ON loyalty_ledger(business_date, kind);
    CREATE TABLE enrolled_members (
        member_id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        phone TEXT,
        email TEXT,
        card_id TEXT UNIQUE,
        tier TEXT NOT NULL,
        enrolled_at TEXT NOT NULL,
        till_seq INTEGER NOT NULL,
        seen_in_stream INTEGER NOT NULL DEFAULT 0
    ) WITHOUT ROWID;
    CREATE INDEX enrolled_members_phone ON enrolled_members(phone) WHERE phone IS NOT NULL;
    CREATE INDEX enrolled_members_email ON enrolled_members(email) WHERE email IS NOT NULL;
    "#,
    // v7: tabs and parked tickets (`tabs.rs`). One row per tab, its ticket as it now
    // stands (the `Cart` as JSON, line numbers included) and its version; every change is
    // also a `tab.*` event in the journal and the outbox, written in the same transaction.
    // A closed tab keeps its row (how it ended, and the sale that paid it).
    r#"
    CREATE TABLE tabs (
        tab_id     TEXT PRIMARY KEY,
        kind       TEXT NOT NULL CHECK (kind IN ('tab', 'parked')),
        label      TEXT NOT NULL,
        member_id  TEXT,
        version    INTEGER NOT NULL CHECK (version >= 1),
        cart       TEXT NOT NULL,
        rewards    TEXT NOT NULL DEFAULT '[]',
        total      INTEGER NOT NULL,
        opened_at  TEXT NOT NULL,
        opened_by  TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        served_by  TEXT NOT NULL,
        closed_at  TEXT,
        outcome    TEXT,
        sale_id    TEXT
    ) WITHOUT ROWID;
    CREATE INDEX tabs_open ON tabs(opened_at) WHERE closed_at IS NULL;
    "#,
    // v8: the bar's figures on the till's own rows, for its X/Z (`shift_tally`): a sale's
    // service charge and tips (JSON `[{tender_kind, amount}]`), a refund's service charge.
    r#"
    ALTER TABLE sales ADD COLUMN service_charge INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE sales ADD COLUMN tips TEXT NOT NULL DEFAULT '[]';
    ALTER TABLE refunds ADD COLUMN service_charge INTEGER NOT NULL DEFAULT 0;
    -- The catalog's modifier groups (JSON, as on the stream) and happy-hour price rules
    -- (records keyed `price-rule:<id>` on the catalog topic).
    ALTER TABLE products ADD COLUMN modifier_groups TEXT;
    CREATE TABLE price_rules (
        rule_id    TEXT PRIMARY KEY,
        rule       TEXT NOT NULL,
        updated_at TEXT NOT NULL
    ) WITHOUT ROWID;
    -- Read the inbound streams again from their start: records an older till skipped (price
    -- rules) or stored in part (modifier groups) are applied as they are now. The views
    -- are rebuilt whole once the topics are read to their end.
    DELETE FROM stream_offsets;
    "#,
    // v9: tabs moving between tills (`tab.move_requested`, `tab.moved`). `held_since` is
    // the version this till got the tab at (1 when it opened it), so a request made before
    // it got the tab back is not answered; `moved_from` the till it came from; `moved_to`
    // the till it was handed over to (with outcome `moved`).
    r#"
    ALTER TABLE tabs ADD COLUMN held_since INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE tabs ADD COLUMN moved_from TEXT;
    ALTER TABLE tabs ADD COLUMN moved_to TEXT;
    "#,
];

pub fn latest_version() -> i64 {
    i64::try_from(MIGRATIONS.len()).unwrap_or(i64::MAX)
}

pub fn migrate(conn: &mut Connection, path: &std::path::Path) -> Result<()> {
    let supported = latest_version();
    // Up to date (the usual case): versions only grow, so no lock is needed to know.
    let seen: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if seen == supported {
        return Ok(());
    }
    // Each step reads the version and bumps it inside one IMMEDIATE transaction, so two
    // processes opening an old database at once take turns: the second finds the work
    // done instead of running the same migration again.
    loop {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let current: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if current > supported {
            return Err(StoreError::NewerSchema {
                path: path.to_path_buf(),
                found: current,
                supported,
            });
        }
        if current == supported {
            return Ok(());
        }
        let sql = MIGRATIONS[usize::try_from(current).unwrap_or(0)];
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", current + 1)?;
        tx.commit()?;
        tracing::info!(version = current + 1, "migrated till database");
    }
}

//! Loyalty members as the till sees them (the accounts stream's view plus members enrolled
//! here) and the till's own loyalty ledger: what it earned, redeemed, reversed and charged
//! that the published balances may not include yet.
//!
//! "Unsynced" is decided per member: when the published record carries this till's
//! `applied_till_seq` watermark, the ledger rows above it; without one, the rows written
//! after the record's `updated_at`; for a member the stream has never described, all rows.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{params, Connection, OptionalExtension};

use purser_core::loyalty::{LineEarning, PointsPosition, RewardLine};
use purser_core::Money;

use crate::error::Result;
use crate::time::{format_ts, parse_ts};
use crate::{Action, Store};

/// A member the till can serve.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberRow {
    pub member_id: String,
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub tier: String,
    /// The balance last published by the cloud (0 for a member enrolled here).
    pub published_points: i64,
    pub active: bool,
    pub card_ids: Vec<String>,
    /// cabin or room, with the account id and its offline limit
    pub account: Option<(String, String, Money)>,
    /// Enrolled at this till and not yet published by the cloud.
    pub local_only: bool,
    pub updated_at: Option<DateTime<Utc>>,
}

/// Kinds of ledger rows (the `kind` column).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LedgerKind {
    Earn,
    Redeem,
    ReverseEarn,
    ReturnRedeem,
    Charge,
    ChargeBack,
}

impl LedgerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LedgerKind::Earn => "earn",
            LedgerKind::Redeem => "redeem",
            LedgerKind::ReverseEarn => "reverse_earn",
            LedgerKind::ReturnRedeem => "return_redeem",
            LedgerKind::Charge => "charge",
            LedgerKind::ChargeBack => "charge_back",
        }
    }
}

/// One row of the till's loyalty ledger.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LedgerEntry<'a> {
    pub till_seq: u64,
    pub member_id: Option<&'a str>,
    pub account_id: Option<&'a str>,
    pub kind: LedgerKind,
    /// Signed effect on the member's points.
    pub points: i64,
    /// Signed money: what points paid, or what was charged to the account.
    pub amount: Money,
    pub sale_id: &'a str,
    /// The sale's receipt, or the refund's or void's for a reversal.
    pub receipt_no: &'a str,
    pub business_date: NaiveDate,
    pub occurred_at: DateTime<Utc>,
    /// Per-line earnings of an `Earn` row.
    pub lines: Option<&'a [LineEarning]>,
    /// Reward items of a `Redeem` row.
    pub rewards: Option<&'a [RewardLine]>,
}

/// The loyalty side of one earlier sale: who, what it earned (per line), what it redeemed,
/// and what refunds have reversed so far.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SaleLoyalty {
    pub member_id: Option<String>,
    pub earned: i64,
    pub earned_lines: Vec<LineEarning>,
    /// Points redeemed (positive) and the money they paid.
    pub redeemed: i64,
    pub redeemed_amount: Money,
    /// Items given for points (their points are part of `redeemed`).
    pub reward_lines: Vec<RewardLine>,
    /// Earned points reversed so far plus any shortfall recorded (positive).
    pub earned_reversed: i64,
    pub redeemed_returned: i64,
    /// Account charges of the sale: (account id, amount charged, amount charged back).
    pub charges: Vec<(String, Money, Money)>,
}

const MEMBER_COLS: &str = "member_id, name, phone, email, tier, points_balance, status, account_kind, account_id, offline_limit, updated_at";

fn member_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<MemberRow> {
    let kind: Option<String> = r.get(7)?;
    let account: Option<String> = r.get(8)?;
    let limit: Option<i64> = r.get(9)?;
    let updated: Option<String> = r.get(10)?;
    Ok(MemberRow {
        member_id: r.get(0)?,
        name: r.get(1)?,
        phone: r.get(2)?,
        email: r.get(3)?,
        tier: r.get(4)?,
        published_points: r.get(5)?,
        active: r.get::<_, String>(6)? == "active",
        card_ids: Vec::new(),
        account: match (kind, account) {
            (Some(k), Some(a)) => Some((k, a, Money(limit.unwrap_or(0)))),
            _ => None,
        },
        local_only: updated.is_none(),
        updated_at: updated.and_then(|u| parse_ts(&u).ok()),
    })
}

/// Members from the stream, then members enrolled here the stream has not brought yet.
fn union_sql(filter_members: &str, filter_enrolled: &str) -> String {
    format!(
        "SELECT {MEMBER_COLS} FROM members WHERE {filter_members}
         UNION ALL
         SELECT member_id, name, phone, email, tier, 0, 'active', NULL, NULL, NULL, NULL
           FROM enrolled_members e
          WHERE seen_in_stream = 0 AND {filter_enrolled}
            AND NOT EXISTS (SELECT 1 FROM members m WHERE m.member_id = e.member_id)"
    )
}

fn with_cards(conn: &Connection, mut m: MemberRow) -> Result<MemberRow> {
    let mut stmt = conn.prepare_cached(
        "SELECT card_id FROM member_cards WHERE member_id = ?1
         UNION SELECT card_id FROM enrolled_members WHERE member_id = ?1 AND card_id IS NOT NULL AND seen_in_stream = 0
         ORDER BY 1",
    )?;
    m.card_ids = stmt
        .query_map(params![m.member_id], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<String>>>()?;
    Ok(m)
}

pub(crate) fn member_by_id(conn: &Connection, member_id: &str) -> Result<Option<MemberRow>> {
    let sql = union_sql("member_id = ?1", "member_id = ?1");
    let m = conn
        .prepare_cached(&sql)?
        .query_row(params![member_id.trim()], member_from_row)
        .optional()?;
    m.map(|m| with_cards(conn, m)).transpose()
}

pub(crate) fn member_by_card(conn: &Connection, card: &str) -> Result<Option<MemberRow>> {
    let sql = union_sql(
        "member_id = (SELECT member_id FROM member_cards WHERE card_id = ?1)",
        "card_id = ?1",
    );
    let m = conn
        .prepare_cached(&sql)?
        .query_row(params![card.trim()], member_from_row)
        .optional()?;
    m.map(|m| with_cards(conn, m)).transpose()
}

pub(crate) fn member_by_account(conn: &Connection, account_id: &str) -> Result<Option<MemberRow>> {
    let m = conn
        .prepare_cached(&format!(
            "SELECT {MEMBER_COLS} FROM members WHERE account_id = ?1"
        ))?
        .query_row(params![account_id.trim()], member_from_row)
        .optional()?;
    m.map(|m| with_cards(conn, m)).transpose()
}

/// Unsynced ledger rows of one member (or one account), as a SQL condition on `l`.
/// ?1 = this till's watermark key, `<store_id>/<till_id>`; a record keyed by the bare
/// till id (a one-store publisher) is read when the qualified key is absent.
const UNSYNCED: &str = "(m.member_id IS NULL
      OR CASE WHEN coalesce(json_extract(m.applied, '$.\"' || ?1 || '\"'),
                            json_extract(m.applied, '$.\"' || substr(?1, instr(?1, '/') + 1) || '\"')) IS NOT NULL
              THEN l.till_seq > coalesce(json_extract(m.applied, '$.\"' || ?1 || '\"'),
                            json_extract(m.applied, '$.\"' || substr(?1, instr(?1, '/') + 1) || '\"'))
              ELSE l.occurred_at > m.updated_at END)";

/// The till's view of a member's points.
pub(crate) fn points_position(
    conn: &Connection,
    till_id: &str,
    member_id: &str,
) -> Result<PointsPosition> {
    let published: i64 = conn
        .prepare_cached("SELECT points_balance FROM members WHERE member_id = ?1")?
        .query_row(params![member_id], |r| r.get(0))
        .optional()?
        .unwrap_or(0);
    let sql = format!(
        "SELECT coalesce(sum(CASE WHEN l.kind IN ('earn', 'reverse_earn') THEN l.points ELSE 0 END), 0),
                coalesce(sum(CASE WHEN l.kind IN ('redeem', 'return_redeem') THEN l.points ELSE 0 END), 0)
           FROM loyalty_ledger l LEFT JOIN members m ON m.member_id = l.member_id
          WHERE l.member_id = ?2 AND {UNSYNCED}"
    );
    let (earned, spent) = conn
        .prepare_cached(&sql)?
        .query_row(params![till_id, member_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(PointsPosition {
        published,
        unsynced_earned: earned,
        unsynced_spent: spent,
    })
}

/// Unsynced points redeemed on `date` (positive), net of points given back: by one
/// member, or by everyone at this till when `member_id` is None.
pub(crate) fn unsynced_redeemed_on(
    conn: &Connection,
    till_id: &str,
    member_id: Option<&str>,
    date: NaiveDate,
) -> Result<i64> {
    let sql = format!(
        "SELECT coalesce(-sum(l.points), 0)
           FROM loyalty_ledger l LEFT JOIN members m ON m.member_id = l.member_id
          WHERE l.kind IN ('redeem', 'return_redeem') AND l.business_date = ?2
            AND (?3 IS NULL OR l.member_id = ?3) AND {UNSYNCED}"
    );
    Ok(conn
        .prepare_cached(&sql)?
        .query_row(params![till_id, date.to_string(), member_id], |r| {
            r.get::<_, i64>(0)
        })?)
}

/// What this till has charged to an account that the published record does not include.
pub(crate) fn unsynced_charges(
    conn: &Connection,
    till_id: &str,
    account_id: &str,
) -> Result<Money> {
    let sql = format!(
        "SELECT coalesce(sum(l.amount), 0)
           FROM loyalty_ledger l LEFT JOIN members m ON m.account_id = l.account_id
          WHERE l.account_id = ?2 AND l.kind IN ('charge', 'charge_back') AND {UNSYNCED}"
    );
    Ok(Money(
        conn.prepare_cached(&sql)?
            .query_row(params![till_id, account_id], |r| r.get::<_, i64>(0))?,
    ))
}

pub(crate) fn sale_loyalty(conn: &Connection, sale_id: &str) -> Result<SaleLoyalty> {
    let mut out = SaleLoyalty::default();
    let mut stmt = conn.prepare_cached(
        "SELECT kind, member_id, account_id, points, amount, detail FROM loyalty_ledger WHERE sale_id = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map(params![sale_id], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, Option<String>>(1)?,
            r.get::<_, Option<String>>(2)?,
            r.get::<_, i64>(3)?,
            r.get::<_, i64>(4)?,
            r.get::<_, Option<String>>(5)?,
        ))
    })?;
    for row in rows {
        let (kind, member, account, points, amount, detail) = row?;
        if out.member_id.is_none() {
            out.member_id = member;
        }
        match kind.as_str() {
            "earn" => {
                out.earned += points;
                if let Some(d) = detail {
                    out.earned_lines = serde_json::from_str(&d)?;
                }
            }
            "redeem" => {
                out.redeemed += -points;
                out.redeemed_amount += Money(amount);
                if let Some(d) = detail {
                    out.reward_lines
                        .extend(serde_json::from_str::<Vec<RewardLine>>(&d)?);
                }
            }
            "reverse_earn" => {
                // detail holds the shortfall: points owed but no longer in the balance.
                let shortfall: i64 = detail.and_then(|d| d.parse().ok()).unwrap_or(0);
                out.earned_reversed += -points + shortfall;
            }
            "return_redeem" => out.redeemed_returned += points,
            "charge" | "charge_back" => {
                let acc = account.unwrap_or_default();
                let i = match out.charges.iter().position(|c| c.0 == acc) {
                    Some(i) => i,
                    None => {
                        out.charges.push((acc, Money::ZERO, Money::ZERO));
                        out.charges.len() - 1
                    }
                };
                if kind == "charge" {
                    out.charges[i].1 += Money(amount);
                } else {
                    out.charges[i].2 += Money(-amount);
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

/// Members whose name, phone, e-mail, card or id matches `text` (phone by its digits).
pub(crate) fn search_members(
    conn: &Connection,
    text: &str,
    limit: usize,
) -> Result<Vec<MemberRow>> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(Vec::new());
    }
    let digits: String = t.chars().filter(char::is_ascii_digit).collect();
    let phone_like = if digits.len() >= 4
        && t.chars()
            .all(|c| c.is_ascii_digit() || " +-()./".contains(c))
    {
        format!("%{digits}%")
    } else {
        "\u{1}".to_string()
    };
    let like = format!("%{}%", t.replace(['%', '_'], ""));
    let filter = "(name LIKE ?1 OR email LIKE ?1 OR member_id = ?2
                   OR replace(replace(replace(replace(coalesce(phone, ''), ' ', ''), '-', ''), '(', ''), ')', '') LIKE ?3";
    let sql = format!(
        "SELECT * FROM ({}) ORDER BY name LIMIT ?4",
        union_sql(
            &format!(
                "{filter} OR member_id IN (SELECT member_id FROM member_cards WHERE card_id = ?2))"
            ),
            &format!("{filter} OR card_id = ?2)"),
        )
    );
    let lim = i64::try_from(limit).unwrap_or(50);
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt
        .query_map(params![like, t, phone_like, lim], member_from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter().map(|m| with_cards(conn, m)).collect()
}

/// Points on one receipt: (member, earned or reversed, redeemed or returned), all
/// positive. `reversal` picks a refund's or void's rows over a sale's.
pub(crate) fn receipt_points(
    conn: &Connection,
    receipt_no: &str,
    reversal: bool,
) -> Result<Option<(String, i64, i64)>> {
    let kinds = if reversal {
        ("reverse_earn", "return_redeem")
    } else {
        ("earn", "redeem")
    };
    let row = conn
        .prepare_cached(
            "SELECT member_id,
                    coalesce(sum(CASE WHEN kind = ?2 THEN abs(points) ELSE 0 END), 0),
                    coalesce(sum(CASE WHEN kind = ?3 THEN abs(points) ELSE 0 END), 0)
               FROM loyalty_ledger
              WHERE receipt_no = ?1 AND kind IN (?2, ?3) AND member_id IS NOT NULL
              GROUP BY member_id",
        )?
        .query_row(params![receipt_no, kinds.0, kinds.1], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()?;
    Ok(row)
}

impl Store {
    pub fn receipt_points(
        &self,
        receipt_no: &str,
        reversal: bool,
    ) -> Result<Option<(String, i64, i64)>> {
        receipt_points(&self.conn, receipt_no, reversal)
    }
    pub fn member_by_id(&self, member_id: &str) -> Result<Option<MemberRow>> {
        member_by_id(&self.conn, member_id)
    }
    pub fn member_by_card(&self, card: &str) -> Result<Option<MemberRow>> {
        member_by_card(&self.conn, card)
    }
    pub fn member_by_account(&self, account_id: &str) -> Result<Option<MemberRow>> {
        member_by_account(&self.conn, account_id)
    }
    pub fn search_members(&self, text: &str, limit: usize) -> Result<Vec<MemberRow>> {
        search_members(&self.conn, text, limit)
    }
    /// `till_key`: [`purser_core::inbound::till_key`] of this till.
    pub fn points_position(&self, till_key: &str, member_id: &str) -> Result<PointsPosition> {
        points_position(&self.conn, till_key, member_id)
    }
    pub fn sale_loyalty(&self, sale_id: &str) -> Result<SaleLoyalty> {
        sale_loyalty(&self.conn, sale_id)
    }
    pub fn unsynced_charges(&self, till_key: &str, account_id: &str) -> Result<Money> {
        unsynced_charges(&self.conn, till_key, account_id)
    }
}

impl Action<'_> {
    /// This till's key in the published watermarks.
    fn till_key(&self) -> String {
        let i = self.identity();
        purser_core::inbound::till_key(&i.store_id, &i.till_id)
    }
    pub fn member_by_id(&self, member_id: &str) -> Result<Option<MemberRow>> {
        member_by_id(self.conn(), member_id)
    }
    pub fn member_by_account(&self, account_id: &str) -> Result<Option<MemberRow>> {
        member_by_account(self.conn(), account_id)
    }
    pub fn points_position(&self, member_id: &str) -> Result<PointsPosition> {
        points_position(self.conn(), &self.till_key(), member_id)
    }
    pub fn unsynced_redeemed_on(&self, member_id: Option<&str>, date: NaiveDate) -> Result<i64> {
        unsynced_redeemed_on(self.conn(), &self.till_key(), member_id, date)
    }
    pub fn unsynced_charges(&self, account_id: &str) -> Result<Money> {
        unsynced_charges(self.conn(), &self.till_key(), account_id)
    }
    pub fn sale_loyalty(&self, sale_id: &str) -> Result<SaleLoyalty> {
        sale_loyalty(self.conn(), sale_id)
    }
    /// The category of a product as the catalog has it now (for earning rules).
    pub fn product_category(&self, sku: &str) -> Result<Option<String>> {
        Ok(self
            .conn()
            .prepare_cached("SELECT category FROM products WHERE sku = ?1")?
            .query_row(params![sku], |r| r.get::<_, Option<String>>(0))
            .optional()?
            .flatten())
    }
    /// Money refunded so far against a sale.
    pub fn refunded_total(&self, sale_id: uuid::Uuid) -> Result<Money> {
        Ok(Money(
            self.conn()
                .prepare_cached("SELECT coalesce(sum(total), 0) FROM refunds WHERE sale_id = ?1")?
                .query_row(params![sale_id.to_string()], |r| r.get::<_, i64>(0))?,
        ))
    }

    /// Appends a row to the till's loyalty ledger. `shortfall` goes with `ReverseEarn`.
    pub fn insert_ledger(&mut self, e: &LedgerEntry<'_>, shortfall: i64) -> Result<()> {
        let detail = match (e.kind, e.lines) {
            (LedgerKind::Earn, Some(lines)) => Some(serde_json::to_string(lines)?),
            (LedgerKind::Redeem, _) => match e.rewards {
                Some(r) if !r.is_empty() => Some(serde_json::to_string(r)?),
                _ => None,
            },
            (LedgerKind::ReverseEarn, _) if shortfall != 0 => Some(shortfall.to_string()),
            _ => None,
        };
        self.conn()
            .prepare_cached(
                "INSERT INTO loyalty_ledger (till_seq, member_id, account_id, kind, points, amount, sale_id, receipt_no, business_date, occurred_at, detail)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?
            .execute(params![
                e.till_seq,
                e.member_id,
                e.account_id,
                e.kind.as_str(),
                e.points,
                e.amount.0,
                e.sale_id,
                e.receipt_no,
                e.business_date.to_string(),
                format_ts(e.occurred_at),
                detail
            ])?;
        Ok(())
    }

    /// Records a member enrolled at this till; refuses a card another member holds.
    #[allow(clippy::too_many_arguments)]
    pub fn insert_enrolment(
        &mut self,
        member_id: &str,
        name: &str,
        phone: Option<&str>,
        email: Option<&str>,
        card_id: Option<&str>,
        tier: &str,
        at: DateTime<Utc>,
        till_seq: u64,
    ) -> Result<()> {
        if let Some(card) = card_id {
            if member_by_card(self.conn(), card)?.is_some() {
                return Err(crate::StoreError::Conflict(format!(
                    "card {card} already belongs to a member"
                )));
            }
        }
        self.conn()
            .prepare_cached(
                "INSERT INTO enrolled_members (member_id, name, phone, email, card_id, tier, enrolled_at, till_seq)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![member_id, name, phone, email, card_id, tier, format_ts(at), till_seq])?;
        Ok(())
    }
}

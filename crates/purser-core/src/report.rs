//! The manager's figures: every till's events, as read from the store's cluster, folded
//! into store-wide reports. Pure: the reporting store hands in the (deduplicated) events,
//! the caller hands in how a UTC instant maps to the store's local hour.
//!
//! * `decode_till_event` is the consumer's rule for one record of `pos.payments.v1` or
//!   `pos.tills.v1`: a Purser event of a known type and version, keyed by its till, of this
//!   store — or a reason to quarantine it.
//! * `Summary::fold` gives "today at a glance" for any set of events (a date range, a till,
//!   a cashier).
//! * `derive_shift` rebuilds a shift's X/Z report from its events with the formulas the
//!   till prints with (`shift::Tally`, which the till feeds from its own rows), and
//!   `compare_reports` lists where the report a till printed disagrees with them.
//! * `seq_gaps` finds the `till_seq` numbers not (yet) received.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::cart::Quantity;
use crate::events::{
    DrawerOpened, Envelope, Event, EventBody, EventHeader, MemberEnrolled, PointsEarned,
    PointsRedeemed, PointsReversed, SaleCompleted, SaleRefunded, SaleVoided, ShiftClosed,
    ShiftOpened, TabClosed, TabMoveRequested, TabMoved, TabOpened, TabUpdated, TillHeartbeat,
    EVENT_TYPES,
};
use crate::money::{div_round, Money};
use crate::shift::{ReportKind, ShiftHead, ShiftReport, Tally, TenderTotal};

/// Largest event value the reporting consumer accepts.
pub const MAX_EVENT_BYTES: usize = 1 << 20;

/// What the reporting consumer makes of one record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decoded {
    Event(Box<Event>),
    /// A valid event of another store (a shared cluster): skipped, not quarantined.
    OtherStore,
}

/// Parses one event value (header and typed body) as a till wrote it.
pub fn parse_event(raw: &str) -> Result<Event, String> {
    let header: EventHeader =
        serde_json::from_str(raw).map_err(|e| format!("not a Purser event: {e}"))?;
    let Some((_, _, version)) = EVENT_TYPES.iter().find(|(t, _, _)| *t == header.event_type) else {
        return Err(format!("unknown event type '{}'", header.event_type));
    };
    if header.schema_version != *version {
        return Err(format!(
            "{} schema version {} is not supported (this version reads {version})",
            header.event_type, header.schema_version
        ));
    }
    fn body<T: serde::de::DeserializeOwned>(raw: &str) -> Result<T, String> {
        serde_json::from_str::<Envelope<T>>(raw)
            .map(|e| e.body)
            .map_err(|e| format!("schema violation: {e}"))
    }
    let body = match header.event_type.as_str() {
        "sale.completed" => EventBody::SaleCompleted(body::<SaleCompleted>(raw)?),
        "sale.refunded" => EventBody::SaleRefunded(body::<SaleRefunded>(raw)?),
        "sale.voided" => EventBody::SaleVoided(body::<SaleVoided>(raw)?),
        "drawer.opened" => EventBody::DrawerOpened(body::<DrawerOpened>(raw)?),
        "shift.opened" => EventBody::ShiftOpened(body::<ShiftOpened>(raw)?),
        "shift.closed" => EventBody::ShiftClosed(body::<ShiftClosed>(raw)?),
        "till.heartbeat" => EventBody::TillHeartbeat(body::<TillHeartbeat>(raw)?),
        "loyalty.enrolled" => EventBody::MemberEnrolled(body::<MemberEnrolled>(raw)?),
        "loyalty.points_earned" => EventBody::PointsEarned(body::<PointsEarned>(raw)?),
        "loyalty.points_redeemed" => EventBody::PointsRedeemed(body::<PointsRedeemed>(raw)?),
        "loyalty.points_reversed" => EventBody::PointsReversed(body::<PointsReversed>(raw)?),
        "tab.opened" => EventBody::TabOpened(body::<TabOpened>(raw)?),
        "tab.updated" => EventBody::TabUpdated(body::<TabUpdated>(raw)?),
        "tab.closed" => EventBody::TabClosed(body::<TabClosed>(raw)?),
        "tab.move_requested" => EventBody::TabMoveRequested(body::<TabMoveRequested>(raw)?),
        "tab.moved" => EventBody::TabMoved(body::<TabMoved>(raw)?),
        other => return Err(format!("unknown event type '{other}'")),
    };
    if header.till_seq == 0 {
        return Err("till_seq must start at 1".into());
    }
    Ok(Event { header, body })
}

/// The reporting consumer's rule for one record of the tills' topics.
pub fn decode_till_event(
    key: Option<&[u8]>,
    value: Option<&[u8]>,
    store_id: &str,
) -> Result<Decoded, String> {
    let value = value.ok_or("no value (a tombstone on an event topic)")?;
    if value.len() > MAX_EVENT_BYTES {
        return Err(format!("value of {} bytes is too large", value.len()));
    }
    let raw = std::str::from_utf8(value).map_err(|_| "value is not UTF-8 JSON".to_string())?;
    let event = parse_event(raw)?;
    if event.header.store_id != store_id {
        return Ok(Decoded::OtherStore);
    }
    // The till id on the payments and tills topics, the member id on the loyalty topic.
    let expected = event.key();
    match key {
        Some(k) if k == expected.as_bytes() => {}
        Some(k) => {
            return Err(format!(
                "key '{}' is not the event's '{expected}'",
                String::from_utf8_lossy(k),
            ))
        }
        None => return Err(format!("no key (expected '{expected}')")),
    }
    Ok(Decoded::Event(Box::new(event)))
}

/// Missing `till_seq` ranges (first, last) in ascending, distinct sequence numbers.
pub fn seq_gaps(seqs: impl IntoIterator<Item = u64>) -> Vec<(u64, u64)> {
    let mut gaps = Vec::new();
    let mut expect = 1u64;
    for s in seqs {
        if s > expect {
            gaps.push((expect, s - 1));
        }
        expect = expect.max(s + 1);
    }
    gaps
}

// ----- today at a glance ----------------------------------------------------------------

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct HourFigure {
    /// Local hour of the store, 0–23.
    pub hour: u32,
    pub transactions: i64,
    pub net: Money,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TenderFigure {
    pub kind: String,
    /// Tenders on kept sales.
    pub count: i64,
    /// Taken on kept sales minus refunded.
    pub amount: Money,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ProductFigure {
    pub sku: String,
    pub name: String,
    /// Units sold minus units refunded (unit-sold products).
    pub units: i64,
    /// Grams sold minus grams refunded (weighed products).
    pub grams: i64,
    /// Line totals of kept sales minus refunded amounts.
    pub net: Money,
}

/// Figures of one till or one cashier. A sale counts for the user who served it
/// (`sale.completed.served_by`, at a bar one of the bartenders sharing a shift), else the
/// shift's cashier.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct GroupFigure {
    pub id: String,
    pub transactions: i64,
    pub net: Money,
    pub refunds_count: i64,
    pub refunds_total: Money,
    pub voids_count: i64,
    pub voids_total: Money,
    /// Service charge on kept sales, less what refunds gave back (inside `net`).
    pub service_charge: Money,
    /// Tips on kept sales (outside `net`).
    pub tips: Money,
}

/// A refund, void, no-sale drawer open or discount, with who approved it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Exception {
    /// refund, void, drawer or discount
    pub kind: String,
    pub till_id: String,
    pub cashier_id: Option<String>,
    pub occurred_at: DateTime<Utc>,
    pub receipt_no: Option<String>,
    pub amount: Money,
    pub reason: Option<String>,
    /// For a discount: the approver of one above the cashier's limit (`discount_approved_by`),
    /// `None` within it.
    pub approved_by: Option<String>,
}

/// The figures of a set of events (a day or a range, all tills or one, all cashiers or one).
///
/// Conventions, the tills' own: `net_sales` = sales − voids − refunds; a voided sale counts
/// in `sales_count` and in `voids_count`; a refund counts when (and where) it happened.
/// Loyalty figures come from `pos.loyalty.v1`: points issued are earned minus taken back,
/// points redeemed are spent (tender and rewards) minus given back.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub sales_count: i64,
    pub sales_total: Money,
    pub voids_count: i64,
    pub voids_total: Money,
    pub refunds_count: i64,
    pub refunds_total: Money,
    pub net_sales: Money,
    /// Sales not voided.
    pub transactions: i64,
    /// (sales − voids) / transactions, rounded half away from zero.
    pub average_basket: Money,
    /// Tax of kept sales minus tax refunded.
    pub tax_total: Money,
    /// Discounts on kept sales.
    pub discount_total: Money,
    /// Units on kept sales (a weighed line counts one).
    pub items_sold: i64,
    pub drawer_opens: i64,
    /// Kept sales with a loyalty member attached.
    pub member_sales: i64,
    /// Points spent (as a tender or for rewards) minus points given back by refunds and
    /// voids.
    pub points_redeemed: i64,
    /// Points earned minus points taken back by refunds and voids.
    pub points_issued: i64,
    /// Members enrolled at the tills.
    pub enrolments: i64,
    /// All 24 hours, local time.
    pub by_hour: Vec<HourFigure>,
    pub tenders: Vec<TenderFigure>,
    /// Best sellers first (by net, then SKU).
    pub products: Vec<ProductFigure>,
    pub tills: Vec<GroupFigure>,
    pub cashiers: Vec<GroupFigure>,
    /// In the order they happened.
    pub exceptions: Vec<Exception>,
    /// Service charge of kept sales minus service charge refunded (in the sales figures).
    #[serde(skip_serializing_if = "crate::money::is_zero")]
    pub service_charge_total: Money,
    /// Tips on kept sales per kind of tender that paid them (not in the sales figures;
    /// in `tenders`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tips: Vec<TenderFigure>,
}

/// The ids of the sales among `events`, and of the sales voided among them.
fn sale_ids<'a>(events: impl Iterator<Item = &'a Event>) -> (HashSet<Uuid>, HashSet<Uuid>) {
    let (mut sales, mut voided) = (HashSet::new(), HashSet::new());
    for e in events {
        match &e.body {
            EventBody::SaleCompleted(s) => {
                sales.insert(s.sale_id);
            }
            EventBody::SaleVoided(v) => {
                voided.insert(v.sale_id);
            }
            _ => {}
        }
    }
    (sales, voided)
}

/// A product's figure, one per product and choice of modifiers: "Whisky (On the rocks,
/// Tonic)" is a top product of its own beside the plain whisky.
fn product_figure<'a>(
    m: &'a mut BTreeMap<String, ProductFigure>,
    sku: &str,
    name: &str,
    modifiers: &[crate::cart::ChosenModifier],
) -> &'a mut ProductFigure {
    let mut key = sku.to_string();
    for c in modifiers {
        key.push_str(&format!("|{}:{}", c.group_id, c.option_id));
    }
    m.entry(key).or_insert_with(|| ProductFigure {
        sku: sku.to_string(),
        name: if modifiers.is_empty() {
            name.to_string()
        } else {
            let chosen: Vec<&str> = modifiers.iter().map(|c| c.name.as_str()).collect();
            format!("{name} ({})", chosen.join(", "))
        },
        ..ProductFigure::default()
    })
}

fn group<'a>(m: &'a mut BTreeMap<String, GroupFigure>, id: &str) -> &'a mut GroupFigure {
    m.entry(id.to_string()).or_insert_with(|| GroupFigure {
        id: id.to_string(),
        ..GroupFigure::default()
    })
}

impl Summary {
    /// Folds events (deduplicated on `event_id`, in any order) into the summary.
    pub fn fold(events: &[Event], hour_of: &dyn Fn(DateTime<Utc>) -> u32) -> Summary {
        let (sales, voided) = sale_ids(events.iter());
        let mut s = Summary {
            by_hour: (0..24)
                .map(|hour| HourFigure {
                    hour,
                    ..HourFigure::default()
                })
                .collect(),
            ..Summary::default()
        };
        // The figures a shift report has too, counted by its formulas.
        let mut tally = Tally::default();
        let mut products: BTreeMap<String, ProductFigure> = BTreeMap::new();
        let mut tills: BTreeMap<String, GroupFigure> = BTreeMap::new();
        let mut cashiers: BTreeMap<String, GroupFigure> = BTreeMap::new();
        let mut kept_total = Money::ZERO;
        let mut ordered: Vec<&Event> = events.iter().collect();
        ordered.sort_by(|a, b| {
            (a.header.occurred_at, &a.header.till_id, a.header.till_seq).cmp(&(
                b.header.occurred_at,
                &b.header.till_id,
                b.header.till_seq,
            ))
        });
        for e in ordered {
            let h = &e.header;
            let cashier = h.cashier_id.clone().unwrap_or_else(|| "-".into());
            let hour = usize::try_from(hour_of(h.occurred_at).min(23)).unwrap_or(0);
            let exception = |kind: &str,
                             receipt_no: Option<&str>,
                             amount: Money,
                             reason: Option<&str>,
                             approved_by: Option<&str>| Exception {
                kind: kind.into(),
                till_id: h.till_id.clone(),
                cashier_id: h.cashier_id.clone(),
                occurred_at: h.occurred_at,
                receipt_no: receipt_no.map(String::from),
                amount,
                reason: reason.map(String::from),
                approved_by: approved_by.map(String::from),
            };
            match &e.body {
                EventBody::SaleCompleted(sale) => {
                    let is_voided = voided.contains(&sale.sale_id);
                    let cashier = sale.served_by.clone().unwrap_or_else(|| cashier.clone());
                    tally.sale(
                        &sale.document(),
                        is_voided,
                        sale.tenders.iter().map(|t| (t.kind(), t.amount())),
                    );
                    if is_voided {
                        for g in [
                            group(&mut tills, &h.till_id),
                            group(&mut cashiers, &cashier),
                        ] {
                            g.voids_count += 1;
                            g.voids_total += sale.total;
                        }
                        continue;
                    }
                    s.transactions += 1;
                    kept_total += sale.total;
                    if sale.member_id.is_some() {
                        s.member_sales += 1;
                    }
                    s.by_hour[hour].transactions += 1;
                    s.by_hour[hour].net += sale.total;
                    let charge = sale
                        .service_charge
                        .as_ref()
                        .map_or(Money::ZERO, |c| c.amount);
                    let tips: Money = sale.tips.iter().map(|t| t.amount).sum();
                    for g in [
                        group(&mut tills, &h.till_id),
                        group(&mut cashiers, &cashier),
                    ] {
                        g.transactions += 1;
                        g.net += sale.total;
                        g.service_charge += charge;
                        g.tips += tips;
                    }
                    for l in &sale.lines {
                        let p = product_figure(&mut products, &l.sku, &l.name, &l.modifiers);
                        match l.quantity {
                            Quantity::Units(n) => {
                                p.units += n;
                                s.items_sold += n;
                            }
                            Quantity::Grams(g) => {
                                p.grams += g;
                                s.items_sold += 1;
                            }
                        }
                        p.net += l.total;
                    }
                    if !sale.discount_total.is_zero() {
                        s.exceptions.push(exception(
                            "discount",
                            Some(&sale.receipt_no),
                            sale.discount_total,
                            None,
                            // Set when a discount above the cashier's limit was approved.
                            sale.discount_approved_by.as_deref(),
                        ));
                    }
                }
                EventBody::SaleRefunded(r) => {
                    tally.refund(
                        &r.document(),
                        r.tenders.iter().map(|t| (t.kind(), t.amount())),
                    );
                    s.by_hour[hour].net -= r.total;
                    for g in [
                        group(&mut tills, &h.till_id),
                        group(&mut cashiers, &cashier),
                    ] {
                        g.refunds_count += 1;
                        g.refunds_total += r.total;
                        g.net -= r.total;
                        g.service_charge -= r.service_charge.map_or(Money::ZERO, |c| c.amount);
                    }
                    for l in &r.lines {
                        let p = product_figure(&mut products, &l.sku, &l.name, &l.modifiers);
                        match l.quantity {
                            Quantity::Units(n) => p.units -= n,
                            Quantity::Grams(g) => p.grams -= g,
                        }
                        p.net -= l.amount;
                    }
                    s.exceptions.push(exception(
                        "refund",
                        Some(&r.receipt_no),
                        r.total,
                        Some(&r.reason),
                        r.approved_by.as_deref(),
                    ));
                }
                EventBody::SaleVoided(v) => {
                    // Counted with its sale; a void whose sale is not in this set (not
                    // arrived yet, or outside the filter) still counts as a void.
                    if !sales.contains(&v.sale_id) {
                        tally.void_of_unseen_sale(v.total, v.tax_total);
                        for g in [
                            group(&mut tills, &h.till_id),
                            group(&mut cashiers, &cashier),
                        ] {
                            g.voids_count += 1;
                            g.voids_total += v.total;
                        }
                    }
                    s.exceptions.push(exception(
                        "void",
                        Some(&v.receipt_no),
                        v.total,
                        Some(&v.reason),
                        v.approved_by.as_deref(),
                    ));
                }
                EventBody::DrawerOpened(d) => {
                    tally.drawer_open();
                    s.exceptions.push(exception(
                        "drawer",
                        None,
                        Money::ZERO,
                        Some(&d.reason),
                        d.approved_by.as_deref(),
                    ));
                }
                EventBody::MemberEnrolled(_) => s.enrolments += 1,
                EventBody::PointsEarned(p) => s.points_issued += p.points,
                EventBody::PointsRedeemed(p) => s.points_redeemed += p.points,
                EventBody::PointsReversed(p) => {
                    s.points_issued -= p.earned_reversed;
                    s.points_redeemed -= p.redeemed_returned;
                }
                // Open tabs are listed from their latest events (`open_tabs`); a paid tab
                // counts through its sale, and a moved one carries no money.
                EventBody::ShiftOpened(_)
                | EventBody::ShiftClosed(_)
                | EventBody::TillHeartbeat(_)
                | EventBody::TabOpened(_)
                | EventBody::TabUpdated(_)
                | EventBody::TabClosed(_)
                | EventBody::TabMoveRequested(_)
                | EventBody::TabMoved(_) => {}
            }
        }
        s.sales_count = tally.sales_count;
        s.sales_total = tally.sales_total;
        s.voids_count = tally.voids_count;
        s.voids_total = tally.voids_total;
        s.refunds_count = tally.refunds_count;
        s.refunds_total = tally.refunds_total;
        s.net_sales = tally.net_sales();
        s.tax_total = tally.tax_total();
        s.discount_total = tally.kept_discount;
        s.drawer_opens = tally.drawer_opens;
        if s.transactions > 0 {
            s.average_basket = Money(
                i64::try_from(div_round(
                    i128::from(kept_total.0),
                    i128::from(s.transactions),
                ))
                .unwrap_or(0),
            );
        }
        let figures = |totals: Vec<TenderTotal>| -> Vec<TenderFigure> {
            totals
                .into_iter()
                .map(|t| TenderFigure {
                    kind: t.kind,
                    count: t.count,
                    amount: t.amount,
                })
                .collect()
        };
        s.tenders = figures(tally.tender_totals());
        s.tips = figures(tally.tip_totals());
        s.service_charge_total = tally.service_charge;
        let mut products: Vec<ProductFigure> = products.into_values().collect();
        products.sort_by(|a, b| b.net.cmp(&a.net).then_with(|| a.sku.cmp(&b.sku)));
        s.products = products;
        s.tills = tills.into_values().collect();
        s.cashiers = cashiers.into_values().collect();
        s
    }
}

// ----- X and Z reports ------------------------------------------------------------------

/// A shift's report rebuilt from its events, beside the one the till printed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DerivedShift {
    pub till_id: String,
    /// From the events, with the till's formulas; kind X and no close while the shift is
    /// open (an interim X report).
    pub report: ShiftReport,
    /// What the till printed and sent with `shift.closed`.
    pub printed: Option<ShiftReport>,
    /// Fields where `printed` disagrees with `report`: "net_sales: printed 1250, events 1150".
    pub differences: Vec<String>,
    /// The `shift.opened` event has arrived (else float, cashier and opening time come from
    /// the printed report, or are unknown).
    pub opened_seen: bool,
}

/// Rebuilds one shift's report from the events of that shift (`header.shift_id`), with
/// the figures the till computes: all sales (voided too) in `sales_count`/`sales_total`,
/// voids and refunds subtracted for `net_sales` and tax, discounts of every sale, cash
/// rounding of kept sales minus that of refunds, tenders of kept sales minus refund
/// tenders, expected cash = float + net cash.
pub fn derive_shift(shift_id: Uuid, events: &[&Event], currency: &str) -> Option<DerivedShift> {
    let mine: Vec<&Event> = events
        .iter()
        .copied()
        .filter(|e| e.header.shift_id == Some(shift_id))
        .collect();
    let first = mine.first()?;
    let (sale_ids, voided) = sale_ids(mine.iter().copied());
    let mut opened: Option<(&EventHeader, &ShiftOpened)> = None;
    let mut printed: Option<ShiftReport> = None;
    let mut tally = Tally::default();
    for e in &mine {
        match &e.body {
            EventBody::SaleCompleted(s) => tally.sale(
                &s.document(),
                voided.contains(&s.sale_id),
                s.tenders.iter().map(|t| (t.kind(), t.amount())),
            ),
            EventBody::SaleVoided(v) if !sale_ids.contains(&v.sale_id) => {
                tally.void_of_unseen_sale(v.total, v.tax_total);
            }
            EventBody::SaleRefunded(f) => tally.refund(
                &f.document(),
                f.tenders.iter().map(|t| (t.kind(), t.amount())),
            ),
            EventBody::DrawerOpened(_) => tally.drawer_open(),
            EventBody::ShiftOpened(o) => opened = Some((&e.header, o)),
            EventBody::ShiftClosed(c) => printed = Some(c.report.clone()),
            EventBody::SaleVoided(_)
            | EventBody::TillHeartbeat(_)
            | EventBody::MemberEnrolled(_)
            | EventBody::PointsEarned(_)
            | EventBody::PointsRedeemed(_)
            | EventBody::PointsReversed(_)
            | EventBody::TabOpened(_)
            | EventBody::TabUpdated(_)
            | EventBody::TabClosed(_)
            | EventBody::TabMoveRequested(_)
            | EventBody::TabMoved(_) => {}
        }
    }
    let mut head = ShiftHead {
        shift_id,
        currency: currency.to_string(),
        cashier_id: first.header.cashier_id.clone().unwrap_or_default(),
        business_date: first.header.business_date,
        opened_at: first.header.occurred_at,
        opening_float: Money::ZERO,
    };
    if let Some(p) = &printed {
        // The till's own record of the shift (its opening time as stored, to the
        // microsecond) is what it printed.
        head.cashier_id.clone_from(&p.cashier_id);
        head.business_date = p.business_date;
        head.opened_at = p.opened_at;
        head.opening_float = opened.map_or(p.opening_float, |(_, o)| o.opening_float);
    } else if let Some((h, o)) = opened {
        head.cashier_id = h.cashier_id.clone().unwrap_or_default();
        head.business_date = h.business_date;
        // The till keeps timestamps to the microsecond (and shows its X report so).
        head.opened_at = h.occurred_at.trunc_subsecs(6);
        head.opening_float = o.opening_float;
    }
    let mut r = tally.report(&head, ReportKind::X, None);
    if let Some(p) = &printed {
        r.kind = p.kind;
        r.closed_at = p.closed_at;
        if let Some(c) = p.counted_cash {
            r = r.with_count(c);
        }
    }
    let differences = printed
        .as_ref()
        .map(|p| compare_reports(p, &r))
        .unwrap_or_default();
    Some(DerivedShift {
        till_id: first.header.till_id.clone(),
        report: r,
        printed,
        differences,
        opened_seen: opened.is_some(),
    })
}

/// Where a printed report disagrees with one rebuilt from events: "field: printed P, events E"
/// (amounts in minor units).
pub fn compare_reports(printed: &ShiftReport, derived: &ShiftReport) -> Vec<String> {
    let mut d = Vec::new();
    let mut num = |name: &str, p: i64, e: i64| {
        if p != e {
            d.push(format!("{name}: printed {p}, events {e}"));
        }
    };
    num("sales_count", printed.sales_count, derived.sales_count);
    num("sales_total", printed.sales_total.0, derived.sales_total.0);
    num("voids_count", printed.voids_count, derived.voids_count);
    num("voids_total", printed.voids_total.0, derived.voids_total.0);
    num(
        "refunds_count",
        printed.refunds_count,
        derived.refunds_count,
    );
    num(
        "refunds_total",
        printed.refunds_total.0,
        derived.refunds_total.0,
    );
    num("net_sales", printed.net_sales.0, derived.net_sales.0);
    num("tax_total", printed.tax_total.0, derived.tax_total.0);
    num(
        "discount_total",
        printed.discount_total.0,
        derived.discount_total.0,
    );
    num(
        "cash_rounding",
        printed.cash_rounding.0,
        derived.cash_rounding.0,
    );
    num("drawer_opens", printed.drawer_opens, derived.drawer_opens);
    num(
        "opening_float",
        printed.opening_float.0,
        derived.opening_float.0,
    );
    num(
        "expected_cash",
        printed.expected_cash.0,
        derived.expected_cash.0,
    );
    num(
        "service_charge_total",
        printed.service_charge_total.0,
        derived.service_charge_total.0,
    );
    totals_by_kind(&mut d, "tender", &printed.tenders, &derived.tenders);
    totals_by_kind(&mut d, "tips", &printed.tips, &derived.tips);
    d
}

/// The store's X or Z: the shifts' figures added up.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct StoreTotals {
    pub shifts: i64,
    pub sales_count: i64,
    pub sales_total: Money,
    pub refunds_count: i64,
    pub refunds_total: Money,
    pub voids_count: i64,
    pub voids_total: Money,
    pub net_sales: Money,
    pub tax_total: Money,
    pub discount_total: Money,
    pub cash_rounding: Money,
    pub drawer_opens: i64,
    pub tenders: Vec<TenderTotal>,
    pub opening_float: Money,
    pub expected_cash: Money,
    /// Of the shifts that were counted.
    pub counted_cash: Money,
    pub over_short: Money,
    /// Service charge of kept sales minus service charge refunded (in the sales figures).
    #[serde(skip_serializing_if = "crate::money::is_zero")]
    pub service_charge_total: Money,
    /// Tips per kind of tender that paid them (not in the sales figures).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tips: Vec<TenderTotal>,
}

impl StoreTotals {
    pub fn add_up<'a>(reports: impl IntoIterator<Item = &'a ShiftReport>) -> StoreTotals {
        let mut t = StoreTotals::default();
        let mut tenders: BTreeMap<String, (i64, Money)> = BTreeMap::new();
        let mut tips: BTreeMap<String, (i64, Money)> = BTreeMap::new();
        for r in reports {
            t.shifts += 1;
            t.service_charge_total += r.service_charge_total;
            for x in &r.tips {
                let e = tips.entry(x.kind.clone()).or_default();
                e.0 += x.count;
                e.1 += x.amount;
            }
            t.sales_count += r.sales_count;
            t.sales_total += r.sales_total;
            t.refunds_count += r.refunds_count;
            t.refunds_total += r.refunds_total;
            t.voids_count += r.voids_count;
            t.voids_total += r.voids_total;
            t.net_sales += r.net_sales;
            t.tax_total += r.tax_total;
            t.discount_total += r.discount_total;
            t.cash_rounding += r.cash_rounding;
            t.drawer_opens += r.drawer_opens;
            t.opening_float += r.opening_float;
            t.expected_cash += r.expected_cash;
            t.counted_cash += r.counted_cash.unwrap_or(Money::ZERO);
            t.over_short += r.over_short.unwrap_or(Money::ZERO);
            for x in &r.tenders {
                let e = tenders.entry(x.kind.clone()).or_default();
                e.0 += x.count;
                e.1 += x.amount;
            }
        }
        let totals = |m: BTreeMap<String, (i64, Money)>| -> Vec<TenderTotal> {
            m.into_iter()
                .map(|(kind, (count, amount))| TenderTotal {
                    kind,
                    count,
                    amount,
                })
                .collect()
        };
        t.tenders = totals(tenders);
        t.tips = totals(tips);
        t
    }
}

/// Groups events by shift and rebuilds each shift that `wanted` accepts, ordered by till
/// and opening time.
pub fn derive_shifts(
    events: &[Event],
    currency: &str,
    wanted: &dyn Fn(&DerivedShift) -> bool,
) -> Vec<DerivedShift> {
    let mut by_shift: HashMap<Uuid, Vec<&Event>> = HashMap::new();
    for e in events {
        if let Some(id) = e.header.shift_id {
            by_shift.entry(id).or_default().push(e);
        }
    }
    let mut out: Vec<DerivedShift> = by_shift
        .into_iter()
        .filter_map(|(id, evs)| derive_shift(id, &evs, currency))
        .filter(|d| wanted(d))
        .collect();
    out.sort_by(|a, b| {
        (&a.till_id, a.report.opened_at, a.report.shift_id).cmp(&(
            &b.till_id,
            b.report.opened_at,
            b.report.shift_id,
        ))
    });
    out
}

/// A business date range, both ends included.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct DateRange {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl DateRange {
    pub fn day(d: NaiveDate) -> DateRange {
        DateRange { from: d, to: d }
    }
    pub fn contains(&self, d: NaiveDate) -> bool {
        self.from <= d && d <= self.to
    }
}

/// Where two lists of per-kind totals (tenders, tips) differ, kind by kind.
fn totals_by_kind(
    d: &mut Vec<String>,
    what: &str,
    printed: &[TenderTotal],
    derived: &[TenderTotal],
) {
    let kinds: std::collections::BTreeSet<&str> = printed
        .iter()
        .chain(derived)
        .map(|t| t.kind.as_str())
        .collect();
    for k in kinds {
        let find = |r: &[TenderTotal]| {
            r.iter()
                .find(|t| t.kind == k)
                .map(|t| (t.count, t.amount.0))
                .unwrap_or((0, 0))
        };
        let ((pc, pa), (ec, ea)) = (find(printed), find(derived));
        if (pc, pa) != (ec, ea) {
            d.push(format!(
                "{what} {k}: printed {pc} for {pa}, events {ec} for {ea}"
            ));
        }
    }
}

/// A tab still open at one of the store's tills, as its latest event shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OpenTabSeen {
    pub tab_id: Uuid,
    /// The till that holds it (while it moves: the till handing it over).
    pub till_id: String,
    pub kind: crate::tab::TabKind,
    pub label: String,
    pub member_id: Option<String>,
    pub version: u32,
    pub total: Money,
    /// Items on it (a weighed line counts once).
    pub items: i64,
    /// When it was first opened, at whichever till.
    pub opened_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub served_by: String,
    /// Handed over by `till_id` to this till (`tab.moved`), which has not opened it yet.
    pub moving_to: Option<String>,
    /// Tills that asked `till_id` for it since it got the tab, not answered yet.
    pub asked_by: Vec<String>,
}

/// One tab's events, folded.
struct TabFold {
    /// The state its highest version shows.
    latest: Option<OpenTabSeen>,
    closed: bool,
    /// When it was first opened, as a `tab.opened` without `moved_from` or a `tab.moved`
    /// says; else the earliest event seen.
    origin: Option<DateTime<Utc>>,
    earliest: DateTime<Utc>,
    /// (till, version) of each `tab.opened`: when each till got it.
    opened: Vec<(String, u32)>,
    /// (asked till, asking till, version seen) of each `tab.move_requested`.
    requests: Vec<(String, String, u32)>,
}

/// The tabs open across the store, oldest first: per tab its highest version wins, and a
/// tab whose `tab.closed` has arrived is gone. A tab handed over (`tab.moved`) stays open,
/// shown at the till handing it over and `moving_to` the other until that till's
/// `tab.opened` arrives. Events may come in any order and twice.
pub fn open_tabs<'a>(events: impl IntoIterator<Item = &'a Event>) -> Vec<OpenTabSeen> {
    let mut tabs: HashMap<Uuid, TabFold> = HashMap::new();
    for e in events {
        let at = e.header.occurred_at;
        let tab_id = match &e.body {
            EventBody::TabOpened(o) => o.tab_id,
            EventBody::TabUpdated(u) => u.tab_id,
            EventBody::TabMoved(m) => m.tab_id,
            EventBody::TabClosed(c) => c.tab_id,
            EventBody::TabMoveRequested(r) => r.tab_id,
            _ => continue,
        };
        let f = tabs.entry(tab_id).or_insert_with(|| TabFold {
            latest: None,
            closed: false,
            origin: None,
            earliest: at,
            opened: Vec::new(),
            requests: Vec::new(),
        });
        f.earliest = f.earliest.min(at);
        let till = e.header.till_id.clone();
        let (version, kind, label, member_id, lines, total, served_by, holder, moving_to) =
            match &e.body {
                EventBody::TabOpened(o) => {
                    if o.moved_from.is_none() {
                        f.origin = Some(at);
                    }
                    f.opened.push((till.clone(), o.version));
                    (
                        o.version,
                        o.kind,
                        &o.label,
                        &o.member_id,
                        &o.ticket.lines,
                        o.total,
                        &o.served_by,
                        till,
                        None,
                    )
                }
                EventBody::TabUpdated(u) => (
                    u.version,
                    u.kind,
                    &u.label,
                    &u.member_id,
                    &u.ticket.lines,
                    u.total,
                    &u.served_by,
                    till,
                    None,
                ),
                EventBody::TabMoved(m) => {
                    f.origin = Some(m.opened_at);
                    (
                        m.version,
                        m.kind,
                        &m.label,
                        &m.member_id,
                        &m.ticket.lines,
                        m.total,
                        &m.served_by,
                        till,
                        Some(m.to_till.clone()),
                    )
                }
                EventBody::TabMoveRequested(r) => {
                    f.requests.push((r.from_till.clone(), till, r.version));
                    continue;
                }
                EventBody::TabClosed(_) => {
                    f.closed = true;
                    continue;
                }
                _ => continue,
            };
        if f.latest.as_ref().is_some_and(|t| t.version >= version) {
            continue;
        }
        f.latest = Some(OpenTabSeen {
            tab_id,
            till_id: holder,
            kind,
            label: label.clone(),
            member_id: member_id.clone(),
            version,
            total,
            items: lines
                .iter()
                .map(|l| match l.quantity {
                    Quantity::Units(n) => n,
                    Quantity::Grams(_) => 1,
                })
                .sum(),
            opened_at: at,
            updated_at: at,
            served_by: served_by.clone(),
            moving_to,
            asked_by: Vec::new(),
        });
    }
    let mut out: Vec<OpenTabSeen> = tabs
        .into_values()
        .filter(|f| !f.closed)
        .filter_map(|f| {
            let mut t = f.latest?;
            t.opened_at = f.origin.unwrap_or(f.earliest);
            if t.moving_to.is_none() {
                // Only requests made while the holder had it count: not one answered
                // before the tab moved away and came back.
                let since = f
                    .opened
                    .iter()
                    .filter(|(till, v)| *till == t.till_id && *v <= t.version)
                    .map(|(_, v)| *v)
                    .max()
                    .unwrap_or(1);
                let mut asked: Vec<String> = f
                    .requests
                    .into_iter()
                    .filter(|(from, to, v)| {
                        *from == t.till_id && *to != t.till_id && since <= *v && *v <= t.version
                    })
                    .map(|(_, to, _)| to)
                    .collect();
                asked.sort();
                asked.dedup();
                t.asked_by = asked;
            }
            Some(t)
        })
        .collect();
    out.sort_by_key(|a| (a.opened_at, a.tab_id));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{EventContext, TillHeartbeat};

    /// The contract's tab story: opened at T3 (v1), updated (v2), asked for by T4, handed
    /// over by T3 (v3), opened at T4 (v4), paid there (v5).
    fn tab_story() -> Vec<Event> {
        crate::contract::examples()
            .into_iter()
            .filter(|(stem, _, _)| stem.starts_with("tab."))
            .map(|(_, _, v)| parse_event(&v.to_string()).unwrap())
            .collect()
    }

    #[test]
    fn top_products_are_per_choice_of_modifiers_and_refunds_find_theirs() {
        let bar: Vec<Event> = crate::contract::examples()
            .into_iter()
            .filter(|(_, _, v)| v.get("till_id").and_then(serde_json::Value::as_str) == Some("T7"))
            .filter_map(|(_, _, v)| parse_event(&v.to_string()).ok())
            .filter(|e| {
                matches!(
                    e.body,
                    EventBody::SaleCompleted(_) | EventBody::SaleRefunded(_)
                )
            })
            .collect();
        let EventBody::SaleCompleted(sale) = &bar[0].body else {
            panic!("the bar's first example is its sale")
        };
        let with = sale.lines.iter().find(|l| !l.modifiers.is_empty()).unwrap();
        let s = Summary::fold(&bar[..1], &|_| 12);
        let fig = s
            .products
            .iter()
            .find(|p| p.sku == with.sku && p.name.contains('('))
            .unwrap();
        for c in &with.modifiers {
            assert!(fig.name.contains(&c.name), "{} names {}", fig.name, c.name);
        }
        // The refund of that line comes off the same figure, not a plain one.
        let after = Summary::fold(&bar, &|_| 12);
        let plain = after.products.iter().filter(|p| p.sku == with.sku).count();
        assert_eq!(
            plain,
            s.products.iter().filter(|p| p.sku == with.sku).count()
        );
    }

    #[test]
    fn open_tabs_follow_the_latest_version_and_leave_when_closed() {
        let tab_events = tab_story();
        assert_eq!(tab_events.len(), 6);
        // All of them, in any order and with a copy: closed, so nothing is open.
        let mut shuffled = tab_events.clone();
        shuffled.reverse();
        shuffled.push(tab_events[0].clone());
        assert!(open_tabs(&shuffled).is_empty());
        // Before its closing arrived: the updated ticket, opened when it was opened.
        let open = open_tabs([&tab_events[1], &tab_events[0], &tab_events[1]]);
        assert_eq!(open.len(), 1);
        let EventBody::TabUpdated(u) = &tab_events[1].body else {
            panic!("the second example is tab.updated")
        };
        assert_eq!((open[0].version, open[0].total), (2, u.total));
        assert_eq!(open[0].items, 3);
        assert_eq!(open[0].opened_at, tab_events[0].header.occurred_at);
        assert_eq!(open[0].updated_at, tab_events[1].header.occurred_at);
        assert_eq!(open[0].till_id, "T3");
        assert_eq!(open[0].moving_to, None);
        assert!(open[0].asked_by.is_empty());
    }

    #[test]
    fn a_moving_tab_stays_open_and_shows_where_it_goes() {
        let ev = tab_story();
        let [opened, updated, asked, moved, adopted, _paid] = &ev[..] else {
            panic!("six tab examples")
        };
        // Asked for: still at T3, at its version, T4 waiting.
        let open = open_tabs([opened, asked, updated]);
        assert_eq!(
            (open[0].till_id.as_str(), open[0].version),
            ("T3", 2),
            "a request changes no version"
        );
        assert_eq!(open[0].asked_by, vec!["T4".to_string()]);
        assert_eq!(open[0].moving_to, None);
        // Handed over: shown at T3, moving to T4, with the ticket as it left.
        let open = open_tabs([opened, updated, asked, moved, moved]);
        assert_eq!(open.len(), 1);
        assert_eq!(
            (open[0].till_id.as_str(), open[0].moving_to.as_deref()),
            ("T3", Some("T4"))
        );
        assert_eq!((open[0].version, open[0].items), (3, 3));
        assert!(open[0].asked_by.is_empty());
        // Taken over (the move arriving after, twice): at T4, opened when T3 opened it,
        // and T4's old request is answered.
        for events in [
            vec![adopted, moved, opened, asked, updated, moved],
            vec![adopted, asked, moved],
        ] {
            let open = open_tabs(events);
            assert_eq!(open.len(), 1);
            let t = &open[0];
            assert_eq!((t.till_id.as_str(), t.moving_to.as_deref()), ("T4", None));
            assert_eq!((t.version, t.items), (4, 3));
            assert_eq!(t.opened_at, opened.header.occurred_at);
            assert_eq!(t.updated_at, adopted.header.occurred_at);
            assert_eq!(t.served_by, "C033");
            assert!(t.asked_by.is_empty(), "{:?}", t.asked_by);
        }
    }

    fn heartbeat(store: &str, till: &str, seq: u64) -> Event {
        let ctx = EventContext {
            store_id: store.into(),
            till_id: till.into(),
            occurred_at: DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default(),
            business_date: NaiveDate::from_ymd_opt(2024, 5, 1).unwrap_or_default(),
            shift_id: None,
            cashier_id: None,
        };
        Event::new(
            &ctx,
            Uuid::from_u128(u128::from(seq)),
            seq,
            EventBody::TillHeartbeat(TillHeartbeat {
                app_version: "1".into(),
                outbox_backlog: 3,
                oldest_unsent_at: None,
                last_published_at: None,
            }),
        )
    }

    #[test]
    fn a_discount_shows_who_approved_it_above_the_limit() {
        let mut events: Vec<Event> = crate::contract::examples()
            .into_iter()
            .filter(|(stem, _, _)| stem == "sale.completed.v1")
            .map(|(_, _, v)| parse_event(&v.to_string()).unwrap())
            .collect();
        // One discounted sale approved by a supervisor's PIN, as the till records it.
        let approved = events
            .iter_mut()
            .find_map(|e| match &mut e.body {
                EventBody::SaleCompleted(s) if !s.discount_total.is_zero() => {
                    s.discount_approved_by = Some("ben".into());
                    Some(s.receipt_no.clone())
                }
                _ => None,
            })
            .expect("an example sale with a discount");
        let summary = Summary::fold(&events, &|_| 0);
        let shown: Vec<(Option<String>, Option<String>)> = summary
            .exceptions
            .iter()
            .filter(|x| x.kind == "discount")
            .map(|x| (x.receipt_no.clone(), x.approved_by.clone()))
            .collect();
        assert!(
            shown.contains(&(Some(approved), Some("ben".into()))),
            "{shown:?}"
        );
    }

    #[test]
    fn the_bar_z_matches_its_events_with_service_charge_and_tips() {
        let events: Vec<Event> = crate::contract::bar_examples()
            .into_iter()
            .filter(|(_, _, v)| v.get("till_seq").is_some())
            .map(|(_, _, v)| parse_event(&v.to_string()).unwrap())
            .collect();
        let refs: Vec<&Event> = events.iter().collect();
        let shift = events[0].header.shift_id.unwrap();
        let d = derive_shift(shift, &refs, "EUR").unwrap();
        assert!(d.differences.is_empty(), "{:?}", d.differences);
        let printed = d.printed.clone().unwrap();
        assert!(printed.service_charge_total.0 > 0);
        assert_eq!(printed.tips.len(), 1);
        assert_eq!(
            (printed.tips[0].kind.as_str(), printed.tips[0].amount),
            ("card", Money(500))
        );
        // The card took the tab and the tip, and gave back the refund.
        let EventBody::SaleCompleted(sale) = &events[1].body else {
            panic!("the tab")
        };
        let EventBody::SaleRefunded(refund) = &events[2].body else {
            panic!("the refund")
        };
        assert_eq!(
            printed.tenders[0].amount,
            sale.total + Money(500) - refund.total
        );
        assert_eq!(printed.net_sales, sale.total - refund.total);
        // The manager's summary counts them the same way.
        let summary = Summary::fold(&events, &|_| 0);
        assert_eq!(summary.service_charge_total, printed.service_charge_total);
        assert_eq!(summary.tips.len(), 1);
        // A printed report that left them out is told apart.
        let mut old = printed.clone();
        old.service_charge_total = Money::ZERO;
        old.tips.clear();
        let diffs = compare_reports(&old, &d.report);
        assert_eq!(diffs.len(), 2, "{diffs:?}");
    }

    #[test]
    fn gaps_are_found_between_and_before_received_numbers() {
        assert_eq!(seq_gaps([1, 2, 3]), vec![]);
        assert_eq!(seq_gaps([2, 3, 7, 8, 10]), vec![(1, 1), (4, 6), (9, 9)]);
        assert_eq!(seq_gaps(std::iter::empty()), vec![]);
    }

    #[test]
    fn decoding_accepts_this_stores_events_and_gives_reasons_for_the_rest() {
        let e = heartbeat("S1", "T1", 4);
        let json = e.to_json().unwrap_or_default();
        let ok = decode_till_event(Some(b"T1"), Some(json.as_bytes()), "S1");
        assert_eq!(ok, Ok(Decoded::Event(Box::new(e.clone()))));
        assert_eq!(
            decode_till_event(Some(b"T1"), Some(json.as_bytes()), "S2"),
            Ok(Decoded::OtherStore)
        );
        let bad = |k: Option<&[u8]>, v: Option<&[u8]>| decode_till_event(k, v, "S1").is_err();
        assert!(
            bad(Some(b"T9"), Some(json.as_bytes())),
            "key of another till"
        );
        assert!(bad(None, Some(json.as_bytes())), "no key");
        assert!(bad(Some(b"T1"), None), "tombstone");
        assert!(bad(Some(b"T1"), Some(b"{not json")));
        assert!(bad(Some(b"T1"), Some(&[0xff, 0xfe])));
        let unknown = json.replace("till.heartbeat", "till.exploded");
        assert!(bad(Some(b"T1"), Some(unknown.as_bytes())));
        let newer = json.replace("\"schema_version\":1", "\"schema_version\":2");
        assert_ne!(newer, json);
        assert!(bad(Some(b"T1"), Some(newer.as_bytes())));
        let broken = json.replace("\"outbox_backlog\":3", "\"outbox_backlog\":\"x\"");
        assert_ne!(broken, json);
        assert!(bad(Some(b"T1"), Some(broken.as_bytes())));
    }

    #[test]
    fn loyalty_events_are_decoded_by_member_key_and_counted() {
        let ctx = EventContext {
            store_id: "S1".into(),
            till_id: "T1".into(),
            occurred_at: DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default(),
            business_date: NaiveDate::from_ymd_opt(2024, 5, 1).unwrap_or_default(),
            shift_id: None,
            cashier_id: Some("ana".into()),
        };
        let sale = Uuid::from_u128(99);
        let bodies = vec![
            EventBody::MemberEnrolled(MemberEnrolled {
                member_id: "M9".into(),
                name: "Grace".into(),
                phone: None,
                email: Some("g@example.org".into()),
                card_ids: vec![],
                tier: "member".into(),
                match_keys: vec!["email:g@example.org".into()],
            }),
            EventBody::PointsEarned(PointsEarned {
                member_id: "M9".into(),
                sale_id: sale,
                receipt_no: "T1-000001".into(),
                points: 120,
                currency: "EUR".into(),
                base: Money(1200),
                tier: "member".into(),
                tier_multiplier_percent: 100,
                promotions: vec![],
                lines: vec![],
            }),
            EventBody::PointsRedeemed(PointsRedeemed {
                member_id: "M9".into(),
                sale_id: sale,
                receipt_no: "T1-000001".into(),
                points: 50,
                currency: "EUR".into(),
                amount: Money(50),
                available_before: 60,
                approved_by: None,
                rewards: vec![],
            }),
            EventBody::PointsReversed(PointsReversed {
                member_id: "M9".into(),
                original_sale_id: sale,
                original_receipt_no: "T1-000001".into(),
                receipt_no: "T1-000002".into(),
                reason: "refund".into(),
                earned_reversed: 40,
                earned_shortfall: 0,
                redeemed_returned: 10,
            }),
        ];
        let events: Vec<Event> = bodies
            .into_iter()
            .enumerate()
            .map(|(i, b)| Event::new(&ctx, Uuid::from_u128(i as u128 + 1), i as u64 + 1, b))
            .collect();
        for e in &events {
            let json = e.to_json().unwrap_or_default();
            // Keyed by the member on pos.loyalty.v1; the till id is the wrong key there.
            assert!(matches!(
                decode_till_event(Some(b"M9"), Some(json.as_bytes()), "S1"),
                Ok(Decoded::Event(_))
            ));
            assert!(decode_till_event(Some(b"T1"), Some(json.as_bytes()), "S1").is_err());
        }
        let s = Summary::fold(&events, &|_| 9);
        assert_eq!(
            (s.enrolments, s.points_issued, s.points_redeemed),
            (1, 80, 40)
        );
    }
}

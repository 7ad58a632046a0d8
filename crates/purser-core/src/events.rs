//! The event contract: what a till writes to `pos.payments.v1` and `pos.tills.v1`.
//!
//! Every event value is one flat JSON object: the common header fields, then the fields of
//! its type. JSON Schemas in `schemas/` are generated from these types.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::cart::{Discount, PricedLine, ServiceChargeLine, TaxLine};
use crate::money::Money;
use crate::sale::{RefundLine, ServiceChargeRefund};
use crate::shift::ShiftReport;
use crate::tax::TaxMode;
use crate::tender::{Tender, Tip};

/// Which of the till's outgoing topics an event belongs on (names are configurable).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stream {
    Payments,
    Tills,
    Loyalty,
}

/// Fields every till-originated event carries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct EventHeader {
    /// UUIDv7; consumers deduplicate on it.
    pub event_id: Uuid,
    /// e.g. `sale.completed`
    pub event_type: String,
    /// Version of this event type's schema.
    pub schema_version: u32,
    pub store_id: String,
    pub till_id: String,
    /// Gapless per till across all of its topics, starting at 1. A gap means an event has
    /// not arrived (yet).
    pub till_seq: u64,
    pub occurred_at: DateTime<Utc>,
    pub business_date: NaiveDate,
    pub shift_id: Option<Uuid>,
    pub cashier_id: Option<String>,
    /// The till's journal hash of its previous event (`till_seq - 1`; empty for the first):
    /// recompute this event's own hash from its value as published
    /// (`purser_core::chain::chain_hash`) and the next event must name it. Absent in
    /// events written before it was added to the contract.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prev_hash: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SaleCompleted {
    pub sale_id: Uuid,
    pub receipt_no: String,
    pub currency: String,
    pub tax_mode: TaxMode,
    pub lines: Vec<PricedLine>,
    pub cart_discount: Option<Discount>,
    pub subtotal: Money,
    pub discount_total: Money,
    pub tax_total: Money,
    pub taxes: Vec<TaxLine>,
    /// Σ line totals + the service charge's total; tips are not part of it.
    pub total: Money,
    /// Added by cash rounding (negative when rounded down); tenders sum to total + this
    /// + Σ tips.
    pub cash_rounding: Money,
    /// Their amounts include the tips.
    pub tenders: Vec<Tender>,
    pub change: Money,
    pub member_id: Option<String>,
    /// The supervisor or manager whose PIN approved a discount above the cashier's limit
    /// (`[till] discount_approval_percent`); absent when no discount needed one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount_approved_by: Option<String>,
    /// The user signed in at the till who served the sale, when known (the header's
    /// `cashier_id` is the shift's owner; at a bar several bartenders share a shift).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub served_by: Option<String>,
    /// The automatic service charge, its own line on the receipt (in `total`; its tax in
    /// `taxes` and `tax_total`); the lines carry their shares of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_charge: Option<ServiceChargeLine>,
    /// Tips, paid by the tenders of their kind (not in `total`, not taxed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tips: Vec<Tip>,
}

impl SaleCompleted {
    /// The sale as priced and settled.
    pub fn new(
        sale_id: Uuid,
        receipt_no: String,
        currency: &str,
        cart_discount: Option<Discount>,
        priced: crate::cart::PricedCart,
        settlement: crate::tender::Settlement,
        member_id: Option<String>,
    ) -> SaleCompleted {
        SaleCompleted {
            sale_id,
            receipt_no,
            currency: currency.to_string(),
            tax_mode: priced.tax_mode,
            lines: priced.lines,
            cart_discount,
            subtotal: priced.subtotal,
            discount_total: priced.discount_total,
            tax_total: priced.tax_total,
            taxes: priced.taxes,
            total: priced.total,
            cash_rounding: settlement.cash_rounding,
            tenders: settlement.tenders,
            change: settlement.change,
            member_id,
            discount_approved_by: None,
            served_by: None,
            service_charge: priced.service_charge,
            tips: settlement.tips,
        }
    }

    /// Its figures as a shift report counts them.
    pub fn document(&self) -> crate::shift::Document {
        crate::shift::Document {
            total: self.total,
            tax_total: self.tax_total,
            discount_total: self.discount_total,
            cash_rounding: self.cash_rounding,
            service_charge: self
                .service_charge
                .as_ref()
                .map_or(Money::ZERO, |s| s.amount),
            tips: self.tips.clone(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SaleRefunded {
    pub refund_id: Uuid,
    /// The refund's own receipt number.
    pub receipt_no: String,
    pub original_sale_id: Uuid,
    pub original_receipt_no: String,
    pub currency: String,
    pub lines: Vec<RefundLine>,
    /// Amount returned to the customer, before cash rounding: Σ line amounts + the
    /// service charge's `total` given back.
    pub total: Money,
    /// Σ line tax + the service charge's tax given back.
    pub tax_total: Money,
    pub cash_rounding: Money,
    pub tenders: Vec<Tender>,
    pub reason: String,
    pub approved_by: Option<String>,
    /// The part of the sale's service charge given back with these lines
    /// (`sale::refund_service_charge`). Tips are never refunded with goods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_charge: Option<ServiceChargeRefund>,
}

impl SaleRefunded {
    /// Its figures as a shift report counts them.
    pub fn document(&self) -> crate::shift::Document {
        crate::shift::Document {
            total: self.total,
            tax_total: self.tax_total,
            discount_total: Money::ZERO,
            cash_rounding: self.cash_rounding,
            service_charge: self.service_charge.map_or(Money::ZERO, |s| s.amount),
            tips: Vec::new(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SaleVoided {
    pub sale_id: Uuid,
    pub receipt_no: String,
    pub currency: String,
    pub total: Money,
    pub tax_total: Money,
    /// The voided sale's tenders, reversed in full.
    pub tenders: Vec<Tender>,
    pub reason: String,
    pub approved_by: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DrawerOpened {
    pub reason: String,
    pub approved_by: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ShiftOpened {
    pub currency: String,
    pub opening_float: Money,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ShiftClosed {
    pub report: ShiftReport,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TillHeartbeat {
    pub app_version: String,
    /// Events waiting in the outbox when the heartbeat was written.
    pub outbox_backlog: u64,
    pub oldest_unsent_at: Option<DateTime<Utc>>,
    pub last_published_at: Option<DateTime<Utc>>,
}

/// A member enrolled at a till (offline too). The member id is a UUIDv7 made at the till;
/// `match_keys` let the cloud merge a person enrolled twice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct MemberEnrolled {
    pub member_id: String,
    pub name: String,
    /// Normalised: digits with an optional leading `+`.
    pub phone: Option<String>,
    /// Lower-cased.
    pub email: Option<String>,
    pub card_ids: Vec<String>,
    pub tier: String,
    /// e.g. `phone:+442079460001`, `email:ada@example.org`
    pub match_keys: Vec<String>,
}

/// Points a member earned on a sale.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PointsEarned {
    pub member_id: String,
    pub sale_id: Uuid,
    pub receipt_no: String,
    pub points: i64,
    pub currency: String,
    /// The part of the sale that earned points, in minor units.
    pub base: Money,
    pub tier: String,
    pub tier_multiplier_percent: u32,
    pub promotions: Vec<String>,
    pub lines: Vec<crate::loyalty::LineEarning>,
}

/// Points a member spent as a tender on a sale.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PointsRedeemed {
    pub member_id: String,
    pub sale_id: Uuid,
    pub receipt_no: String,
    pub points: i64,
    pub currency: String,
    /// What the points paid, in minor units.
    pub amount: Money,
    /// The balance the till relied on (published balance and its own unsynced events).
    pub available_before: i64,
    /// A supervisor approved going above the till's offline redemption caps.
    pub approved_by: Option<String>,
    /// Items given as rewards for points (their points are part of `points`; the rest
    /// paid `amount` as a tender).
    #[serde(default)]
    pub rewards: Vec<crate::loyalty::RewardLine>,
}

/// A refund or void giving back earned and redeemed points of an earlier sale.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PointsReversed {
    pub member_id: String,
    pub original_sale_id: Uuid,
    pub original_receipt_no: String,
    /// The refund's receipt number, or the voided sale's.
    pub receipt_no: String,
    /// refund or void
    pub reason: String,
    /// Earned points taken back from the member.
    pub earned_reversed: i64,
    /// Earned points that should have been taken back but were no longer in the balance
    /// the till knew of (already spent); the cloud settles them.
    pub earned_shortfall: i64,
    /// Redeemed points given back to the member.
    pub redeemed_returned: i64,
}

/// A tab or parked ticket opened at a till (`crate::tab`), with what it holds already.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TabOpened {
    pub tab_id: Uuid,
    pub kind: crate::tab::TabKind,
    /// A name or table, or the member's name.
    pub label: String,
    pub member_id: Option<String>,
    /// Starts at 1; every later change of the tab adds one.
    pub version: u32,
    #[serde(flatten)]
    pub ticket: crate::tab::TabTicket,
    /// What the ticket comes to now, in minor units.
    pub total: Money,
    /// The user signed in at the till when it was opened (for a moved tab: who asked
    /// for it at this till).
    pub served_by: String,
    /// Set when the tab came from another till (`tab.moved`): the till that handed it
    /// over and the version of its `tab.moved`. The tab keeps its id and its versions go
    /// on from there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moved_from: Option<MovedFrom>,
}

/// Where a moved tab came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct MovedFrom {
    pub till_id: String,
    /// The version of the `tab.moved` that handed it over.
    pub version: u32,
}

/// A change to an open tab: the whole ticket as it now stands, and what changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TabUpdated {
    pub tab_id: Uuid,
    pub kind: crate::tab::TabKind,
    pub label: String,
    pub member_id: Option<String>,
    pub version: u32,
    pub change: crate::tab::TabChange,
    #[serde(flatten)]
    pub ticket: crate::tab::TabTicket,
    pub total: Money,
    /// The user signed in at the till when it changed.
    pub served_by: String,
}

/// A tab ended: paid (with the sale recorded in the same transaction) or cancelled empty.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TabClosed {
    pub tab_id: Uuid,
    pub kind: crate::tab::TabKind,
    pub label: String,
    /// The version it was closed at (one more than its last update).
    pub version: u32,
    pub outcome: crate::tab::TabOutcome,
    pub served_by: String,
}

/// A till asks for a tab another till holds (the guest wants to pay or go on drinking
/// here). Nothing changes until the holder answers with `tab.moved`; a holder that no
/// longer holds the tab open (paid, moved on) lets the request be.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TabMoveRequested {
    pub tab_id: Uuid,
    /// The till that holds the tab, as the asking till's list of the store's tabs showed it.
    pub from_till: String,
    /// The asking till (this event's own `till_id`).
    pub to_till: String,
    /// The tab's version as that list showed it. The holder answers only a request made
    /// while it held the tab (this version is at least the one it got the tab at), so a
    /// request from before the tab moved away and came back is not answered again.
    pub version: u32,
    /// The user signed in at the asking till.
    pub requested_by: String,
}

/// The till that held a tab hands it over to the till that asked for it: the tab is closed
/// there, with the whole ticket as it stood, in one transaction with this event. The
/// receiving till opens it (`tab.opened` with `moved_from`) at `version + 1`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TabMoved {
    pub tab_id: Uuid,
    /// The till that held it (this event's own `till_id`).
    pub from_till: String,
    /// The till that asked for it, and now holds it.
    pub to_till: String,
    /// One more than the tab's last version at `from_till`.
    pub version: u32,
    /// The `tab.move_requested` this answers (its `event_id`).
    pub request_id: Uuid,
    pub requested_by: String,
    pub kind: crate::tab::TabKind,
    pub label: String,
    pub member_id: Option<String>,
    #[serde(flatten)]
    pub ticket: crate::tab::TabTicket,
    /// The number the tab's next line gets (a line number is never used twice on a tab).
    pub next_line_no: u32,
    pub total: Money,
    /// When and by whom the tab was first opened (at whichever till).
    pub opened_at: DateTime<Utc>,
    pub opened_by: String,
    /// The user who served it last at `from_till`.
    pub served_by: String,
}

/// The body of an event, one variant per event type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventBody {
    SaleCompleted(SaleCompleted),
    SaleRefunded(SaleRefunded),
    SaleVoided(SaleVoided),
    DrawerOpened(DrawerOpened),
    ShiftOpened(ShiftOpened),
    ShiftClosed(ShiftClosed),
    TillHeartbeat(TillHeartbeat),
    MemberEnrolled(MemberEnrolled),
    PointsEarned(PointsEarned),
    PointsRedeemed(PointsRedeemed),
    PointsReversed(PointsReversed),
    TabOpened(TabOpened),
    TabUpdated(TabUpdated),
    TabClosed(TabClosed),
    TabMoveRequested(TabMoveRequested),
    TabMoved(TabMoved),
}

/// (event_type, stream, schema version) of every event type, in the order of `EventBody`.
pub const EVENT_TYPES: &[(&str, Stream, u32)] = &[
    ("sale.completed", Stream::Payments, 1),
    ("sale.refunded", Stream::Payments, 1),
    ("sale.voided", Stream::Payments, 1),
    ("drawer.opened", Stream::Payments, 1),
    ("shift.opened", Stream::Tills, 1),
    ("shift.closed", Stream::Tills, 1),
    ("till.heartbeat", Stream::Tills, 1),
    ("loyalty.enrolled", Stream::Loyalty, 1),
    ("loyalty.points_earned", Stream::Loyalty, 1),
    ("loyalty.points_redeemed", Stream::Loyalty, 1),
    ("loyalty.points_reversed", Stream::Loyalty, 1),
    ("tab.opened", Stream::Payments, 1),
    ("tab.updated", Stream::Payments, 1),
    ("tab.closed", Stream::Payments, 1),
    ("tab.move_requested", Stream::Payments, 1),
    ("tab.moved", Stream::Payments, 1),
];

impl EventBody {
    fn index(&self) -> usize {
        match self {
            EventBody::SaleCompleted(_) => 0,
            EventBody::SaleRefunded(_) => 1,
            EventBody::SaleVoided(_) => 2,
            EventBody::DrawerOpened(_) => 3,
            EventBody::ShiftOpened(_) => 4,
            EventBody::ShiftClosed(_) => 5,
            EventBody::TillHeartbeat(_) => 6,
            EventBody::MemberEnrolled(_) => 7,
            EventBody::PointsEarned(_) => 8,
            EventBody::PointsRedeemed(_) => 9,
            EventBody::PointsReversed(_) => 10,
            EventBody::TabOpened(_) => 11,
            EventBody::TabUpdated(_) => 12,
            EventBody::TabClosed(_) => 13,
            EventBody::TabMoveRequested(_) => 14,
            EventBody::TabMoved(_) => 15,
        }
    }
    /// The member a loyalty event is about (its Kafka key).
    pub fn member_id(&self) -> Option<&str> {
        match self {
            EventBody::MemberEnrolled(b) => Some(&b.member_id),
            EventBody::PointsEarned(b) => Some(&b.member_id),
            EventBody::PointsRedeemed(b) => Some(&b.member_id),
            EventBody::PointsReversed(b) => Some(&b.member_id),
            _ => None,
        }
    }
    pub fn event_type(&self) -> &'static str {
        EVENT_TYPES[self.index()].0
    }
    pub fn stream(&self) -> Stream {
        EVENT_TYPES[self.index()].1
    }
    pub fn schema_version(&self) -> u32 {
        EVENT_TYPES[self.index()].2
    }
    fn to_value(&self) -> serde_json::Result<serde_json::Value> {
        match self {
            EventBody::SaleCompleted(b) => serde_json::to_value(b),
            EventBody::SaleRefunded(b) => serde_json::to_value(b),
            EventBody::SaleVoided(b) => serde_json::to_value(b),
            EventBody::DrawerOpened(b) => serde_json::to_value(b),
            EventBody::ShiftOpened(b) => serde_json::to_value(b),
            EventBody::ShiftClosed(b) => serde_json::to_value(b),
            EventBody::TillHeartbeat(b) => serde_json::to_value(b),
            EventBody::MemberEnrolled(b) => serde_json::to_value(b),
            EventBody::PointsEarned(b) => serde_json::to_value(b),
            EventBody::PointsRedeemed(b) => serde_json::to_value(b),
            EventBody::PointsReversed(b) => serde_json::to_value(b),
            EventBody::TabOpened(b) => serde_json::to_value(b),
            EventBody::TabUpdated(b) => serde_json::to_value(b),
            EventBody::TabClosed(b) => serde_json::to_value(b),
            EventBody::TabMoveRequested(b) => serde_json::to_value(b),
            EventBody::TabMoved(b) => serde_json::to_value(b),
        }
    }
}

/// The shape of one event value on the wire: header and body in one flat object. Used
/// for schema generation and by consumers that read a known event type.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Envelope<T> {
    #[serde(flatten)]
    pub header: EventHeader,
    #[serde(flatten)]
    pub body: T,
}

/// A till event ready for the outbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub header: EventHeader,
    pub body: EventBody,
}

/// Which till and shift an event comes from; the outbox adds `event_id` and `till_seq`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventContext {
    pub store_id: String,
    pub till_id: String,
    pub occurred_at: DateTime<Utc>,
    pub business_date: NaiveDate,
    pub shift_id: Option<Uuid>,
    pub cashier_id: Option<String>,
}

impl Event {
    pub fn new(ctx: &EventContext, event_id: Uuid, till_seq: u64, body: EventBody) -> Event {
        Event {
            header: EventHeader {
                event_id,
                event_type: body.event_type().to_string(),
                schema_version: body.schema_version(),
                store_id: ctx.store_id.clone(),
                till_id: ctx.till_id.clone(),
                till_seq,
                occurred_at: ctx.occurred_at,
                business_date: ctx.business_date,
                shift_id: ctx.shift_id,
                cashier_id: ctx.cashier_id.clone(),
                prev_hash: None,
            },
            body,
        }
    }

    /// The event value as one flat JSON object (header fields first).
    pub fn to_json(&self) -> serde_json::Result<String> {
        let mut value = serde_json::to_value(&self.header)?;
        if let (Some(obj), serde_json::Value::Object(body)) =
            (value.as_object_mut(), self.body.to_value()?)
        {
            obj.extend(body);
        }
        serde_json::to_string(&value)
    }

    /// The Kafka message key: the till for payments and tills topics, so one till's events
    /// stay in one partition and in order; the member for loyalty events, so one member's
    /// events stay in order.
    pub fn key(&self) -> String {
        match self.body.member_id() {
            Some(m) if self.body.stream() == Stream::Loyalty => m.to_string(),
            _ => self.header.till_id.clone(),
        }
    }

    /// CloudEvents Kafka protocol binding, binary mode.
    pub fn cloudevents_headers(&self) -> Vec<(String, String)> {
        let h = &self.header;
        vec![
            ("ce_specversion".into(), "1.0".into()),
            ("ce_id".into(), h.event_id.to_string()),
            (
                "ce_source".into(),
                format!("/stores/{}/tills/{}", h.store_id, h.till_id),
            ),
            ("ce_type".into(), ce_type(&h.event_type, h.schema_version)),
            (
                "ce_time".into(),
                h.occurred_at.to_rfc3339_opts(SecondsFormat::Micros, true),
            ),
            ("ce_subject".into(), h.till_seq.to_string()),
            ("content-type".into(), "application/json".into()),
        ]
    }
}

/// `ce_type` of an event type, e.g. `io.purser.sale.completed.v1`.
pub fn ce_type(event_type: &str, version: u32) -> String {
    format!("io.purser.{event_type}.v{version}")
}

/// What a consumer finds when it checks the events of one or more tills: the cloud's
/// reconciliation rule, used by tests, the demo and `purser` tooling alike.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SequenceAudit {
    /// Distinct events (after deduplication on `event_id`).
    pub distinct: usize,
    /// Copies beyond the first of an `event_id`.
    pub duplicates: usize,
    /// (till_id, highest till_seq seen)
    pub tills: Vec<(String, u64)>,
    /// (till_id, first missing, last missing)
    pub gaps: Vec<(String, u64, u64)>,
    /// (till_id, till_seq) where a first copy arrived after a higher till_seq of the same
    /// till on the same topic partition.
    pub out_of_order: Vec<(String, u64)>,
    /// Same event_id with different content.
    pub conflicts: Vec<Uuid>,
}

/// Audits events given in arrival order as (partition key, header, raw value).
pub fn audit_sequence<'a>(
    events: impl IntoIterator<Item = (&'a str, &'a EventHeader, &'a str)>,
) -> SequenceAudit {
    use std::collections::{BTreeMap, HashMap};
    let mut seen: HashMap<Uuid, &str> = HashMap::new();
    let mut per_till: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    let mut last_on_partition: HashMap<(String, String), u64> = HashMap::new();
    let mut a = SequenceAudit::default();
    for (partition, h, raw) in events {
        if let Some(prev) = seen.get(&h.event_id) {
            a.duplicates += 1;
            if *prev != raw {
                a.conflicts.push(h.event_id);
            }
            continue;
        }
        seen.insert(h.event_id, raw);
        per_till
            .entry(h.till_id.clone())
            .or_default()
            .push(h.till_seq);
        let k = (partition.to_string(), h.till_id.clone());
        if let Some(last) = last_on_partition.get(&k) {
            if h.till_seq < *last {
                a.out_of_order.push((h.till_id.clone(), h.till_seq));
            }
        }
        let e = last_on_partition.entry(k).or_insert(0);
        *e = (*e).max(h.till_seq);
    }
    a.distinct = seen.len();
    for (till, mut seqs) in per_till {
        seqs.sort_unstable();
        let mut expect = 1u64;
        for s in &seqs {
            if *s > expect {
                a.gaps.push((till.clone(), expect, s - 1));
            }
            expect = s + 1;
        }
        a.tills.push((till, seqs.last().copied().unwrap_or(0)));
    }
    a
}

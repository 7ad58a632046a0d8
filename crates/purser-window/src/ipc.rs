//! The desktop window's IPC contract: the commands the UI may call, their arguments and
//! their results. Everything here is a wire type (a DTO); domain types never cross.
//!
//! Each command is declared once, in `commands!` below. From that one list come the
//! dispatcher the Tauri shell calls (`dispatch`, on the window's `Station`: the till's
//! commands go to its `Desk`, the first-run setup's `@station` commands to the station) and the TypeScript bindings the UI
//! imports (`typescript()`, written to `ui/src/lib/bindings.ts`; a test fails when the
//! file is stale). Amounts travel as integers in minor units; what a cashier types
//! (amounts, quantities, discounts) travels as text and is parsed here, so the window
//! and the `purser` command accept and refuse exactly the same input.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::station::{PrinterArgs, SetupDefaults, SetupSaved, Station};
use purser_app::error::{AppError, AppResult};
use purser_app::setup::{FieldIssue, KafkaTestView, PrinterTestView, SetupForm};

// ----- results ------------------------------------------------------------------------

// The views of products, members and users are the CLI's `--format json` too.
pub use crate::views::{
    AccountView, MemberView, ModifierGroupView, ModifierOptionView, ProductView, RoleView,
    StockState, StockView, UserView,
};

#[derive(Clone, Debug, Serialize, TS)]
pub struct AppInfo {
    pub store_id: String,
    pub till_id: String,
    pub currency: String,
    pub currency_exponent: u32,
    pub cash_rounding: i64,
    pub tax_mode: String,
    pub version: String,
    /// Running on the embedded demo store (the sign-in screen shows the demo users).
    pub demo: bool,
    pub printer: Option<String>,
    pub auto_lock_secs: u32,
    pub discount_approval_percent: u32,
    pub language: String,
}

#[derive(Clone, Debug, Serialize, TS)]
pub struct ShiftView {
    pub shift_id: String,
    pub cashier_id: String,
    pub business_date: String,
    pub opened_at: String,
    pub opening_float: i64,
}

#[derive(Clone, Debug, Serialize, TS)]
pub struct SessionView {
    pub user: UserView,
    pub shift: Option<ShiftView>,
}

#[derive(Clone, Debug, Serialize, TS)]
pub struct CategoryView {
    pub name: String,
    pub products: u32,
}

#[derive(Clone, Debug, Serialize, TS)]
pub struct TicketLine {
    pub line_no: u32,
    pub sku: String,
    pub name: String,
    /// As the receipt shows it: "2" or "0.350 kg".
    pub quantity: String,
    pub weighed: bool,
    pub unit_price: i64,
    pub gross: i64,
    pub line_discount: i64,
    pub discount_label: Option<String>,
    pub cart_discount: i64,
    pub tax: i64,
    pub total: i64,
    pub stock: Option<StockView>,
    /// Points per unit when this item can be given as a reward.
    pub reward_cost: Option<i64>,
    /// Given to the member as a reward for points (free on the ticket).
    pub reward: bool,
    /// The choices made for it ("Double +4.00", "Rocks").
    pub modifiers: Vec<ModifierChoiceView>,
    /// The price rule (happy hour) that priced it, and the list price it replaced.
    pub price_rule: Option<String>,
    pub list_price: Option<i64>,
}

#[derive(Clone, Debug, Serialize, TS)]
pub struct ModifierChoiceView {
    pub group: String,
    pub name: String,
    pub price_delta: i64,
}

/// The service charge on a ticket: its own line.
#[derive(Clone, Debug, Serialize, TS)]
pub struct ServiceChargeView {
    /// e.g. "18%"
    pub rate: String,
    /// What it was charged on (the eligible lines after discounts).
    pub base: i64,
    pub amount: i64,
    /// What the customer pays for it (+ tax when prices exclude tax).
    pub total: i64,
}

#[derive(Clone, Debug, Serialize, TS)]
pub struct TaxView {
    pub tax_class: String,
    pub rate: String,
    pub base: i64,
    pub tax: i64,
}

#[derive(Clone, Debug, Serialize, TS)]
pub struct TicketView {
    pub lines: Vec<TicketLine>,
    pub subtotal: i64,
    pub discount_total: i64,
    pub cart_discount_label: Option<String>,
    pub tax_total: i64,
    pub taxes: Vec<TaxView>,
    /// inclusive (prices include tax) or exclusive (tax added at the total)
    pub tax_mode: String,
    pub total: i64,
    pub items: u32,
    /// Set when a price arrived from headquarters after a line was rung up: the line
    /// keeps the price it was rung up at.
    pub price_changed: Vec<String>,
    /// The loyalty member on the sale.
    pub member: Option<MemberView>,
    /// Points the lines given as rewards cost.
    pub reward_points: i64,
    /// The tab or parked ticket on the screen: every change to it is saved at once.
    pub tab: Option<TabTagView>,
    pub service_charge: Option<ServiceChargeView>,
}

/// A tab, or a ticket parked to serve someone else.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum TabKindView {
    Tab,
    Parked,
}

impl From<purser_core::tab::TabKind> for TabKindView {
    fn from(k: purser_core::tab::TabKind) -> Self {
        match k {
            purser_core::tab::TabKind::Tab => TabKindView::Tab,
            purser_core::tab::TabKind::Parked => TabKindView::Parked,
        }
    }
}

/// The tab a ticket belongs to.
#[derive(Clone, Debug, Serialize, TS)]
pub struct TabTagView {
    pub tab_id: String,
    pub kind: TabKindView,
    pub label: String,
    pub opened_at: String,
}

/// An open tab or parked ticket in the till's list.
#[derive(Clone, Debug, Serialize, TS)]
pub struct TabView {
    pub tab_id: String,
    pub kind: TabKindView,
    pub label: String,
    pub member_name: Option<String>,
    /// Items on it (a weighed line counts once).
    pub items: u32,
    pub total: i64,
    pub opened_at: String,
    pub updated_at: String,
    /// Who opened it, and who changed it last.
    pub opened_by: String,
    pub served_by: String,
    /// On this window's screen now.
    pub on_screen: bool,
}

/// The loyalty part of a receipt.
#[derive(Clone, Debug, Serialize, TS)]
pub struct LoyaltyReceiptView {
    pub member_id: String,
    pub name: String,
    pub earned: i64,
    pub redeemed: i64,
    pub reversed: i64,
    pub returned: i64,
    pub balance: i64,
}

#[derive(Clone, Debug, Serialize, TS)]
pub struct ReceiptView {
    /// sale, refund or void
    pub kind: String,
    pub receipt_no: String,
    pub total: i64,
    pub change: i64,
    pub text: String,
    /// `null` when no printer is configured.
    pub printed: Option<bool>,
    pub print_error: Option<String>,
    pub opens_drawer: bool,
    pub loyalty: Option<LoyaltyReceiptView>,
}

#[derive(Clone, Debug, Serialize, TS)]
pub struct SoldLineView {
    pub line_no: u32,
    pub sku: String,
    pub name: String,
    pub weighed: bool,
    /// Units, or grams for weighed lines.
    pub sold: i64,
    pub refunded: i64,
    pub refundable: i64,
    pub total: i64,
}

#[derive(Clone, Debug, Serialize, TS)]
pub struct SaleLookup {
    pub receipt_no: String,
    pub total: i64,
    pub voided: bool,
    /// A post-void is possible (same shift, not voided, nothing refunded).
    pub can_void: bool,
    pub lines: Vec<SoldLineView>,
}

#[derive(Clone, Debug, Serialize, TS)]
pub struct ReportView {
    /// X or Z
    pub kind: String,
    pub text: String,
    pub net_sales: i64,
    pub sales_count: i64,
    pub expected_cash: i64,
    pub counted_cash: Option<i64>,
    pub over_short: Option<i64>,
}

#[derive(Clone, Debug, Serialize, TS)]
pub struct StreamView {
    pub topic: String,
    /// catalog, inventory or accounts
    pub kind: String,
    pub lag: Option<i64>,
    pub last_applied_at: Option<String>,
    pub quarantined: u64,
}

#[derive(Clone, Debug, Serialize, TS)]
pub struct StatusView {
    /// The store's Kafka cluster answered recently (acknowledged or refused the events).
    pub online: bool,
    pub last_error: Option<String>,
    /// Events waiting in the outbox.
    pub outbox_pending: u64,
    /// Age of the oldest waiting event, in seconds.
    pub oldest_pending_secs: Option<i64>,
    pub last_sent_at: Option<String>,
    pub streams: Vec<StreamView>,
    /// Grows whenever catalog, stock or accounts change: the window refreshes on it.
    pub data_version: u64,
    pub signed_in: bool,
    /// The session was locked for inactivity: the same user signs in again.
    pub locked: bool,
    /// The receipt printer's last failure, while it lasts.
    pub printer_error: Option<String>,
    /// Grows whenever the manager's figures took in new events from the store's cluster.
    pub report_version: u64,
    /// The cluster refuses this till's events (its ACLs), while it lasts.
    pub write_refused: Option<RefusedView>,
    /// The relay cannot use the till database and is retrying, or has stopped: why.
    pub relay_problem: Option<RelayProblemView>,
    /// The first waiting event, which the cluster keeps refusing: the rest wait behind it.
    pub blocked: Option<BlockedView>,
}

#[derive(Clone, Debug, Serialize, TS)]
pub struct RelayProblemView {
    /// The relay has stopped for good (restart the till); otherwise it is retrying.
    pub stopped: bool,
    pub message: String,
}

#[derive(Clone, Debug, Serialize, TS)]
pub struct BlockedView {
    pub till_seq: u64,
    pub event_type: String,
    pub topic: String,
    pub attempts: u32,
    /// The cluster's last answer for it.
    pub error: String,
}

/// The store's cluster is not letting this till write.
#[derive(Clone, Debug, Serialize, TS)]
pub struct RefusedView {
    /// The topic refused; none when the cluster refuses the till's producer itself.
    pub topic: Option<String>,
    /// Kafka's error name: TOPIC_AUTHORIZATION_FAILED or CLUSTER_AUTHORIZATION_FAILED.
    pub error: String,
}

#[derive(Clone, Debug, Serialize, TS)]
pub struct PdfView {
    pub path: String,
}

// ----- the manager's view ---------------------------------------------------------------

#[derive(Clone, Debug, Serialize, TS)]
pub struct HourView {
    /// Local hour of the store, 0-23.
    pub hour: u32,
    pub transactions: i64,
    pub net: i64,
}

#[derive(Clone, Debug, Serialize, TS)]
pub struct TenderMixView {
    /// cash, card, account or points
    pub kind: String,
    pub count: i64,
    pub amount: i64,
}

#[derive(Clone, Debug, Serialize, TS)]
pub struct ProductSalesView {
    pub sku: String,
    pub name: String,
    /// "12" units or "1.250 kg"
    pub quantity: String,
    pub net: i64,
}

/// Figures of one till or one cashier.
#[derive(Clone, Debug, Serialize, TS)]
pub struct GroupView {
    pub id: String,
    pub transactions: i64,
    pub net: i64,
    pub refunds_count: i64,
    pub refunds_total: i64,
    pub voids_count: i64,
    pub voids_total: i64,
    /// Service charge (inside `net`) and tips (outside it) of the sales this till or user
    /// served.
    pub service_charge: i64,
    pub tips: i64,
}

/// A refund, void, no-sale or discount, with who approved it.
#[derive(Clone, Debug, Serialize, TS)]
pub struct ExceptionView {
    /// refund, void, drawer or discount
    pub kind: String,
    pub till_id: String,
    pub cashier_id: Option<String>,
    /// Local date and time at the store, "2024-05-01 14:32".
    pub at: String,
    pub receipt_no: Option<String>,
    pub amount: i64,
    pub reason: Option<String>,
    pub approved_by: Option<String>,
}

/// `till_seq` numbers of a till not arrived yet.
#[derive(Clone, Debug, Serialize, TS)]
pub struct GapView {
    pub till_id: String,
    pub first: u64,
    pub last: u64,
}

#[derive(Clone, Debug, Serialize, TS)]
pub struct SummaryView {
    pub from: String,
    pub to: String,
    pub till: Option<String>,
    pub cashier: Option<String>,
    /// sales − voids − refunds
    pub net_sales: i64,
    pub transactions: i64,
    pub average_basket: i64,
    pub sales_count: i64,
    pub sales_total: i64,
    pub voids_count: i64,
    pub voids_total: i64,
    pub refunds_count: i64,
    pub refunds_total: i64,
    pub tax_total: i64,
    pub discount_total: i64,
    pub items_sold: i64,
    pub drawer_opens: i64,
    pub member_sales: i64,
    /// Points spent (tender and rewards) minus points given back.
    pub points_redeemed: i64,
    /// Points earned minus points taken back.
    pub points_issued: i64,
    /// Members enrolled at the store's tills.
    pub enrolments: i64,
    /// All 24 hours.
    pub by_hour: Vec<HourView>,
    pub tenders: Vec<TenderMixView>,
    /// The ten best sellers by net amount.
    pub top_products: Vec<ProductSalesView>,
    pub tills: Vec<GroupView>,
    pub cashiers: Vec<GroupView>,
    pub exceptions: Vec<ExceptionView>,
    pub gaps: Vec<GapView>,
}

/// One shift's X or Z report.
#[derive(Clone, Debug, Serialize, TS)]
pub struct ShiftReportView {
    pub till_id: String,
    pub shift_id: String,
    /// X or Z
    pub kind: String,
    /// The shift is still open: figures as they stand (an interim X).
    pub interim: bool,
    pub cashier_id: String,
    pub business_date: String,
    pub opened_at: String,
    pub closed_at: Option<String>,
    pub opening_float: i64,
    pub sales_count: i64,
    pub sales_total: i64,
    pub voids_count: i64,
    pub voids_total: i64,
    pub refunds_count: i64,
    pub refunds_total: i64,
    pub net_sales: i64,
    pub tax_total: i64,
    pub discount_total: i64,
    pub drawer_opens: i64,
    pub tenders: Vec<TenderMixView>,
    pub expected_cash: i64,
    pub counted_cash: Option<i64>,
    pub over_short: Option<i64>,
    /// `null` while the till has not printed a report for it; false when the printed
    /// report disagrees with the sum of the shift's events.
    pub agrees: Option<bool>,
    pub differences: Vec<String>,
    /// As the till prints it.
    pub text: String,
}

#[derive(Clone, Debug, Serialize, TS)]
pub struct StoreTotalsView {
    pub shifts: i64,
    pub sales_count: i64,
    pub sales_total: i64,
    pub voids_count: i64,
    pub voids_total: i64,
    pub refunds_count: i64,
    pub refunds_total: i64,
    pub net_sales: i64,
    pub tax_total: i64,
    pub discount_total: i64,
    pub drawer_opens: i64,
    pub tenders: Vec<TenderMixView>,
    pub opening_float: i64,
    pub expected_cash: i64,
    pub counted_cash: i64,
    pub over_short: i64,
}

#[derive(Clone, Debug, Serialize, TS)]
pub struct ShiftsView {
    /// x or z
    pub kind: String,
    pub from: String,
    pub to: String,
    pub shifts: Vec<ShiftReportView>,
    pub store: StoreTotalsView,
    pub disagreements: u32,
    /// Tills with a shift still open in the period (Z only).
    pub open_tills: Vec<String>,
    pub gaps: Vec<GapView>,
}

#[derive(Clone, Debug, Serialize, TS)]
pub struct TillHealthView {
    pub till_id: String,
    pub link: TillLinkView,
    pub last_heartbeat_at: Option<String>,
    pub heartbeat_age_secs: Option<i64>,
    /// Events the till held at its last heartbeat.
    pub outbox_backlog: Option<u64>,
    pub oldest_waiting_secs: Option<i64>,
    pub last_event_at: String,
    /// Seconds since the store last received one of the till's events.
    pub received_age_secs: i64,
    pub events: u64,
    pub highest_seq: u64,
    pub gaps: Vec<GapView>,
    pub app_version: Option<String>,
    /// Headquarters' word on the till's latest days, newest first (empty until the
    /// cloud's reconciler has published and MirrorMaker brought it here).
    pub hq_days: Vec<HqDayView>,
}

/// A till's link to the store's cluster, as its heartbeats tell it: `online` (a
/// heartbeat within three intervals), `offline`, or `no_heartbeats` (its events arrive
/// but it writes no heartbeats: a headless till sent with `purser relay --until-empty`).
#[derive(Clone, Copy, Debug, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum TillLinkView {
    Online,
    Offline,
    NoHeartbeats,
}

impl From<purser_app::report::TillLink> for TillLinkView {
    fn from(l: purser_app::report::TillLink) -> Self {
        use purser_app::report::TillLink;
        match l {
            TillLink::Online => TillLinkView::Online,
            TillLink::Offline => TillLinkView::Offline,
            TillLink::NoHeartbeats => TillLinkView::NoHeartbeats,
        }
    }
}

/// Headquarters' verdict on one till's day (`pos.reconciliation.v1`).
#[derive(Clone, Copy, Debug, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum HqState {
    Complete,
    Waiting,
    ZMismatch,
    ChainBroken,
    Conflict,
}

impl From<purser_core::reconciliation::DayState> for HqState {
    fn from(s: purser_core::reconciliation::DayState) -> HqState {
        use purser_core::reconciliation::DayState as D;
        match s {
            D::Complete => HqState::Complete,
            D::Waiting => HqState::Waiting,
            D::ZMismatch => HqState::ZMismatch,
            D::ChainBroken => HqState::ChainBroken,
            D::Conflict => HqState::Conflict,
        }
    }
}

#[derive(Clone, Debug, Serialize, TS)]
pub struct HqDayView {
    pub business_date: String,
    pub state: HqState,
    /// `till_seq` headquarters still waits for, as "5, 9-12" (empty: none).
    pub missing: String,
    pub problems: Vec<String>,
    pub updated_at: String,
}

#[derive(Clone, Debug, Serialize, TS)]
pub struct LowStockView {
    pub sku: String,
    pub name: Option<String>,
    pub on_hand: i64,
    pub low_stock_at: i64,
}

#[derive(Clone, Debug, Serialize, TS)]
pub struct QuarantineView {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub reason: String,
    pub received_at: String,
}

#[derive(Clone, Debug, Serialize, TS)]
pub struct TillsView {
    pub tills: Vec<TillHealthView>,
    /// The manager's consumer reaches the store's cluster.
    pub connected: bool,
    /// Records on the cluster not yet in the figures.
    pub lag: Option<i64>,
    pub events: u64,
    pub duplicates: u64,
    pub low_stock: Vec<LowStockView>,
    pub quarantined: Vec<QuarantineView>,
    /// Tabs and parked tickets open at the store's tills, oldest first.
    pub open_tabs: Vec<StoreTabView>,
}

/// A tab open at one of the store's tills, as its latest event shows it.
#[derive(Clone, Debug, Serialize, TS)]
pub struct StoreTabView {
    pub tab_id: String,
    pub till_id: String,
    pub kind: TabKindView,
    pub label: String,
    pub items: i64,
    pub total: i64,
    pub opened_at: String,
    /// How long it has been open.
    pub age_secs: i64,
    pub served_by: String,
    /// Held by this till (it is in this till's own list).
    pub here: bool,
    /// Handed over by `till_id` to this till, which has not taken it over yet.
    pub moving_to: Option<String>,
    /// This till asked `till_id` for it and is waiting for the hand-over.
    pub asked_here: bool,
}

#[derive(Clone, Debug, Serialize, TS)]
pub struct ReportOptionsView {
    /// Today's business date at the store.
    pub today: String,
    pub tills: Vec<String>,
    pub cashiers: Vec<String>,
}

#[derive(Clone, Debug, Serialize, TS)]
pub struct ExportView {
    pub path: String,
}

// ----- arguments ----------------------------------------------------------------------

#[derive(Clone, Debug, Default, Deserialize, TS)]
pub struct Empty {}

#[derive(Clone, Debug, Deserialize, TS)]
pub struct SignInArgs {
    pub user_id: String,
    pub pin: String,
}

/// A supervisor's (or manager's) PIN approving an action.
#[derive(Clone, Debug, Deserialize, TS)]
pub struct Approval {
    pub user_id: String,
    pub pin: String,
}

#[derive(Clone, Debug, Deserialize, TS)]
pub struct OpenShiftArgs {
    pub float: String,
}

#[derive(Clone, Debug, Deserialize, TS)]
pub struct CloseShiftArgs {
    pub counted: String,
    /// "x" hands over mid-day, "z" ends the business day.
    pub kind: String,
}

#[derive(Clone, Debug, Deserialize, TS)]
pub struct AddItemArgs {
    /// A barcode or SKU.
    pub code: String,
    /// "2", "0.350kg", "350g"; `null` = one unit.
    pub quantity: Option<String>,
    /// The modifiers chosen in the picker (`null` or empty: none).
    #[serde(default)]
    pub choices: Option<Vec<ChoiceArg>>,
}

#[derive(Clone, Debug, Deserialize, TS)]
pub struct ChoiceArg {
    pub group_id: String,
    pub option_id: String,
}

#[derive(Clone, Debug, Deserialize, TS)]
pub struct CodeArgs {
    /// A barcode or SKU.
    pub code: String,
}

#[derive(Clone, Debug, Deserialize, TS)]
pub struct SetQuantityArgs {
    pub line_no: u32,
    pub quantity: String,
}

#[derive(Clone, Debug, Deserialize, TS)]
pub struct LineArgs {
    pub line_no: u32,
}

#[derive(Clone, Debug, Deserialize, TS)]
pub struct DiscountArgs {
    /// `null` for the whole ticket.
    pub line_no: Option<u32>,
    /// "10%" or an amount such as "1.50"; `null` removes the discount.
    pub discount: Option<String>,
    pub approval: Option<Approval>,
}

#[derive(Clone, Debug, Deserialize, TS)]
pub struct SearchArgs {
    pub text: String,
    pub limit: u32,
}

#[derive(Clone, Debug, Deserialize, TS)]
pub struct CategoryArgs {
    pub name: String,
}

#[derive(Clone, Debug, Deserialize, TS)]
pub struct TenderArg {
    /// cash, card, cabin, room or points
    pub kind: String,
    /// Points to redeem (points tender); the amount is points × the point value.
    pub points: Option<String>,
    /// What this tender pays; `null` = the rest.
    pub amount: Option<String>,
    /// Cash handed over (for change).
    pub tendered: Option<String>,
    pub brand: Option<String>,
    pub last4: Option<String>,
    pub approval_code: Option<String>,
    /// Card approved by the terminal without reaching the bank.
    pub offline: bool,
    pub account_id: Option<String>,
}

#[derive(Clone, Debug, Deserialize, TS)]
pub struct PayArgs {
    pub tenders: Vec<TenderArg>,
    pub confirm_out_of_stock: bool,
    /// A supervisor's approval for what the sale needs: redeeming points above the till's
    /// offline caps, a discount above the cashier's limit not approved when it was typed.
    pub approval: Option<Approval>,
    /// A tip on top of the total; the tenders of its kind include it.
    pub tip: Option<TipArg>,
}

#[derive(Clone, Debug, Deserialize, TS)]
pub struct SplitArgs {
    /// Guests paying (2 or more).
    pub guests: u32,
    /// By item: every line of the ticket with the guest (1..=guests) who pays it; `null`
    /// to split evenly.
    pub lines: Option<Vec<LineGuestArg>>,
}

#[derive(Clone, Debug, Deserialize, TS)]
pub struct LineGuestArg {
    pub line_no: u32,
    pub guest: u32,
}

/// What one guest pays of a split ticket (the tip comes on top, with the last guest).
#[derive(Clone, Debug, Serialize, TS)]
pub struct GuestShareView {
    pub guest: u32,
    pub amount: i64,
    /// By item: their lines, and their part of the service charge.
    pub lines: Vec<u32>,
    pub service_charge: i64,
}

#[derive(Clone, Debug, Deserialize, TS)]
pub struct TipArg {
    /// As typed, e.g. "2.50".
    pub amount: String,
    /// cash, card, cabin or room
    pub kind: String,
}

#[derive(Clone, Debug, Deserialize, TS)]
pub struct OpenTabArgs {
    /// A name or table; empty to name it after the member on the ticket.
    pub label: String,
}

#[derive(Clone, Debug, Deserialize, TS)]
pub struct ParkArgs {
    /// Optional: a parked ticket without one is named after its member or its time.
    pub label: Option<String>,
}

#[derive(Clone, Debug, Deserialize, TS)]
pub struct TabArgs {
    pub tab_id: String,
}

#[derive(Clone, Debug, Deserialize, TS)]
pub struct MemberArgs {
    /// Card or QR code, member id, or cabin/room account.
    pub key: String,
}

#[derive(Clone, Debug, Deserialize, TS)]
pub struct FindMembersArgs {
    /// Part of a name, a phone number, an e-mail address or a card.
    pub text: String,
}

#[derive(Clone, Debug, Deserialize, TS)]
pub struct EnrolArgs {
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub card_id: Option<String>,
}

#[derive(Clone, Debug, Deserialize, TS)]
pub struct ReceiptArgs {
    pub receipt_no: String,
}

#[derive(Clone, Debug, Deserialize, TS)]
pub struct RefundLineArg {
    pub line_no: u32,
    /// Units, or grams for weighed lines.
    pub quantity: i64,
}

#[derive(Clone, Debug, Deserialize, TS)]
pub struct RefundArgs {
    pub receipt_no: String,
    /// `null` refunds everything still refundable.
    pub lines: Option<Vec<RefundLineArg>>,
    pub tender: TenderArg,
    pub reason: String,
    pub approval: Approval,
}

#[derive(Clone, Debug, Deserialize, TS)]
pub struct VoidArgs {
    pub receipt_no: String,
    pub reason: String,
    pub approval: Approval,
}

#[derive(Clone, Debug, Deserialize, TS)]
pub struct DrawerArgs {
    pub reason: String,
    pub approval: Approval,
}

/// Which figures: one date, or a range; a till and a cashier, or all. Dates YYYY-MM-DD;
/// everything `null` is today, all tills, all cashiers.
#[derive(Clone, Debug, Default, Deserialize, TS)]
pub struct ReportArgs {
    pub date: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub till: Option<String>,
    pub cashier: Option<String>,
}

#[derive(Clone, Debug, Deserialize, TS)]
pub struct ShiftsArgs {
    /// x or z
    pub kind: String,
    pub filter: ReportArgs,
}

#[derive(Clone, Debug, Deserialize, TS)]
pub struct ExportArgs {
    /// summary, x, z or tills
    pub report: String,
    /// csv or pdf
    pub format: String,
    pub filter: ReportArgs,
}

// ----- the command list ---------------------------------------------------------------

/// Who answers a command: the till's `Desk` (the default; `NotConfigured` until the till
/// is set up), or the `Station` itself (`@station`: the first-run setup's commands).
macro_rules! receiver {
    ($station:ident) => {
        $station.desk_mut()?
    };
    ($station:ident, station) => {
        $station
    };
}

macro_rules! commands {
    ($( $(#[doc = $doc:literal])* $(@$recv:ident)? $name:ident ( $args:ty ) -> $ret:ty ; )*) => {
        /// Names of every command, in declaration order.
        pub const COMMANDS: &[&str] = &[$(stringify!($name)),*];

        /// Runs one command: JSON arguments in, JSON result out.
        pub fn dispatch(station: &mut Station, name: &str, args: serde_json::Value) -> AppResult<serde_json::Value> {
            match name {
                $(stringify!($name) => {
                    let args: $args = parse_args(name, args)?;
                    let out: $ret = receiver!(station $(, $recv)?).$name(args)?;
                    serde_json::to_value(out).map_err(|e| AppError::new(purser_app::error::ErrorCode::Internal, e.to_string()))
                })*
                other => Err(AppError::new(purser_app::error::ErrorCode::InvalidInput, format!("the window asked for an unknown command '{other}'"))),
            }
        }

        fn command_bindings(cfg: &ts_rs::Config) -> String {
            let mut out = String::new();
            $(
                let doc: &[&str] = &[$($doc),*];
                out.push_str(&function_binding(stringify!($name), doc, <$args as TS>::name(cfg), <$ret as TS>::name(cfg)));
            )*
            out
        }

        fn type_declarations(cfg: &ts_rs::Config) -> Vec<(String, String)> {
            let mut v: Vec<(String, String)> = Vec::new();
            $(
                collect::<$args>(cfg, &mut v);
                collect::<$ret>(cfg, &mut v);
            )*
            v
        }
    };
}

commands! {
    /// The till's identity and settings the window needs before anyone signs in.
    app_info(Empty) -> AppInfo;
    /// Signs a user in with their PIN (also unlocks a locked session).
    sign_in(SignInArgs) -> SessionView;
    sign_out(Empty) -> bool;
    /// Locks the session at once (the same or another user signs in again).
    lock(Empty) -> bool;
    session(Empty) -> SessionView;
    open_shift(OpenShiftArgs) -> ShiftView;
    shift_report(Empty) -> ReportView;
    close_shift(CloseShiftArgs) -> ReportView;
    ticket(Empty) -> TicketView;
    /// Rings up a barcode or SKU (scanner, search result, category button).
    add_item(AddItemArgs) -> TicketView;
    /// A product by barcode or SKU, with its modifier groups (for the picker).
    product(CodeArgs) -> ProductView;
    set_quantity(SetQuantityArgs) -> TicketView;
    void_line(LineArgs) -> TicketView;
    set_discount(DiscountArgs) -> TicketView;
    clear_ticket(Empty) -> TicketView;
    search(SearchArgs) -> Vec<ProductView>;
    categories(Empty) -> Vec<CategoryView>;
    category_products(CategoryArgs) -> Vec<ProductView>;
    /// Members matching a name, phone number, e-mail or card.
    find_members(FindMembersArgs) -> Vec<MemberView>;
    /// Puts a member on the sale (by card, member id or cabin/room account).
    attach_member(MemberArgs) -> TicketView;
    detach_member(Empty) -> TicketView;
    /// Enrols a new member (offline too) and puts them on the sale.
    enrol_member(EnrolArgs) -> TicketView;
    /// Gives a line to the member as a reward for points, or takes the reward back.
    redeem_reward(LineArgs) -> TicketView;
    /// The tabs and parked tickets open on this till, oldest first.
    tabs(Empty) -> Vec<TabView>;
    /// Makes the ticket on the screen a guest's tab (saved with every change from now on).
    open_tab(OpenTabArgs) -> TicketView;
    /// Puts the ticket on the screen aside (a tab stays open) and starts a new one.
    park_ticket(ParkArgs) -> TicketView;
    /// Brings a tab or parked ticket onto the screen.
    recall_tab(TabArgs) -> TicketView;
    /// Closes the tab on the screen when nothing is on it.
    cancel_tab(Empty) -> TicketView;
    /// Every till's open tabs (from the store's cluster), this till's own marked.
    store_tabs(Empty) -> Vec<StoreTabView>;
    /// Asks the till holding a tab to hand it over; it shows up in `tabs` once moved.
    request_tab(TabArgs) -> bool;
    /// What each guest pays when the ticket is split evenly or by item.
    split_bill(SplitArgs) -> Vec<GuestShareView>;
    /// Records the sale durably, then prints the receipt if a printer is configured.
    pay(PayArgs) -> ReceiptView;
    reprint(ReceiptArgs) -> ReceiptView;
    receipt_pdf(ReceiptArgs) -> PdfView;
    find_sale(ReceiptArgs) -> SaleLookup;
    refund(RefundArgs) -> ReceiptView;
    void_sale(VoidArgs) -> ReceiptView;
    open_drawer(DrawerArgs) -> bool;
    status(Empty) -> StatusView;
    /// Managers only.
    users(Empty) -> Vec<UserView>;
    /// Managers only: the store's tills and cashiers seen, for the report filters.
    report_options(Empty) -> ReportOptionsView;
    /// Managers only: the store at a glance, every till, from the store's cluster.
    report_summary(ReportArgs) -> SummaryView;
    /// Managers only: X (every shift as it stands) or Z (as the tills printed, checked).
    report_shifts(ShiftsArgs) -> ShiftsView;
    /// Managers only: sync health of every till, low stock, quarantined records.
    report_tills(Empty) -> TillsView;
    /// Managers only: a report as a CSV or PDF file in the reports folder.
    report_export(ExportArgs) -> ExportView;
    /// First-run setup (only while the till is not set up): defaults and suggestions.
    @station setup_defaults(Empty) -> SetupDefaults;
    /// Checks every field of the setup form; contacts nothing, writes nothing.
    @station setup_check(SetupForm) -> Vec<FieldIssue>;
    /// Connects to the store's Kafka with the form's security settings.
    @station setup_test_kafka(SetupForm) -> KafkaTestView;
    /// Opens a connection to the receipt printer (prints nothing).
    @station setup_test_printer(PrinterArgs) -> PrinterTestView;
    /// Sets the till up (after a successful connection test) and opens it.
    @station setup_save(SetupForm) -> SetupSaved;
    /// Opens the embedded demo store instead.
    @station setup_demo(Empty) -> bool;
}

pub(crate) fn parse_args<T: serde::de::DeserializeOwned>(
    name: &str,
    args: serde_json::Value,
) -> AppResult<T> {
    let args = if args.is_null() {
        serde_json::Value::Object(Default::default())
    } else {
        args
    };
    serde_json::from_value(args).map_err(|e| {
        AppError::new(
            purser_app::error::ErrorCode::InvalidInput,
            format!("the window sent bad arguments to '{name}': {e}"),
        )
    })
}

/// Adds the declaration of a result type and of the named types inside it.
fn collect<T: TS + 'static + ?Sized>(cfg: &ts_rs::Config, out: &mut Vec<(String, String)>) {
    struct Visit<'a> {
        cfg: &'a ts_rs::Config,
        out: &'a mut Vec<(String, String)>,
    }
    impl ts_rs::TypeVisitor for Visit<'_> {
        fn visit<U: TS + 'static + ?Sized>(&mut self) {
            collect::<U>(self.cfg, self.out);
        }
    }
    if T::output_path().is_some() {
        out.push((T::ident(cfg), T::decl(cfg)));
    }
    T::visit_dependencies(&mut Visit { cfg, out });
    T::visit_generics(&mut Visit { cfg, out });
}

fn function_binding(name: &str, doc: &[&str], args: String, ret: String) -> String {
    let mut s = String::new();
    if !doc.is_empty() {
        s.push_str("/**");
        for d in doc {
            s.push_str(d);
        }
        s.push_str(" */\n");
    }
    if args == "Empty" {
        s.push_str(&format!(
            "export const {name} = (): Promise<{ret}> => call(\"{name}\", {{}});\n"
        ));
    } else {
        s.push_str(&format!(
            "export const {name} = (args: {args}): Promise<{ret}> => call(\"{name}\", args);\n"
        ));
    }
    s
}

/// The whole `ui/src/lib/bindings.ts`.
pub fn typescript() -> String {
    let cfg = ts_rs::Config::new().with_large_int("number");
    let mut decls = type_declarations(&cfg);
    decls.push((
        <purser_app::error::ErrorCode as TS>::ident(&cfg),
        <purser_app::error::ErrorCode as TS>::decl(&cfg),
    ));
    decls.push((
        <purser_app::error::AppError as TS>::ident(&cfg),
        <purser_app::error::AppError as TS>::decl(&cfg),
    ));
    decls.sort();
    decls.dedup();
    let mut out = String::from(
        "// Generated from crates/purser-window/src/ipc.rs by `PURSER_UPDATE_BINDINGS=1 cargo test -p purser-window --test bindings`.\n// Do not edit: CI fails when this file differs from what the Rust types produce.\n\nimport { call } from \"./transport\";\n\n",
    );
    for (_, decl) in &decls {
        out.push_str("export ");
        out.push_str(decl);
        out.push_str("\n\n");
    }
    out.push_str(&format!(
        "export const COMMANDS = [{}] as const;\n\n",
        COMMANDS
            .iter()
            .map(|c| format!("\"{c}\""))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    out.push_str(&command_bindings(&cfg));
    out
}

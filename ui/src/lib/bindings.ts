// Generated from crates/purser-window/src/ipc.rs by `PURSER_UPDATE_BINDINGS=1 cargo test -p purser-window --test bindings`.
// Do not edit: CI fails when this file differs from what the Rust types produce.

import { call } from "./transport";

export type AccountView = { 
/**
 * cabin or room
 */
kind: string, account_id: string, offline_limit: number, 
/**
 * Charged here and not yet confirmed by the accounts stream.
 */
unconfirmed: number, 
/**
 * What may still be charged here before the cloud confirms.
 */
chargeable: number, };

export type AddItemArgs = { 
/**
 * A barcode or SKU.
 */
code: string, 
/**
 * "2", "0.350kg", "350g"; `null` = one unit.
 */
quantity: string | null, 
/**
 * The modifiers chosen in the picker (`null` or empty: none).
 */
choices: Array<ChoiceArg> | null, };

export type AppError = { code: ErrorCode, message: string, };

export type AppInfo = { store_id: string, till_id: string, currency: string, currency_exponent: number, cash_rounding: number, tax_mode: string, version: string, 
/**
 * Running on the embedded demo store (the sign-in screen shows the demo users).
 */
demo: boolean, printer: string | null, auto_lock_secs: number, discount_approval_percent: number, language: string, };

export type Approval = { user_id: string, pin: string, };

export type BlockedView = { till_seq: number, event_type: string, topic: string, attempts: number, 
/**
 * The cluster's last answer for it.
 */
error: string, };

export type CategoryArgs = { name: string, };

export type CategoryView = { name: string, products: number, };

export type ChoiceArg = { group_id: string, option_id: string, };

export type CloseShiftArgs = { counted: string, 
/**
 * "x" hands over mid-day, "z" ends the business day.
 */
kind: string, };

export type CodeArgs = { 
/**
 * A barcode or SKU.
 */
code: string, };

export type DiscountArgs = { 
/**
 * `null` for the whole ticket.
 */
line_no: number | null, 
/**
 * "10%" or an amount such as "1.50"; `null` removes the discount.
 */
discount: string | null, approval: Approval | null, };

export type DrawerArgs = { reason: string, approval: Approval, };

export type Empty = Record<symbol, never>;

export type EnrolArgs = { name: string, phone: string | null, email: string | null, card_id: string | null, };

export type ErrorCode = "invalid_input" | "invalid_barcode" | "not_found" | "card_number_refused" | "payment_refused" | "not_allowed" | "out_of_stock" | "no_open_shift" | "shift_already_open" | "not_configured" | "invalid_config" | "disk_full" | "storage" | "kafka_unreachable" | "sign_in_required" | "approval_required" | "needs_weight" | "choices_required" | "printer_unavailable" | "locked" | "wrong_pin" | "too_large" | "tab_moved" | "internal";

export type ExceptionView = { 
/**
 * refund, void, drawer or discount
 */
kind: string, till_id: string, cashier_id: string | null, 
/**
 * Local date and time at the store, "2024-05-01 14:32".
 */
at: string, receipt_no: string | null, amount: number, reason: string | null, approved_by: string | null, };

export type ExportArgs = { 
/**
 * summary, x, z or tills
 */
report: string, 
/**
 * csv or pdf
 */
format: string, filter: ReportArgs, };

export type ExportView = { path: string, };

export type FieldIssue = { 
/**
 * The `SetupForm` field, `kafka` for the connection as a whole, or `form` for a
 * problem no single field explains.
 */
field: string, 
/**
 * Which rule: required, id, currency, tax_mode, timezone, language, bootstrap,
 * protocol, mechanism, file, cert_key_pair, printer, user_id, user_name, pin,
 * pin_repeat, user_taken or kafka_untested. The window shows its own text for it.
 */
rule: string, 
/**
 * The same in English, with the details (what `purser init` prints).
 */
message: string, };

export type FindMembersArgs = { 
/**
 * Part of a name, a phone number, an e-mail address or a card.
 */
text: string, };

export type GapView = { till_id: string, first: number, last: number, };

export type GroupView = { id: string, transactions: number, net: number, refunds_count: number, refunds_total: number, voids_count: number, voids_total: number, 
/**
 * Service charge (inside `net`) and tips (outside it) of the sales this till or user
 * served.
 */
service_charge: number, tips: number, };

export type GuestShareView = { guest: number, amount: number, 
/**
 * By item: their lines, and their part of the service charge.
 */
lines: Array<number>, service_charge: number, };

export type HourView = { 
/**
 * Local hour of the store, 0-23.
 */
hour: number, transactions: number, net: number, };

export type HqDayView = { business_date: string, state: HqState, 
/**
 * `till_seq` headquarters still waits for, as "5, 9-12" (empty: none).
 */
missing: string, problems: Array<string>, updated_at: string, };

export type HqState = "complete" | "waiting" | "z_mismatch" | "chain_broken" | "conflict";

export type KafkaTestView = { 
/**
 * Reachable and the credentials accepted (topics may still be missing).
 */
ok: boolean, 
/**
 * When not ok: invalid (the settings; see `issues`), unreachable, authentication or tls.
 */
failure: string | null, message: string, brokers: Array<string>, 
/**
 * The store's topics the cluster has, and those it lacks.
 */
topics_found: Array<string>, topics_missing: Array<string>, 
/**
 * The store's topics the cluster will not show this till (not authorised: its ACLs).
 */
topics_refused: Array<string>, 
/**
 * The cluster refused this till a producer id (Kafka's error name): it may write
 * nothing, its sales would wait in the outbox.
 */
write_refused: string | null, issues: Array<FieldIssue>, };

export type LineArgs = { line_no: number, };

export type LineGuestArg = { line_no: number, guest: number, };

export type LowStockView = { sku: string, name: string | null, on_hand: number, low_stock_at: number, };

export type LoyaltyReceiptView = { member_id: string, name: string, earned: number, redeemed: number, reversed: number, returned: number, balance: number, };

export type MemberArgs = { 
/**
 * Card or QR code, member id, or cabin/room account.
 */
key: string, };

export type MemberView = { member_id: string, name: string, tier: string, phone: string | null, email: string | null, card_ids: Array<string>, active: boolean, 
/**
 * Enrolled at this till; the cloud has not published the member yet.
 */
local_only: boolean, 
/**
 * Points the member may redeem here now.
 */
available: number, 
/**
 * Best estimate of the balance (published + this till's unsynced points).
 */
balance: number, 
/**
 * The balance last published by the cloud.
 */
published: number, 
/**
 * What one point is worth, in minor units.
 */
point_value: number, account: AccountView | null, };

export type ModifierChoiceView = { group: string, name: string, price_delta: number, };

export type ModifierGroupView = { id: string, name: string, 
/**
 * At least this many options (1 or more: required).
 */
min: number, 
/**
 * At most this many options.
 */
max: number, options: Array<ModifierOptionView>, };

export type ModifierOptionView = { id: string, name: string, 
/**
 * Added to the price, in minor units (may be 0).
 */
price_delta: number, };

export type OpenShiftArgs = { float: string, };

export type OpenTabArgs = { 
/**
 * A name or table; empty to name it after the member on the ticket.
 */
label: string, };

export type ParkArgs = { 
/**
 * Optional: a parked ticket without one is named after its member or its time.
 */
label: string | null, };

export type PayArgs = { tenders: Array<TenderArg>, confirm_out_of_stock: boolean, 
/**
 * A supervisor's approval for what the sale needs: redeeming points above the till's
 * offline caps, a discount above the cashier's limit not approved when it was typed.
 */
approval: Approval | null, 
/**
 * A tip on top of the total; the tenders of its kind include it.
 */
tip: TipArg | null, };

export type PdfView = { path: string, };

export type PrinterArgs = { printer: string, };

export type PrinterTestView = { ok: boolean, message: string, };

export type ProductSalesView = { sku: string, name: string, 
/**
 * "12" units or "1.250 kg"
 */
quantity: string, net: number, };

export type ProductView = { sku: string, name: string, 
/**
 * Per unit, or per kilogram for weighed products.
 */
price: number, weighed: boolean, category: string | null, tax_class: string, barcode: string | null, stock: StockView | null, 
/**
 * Choices a bartender makes when ringing it up ("Size", "Ice", "Mixer").
 */
modifier_groups: Array<ModifierGroupView>, };

export type QuarantineView = { topic: string, partition: number, offset: number, reason: string, received_at: string, };

export type ReceiptArgs = { receipt_no: string, };

export type ReceiptView = { 
/**
 * sale, refund or void
 */
kind: string, receipt_no: string, total: number, change: number, text: string, 
/**
 * `null` when no printer is configured.
 */
printed: boolean | null, print_error: string | null, opens_drawer: boolean, loyalty: LoyaltyReceiptView | null, };

export type RefundArgs = { receipt_no: string, 
/**
 * `null` refunds everything still refundable.
 */
lines: Array<RefundLineArg> | null, tender: TenderArg, reason: string, approval: Approval, };

export type RefundLineArg = { line_no: number, 
/**
 * Units, or grams for weighed lines.
 */
quantity: number, };

export type RefusedView = { 
/**
 * The topic refused; none when the cluster refuses the till's producer itself.
 */
topic: string | null, 
/**
 * Kafka's error name: TOPIC_AUTHORIZATION_FAILED or CLUSTER_AUTHORIZATION_FAILED.
 */
error: string, };

export type RelayProblemView = { 
/**
 * The relay has stopped for good (restart the till); otherwise it is retrying.
 */
stopped: boolean, message: string, };

export type ReportArgs = { date: string | null, from: string | null, to: string | null, till: string | null, cashier: string | null, };

export type ReportOptionsView = { 
/**
 * Today's business date at the store.
 */
today: string, tills: Array<string>, cashiers: Array<string>, };

export type ReportView = { 
/**
 * X or Z
 */
kind: string, text: string, net_sales: number, sales_count: number, expected_cash: number, counted_cash: number | null, over_short: number | null, };

export type RoleView = "cashier" | "supervisor" | "manager";

export type SaleLookup = { receipt_no: string, total: number, voided: boolean, 
/**
 * A post-void is possible (same shift, not voided, nothing refunded).
 */
can_void: boolean, lines: Array<SoldLineView>, };

export type SearchArgs = { text: string, limit: number, };

export type ServiceChargeView = { 
/**
 * e.g. "18%"
 */
rate: string, 
/**
 * What it was charged on (the eligible lines after discounts).
 */
base: number, amount: number, 
/**
 * What the customer pays for it (+ tax when prices exclude tax).
 */
total: number, };

export type SessionView = { user: UserView, shift: ShiftView | null, };

export type SetQuantityArgs = { line_no: number, quantity: string, };

export type SetupDefaults = { 
/**
 * Where the configuration will be written.
 */
config_path: string, 
/**
 * Where the till database will be.
 */
database: string, currency: string, tax_mode: string, 
/**
 * The system's time zone when it can tell, else UTC.
 */
timezone: string, security_protocol: string, sasl_mechanism: string, 
/**
 * The topics the connection test looks for.
 */
topics: Array<string>, 
/**
 * Every currency code and time zone the till accepts (for suggestions).
 */
currencies: Array<string>, timezones: Array<string>, };

export type SetupForm = { store_id: string, till_id: string, 
/**
 * ISO 4217, e.g. EUR
 */
currency: string, 
/**
 * inclusive (VAT) or exclusive (sales tax)
 */
tax_mode: string, 
/**
 * IANA zone deciding the business date, e.g. Europe/Berlin
 */
timezone: string, 
/**
 * en or de
 */
language: string, 
/**
 * host:port[,host:port…]
 */
bootstrap_servers: string, 
/**
 * plaintext, sasl_ssl, ssl or sasl_plaintext
 */
security_protocol: string, 
/**
 * SCRAM-SHA-256, SCRAM-SHA-512 or PLAIN (SASL only)
 */
sasl_mechanism: string, sasl_username: string, sasl_password: string, 
/**
 * CA bundle (PEM) that signed the brokers' certificates; empty = the system's.
 */
ssl_ca: string, 
/**
 * Client certificate and key (PEM) for SSL client authentication.
 */
ssl_cert: string, ssl_key: string, ssl_key_password: string, 
/**
 * host:port of the ESC/POS network receipt printer; empty = none.
 */
printer: string, manager_id: string, manager_name: string, manager_pin: string, manager_pin_repeat: string, };

export type SetupSaved = { saved: boolean, issues: Array<FieldIssue>, config_path: string, };

export type ShiftReportView = { till_id: string, shift_id: string, 
/**
 * X or Z
 */
kind: string, 
/**
 * The shift is still open: figures as they stand (an interim X).
 */
interim: boolean, cashier_id: string, business_date: string, opened_at: string, closed_at: string | null, opening_float: number, sales_count: number, sales_total: number, voids_count: number, voids_total: number, refunds_count: number, refunds_total: number, net_sales: number, tax_total: number, discount_total: number, drawer_opens: number, tenders: Array<TenderMixView>, expected_cash: number, counted_cash: number | null, over_short: number | null, 
/**
 * `null` while the till has not printed a report for it; false when the printed
 * report disagrees with the sum of the shift's events.
 */
agrees: boolean | null, differences: Array<string>, 
/**
 * As the till prints it.
 */
text: string, };

export type ShiftView = { shift_id: string, cashier_id: string, business_date: string, opened_at: string, opening_float: number, };

export type ShiftsArgs = { 
/**
 * x or z
 */
kind: string, filter: ReportArgs, };

export type ShiftsView = { 
/**
 * x or z
 */
kind: string, from: string, to: string, shifts: Array<ShiftReportView>, store: StoreTotalsView, disagreements: number, 
/**
 * Tills with a shift still open in the period (Z only).
 */
open_tills: Array<string>, gaps: Array<GapView>, };

export type SignInArgs = { user_id: string, pin: string, };

export type SoldLineView = { line_no: number, sku: string, name: string, weighed: boolean, 
/**
 * Units, or grams for weighed lines.
 */
sold: number, refunded: number, refundable: number, total: number, };

export type SplitArgs = { 
/**
 * Guests paying (2 or more).
 */
guests: number, 
/**
 * By item: every line of the ticket with the guest (1..=guests) who pays it; `null`
 * to split evenly.
 */
lines: Array<LineGuestArg> | null, };

export type StatusView = { 
/**
 * The store's Kafka cluster answered recently (acknowledged or refused the events).
 */
online: boolean, last_error: string | null, 
/**
 * Events waiting in the outbox.
 */
outbox_pending: number, 
/**
 * Age of the oldest waiting event, in seconds.
 */
oldest_pending_secs: number | null, last_sent_at: string | null, streams: Array<StreamView>, 
/**
 * Grows whenever catalog, stock or accounts change: the window refreshes on it.
 */
data_version: number, signed_in: boolean, 
/**
 * The session was locked for inactivity: the same user signs in again.
 */
locked: boolean, 
/**
 * The receipt printer's last failure, while it lasts.
 */
printer_error: string | null, 
/**
 * Grows whenever the manager's figures took in new events from the store's cluster.
 */
report_version: number, 
/**
 * The cluster refuses this till's events (its ACLs), while it lasts.
 */
write_refused: RefusedView | null, 
/**
 * The relay cannot use the till database and is retrying, or has stopped: why.
 */
relay_problem: RelayProblemView | null, 
/**
 * The first waiting event, which the cluster keeps refusing: the rest wait behind it.
 */
blocked: BlockedView | null, };

export type StockState = "ok" | "low" | "out";

export type StockView = { on_hand: number, low_stock_at: number, state: StockState, };

export type StoreTabView = { tab_id: string, till_id: string, kind: TabKindView, label: string, items: number, total: number, opened_at: string, 
/**
 * How long it has been open.
 */
age_secs: number, served_by: string, 
/**
 * Held by this till (it is in this till's own list).
 */
here: boolean, 
/**
 * Handed over by `till_id` to this till, which has not taken it over yet.
 */
moving_to: string | null, 
/**
 * This till asked `till_id` for it and is waiting for the hand-over.
 */
asked_here: boolean, };

export type StoreTotalsView = { shifts: number, sales_count: number, sales_total: number, voids_count: number, voids_total: number, refunds_count: number, refunds_total: number, net_sales: number, tax_total: number, discount_total: number, drawer_opens: number, tenders: Array<TenderMixView>, opening_float: number, expected_cash: number, counted_cash: number, over_short: number, };

export type StreamView = { topic: string, 
/**
 * catalog, inventory or accounts
 */
kind: string, lag: number | null, last_applied_at: string | null, quarantined: number, };

export type SummaryView = { from: string, to: string, till: string | null, cashier: string | null, 
/**
 * sales − voids − refunds
 */
net_sales: number, transactions: number, average_basket: number, sales_count: number, sales_total: number, voids_count: number, voids_total: number, refunds_count: number, refunds_total: number, tax_total: number, discount_total: number, items_sold: number, drawer_opens: number, member_sales: number, 
/**
 * Points spent (tender and rewards) minus points given back.
 */
points_redeemed: number, 
/**
 * Points earned minus points taken back.
 */
points_issued: number, 
/**
 * Members enrolled at the store's tills.
 */
enrolments: number, 
/**
 * All 24 hours.
 */
by_hour: Array<HourView>, tenders: Array<TenderMixView>, 
/**
 * The ten best sellers by net amount.
 */
top_products: Array<ProductSalesView>, tills: Array<GroupView>, cashiers: Array<GroupView>, exceptions: Array<ExceptionView>, gaps: Array<GapView>, };

export type TabArgs = { tab_id: string, };

export type TabKindView = "tab" | "parked";

export type TabTagView = { tab_id: string, kind: TabKindView, label: string, opened_at: string, };

export type TabView = { tab_id: string, kind: TabKindView, label: string, member_name: string | null, 
/**
 * Items on it (a weighed line counts once).
 */
items: number, total: number, opened_at: string, updated_at: string, 
/**
 * Who opened it, and who changed it last.
 */
opened_by: string, served_by: string, 
/**
 * On this window's screen now.
 */
on_screen: boolean, };

export type TaxView = { tax_class: string, rate: string, base: number, tax: number, };

export type TenderArg = { 
/**
 * cash, card, cabin, room or points
 */
kind: string, 
/**
 * Points to redeem (points tender); the amount is points × the point value.
 */
points: string | null, 
/**
 * What this tender pays; `null` = the rest.
 */
amount: string | null, 
/**
 * Cash handed over (for change).
 */
tendered: string | null, brand: string | null, last4: string | null, approval_code: string | null, 
/**
 * Card approved by the terminal without reaching the bank.
 */
offline: boolean, account_id: string | null, };

export type TenderMixView = { 
/**
 * cash, card, account or points
 */
kind: string, count: number, amount: number, };

export type TicketLine = { line_no: number, sku: string, name: string, 
/**
 * As the receipt shows it: "2" or "0.350 kg".
 */
quantity: string, weighed: boolean, unit_price: number, gross: number, line_discount: number, discount_label: string | null, cart_discount: number, tax: number, total: number, stock: StockView | null, 
/**
 * Points per unit when this item can be given as a reward.
 */
reward_cost: number | null, 
/**
 * Given to the member as a reward for points (free on the ticket).
 */
reward: boolean, 
/**
 * The choices made for it ("Double +4.00", "Rocks").
 */
modifiers: Array<ModifierChoiceView>, 
/**
 * The price rule (happy hour) that priced it, and the list price it replaced.
 */
price_rule: string | null, list_price: number | null, };

export type TicketView = { lines: Array<TicketLine>, subtotal: number, discount_total: number, cart_discount_label: string | null, tax_total: number, taxes: Array<TaxView>, 
/**
 * inclusive (prices include tax) or exclusive (tax added at the total)
 */
tax_mode: string, total: number, items: number, 
/**
 * Set when a price arrived from headquarters after a line was rung up: the line
 * keeps the price it was rung up at.
 */
price_changed: Array<string>, 
/**
 * The loyalty member on the sale.
 */
member: MemberView | null, 
/**
 * Points the lines given as rewards cost.
 */
reward_points: number, 
/**
 * The tab or parked ticket on the screen: every change to it is saved at once.
 */
tab: TabTagView | null, service_charge: ServiceChargeView | null, };

export type TillHealthView = { till_id: string, link: TillLinkView, last_heartbeat_at: string | null, heartbeat_age_secs: number | null, 
/**
 * Events the till held at its last heartbeat.
 */
outbox_backlog: number | null, oldest_waiting_secs: number | null, last_event_at: string, 
/**
 * Seconds since the store last received one of the till's events.
 */
received_age_secs: number, events: number, highest_seq: number, gaps: Array<GapView>, app_version: string | null, 
/**
 * Headquarters' word on the till's latest days, newest first (empty until the
 * cloud's reconciler has published and MirrorMaker brought it here).
 */
hq_days: Array<HqDayView>, };

export type TillLinkView = "online" | "offline" | "no_heartbeats";

export type TillsView = { tills: Array<TillHealthView>, 
/**
 * The manager's consumer reaches the store's cluster.
 */
connected: boolean, 
/**
 * Records on the cluster not yet in the figures.
 */
lag: number | null, events: number, duplicates: number, low_stock: Array<LowStockView>, quarantined: Array<QuarantineView>, 
/**
 * Tabs and parked tickets open at the store's tills, oldest first.
 */
open_tabs: Array<StoreTabView>, };

export type TipArg = { 
/**
 * As typed, e.g. "2.50".
 */
amount: string, 
/**
 * cash, card, cabin or room
 */
kind: string, };

export type UserView = { user_id: string, name: string, role: RoleView, active: boolean, locked_until: string | null, };

export type VoidArgs = { receipt_no: string, reason: string, approval: Approval, };

export const COMMANDS = ["app_info", "sign_in", "sign_out", "lock", "session", "open_shift", "shift_report", "close_shift", "ticket", "add_item", "product", "set_quantity", "void_line", "set_discount", "clear_ticket", "search", "categories", "category_products", "find_members", "attach_member", "detach_member", "enrol_member", "redeem_reward", "tabs", "open_tab", "park_ticket", "recall_tab", "cancel_tab", "store_tabs", "request_tab", "split_bill", "pay", "reprint", "receipt_pdf", "find_sale", "refund", "void_sale", "open_drawer", "status", "users", "report_options", "report_summary", "report_shifts", "report_tills", "report_export", "setup_defaults", "setup_check", "setup_test_kafka", "setup_test_printer", "setup_save", "setup_demo"] as const;

/** The till's identity and settings the window needs before anyone signs in. */
export const app_info = (): Promise<AppInfo> => call("app_info", {});
/** Signs a user in with their PIN (also unlocks a locked session). */
export const sign_in = (args: SignInArgs): Promise<SessionView> => call("sign_in", args);
export const sign_out = (): Promise<boolean> => call("sign_out", {});
/** Locks the session at once (the same or another user signs in again). */
export const lock = (): Promise<boolean> => call("lock", {});
export const session = (): Promise<SessionView> => call("session", {});
export const open_shift = (args: OpenShiftArgs): Promise<ShiftView> => call("open_shift", args);
export const shift_report = (): Promise<ReportView> => call("shift_report", {});
export const close_shift = (args: CloseShiftArgs): Promise<ReportView> => call("close_shift", args);
export const ticket = (): Promise<TicketView> => call("ticket", {});
/** Rings up a barcode or SKU (scanner, search result, category button). */
export const add_item = (args: AddItemArgs): Promise<TicketView> => call("add_item", args);
/** A product by barcode or SKU, with its modifier groups (for the picker). */
export const product = (args: CodeArgs): Promise<ProductView> => call("product", args);
export const set_quantity = (args: SetQuantityArgs): Promise<TicketView> => call("set_quantity", args);
export const void_line = (args: LineArgs): Promise<TicketView> => call("void_line", args);
export const set_discount = (args: DiscountArgs): Promise<TicketView> => call("set_discount", args);
export const clear_ticket = (): Promise<TicketView> => call("clear_ticket", {});
export const search = (args: SearchArgs): Promise<Array<ProductView>> => call("search", args);
export const categories = (): Promise<Array<CategoryView>> => call("categories", {});
export const category_products = (args: CategoryArgs): Promise<Array<ProductView>> => call("category_products", args);
/** Members matching a name, phone number, e-mail or card. */
export const find_members = (args: FindMembersArgs): Promise<Array<MemberView>> => call("find_members", args);
/** Puts a member on the sale (by card, member id or cabin/room account). */
export const attach_member = (args: MemberArgs): Promise<TicketView> => call("attach_member", args);
export const detach_member = (): Promise<TicketView> => call("detach_member", {});
/** Enrols a new member (offline too) and puts them on the sale. */
export const enrol_member = (args: EnrolArgs): Promise<TicketView> => call("enrol_member", args);
/** Gives a line to the member as a reward for points, or takes the reward back. */
export const redeem_reward = (args: LineArgs): Promise<TicketView> => call("redeem_reward", args);
/** The tabs and parked tickets open on this till, oldest first. */
export const tabs = (): Promise<Array<TabView>> => call("tabs", {});
/** Makes the ticket on the screen a guest's tab (saved with every change from now on). */
export const open_tab = (args: OpenTabArgs): Promise<TicketView> => call("open_tab", args);
/** Puts the ticket on the screen aside (a tab stays open) and starts a new one. */
export const park_ticket = (args: ParkArgs): Promise<TicketView> => call("park_ticket", args);
/** Brings a tab or parked ticket onto the screen. */
export const recall_tab = (args: TabArgs): Promise<TicketView> => call("recall_tab", args);
/** Closes the tab on the screen when nothing is on it. */
export const cancel_tab = (): Promise<TicketView> => call("cancel_tab", {});
/** Every till's open tabs (from the store's cluster), this till's own marked. */
export const store_tabs = (): Promise<Array<StoreTabView>> => call("store_tabs", {});
/** Asks the till holding a tab to hand it over; it shows up in `tabs` once moved. */
export const request_tab = (args: TabArgs): Promise<boolean> => call("request_tab", args);
/** What each guest pays when the ticket is split evenly or by item. */
export const split_bill = (args: SplitArgs): Promise<Array<GuestShareView>> => call("split_bill", args);
/** Records the sale durably, then prints the receipt if a printer is configured. */
export const pay = (args: PayArgs): Promise<ReceiptView> => call("pay", args);
export const reprint = (args: ReceiptArgs): Promise<ReceiptView> => call("reprint", args);
export const receipt_pdf = (args: ReceiptArgs): Promise<PdfView> => call("receipt_pdf", args);
export const find_sale = (args: ReceiptArgs): Promise<SaleLookup> => call("find_sale", args);
export const refund = (args: RefundArgs): Promise<ReceiptView> => call("refund", args);
export const void_sale = (args: VoidArgs): Promise<ReceiptView> => call("void_sale", args);
export const open_drawer = (args: DrawerArgs): Promise<boolean> => call("open_drawer", args);
export const status = (): Promise<StatusView> => call("status", {});
/** Managers only. */
export const users = (): Promise<Array<UserView>> => call("users", {});
/** Managers only: the store's tills and cashiers seen, for the report filters. */
export const report_options = (): Promise<ReportOptionsView> => call("report_options", {});
/** Managers only: the store at a glance, every till, from the store's cluster. */
export const report_summary = (args: ReportArgs): Promise<SummaryView> => call("report_summary", args);
/** Managers only: X (every shift as it stands) or Z (as the tills printed, checked). */
export const report_shifts = (args: ShiftsArgs): Promise<ShiftsView> => call("report_shifts", args);
/** Managers only: sync health of every till, low stock, quarantined records. */
export const report_tills = (): Promise<TillsView> => call("report_tills", {});
/** Managers only: a report as a CSV or PDF file in the reports folder. */
export const report_export = (args: ExportArgs): Promise<ExportView> => call("report_export", args);
/** First-run setup (only while the till is not set up): defaults and suggestions. */
export const setup_defaults = (): Promise<SetupDefaults> => call("setup_defaults", {});
/** Checks every field of the setup form; contacts nothing, writes nothing. */
export const setup_check = (args: SetupForm): Promise<Array<FieldIssue>> => call("setup_check", args);
/** Connects to the store's Kafka with the form's security settings. */
export const setup_test_kafka = (args: SetupForm): Promise<KafkaTestView> => call("setup_test_kafka", args);
/** Opens a connection to the receipt printer (prints nothing). */
export const setup_test_printer = (args: PrinterArgs): Promise<PrinterTestView> => call("setup_test_printer", args);
/** Sets the till up (after a successful connection test) and opens it. */
export const setup_save = (args: SetupForm): Promise<SetupSaved> => call("setup_save", args);
/** Opens the embedded demo store instead. */
export const setup_demo = (): Promise<boolean> => call("setup_demo", {});

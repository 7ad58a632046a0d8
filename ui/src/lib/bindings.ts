// Generated from crates/purser-app/src/ipc.rs by `PURSER_UPDATE_BINDINGS=1 cargo test -p purser-app --test bindings`.
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
quantity: string | null, };

export type AppError = { code: ErrorCode, message: string, };

export type AppInfo = { store_id: string, till_id: string, currency: string, currency_exponent: number, cash_rounding: number, tax_mode: string, version: string, 
/**
 * Running on the embedded demo store (the sign-in screen shows the demo users).
 */
demo: boolean, printer: string | null, auto_lock_secs: number, discount_approval_percent: number, language: string, };

export type Approval = { user_id: string, pin: string, };

export type CategoryArgs = { name: string, };

export type CategoryView = { name: string, products: number, };

export type CloseShiftArgs = { counted: string, 
/**
 * "x" hands over mid-day, "z" ends the business day.
 */
kind: string, };

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

export type ErrorCode = "invalid_input" | "invalid_barcode" | "not_found" | "card_number_refused" | "payment_refused" | "not_allowed" | "out_of_stock" | "no_open_shift" | "shift_already_open" | "not_configured" | "invalid_config" | "disk_full" | "storage" | "kafka_unreachable" | "sign_in_required" | "approval_required" | "needs_weight" | "printer_unavailable" | "locked" | "wrong_pin" | "internal";

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
topics_found: Array<string>, topics_missing: Array<string>, issues: Array<FieldIssue>, };

export type LineArgs = { line_no: number, };

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

export type OpenShiftArgs = { float: string, };

export type PayArgs = { tenders: Array<TenderArg>, confirm_out_of_stock: boolean, 
/**
 * A supervisor's approval for redeeming points above the till's offline caps.
 */
approval: Approval | null, };

export type PdfView = { path: string, };

export type PrinterArgs = { printer: string, };

export type PrinterTestView = { ok: boolean, message: string, };

export type ProductView = { sku: string, name: string, 
/**
 * Per unit, or per kilogram for weighed products.
 */
price: number, weighed: boolean, category: string | null, tax_class: string, barcode: string | null, stock: StockView | null, };

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

export type ReportView = { 
/**
 * X or Z
 */
kind: string, text: string, net_sales: number, sales_count: number, expected_cash: number, counted_cash: number | null, over_short: number | null, };

export type SaleLookup = { receipt_no: string, total: number, voided: boolean, 
/**
 * A post-void is possible (same shift, not voided, nothing refunded).
 */
can_void: boolean, lines: Array<SoldLineView>, };

export type SearchArgs = { text: string, limit: number, };

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

export type ShiftView = { shift_id: string, cashier_id: string, business_date: string, opened_at: string, opening_float: number, };

export type SignInArgs = { user_id: string, pin: string, };

export type SoldLineView = { line_no: number, sku: string, name: string, weighed: boolean, 
/**
 * Units, or grams for weighed lines.
 */
sold: number, refunded: number, refundable: number, total: number, };

export type StatusView = { 
/**
 * The store's Kafka cluster answered recently.
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
printer_error: string | null, };

export type StockView = { on_hand: number, low_stock_at: number, 
/**
 * ok, low or out
 */
state: string, };

export type StreamView = { topic: string, 
/**
 * catalog, inventory or accounts
 */
kind: string, lag: number | null, last_applied_at: string | null, quarantined: number, };

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
reward: boolean, };

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
reward_points: number, };

export type UserView = { user_id: string, name: string, 
/**
 * cashier, supervisor or manager
 */
role: string, active: boolean, locked_until: string | null, };

export type VoidArgs = { receipt_no: string, reason: string, approval: Approval, };

export const COMMANDS = ["app_info", "sign_in", "sign_out", "lock", "session", "open_shift", "shift_report", "close_shift", "ticket", "add_item", "set_quantity", "void_line", "set_discount", "clear_ticket", "search", "categories", "category_products", "find_members", "attach_member", "detach_member", "enrol_member", "redeem_reward", "pay", "reprint", "receipt_pdf", "find_sale", "refund", "void_sale", "open_drawer", "status", "users", "setup_defaults", "setup_check", "setup_test_kafka", "setup_test_printer", "setup_save", "setup_demo"] as const;

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

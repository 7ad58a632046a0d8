// The window's state: what the till told us last. Screens read it; actions update it.
import type { AppInfo, ReceiptView, SessionView, StatusView, TicketView } from "./bindings";

export type Screen = "setup" | "signin" | "open_shift" | "sell" | "pay" | "receipt" | "refund" | "shift" | "users" | "store";

export const app = $state({
  info: null as AppInfo | null,
  session: null as SessionView | null,
  ticket: null as TicketView | null,
  status: null as StatusView | null,
  receipt: null as ReceiptView | null,
  screen: "signin" as Screen,
  error: "",
  notice: "",
  /** Bumped to make screens re-read catalog data (a price or stock change arrived). */
  dataVersion: 0,
  now: Date.now(),
});

export function showError(message: string): void {
  app.error = message;
  app.notice = "";
}

export function showNotice(message: string): void {
  app.notice = message;
  app.error = "";
}

export function clearMessages(): void {
  app.error = "";
  app.notice = "";
}

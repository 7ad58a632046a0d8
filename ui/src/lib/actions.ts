// What the buttons do: call the till, update the state, turn errors into messages.
import * as api from "./bindings";
import { friendly } from "./errors";
import { app, clearMessages, showError } from "./state.svelte";
import { asTillError, TillError } from "./transport";

/** Runs a till call; shows a friendly message and returns null when it fails, except for
 * the error codes the caller handles itself. */
export async function attempt<T>(f: () => Promise<T>, handled: string[] = []): Promise<T | null> {
  try {
    const r = await f();
    clearMessages();
    return r;
  } catch (e) {
    const err = asTillError(e);
    if (handled.includes(err.code)) throw err;
    if (err.code === "sign_in_required") {
      app.session = null;
      app.screen = "signin";
    }
    showError(friendly(err));
    return null;
  }
}

export async function afterSignIn(session: api.SessionView): Promise<void> {
  app.session = session;
  if (!session.shift) {
    app.screen = "open_shift";
    return;
  }
  app.ticket = await api.ticket();
  app.screen = app.receipt && app.screen === "receipt" ? "receipt" : "sell";
}

export async function refreshTicket(): Promise<void> {
  const t = await attempt(() => api.ticket());
  if (t) app.ticket = t;
}

export { TillError };

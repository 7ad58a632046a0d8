// The one way the window talks to the till: Tauri's `invoke` of the shell's `call`
// command. Tests replace it with `setTransport`.
import type { AppError, ErrorCode } from "./bindings";

type Transport = (name: string, args: unknown) => Promise<unknown>;

async function tauriTransport(name: string, args: unknown): Promise<unknown> {
  const { invoke } = await import("@tauri-apps/api/core");
  return invoke("call", { name, args });
}

let transport: Transport = tauriTransport;

export function setTransport(t: Transport): void {
  transport = t;
}

/** An error from the till: one of a closed set of codes and a message. */
export class TillError extends Error {
  code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

export function asTillError(e: unknown): TillError {
  if (e instanceof TillError) return e;
  if (e && typeof e === "object" && "code" in e && "message" in e) {
    const a = e as AppError;
    return new TillError(a.code, a.message);
  }
  return new TillError("internal", String(e));
}

type ErrorListener = (e: TillError) => void;
const listeners: ErrorListener[] = [];

/** Hears every error from the till before the caller does (e.g. `tab_moved`: the ticket
 * on the screen was taken off it, whichever command found out). Returns the unsubscribe. */
export function onTillError(f: ErrorListener): () => void {
  listeners.push(f);
  return () => {
    const i = listeners.indexOf(f);
    if (i >= 0) listeners.splice(i, 1);
  };
}

export async function call<T>(name: string, args: unknown): Promise<T> {
  try {
    return (await transport(name, args)) as T;
  } catch (e) {
    const err = asTillError(e);
    for (const l of listeners) l(err);
    throw err;
  }
}

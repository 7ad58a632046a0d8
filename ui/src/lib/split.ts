// The payment screen's arithmetic: what is still due after the tenders taken so far,
// and the change for cash.

export interface TenderPart {
  kind: "cash" | "card" | "cabin" | "room" | "points";
  /** Minor units this part pays (cash: what it pays of the total, not what was handed). */
  amount: number;
  tendered?: number;
  brand?: string;
  last4?: string;
  approval_code?: string;
  offline?: boolean;
  account_id?: string;
  /** Loyalty points redeemed by a points part. */
  points?: number;
}

export function remaining(total: number, parts: TenderPart[]): number {
  return total - parts.reduce((s, p) => s + p.amount, 0);
}

/** Rounds a cash amount the way the till does (to `step` minor units, half up). */
export function roundCash(amount: number, step: number): number {
  if (step <= 1) return amount;
  return Math.round(amount / step) * step;
}

/** A cash part for what is still due: pays the rest (rounded), change from `tendered`. */
export function cashPart(due: number, tendered: number, step: number): TenderPart | null {
  const pays = roundCash(due, step);
  if (tendered <= 0) return null;
  if (tendered < pays) return { kind: "cash", amount: tendered, tendered };
  return { kind: "cash", amount: pays, tendered };
}

export function changeDue(parts: TenderPart[]): number {
  return parts.reduce((s, p) => s + (p.kind === "cash" && p.tendered ? p.tendered - p.amount : 0), 0);
}

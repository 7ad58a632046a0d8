// Geometry for the manager's charts, drawn as plain SVG (no chart library): bars scaled
// to the largest value, and a tender mix as shares of the total taken.

export interface Bar {
  label: string;
  value: number;
  /** 0..1 of the chart's height (or width). */
  size: number;
}

/** Bars scaled so the largest absolute value fills the chart; negatives (refund-heavy
 * hours) are drawn as empty bars, never below the axis. */
export function bars(items: { label: string; value: number }[]): Bar[] {
  const max = Math.max(0, ...items.map((i) => i.value));
  return items.map((i) => ({ label: i.label, value: i.value, size: max > 0 && i.value > 0 ? i.value / max : 0 }));
}

export interface Share {
  kind: string;
  amount: number;
  /** Percentage of the positive total, rounded to a whole number; shares add up to 100. */
  percent: number;
}

/** Each tender's share of the money taken, by largest remainder so the shares add up to
 * exactly 100 (tenders with nothing left after refunds show 0). */
export function shares(items: { kind: string; amount: number }[]): Share[] {
  const positive = items.map((i) => Math.max(0, i.amount));
  const total = positive.reduce((a, b) => a + b, 0);
  if (total === 0) return items.map((i) => ({ kind: i.kind, amount: i.amount, percent: 0 }));
  const exact = positive.map((p) => (p * 100) / total);
  const floors = exact.map(Math.floor);
  let left = 100 - floors.reduce((a, b) => a + b, 0);
  const order = exact.map((e, i) => ({ i, r: e - Math.floor(e) })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (const o of order) {
    if (left <= 0) break;
    floors[o.i] += 1;
    left -= 1;
  }
  return items.map((i, k) => ({ kind: i.kind, amount: i.amount, percent: floors[k] }));
}

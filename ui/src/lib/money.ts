// Amounts travel as integers in minor units; these turn them into text and back into
// the text the till parses.

export interface CurrencyInfo {
  code: string;
  exponent: number;
}

export function formatMoney(minor: number, c: CurrencyInfo, locale = "en"): string {
  const sign = minor < 0 ? "-" : "";
  const abs = Math.abs(minor);
  const scale = 10 ** c.exponent;
  const major = Math.floor(abs / scale);
  const frac = abs % scale;
  const group = locale === "de" ? "." : ",";
  const dec = locale === "de" ? "," : ".";
  const majorText = String(major).replace(/\B(?=(\d{3})+(?!\d))/g, group);
  const body = c.exponent > 0 ? `${majorText}${dec}${String(frac).padStart(c.exponent, "0")}` : majorText;
  return `${sign}${c.code} ${body}`;
}

/** Minor units as the plain amount text the till parses ("12.50"). */
export function amountText(minor: number, exponent: number): string {
  const sign = minor < 0 ? "-" : "";
  const abs = Math.abs(minor);
  if (exponent === 0) return `${sign}${abs}`;
  const scale = 10 ** exponent;
  return `${sign}${Math.floor(abs / scale)}.${String(abs % scale).padStart(exponent, "0")}`;
}

/** What a customer is likely to hand over for `due`: the exact amount, then the next
 * round amounts and notes above it, at most five, in increasing order. */
export function quickCash(due: number, exponent: number): number[] {
  if (due <= 0) return [];
  const unit = 10 ** exponent;
  const steps = [1, 5, 10, 20, 50, 100, 200].map((n) => n * unit);
  const out = new Set<number>([due]);
  for (const s of steps) {
    const up = Math.ceil(due / s) * s;
    if (up > due) out.add(up);
  }
  return [...out].sort((a, b) => a - b).slice(0, 5);
}

/** Typed cash (e.g. "20" or "20.5") in minor units, or null when it is not an amount. */
export function parseAmount(text: string, exponent: number): number | null {
  const t = text.trim().replace(",", ".");
  if (!/^\d+(\.\d*)?$/.test(t)) return null;
  const [whole, frac = ""] = t.split(".");
  if (frac.length > exponent) return null;
  return Number(whole) * 10 ** exponent + Number(frac.padEnd(exponent, "0") || "0");
}

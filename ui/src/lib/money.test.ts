import { describe, expect, it } from "vitest";
import { amountText, formatMoney, parseAmount, quickCash } from "./money";

const EUR = { code: "EUR", exponent: 2 };

describe("money", () => {
  it("formats minor units with grouping per language", () => {
    expect(formatMoney(123456, EUR)).toBe("EUR 1,234.56");
    expect(formatMoney(123456, EUR, "de")).toBe("EUR 1.234,56");
    expect(formatMoney(-5, EUR)).toBe("-EUR 0.05");
    expect(formatMoney(1500, { code: "JPY", exponent: 0 })).toBe("JPY 1,500");
  });

  it("writes amounts the till parses", () => {
    expect(amountText(2050, 2)).toBe("20.50");
    expect(amountText(7, 2)).toBe("0.07");
    expect(amountText(1500, 0)).toBe("1500");
  });

  it("parses typed cash, refusing what is not an amount", () => {
    expect(parseAmount("20", 2)).toBe(2000);
    expect(parseAmount("20.5", 2)).toBe(2050);
    expect(parseAmount("20,50", 2)).toBe(2050);
    expect(parseAmount("0.005", 2)).toBeNull();
    expect(parseAmount("-1", 2)).toBeNull();
    expect(parseAmount("abc", 2)).toBeNull();
    expect(parseAmount("", 2)).toBeNull();
  });

  it("offers the exact amount first, then round amounts above it", () => {
    expect(quickCash(1234, 2)).toEqual([1234, 1300, 1500, 2000, 5000]);
    expect(quickCash(2000, 2)).toEqual([2000, 5000, 10000, 20000]);
    expect(quickCash(0, 2)).toEqual([]);
    for (const due of [1, 99, 4321, 99999]) {
      const q = quickCash(due, 2);
      expect(q[0]).toBe(due);
      expect(q.every((x) => x >= due)).toBe(true);
      expect([...q].sort((a, b) => a - b)).toEqual(q);
    }
  });
});

import { describe, expect, it } from "vitest";
import { cashPart, changeDue, remaining, roundCash } from "./split";

describe("split tender", () => {
  it("takes cash for the rest and gives change", () => {
    const p = cashPart(1234, 2000, 1)!;
    expect(p).toEqual({ kind: "cash", amount: 1234, tendered: 2000 });
    expect(remaining(1234, [p])).toBe(0);
    expect(changeDue([p])).toBe(766);
  });

  it("takes part in cash and leaves the rest for a card", () => {
    const cash = cashPart(3500, 2000, 1)!;
    expect(cash.amount).toBe(2000);
    expect(remaining(3500, [cash])).toBe(1500);
    const card = { kind: "card" as const, amount: 1500 };
    expect(remaining(3500, [cash, card])).toBe(0);
    expect(changeDue([cash, card])).toBe(0);
  });

  it("rounds cash the way the till does", () => {
    expect(roundCash(1232, 5)).toBe(1230);
    expect(roundCash(1233, 5)).toBe(1235);
    expect(roundCash(1233, 1)).toBe(1233);
    const p = cashPart(1233, 1300, 5)!;
    expect(p.amount).toBe(1235);
    expect(changeDue([p])).toBe(65);
  });

  it("refuses nothing handed over", () => {
    expect(cashPart(1000, 0, 1)).toBeNull();
  });
});

import { describe, expect, it } from "vitest";
import { bars, shares } from "./charts";

describe("bars", () => {
  it("scales to the largest value and never draws negatives", () => {
    const b = bars([
      { label: "9", value: 500 },
      { label: "10", value: 1000 },
      { label: "11", value: -200 },
      { label: "12", value: 0 },
    ]);
    expect(b.map((x) => x.size)).toEqual([0.5, 1, 0, 0]);
  });
  it("is flat when nothing was sold", () => {
    expect(bars([{ label: "9", value: 0 }]).map((x) => x.size)).toEqual([0]);
  });
});

describe("shares", () => {
  it("adds up to exactly 100 by largest remainder", () => {
    const s = shares([
      { kind: "card", amount: 1 },
      { kind: "cash", amount: 1 },
      { kind: "points", amount: 1 },
    ]);
    expect(s.map((x) => x.percent)).toEqual([34, 33, 33]);
    expect(s.reduce((a, x) => a + x.percent, 0)).toBe(100);
  });
  it("gives refunded-away tenders no share", () => {
    const s = shares([
      { kind: "card", amount: 7500 },
      { kind: "cash", amount: 2500 },
      { kind: "account", amount: -300 },
    ]);
    expect(s.map((x) => x.percent)).toEqual([75, 25, 0]);
  });
  it("is all zero when nothing was taken", () => {
    expect(shares([{ kind: "cash", amount: 0 }])[0].percent).toBe(0);
  });
});

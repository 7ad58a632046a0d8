import { describe, expect, it } from "vitest";
import { ScanDetector } from "./scanner";

function feed(d: ScanDetector, keys: string[], start: number, gap: number): (string | null)[] {
  return keys.map((k, i) => d.key(k, start + i * gap));
}

describe("keyboard-wedge scanner", () => {
  it("recognises a fast burst of digits ending in Enter", () => {
    const d = new ScanDetector();
    const out = feed(d, [..."4006381333931", "Enter"], 1000, 8);
    expect(out.at(-1)).toBe("4006381333931");
    expect(out.slice(0, -1).every((x) => x === null)).toBe(true);
  });

  it("ignores a person typing at human speed", () => {
    const d = new ScanDetector();
    const out = feed(d, [..."4006381333931", "Enter"], 1000, 150);
    expect(out.at(-1)).toBeNull();
  });

  it("ignores short bursts and a slow Enter after a fast burst", () => {
    const d = new ScanDetector();
    expect(feed(d, [..."123", "Enter"], 0, 5).at(-1)).toBeNull();
    const e = new ScanDetector();
    feed(e, [..."4006381333931"], 0, 5);
    expect(e.key("Enter", 1000)).toBeNull();
  });

  it("starts a new scan after a pause, dropping what a person typed before", () => {
    const d = new ScanDetector();
    feed(d, [..."ab"], 0, 200);
    const out = feed(d, [..."96385074", "Enter"], 5000, 10);
    expect(out.at(-1)).toBe("96385074");
  });

  it("is reset by non-character keys", () => {
    const d = new ScanDetector();
    feed(d, [..."400638"], 0, 5);
    d.key("Shift", 35);
    expect(feed(d, [..."1", "Enter"], 40, 5).at(-1)).toBeNull();
  });
});

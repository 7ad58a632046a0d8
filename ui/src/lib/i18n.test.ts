import { describe, expect, it } from "vitest";
import { agoSecs, setLanguage, t, TABLES } from "./i18n";
import { friendly } from "./errors";
import { TillError } from "./transport";

describe("translations", () => {
  it("every language has every key, with the same placeholders", () => {
    const en = TABLES.en;
    for (const [lang, table] of Object.entries(TABLES)) {
      expect(Object.keys(table).sort(), lang).toEqual(Object.keys(en).sort());
      for (const k of Object.keys(en) as (keyof typeof en)[]) {
        const ph = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort();
        expect(ph(table[k]), `${lang} ${k}`).toEqual(ph(en[k]));
      }
    }
  });

  it("fills placeholders and switches language", () => {
    setLanguage("en");
    expect(t("status.waiting", { n: 3 })).toBe("3 waiting");
    setLanguage("de");
    expect(t("status.waiting", { n: 3 })).toBe("3 wartend");
    setLanguage("xx");
    expect(t("status.online")).toBe("Online");
  });

  it("says when the cluster refuses the till's events, in both languages", () => {
    setLanguage("en");
    expect(t("status.refused", { topic: "pos.payments.v1" })).toContain("Not authorised to send to pos.payments.v1");
    expect(t("status.refusedall")).toContain("Not authorised to send");
    setLanguage("de");
    expect(t("status.refused", { topic: "pos.payments.v1" })).toContain("Keine Berechtigung zum Senden an pos.payments.v1");
    expect(t("status.refusedall")).toContain("Keine Berechtigung");
    setLanguage("en");
  });

  it("names a paused relay, a blocked event and a ticket too large, in both languages", () => {
    setLanguage("en");
    expect(t("status.paused", { message: "busy" })).toBe("Sending paused: busy");
    expect(t("status.blocked", { seq: 7, type: "sale.completed", n: 3, error: "too large" })).toContain("Event #7 (sale.completed) refused 3 times");
    expect(t("err.too_large", { message: "m" })).toContain("Split it into two tickets");
    setLanguage("de");
    expect(t("status.paused", { message: "busy" })).toBe("Senden pausiert: busy");
    expect(t("status.blocked", { seq: 7, type: "sale.completed", n: 3, error: "x" })).toContain("Buchung #7 (sale.completed) 3-mal");
    expect(t("err.too_large", { message: "m" })).toContain("zwei Bons");
    setLanguage("en");
  });

  it("has a friendly message for every error code", () => {
    setLanguage("en");
    expect(friendly(new TillError("wrong_pin", "x"))).toBe("Wrong user or PIN.");
    expect(friendly({ code: "disk_full", message: "ENOSPC" })).toContain("disk is full");
    expect(friendly("boom")).toContain("boom");
  });

  it("says how long ago", () => {
    setLanguage("en");
    expect(agoSecs(2, false)).toBe("just now");
    expect(agoSecs(75, true)).toBe("1 min");
    expect(agoSecs(7200, false)).toBe("2 h ago");
  });
});

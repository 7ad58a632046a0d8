import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { cleanup, fireEvent, render, screen } from "@testing-library/svelte";
import { tick } from "svelte";
import TabsDialog from "./TabsDialog.svelte";
import { app } from "../lib/state.svelte";
import { setTransport } from "../lib/transport";
import { setLanguage } from "../lib/i18n";

function storeTab(over: Record<string, unknown> = {}) {
  return {
    tab_id: "tab-1",
    till_id: "T1",
    kind: "tab",
    label: "Table 7",
    items: 3,
    total: 1650,
    opened_at: "2026-11-25T14:05:00Z",
    age_secs: 600,
    served_by: "ana",
    here: false,
    moving_to: null,
    asked_here: false,
    ...over,
  };
}

function ownTab() {
  return {
    tab_id: "tab-1",
    kind: "tab",
    label: "Table 7",
    member_name: null,
    items: 3,
    total: 1650,
    opened_at: "2026-11-25T14:05:00Z",
    updated_at: "2026-11-25T14:30:00Z",
    opened_by: "ana",
    served_by: "ben",
    on_screen: false,
  };
}

async function settle() {
  for (let i = 0; i < 3; i++) {
    await Promise.resolve();
    await tick();
  }
}

describe("the tabs dialog", () => {
  afterEach(() => {
    cleanup();
    vi.useRealTimers();
  });
  beforeEach(() => {
    setLanguage("en");
    app.info = {
      store_id: "S1",
      till_id: "T2",
      currency: "EUR",
      currency_exponent: 2,
      cash_rounding: 1,
      tax_mode: "inclusive",
      version: "0",
      demo: false,
      printer: null,
      auto_lock_secs: 300,
      discount_approval_percent: 10,
      language: "en",
    };
    app.ticket = null;
  });

  it("brings a tab from another till: asked, moving, then in this till's list", async () => {
    vi.useFakeTimers();
    const calls: string[] = [];
    // What the store shows as the hand-over goes on.
    let phase: "open" | "asked" | "moving" | "here" = "open";
    setTransport(async (name) => {
      calls.push(name);
      if (name === "tabs") return phase === "here" ? [ownTab()] : [];
      if (name === "store_tabs") {
        if (phase === "open") return [storeTab()];
        if (phase === "asked") return [storeTab({ asked_here: true })];
        if (phase === "moving") return [storeTab({ moving_to: "T2" })];
        return [storeTab({ till_id: "T2", here: true })];
      }
      if (name === "request_tab") return true;
      throw { code: "internal", message: name };
    });
    render(TabsDialog, { onclose: () => {} });
    await settle();
    const row = screen.getByTestId("store-tab-row");
    expect(row.textContent).toContain("Table 7");
    expect(row.textContent).toContain("at T1");
    await fireEvent.click(screen.getByTestId("tab-bring"));
    await settle();
    expect(calls).toContain("request_tab");
    // Asked at once, before the store's list says so.
    expect(screen.getByTestId("store-tab-status").textContent).toBe("asked T1…");
    phase = "asked";
    await vi.advanceTimersByTimeAsync(1000);
    await settle();
    expect(screen.getByTestId("store-tab-status").textContent).toBe("asked T1…");
    phase = "moving";
    await vi.advanceTimersByTimeAsync(1000);
    await settle();
    expect(screen.getByTestId("store-tab-status").textContent).toBe("coming from T1…");
    phase = "here";
    await vi.advanceTimersByTimeAsync(1000);
    await settle();
    expect(screen.queryByTestId("store-tab-row")).toBeNull();
    expect(screen.getByTestId("tab-row").textContent).toContain("Table 7");
  });

  it("shows why a tab cannot be brought (the store's server unreachable)", async () => {
    setTransport(async (name) => {
      if (name === "tabs") return [];
      if (name === "store_tabs") return [storeTab()];
      if (name === "request_tab") throw { code: "kafka_unreachable", message: "a tab moves only while the store's server is reachable" };
      throw { code: "internal", message: name };
    });
    render(TabsDialog, { onclose: () => {} });
    await settle();
    await fireEvent.click(screen.getByTestId("tab-bring"));
    await settle();
    expect(screen.getByTestId("tabs-error").textContent).toContain("a tab moves only while the store's server is reachable");
    expect(screen.getByTestId("tab-bring")).toBeTruthy();
  });
});

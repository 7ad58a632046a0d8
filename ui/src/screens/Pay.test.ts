import { afterEach, describe, expect, it, beforeEach } from "vitest";
import { cleanup, render, fireEvent, screen } from "@testing-library/svelte";
import { tick } from "svelte";
import Pay from "./Pay.svelte";
import { app } from "../lib/state.svelte";
import { setTransport, TillError } from "../lib/transport";
import { setLanguage } from "../lib/i18n";

type Call = { name: string; args: any };

function ticket(total: number) {
  return {
    lines: [],
    subtotal: total,
    discount_total: 0,
    cart_discount_label: null,
    tax_total: 0,
    taxes: [],
    tax_mode: "inclusive",
    total,
    items: 1,
    price_changed: [],
    member: null as any,
    reward_points: 0,
  };
}

function member(available: number) {
  return {
    member_id: "M1",
    name: "Ada Lovelace",
    tier: "gold",
    phone: null,
    email: null,
    card_ids: ["LC-1"],
    active: true,
    local_only: false,
    available,
    balance: available,
    published: available,
    point_value: 1,
    account: { kind: "cabin", account_id: "CABIN-7001", offline_limit: 50000, unconfirmed: 0, chargeable: 50000 },
  };
}

function receipt() {
  return { kind: "sale", receipt_no: "T1-000001", total: 1234, change: 0, text: "", printed: null, print_error: null, opens_drawer: true };
}

describe("the payment screen", () => {
  afterEach(() => cleanup());
  let calls: Call[];
  beforeEach(() => {
    setLanguage("en");
    calls = [];
    app.info = {
      store_id: "S",
      till_id: "T",
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
    app.ticket = ticket(1234) as any;
    app.screen = "pay";
    app.error = "";
  });

  it("offers the exact amount first and completes the sale with it", async () => {
    setTransport(async (name, args) => {
      calls.push({ name, args });
      return name === "pay" ? receipt() : ticket(0);
    });
    render(Pay);
    const quick = screen.getAllByTestId("quick-cash");
    expect(quick[0].textContent).toContain("EUR 12.34");
    await fireEvent.click(quick[0]);
    await new Promise((r) => setTimeout(r, 0));
    await tick();
    const pay = calls.find((c) => c.name === "pay")!;
    expect(pay.args.tenders).toEqual([
      { kind: "cash", amount: null, tendered: "12.34", brand: null, last4: null, approval_code: null, offline: false, account_id: null, points: null },
    ]);
    expect(app.screen).toBe("receipt");
  });

  it("splits cash and card, sending the card only what is still due", async () => {
    setTransport(async (name, args) => {
      calls.push({ name, args });
      return name === "pay" ? receipt() : ticket(0);
    });
    render(Pay);
    await fireEvent.input(screen.getByTestId("tendered"), { target: { value: "5" } });
    await fireEvent.click(screen.getByTestId("take-cash"));
    expect(screen.getByTestId("due").textContent).toContain("EUR 7.34");
    await fireEvent.click(screen.getByTestId("method-card"));
    await fireEvent.input(screen.getByTestId("card-last4"), { target: { value: "4242" } });
    await fireEvent.input(screen.getByTestId("card-approval"), { target: { value: "OK1" } });
    await fireEvent.click(screen.getByTestId("take-card"));
    await new Promise((r) => setTimeout(r, 0));
    const pay = calls.find((c) => c.name === "pay")!;
    expect(pay.args.tenders.map((t: any) => [t.kind, t.amount, t.tendered])).toEqual([
      ["cash", null, "5.00"],
      ["card", "7.34", null],
    ]);
  });

  it("adds a card tip on top of the total and sends it with the card that covers it", async () => {
    setTransport(async (name, args) => {
      calls.push({ name, args });
      return name === "pay" ? receipt() : ticket(0);
    });
    render(Pay);
    await fireEvent.click(screen.getByTestId("method-card"));
    await fireEvent.click(screen.getByTestId("tip-10"));
    expect(screen.getByTestId("tip").textContent).toContain("EUR 1.23");
    expect(screen.getByTestId("due").textContent).toContain("EUR 13.57");
    await fireEvent.input(screen.getByTestId("card-last4"), { target: { value: "4242" } });
    await fireEvent.click(screen.getByTestId("take-card"));
    await new Promise((r) => setTimeout(r, 0));
    const pay = calls.find((c) => c.name === "pay")!;
    expect(pay.args.tip).toEqual({ amount: "1.23", kind: "card" });
    expect(pay.args.tenders.map((t: any) => [t.kind, t.amount])).toEqual([["card", "13.57"]]);
  });

  it("splits the bill between two guests: each card takes its share, the last one the tip", async () => {
    setTransport(async (name, args) => {
      calls.push({ name, args });
      if (name === "split_bill") return [{ guest: 1, amount: 617, lines: [], service_charge: 0 }, { guest: 2, amount: 617, lines: [], service_charge: 0 }];
      return name === "pay" ? receipt() : ticket(0);
    });
    render(Pay);
    await fireEvent.click(screen.getByTestId("method-card"));
    await fireEvent.click(screen.getByTestId("tip-10"));
    await fireEvent.click(screen.getByTestId("split"));
    await new Promise((r) => setTimeout(r, 0));
    await tick();
    await fireEvent.click(screen.getByTestId("split-ok"));
    expect(screen.getByTestId("due").textContent).toContain("Guest 1 of 2");
    expect(screen.getByTestId("due").textContent).toContain("EUR 6.17");
    await fireEvent.input(screen.getByTestId("card-last4"), { target: { value: "4242" } });
    await fireEvent.click(screen.getByTestId("take-card"));
    expect(screen.getByTestId("due").textContent).toContain("EUR 7.40");
    await fireEvent.input(screen.getByTestId("card-last4"), { target: { value: "1111" } });
    await fireEvent.click(screen.getByTestId("take-card"));
    await new Promise((r) => setTimeout(r, 0));
    const pay = calls.find((c) => c.name === "pay")!;
    expect(pay.args.tenders.map((t: any) => [t.kind, t.amount, t.last4])).toEqual([
      ["card", "6.17", "4242"],
      ["card", "7.40", "1111"],
    ]);
    expect(pay.args.tip).toEqual({ amount: "1.23", kind: "card" });
  });

  it("asks before selling what the till counts as out of stock, then confirms", async () => {
    setTransport(async (name, args) => {
      calls.push({ name, args });
      if (name === "pay" && !(args as any).confirm_out_of_stock) throw { code: "out_of_stock", message: "Espresso is out of stock (0 left)" };
      return name === "pay" ? receipt() : ticket(0);
    });
    render(Pay);
    await fireEvent.click(screen.getAllByTestId("quick-cash")[0]);
    await new Promise((r) => setTimeout(r, 0));
    await tick();
    expect(screen.getByTestId("confirm-stock").textContent).toContain("Espresso is out of stock");
    await fireEvent.click(screen.getByTestId("sell-anyway"));
    await new Promise((r) => setTimeout(r, 0));
    expect(calls.filter((c) => c.name === "pay").map((c) => c.args.confirm_out_of_stock)).toEqual([false, true]);
  });

  it("refuses a card slip without four digits and keeps the sale open", async () => {
    setTransport(async (name) => {
      calls.push({ name, args: null });
      throw new TillError("internal", "should not be called");
    });
    render(Pay);
    await fireEvent.click(screen.getByTestId("method-card"));
    await fireEvent.input(screen.getByTestId("card-last4"), { target: { value: "42" } });
    await fireEvent.click(screen.getByTestId("take-card"));
    expect(calls).toEqual([]);
    expect(app.error).toContain("Last 4 digits");
  });

  it("offers points only with a member, caps them at the balance, and asks a supervisor above the till's limit", async () => {
    render(Pay);
    expect(screen.queryByTestId("method-points")).toBeNull();
    cleanup();
    const t = ticket(1234);
    t.member = member(500);
    app.ticket = t as any;
    setTransport(async (name, args) => {
      calls.push({ name, args });
      if (name === "pay" && !(args as any).approval) throw { code: "approval_required", message: "this member has redeemed 900 unconfirmed points today" };
      return name === "pay" ? receipt() : ticket(0);
    });
    render(Pay);
    await fireEvent.click(screen.getByTestId("method-points"));
    expect(screen.getByTestId("points-info").textContent).toContain("500 points available");
    // More than available: refused locally, nothing sent.
    await fireEvent.input(screen.getByTestId("points"), { target: { value: "600" } });
    await fireEvent.click(screen.getByTestId("take-points"));
    expect(calls).toEqual([]);
    // Empty = as many as possible (500 = EUR 5.00), the rest on the guest's cabin.
    await fireEvent.input(screen.getByTestId("points"), { target: { value: "" } });
    await fireEvent.click(screen.getByTestId("take-points"));
    expect(screen.getByTestId("due").textContent).toContain("EUR 7.34");
    await fireEvent.click(screen.getByTestId("method-cabin"));
    await fireEvent.click(screen.getByTestId("take-account"));
    await new Promise((r) => setTimeout(r, 0));
    await tick();
    expect(screen.getByTestId("approval").textContent).toContain("900 unconfirmed points");
    await fireEvent.input(screen.getByTestId("approval-user"), { target: { value: "ben" } });
    await fireEvent.input(screen.getByTestId("approval-pin"), { target: { value: "2468" } });
    await fireEvent.click(screen.getByTestId("approval-submit"));
    await new Promise((r) => setTimeout(r, 0));
    const pays = calls.filter((c) => c.name === "pay");
    expect(pays.length).toBe(2);
    expect(pays[1].args.approval).toEqual({ user_id: "ben", pin: "2468" });
    expect(pays[1].args.tenders.map((x: any) => [x.kind, x.points, x.amount, x.account_id])).toEqual([
      ["points", "500", "5.00", null],
      ["cabin", null, "7.34", "CABIN-7001"],
    ]);
    expect(app.screen).toBe("receipt");
  });
});

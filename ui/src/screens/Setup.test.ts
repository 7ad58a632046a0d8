import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cleanup, fireEvent, render, screen } from "@testing-library/svelte";
import { tick } from "svelte";
import Setup from "./Setup.svelte";
import type { SetupDefaults, SetupForm } from "../lib/bindings";
import { setupForm } from "../lib/setupform.svelte";
import { initialForm } from "../lib/setup";
import { setTransport } from "../lib/transport";
import { setLanguage } from "../lib/i18n";

type Call = { name: string; args: any };

const defaults: SetupDefaults = {
  config_path: "/c/purser.toml",
  database: "/d/till.db",
  currency: "EUR",
  tax_mode: "inclusive",
  timezone: "UTC",
  security_protocol: "plaintext",
  sasl_mechanism: "SCRAM-SHA-512",
  topics: ["pos.payments.v1"],
  currencies: ["EUR", "USD"],
  timezones: ["UTC", "Europe/Berlin"],
};

const settle = async () => {
  await new Promise((r) => setTimeout(r, 0));
  await tick();
};

describe("the setup screen", () => {
  let calls: Call[];
  let ready: number;
  afterEach(() => cleanup());
  beforeEach(() => {
    setLanguage("en");
    calls = [];
    ready = 0;
    setupForm.defaults = defaults;
    setupForm.form = initialForm(defaults, "en");
    setupForm.issues = [];
    setupForm.touched = {};
    setupForm.all = false;
    setupForm.test = null;
    setupForm.printer = null;
  });

  function till(answers: Record<string, (args: any) => unknown>) {
    setTransport(async (name, args) => {
      calls.push({ name, args });
      const a = answers[name];
      if (!a) throw { code: "internal", message: `unexpected ${name}` };
      return a(args);
    });
  }

  it("saves only after a successful connection test of the settings on the form", async () => {
    till({
      setup_check: () => [],
      setup_test_kafka: (f: SetupForm) => ({
        ok: f.bootstrap_servers === "good:9092",
        failure: f.bootstrap_servers === "good:9092" ? null : "unreachable",
        message: "connect refused",
        brokers: ["good:9092 (id 1)"],
        topics_found: [],
        topics_missing: [],
        topics_refused: [],
        write_refused: null,
        issues: [],
      }),
      setup_save: () => ({ saved: true, issues: [], config_path: "/c/purser.toml" }),
    });
    render(Setup, { onready: () => ready++ });
    const save = screen.getByTestId("setup-save") as HTMLButtonElement;
    expect(save.disabled).toBe(true);

    await fireEvent.input(screen.getByTestId("setup-bootstrap_servers"), { target: { value: "bad:9092" } });
    await fireEvent.click(screen.getByTestId("setup-test-kafka"));
    await settle();
    expect(screen.getByTestId("kafka-result").textContent).toContain("No broker answered");
    expect(save.disabled).toBe(true);

    await fireEvent.input(screen.getByTestId("setup-bootstrap_servers"), { target: { value: "good:9092" } });
    expect(screen.queryByTestId("kafka-result")).toBeNull(); // the old result no longer applies
    await fireEvent.click(screen.getByTestId("setup-test-kafka"));
    await settle();
    expect(screen.getByTestId("kafka-result").textContent).toContain("every topic");
    expect(save.disabled).toBe(false);

    // Another address: the test no longer stands.
    await fireEvent.input(screen.getByTestId("setup-bootstrap_servers"), { target: { value: "other:9092" } });
    expect(save.disabled).toBe(true);
    await fireEvent.input(screen.getByTestId("setup-bootstrap_servers"), { target: { value: "good:9092" } });
    expect(save.disabled).toBe(false);

    await fireEvent.click(save);
    await settle();
    const saved = calls.find((c) => c.name === "setup_save")!;
    expect(saved.args.bootstrap_servers).toBe("good:9092");
    expect(ready).toBe(1);
  });

  it("shows a field's problem next to it once it is left, and every problem after a refused save", async () => {
    const issues = [
      { field: "store_id", rule: "id", message: "store_id 'S 1' must be…" },
      { field: "manager_pin_repeat", rule: "pin_repeat", message: "differ" },
    ];
    till({
      setup_check: () => issues,
      setup_test_kafka: () => ({ ok: true, failure: null, message: "", brokers: ["b"], topics_found: [], topics_missing: ["pos.tills.v1"], topics_refused: [], write_refused: null, issues: [] }),
      setup_save: () => ({ saved: false, issues, config_path: "/c/purser.toml" }),
    });
    render(Setup, { onready: () => ready++ });
    const store = screen.getByTestId("setup-store_id");
    await fireEvent.input(store, { target: { value: "S 1" } });
    await fireEvent.blur(store);
    await settle();
    expect(screen.getByTestId("issue-store_id").textContent).toContain("1 to 40 letters");
    expect(store.getAttribute("aria-invalid")).toBe("true");
    expect(screen.queryByTestId("issue-manager_pin_repeat")).toBeNull();

    await fireEvent.click(screen.getByTestId("setup-test-kafka"));
    await settle();
    expect(screen.getByTestId("kafka-result").textContent).toContain("pos.tills.v1");
    await fireEvent.click(screen.getByTestId("setup-save"));
    await settle();
    expect(screen.getByTestId("issue-manager_pin_repeat").textContent).toBe("The two PINs differ.");
    // The first field with a problem gets the focus.
    expect(document.activeElement).toBe(screen.getByTestId("setup-store_id"));
    expect(ready).toBe(0);
  });

  it("asks for SASL credentials only for a SASL protocol, and tests the printer", async () => {
    till({ setup_test_printer: () => ({ ok: false, message: "refused the connection" }) });
    render(Setup, { onready: () => ready++ });
    expect(screen.queryByTestId("setup-sasl_username")).toBeNull();
    await fireEvent.change(screen.getByTestId("setup-security_protocol"), { target: { value: "sasl_ssl" } });
    await tick();
    expect(screen.getByTestId("setup-sasl_username")).toBeTruthy();
    expect((screen.getByTestId("setup-sasl_password") as HTMLInputElement).type).toBe("password");
    expect(screen.getByTestId("setup-ssl_ca")).toBeTruthy();
    expect(screen.queryByTestId("setup-ssl_cert")).toBeNull();

    const test = screen.getByTestId("setup-test-printer") as HTMLButtonElement;
    expect(test.disabled).toBe(true);
    await fireEvent.input(screen.getByTestId("setup-printer"), { target: { value: "10.0.0.9:9100" } });
    await fireEvent.click(test);
    await settle();
    expect(calls.find((c) => c.name === "setup_test_printer")!.args).toEqual({ printer: "10.0.0.9:9100" });
    expect(screen.getByTestId("printer-result").textContent).toContain("refused the connection");
  });
});

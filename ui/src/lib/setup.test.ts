import { describe, expect, it } from "vitest";
import type { FieldIssue, KafkaTestView, SetupDefaults } from "./bindings";
import { setLanguage } from "./i18n";
import { initialForm, issueText, kafkaKey, testStands, testText, testWarns, usesSasl, usesTls, visibleIssues } from "./setup";

const defaults: SetupDefaults = {
  config_path: "/home/ana/.config/purser/purser.toml",
  database: "/home/ana/.local/share/purser/till.db",
  currency: "EUR",
  tax_mode: "inclusive",
  timezone: "Europe/Berlin",
  security_protocol: "plaintext",
  sasl_mechanism: "SCRAM-SHA-512",
  topics: [],
  currencies: ["EUR"],
  timezones: ["Europe/Berlin"],
};

function result(ok: boolean, extra: Partial<KafkaTestView> = {}): KafkaTestView {
  return { ok, failure: ok ? null : "unreachable", message: "m", brokers: ok ? ["b:1 (id 1)"] : [], topics_found: [], topics_missing: [], topics_refused: [], write_refused: null, issues: [], ...extra };
}

describe("the setup form's own logic", () => {
  it("asks for SASL or TLS fields only when the protocol uses them", () => {
    expect([usesSasl("plaintext"), usesTls("plaintext")]).toEqual([false, false]);
    expect([usesSasl("sasl_ssl"), usesTls("sasl_ssl")]).toEqual([true, true]);
    expect([usesSasl("ssl"), usesTls("ssl")]).toEqual([false, true]);
    expect([usesSasl("sasl_plaintext"), usesTls("sasl_plaintext")]).toEqual([true, false]);
  });

  it("a connection test stands for the Kafka settings it tested, and only those", () => {
    const f = { ...initialForm(defaults, "de"), bootstrap_servers: "k:9092" };
    expect(f.language).toBe("de");
    expect(f.timezone).toBe("Europe/Berlin");
    const test = { key: kafkaKey(f), result: result(true) };
    expect(testStands(test, f)).toBe(true);
    expect(testStands(null, f)).toBe(false);
    expect(testStands({ key: kafkaKey(f), result: result(false) }, f)).toBe(false);
    // Fields outside Kafka, and fields the protocol does not use, leave it standing.
    expect(testStands(test, { ...f, store_id: "S9", sasl_password: "typed but unused" })).toBe(true);
    expect(testStands(test, { ...f, bootstrap_servers: " k:9092 " })).toBe(true);
    // A changed address, protocol or secret needs a new test.
    expect(testStands(test, { ...f, bootstrap_servers: "k:9093" })).toBe(false);
    expect(testStands(test, { ...f, security_protocol: "sasl_ssl" })).toBe(false);
    const sasl = { ...f, security_protocol: "sasl_ssl", sasl_username: "u", sasl_password: "p" };
    const t2 = { key: kafkaKey(sasl), result: result(true) };
    expect(testStands(t2, { ...sasl, sasl_password: "q" })).toBe(false);
    expect(testStands(t2, { ...sasl, sasl_mechanism: "SCRAM-SHA-256" })).toBe(false);
  });

  it("shows each field's first problem, for the fields left or all after a refused save", () => {
    const issues: FieldIssue[] = [
      { field: "store_id", rule: "id", message: "a" },
      { field: "store_id", rule: "required", message: "b" },
      { field: "manager_pin", rule: "pin", message: "c" },
    ];
    expect(visibleIssues(issues, {}, false)).toEqual({});
    expect(Object.keys(visibleIssues(issues, { store_id: true }, false))).toEqual(["store_id"]);
    expect(visibleIssues(issues, { store_id: true }, false).store_id.rule).toBe("id");
    expect(Object.keys(visibleIssues(issues, {}, true)).sort()).toEqual(["manager_pin", "store_id"]);
  });

  it("words problems and test results in the window's language", () => {
    setLanguage("en");
    expect(issueText({ field: "manager_pin_repeat", rule: "pin_repeat", message: "x" })).toBe("The two PINs differ.");
    expect(issueText({ field: "ssl_key", rule: "file", message: "No such file" })).toContain("No such file");
    expect(issueText({ field: "x", rule: "something_new", message: "as the till said" })).toBe("as the till said");
    expect(testText(result(true))).toContain("every topic");
    expect(testText(result(true, { topics_missing: ["pos.tills.v1"] }))).toContain("pos.tills.v1");
    expect(testText(result(false, { failure: "authentication", message: "SASL failed" }))).toContain("refused the user");
    expect(testText(result(true, { topics_refused: ["pos.payments.v1"] }))).toContain("not authorised for these topics: pos.payments.v1");
    expect(testText(result(true, { write_refused: "CLUSTER_AUTHORIZATION_FAILED" }))).toContain("not authorise this till to write");
    expect(testWarns(result(true))).toBe(false);
    expect(testWarns(result(true, { write_refused: "CLUSTER_AUTHORIZATION_FAILED" }))).toBe(true);
    expect(testWarns(result(true, { topics_refused: ["pos.tills.v1"] }))).toBe(true);
    expect(testWarns(result(false))).toBe(false);
    setLanguage("de");
    expect(testText(result(true, { topics_refused: ["pos.tills.v1"] }))).toContain("keine Berechtigung");
    expect(issueText({ field: "manager_pin_repeat", rule: "pin_repeat", message: "x" })).toBe("Die beiden PINs sind verschieden.");
    expect(testText(result(false, { failure: "tls", message: "handshake" }))).toContain("TLS-Verbindung");
    setLanguage("en");
  });
});

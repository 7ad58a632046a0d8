// The setup screen's own logic: which fields a security protocol needs, when a connection
// test still stands for what is on the form, and which problems to show where. Every rule
// about the values themselves lives in the till (`setup_check`), shared with `purser init`.
import type { FieldIssue, KafkaTestView, SetupDefaults, SetupForm } from "./bindings";
import { t, type Key, TABLES } from "./i18n";

export const PROTOCOLS = ["plaintext", "sasl_ssl", "ssl", "sasl_plaintext"] as const;
export const MECHANISMS = ["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"] as const;

export function usesSasl(protocol: string): boolean {
  return protocol === "sasl_ssl" || protocol === "sasl_plaintext";
}

export function usesTls(protocol: string): boolean {
  return protocol === "ssl" || protocol === "sasl_ssl";
}

export function initialForm(d: SetupDefaults, language: string): SetupForm {
  return {
    store_id: "",
    till_id: "",
    currency: d.currency,
    tax_mode: d.tax_mode,
    timezone: d.timezone,
    language,
    bootstrap_servers: "",
    security_protocol: d.security_protocol,
    sasl_mechanism: d.sasl_mechanism,
    sasl_username: "",
    sasl_password: "",
    ssl_ca: "",
    ssl_cert: "",
    ssl_key: "",
    ssl_key_password: "",
    printer: "",
    manager_id: "",
    manager_name: "",
    manager_pin: "",
    manager_pin_repeat: "",
  };
}

/** The Kafka settings the protocol actually uses: a connection test stands for exactly
 * these, and goes stale when one of them changes. */
export function kafkaKey(f: SetupForm): string {
  const sasl = usesSasl(f.security_protocol);
  const tls = usesTls(f.security_protocol);
  return JSON.stringify([
    f.bootstrap_servers.trim(),
    f.security_protocol,
    sasl ? [f.sasl_mechanism, f.sasl_username.trim(), f.sasl_password] : null,
    tls ? [f.ssl_ca.trim(), f.ssl_cert.trim(), f.ssl_key.trim(), f.ssl_key_password] : null,
  ]);
}

export type TestState = { key: string; result: KafkaTestView } | null;

/** Saving needs a successful test of the settings now on the form. */
export function testStands(test: TestState, f: SetupForm): boolean {
  return test !== null && test.result.ok && test.key === kafkaKey(f);
}

/** The first problem of each field, limited to the fields the installer has left (or
 * all of them once they tried to save). */
export function visibleIssues(issues: FieldIssue[], touched: Record<string, boolean>, all: boolean): Record<string, FieldIssue> {
  const out: Record<string, FieldIssue> = {};
  for (const i of issues) {
    if ((all || touched[i.field]) && !(i.field in out)) out[i.field] = i;
  }
  return out;
}

/** What the window says about a problem: its own words for the rule, in the window's
 * language, with the till's details where they help. */
export function issueText(i: FieldIssue): string {
  const key = `setup.rule.${i.rule}`;
  if (key in TABLES.en) return t(key as Key, { message: i.message });
  return i.message;
}

/** Whether a successful test still has something to fix (topics missing, rights refused). */
export function testWarns(r: KafkaTestView): boolean {
  return r.ok && (r.topics_missing.length > 0 || r.topics_refused.length > 0 || r.write_refused !== null);
}

/** The sentence under the "Test connection" button. */
export function testText(r: KafkaTestView): string {
  if (r.ok) {
    const n = r.brokers.length;
    if (r.topics_missing.length > 0) return t("setup.kafka.missing", { n, topics: r.topics_missing.join(", ") });
    if (r.topics_refused.length > 0) return t("setup.kafka.refused", { n, topics: r.topics_refused.join(", ") });
    if (r.write_refused) return t("setup.kafka.nowrite", { n });
    return t("setup.kafka.ok", { n });
  }
  const key = `setup.kafka.${r.failure ?? "unreachable"}`;
  return key in TABLES.en ? t(key as Key, { message: r.message }) : r.message;
}

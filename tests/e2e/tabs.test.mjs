// End-to-end test of a bar tab in the real till window (release binary under Xvfb, driven
// by tauri-driver + WebKitWebDriver) against a real Apache Kafka broker: a tab opened for a
// guest survives the till being killed with SIGKILL, is recalled and paid after the
// restart, and every tab event reaches the broker once and validates against its schema
// (read back with kafka-python, validated with Python's jsonschema).
//
// Environment: as till.test.mjs (PURSER_DESKTOP, PURSER_PYTHON, PURSER_TEST_KAFKA,
// PURSER_ARTIFACTS).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { ENTER, sleep, testBroker, openApp } from "./webdriver.mjs";

const root = resolve(import.meta.dirname, "../..");
const target = process.env.CARGO_TARGET_DIR ?? join(root, "target");
const app = process.env.PURSER_DESKTOP ?? join(target, "release", "purser-desktop");
const python = process.env.PURSER_PYTHON ?? "python3";
const artifacts = process.env.PURSER_ARTIFACTS ?? join(root, "artifacts", "e2e");
mkdirSync(artifacts, { recursive: true });

const work = mkdtempSync(join(tmpdir(), "purser-e2e-tabs-"));
let broker = null;
let driverProc = null;
let wd = null;

const env = () => ({
  ...process.env,
  PURSER_DEMO: "1",
  PURSER_DEMO_BOOTSTRAP: broker.bootstrap,
  PURSER_DATA_DIR: join(work, "data"),
  PURSER_LOG: "info",
});

async function shot(name) {
  writeFileSync(join(artifacts, `${name}.png`), await wd.screenshot());
}
const click = (css) => wd.click(css);
const fill = (css, text) => wd.fill(css, text);

async function signIn(user, pin) {
  await fill("[data-testid=signin-user]", user);
  await fill("[data-testid=signin-pin]", pin);
  await click("[data-testid=signin-submit]");
}

async function lineCount() {
  return (await wd.findAll("[data-testid=ticket-line]")).length;
}

async function scanUntil(barcode, lines) {
  await wd.typeKeys(barcode + ENTER);
  const deadline = Date.now() + 5000;
  while ((await lineCount()) < lines && Date.now() < deadline) await sleep(50);
  assert.equal(await lineCount(), lines, `scan ${barcode} rang up a line`);
}

async function barcodes(n) {
  await click("[data-testid=category]");
  await wd.find("[data-testid=result]");
  const out = [];
  for (const el of await wd.findAll("[data-testid=result]")) {
    const barcode = await el.attr("data-barcode");
    if (barcode && (await el.attr("data-weighed")) !== "true") out.push(barcode);
    if (out.length === n) break;
  }
  await click("[data-testid=category]");
  await (await wd.find("[data-testid=search]")).click();
  return out;
}

function readPayments() {
  const out = execFileSync(python, [join(root, "tests", "kafka_read.py"), "--bootstrap", broker.bootstrap, "--topic", "pos.payments.v1", "--timeout", "30"], {
    encoding: "utf8",
  });
  return out
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l))
    .map((r) => (typeof r.value === "string" ? JSON.parse(r.value) : r.value));
}

/** Kills the window's process the way a power cut would: no chance to save anything. */
function killApp() {
  const pids = execFileSync("pgrep", ["-x", "purser-desktop"], { encoding: "utf8" }).split("\n").filter(Boolean);
  assert.equal(pids.length, 1, `one till window running (${pids.join(", ")})`);
  execFileSync("kill", ["-KILL", pids[0]]);
  return pids[0];
}

async function open() {
  ({ wd, driver: driverProc } = await openApp(app, env(), join(work, "tauri-driver.log")));
}

before(async () => {
  broker = await testBroker(work);
  await open();
});

after(async () => {
  if (wd) await wd.quit().catch(() => {});
  if (driverProc) driverProc.kill();
  if (broker) await broker.close();
  console.log(`work files: ${work}; screenshots: ${artifacts}`);
});

test("a guest's tab survives a SIGKILL of its till, is recalled and paid, and each tab event arrives once and validates", async () => {
  await wd.find("[data-testid=signin-user]");
  await signIn("ana", "1234");
  await fill("[data-testid=float]", "150.00");
  await click("[data-testid=open-shift]");
  await wd.find("[data-testid=category]", 30000);
  await wd.waitText("[data-testid=status-link]", /Online/, 30000);
  const codes = await barcodes(3);
  assert.equal(codes.length, 3);

  // Two drinks, then the ticket becomes the guest's tab; a third drink goes on the tab.
  await scanUntil(codes[0], 1);
  await scanUntil(codes[1], 2);
  await click("[data-testid=tabs]");
  await wd.find("[data-testid=tabs-dialog]");
  await fill("[data-testid=tab-label]", "Pool bar 4");
  await shot("tabs-01-open-a-tab");
  await click("[data-testid=tab-open]");
  await wd.waitText("[data-testid=tab-name]", /Pool bar 4/);
  await scanUntil(codes[2], 3);
  const total = await (await wd.find("[data-testid=total]")).text();
  await shot("tabs-02-tab-on-screen");

  // Power cut: the window dies without a chance to save anything.
  killApp();
  driverProc.kill();
  await sleep(500);
  await open();
  await wd.find("[data-testid=signin-user]", 30000);
  await signIn("ana", "1234");
  // The shift is still open; the screen starts with an empty ticket.
  await wd.find("[data-testid=category]", 30000);
  assert.equal(await lineCount(), 0);
  await click("[data-testid=tabs]");
  const row = await wd.waitText("[data-testid=tabs-list]", /Pool bar 4/);
  assert.match(row, /3 items/);
  await shot("tabs-03-after-sigkill");
  await click("[data-testid=tab-recall]");
  await wd.waitText("[data-testid=tab-name]", /Pool bar 4/);
  assert.equal(await lineCount(), 3, "every line of the tab is back");
  assert.equal(await (await wd.find("[data-testid=total]")).text(), total);

  // Paid in cash: the tab closes with the sale.
  await click("[data-testid=pay]");
  await click("[data-testid=quick-cash]");
  const title = await wd.waitText("[data-testid=receipt-title]", /\S/);
  const receiptNo = title.split(" ").at(-1);
  await click("[data-testid=next-customer]");
  await click("[data-testid=tabs]");
  await wd.waitText("[data-testid=tabs-list]", /No open tabs/);
  await click("[data-testid=tabs-dialog] .row button");

  await wd.waitText("[data-testid=status-outbox]", /all sent/, 30000);
  const payments = readPayments();
  const sale = payments.find((e) => e.event_type === "sale.completed" && e.receipt_no === receiptNo);
  assert.ok(sale, "the sale arrived");
  const closed = payments.filter((e) => e.event_type === "tab.closed" && e.outcome?.sale_id === sale.sale_id);
  assert.equal(new Set(closed.map((e) => e.event_id)).size, 1, "the tab closed once, by that sale");
  const tabId = closed[0].tab_id;
  const mine = payments.filter((e) => e.tab_id === tabId);
  const byId = new Map(mine.map((e) => [e.event_id, e]));
  const kinds = [...byId.values()].map((e) => e.event_type);
  assert.equal(kinds.filter((k) => k === "tab.opened").length, 1);
  assert.equal(kinds.filter((k) => k === "tab.updated").length, 1, "the third drink");
  assert.deepEqual(
    [...byId.values()].map((e) => e.version).sort(),
    [1, 2, 3],
    "versions 1 (opened), 2 (a line added), 3 (closed)",
  );
  assert.equal(mine.length, byId.size, "no tab event arrived twice");
  const lastUpdate = [...byId.values()].find((e) => e.event_type === "tab.updated");
  assert.equal(lastUpdate.lines.length, 3);
  assert.equal(lastUpdate.total, sale.total, "the tab as saved is what was paid");

  // Every event of the tab and its sale validates against the contract (Python's jsonschema).
  const lines = [...byId.values(), sale].map((e) => JSON.stringify(e)).join("\n") + "\n";
  execFileSync(python, [join(root, "tests", "validate_events.py")], { input: lines, encoding: "utf8" });
});

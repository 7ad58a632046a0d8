// End-to-end test of the bar on two tills of one store, in the real till windows (release
// binary under Xvfb, each driven by its own tauri-driver + WebKitWebDriver) against a real
// Apache Kafka broker: a cabin guest's tab with drinks and modifiers at TILL-1 survives a
// SIGKILL of TILL-1, is brought to TILL-2 through the store's cluster and paid there split
// between two guests with the service charge and a tip; the manager sees the service charge
// and tips of the bartender who served; every event of the tab and its sale arrives once
// (kafka-python) and validates against its schema (Python's jsonschema).
//
// Environment: as till.test.mjs (PURSER_DESKTOP, PURSER_PYTHON, PURSER_TEST_KAFKA,
// PURSER_ARTIFACTS).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { ENTER, sleep, testBroker, openApp } from "./webdriver.mjs";

const root = resolve(import.meta.dirname, "../..");
const target = process.env.CARGO_TARGET_DIR ?? join(root, "target");
const app = process.env.PURSER_DESKTOP ?? join(target, "release", "purser-desktop");
const python = process.env.PURSER_PYTHON ?? "python3";
const artifacts = process.env.PURSER_ARTIFACTS ?? join(root, "artifacts", "e2e");
mkdirSync(artifacts, { recursive: true });

const work = mkdtempSync(join(tmpdir(), "purser-e2e-bar-"));
let broker = null;
const tills = {}; // name -> { wd, driver, dataDir }

const env = (till, dataDir) => ({
  ...process.env,
  PURSER_DEMO: "1",
  PURSER_DEMO_BOOTSTRAP: broker.bootstrap,
  PURSER_DEMO_TILL: till,
  PURSER_DATA_DIR: dataDir,
  PURSER_LOG: "info",
});

async function open(till) {
  const dataDir = join(work, till);
  const { wd, driver } = await openApp(app, env(till, dataDir), join(work, `tauri-driver-${till}.log`));
  tills[till] = { wd, driver, dataDir };
  return wd;
}

/** The window process of a till, found by its data folder (two windows run at once). */
function pidOf(till) {
  const pids = execFileSync("pgrep", ["-x", "purser-desktop"], { encoding: "utf8" }).split("\n").filter(Boolean);
  const mine = pids.filter((p) => {
    try {
      return readFileSync(`/proc/${p}/environ`, "latin1").split("\0").includes(`PURSER_DATA_DIR=${tills[till].dataDir}`);
    } catch {
      return false;
    }
  });
  assert.equal(mine.length, 1, `one window of ${till} (${pids.join(", ")})`);
  return mine[0];
}

async function shot(wd, name) {
  writeFileSync(join(artifacts, `${name}.png`), await wd.screenshot());
}

async function signIn(wd, user, pin) {
  await wd.fill("[data-testid=signin-user]", user);
  await wd.fill("[data-testid=signin-pin]", pin);
  await wd.click("[data-testid=signin-submit]");
}

async function lineCount(wd) {
  return (await wd.findAll("[data-testid=ticket-line]")).length;
}

async function waitLines(wd, n) {
  const deadline = Date.now() + 10000;
  while ((await lineCount(wd)) !== n && Date.now() < deadline) await sleep(100);
  if ((await lineCount(wd)) !== n) await shot(wd, "bar-failed-lines");
  assert.equal(await lineCount(wd), n, `${n} lines on the ticket`);
}

/** Opens a category and rings up the product of that name, through the picker if it has one. */
async function pickDrink(wd, category, name, options) {
  for (const el of await wd.findAll("[data-testid=category]")) {
    // A second click on the open category would close it.
    if ((await el.text()).trim() === category && !/\bactive\b/.test((await el.attr("class")) ?? "")) {
      await el.click();
      break;
    }
  }
  await wd.find("[data-testid=result]");
  let found = false;
  for (const el of await wd.findAll("[data-testid=result]")) {
    if ((await el.attr("title")) === name) {
      await el.click();
      found = true;
      break;
    }
  }
  assert.ok(found, `${name} in ${category}`);
  await wd.find("[data-testid=modifier-picker]");
  for (const o of options) {
    for (const el of await wd.findAll("[data-testid=modifier-option]")) {
      if ((await el.attr("data-option")) === o) {
        await el.click();
        break;
      }
    }
  }
  return wd;
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

before(async () => {
  broker = await testBroker(work);
});

after(async () => {
  for (const t of Object.values(tills)) {
    if (t.wd) await t.wd.quit().catch(() => {});
    if (t.driver) t.driver.kill();
  }
  if (broker) await broker.close();
  console.log(`work files: ${work}; screenshots: ${artifacts}`);
});

test("a cabin guest's tab: modifiers at TILL-1, SIGKILL, brought to TILL-2, split between two guests with service charge and tip", async () => {
  // TILL-1: Ana opens her shift; the guest's cabin card goes on the ticket.
  let one = await open("TILL-1");
  await one.find("[data-testid=signin-user]", 30000);
  await signIn(one, "ana", "1234");
  await one.fill("[data-testid=float]", "100.00");
  await one.click("[data-testid=open-shift]");
  await one.find("[data-testid=category]", 30000);
  await one.waitText("[data-testid=status-link]", /Online/, 30000);
  // The card is known once the loyalty accounts stream has arrived: scan until it is.
  let guest = "";
  for (const deadline = Date.now() + 60000; !guest && Date.now() < deadline; ) {
    await one.typeKeys("LC-000001" + ENTER);
    guest = await one.waitText("[data-testid=member-name]", /\S/, 3000).catch(() => "");
  }
  assert.ok(guest, "the cabin guest's card is known at TILL-1");
  const named = new RegExp(guest.trim().replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));

  // A whisky on the rocks with tonic, and a gin and tonic neat: both through the picker.
  await pickDrink(one, "Spirits & cocktails", "Whisky single malt", ["rocks", "tonic"]);
  await shot(one, "bar-01-modifier-picker");
  await one.click("[data-testid=modifier-add]");
  await waitLines(one, 1);
  await pickDrink(one, "Spirits & cocktails", "Gin and tonic", ["neat"]);
  await one.click("[data-testid=modifier-add]");
  await waitLines(one, 2);
  assert.match(await (await one.find("[data-testid=line-modifiers]")).text(), /On the rocks/);
  assert.match(await (await one.find("[data-testid=service-charge]")).text(), /18%/);

  // The ticket becomes the guest's tab, named after them.
  await one.click("[data-testid=tabs]");
  await one.find("[data-testid=tabs-dialog]");
  await one.click("[data-testid=tab-open]");
  await one.waitText("[data-testid=tab-name]", named);
  const total = await (await one.find("[data-testid=total]")).text();
  await shot(one, "bar-02-tab-with-modifiers");

  // Power cut at TILL-1; it comes back with the tab as it was.
  execFileSync("kill", ["-KILL", pidOf("TILL-1")]);
  tills["TILL-1"].driver.kill();
  await sleep(500);
  one = await open("TILL-1");
  await one.find("[data-testid=signin-user]", 30000);
  await signIn(one, "ana", "1234");
  await one.find("[data-testid=category]", 30000);
  await one.click("[data-testid=tabs]");
  await one.waitText("[data-testid=tabs-list]", named, 10000);
  await one.click("[data-testid=tab-recall]");
  await waitLines(one, 2);
  assert.equal(await (await one.find("[data-testid=total]")).text(), total);
  // Put away: the tab stays open at TILL-1, which keeps running (it hands the tab over).
  await one.click("[data-testid=park]");
  await one.waitText("[data-testid=ticket]", /Scan an item/);

  // TILL-2: Ben brings the tab over through the store's cluster.
  const two = await open("TILL-2");
  await two.find("[data-testid=signin-user]", 30000);
  await signIn(two, "ben", "2468");
  await two.fill("[data-testid=float]", "100.00");
  await two.click("[data-testid=open-shift]");
  await two.find("[data-testid=category]", 30000);
  await two.waitText("[data-testid=status-link]", /Online/, 30000);
  await two.click("[data-testid=tabs]");
  await two.waitText("[data-testid=store-tabs-list]", named, 30000);
  await two.click("[data-testid=tab-bring]");
  await shot(two, "bar-03-bring-the-tab");
  await two.waitText("[data-testid=tabs-list]", named, 60000);
  await two.click("[data-testid=tab-recall]");
  await waitLines(two, 2);
  assert.equal(await (await two.find("[data-testid=total]")).text(), total, "nothing lost on the way");

  // Paid split between two guests, each by card; the second card takes a 10 % tip.
  await two.click("[data-testid=pay]");
  await two.click("[data-testid=method-card]");
  await two.click("[data-testid=tip-10]");
  await two.click("[data-testid=split]");
  await two.find("[data-testid=split-shares]");
  await shot(two, "bar-04-split-the-bill");
  await two.click("[data-testid=split-ok]");
  await two.waitText("[data-testid=due]", /Guest 1 of 2/);
  await two.fill("[data-testid=card-last4]", "4242");
  await two.fill("[data-testid=card-approval]", "G1OK");
  await two.click("[data-testid=take-card]");
  await two.waitText("[data-testid=due]", /Guest 2 of 2/);
  await two.fill("[data-testid=card-last4]", "1111");
  await two.fill("[data-testid=card-approval]", "G2OK");
  await shot(two, "bar-05-second-guest-with-tip");
  await two.click("[data-testid=take-card]");
  const receipt = await two.waitText("[data-testid=receipt-text]", /Service charge 18%/, 15000);
  assert.match(receipt, /of which tip \(card\)/);
  assert.match(receipt, /Served by\s+ben/);
  const receiptNo = (await two.waitText("[data-testid=receipt-title]", /\S/)).split(" ").at(-1);
  await shot(two, "bar-06-receipt");
  await two.click("[data-testid=next-customer]");

  // The manager at TILL-2 sees Ben's service charge and tips.
  await two.click("[data-testid=lock]");
  await signIn(two, "mia", "1357");
  await two.click("[data-testid=store-view]");
  await two.waitText("[data-testid=per-cashier]", /ben/, 30000);
  const service = await two.waitText("[data-testid=cashier-service]", /tips EUR [1-9]/, 30000);
  assert.match(service, /service charge EUR [1-9]/);
  await shot(two, "bar-07-manager-per-bartender");

  // Every event of the tab and its sale arrived once and validates against its schema.
  await two.waitText("[data-testid=status-outbox]", /all sent/, 30000);
  await one.waitText("[data-testid=status-outbox]", /all sent/, 30000);
  const payments = readPayments();
  const sale = payments.find((e) => e.event_type === "sale.completed" && e.receipt_no === receiptNo);
  assert.ok(sale, "the sale arrived");
  assert.equal(sale.till_id, "TILL-2");
  assert.equal(sale.served_by, "ben");
  assert.equal(sale.tenders.length, 2);
  assert.ok(sale.service_charge.amount > 0 && sale.tips.length === 1, "service charge and tip on the sale");
  assert.equal(sale.lines[0].modifiers.length, 2);
  const closed = payments.filter((e) => e.event_type === "tab.closed" && e.outcome?.sale_id === sale.sale_id);
  assert.equal(closed.length, 1);
  const tabId = closed[0].tab_id;
  const mine = payments.filter((e) => e.tab_id === tabId);
  const byId = new Map(mine.map((e) => [e.event_id, e]));
  assert.equal(mine.length, byId.size, "no tab event arrived twice");
  const seq = [...byId.values()].sort((a, b) => a.version - b.version || a.occurred_at.localeCompare(b.occurred_at));
  const kinds = seq.map((e) => `${e.event_type}@${e.till_id}`);
  assert.deepEqual(
    kinds.filter((k) => !k.startsWith("tab.updated")),
    ["tab.opened@TILL-1", "tab.move_requested@TILL-2", "tab.moved@TILL-1", "tab.opened@TILL-2", "tab.closed@TILL-2"],
  );
  const lines = [...byId.values(), sale].map((e) => JSON.stringify(e)).join("\n") + "\n";
  execFileSync(python, [join(root, "tests", "validate_events.py")], { input: lines, encoding: "utf8" });
});

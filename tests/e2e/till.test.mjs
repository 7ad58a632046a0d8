// End-to-end tests of the real till window: the release binary under Xvfb, driven by
// tauri-driver + WebKitWebDriver, selling against a real Apache Kafka broker (started from the edge kit, or
// PURSER_TEST_KAFKA), with what arrived read back by kafka-python.
//
//   xvfb-run -a node --test tests/e2e/
//
// Environment: PURSER_DESKTOP (the app binary), PURSER_PYTHON (python with kafka-python),
// PURSER_TEST_KAFKA (use this broker instead of starting Apache Kafka), PURSER_ARTIFACTS
// (where screenshots go; default artifacts/e2e).

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

const work = mkdtempSync(join(tmpdir(), "purser-e2e-"));
let broker = null; // { bootstrap, start(), stop() }
let driverProc = null;
let wd = null;

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

async function approve(user, pin) {
  await wd.find("[data-testid=approval]");
  await fill("[data-testid=approval-user]", user);
  await fill("[data-testid=approval-pin]", pin);
  await click("[data-testid=approval-submit]");
  await wd.waitGone("[data-testid=approval]");
}

/** Scans a barcode the way a keyboard-wedge scanner does: fast keys ending in Enter. */
async function scan(barcode) {
  const before = (await wd.findAll("[data-testid=ticket-line]")).length;
  await wd.typeKeys(barcode + ENTER);
  return before;
}

async function lineCount() {
  return (await wd.findAll("[data-testid=ticket-line]")).length;
}

async function products(n) {
  // The first category's products with a barcode, as the sell screen lists them.
  await click("[data-testid=category]");
  await wd.find("[data-testid=result]");
  const out = [];
  for (const el of await wd.findAll("[data-testid=result]")) {
    const barcode = await el.attr("data-barcode");
    const w = await el.attr("data-weighed");
    if (barcode && w !== "true") out.push({ barcode, sku: await el.attr("data-sku") });
    if (out.length === n) break;
  }
  await click("[data-testid=category]"); // back to an empty result list
  await (await wd.find("[data-testid=search]")).click();
  return out;
}

function publish(topic, records) {
  execFileSync(python, [join(root, "tests", "kafka_publish.py"), "--bootstrap", broker.bootstrap, "--topic", topic], {
    input: records.map((r) => JSON.stringify(r)).join("\n") + "\n",
    encoding: "utf8",
  });
}

function readTopic(topic) {
  const out = execFileSync(python, [join(root, "tests", "kafka_read.py"), "--bootstrap", broker.bootstrap, "--topic", topic, "--timeout", "30"], {
    encoding: "utf8",
  });
  return out
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

before(async () => {
  broker = await testBroker(work);
  ({ wd, driver: driverProc } = await openApp(
    app,
    {
      ...process.env,
      PURSER_DEMO: "1",
      PURSER_DEMO_BOOTSTRAP: broker.bootstrap,
      PURSER_DATA_DIR: join(work, "data"),
      PURSER_LOG: "info",
    },
    join(work, "tauri-driver.log"),
  ));
});

after(async () => {
  if (wd) await wd.quit();
  if (driverProc) driverProc.kill();
  if (broker) await broker.close();
  console.log(`work files: ${work}; screenshots: ${artifacts}`);
});

test("a cashier's day: sign in, sell with discount and split tender, refund, close the shift", async () => {
  await wd.find("[data-testid=signin-user]");
  await wd.waitText("[data-testid=demo-users]", /ana/);
  await shot("01-sign-in");
  await signIn("ana", "9999");
  await wd.waitText("[data-testid=error]", /Wrong user or PIN/);
  await signIn("ana", "1234");

  await wd.find("[data-testid=float]");
  await shot("02-open-shift");
  await fill("[data-testid=float]", "150.00");
  await click("[data-testid=open-shift]");

  // The catalog arrives from the broker; wait for the category grid.
  await wd.find("[data-testid=category]", 30000);
  await wd.waitText("[data-testid=status-link]", /Online/, 30000);
  const codes = (await products(3)).map((p) => p.barcode);
  assert.equal(codes.length, 3, "three products with barcodes");
  for (const [i, code] of codes.entries()) {
    await scan(code);
    const deadline = Date.now() + 5000;
    while ((await lineCount()) < i + 1 && Date.now() < deadline) await sleep(50);
    assert.equal(await lineCount(), i + 1, `scan ${code} rang up a line`);
  }

  // A 15 % ticket discount is above the cashier's limit: a supervisor approves it.
  await click("[data-testid=cart-discount]");
  await fill("[data-testid=prompt-input]", "15%");
  await click("[data-testid=prompt-ok]");
  await approve("ben", "2468");
  await wd.waitText("[data-testid=totals]", /-15%/);
  await shot("03-sell");

  // Split: 2.00 in cash, the rest by card.
  await click("[data-testid=pay]");
  await fill("[data-testid=tendered]", "2.00");
  await click("[data-testid=take-cash]");
  await click("[data-testid=method-card]");
  await fill("[data-testid=card-last4]", "4242");
  await fill("[data-testid=card-approval]", "A1B2C3");
  await shot("04-payment");
  await click("[data-testid=take-card]");
  const receipt = await wd.waitText("[data-testid=receipt-text]", /VISA \*\*\*\*4242/);
  assert.match(receipt, /Cash/);
  const title = await wd.waitText("[data-testid=receipt-title]", /\S/);
  const receiptNo = title.split(" ").at(-1);
  await shot("05-receipt");
  await click("[data-testid=save-pdf]");
  await wd.waitText("[data-testid=notice]", /\.pdf/);

  // Refund one unit of the first line with a supervisor's PIN.
  await click("[data-testid=next-customer]");
  await click("[data-testid=refund]");
  await fill("[data-testid=refund-receipt]", receiptNo);
  await click("[data-testid=refund-find]");
  await wd.find("[data-testid=refund-lines]");
  await click("[data-testid=refund-plus]");
  await fill("[data-testid=refund-reason]", "damaged");
  await shot("06-refund");
  await click("[data-testid=refund-submit]");
  await approve("ben", "2468");
  await wd.waitText("[data-testid=receipt-text]", /Refund/i);
  await shot("07-refund-receipt");
  await click("[data-testid=next-customer]");

  // Close the shift with a cash count: the Z report shows over/short.
  await click("[data-testid=shift]");
  await wd.find("[data-testid=expected-cash]");
  await fill("[data-testid=counted]", "150.00");
  await click("[data-testid=close-z]");
  await wd.waitText("[data-testid=over-short]", /EUR/);
  await wd.waitText("[data-testid=report-text]", /Z/);
  await shot("08-z-report");
  await click("[data-testid=shift-done]");
  await wd.find("[data-testid=signin-user]");

  // Everything reached the broker: the sale, the refund and the Z report.
  await wd.waitText("[data-testid=status-outbox]", /all sent/, 30000);
  const payments = readTopic("pos.payments.v1").map((r) => (typeof r.value === "string" ? JSON.parse(r.value) : r.value));
  assert.equal(payments.filter((e) => e.event_type === "sale.completed" && e.receipt_no === receiptNo).length, 1);
  assert.equal(payments.filter((e) => e.event_type === "sale.refunded" && e.original_receipt_no === receiptNo).length, 1);
  const tills = readTopic("pos.tills.v1").map((r) => (typeof r.value === "string" ? JSON.parse(r.value) : r.value));
  assert.ok(tills.some((e) => e.event_type === "shift.closed" && e.report.kind === "Z"));
});

test("selling goes on with the broker down; the status bar shows the waiting events; they arrive once it is back", async () => {
  await signIn("ana", "1234");
  await fill("[data-testid=float]", "100.00");
  await click("[data-testid=open-shift]");
  await wd.find("[data-testid=category]", 30000);
  const [{ barcode: code }] = await products(1);

  await broker.stop();
  await wd.waitText("[data-testid=status-link]", /Offline/, 30000);
  await scan(code);
  await wd.find("[data-testid=ticket-line]");
  await click("[data-testid=pay]");
  await click("[data-testid=quick-cash]");
  const title = await wd.waitText("[data-testid=receipt-title]", /\S/);
  const receiptNo = title.split(" ").at(-1);
  await wd.waitText("[data-testid=status-outbox]", /waiting/, 10000);
  await shot("09-offline");

  await broker.start();
  await wd.waitText("[data-testid=status-link]", /Online/, 60000);
  await wd.waitText("[data-testid=status-outbox]", /all sent/, 60000);
  await shot("10-back-online");
  const payments = readTopic("pos.payments.v1").map((r) => (typeof r.value === "string" ? JSON.parse(r.value) : r.value));
  const mine = payments.filter((e) => e.event_type === "sale.completed" && e.receipt_no === receiptNo);
  assert.equal(new Set(mine.map((e) => e.event_id)).size, 1, "the offline sale arrived, once after deduplication");
});

test("a price change from head office shows at the till without a restart; the rung-up line keeps its price", async () => {
  await click("[data-testid=next-customer]");
  const [p] = await products(1);
  await scan(p.barcode);
  await wd.find("[data-testid=ticket-line]");
  const before = await (await wd.find("[data-testid=ticket-line]")).text();

  // Head office raises the price by 0.40 on pos.catalog.v1 (kafka-python, not the till).
  const record = readTopic("pos.catalog.v1")
    .filter((r) => r.key === p.sku)
    .map((r) => (typeof r.value === "string" ? JSON.parse(r.value) : r.value))
    .at(-1);
  assert.ok(record, `catalog record for ${p.sku}`);
  const raised = { ...record, price: record.price + 40, updated_at: new Date().toISOString() };
  const sent = Date.now();
  publish("pos.catalog.v1", [{ key: p.sku, value: raised }]);

  // The ticket says the price changed; its line keeps the old price.
  await wd.find("[data-testid=price-changed]", 15000);
  console.log(`price change visible at the till ${Date.now() - sent} ms after publishing (incl. WebDriver polling)`);
  assert.equal(await (await wd.find("[data-testid=ticket-line]")).text(), before);
  await shot("11-price-changed");

  // The next scan rings up the new price, on a line of its own.
  await scan(p.barcode);
  const deadline = Date.now() + 5000;
  while ((await lineCount()) < 2 && Date.now() < deadline) await sleep(50);
  assert.equal(await lineCount(), 2);
  const lines = await wd.findAll("[data-testid=ticket-line]");
  const newPrice = ((raised.price / 100).toFixed(2));
  assert.match(await lines[1].text(), new RegExp(newPrice.replace(".", "\\.")));
  await click("[data-testid=pay]");
  await click("[data-testid=quick-cash]");
  // The till's stock may say this item ran out (the demo stock is small): confirm.
  const deadline2 = Date.now() + 10000;
  while (!(await wd.exists("[data-testid=receipt-text]")) && Date.now() < deadline2) {
    if (await wd.exists("[data-testid=sell-anyway]")) await click("[data-testid=sell-anyway]");
    await sleep(100);
  }
  await wd.find("[data-testid=receipt-text]");
});

const num = (text, re) => Number((text.match(re) ?? [])[1]);

/** The demo's stock is small: when the till says an item ran out, the cashier confirms. */
async function confirmStockIfAsked() {
  const deadline = Date.now() + 10000;
  while (!(await wd.exists("[data-testid=receipt-text]")) && Date.now() < deadline) {
    if (await wd.exists("[data-testid=sell-anyway]")) await click("[data-testid=sell-anyway]");
    await sleep(100);
  }
}

test("loyalty: scan a member card, earn, redeem offline, refund, and see the balance each time", async () => {
  await click("[data-testid=next-customer]");
  const [p1, p2] = await products(2);

  // Ada (demo member M-000001, card LC-000001) shows her card: the member bar has her points.
  await wd.typeKeys("LC-000001" + ENTER);
  await wd.waitText("[data-testid=member-name]", /Ada Lovelace/);
  const start = num(await wd.waitText("[data-testid=member-balance]", /balance/), /balance (\d+)/);
  assert.ok(start > 0, "the demo member has points");
  await scan(p1.barcode);
  await wd.find("[data-testid=ticket-line]");
  await shot("12-member-on-sale");
  await click("[data-testid=pay]");
  await click("[data-testid=quick-cash]");
  await confirmStockIfAsked();
  const earnedText = await wd.waitText("[data-testid=receipt-points]", /points earned/);
  const earned = num(earnedText, /(\d+) points earned/);
  assert.ok(earned > 0, earnedText);
  assert.equal(num(earnedText, /balance (\d+)/), start + earned);
  assert.match(await wd.waitText("[data-testid=receipt-text]", /Points earned/), /Points balance/);
  await shot("13-receipt-points");
  const firstReceipt = (await wd.waitText("[data-testid=receipt-title]", /\S/)).split(" ").at(-1);
  await click("[data-testid=next-customer]");

  // The broker goes away; Ada pays her next item with points all the same.
  await broker.stop();
  await wd.waitText("[data-testid=status-link]", /Offline/, 30000);
  await click("[data-testid=member]");
  await fill("[data-testid=member-search]", "Lovelace");
  await click("[data-testid=member-find]");
  await click("[data-testid=member-attach]");
  await wd.waitText("[data-testid=member-balance]", new RegExp(`balance ${start + earned}\\b`));
  await scan(p2.barcode);
  await wd.find("[data-testid=ticket-line]");
  await click("[data-testid=pay]");
  await click("[data-testid=method-points]");
  await wd.waitText("[data-testid=points-info]", /points available/);
  await shot("14-pay-with-points");
  await click("[data-testid=take-points]");
  const deadline = Date.now() + 10000;
  while (!(await wd.exists("[data-testid=receipt-text]")) && Date.now() < deadline) {
    // Points may not cover the whole item: the rest in cash; confirm stock if asked.
    if (await wd.exists("[data-testid=sell-anyway]")) await click("[data-testid=sell-anyway]");
    else if (await wd.exists("[data-testid=method-cash]")) {
      await click("[data-testid=method-cash]");
      if (await wd.exists("[data-testid=quick-cash]")) await click("[data-testid=quick-cash]");
    }
    await sleep(200);
  }
  const redeemText = await wd.waitText("[data-testid=receipt-points]", /redeemed/);
  const redeemed = num(redeemText, /(\d+) redeemed/);
  const earned2 = num(redeemText, /(\d+) points earned/);
  assert.ok(redeemed > 0, redeemText);
  assert.equal(num(redeemText, /balance (\d+)/), start + earned - redeemed + earned2);
  const secondReceipt = (await wd.waitText("[data-testid=receipt-title]", /\S/)).split(" ").at(-1);
  await shot("15-redeemed-offline");
  await wd.waitText("[data-testid=status-outbox]", /waiting/, 10000);

  // Refund the points sale: the points come back, the earned ones go.
  await click("[data-testid=next-customer]");
  await click("[data-testid=refund]");
  await fill("[data-testid=refund-receipt]", secondReceipt);
  await click("[data-testid=refund-find]");
  await wd.find("[data-testid=refund-lines]");
  await click("[data-testid=refund-plus]");
  await fill("[data-testid=refund-reason]", "changed her mind");
  await click("[data-testid=refund-submit]");
  await approve("ben", "2468");
  const backText = await wd.waitText("[data-testid=receipt-points]", /returned/);
  assert.equal(num(backText, /(\d+) returned/), redeemed);
  assert.equal(num(backText, /(\d+) points taken back/), earned2);
  assert.equal(num(backText, /balance (\d+)/), start + earned);
  await shot("16-refund-points-back");

  // Back online: every loyalty event reaches pos.loyalty.v1 once, keyed by the member.
  await broker.start();
  await wd.waitText("[data-testid=status-outbox]", /all sent/, 60000);
  const loyalty = readTopic("pos.loyalty.v1").map((r) => ({ key: r.key, ...(typeof r.value === "string" ? JSON.parse(r.value) : r.value) }));
  const ada = loyalty.filter((e) => e.member_id === "M-000001");
  assert.ok(ada.every((e) => e.key === "M-000001"));
  const one = (type, receipt) => {
    const found = ada.filter((e) => e.event_type === type && (e.receipt_no === receipt || e.original_receipt_no === receipt));
    assert.equal(new Set(found.map((e) => e.event_id)).size, 1, `${type} for ${receipt}`);
    return found[0];
  };
  assert.equal(one("loyalty.points_earned", firstReceipt).points, earned);
  assert.equal(one("loyalty.points_redeemed", secondReceipt).points, redeemed);
  assert.equal(one("loyalty.points_reversed", secondReceipt).redeemed_returned, redeemed);

  // A reward: a coffee bar drink for 150 points, nothing left to pay.
  await click("[data-testid=next-customer]");
  await wd.find("[data-testid=member-bar]");
  await wd.typeKeys("LC-000001" + ENTER);
  await wd.waitText("[data-testid=member-name]", /Ada Lovelace/);
  await fill("[data-testid=search]", "Espresso");
  await click("[data-testid=result]");
  await wd.find("[data-testid=ticket-line]");
  await click("[data-testid=reward]");
  await wd.find("[data-testid=reward-tag]");
  await wd.waitText("[data-testid=total]", /0[.,]00/);
  await shot("17-reward");
  await click("[data-testid=pay]");
  await click("[data-testid=complete]");
  await confirmStockIfAsked();
  const rewardText = await wd.waitText("[data-testid=receipt-points]", /150 redeemed/);
  assert.equal(num(rewardText, /balance (\d+)/), start + earned - 150);

  // The store manager sees the day's loyalty in the Store screen, from the store's cluster.
  await click("[data-testid=next-customer]");
  await click("[data-testid=lock]");
  await signIn("mia", "1357");
  await click("[data-testid=store-view]");
  const points = await wd.waitText("[data-testid=points-kpi]", /\+[1-9]/, 15000);
  assert.match(await wd.waitText("[data-testid=loyalty-kpi]", /[1-9]/), /\d+ · \d+/);
  console.log(`manager's loyalty figures: ${points.replace(/\s+/g, " ")}`);
  await shot("18-store-loyalty");
});

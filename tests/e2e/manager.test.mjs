// End-to-end test of the manager's view: the release window (demo till TILL-1) and a
// second, headless till (TILL-2, the `purser` command) sell against one real broker
// (Apache Kafka from the edge kit, or PURSER_TEST_KAFKA); a manager signs in at TILL-1 and sees the whole store,
// live. Screenshots of every manager screen go to artifacts/e2e/manager-*.png.
//
//   xvfb-run -a node --test tests/e2e/manager.test.mjs
//
// Environment: PURSER_DESKTOP and PURSER_CLI (binaries), PURSER_TEST_KAFKA,
// PURSER_ARTIFACTS, PURSER_TANSU.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { sleep, testBroker, openApp } from "./webdriver.mjs";

const root = resolve(import.meta.dirname, "../..");
const python = process.env.PURSER_PYTHON ?? "python3";
const target = process.env.CARGO_TARGET_DIR ?? join(root, "target");
const app = process.env.PURSER_DESKTOP ?? join(target, "release", "purser-desktop");
// The `purser` built beside the window binary (scripts/test.sh builds both).
const cli = process.env.PURSER_CLI ?? join(dirname(app), "purser");
const artifacts = process.env.PURSER_ARTIFACTS ?? join(root, "artifacts", "e2e");
mkdirSync(artifacts, { recursive: true });

const work = mkdtempSync(join(tmpdir(), "purser-e2e-mgr-"));
let bootstrap = "";
let broker = null;
let driverProc = null;
let wd = null;
const till2 = join(work, "till2");
// The second till's own configuration decides; no environment override.
const cliEnv = { ...process.env };
delete cliEnv.PURSER_KAFKA_BOOTSTRAP;
delete cliEnv.PURSER_DB;

/** The second till: `purser` with its own configuration, on the demo store's cluster.
 * `input` goes to its standard input (an approver's PIN). */
function purser(args, json = true, input = "") {
  const out = execFileSync(cli, ["--config", join(till2, "purser.toml"), ...(json ? ["--format", "json"] : []), ...args], {
    encoding: "utf8",
    env: cliEnv,
    input,
  });
  return json ? JSON.parse(out) : out;
}

async function shot(name) {
  writeFileSync(join(artifacts, `manager-${name}.png`), await wd.screenshot());
}

const click = (css) => wd.click(css);
const fill = (css, text) => wd.fill(css, text);

async function text(css) {
  return (await wd.find(css)).text();
}

/** Net sales as the summary shows it, in cents ("EUR 1,234.50" -> 123450). */
async function netCents() {
  const t = await text("[data-testid=net-sales]");
  const m = t.replace(/[^\d.-]/g, "");
  return Math.round(Number(m) * 100);
}

async function waitFor(cond, ms, what) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await cond()) return;
    await sleep(50);
  }
  assert.fail(`timed out waiting for ${what}`);
}

before(async () => {
  broker = await testBroker(work);
  bootstrap = broker.bootstrap;
  // TILL-2 of the demo store, headless.
  mkdirSync(till2, { recursive: true });
  execFileSync(cli, [
    "--config", join(till2, "purser.toml"), "init", "--store", "DEMO-STORE", "--till", "TILL-2", "--currency", "EUR",
    "--tax-mode", "inclusive", "--timezone", "Europe/Paris", "--db", join(till2, "till.db"), "--bootstrap", bootstrap,
  ], { env: cliEnv });
  writeFileSync(
    join(till2, "catalog.csv"),
    "sku,name,barcodes,price,tax_class,sold_by,category,active\nTEA,Harbour tea,4006381333931,3.40,standard,unit,Bar,true\nGIN,Gin and tonic,5000267024004,8.50,standard,unit,Bar,true\n",
  );
  purser(["catalog", "import", join(till2, "catalog.csv")]);
  // Its supervisor and manager, who approve the refund, the void and the no-sale below.
  purser(["user", "add", "ben", "--name", "Ben Supervisor", "--role", "supervisor", "--pin-stdin"], true, "2468\n");
  purser(["user", "add", "mia", "--name", "Mia Manager", "--role", "manager", "--pin-stdin"], true, "1357\n");
  purser(["topics", "ensure"]);

  ({ wd, driver: driverProc } = await openApp(
    app,
    {
      ...process.env,
      PURSER_DEMO: "1",
      PURSER_DEMO_BOOTSTRAP: bootstrap,
      PURSER_DEMO_TILL: "TILL-1",
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

test("the manager sees both tills live: summary, X and Z reports, sync health, exports", async () => {
  // TILL-2 sells a morning: sales, a refund approved by ben, a void approved by mia, a no-sale.
  purser(["shift", "open", "--cashier", "ana", "--float", "100"]);
  const r1 = purser(["sell", "--item", "TEA*2", "--tender", "cash"]);
  purser(["sell", "--item", "GIN", "--item", "TEA@10%", "--tender", "card:visa:4242:A1:T2-1"]);
  const r3 = purser(["sell", "--item", "GIN*3", "--tender", "cash:30"]);
  // Each approval proven by the approver's PIN on standard input (the demo users' PINs).
  purser(["refund", "--receipt", r1.receipt_no, "--all", "--reason", "cold", "--approved-by", "ben"], true, "2468\n");
  purser(["void", "--receipt", r3.receipt_no, "--reason", "rang twice", "--approved-by", "mia"], true, "1357\n");
  purser(["drawer", "open", "--reason", "change", "--approved-by", "ben"], true, "2468\n");
  purser(["relay", "--until-empty", "--timeout", "60"]);

  // The manager signs in at TILL-1 and opens the store view without opening a shift.
  await wd.find("[data-testid=signin-user]");
  await fill("[data-testid=signin-user]", "mia");
  await fill("[data-testid=signin-pin]", "1357");
  await click("[data-testid=signin-submit]");
  await click("[data-testid=store-view]");
  await wd.find("[data-testid=store]");
  await wd.waitText("[data-testid=per-till]", /TILL-2/, 30000);

  // The figures equal what the headless `purser report` computes from the same cluster.
  const expected = purser(["report", "summary", "--till", "TILL-2", "--timeout", "30"]);
  await waitFor(async () => (await netCents()) === expected.summary.net_sales, 10000, "TILL-2's net sales");
  assert.equal(await text("[data-testid=transactions]"), String(expected.summary.transactions));
  const exceptions = await text("[data-testid=exceptions]");
  assert.match(exceptions, /ben/);
  assert.match(exceptions, /mia/);
  await shot("01-summary");

  // A sale on TILL-2 while the manager watches: the figures move by its total.
  const before = await netCents();
  const sent = Date.now();
  const sale = purser(["sell", "--item", "GIN*2", "--tender", "cash"]);
  purser(["relay", "--until-empty", "--timeout", "60"]);
  await waitFor(async () => (await netCents()) === before + sale.total, 15000, "the new sale in the manager's figures");
  console.log(`TILL-2 sale visible in the manager's view ${Date.now() - sent} ms after it was recorded (incl. a relay process start and WebDriver polling)`);

  // TILL-2 closes its day with a Z; the manager's Z tab checks it against its events.
  purser(["shift", "close", "--counted", "120", "--end-of-day"]);
  purser(["relay", "--until-empty", "--timeout", "60"]);
  await click("[data-testid=tab-z]");
  await wd.waitText("[data-testid=shift-table]", /TILL-2/, 15000);
  await wd.find("[data-testid=agrees]", 15000);
  assert.equal(await wd.exists("[data-testid=differs]"), false);
  await shot("02-z-reports");
  await click("[data-testid=tab-x]");
  await wd.waitText("[data-testid=shift-table]", /TILL-2/, 15000);
  await shot("03-x-reports");

  // Headquarters' reconciler (purser-cloud, mirrored from the cloud) has confirmed one of
  // TILL-2's days and still waits for events of another: published here as MirrorMaker
  // would bring them, read with kafka-python's producer.
  const day = (date, state, missing) => ({
    schema_version: 1, store_id: "DEMO-STORE", till_id: "TILL-2", business_date: date, state,
    events: 40, first_seq: 1, last_seq: 48, missing, open_shifts: [], duplicates: 0, conflicts: [],
    z_mismatches: [], chain_broken_from: null, chain_unverified: false, z_matched: 1,
    updated_at: new Date().toISOString(),
  });
  const hq = [day("2026-11-29", "complete", []), day("2026-11-30", "waiting", [[5, 5], [9, 12]])];
  execFileSync(python, ["-c", `
import json, sys
from kafka import KafkaProducer
p = KafkaProducer(bootstrap_servers=sys.argv[1])
for r in json.loads(sys.argv[2]):
    key = f"{r['store_id']}/{r['till_id']}/{r['business_date']}"
    p.send("pos.reconciliation.v1", key=key.encode(), value=json.dumps(r).encode())
p.flush(30)
`, bootstrap, JSON.stringify(hq)]);

  // Sync health: TILL-2 is known with its events and no gaps; TILL-1 heartbeats; the
  // Headquarters column says what the cloud confirmed and what it still waits for.
  await click("[data-testid=tab-tills]");
  await wd.waitText("[data-testid=tills-table]", /TILL-2/, 15000);
  await wd.waitText("[data-testid=tills-table]", /TILL-1/, 30000);
  await wd.waitText("[data-testid=low-stock]", /\S/, 15000);
  await waitFor(async () => /waiting for #5, #9-12/.test(await text("[data-testid=tills-table]")), 40000, "headquarters' word in the Tills tab");
  assert.match(await text("[data-testid=tills-table]"), /2026-11-29 · confirmed complete/);
  await shot("04-tills");

  // Exports: a CSV and a PDF in the reports folder.
  await click("[data-testid=tab-summary]");
  await click("[data-testid=export-csv]");
  const csvNote = await wd.waitText("[data-testid=notice]", /\.csv/);
  const csvPath = csvNote.match(/(\/\S+\.csv)/)[1];
  assert.ok(existsSync(csvPath), csvPath);
  await click("[data-testid=export-pdf]");
  await wd.waitText("[data-testid=notice]", /\.pdf/);

  // In German, too.
  await click("[data-testid=language]");
  await wd.waitText("[data-testid=tab-summary]", /Heute/);
  await wd.find("[data-testid=net-sales]");
  await shot("05-summary-de");
  await click("[data-testid=language]");
  await wd.waitText("[data-testid=tab-summary]", /Today/);
});

test("a sale at the manager's own till shows in the store's figures", async () => {
  await click("[data-testid=store-back]");
  await fill("[data-testid=float]", "100.00");
  await click("[data-testid=open-shift]");
  await wd.find("[data-testid=category]", 30000);
  await click("[data-testid=category]");
  await wd.find("[data-testid=result]");
  let picked = false;
  for (const el of await wd.findAll("[data-testid=result]")) {
    if ((await el.attr("data-weighed")) !== "true") {
      await el.click();
      picked = true;
      break;
    }
  }
  assert.ok(picked, "a product sold by the unit");
  await wd.find("[data-testid=ticket-line]");
  await click("[data-testid=pay]");
  await click("[data-testid=quick-cash]");
  const deadline = Date.now() + 10000;
  while (!(await wd.exists("[data-testid=receipt-text]")) && Date.now() < deadline) {
    if (await wd.exists("[data-testid=sell-anyway]")) await click("[data-testid=sell-anyway]");
    await sleep(100);
  }
  const receipt = await text("[data-testid=receipt-text]");
  await click("[data-testid=next-customer]");
  await click("[data-testid=store-view]");
  await wd.waitText("[data-testid=per-till]", /TILL-1/, 15000);
  assert.match(receipt, /TILL-1/);
  await shot("06-summary-both-tills");
});

// End-to-end test of the first-run setup: the release window started with no
// configuration and an empty data folder shows the setup screen; the installer fills it
// in against a real Kafka-protocol broker (Apache Kafka from the edge kit, or PURSER_TEST_KAFKA), tests the
// connection, saves, signs in as the new manager, opens a shift and sells one item, which
// kafka-python then reads from the store's payments topic.
//
//   xvfb-run -a node --test tests/e2e/setup.test.mjs
//
// Environment: PURSER_DESKTOP and PURSER_CLI (the binaries), PURSER_PYTHON (python with
// kafka-python), PURSER_TEST_KAFKA, PURSER_ARTIFACTS (screenshots; default artifacts/e2e).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, mkdirSync, writeFileSync, statSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freePort, testBroker, openApp } from "./webdriver.mjs";

const root = resolve(import.meta.dirname, "../..");
const target = process.env.CARGO_TARGET_DIR ?? join(root, "target");
const app = process.env.PURSER_DESKTOP ?? join(target, "release", "purser-desktop");
const cli = process.env.PURSER_CLI ?? join(target, "release", "purser");
const python = process.env.PURSER_PYTHON ?? "python3";
const artifacts = process.env.PURSER_ARTIFACTS ?? join(root, "artifacts", "e2e");
mkdirSync(artifacts, { recursive: true });

const work = mkdtempSync(join(tmpdir(), "purser-setup-e2e-"));
const configPath = join(work, "till-config", "purser.toml");
let bootstrap = "";
let broker = null;
let driverProc = null;
let wd = null;

const CATALOG = `sku,name,barcodes,price,tax_class,sold_by,category,active
ESP,Espresso,4006381333931,2.20,standard,unit,Coffee,true
CRO,Croissant,036000291452,1.80,reduced,unit,Bakery,true
`;

async function shot(name) {
  writeFileSync(join(artifacts, `${name}.png`), await wd.screenshot());
}

const click = (css) => wd.click(css);
const fill = (css, text) => wd.fill(css, text);

function purser(args) {
  const env = { ...process.env };
  for (const k of ["PURSER_CONFIG", "PURSER_DB", "PURSER_KAFKA_BOOTSTRAP"]) delete env[k];
  return execFileSync(cli, args, { encoding: "utf8", env });
}

before(async () => {
  broker = await testBroker(work);
  bootstrap = broker.bootstrap;
  // Head office's side: the store's topics and its catalog, before the till exists.
  const hq = join(work, "hq.toml");
  purser(["--config", hq, "init", "--store", "S042", "--till", "HQ", "--db", join(work, "hq.db"), "--bootstrap", bootstrap]);
  purser(["--config", hq, "topics", "ensure", "--partitions", "1"]);
  const csv = join(work, "catalog.csv");
  writeFileSync(csv, CATALOG);
  purser(["--config", hq, "publish", "catalog", csv]);

  const env = {
    ...process.env,
    PURSER_CONFIG: configPath,
    PURSER_DATA_DIR: join(work, "data"),
    PURSER_LOG: "info",
  };
  delete env.PURSER_DEMO;
  delete env.PURSER_DEMO_BOOTSTRAP;
  delete env.PURSER_KAFKA_BOOTSTRAP;
  delete env.PURSER_DB;
  ({ wd, driver: driverProc } = await openApp(app, env, join(work, "tauri-driver.log")));
});

after(async () => {
  if (wd) await wd.quit();
  if (driverProc) driverProc.kill();
  if (broker) await broker.close();
  console.log(`work files: ${work}; screenshots: ${artifacts}`);
});

test("a till with no configuration is set up in the window, then its new manager sells", async () => {
  await wd.find("[data-testid=setup]", 20000);
  assert.equal(existsSync(configPath), false);
  assert.match(await (await wd.find("[data-testid=setup-paths]")).text(), /till-config\/purser\.toml/);
  assert.equal(await (await wd.find("[data-testid=setup-save]")).enabled(), false, "no Save before a connection test");
  await shot("setup-01-empty");

  // A field's problem shows beside it once the installer moves on.
  await fill("[data-testid=setup-store_id]", "S 042");
  await click("[data-testid=setup-till_id]");
  await wd.waitText("[data-testid=issue-store_id]", /1 to 40 letters/);
  await fill("[data-testid=setup-store_id]", "S042");
  await fill("[data-testid=setup-till_id]", "T3");
  await fill("[data-testid=setup-timezone]", "Europe/Berlin");
  await click("[data-testid=setup-bootstrap_servers]");
  await wd.waitGone("[data-testid=issue-store_id]");

  // In German, with what was typed kept.
  await click("[data-testid=language]");
  await wd.waitText("[data-testid=setup] h2", /Diese Kasse einrichten/);
  assert.equal(await wd.execute("return document.querySelector('[data-testid=setup-store_id]').value"), "S042");
  await shot("setup-01-de");
  await click("[data-testid=language]");
  await wd.waitText("[data-testid=setup] h2", /Set up this till/);

  // Nothing listens on this port: the test says so, and Save stays off.
  const closed = await freePort();
  await fill("[data-testid=setup-bootstrap_servers]", `127.0.0.1:${closed}`);
  await click("[data-testid=setup-test-kafka]");
  await wd.waitText("[data-testid=kafka-result]", /No broker answered/, 30000);
  assert.equal(await (await wd.find("[data-testid=setup-save]")).enabled(), false);
  await shot("setup-02-unreachable");

  await fill("[data-testid=setup-bootstrap_servers]", bootstrap);
  await click("[data-testid=setup-test-kafka]");
  await wd.waitText("[data-testid=kafka-result]", /every topic of the store exists/, 30000);

  await fill("[data-testid=setup-manager_id]", "mia");
  await fill("[data-testid=setup-manager_name]", "Mia Meyer");
  await fill("[data-testid=setup-manager_pin]", "2580");
  await fill("[data-testid=setup-manager_pin_repeat]", "2581");
  await click("[data-testid=setup-save]");
  await wd.waitText("[data-testid=issue-manager_pin_repeat]", /The two PINs differ/);
  assert.equal(await wd.execute("return document.activeElement.dataset.testid"), "setup-manager_pin_repeat", "the problem gets the focus");
  assert.equal(existsSync(configPath), false, "a refused save writes nothing");
  await shot("setup-03-refused");

  await fill("[data-testid=setup-manager_pin_repeat]", "2580");
  await shot("setup-04-filled");
  await click("[data-testid=setup-save]");

  // Saved: the window goes on to sign-in without a restart.
  await wd.find("[data-testid=signin-user]", 20000);
  assert.equal(statSync(configPath).mode & 0o777, 0o600);
  assert.match(readFileSync(configPath, "utf8"), new RegExp(`bootstrap_servers = "${bootstrap}"`));
  await shot("setup-05-sign-in");
  await fill("[data-testid=signin-user]", "mia");
  await fill("[data-testid=signin-pin]", "2580");
  await click("[data-testid=signin-submit]");
  await fill("[data-testid=float]", "100.00");
  await click("[data-testid=open-shift]");

  // The catalog head office published arrives from the broker; sell one espresso.
  await wd.find("[data-testid=category]", 30000);
  await wd.waitText("[data-testid=status-link]", /Online/, 30000);
  await click("[data-testid=search]");
  await (await wd.find("[data-testid=search]")).type("Espresso");
  await click("[data-testid=result][data-sku=ESP]");
  await wd.waitText("[data-testid=ticket-line]", /Espresso/);
  await shot("setup-06-sell");
  await click("[data-testid=pay]");
  await click("[data-testid=quick-cash]");
  const title = await wd.waitText("[data-testid=receipt-title]", /\S/);
  const receiptNo = title.split(" ").at(-1);
  await shot("setup-07-receipt");

  // The sale reached the store's payments topic, from store S042's till T3.
  await click("[data-testid=next-customer]");
  await wd.waitText("[data-testid=status-outbox]", /all sent/, 30000);
  const out = execFileSync(python, [join(root, "tests", "kafka_read.py"), "--bootstrap", bootstrap, "--topic", "pos.payments.v1", "--timeout", "30"], {
    encoding: "utf8",
  });
  const sales = out
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l))
    .map((r) => (typeof r.value === "string" ? JSON.parse(r.value) : r.value))
    .filter((e) => e.event_type === "sale.completed" && e.receipt_no === receiptNo);
  assert.equal(sales.length, 1);
  assert.equal(sales[0].store_id, "S042");
  assert.equal(sales[0].till_id, "T3");
  assert.equal(sales[0].cashier_id, "mia");
});

// A benchmark program (figures, no pass/fail) for the till window with a 100,000-product
// catalog: cold start to a usable sell screen, search latency, scan to cart line, and
// idle memory (and CPU) of the app and its WebKit processes. See docs/benchmarks.md,
// "The till window".
//
//   xvfb-run -a -s "-screen 0 1366x768x24" node tests/e2e/bench.mjs
//
// Options: --products N (100000), --launches N (5), --queries N (300), --scans N (100),
// --keep (leave the work directory). Environment: PURSER_DESKTOP, PURSER_CLI (binaries;
// default ${CARGO_TARGET_DIR:-target}/release/...).
//
// The till is set up with the CLI (init, catalog import, a cashier), no Kafka: its
// bootstrap points at 127.0.0.1:1, so the status bar says "Offline". The window is
// driven by tauri-driver + WebKitWebDriver; latencies are timed inside the page with
// performance.now(), so WebDriver's own round trips are not in them.

import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync, readFileSync, readdirSync, openSync, rmSync, existsSync, statSync } from "node:fs";
import { tmpdir, cpus, totalmem } from "node:os";
import { join, resolve, basename } from "node:path";
import { WebDriver, sleep, freePorts, waitPort } from "./webdriver.mjs";

const root = resolve(import.meta.dirname, "../..");
const target = process.env.CARGO_TARGET_DIR ?? join(root, "target");
const app = process.env.PURSER_DESKTOP ?? join(target, "release", "purser-desktop");
const cli = process.env.PURSER_CLI ?? join(target, "release", "purser");

function opt(name, dflt) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}
const N_PRODUCTS = opt("products", 100_000);
const N_LAUNCHES = opt("launches", 5);
const N_QUERIES = opt("queries", 300);
const N_SCANS = opt("scans", 100);
const KEEP = process.argv.includes("--keep");

const USER = "bench";
const PIN = "1234";

for (const [what, path] of [
  ["purser-desktop", app],
  ["purser", cli],
]) {
  if (!existsSync(path)) {
    console.error(`${what} not found at ${path}: cd ui && npm run build && cargo build --release -p purser-desktop -p purser-cli`);
    process.exit(2);
  }
}

// ---------------------------------------------------------------- figures

function pct(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}
const median = (xs) => pct(xs, 50);
// In-page times come from performance.now(), which WebKit rounds to whole milliseconds.
function ms(x) {
  if (!Number.isFinite(x)) return "n/a";
  const r = Math.round(x * 10) / 10;
  return `${Number.isInteger(r) || r >= 100 ? r.toFixed(0) : r.toFixed(1)} ms`;
}
const sec = (x) => (Number.isFinite(x) ? `${(x / 1000).toFixed(2)} s` : "n/a");
const mb = (kb) => `${(kb / 1024).toFixed(1)} MB`;
function log(...a) {
  console.log(...a);
}
function table(rows) {
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  for (const [j, r] of rows.entries()) {
    log("  " + r.map((c, i) => String(c).padEnd(w[i])).join("  "));
    if (j === 0) log("  " + w.map((n) => "-".repeat(n)).join("  "));
  }
}

// ---------------------------------------------------------------- the catalog

// A small deterministic PRNG so every run has the same catalog and queries.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const BRANDS = [
  "Alpenhof", "Bergfeld", "Nordstern", "Sonnental", "Waldmann", "Kronberg", "Lindauer", "Rheingold", "Havelland",
  "Elbtal", "Moselhof", "Oderblick", "Seeland", "Tannheim", "Weserland", "Brookside", "Greenfield", "Hillcrest",
  "Meadowbrook", "Riverside", "Oakwood", "Silverline", "Goldcrest", "Bluebell", "Redhill", "Stonebridge",
  "Westbury", "Ashford", "Fairview", "Kingsley", "Lakeshore", "Maplewood", "Northgate", "Pinehurst", "Queensway",
  "Rosewood", "Summit", "Thornbury", "Valebrook", "Windmill", "Yellowstone", "Zenith", "Casa Verde", "La Costa",
  "Bella Vita", "El Sol", "Vita Nova", "Terra Mia", "Sol y Mar", "Del Monte",
];
const VARIETIES = [
  "Organic", "Classic", "Light", "Extra", "Premium", "Whole", "Smoked", "Fresh", "Crunchy", "Creamy", "Spicy",
  "Sweet", "Salted", "Unsalted", "Roasted", "Wholegrain", "Gluten Free", "Lactose Free", "Vegan", "Low Fat",
  "Farmhouse", "Rustic", "Mild", "Strong", "Dark", "Golden", "Natural", "Honey", "Lemon", "Vanilla", "Chocolate",
  "Strawberry", "Garlic", "Herb", "Pepper", "Chili", "Mango", "Coconut", "Almond", "Hazelnut", "Cinnamon",
  "Apple", "Cherry", "Raspberry", "Tomato", "Basil", "Olive", "Sesame", "Ginger", "Mint",
];
const CATEGORIES = {
  Dairy: { tax: "reduced", nouns: ["Milk", "Yogurt", "Butter", "Cheese", "Cream", "Quark", "Kefir", "Buttermilk", "Mozzarella", "Gouda", "Feta", "Skyr"] },
  Bakery: { tax: "reduced", nouns: ["Bread", "Rolls", "Croissant", "Baguette", "Pretzel", "Toast", "Muffin", "Bagel", "Rye Bread", "Crispbread", "Cake", "Cookies"] },
  Produce: { tax: "reduced", weighed: true, nouns: ["Apples", "Bananas", "Tomatoes", "Potatoes", "Carrots", "Onions", "Grapes", "Pears", "Oranges", "Peppers", "Cucumbers", "Zucchini"] },
  Meat: { tax: "reduced", nouns: ["Sausages", "Ham", "Salami", "Bacon", "Chicken Breast", "Minced Beef", "Pork Chops", "Turkey Slices", "Meatballs", "Frankfurters", "Pastrami", "Chorizo"] },
  Drinks: { tax: "standard", nouns: ["Juice", "Lemonade", "Cola", "Mineral Water", "Iced Tea", "Smoothie", "Sparkling Water", "Energy Drink", "Ginger Ale", "Tonic Water", "Apple Spritzer", "Cold Brew"] },
  Pantry: { tax: "reduced", nouns: ["Pasta", "Rice", "Flour", "Sugar", "Oats", "Muesli", "Cornflakes", "Lentils", "Chickpeas", "Couscous", "Noodles", "Polenta"] },
  Snacks: { tax: "reduced", nouns: ["Crisps", "Pretzels", "Popcorn", "Nuts", "Crackers", "Biscuits", "Chocolate Bar", "Gummy Bears", "Rice Cakes", "Trail Mix", "Wafers", "Granola Bar"] },
  Frozen: { tax: "reduced", nouns: ["Pizza", "Ice Cream", "Peas", "Spinach", "Fish Fingers", "Berries", "Fries", "Lasagne", "Dumplings", "Waffles", "Sorbet", "Vegetable Mix"] },
  Household: { tax: "standard", nouns: ["Detergent", "Dish Soap", "Paper Towels", "Toilet Paper", "Sponges", "Bin Bags", "Cleaner", "Fabric Softener", "Foil", "Cling Film", "Candles", "Matches"] },
  "Personal care": { tax: "standard", nouns: ["Shampoo", "Conditioner", "Toothpaste", "Soap", "Shower Gel", "Deodorant", "Lotion", "Razor", "Sunscreen", "Lip Balm", "Tissues", "Cotton Pads"] },
  Coffee: { tax: "reduced", nouns: ["Coffee Beans", "Ground Coffee", "Espresso", "Instant Coffee", "Coffee Pods", "Tea Bags", "Green Tea", "Herbal Tea", "Cocoa", "Chai", "Rooibos", "Earl Grey"] },
  Condiments: { tax: "reduced", nouns: ["Ketchup", "Mustard", "Mayonnaise", "Vinegar", "Olive Oil", "Soy Sauce", "Pesto", "Salsa", "Jam", "Honey", "Peanut Butter", "Hot Sauce"] },
};
const SIZES = ["100 g", "150 g", "200 g", "250 g", "400 g", "500 g", "750 g", "1 kg", "2 kg", "330 ml", "500 ml", "1 l", "1.5 l", "6 x 1.5 l", "4 pack", "10 pack", "XL", "Family Pack"];

/** EAN-13 with its check digit: weights 1,3,1,3,... over the first twelve digits. */
function ean13(twelve) {
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += Number(twelve[i]) * (i % 2 === 0 ? 1 : 3);
  return twelve + String((10 - (sum % 10)) % 10);
}

function catalog(n) {
  const r = rng(2026_11_25);
  const pick = (xs) => xs[Math.floor(r() * xs.length)];
  const cats = Object.keys(CATEGORIES);
  const products = [];
  const lines = ["sku,name,barcodes,price,tax_class,sold_by,category,active"];
  for (let i = 0; i < n; i++) {
    const category = cats[i % cats.length];
    const c = CATEGORIES[category];
    const weighed = c.weighed && r() < 0.25;
    const name = weighed ? `${pick(VARIETIES)} ${pick(c.nouns)} ${pick(BRANDS)}` : `${pick(BRANDS)} ${pick(VARIETIES)} ${pick(c.nouns)} ${pick(SIZES)}`;
    const sku = String(100001 + i); // article numbers
    // 400… is an ordinary GS1 prefix (20–29 would be in-store / variable-measure codes).
    const barcode = weighed ? "" : ean13(`400${String(i + 1).padStart(9, "0")}`);
    const cents = 29 + Math.floor(r() * 4970);
    const price = `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, "0")}`;
    products.push({ sku, name, barcode, weighed });
    lines.push([sku, name, barcode, price, c.tax, weighed ? "weight" : "unit", category, "true"].join(","));
  }
  return { products, csv: lines.join("\n") + "\n" };
}

/** Queries a cashier types: 1-, 2- and 3-letter prefixes and two whole words, all from
 * words of real product names, so every query has results. */
function queries(products, n) {
  const r = rng(42);
  const pick = (xs) => xs[Math.floor(r() * xs.length)];
  const words = (p) => p.name.split(/[^\p{L}\p{N}]+/u).filter((w) => w.length >= 3 && /^\p{L}/u.test(w));
  const out = [];
  for (let i = 0; i < n; i++) {
    const kind = i % 4;
    const p = pick(products);
    const ws = words(p);
    if (kind < 3) out.push({ kind: `${kind + 1} letter${kind ? "s" : ""}`, q: pick(ws).slice(0, kind + 1).toLowerCase() });
    else {
      const a = Math.floor(r() * (ws.length - 1));
      out.push({ kind: "2 words", q: `${ws[a]} ${ws[a + 1]}`.toLowerCase() });
    }
  }
  return out;
}

// ---------------------------------------------------------------- processes

const CLK_TCK = 100; // USER_HZ on Linux

function procs() {
  const out = new Map();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      const comm = stat.slice(stat.indexOf("(") + 1, close);
      const f = stat.slice(close + 2).split(" ");
      out.set(Number(d), { pid: Number(d), comm, ppid: Number(f[1]), cpu: Number(f[11]) + Number(f[12]), start: Number(f[19]) });
    } catch {
      // gone
    }
  }
  return out;
}

function descendants(rootPid, all = procs()) {
  const out = [];
  const walk = (pid) => {
    for (const p of all.values()) {
      if (p.ppid === pid) {
        out.push(p);
        walk(p.pid);
      }
    }
  };
  walk(rootPid);
  return out;
}

/** The app's process (a child of WebKitWebDriver, under our tauri-driver). */
function appProcess(driverPid) {
  return descendants(driverPid).find((p) => p.comm === basename(app).slice(0, 15)) ?? null;
}

/** A process's start as epoch ms (10 ms resolution): now minus (uptime - starttime). */
function startEpoch(p) {
  const now = Date.now();
  const uptime = Number(readFileSync("/proc/uptime", "utf8").split(" ")[0]);
  return now - (uptime * 1000 - (p.start / CLK_TCK) * 1000);
}

function exeName(pid) {
  try {
    return basename(readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")[0]);
  } catch {
    return "?";
  }
}

function memOf(pid) {
  try {
    const t = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
    const get = (k) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, "m").exec(t)?.[1] ?? NaN);
    return { pss: get("Pss"), anon: get("Pss_Anon"), file: get("Pss_File"), shmem: get("Pss_Shmem"), rss: get("Rss") };
  } catch {
    return { pss: NaN, anon: NaN, file: NaN, shmem: NaN, rss: NaN };
  }
}

/** PSS and RSS of the app and everything under it (WebKit's web and network processes).
 * `a` is the app's process, or the pid of the tauri-driver it runs under. */
function memory(a) {
  const all = procs();
  if (typeof a === "number") a = appProcess(a);
  if (!a) return null;
  const rows = [a, ...descendants(a.pid, all)].map((p) => ({ pid: p.pid, name: exeName(p.pid), ...memOf(p.pid) }));
  return { rows, pss: rows.reduce((s, r) => s + r.pss, 0), rss: rows.reduce((s, r) => s + r.rss, 0) };
}

/** CPU time (ms) the app and its WebKit processes use over `ms` of wall time: the total,
 * and a line per process. */
async function cpuOver(driverPid, ms) {
  const tree = () => {
    const all = procs();
    const a = appProcess(driverPid);
    return a ? new Map([a, ...descendants(a.pid, all)].map((p) => [p.pid, p.cpu])) : new Map();
  };
  // Per thread too, for the busiest threads of each process.
  const threads = (pid) => {
    const out = new Map();
    try {
      for (const t of readdirSync(`/proc/${pid}/task`)) {
        try {
          const stat = readFileSync(`/proc/${pid}/task/${t}/stat`, "utf8");
          const close = stat.lastIndexOf(")");
          const f = stat.slice(close + 2).split(" ");
          out.set(t, { name: stat.slice(stat.indexOf("(") + 1, close), cpu: Number(f[11]) + Number(f[12]) });
        } catch {
          // thread gone
        }
      }
    } catch {
      // process gone
    }
    return out;
  };
  const before = tree();
  const tBefore = new Map([...before.keys()].map((pid) => [pid, threads(pid)]));
  await sleep(ms);
  const after = tree();
  let ticks = 0;
  const parts = [];
  for (const [pid, c] of after) {
    const d = c - (before.get(pid) ?? 0);
    ticks += d;
    const tb = tBefore.get(pid) ?? new Map();
    const busy = [...threads(pid)].map(([t, x]) => ({ name: x.name, d: x.cpu - (tb.get(t)?.cpu ?? 0) })).filter((x) => x.d > 0);
    const byName = {};
    for (const x of busy) byName[x.name] = (byName[x.name] ?? 0) + x.d;
    const top = Object.entries(byName).sort((a, b) => b[1] - a[1]).slice(0, 3).map(([n, v]) => `${n} ${(v * 1000) / CLK_TCK}`);
    parts.push(`${exeName(pid)} ${(d * 1000) / CLK_TCK} ms${top.length ? ` [${top.join(", ")}]` : ""}`);
  }
  const total = (ticks * 1000) / CLK_TCK;
  return Object.assign(new Number(total), { parts: parts.join(", ") });
}

async function waitExit(pid, ms) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!existsSync(`/proc/${pid}`)) return true;
    await sleep(50);
  }
  return false;
}

// ---------------------------------------------------------------- setup

const work = mkdtempSync(join(tmpdir(), "purser-bench-"));
const config = join(work, "purser.toml");
const purser = (...args) => execFileSync(cli, ["--config", config, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

const loadavg = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
const loadAtStart = loadavg();
log(`Purser till window bench — ${new Date().toISOString()}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, load average ${loadAtStart}`);
const built = (f) => statSync(f).mtime.toISOString().slice(0, 19).replace("T", " ");
log(`binaries: ${app} (built ${built(app)}), ${cli} (built ${built(cli)})`);
log(`work dir ${work}`);
purser("init", "--store", "BENCH", "--till", "TILL-1", "--currency", "EUR", "--tax-mode", "inclusive", "--timezone", "Europe/Berlin", "--db", join(work, "till.db"), "--bootstrap", "127.0.0.1:1");
const { products, csv } = catalog(N_PRODUCTS);
const csvPath = join(work, "catalog.csv");
writeFileSync(csvPath, csv);
let t = performance.now();
purser("catalog", "import", csvPath);
log(`catalog: ${N_PRODUCTS.toLocaleString("en")} products imported in ${sec(performance.now() - t)} (${(csv.length / 2 ** 20).toFixed(1)} MB CSV)`);
purser("user", "add", USER, "--name", "Bench Cashier", "--role", "cashier", "--pin", PIN);

// ---------------------------------------------------------------- the window

async function startDriver(extraEnv = {}) {
  const [port, nativePort] = await freePorts(2);
  const logFile = openSync(join(work, "tauri-driver.log"), "a");
  const proc = spawn("tauri-driver", ["--port", String(port), "--native-port", String(nativePort)], {
    env: { ...process.env, PURSER_CONFIG: config, PURSER_DATA_DIR: join(work, "data"), PURSER_LOG: "info", ...extraEnv },
    stdio: ["ignore", logFile, logFile],
  });
  children.add(proc);
  await waitPort(port, 20000);
  return { port, proc, base: `http://127.0.0.1:${port}` };
}

async function stopDriver(d) {
  d.proc.kill();
  await new Promise((r) => (d.proc.exitCode !== null ? r() : d.proc.once("exit", r)));
}

/** When the app's main() logged "starting" (the first thing it does), as epoch ms. */
function mainStarted(after) {
  const dir = join(work, "data", "logs");
  let best = NaN;
  try {
    for (const f of readdirSync(dir)) {
      for (const line of readFileSync(join(dir, f), "utf8").split("\n")) {
        if (!line.includes("purser_desktop: starting")) continue;
        const t = Date.parse(line.slice(0, line.indexOf(" ")));
        if (t >= after - 50 && !(t >= best)) best = t;
      }
    }
  } catch {
    // no log yet
  }
  return best;
}

const CAPS = { browserName: "wry", "tauri:options": { application: app } };

async function asyncScript(wd, body, args = []) {
  // The page's own script timeout (10 minutes, set at launch) ends it first.
  const r = await wd.cmd("POST", "/execute/async", { script: body, args }, 660000);
  if (r && r.error) throw new Error(`in the page: ${r.error}`);
  return r;
}

// Resolves with the epoch ms (performance.timeOrigin + now) at which `css` is in the DOM,
// watching mutations; `already` says it was there at the first look.
const WAIT_FOR = `
  const [css, timeout] = arguments; const done = arguments[arguments.length - 1];
  const at = () => performance.timeOrigin + performance.now();
  if (document.querySelector(css)) return done({ at: at(), already: true });
  const mo = new MutationObserver(() => {
    if (document.querySelector(css)) { mo.disconnect(); clearTimeout(t); done({ at: at(), already: false }); }
  });
  mo.observe(document, { childList: true, subtree: true });
  const t = setTimeout(() => { mo.disconnect(); done({ error: "timeout waiting for " + css }); }, timeout);
`;

// Clicks sign-in (user and PIN already typed), opens a shift if the till asks for one, and
// resolves with epoch ms of the click, of the search box appearing, and of the next
// animation frame after that (the sell screen is being painted).
const SIGN_IN = `
  const [float] = arguments; const done = arguments[arguments.length - 1];
  const at = () => performance.timeOrigin + performance.now();
  const q = (css) => document.querySelector(css);
  const until = (cond, ms) => new Promise((res, rej) => {
    if (cond()) return res(at());
    const mo = new MutationObserver(() => { if (cond()) { mo.disconnect(); clearTimeout(t); res(at()); } });
    mo.observe(document, { childList: true, subtree: true });
    const t = setTimeout(() => { mo.disconnect(); rej(new Error("timeout; page says: " + document.body.innerText.slice(0, 300))); }, ms);
  });
  (async () => {
    const t0 = at();
    q("[data-testid=signin-submit]").click();
    const t1 = await until(() => q("[data-testid=search]") || q("[data-testid=float]"), 10000);
    let shift = null;
    if (!q("[data-testid=search]")) {
      const f = q("[data-testid=float]");
      f.value = float; f.dispatchEvent(new Event("input", { bubbles: true }));
      const s0 = at();
      q("[data-testid=open-shift]").click();
      const s1 = await until(() => q("[data-testid=search]"), 10000);
      shift = { formAt: t1, ms: s1 - s0 };
    }
    const searchAt = at();
    await new Promise((r) => requestAnimationFrame(r));
    done({ clickAt: t0, searchAt, frameAt: at(), shift });
  })().catch((e) => done({ error: String(e) }));
`;

/** One cold start: a new session launches the app; sign in; the sell screen. */
async function launch(driver, pauseOnSignInMs = 0) {
  const t0 = Date.now();
  const wd = await WebDriver.connect(driver.base, CAPS, 60000);
  const tSession = Date.now();
  const ap = appProcess(driver.proc.pid);
  const appStart = ap ? startEpoch(ap) : NaN;
  await wd.cmd("POST", "/timeouts", { script: 600000 });
  const form = await asyncScript(wd, WAIT_FOR, ["[data-testid=signin-user]", 30000]);
  const nav = await wd.execute(`
    const n = performance.getEntriesByType("navigation")[0];
    const paints = Object.fromEntries(performance.getEntriesByType("paint").map((p) => [p.name, p.startTime]));
    return { origin: performance.timeOrigin, dcl: n ? n.domContentLoadedEventEnd : null, load: n ? n.loadEventEnd : null, paints };`);
  // WebDriver's own cost per command, for scale: a trivial script, round trip.
  const rt = [];
  for (let i = 0; i < 10; i++) {
    const a = performance.now();
    await wd.execute("return 1;");
    rt.push(performance.now() - a);
  }
  const web = ap ? descendants(ap.pid).find((p) => p.comm.startsWith("WebKitWebProces")) : null;
  const webStart = web ? startEpoch(web) : NaN;
  const mainAt = mainStarted(t0);
  let memSignIn = null;
  if (pauseOnSignInMs) {
    await sleep(pauseOnSignInMs);
    memSignIn = memory(ap);
  }
  const tType = Date.now();
  const user = await wd.find("[data-testid=signin-user]");
  await user.clear();
  await user.type(USER);
  const pin = await wd.find("[data-testid=signin-pin]");
  await pin.clear();
  await pin.type(PIN);
  const typed = Date.now() - tType;
  const s = await asyncScript(wd, SIGN_IN, ["150.00"]);
  const tDone = Date.now();
  return {
    wd,
    pid: ap?.pid,
    memSignIn,
    toProcess: appStart - t0, // WebDriver: session request until the app process exists
    toOrigin: nav.origin - t0, // ... until the page's navigation starts
    toSession: tSession - t0, // ... until the session request returns
    toMain: mainAt - t0, // ... until the app's main() logs "starting"
    toWebProcess: webStart - t0, // ... until WebKit's web process exists
    toPaint: nav.origin + (nav.paints["first-contentful-paint"] ?? NaN) - t0, // ... until the page's first contentful paint
    toForm: form.at - t0, // ... until the sign-in form is in the DOM
    formAlready: form.already,
    processToForm: form.at - appStart,
    dcl: nav.dcl,
    fcp: nav.paints["first-contentful-paint"],
    typed,
    signInToSell: s.frameAt - s.clickAt, // app: click "Sign in" until the frame after the search box is there (incl. opening a shift if asked)
    shift: s.shift,
    // launch to sell screen, without the typing: the sign-in form on screen (first
    // contentful paint; the form is all the page has) + sign-in to sell screen.
    usable: (Number.isFinite(nav.paints["first-contentful-paint"]) ? Math.max(form.at, nav.origin + nav.paints["first-contentful-paint"]) : form.at) - t0 + (s.frameAt - s.clickAt),
    wall: tDone - t0, // all of it as the driver saw it, WebDriver typing included
    wdRoundTrip: median(rt),
  };
}

async function quit(wd, pid) {
  await wd.quit();
  if (pid && !(await waitExit(pid, 10000))) {
    process.kill(pid, "SIGKILL");
    await waitExit(pid, 5000);
  }
}

// Logs every IPC call the page makes (name, start, end) and counts the ones in flight, by
// wrapping fetch: Tauri's invoke is not writable, but on Linux it POSTs each call to
// ipc://localhost/<cmd> with the payload ({name, args} for the till's one command).
const INSTALL_IPC_LOG = `
  if (window.__benchIpc) return "already";
  const log = []; const st = { inflight: 0, log };
  const orig = window.fetch;
  window.fetch = function (input, init) {
    const url = String(input && input.url ? input.url : input);
    if (!url.startsWith("ipc:")) return orig.apply(this, arguments);
    let name = url;
    try { name = JSON.parse(init.body).name || url; } catch {}
    const e = { name, t0: performance.now(), t1: null };
    log.push(e); if (log.length > 20000) log.splice(0, 5000);
    st.inflight++;
    const end = () => { e.t1 = performance.now(); st.inflight--; };
    const p = orig.apply(this, arguments);
    p.then(end, end);
    return p;
  };
  window.__benchIpc = st;
  return "ok";
`;

// Search latency: for each query, empty the box (results go away, nothing in flight), then
// set the query and fire "input" as a keystroke does; time until the first result is in
// the results container (MutationObserver), and until the next animation frame after it.
const SEARCH = `
  const [queries] = arguments; const done = arguments[arguments.length - 1];
  const input = document.querySelector("[data-testid=search]");
  const box = document.querySelector("[data-testid=results]");
  const ipc = window.__benchIpc;
  const set = (v) => { input.value = v; input.dispatchEvent(new Event("input", { bubbles: true })); };
  const frame = () => new Promise((r) => requestAnimationFrame(() => r(performance.now())));
  const until = (cond, ms) => new Promise((res) => {
    if (cond()) return res(performance.now());
    const mo = new MutationObserver(() => { if (cond()) { mo.disconnect(); clearTimeout(t); res(performance.now()); } });
    mo.observe(box, { childList: true, subtree: true, characterData: true });
    const t = setTimeout(() => { mo.disconnect(); res(null); }, ms);
  });
  const quiet = async () => {
    for (let i = 0; i < 200 && ipc && ipc.inflight > 0; i++) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 30));
  };
  (async () => {
    const out = [];
    input.focus();
    for (const q of queries) {
      set("");
      await until(() => !box.querySelector("[data-testid=result]"), 3000);
      await quiet();
      const mark = ipc ? ipc.log.length : 0;
      const t0 = performance.now();
      set(q);
      const t1 = await until(() => box.querySelector("[data-testid=result]") !== null, 10000);
      const t2 = await frame();
      const first = box.querySelector("[data-testid=result] .pname");
      const calls = ipc ? ipc.log.slice(mark).map((e) => ({ name: e.name, start: e.t0 - t0, ms: e.t1 === null ? null : e.t1 - e.t0 })) : [];
      out.push({ q, dom: t1 === null ? null : t1 - t0, frame: t2 - t0, n: box.querySelectorAll("[data-testid=result]").length,
                 first: first ? first.textContent : null, calls });
    }
    set("");
    done(out);
  })().catch((e) => done({ error: String(e) }));
`;

// Direct IPC timings from the page: the cheap status command (the floor), and search /
// categories as the UI calls them, without the UI.
const IPC = `
  const [calls] = arguments; const done = arguments[arguments.length - 1];
  const invoke = window.__TAURI_INTERNALS__.invoke;
  (async () => {
    const out = [];
    for (const [name, args] of calls) {
      const t0 = performance.now();
      let n = null;
      try { const r = await invoke("call", { name, args }); n = Array.isArray(r) ? r.length : null; }
      catch (e) { return done({ error: name + ": " + JSON.stringify(e) }); }
      out.push({ name, ms: performance.now() - t0, n });
    }
    done(out);
  })();
`;

// A keyboard-wedge scanner: keydown for each digit a couple of ms apart, then Enter, on
// the focused element (the window's capture listener sees them first). Time from the
// Enter until a ticket line is added or the last line's quantity changes.
const SCAN = `
  const [codes, gapMs] = arguments; const done = arguments[arguments.length - 1];
  const ticket = () => document.querySelector("[data-testid=ticket]");
  const lines = () => document.querySelectorAll("[data-testid=ticket-line]");
  const lastQty = () => { const l = lines(); const x = l[l.length - 1]; return x ? x.querySelector(".lqty")?.textContent : null; };
  const frame = () => new Promise((r) => requestAnimationFrame(() => r(performance.now())));
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const until = (cond, ms) => new Promise((res) => {
    if (cond()) return res(performance.now());
    const mo = new MutationObserver(() => { if (cond()) { mo.disconnect(); clearTimeout(t); res(performance.now()); } });
    mo.observe(document.body, { childList: true, subtree: true, characterData: true });
    const t = setTimeout(() => { mo.disconnect(); res(null); }, ms);
  });
  const key = (k) => (document.activeElement || document.body).dispatchEvent(new KeyboardEvent("keydown", { key: k, bubbles: true, cancelable: true }));
  (async () => {
    const out = [];
    const ipc = window.__benchIpc;
    for (const code of codes) {
      const n0 = lines().length, q0 = lastQty();
      const mark = ipc ? ipc.log.length : 0;
      let maxGap = 0, prev = null;
      for (const ch of code) {
        const now = performance.now();
        if (prev !== null) maxGap = Math.max(maxGap, now - prev);
        prev = now;
        key(ch);
        await sleep(gapMs);
      }
      const t0 = performance.now();
      maxGap = Math.max(maxGap, t0 - prev);
      key("Enter");
      const t1 = await until(() => lines().length > n0 || lastQty() !== q0, 5000);
      const t2 = await frame();
      const err = document.querySelector("[data-testid=error] span");
      const calls = ipc ? ipc.log.slice(mark).map((e) => ({ name: e.name, start: e.t0 - t0, ms: e.t1 === null ? null : e.t1 - e.t0 })) : [];
      out.push({ code, dom: t1 === null ? null : t1 - t0, frame: t2 - t0, lines: lines().length, error: err ? err.textContent : null, maxGap, calls });
      await sleep(60);
    }
    done(out);
  })().catch((e) => done({ error: String(e) }));
`;

const CLEAR_TICKET = `
  const done = arguments[arguments.length - 1];
  const b = [...document.querySelectorAll("button")].find((x) => x.textContent.trim() === "Clear ticket");
  if (!b || b.disabled) return done(0);
  b.click();
  const t = setInterval(() => { if (!document.querySelector("[data-testid=ticket-line]")) { clearInterval(t); done(1); } }, 10);
`;

function showMemory(label, m) {
  log(`\n${label}`);
  if (!m) return log("  (app process not found)");
  table([
    ["pid", "process", "PSS", "of which anon", "file", "shmem", "RSS"],
    ...m.rows.map((r) => [r.pid, r.name, mb(r.pss), mb(r.anon), mb(r.file), mb(r.shmem), mb(r.rss)]),
    ["", "total", mb(m.pss), "", "", "", mb(m.rss)],
  ]);
}

/** The app launched directly (no WebDriver, as a till starts it), left on the sign-in
 * screen for `idleMs`: the memory of that, and when its web process started. */
async function direct(extraEnv, idleMs) {
  const logFile = openSync(join(work, "direct.log"), "a");
  const t0 = Date.now();
  const child = spawn(app, [], {
    env: { ...process.env, PURSER_CONFIG: config, PURSER_DATA_DIR: join(work, "data"), PURSER_LOG: "info", ...extraEnv },
    stdio: ["ignore", logFile, logFile],
  });
  children.add(child);
  let web = null;
  while (!web && Date.now() - t0 < 10000) {
    await sleep(10);
    web = descendants(child.pid).find((p) => p.comm.startsWith("WebKitWebProces"));
  }
  const toWeb = web ? startEpoch(web) - t0 : NaN;
  await sleep(idleMs);
  const all = procs();
  const m = memory(all.get(child.pid));
  child.kill("SIGTERM");
  if (!(await waitExit(child.pid, 5000))) child.kill("SIGKILL");
  await waitExit(child.pid, 5000);
  return { m, toWeb, toMain: mainStarted(t0) - t0 };
}

// ---------------------------------------------------------------- run

// Whatever happens, leave no tauri-driver, WebKitWebDriver or app behind.
const children = new Set();
process.on("exit", () => {
  for (const c of children) {
    if (c.exitCode !== null || c.signalCode !== null) continue;
    const pids = [c.pid, ...descendants(c.pid).map((p) => p.pid)];
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }
  if (!KEEP) rmSync(work, { recursive: true, force: true });
});
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(sig, () => process.exit(130));

let driver = await startDriver();
const results = {};
try {
  // 1. Cold starts.
  log(`\n1. Cold start, ${N_LAUNCHES} launches (a new WebDriver session each; the first one opens the shift)`);
  const launches = [];
  for (let i = 0; i < N_LAUNCHES; i++) {
    const l = await launch(driver);
    launches.push(l);
    await quit(l.wd, l.pid);
  }
  table([
    ["#", "→ process", "→ main()", "→ web process", "→ page origin", "→ first paint", "→ sign-in form", "proc→form", "sign-in→sell", "usable", "wall (incl. typing)", "session POST", "WD cmd"],
    ...launches.map((l, i) => [
      i + 1,
      ms(l.toProcess),
      ms(l.toMain),
      ms(l.toWebProcess),
      ms(l.toOrigin),
      ms(l.toPaint),
      ms(l.toForm) + (l.formAlready ? "*" : ""),
      ms(l.processToForm),
      ms(l.signInToSell) + (l.shift ? ` (shift ${ms(l.shift.ms)})` : ""),
      ms(l.usable),
      ms(l.wall),
      ms(l.toSession),
      ms(l.wdRoundTrip),
    ]),
  ]);
  log("  Times from the WebDriver session request (which launches the app). \"usable\" = → sign-in form + sign-in→sell,");
  log("  without the typing; \"wall\" is everything as the driver saw it. Process starts have 10 ms resolution.");
  log("  * the form was already in the DOM when the first script ran (so it got there earlier); \"usable\" takes the later of");
  log("    it and the first contentful paint. sign-in→sell runs to the first animation frame after the search box is in the DOM.");
  const warm = launches.length > 1 ? launches.slice(1) : launches;
  results.cold = {
    usableMedian: median(launches.map((l) => l.usable)),
    formMedian: median(launches.map((l) => l.toForm)),
    toProcessMedian: median(launches.map((l) => l.toProcess)),
    processToFormMedian: median(launches.map((l) => l.processToForm)),
    signInMedian: median(warm.map((l) => l.signInToSell)),
  };
  log(`  DOMContentLoaded at ${launches.map((l) => ms(l.dcl)).join(", ")} after the page's origin; first contentful paint ${launches.map((l) => ms(l.fcp)).join(", ")}`);

  // The session the rest runs in: sign-in screen idle 5 s (memory), then the sell screen
  // idle 5 s (memory), then searches and scans.
  const kept = await launch(driver, 5000);
  const wd = kept.wd;
  const idleCpu = await cpuOver(driver.proc.pid, 5000);
  const memDefault = memory(driver.proc.pid);
  showMemory("4. Idle memory, sign-in screen idle 5 s (WebDriver session)", kept.memSignIn);
  showMemory(`4. Idle memory, sell screen up and idle 5 s (WebDriver session); CPU used meanwhile ${ms(+idleCpu)} in 5 s (${idleCpu.parts})`, memDefault);

  // 2. Search.
  log(`\n2. Search, ${N_QUERIES} queries over ${N_PRODUCTS.toLocaleString("en")} products`);
  const ipcLog = await wd.execute(INSTALL_IPC_LOG);
  log(`  IPC log in the page: ${ipcLog}`);
  const qs = queries(products, N_QUERIES);
  const searched = [];
  for (let i = 0; i < qs.length; i += 50) {
    const batch = qs.slice(i, i + 50);
    const r = await asyncScript(wd, SEARCH, [batch.map((x) => x.q)]);
    r.forEach((x, j) => searched.push({ ...x, kind: batch[j].kind }));
  }
  const bad = searched.filter((s) => s.dom === null);
  const wrong = searched.filter((s) => s.first && !s.q.split(" ").every((w) => s.first.toLowerCase().split(/[^\p{L}\p{N}]+/u).some((x) => x.startsWith(w))));
  const kinds = ["1 letter", "2 letters", "3 letters", "2 words", "all"];
  const rowsFor = (pick) =>
    kinds.map((k) => {
      const xs = searched.filter((s) => (k === "all" || s.kind === k) && s.dom !== null).map(pick);
      return [k, xs.length, ms(pct(xs, 50)), ms(pct(xs, 95)), ms(pct(xs, 99)), ms(Math.max(...xs))];
    });
  log("  keystroke → first result in the DOM:");
  table([["query", "n", "p50", "p95", "p99", "max"], ...rowsFor((s) => s.dom)]);
  log("  keystroke → next animation frame after it (what the eye can see at the earliest):");
  table([["query", "n", "p50", "p95", "p99", "max"], ...rowsFor((s) => s.frame)]);
  if (bad.length) log(`  ${bad.length} queries showed no result within 10 s: ${bad.slice(0, 5).map((s) => JSON.stringify(s.q)).join(", ")}`);
  if (wrong.length) log(`  ${wrong.length} queries whose first result does not match all words (check): ${wrong.slice(0, 3).map((s) => `${s.q} → ${s.first}`).join("; ")}`);
  // What the UI called per keystroke.
  const perKey = searched.filter((s) => s.calls.length);
  if (perKey.length) {
    const counts = {};
    for (const s of perKey) for (const c of s.calls.filter((c) => c.start < (s.dom ?? Infinity))) counts[c.name] = (counts[c.name] ?? 0) + 1;
    log(`  IPC calls the UI made per keystroke before the results showed (mean): ${Object.entries(counts).map(([k, v]) => `${k} ${(v / perKey.length).toFixed(2)}`).join(", ")}`);
    const searchCalls = perKey.flatMap((s) => s.calls.filter((c) => c.name === "search" && c.ms !== null).map((c) => c.ms));
    const catCalls = perKey.flatMap((s) => s.calls.filter((c) => c.name === "categories" && c.ms !== null).map((c) => c.ms));
    const lastSearchEnd = perKey.filter((s) => s.dom !== null).map((s) => {
      const ss = s.calls.filter((c) => c.name === "search" && c.ms !== null);
      const last = ss[ss.length - 1];
      return last ? s.dom - (last.start + last.ms) : NaN;
    }).filter(Number.isFinite);
    const typical = perKey.filter((x) => x.kind === "3 letters" && x.dom !== null).sort((a, b) => a.dom - b.dom);
    const ex = typical[Math.floor(typical.length / 2)];
    if (ex) {
      log(`  a median 3-letter keystroke, "${ex.q}" (results in the DOM at ${ms(ex.dom)}): ` +
        ex.calls.map((c) => `${c.name} sent at +${ms(c.start)}, back at +${ms(c.start + c.ms)}`).join("; "));
    }
    log(`  in the UI: search IPC p50 ${ms(pct(searchCalls, 50))} p99 ${ms(pct(searchCalls, 99))}; categories IPC p50 ${ms(pct(catCalls, 50))} p99 ${ms(pct(catCalls, 99))}; last search reply → results in DOM p50 ${ms(pct(lastSearchEnd, 50))} p99 ${ms(pct(lastSearchEnd, 99))}`);
  }

  // IPC floor and the bare search call.
  const floor = await asyncScript(wd, IPC, [Array.from({ length: 300 }, () => ["status", {}])]);
  const bare = await asyncScript(wd, IPC, [qs.map((x) => ["search", { text: x.q, limit: 40 }])]);
  const cats = await asyncScript(wd, IPC, [Array.from({ length: 30 }, () => ["categories", {}])]);
  const fl = floor.map((x) => x.ms);
  log("  IPC from the page (no UI):");
  table([
    ["call", "n", "p50", "p99", "max"],
    ["status (the floor)", fl.length, ms(pct(fl, 50)), ms(pct(fl, 99)), ms(Math.max(...fl))],
    ...kinds.map((k) => {
      const xs = bare.filter((_, i) => k === "all" || qs[i].kind === k).map((x) => x.ms);
      return [`search ${k}, limit 40`, xs.length, ms(pct(xs, 50)), ms(pct(xs, 99)), ms(Math.max(...xs))];
    }),
    ["categories", cats.length, ms(pct(cats.map((x) => x.ms), 50)), ms(pct(cats.map((x) => x.ms), 99)), ms(Math.max(...cats.map((x) => x.ms)))],
  ]);
  results.search = {
    p50: pct(searched.filter((s) => s.dom !== null).map((s) => s.dom), 50),
    p99: pct(searched.filter((s) => s.dom !== null).map((s) => s.dom), 99),
    floor50: pct(fl, 50),
    floor99: pct(fl, 99),
  };

  // 3. Scans.
  log(`\n3. Scan to cart line, ${N_SCANS} scans of random products' barcodes`);
  const r = rng(7);
  const scannable = products.filter((p) => p.barcode);
  const codes = Array.from({ length: N_SCANS }, () => scannable[Math.floor(r() * scannable.length)].barcode);
  await asyncScript(wd, `const d = arguments[arguments.length - 1]; document.querySelector("[data-testid=search]").focus(); d(1);`);
  const scans = [];
  for (let i = 0; i < codes.length; i += 20) {
    await asyncScript(wd, CLEAR_TICKET);
    const s = await asyncScript(wd, SCAN, [codes.slice(i, i + 20), 2]);
    scans.push(...s);
  }
  await asyncScript(wd, CLEAR_TICKET);
  // Idle with one line on the ticket: what the window does by itself (IPC calls, CPU).
  await asyncScript(wd, SCAN, [[codes[0]], 2]);
  const mark = await wd.execute("return window.__benchIpc ? window.__benchIpc.log.length : 0;");
  const ticketCpu = await cpuOver(driver.proc.pid, 5000);
  const idleCalls = await wd.execute("return (window.__benchIpc?.log ?? []).slice(arguments[0]).map((e) => e.name);", [mark]);
  await asyncScript(wd, CLEAR_TICKET);
  const byName = {};
  for (const n of idleCalls) byName[n] = (byName[n] ?? 0) + 1;
  const sd = scans.filter((s) => s.dom !== null).map((s) => s.dom);
  const sf = scans.filter((s) => s.dom !== null).map((s) => s.frame);
  const failed = scans.filter((s) => s.dom === null);
  table([
    ["", "n", "p50", "p95", "p99", "max"],
    ["Enter → line in the DOM", sd.length, ms(pct(sd, 50)), ms(pct(sd, 95)), ms(pct(sd, 99)), ms(Math.max(...sd))],
    ["Enter → next frame", sf.length, ms(pct(sf, 50)), ms(pct(sf, 95)), ms(pct(sf, 99)), ms(Math.max(...sf))],
  ]);
  const gaps = scans.map((s) => s.maxGap);
  log(`  longest gap between two of a scan's keys (the page's timers; the scanner detector allows 40 ms): p50 ${ms(pct(gaps, 50))}, max ${ms(Math.max(...gaps))}`);
  for (const f of failed) {
    log(`  scan of ${f.code} rang up nothing within 5 s: longest key gap ${ms(f.maxGap)}; the page says ${JSON.stringify(f.error ?? "nothing")}; IPC calls: ${f.calls.map((c) => `${c.name} +${ms(c.start)} (${ms(c.ms)})`).join(", ") || "none"}`);
  }
  const slow = scans.filter((s) => s.dom !== null && s.dom > 20).sort((a, b) => b.dom - a.dom);
  if (slow.length) log(`  ${slow.length} scans over 20 ms; the slowest, with the IPC calls around it:`);
  for (const f of slow.slice(0, 3)) {
    const calls = f.calls.filter((c) => c.start < f.dom);
    log(`    ${f.code}: ${ms(f.dom)}; ${calls.length} IPC calls: ${calls.slice(0, 12).map((c) => `${c.name} +${ms(c.start)} (${ms(c.ms)})`).join(", ")}${calls.length > 12 ? ", …" : ""}`);
  }
  const addCalls = await wd.execute(`return (window.__benchIpc?.log ?? []).filter((e) => e.name === "add_item" && e.t1 !== null).map((e) => e.t1 - e.t0);`);
  if (addCalls.length) log(`  add_item IPC as the UI called it: p50 ${ms(pct(addCalls, 50))} p99 ${ms(pct(addCalls, 99))}`);
  log(`  idle 5 s with one line on the ticket: ${idleCalls.length} IPC calls (${Object.entries(byName).map(([k, v]) => `${k} ${v}`).join(", ") || "none"}), CPU ${ms(+ticketCpu)} (${ticketCpu.parts}); with an empty ticket: CPU ${ms(+idleCpu)}`);
  results.scan = { p50: pct(sd, 50), p99: pct(sd, 99), add50: pct(addCalls, 50), add99: pct(addCalls, 99), idleCalls: idleCalls.length, ticketCpu, idleCpu };

  await sleep(5000);
  const memAfter = memory(driver.proc.pid);
  showMemory("4b. Idle memory after the searches and scans, idle 5 s", memAfter);
  await quit(wd, kept.pid);
  await stopDriver(driver);

  // The baseline: the same app without its memory settings (src-tauri/src/main.rs, `lean_webkit`).
  driver = await startDriver({ PURSER_MEMORY_TUNING: "0" });
  const nc = await launch(driver);
  await sleep(5000);
  const memNoComp = memory(driver.proc.pid);
  showMemory(`4c. Idle memory, sell screen idle 5 s, PURSER_MEMORY_TUNING=0: without the window's memory settings (WebDriver session; this launch: sign-in form at ${ms(nc.toForm)}, usable at ${ms(nc.usable)})`, memNoComp);
  await quit(nc.wd, nc.pid);
  await stopDriver(driver);
  driver = null;

  // Without WebDriver: the app as a till starts it, sign-in screen only (nothing drives it).
  const d1 = await direct({}, 6000);
  showMemory(`4d. Idle memory, launched directly (no WebDriver), sign-in screen idle ~5 s; web process started ${ms(d1.toWeb)} after exec, main() at ${ms(d1.toMain)}`, d1.m);
  const d2 = await direct({ PURSER_MEMORY_TUNING: "0" }, 6000);
  showMemory(`4e. Same, PURSER_MEMORY_TUNING=0; web process started ${ms(d2.toWeb)} after exec`, d2.m);
  results.mem = { pss: memDefault?.pss, rss: memDefault?.rss, signIn: kept.memSignIn?.pss, after: memAfter?.pss, noComp: memNoComp?.pss, direct: d1.m?.pss, directNoComp: d2.m?.pss };

  // Summary.
  log(`\nSummary (load average at the start ${loadAtStart}, at the end ${loadavg()}: anything else running on the machine shows in these figures)`);
  const c = results.cold, s = results.search, sc = results.scan, m = results.mem;
  table([
    ["figure", "measured", "target", "baseline (same run)"],
    ["cold start → sign-in form (median)", ms(c.formMedian), "", `WebDriver launch overhead → app process ${ms(c.toProcessMedian)}; app process → form ${ms(c.processToFormMedian)}`],
    ["cold start → usable sell screen (median)", ms(c.usableMedian), "≤ 1.5 s", `of which sign-in → sell ${ms(c.signInMedian)} (launches 2+)`],
    ["search keystroke → results p50 / p99", `${ms(s.p50)} / ${ms(s.p99)}`, "p99 ≤ 50 ms", `IPC floor (status) ${ms(s.floor50)} / ${ms(s.floor99)}`],
    ["scan → cart line p50 / p99", `${ms(sc.p50)} / ${ms(sc.p99)}`, "≤ 50 ms", `IPC floor ${ms(s.floor50)} / ${ms(s.floor99)}; add_item in the UI ${ms(sc.add50)} / ${ms(sc.add99)}`],
    ["idle: IPC calls / CPU in 5 s, one ticket line", `${sc.idleCalls} / ${ms(+sc.ticketCpu)}`, "", `empty ticket: CPU ${ms(+sc.idleCpu)}`],
    ["idle PSS, app + WebKit, sell screen", mb(m.pss), "≤ 220 MB", `hello-world Tauri window ~270 MB (not re-measured); RSS ${mb(m.rss)}`],
    ["  same, without the memory settings (baseline)", mb(m.noComp), "", `ratio ${m.pss && m.noComp ? (m.pss / m.noComp).toFixed(2) : "-"}; after the searches and scans: ${mb(m.after)}`],
    ["  sign-in screen: WebDriver / direct", `${mb(m.signIn)} / ${mb(m.direct)}`, "", `direct, without the memory settings: ${mb(m.directNoComp)}`],
  ]);
} finally {
  if (driver) await stopDriver(driver).catch(() => {});
  if (KEEP) log(`\nwork files kept: ${work}`);
  else rmSync(work, { recursive: true, force: true });
}

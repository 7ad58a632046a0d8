// A small W3C WebDriver client (Node's fetch), enough for the till's end-to-end tests:
// sessions, finding elements, clicks, typing, text, screenshots; and the port helpers the
// tests and the bench share, with the test broker and the app under tauri-driver.

import { spawn } from "node:child_process";
import { mkdirSync, openSync } from "node:fs";
import { createServer, Socket } from "node:net";
import { join } from "node:path";

const ELEMENT = "element-6066-11e4-a52e-4f735466cecf";
/** How long any one WebDriver request may take (`PURSER_E2E_REQUEST_TIMEOUT_MS`). */
const REQUEST_TIMEOUT_MS = Number(process.env.PURSER_E2E_REQUEST_TIMEOUT_MS ?? 120000);

export class WebDriver {
  constructor(base, id) {
    this.base = base;
    this.id = id;
  }

  static async connect(base, capabilities, timeoutMs = 60000) {
    const deadline = Date.now() + timeoutMs;
    let last;
    while (Date.now() < deadline) {
      try {
        // Each attempt has its own deadline: a driver that accepts the connection but never
        // answers (seen when WebKitWebDriver died under tauri-driver) must not hang the run.
        const wait = Math.max(1000, Math.min(30000, deadline - Date.now()));
        const r = await request(base, "POST", "/session", { capabilities: { alwaysMatch: capabilities } }, wait);
        return new WebDriver(base, r.sessionId);
      } catch (e) {
        last = e;
        await sleep(300);
      }
    }
    throw new Error(`no WebDriver session at ${base}: ${last}`);
  }

  cmd(method, path, body, timeoutMs) {
    return request(this.base, method, `/session/${this.id}${path}`, body, timeoutMs);
  }

  async quit() {
    try {
      await request(this.base, "DELETE", `/session/${this.id}`);
    } catch {
      // The app may already be gone.
    }
  }

  async find(css, timeoutMs = 10000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const r = await this.cmd("POST", "/element", { using: "css selector", value: css });
        return new Element(this, r[ELEMENT]);
      } catch (e) {
        if (Date.now() > deadline) throw new Error(`no element ${css}: ${e.message}`);
        await sleep(100);
      }
    }
  }

  async findAll(css) {
    const r = await this.cmd("POST", "/elements", { using: "css selector", value: css });
    return r.map((x) => new Element(this, x[ELEMENT]));
  }

  async exists(css) {
    return (await this.findAll(css)).length > 0;
  }

  /** Waits until `css` has text matching `re`; returns the text. */
  async waitText(css, re, timeoutMs = 10000) {
    const deadline = Date.now() + timeoutMs;
    let text = "";
    for (;;) {
      try {
        text = await (await this.find(css, 1000)).text();
        if (re.test(text)) return text;
      } catch {
        // not there yet
      }
      if (Date.now() > deadline) throw new Error(`${css} never matched ${re}; last text: ${JSON.stringify(text)}`);
      await sleep(150);
    }
  }

  async waitGone(css, timeoutMs = 10000) {
    const deadline = Date.now() + timeoutMs;
    while (await this.exists(css)) {
      if (Date.now() > deadline) throw new Error(`${css} is still there`);
      await sleep(100);
    }
  }

  async click(css) {
    await (await this.find(css)).click();
  }

  /** Clears a field and types `text` into it. */
  async fill(css, text) {
    const el = await this.find(css);
    await el.clear();
    await el.type(text);
  }

  async screenshot() {
    return Buffer.from(await this.cmd("GET", "/screenshot"), "base64");
  }

  async execute(script, args = []) {
    return this.cmd("POST", "/execute/sync", { script, args });
  }

  /** Types keys into whatever has the focus (a barcode scanner does exactly that). */
  async typeKeys(text) {
    const actions = [];
    for (const ch of text) {
      actions.push({ type: "keyDown", value: ch }, { type: "keyUp", value: ch });
    }
    await this.cmd("POST", "/actions", { actions: [{ type: "key", id: "kbd", actions }] });
    await this.cmd("DELETE", "/actions");
  }
}

export const ENTER = "\uE007";

class Element {
  constructor(driver, id) {
    this.d = driver;
    this.id = id;
  }
  click() {
    return this.d.cmd("POST", `/element/${this.id}/click`, {});
  }
  clear() {
    return this.d.cmd("POST", `/element/${this.id}/clear`, {});
  }
  type(text) {
    return this.d.cmd("POST", `/element/${this.id}/value`, { text });
  }
  text() {
    return this.d.cmd("GET", `/element/${this.id}/text`);
  }
  attr(name) {
    return this.d.cmd("GET", `/element/${this.id}/attribute/${name}`);
  }
  async enabled() {
    return this.d.cmd("GET", `/element/${this.id}/enabled`);
  }
}

/** One WebDriver request; fails with the command's name when no answer comes within
 * `timeoutMs` (the default is above the longest script timeout the tests set). */
async function request(base, method, path, body, timeoutMs = REQUEST_TIMEOUT_MS) {
  let res;
  try {
    res = await fetch(base + path, {
      method,
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (e) {
    if (e.name === "TimeoutError") throw new Error(`${method} ${path}: no answer from the WebDriver within ${timeoutMs} ms`);
    throw new Error(`${method} ${path}: ${e.message}`);
  }
  const json = await res.json().catch(() => ({}));
  if (!res.ok) {
    const v = json.value ?? {};
    throw new Error(`${method} ${path}: ${res.status} ${v.error ?? ""} ${v.message ?? ""}`);
  }
  return json.value;
}

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

/** `n` distinct TCP ports nothing listens on right now: all are held open together and
 * then released, so two of them can never be the same port (two separate one-port calls
 * can return the same one, and tauri-driver with --port equal to --native-port hangs). */
export async function freePorts(n) {
  const servers = [];
  try {
    for (let i = 0; i < n; i++) {
      const s = createServer();
      await new Promise((res, rej) => {
        s.once("error", rej);
        s.listen(0, "127.0.0.1", res);
      });
      servers.push(s);
    }
    return servers.map((s) => s.address().port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  }
}

/** A TCP port nothing listens on right now. */
export async function freePort() {
  return (await freePorts(1))[0];
}

/** Waits until something accepts connections on `port` (at most `ms`). */
export async function waitPort(port, ms) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const ok = await new Promise((res) => {
      const sock = new Socket();
      sock.once("connect", () => {
        sock.destroy();
        res(true);
      });
      sock.once("error", () => res(false));
      sock.connect(port, "127.0.0.1");
    });
    if (ok) return;
    await sleep(50);
  }
  throw new Error(`nothing listens on ${port}`);
}

/** The test broker: `PURSER_TEST_KAFKA` when set, else one Apache Kafka node started from
 * the edge kit's own files by `purser-test-kafka` (crates/purser-testkit), its folder under
 * `work`. `stop()` SIGKILLs the node and `start()` brings it back on the same data and
 * port; `close()` ends it for good. Every step has a deadline. */
export async function testBroker(work) {
  if (process.env.PURSER_TEST_KAFKA) {
    const none = async () => {};
    return { bootstrap: process.env.PURSER_TEST_KAFKA, start: none, stop: none, close: none };
  }
  const target = process.env.CARGO_TARGET_DIR ?? join(import.meta.dirname, "../../target");
  const bin = process.env.PURSER_TEST_KAFKA_BIN ?? join(target, "debug", "purser-test-kafka");
  mkdirSync(work, { recursive: true });
  const log = openSync(join(work, "kafka.log"), "a");
  const child = spawn(bin, ["--json"], { env: { ...process.env, TMPDIR: work }, stdio: ["pipe", "pipe", log] });
  const lines = [];
  const waiters = [];
  let buf = "";
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf("\n")) >= 0) {
      lines.push(buf.slice(0, i));
      buf = buf.slice(i + 1);
      while (waiters.length && lines.length) waiters.shift()(lines.shift());
    }
  });
  let exited = null;
  child.once("exit", (code, sig) => {
    exited = `purser-test-kafka exited (${code ?? sig}); see ${join(work, "kafka.log")}`;
    while (waiters.length) waiters.shift()(null);
  });
  child.once("error", (e) => {
    exited = `cannot start ${bin} (${e.message}): cargo build -p purser-testkit, or set PURSER_TEST_KAFKA`;
    while (waiters.length) waiters.shift()(null);
  });
  const nextLine = (what, ms) =>
    new Promise((res, rej) => {
      if (lines.length) return res(lines.shift());
      if (exited) return rej(new Error(exited));
      const t = setTimeout(() => rej(new Error(`Kafka: no answer to ${what} within ${ms} ms`)), ms);
      waiters.push((l) => {
        clearTimeout(t);
        l === null ? rej(new Error(exited)) : res(l);
      });
    });
  const info = JSON.parse(await nextLine("start-up", 240000));
  const command = async (c) => {
    child.stdin.write(`${c}\n`);
    const answer = await nextLine(c, 240000);
    if (!answer.startsWith("ok")) throw new Error(`Kafka: ${c}: ${answer}`);
  };
  let running = true;
  return {
    bootstrap: info.bootstrap,
    info,
    async stop() {
      if (running) await command("kill 1");
      running = false;
    },
    async start() {
      if (!running) await command("restart 1");
      running = true;
    },
    async close() {
      if (child.exitCode !== null || exited) return;
      child.stdin.end();
      await Promise.race([new Promise((r) => child.once("exit", r)), sleep(30000)]);
      if (child.exitCode === null) child.kill("SIGKILL");
    },
  };
}

/** Opens the app under tauri-driver (which starts WebKitWebDriver) with `env`; returns the
 * session and the driver process. */
export async function openApp(app, env, log) {
  const [port, nativePort] = await freePorts(2);
  const out = openSync(log, "a");
  const driver = spawn("tauri-driver", ["--port", String(port), "--native-port", String(nativePort)], {
    env,
    stdio: ["ignore", out, out],
  });
  const wd = await WebDriver.connect(`http://127.0.0.1:${port}`, {
    browserName: "wry",
    "tauri:options": { application: app },
  });
  return { wd, driver };
}

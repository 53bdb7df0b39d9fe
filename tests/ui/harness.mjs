// Starts the servers and the browser the UI tests need, as plain child processes on
// loopback, the same way as the e2e suite: each server gets a free port, its own data
// directory under a temporary directory and a log file; stop() ends it with SIGTERM.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, '..', '..');
export const artifactsDir = process.env.BERTH_UI_ARTIFACTS ?? join(here, 'artifacts');
export const ADMIN_USER = 'admin';
export const ADMIN_PASSWORD = 'Berth-Admin-12345';

export function berthBinary() {
  const candidates = process.env.BERTH_BIN
    ? [process.env.BERTH_BIN]
    : [join(repoRoot, 'build', 'berth'), join(repoRoot, 'build', 'src', 'berth', 'berth')];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`berth binary not found at ${candidates[0]}: build it or set BERTH_BIN`);
  return found;
}

export function chromiumBinary() {
  const candidates = [process.env.CHROMIUM_BIN, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(Boolean);
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error('Chromium not found: run scripts/install-deps (Debian package chromium) or set CHROMIUM_BIN');
  return found;
}

export function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A scratch directory for one test file, removed by cleanup().
export function scratch(name) {
  const dir = mkdtempSync(join(tmpdir(), `berth-ui-${name}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

class Server {
  constructor(name, dataDir, port) {
    this.name = name;
    this.dataDir = dataDir;
    this.port = port;
    this.logPath = `${dataDir}.${name}.log`;
    this.proc = null;
    mkdirSync(dataDir, { recursive: true });
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(command, args, env = process.env, timeoutMs = 20000) {
    const log = openSync(this.logPath, 'a');
    this.proc = spawn(command, args, { env, stdio: ['ignore', log, log] });
    this.exited = new Promise((r) => this.proc.once('exit', (code) => r(code)));
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      if (this.proc.exitCode !== null) {
        throw new Error(`${this.name} exited with ${this.proc.exitCode} during start-up:\n${this.logTail()}`);
      }
      try {
        const r = await fetch(`${this.url}/v2/`);
        if (r.status === 200 || r.status === 401) return this;
        last = String(r.status);
      } catch (e) {
        last = e.message;
      }
      await sleep(50);
    }
    throw new Error(`${this.name} not ready after ${timeoutMs} ms (last: ${last}):\n${this.logTail()}`);
  }

  async stop() {
    if (!this.proc || this.proc.exitCode !== null) return;
    this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 10000);
    await this.exited;
    clearTimeout(timer);
  }

  logTail(lines = 40) {
    try {
      return readFileSync(this.logPath, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }
}

// `berth serve` with a known admin password, serving the built UI.
export async function startBerth(dataDir) {
  const server = new Server('berth', dataDir, await freePort());
  const env = { ...process.env, BERTH_ADMIN_PASSWORD: ADMIN_PASSWORD, BERTH_HEALTH_INTERVAL: '3600' };
  await server.start(berthBinary(), ['serve', '--listen', `127.0.0.1:${server.port}`, '--data', dataDir], env);
  server.auth = 'Basic ' + Buffer.from(`${ADMIN_USER}:${ADMIN_PASSWORD}`).toString('base64');
  // A call to the admin API as admin: returns the parsed JSON (or null) and throws on a failure.
  server.api = async (method, path, body) => {
    const r = await fetch(`${server.url}/api/v2.0${path}`, {
      method,
      headers: { Authorization: server.auth, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
  return server;
}

// The CNCF registry (Debian's docker-registry), no auth.
export async function startCncfRegistry(dataDir) {
  const server = new Server('cncf', dataDir, await freePort());
  const config = `${dataDir}.cncf.yml`;
  writeFileSync(
    config,
    'version: 0.1\n' +
      'log:\n  level: error\n  accesslog:\n    disabled: true\n' +
      `storage:\n  filesystem:\n    rootdirectory: ${dataDir}\n  delete:\n    enabled: true\n` +
      `http:\n  addr: 127.0.0.1:${server.port}\n  secret: ui-local-secret\n`,
  );
  await server.start('docker-registry', ['serve', config]);
  return server;
}

// Headless Chromium; every console error and page error is collected in `errors`.
export async function launchBrowser() {
  const browser = await chromium.launch({
    executablePath: chromiumBinary(),
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  return browser;
}

export async function newPage(browser, viewport = { width: 1280, height: 800 }) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.errors = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') page.errors.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => page.errors.push(`page: ${err.message}`));
  page.setDefaultTimeout(10000);
  return page;
}

// A function that saves numbered full-page screenshots under artifacts/<suite>/.
export function screenshots(suite) {
  let count = 0;
  return async (page, name) => {
    const dir = join(artifactsDir, suite);
    mkdirSync(dir, { recursive: true });
    count += 1;
    const file = join(dir, `${String(count).padStart(2, '0')}-${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    return file;
  };
}

// One test file's world: a scratch directory, the servers `start(dir)` starts (an array of
// promises, e.g. [startBerth(`${dir}/berth`)]) and a browser page. close() ends them all.
// When a start fails, what did start is stopped again before the failure is thrown.
export async function openSession(name, start) {
  const tmp = scratch(name);
  const session = { dir: tmp.dir, servers: [], browser: null, page: null };
  session.close = async () => {
    await session.browser?.close();
    await Promise.all(session.servers.map((s) => s?.stop()));
    tmp.cleanup();
  };
  try {
    const started = await Promise.allSettled(start(tmp.dir));
    session.servers = started.map((r) => (r.status === 'fulfilled' ? r.value : null));
    const failed = started.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    session.browser = await launchBrowser();
    session.page = await newPage(session.browser);
  } catch (e) {
    await session.close();
    throw e;
  }
  return session;
}

// Fills the sign-in form the page shows (as admin, with `password`) and presses Log In.
export async function signIn(page, password = ADMIN_PASSWORD) {
  await page.getByLabel('Username').fill(ADMIN_USER);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log In' }).click();
}

// Presses Enter on the button named `name`, as a keyboard user opens a dialog.
export async function pressButton(page, name) {
  await page.getByRole('button', { name }).focus();
  await page.keyboard.press('Enter');
}

// The id of the element that has the focus, looking into shadow roots.
export function focusedId(page) {
  return page.evaluate(() => {
    let element = document.activeElement;
    while (element?.shadowRoot?.activeElement) element = element.shadowRoot.activeElement;
    return element?.id;
  });
}

// Fails with the console and page errors of `page` other than those `expected` matches.
export function assertNoUnexpectedErrors(page, expected) {
  assert.deepEqual(page.errors.filter((e) => !expected.test(e)), []);
}

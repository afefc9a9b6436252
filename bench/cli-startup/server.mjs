// Helpers for bench/cli-startup/run.mjs: a throwaway `latch dev` server, and a token for it
// obtained through the standard device flow, with the script acting as the person at the browser.
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const START_TIMEOUT_MS = 120_000; // the first start runs initdb for the embedded PostgreSQL
const STOP_TIMEOUT_MS = 60_000;

/**
 * Starts `latch dev --port 0` on a fresh data folder (its own embedded PostgreSQL). Returns at once,
 * so the caller can register `stop()` before waiting on `ready` (the server's URL). `stop()` sends
 * SIGTERM, waits for the exit and removes the data folder; it is safe to call more than once.
 */
export function startDevServer({ node, latch }) {
  // The data folder itself must come from mkdtemp: as root, postgres runs as the `postgres` user,
  // which can pass through it (the server makes it 0711) but not through a 0700 parent.
  const dataDir = mkdtempSync(join(tmpdir(), 'latch-bench-data-'));
  // Output goes to a file, not a pipe: while hyperfine runs, this process's event loop is blocked
  // and would not drain a pipe, so a chatty server could stall on a full one.
  const logFile = join(dataDir, 'server.log');
  const fd = openSync(logFile, 'a');
  const env = { ...process.env };
  // Nothing from the caller's environment may point the server elsewhere (an external database,
  // a public URL, another data folder); LATCH_DEBUG is kept for postgres logs.
  for (const key of Object.keys(env)) {
    if ((key.startsWith('LATCH_') && key !== 'LATCH_DEBUG') || key === 'DATABASE_URL' || key === 'REDIS_URL')
      delete env[key];
  }
  const child = spawn(node, [latch, 'dev', '--port', '0', '--data-dir', dataDir], {
    env,
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const log = () => {
    try {
      return readFileSync(logFile, 'utf8');
    } catch {
      return '';
    }
  };

  const ready = (async () => {
    const deadline = Date.now() + START_TIMEOUT_MS;
    let spawnError;
    child.once('error', (err) => {
      spawnError = err;
    });
    for (;;) {
      const url = /Latchkey dev server: (http:\/\/\S+)/.exec(log())?.[1];
      if (url) return url;
      if (spawnError) throw new Error(`could not start \`latch dev\`: ${spawnError.message}`);
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(`\`latch dev\` exited before it was ready:\n${log()}`);
      if (Date.now() > deadline)
        throw new Error(`\`latch dev\` did not print its URL within ${START_TIMEOUT_MS / 1000} s:\n${log()}`);
      await sleep(100);
    }
  })();

  let stopping;
  const stop = () => {
    stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        // A Ctrl-C reaches the server too (same process group); it is stopping already then.
        if (!/: stopping \(/.test(log())) child.kill('SIGTERM');
        const timer = new AbortController();
        const timedOut = await Promise.race([
          exited.then(() => false),
          sleep(STOP_TIMEOUT_MS, true, { signal: timer.signal }).catch(() => false),
        ]);
        timer.abort(); // else the pending timer keeps this process alive for the full timeout
        if (timedOut) {
          child.kill('SIGKILL');
          await exited;
          console.error(
            `\`latch dev\` did not stop within ${STOP_TIMEOUT_MS / 1000} s; killed it.\n${log()}`,
          );
        }
      }
      rmSync(dataDir, { recursive: true, force: true });
    })();
    return stopping;
  };

  return { ready, stop, log };
}

/**
 * RFC 8628 device flow over plain HTTP: asks for a code as the CLI would, approves it in the web
 * pages as a person would (cookie jar, the pages' own forms and CSRF fields, dev sign-in), then
 * redeems the device code. Returns the personal access token.
 */
export async function deviceFlowToken(baseUrl, { email = 'bench@example.com', deviceName = 'bench' } = {}) {
  const start = await oauthPost(baseUrl, '/oauth/device/code', {
    client_id: 'latch-cli',
    device_name: deviceName,
  });
  if (!start.ok || !start.json.user_code)
    throw new Error(`/oauth/device/code answered ${start.status}: ${start.text}`);
  const { device_code: deviceCode, user_code: userCode } = start.json;

  const browser = new Browser(baseUrl);
  let page = await browser.get(`/login?next=${encodeURIComponent(`/device?user_code=${userCode}`)}`);
  if (page.body.includes('name="method" value="dev"')) {
    page = await browser.submit(page, '/login', { email }, 'value="dev"');
  }
  if (page.body.includes('action="/device"'))
    page = await browser.submit(page, '/device', { user_code: userCode });
  if (!page.body.includes('action="/device/approve"'))
    throw new Error(
      `expected the device approval page, got ${page.status} at ${page.url}:\n${page.body.slice(0, 800)}`,
    );
  const done = await browser.submit(page, '/device/approve', { decision: 'approve' });
  if (done.status !== 200)
    throw new Error(`approving the device answered ${done.status}:\n${done.body.slice(0, 800)}`);

  let interval = Number(start.json.interval) || 5;
  for (let attempt = 0; attempt < 5; attempt++) {
    const res = await oauthPost(baseUrl, '/oauth/token', {
      grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
      device_code: deviceCode,
      client_id: 'latch-cli',
    });
    if (res.ok && res.json.access_token) return res.json.access_token;
    const error = res.json?.error;
    if (error !== 'authorization_pending' && error !== 'slow_down')
      throw new Error(`/oauth/token answered ${res.status}: ${res.text}`);
    if (error === 'slow_down') interval += 5;
    await sleep(interval * 1000);
  }
  throw new Error('the device code was approved but /oauth/token never issued a token');
}

async function oauthPost(baseUrl, path, fields) {
  const res = await fetch(new URL(path, baseUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams(fields).toString(),
  });
  const text = await res.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    // reported through `text`
  }
  return { ok: res.ok, status: res.status, text, json };
}

const unescapeHtml = (s) =>
  s
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

/** Just enough of a browser: keeps cookies, follows redirects, submits a page's form with its hidden fields. */
class Browser {
  constructor(baseUrl) {
    this.baseUrl = baseUrl;
    this.cookies = new Map();
  }

  async request(url, init = {}) {
    let target = new URL(url, this.baseUrl);
    let options = init;
    for (let hops = 0; hops < 10; hops++) {
      const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
      const res = await fetch(target, {
        ...options,
        headers: { ...options.headers, cookie },
        redirect: 'manual',
      });
      for (const line of res.headers.getSetCookie()) {
        const [pair] = line.split(';');
        const i = pair.indexOf('=');
        this.cookies.set(pair.slice(0, i).trim(), pair.slice(i + 1).trim());
      }
      const location = res.headers.get('location');
      if (res.status < 300 || res.status >= 400 || !location) {
        return { status: res.status, url: target.href, body: await res.text() };
      }
      await res.body?.cancel();
      target = new URL(location, target);
      options = {}; // 302/303: the next request is a GET
    }
    throw new Error(`too many redirects from ${url}`);
  }

  get(path) {
    return this.request(path);
  }

  /** Posts the form with this action (the first whose HTML includes `marker`, if given). */
  submit(page, action, extra, marker) {
    const body = page.body;
    let at = body.indexOf(`action="${action}"`);
    while (at >= 0 && marker && !body.slice(at, body.indexOf('</form>', at)).includes(marker)) {
      at = body.indexOf(`action="${action}"`, at + 1);
    }
    if (at < 0)
      throw new Error(`no form for ${action} at ${page.url} (status ${page.status}):\n${body.slice(0, 800)}`);
    const html = body.slice(at, body.indexOf('</form>', at));
    const fields = {};
    for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
      fields[unescapeHtml(m[1])] = unescapeHtml(m[2]);
    }
    return this.request(new URL(action, page.url), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...fields, ...extra }).toString(),
    });
  }
}

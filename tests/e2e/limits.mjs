#!/usr/bin/env node
// End-to-end tests of the server's limits and hardening: the real binary, attacked the
// way an attacker would, each case on a server of its own with the settings it is about.
//
//   node tests/e2e/limits.mjs --bin build/passerelle --root . --promtool /usr/bin/promtool
//
// (--promtool none makes the one case that needs Debian's prometheus package fail; LIMITS_ONLY=TEXT
// in the environment runs only the cases whose name contains TEXT.) Prints one
// `ok - name` / `not ok - name: reason` line per case, then `N passed, N failed`; exit status 0 only
// when every case passed (2 on a usage error). Every server it starts is stopped.
//
// The cases: one address cannot take the server down (per-address cap, the open-file limit),
// behind a trusted proxy the forwarded address counts, one address shares one question budget,
// idle WebSockets are closed while pinging ones live (pings are not questions), a frame announcing
// 100 MiB or a request that never comes is not held, 431 for oversized headers, other sites'
// pages are refused, no file outside the web folder, /healthz and /metrics only on the admin
// listener, SIGTERM answers the questions in flight before closing, the configuration is checked
// at start, and /metrics passes `promtool check metrics`.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { assert, freePort, httpGet as harnessGet, metricValue, parseCommandLine, sleep, watchServer,
  withTimeout } from '../lib/harness.mjs';

const HOST = '127.0.0.1';
const OTHER_HOST = '127.0.0.2'; // another client address: Linux routes all of 127/8 to loopback
const RUN_BUDGET_MS = 100000;
const CASE_TIMEOUT_MS = 15000;
const FRAME_TIMEOUT_MS = 3000;
const START_TIMEOUT_MS = 5000;
const SOPOT_FR = 'Où se trouve Sopot ?';

const USAGE = 'usage: node tests/e2e/limits.mjs --bin PATH/passerelle --root REPO_ROOT --promtool PATH|none';
const opts = parseCommandLine(process.argv.slice(2), ['bin', 'root', 'promtool'], USAGE);
const BIN = path.resolve(opts.bin);
const ROOT = path.resolve(opts.root);
const PROMTOOL = opts.promtool === 'none' ? null : opts.promtool;

let WebSocket;
try {
  ({ default: WebSocket } = await import('ws'));
} catch {
  console.error('the `ws` package is not installed: run `npm ci` in tests/e2e first');
  console.log('0 passed, 1 failed');
  process.exit(1);
}

const show = (v, max = 160) => {
  const s = typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v) ?? String(v);
  return s.length > max ? `${s.slice(0, max)}…` : s;
};
const equal = (actual, expected, what) =>
  assert(actual === expected, `${what}: expected ${show(expected)}, got ${show(actual)}`);

/* ------------------------------------------------------------------ servers */

const servers = new Set();

const httpGet = (port, urlPath, { ms = FRAME_TIMEOUT_MS, headers = {} } = {}) =>
  harnessGet(HOST, port, urlPath, { ms, headers });

/* Starts `passerelle serve` with extra flags; nofile sets the open-file limit it starts under. */
async function startServer(t, { extra = [], web = path.join(ROOT, 'web'), nofile = 0 } = {}) {
  const port = await freePort(HOST);
  const adminPort = await freePort(HOST);
  const args = ['serve', '--listen', `${HOST}:${port}`, '--admin-listen', `${HOST}:${adminPort}`,
    '--intents', path.join(ROOT, 'intents'), '--locales', path.join(ROOT, 'locales'), '--web', web, ...extra];
  const proc = nofile
    ? spawn('sh', ['-c', `ulimit -n ${nofile} && exec "$0" "$@"`, BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] })
    : spawn(BIN, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const srv = watchServer(proc, servers, port, adminPort);
  t.servers.push(srv);
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (srv.exited) throw new Error(`the server exited at start (${show(srv.exited)}): ${srv.log.trim()}`);
    try {
      if ((await httpGet(adminPort, '/healthz', { ms: 1000 })).status === 200) return srv;
    } catch { /* not yet */ }
    if (Date.now() > deadline) throw new Error(`the server did not answer /healthz: ${srv.log.trim()}`);
    await sleep(100);
  }
}

const metric = async (srv, line) => metricValue((await httpGet(srv.adminPort, '/metrics')).body, line);

/* ------------------------------------------------------------------ clients */

class Client {
  constructor(ws) {
    this.ws = ws;
    this.queue = [];
    this.all = [];
    this.waiters = [];
    this.closed = null;
    ws.on('message', (data) => {
      let msg;
      try { msg = JSON.parse(data.toString('utf8')); } catch { msg = { unparsable: data.toString('utf8') }; }
      this.queue.push(msg);
      this.all.push(msg);
      this.wake();
    });
    ws.on('close', (code) => { this.closed = { code, at: Date.now() }; this.wake(); });
    ws.on('error', () => {});
  }
  wake() { const w = this.waiters; this.waiters = []; w.forEach((f) => f()); }
  async waitFor(check, ms, what) {
    const deadline = Date.now() + ms;
    while (!check()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${what}: not within ${ms / 1000} s`);
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => { clearTimeout(timer); resolve(); });
      });
    }
  }
  async next(ms = FRAME_TIMEOUT_MS, what = 'a frame') {
    await this.waitFor(() => this.queue.length || this.closed, ms, what);
    if (!this.queue.length) throw new Error(`closed (${this.closed.code}) while waiting for ${what}`);
    return this.queue.shift();
  }
  send(frame) { return new Promise((resolve) => this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame), resolve)); }
  async request(frame) { await this.send(frame); return this.next(FRAME_TIMEOUT_MS, `the reply to ${show(frame, 60)}`); }
  async waitClose(ms) { await this.waitFor(() => this.closed, ms, 'the close'); return this.closed; }
  close() { this.ws.terminate(); }
}

/* A WebSocket and its welcome; rejects with .status when the upgrade gets an HTTP status. */
function openSocket(t, srv, { origin, headers, localAddress, query = '' } = {}) {
  return withTimeout(new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://${HOST}:${srv.port}/ws${query}`, { origin, headers, localAddress });
    const client = new Client(ws);
    t.cleanup.push(() => client.close());
    ws.once('open', async () => {
      try {
        const welcome = await client.next(FRAME_TIMEOUT_MS, 'the welcome');
        equal(welcome.type, 'welcome', 'first frame');
        client.welcome = welcome;
        resolve(client);
      } catch (e) { reject(e); }
    });
    ws.once('unexpected-response', (_req, res) => {
      reject(Object.assign(new Error(`upgrade refused with HTTP ${res.statusCode}`), { status: res.statusCode }));
      ws.terminate();
    });
    ws.once('error', (e) => reject(Object.assign(new Error(`cannot connect: ${e.message}`), { status: 0 })));
  }), FRAME_TIMEOUT_MS, 'opening a WebSocket');
}

async function refusedStatus(t, srv, options) {
  try {
    const c = await openSocket(t, srv, options);
    c.close();
    return 101;
  } catch (e) {
    if (e.status === undefined) throw e;
    return e.status;
  }
}

/* A bare TCP connection: what it receives, and whether (and when) the server closed it. */
function rawSocket(t, port, { localAddress, send } = {}) {
  const s = net.connect({ host: HOST, port, localAddress });
  const r = { socket: s, data: '', closed: false, closedAt: 0, opened: Date.now() };
  s.setEncoding('latin1');
  s.on('data', (d) => { r.data += d; });
  s.on('close', () => { r.closed = true; r.closedAt = Date.now(); });
  s.on('error', () => {});
  if (send) s.on('connect', () => s.write(send));
  t.cleanup.push(() => s.destroy());
  r.connected = new Promise((resolve) => { s.on('connect', resolve); s.on('close', resolve); });
  return r;
}

const statusOf = (text) => Number((text.match(/^HTTP\/1\.1 (\d{3})/) || [])[1] || 0);

async function until(check, ms, what) {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms / 1000} s`);
    await sleep(50);
  }
}

/* A WebSocket handshake on a bare socket, for frames no client library sends. */
async function rawWebSocket(t, srv) {
  const r = rawSocket(t, srv.port, {
    send: 'GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
  });
  await until(() => r.data.includes('\r\n\r\n') || r.closed, FRAME_TIMEOUT_MS, 'the 101');
  equal(statusOf(r.data), 101, 'upgrade status');
  return r;
}

/* ------------------------------------------------------------------ the cases */

const cases = [];
const ONLY = process.env.LIMITS_ONLY; // runs only the cases whose name contains it
const test = (name, fn, { timeout = CASE_TIMEOUT_MS } = {}) => {
  if (!ONLY || name.includes(ONLY)) cases.push({ name, fn, timeout });
};

test('/healthz and /metrics answer on the admin listener only, and show no server path', async (t) => {
  const srv = await startServer(t);
  for (const p of ['/healthz', '/metrics'])
    equal((await httpGet(srv.port, p)).status, 404, `public ${p}`);
  const sneaky = rawSocket(t, srv.port, { send: 'GET /healthz/../metrics HTTP/1.1\r\nHost: x\r\n\r\n' });
  await until(() => sneaky.closed, FRAME_TIMEOUT_MS, 'the answer to /healthz/../metrics');
  equal(statusOf(sneaky.data), 404, 'public /healthz/../metrics');
  const health = await httpGet(srv.adminPort, '/healthz');
  equal(health.status, 200, 'admin /healthz');
  assert(!health.body.includes(ROOT), `/healthz shows the server's path ${ROOT}: ${show(health.body)}`);
  equal((await httpGet(srv.adminPort, '/metrics')).status, 200, 'admin /metrics');
  equal((await httpGet(srv.adminPort, '/')).status, 404, 'admin / (no files there)');
});

test('one address holds at most max-connections-per-address connections; others are still served', async (t) => {
  const srv = await startServer(t, { extra: ['--max-connections-per-address', '20'] });
  const socks = Array.from({ length: 60 }, () => rawSocket(t, srv.port)); // silent, like the attack
  await Promise.all(socks.map((s) => s.connected));
  await until(() => socks.filter((s) => s.closed).length >= 40, 5000, '40 connections refused');
  const refused = socks.filter((s) => s.closed);
  for (const s of refused) equal(statusOf(s.data), 429, 'status of a refused connection');
  equal(socks.length - refused.length, 20, 'connections held by the one address');
  const other = await openSocket(t, srv, { localAddress: OTHER_HOST });
  equal((await other.request({ type: 'ask', text: SOPOT_FR })).type, 'answer', 'another address is answered');
  equal((await httpGet(srv.adminPort, '/healthz', { ms: 1000 })).status, 200, '/healthz meanwhile');
  equal(await refusedStatus(t, srv, {}), 429, 'a WebSocket from the full address');
  equal(await metric(srv, 'passerelle_connections_refused_total{reason="per_address"}') >= 41, true,
    'per_address refusals counted');
});

test('behind a trusted proxy the forwarded address counts; a forged header from elsewhere does not', async (t) => {
  const srv = await startServer(t, { extra: ['--max-connections-per-address', '3', '--trusted-proxies', '127.0.0.1'] });
  const via = (ip) => ({ headers: { 'X-Forwarded-For': `${ip}, 127.0.0.1` } });
  for (let i = 0; i < 3; i++) await openSocket(t, srv, via('203.0.113.7'));
  equal(await refusedStatus(t, srv, via('203.0.113.7')), 429, 'the 4th WebSocket of 203.0.113.7 through the proxy');
  await openSocket(t, srv, via('203.0.113.8')); // another resident behind the same proxy
  // 127.0.0.2 is no trusted proxy: what it says in X-Forwarded-For is ignored
  for (let i = 0; i < 3; i++)
    await openSocket(t, srv, { localAddress: OTHER_HOST, headers: { 'X-Forwarded-For': `198.51.100.${i}` } });
  equal(await refusedStatus(t, srv, { localAddress: OTHER_HOST, headers: { 'X-Forwarded-For': '198.51.100.9' } }),
    429, 'a 4th connection of an untrusted peer with another forged address');
});

test('all connections of one address share address-rate-burst questions', async (t) => {
  const srv = await startServer(t, { extra: ['--address-rate-burst', '10', '--address-rate-per-second', '0.01'] });
  const clients = [];
  for (let i = 0; i < 5; i++) clients.push(await openSocket(t, srv));
  const replies = (await Promise.all(clients.map(async (c) => {
    for (let i = 0; i < 4; i++) await c.send({ type: 'ask', text: SOPOT_FR, id: i }); // 4 < rate-burst 8
    const got = [];
    for (let i = 0; i < 4; i++) got.push(await c.next());
    return got;
  }))).flat();
  equal(replies.filter((m) => m.type === 'answer').length, 10, 'answers to 20 questions from one address');
  equal(replies.filter((m) => m.code === 'rate_limited').length, 10, 'rate_limited errors');
});

test('idle-timeout closes a silent WebSocket with 1001; pings keep one open and are not questions', async (t) => {
  const srv = await startServer(t, { extra: ['--idle-timeout', '3'] });
  const silent = await openSocket(t, srv);
  const pinging = await openSocket(t, srv);
  equal(silent.welcome.idle_timeout_s, 3, 'welcome.idle_timeout_s');
  const pings = setInterval(() => pinging.send({ type: 'ping' }), 1000);
  t.cleanup.push(() => clearInterval(pings));
  const closed = await silent.waitClose(6000);
  equal(closed.code, 1001, 'close code of the silent one');
  assert(!pinging.closed, `the pinging one was closed too (${show(pinging.closed)})`);
  clearInterval(pings);
  pinging.queue.length = 0;
  for (let i = 0; i < 20; i++) pinging.send({ type: 'ping', id: i }); // more than rate-burst 8
  for (let i = 0; i < 20; i++) {
    const m = await pinging.next();
    equal(m.type, 'pong', `reply to ping ${i}`);
    equal(m.id, i, 'pong id');
  }
  equal((await pinging.request({ type: 'ask', text: SOPOT_FR })).type, 'answer', 'an ask after 20 pings');
  equal(await metric(srv, 'passerelle_connections_closed_total{reason="idle_timeout"}'), 1, 'idle closes counted');
});

test('a frame announcing 100 MiB that never comes is closed after frame-timeout', async (t) => {
  const srv = await startServer(t, { extra: ['--frame-timeout', '1'] });
  const r = await rawWebSocket(t, srv);
  const header = Buffer.alloc(14);
  header[0] = 0x81; // FIN, text
  header[1] = 0x80 | 127; // masked, 64-bit length
  header.writeBigUInt64BE(100n * 1024n * 1024n, 2);
  r.socket.write(Buffer.concat([header, Buffer.from([1, 2, 3, 4]), Buffer.alloc(64, 0x61)]));
  const sent = Date.now();
  await until(() => r.closed, 4000, 'the close of the stalled frame');
  assert(r.closedAt - sent < 3500, `closed after ${(r.closedAt - sent) / 1000} s`);
  equal(await metric(srv, 'passerelle_connections_closed_total{reason="frame_timeout"}'), 1, 'frame timeouts counted');
});

test('a connection that sends no request is closed after handshake-timeout', async (t) => {
  const srv = await startServer(t, { extra: ['--handshake-timeout', '1'] });
  const silent = rawSocket(t, srv.port);
  const slow = rawSocket(t, srv.port, { send: 'GET / HTTP/1.1\r\nHost: x\r\n' }); // never ends its headers
  await until(() => silent.closed && slow.closed, 4000, 'both closed');
  for (const r of [silent, slow]) assert(r.closedAt - r.opened < 3000, `held ${(r.closedAt - r.opened) / 1000} s`);
  equal((await httpGet(srv.port, '/')).status, 200, 'the page meanwhile');
});

test('request headers over max-header-bytes get 431, whatever the header', async (t) => {
  const srv = await startServer(t);
  for (const [name, size] of [['X-Pad', 9000], ['Cookie', 9000], ['X-Pad', 100000]]) {
    const r = rawSocket(t, srv.port, { send: `GET / HTTP/1.1\r\nHost: x\r\n${name}: ${'a'.repeat(size)}\r\n\r\n` });
    await until(() => statusOf(r.data) || r.closed, FRAME_TIMEOUT_MS, `the answer to a ${size}-byte ${name}`);
    equal(statusOf(r.data), 431, `status for a ${size}-byte ${name} header`);
  }
  equal((await httpGet(srv.port, '/', { headers: { 'X-Pad': 'a'.repeat(7000) } })).status, 200, 'a 7000-byte header');
  equal(await metric(srv, 'passerelle_connections_refused_total{reason="headers_too_large"}'), 3, '431s counted');
});

test('pages of other sites (and "null") are refused with 403; own and allowed origins are not', async (t) => {
  const srv = await startServer(t);
  equal(await refusedStatus(t, srv, { origin: 'https://evil.example' }), 403, 'Origin: https://evil.example');
  equal(await refusedStatus(t, srv, { origin: 'null' }), 403, 'Origin: null');
  equal(await refusedStatus(t, srv, { origin: `http://${HOST}:${srv.port}` }), 101, 'its own origin');
  equal(await refusedStatus(t, srv, {}), 101, 'no Origin (not a browser)');
  equal(await metric(srv, 'passerelle_connections_refused_total{reason="origin"}'), 2, 'origin refusals counted');
  const listed = await startServer(t, { extra: ['--allowed-origins', 'https://www.colombes.fr, https://colombes.fr'] });
  equal(await refusedStatus(t, listed, { origin: 'https://www.colombes.fr' }), 101, 'a listed origin');
  equal(await refusedStatus(t, listed, { origin: 'https://www.colombes.fr.evil.example' }), 403, 'a look-alike');
});

test('no file outside the web folder: symbolic links and dot segments are refused', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-web-'));
  t.cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.cpSync(path.join(ROOT, 'web'), dir, { recursive: true });
  const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-outside-'));
  t.cleanup.push(() => fs.rmSync(outside, { recursive: true, force: true }));
  fs.writeFileSync(path.join(outside, 'secret.txt'), 'not for the web\n');
  fs.symlinkSync(outside, path.join(dir, 'outside')); // like ln -s /etc web/etc
  fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(dir, 'secret.txt'));
  fs.symlinkSync('/etc', path.join(dir, 'etc'));
  fs.symlinkSync(path.join(dir, 'index.html'), path.join(dir, 'inside.html'));
  const srv = await startServer(t, { web: dir });
  equal((await httpGet(srv.port, '/index.html')).status, 200, '/index.html');
  for (const p of ['/outside/secret.txt', '/secret.txt', '/etc/passwd', '/etc/os-release', '/inside.html'])
    equal((await httpGet(srv.port, p)).status, 404, p);
  for (const p of ['/../../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/.hidden']) {
    const r = rawSocket(t, srv.port, { send: `GET ${p} HTTP/1.1\r\nHost: x\r\n\r\n` });
    await until(() => r.closed, FRAME_TIMEOUT_MS, `the answer to ${p}`);
    assert(!r.data.includes('root:'), `${p} served /etc/passwd`);
    assert([403, 404].includes(statusOf(r.data)), `${p}: status ${statusOf(r.data)}`);
  }
});

test('SIGTERM: 200 connections with 2 questions in flight each get all 400 answers, then 1001', async (t) => {
  const srv = await startServer(t, { extra: ['--max-connections-per-address', '1000',
    '--address-rate-burst', '100000', '--address-rate-per-second', '100000'] });
  const clients = await Promise.all(Array.from({ length: 200 }, () => openSocket(t, srv)));
  // long questions (about a millisecond each to answer), so that most are still waiting in the
  // sockets when the signal comes, however fast the machine
  const long = 'Où se trouve Sopot et quelles sont les villes jumelles de Colombes ? '.repeat(13);
  await Promise.all(clients.flatMap((c) => [0, 1].map((i) => c.send({ type: 'ask', text: long, id: i }))));
  srv.proc.kill('SIGTERM'); // the questions are written to the sockets; most are not answered yet
  const closes = await Promise.all(clients.map((c) => c.waitClose(12000)));
  const answers = clients.reduce((n, c) => n + c.all.filter((m) => m.type === 'answer').length, 0);
  equal(400 - answers, 0, 'questions lost');
  equal(closes.filter((c) => c.code === 1001).length, 200, 'connections closed with 1001');
  equal((await withTimeout(srv.exit, 5000, 'exit')).code, 0, 'exit status');
}, { timeout: 30000 });

test('under a low open-file limit the server caps connections, says so, and neither spins nor floods its log', async (t) => {
  const srv = await startServer(t, { nofile: 256, extra: ['--max-connections-per-address', '10000'] });
  const socks = Array.from({ length: 400 }, () => rawSocket(t, srv.port));
  await Promise.all(socks.map((s) => s.connected));
  await sleep(1500);
  const refused = socks.filter((s) => s.closed);
  assert(refused.length >= 200, `only ${refused.length} of 400 refused`);
  for (const s of refused) equal(statusOf(s.data), 503, 'status of a connection over the limit');
  const started = Date.now();
  equal((await httpGet(srv.adminPort, '/healthz', { ms: 2000 })).status, 200, '/healthz meanwhile');
  assert(Date.now() - started < 1000, `/healthz took ${Date.now() - started} ms`);
  const lines = srv.log.trim().split('\n').length;
  assert(lines < 20, `${lines} log lines: ${show(srv.log.slice(-300))}`);
  assert(/open-file limit \(256\) is below max-connections/.test(srv.log), `no warning: ${show(srv.log)}`);
}, { timeout: 20000 });

test('the configuration is checked at start: a bad file, value or variable exits 2 and says where', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-conf-'));
  t.cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'passerelle.conf');
  const run = (args, env = {}) => spawnSync(BIN, ['serve', ...args], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 5000 });
  fs.writeFileSync(file, '# limits\nidle-timeout = 30\nmax-connectoins = 5\n');
  let r = run(['--config', file]);
  equal(r.status, 2, 'exit status for an unknown key');
  assert(r.stderr.includes(`${file}:3: unknown setting 'max-connectoins'`), `message: ${show(r.stderr)}`);
  r = run(['--print-config'], { PASSERELLE_IDLE_TIMEOUT: 'soon' });
  equal(r.status, 2, 'exit status for a bad variable');
  assert(r.stderr.includes('PASSERELLE_IDLE_TIMEOUT'), `message: ${show(r.stderr)}`);
  fs.writeFileSync(file, 'idle-timeout = 30\nmax-connections = 5\n');
  r = run(['--config', file, '--print-config'], { PASSERELLE_MAX_CONNECTIONS: '7' });
  equal(r.status, 0, `--print-config status (${r.stderr})`);
  assert(/^idle-timeout = 30$/m.test(r.stdout), 'the file sets idle-timeout');
  assert(/^max-connections = 7$/m.test(r.stdout), 'the environment wins over the file');
  r = run(['--config', file, '--max-connections', '9', '--print-config'], { PASSERELLE_MAX_CONNECTIONS: '7' });
  assert(/^max-connections = 9$/m.test(r.stdout), 'a flag wins over the environment');
  r = run(['--max-text', '5000', '--print-config']);
  equal(r.status, 2, 'max-text too large for max-frame-bytes');
});

test('/metrics passes `promtool check metrics` after traffic of every kind', async (t) => {
  if (!PROMTOOL) throw new Error('promtool not given (install Debian\'s prometheus package)');
  const srv = await startServer(t, { extra: ['--idle-timeout', '3'] });
  const c = await openSocket(t, srv);
  await c.request({ type: 'ask', text: SOPOT_FR });
  await c.request({ type: 'ask', text: 'الطقس في سوبوت غدا' });
  await c.request({ type: 'ping' });
  await c.request('not json');
  await refusedStatus(t, srv, { origin: 'https://evil.example' });
  const body = (await httpGet(srv.adminPort, '/metrics')).body;
  for (const name of ['passerelle_reply_seconds_bucket', 'passerelle_answers_total{intent="partner.sopot"}',
    'passerelle_reload_seconds_count', 'passerelle_connections_refused_total{reason="origin"}'])
    assert(body.includes(name), `/metrics lacks ${name}`);
  const r = spawnSync(PROMTOOL, ['check', 'metrics'], { input: body, encoding: 'utf8', timeout: 10000 });
  equal(r.status, 0, `promtool check metrics (${(r.stdout + r.stderr).trim()})`);
});

/* ------------------------------------------------------------------ running */

function killAll() {
  for (const srv of servers) try { srv.proc.kill('SIGKILL'); } catch { /* gone */ }
}
process.on('exit', killAll);

const started = Date.now();
let passed = 0;
let failed = 0;
for (const c of cases) {
  const t = { servers: [], cleanup: [] };
  let error = null;
  const left = RUN_BUDGET_MS - (Date.now() - started);
  try {
    if (left <= 0) throw new Error('not run: the run took longer than its budget');
    await withTimeout(Promise.resolve().then(() => c.fn(t)), Math.min(c.timeout, left), 'case');
  } catch (e) {
    error = e;
  }
  for (const f of t.cleanup) try { f(); } catch { /* best effort */ }
  for (const srv of t.servers) if (!srv.exited) srv.proc.kill('SIGKILL');
  await Promise.all(t.servers.map((srv) => withTimeout(srv.exit, 2000, 'kill').catch(() => {})));
  if (error) {
    failed++;
    console.log(`not ok - ${c.name}: ${String(error.message ?? error).replace(/\s*\n\s*/g, ' | ')}`);
    const log = t.servers.map((s) => s.log.trim().split('\n').slice(-5).join('\n')).join('\n');
    if (log) console.error(`--- the server's log (last lines) ---\n${log}`);
  } else {
    passed++;
    console.log(`ok - ${c.name}`);
  }
}
killAll();
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed === 0 && passed > 0 ? 0 : 1;

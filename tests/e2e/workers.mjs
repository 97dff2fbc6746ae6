#!/usr/bin/env node
// End-to-end tests of `passerelle serve --workers 2`: two service threads in one process, each
// with its own listener on the same port, that the operator must still see as one server.
//
//   node tests/e2e/workers.mjs --bin build/passerelle --root .
//
// Prints one `ok - name` / `not ok - name: reason` line per case, then `N passed, N failed`; exit
// status 0 only when every case passed (2 on a usage error). One server runs every case but the
// last, on a copy of the knowledge; every server it starts is stopped.
//
// The cases: both workers take connections (the kernel spreads them: /metrics says how many each
// holds), /metrics adds the workers up (answers, connections, messages equal what the clients
// saw), the per-address connection limit holds for the process and not per worker, a reload
// reaches the connections of both workers, and SIGTERM answers every question in flight on both
// workers before closing them with 1001 and exiting 0.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { assert, freePort, httpGet, metricValue, parseCommandLine, sleep, watchServer, withTimeout }
  from '../lib/harness.mjs';

const HOST = '127.0.0.1';
const WORKERS = 2;
const CLIENT_ADDRESSES = ['127.0.0.11', '127.0.0.12', '127.0.0.13', '127.0.0.14']; // Linux routes 127/8 here
const PER_ADDRESS = 10;               // connections each of those opens: 40 in all
const LIMIT_ADDRESS = '127.0.0.20';   // the address that tries more than its share
const MAX_PER_ADDRESS = 12;           // --max-connections-per-address
const LIMIT_TRIES = 30;               // its attempts; per worker, 2 × 12 = 24 would get in
const IN_FLIGHT = 2;                  // questions each client has in flight at SIGTERM
const FRAME_TIMEOUT_MS = 5000;
const START_TIMEOUT_MS = 8000;
const RELOAD_WAIT_MS = 15000;
const STOP_WAIT_MS = 10000;
const CASE_TIMEOUT_MS = 30000;
const RUN_BUDGET_MS = 120000;
const SOPOT_FR = 'Où se trouve Sopot ?';
const NEW_TEXT = 'Sopot : réponse modifiée pour les deux workers.';
const FAST_RELOAD = ['--reload-interval', '0.3', '--reload-debounce', '0.2'];
// per connection and per address question budgets out of the way: these cases count answers
const NO_RATE_LIMITS = ['--rate-burst', '1000', '--rate-per-second', '1000',
  '--address-rate-burst', '10000', '--address-rate-per-second', '10000'];

const USAGE = 'usage: node tests/e2e/workers.mjs --bin PATH/passerelle --root REPO_ROOT';
const opts = parseCommandLine(process.argv.slice(2), ['bin', 'root'], USAGE);
const BIN = path.resolve(opts.bin);
const ROOT = path.resolve(opts.root);

let WebSocket;
try {
  ({ default: WebSocket } = await import('ws'));
} catch {
  console.error('the `ws` package is not installed: run `npm ci` in tests/e2e first');
  console.log('0 passed, 1 failed');
  process.exit(1);
}

const show = (v) => JSON.stringify(v) ?? String(v);
const equal = (actual, expected, what) =>
  assert(actual === expected, `${what}: expected ${show(expected)}, got ${show(actual)}`);

/* ------------------------------------------------------------------ the server */

const servers = new Set();
const tmpDirs = [];

function copyKnowledge() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-workers-'));
  tmpDirs.push(dir);
  fs.cpSync(path.join(ROOT, 'intents'), path.join(dir, 'intents'), { recursive: true });
  fs.cpSync(path.join(ROOT, 'locales'), path.join(dir, 'locales'), { recursive: true });
  return dir;
}

async function startServer(dir, extra = []) {
  const port = await freePort(HOST);
  const adminPort = await freePort(HOST);
  const args = ['serve', '--workers', String(WORKERS), '--listen', `${HOST}:${port}`,
    '--admin-listen', `${HOST}:${adminPort}`, '--intents', path.join(dir, 'intents'),
    '--locales', path.join(dir, 'locales'), '--web', path.join(ROOT, 'web'),
    '--staff-log', path.join(dir, 'staff.jsonl'), ...extra];
  const proc = spawn(BIN, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const srv = watchServer(proc, servers, port, adminPort);
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (srv.exited) throw new Error(`the server exited at start (${show(srv.exited)}): ${srv.log.trim()}`);
    try {
      if ((await httpGet(HOST, adminPort, '/healthz', { ms: 1000 })).status === 200) return srv;
    } catch { /* not yet */ }
    if (Date.now() > deadline) throw new Error(`the server did not answer /healthz: ${srv.log.trim()}`);
    await sleep(100);
  }
}

const metrics = async (srv) => (await httpGet(HOST, srv.adminPort, '/metrics')).body;
const healthz = async (srv) => JSON.parse((await httpGet(HOST, srv.adminPort, '/healthz')).body);
const perWorker = (text, family) =>
  Array.from({ length: WORKERS }, (_, i) => metricValue(text, `${family}{worker="${i}"}`));

/* ------------------------------------------------------------------ clients */

class Client {
  constructor(ws) {
    this.ws = ws;
    this.queue = [];
    this.waiters = [];
    this.closed = null;
    ws.on('message', (data) => { this.queue.push(JSON.parse(data.toString('utf8'))); this.wake(); });
    ws.on('close', (code) => { this.closed = { code }; this.wake(); });
    ws.on('error', () => {});
  }
  wake() { const w = this.waiters; this.waiters = []; w.forEach((f) => f()); }
  async next(what) {
    const deadline = Date.now() + FRAME_TIMEOUT_MS;
    while (!this.queue.length && !this.closed) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${what}: not within ${FRAME_TIMEOUT_MS / 1000} s`);
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => { clearTimeout(timer); resolve(); });
      });
    }
    if (!this.queue.length) throw new Error(`closed (${this.closed.code}) while waiting for ${what}`);
    return this.queue.shift();
  }
  async closeCode() {
    while (!this.closed) await new Promise((resolve) => this.waiters.push(resolve));
    return this.closed.code;
  }
  send(frame) { this.ws.send(JSON.stringify(frame)); }
  async ask(text, id) { this.send({ type: 'ask', text, lang: 'fr', id }); return this.next(`the reply to ${id}`); }
  close() { this.ws.terminate(); }
}

/* A WebSocket from localAddress and its welcome; rejects with .status on an HTTP refusal. */
function open(srv, localAddress) {
  return withTimeout(new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://${HOST}:${srv.port}/ws`, { localAddress });
    const client = new Client(ws);
    ws.once('open', async () => {
      try {
        equal((await client.next('the welcome')).type, 'welcome', 'first frame');
        resolve(client);
      } catch (e) { reject(e); }
    });
    ws.once('unexpected-response', (_req, res) => {
      ws.terminate();
      reject(Object.assign(new Error(`upgrade refused with HTTP ${res.statusCode}`), { status: res.statusCode }));
    });
    ws.once('error', (e) => reject(Object.assign(new Error(`cannot connect: ${e.message}`), { status: 0 })));
  }), FRAME_TIMEOUT_MS, 'opening a WebSocket');
}

const openMany = (srv) => Promise.all(CLIENT_ADDRESSES.flatMap((a) =>
  Array.from({ length: PER_ADDRESS }, () => open(srv, a))));

/* ------------------------------------------------------------------ cases */

const cases = [];
const test = (name, fn) => cases.push({ name, fn });
const shared = { srv: null, dir: null, clients: [], answers: 0, messages: 0 };

test('both workers take connections, and /metrics says how many each holds', async () => {
  shared.dir = copyKnowledge();
  shared.srv = await startServer(shared.dir,
    ['--max-connections-per-address', String(MAX_PER_ADDRESS), ...FAST_RELOAD, ...NO_RATE_LIMITS]);
  shared.clients = await openMany(shared.srv);
  const text = await metrics(shared.srv);
  equal(metricValue(text, 'passerelle_workers'), WORKERS, 'passerelle_workers');
  const open = perWorker(text, 'passerelle_worker_connections');
  assert(open.every((n) => n > 0), `a worker holds no connection: ${show(open)}`);
  equal(open.reduce((a, b) => a + b, 0), shared.clients.length, 'connections held by the workers together');
  equal(metricValue(text, 'passerelle_connections'), shared.clients.length, 'passerelle_connections');
  equal((await healthz(shared.srv)).connections, shared.clients.length, '/healthz connections');
});

test('/metrics adds the workers up: answers, connections and messages as the clients saw them', async () => {
  const before = await metrics(shared.srv);
  const replies = await Promise.all(shared.clients.map((c, i) => c.ask(SOPOT_FR, `q${i}`)));
  shared.messages += replies.length;
  const answers = replies.filter((r) => r.type === 'answer' && r.intent === 'partner.sopot').length;
  equal(answers, shared.clients.length, 'answers received');
  const after = await metrics(shared.srv);
  const delta = (line) => metricValue(after, line) - (metricValue(before, line) || 0);
  equal(delta('passerelle_replies_total{kind="answer"}'), answers, 'passerelle_replies_total{kind="answer"} growth');
  equal(delta('passerelle_answers_total{intent="partner.sopot"}'), answers, 'passerelle_answers_total growth');
  equal(delta('passerelle_questions_total{lang="fr"}'), answers, 'passerelle_questions_total{lang="fr"} growth');
  equal(metricValue(after, 'passerelle_connections_total'), shared.clients.length, 'passerelle_connections_total');
  const messages = perWorker(after, 'passerelle_worker_messages_total');
  assert(messages.every((n) => n > 0), `a worker answered nothing: ${show(messages)}`);
  equal(messages.reduce((a, b) => a + b, 0), shared.messages, 'messages handled by the workers together');
  const accepted = perWorker(after, 'passerelle_worker_connections_total');
  equal(accepted.reduce((a, b) => a + b, 0), metricValue(after, 'passerelle_connections_total'),
    'connections accepted by the workers together');
  equal(metricValue(after, 'passerelle_reply_seconds_count') - (metricValue(before, 'passerelle_reply_seconds_count') || 0),
    answers, 'passerelle_reply_seconds_count growth');
});

/* Opens LIMIT_TRIES connections from one address, one after the other (so that the kernel's
 * spreading, not the order the workers happen to accept in, decides which worker takes each). */
async function tryOneAddress(srv) {
  const held = [];
  const refused = [];
  for (let i = 0; i < LIMIT_TRIES; i++) {
    try { held.push(await open(srv, LIMIT_ADDRESS)); } catch (e) { refused.push(e); }
  }
  return { held, refused };
}

test(`one address holds ${MAX_PER_ADDRESS} connections on the two workers together, not ${MAX_PER_ADDRESS} on each`, async () => {
  // the connections held must have reached both workers for the case to say anything: the
  // first 12 all land on one worker once in 2,048 tries; then the case tries again
  for (let attempt = 1; ; attempt++) {
    const before = await metrics(shared.srv);
    const { held, refused } = await tryOneAddress(shared.srv);
    try {
      equal(held.length, MAX_PER_ADDRESS, 'connections held by one address');
      const statuses = [...new Set(refused.map((e) => e.status))];
      equal(show(statuses), show([429]), 'the status of the refused ones');
      const after = await metrics(shared.srv);
      const reason = 'passerelle_connections_refused_total{reason="per_address"}';
      equal(metricValue(after, reason) - metricValue(before, reason), LIMIT_TRIES - MAX_PER_ADDRESS, 'refusals counted');
      const grew = perWorker(after, 'passerelle_worker_connections_total').map((n, i) =>
        n - perWorker(before, 'passerelle_worker_connections_total')[i]);
      if (grew.every((n) => n > 0)) return;
      assert(attempt < 3, `the address' connections never reached both workers: ${show(grew)}`);
    } finally {
      held.forEach((c) => c.close());
    }
    await sleep(300); // the closed connections given back
  }
});

test('an edit of the knowledge reaches the connections of both workers', async () => {
  const file = path.join(shared.dir, 'intents', 'partner', 'sopot.json');
  const edited = JSON.parse(fs.readFileSync(file, 'utf8'));
  edited.answers.fr = NEW_TEXT;
  fs.writeFileSync(file, `${JSON.stringify(edited, null, 2)}\n`);
  const deadline = Date.now() + RELOAD_WAIT_MS;
  let stale = shared.clients;
  while (stale.length) {
    if (Date.now() > deadline) throw new Error(`${stale.length} connections still get the old answer`);
    await sleep(300);
    const replies = await Promise.all(stale.map((c, i) => c.ask(SOPOT_FR, `r${i}`)));
    shared.messages += replies.length;
    stale = stale.filter((_, i) => replies[i].text !== NEW_TEXT);
  }
  const text = await metrics(shared.srv);
  equal(metricValue(text, 'passerelle_reloads_total{result="ok"}'), 1, 'reloads');
  const h = await healthz(shared.srv);
  equal(h.last_reload.ok, true, '/healthz last_reload.ok');
  const messages = perWorker(text, 'passerelle_worker_messages_total');
  equal(messages.reduce((a, b) => a + b, 0), shared.messages, 'messages handled by the workers together');
});

test(`SIGTERM: ${IN_FLIGHT} questions in flight on each connection of both workers are all answered, then 1001, exit 0`, async () => {
  const { srv, clients } = shared;
  for (const [i, c] of clients.entries())
    for (let k = 0; k < IN_FLIGHT; k++) c.send({ type: 'ask', text: SOPOT_FR, lang: 'fr', id: `s${i}-${k}` });
  srv.proc.kill('SIGTERM');
  const results = await Promise.all(clients.map(async (c) => {
    const code = await withTimeout(c.closeCode(), STOP_WAIT_MS, 'the close');
    return { code, answers: c.queue.filter((m) => m.type === 'answer' && m.text === NEW_TEXT).length };
  }));
  const lost = results.reduce((n, r) => n + IN_FLIGHT - r.answers, 0);
  equal(lost, 0, 'questions in flight left unanswered');
  const codes = [...new Set(results.map((r) => r.code))];
  equal(show(codes), show([1001]), 'close codes');
  const exit = await withTimeout(srv.exit, STOP_WAIT_MS, 'the exit');
  equal(show(exit), show({ code: 0, signal: null }), 'exit');
  assert(/2 workers/.test(srv.log), `the start line does not say how many workers: ${srv.log}`);
});

test('a second server on the same port refuses to start, as with one worker', async () => {
  const dir = copyKnowledge();
  const first = await startServer(dir, ['--reload-interval', '60']);
  const adminPort = await freePort(HOST);
  const second = spawn(BIN, ['serve', '--workers', String(WORKERS), '--listen', `${HOST}:${first.port}`,
    '--admin-listen', `${HOST}:${adminPort}`, '--intents', path.join(dir, 'intents'),
    '--locales', path.join(dir, 'locales')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  second.stderr.on('data', (d) => { log += d; });
  const code = await withTimeout(new Promise((resolve) => second.on('exit', resolve)), START_TIMEOUT_MS, 'the second server');
  first.proc.kill('SIGTERM');
  await withTimeout(first.exit, STOP_WAIT_MS, 'the first server\'s exit');
  equal(code, 1, 'the second server\'s exit status');
  assert(/cannot listen on/.test(log), `the second server does not say why: ${log}`);
});

/* ------------------------------------------------------------------ running */

const runTimer = setTimeout(() => {
  console.error(`the whole run took over ${RUN_BUDGET_MS / 1000} s`);
  for (const s of servers) s.proc.kill('SIGKILL');
  process.exit(1);
}, RUN_BUDGET_MS);

let passed = 0;
let failed = 0;
for (const c of cases) {
  try {
    await withTimeout(c.fn(), CASE_TIMEOUT_MS, c.name);
    console.log(`ok - ${c.name}`);
    passed++;
  } catch (e) {
    console.log(`not ok - ${c.name}: ${e.message}`);
    failed++;
    if (shared.srv) process.stderr.write(shared.srv.log.split('\n').slice(-20).join('\n'));
  }
}
for (const c of shared.clients) c.close();
for (const s of servers) {
  s.proc.kill('SIGKILL');
  await s.exit;
}
for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true });
clearTimeout(runTimer);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);

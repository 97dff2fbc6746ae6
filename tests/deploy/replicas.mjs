#!/usr/bin/env node
// Three replicas of the server behind Debian's nginx, with the site file of deploy/nginx/, over TLS.
//
//   node tests/deploy/replicas.mjs --bin build/passerelle --root .
//
// Makes a self-signed certificate with openssl in a temporary folder, starts three
// `passerelle serve` (each its own --listen and --admin-listen, one --context-secret-file for all,
// --trusted-proxies 127.0.0.1) and nginx as the current user (its prefix, pid, logs and temporary
// files in that folder, loopback ports chosen free) with deploy/nginx/passerelle.conf, in which
// only the ports, the certificate, the web folder and the replicas are replaced. Then, over
// wss:// through nginx (the client trusts that one certificate, nothing else changes):
//
//   - the site: TLS, security and cache headers, /healthz and /metrics not proxied, http → https;
//   - a conversation in five languages and a click on a suggestion;
//   - the demo page in Chromium (playwright-core from tests/browser): the widget answers over
//     wss:// and the page's Content-Security-Policy blocks nothing;
//   - a follow-up on another replica: "Parlez-moi de Sopot" answered by one replica, then
//     "depuis quand ?" with the reply's context token on a connection nginx gave to another one
//     (which replica holds a connection is read from each one's /metrics); without the token,
//     or with a damaged one, the same question is not answered as partner.sopot;
//   - load: 20 residents (each its own address in X-Forwarded-For) ask in a loop, one replica is
//     killed (SIGKILL) while their questions are in flight; like the widget, a resident whose
//     connection drops reconnects through nginx, sends again the question left unanswered and
//     its last context token. So that the kill finds questions in flight, the replica is frozen
//     (SIGSTOP) while every resident asks, then killed. Counted: questions sent, answered, lost
//     (only those in flight on the killed replica may be); reconnects; contexts kept.
//
// Prints `ok - case` / `not ok - case: reason` per case, the figures, then `N passed, N failed`.
// Exit status 0 when every case passed, 1 otherwise, 77 (skipped) when nginx is not installed
// (Debian package nginx-light; deploy/setup.sh test installs it), 2 on a usage error.
// Uses node built-ins and `ws` from tests/e2e (npm ci there).

import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { assert, freePort, parseCommandLine, sleep, withTimeout } from '../lib/harness.mjs';

const HOST = '127.0.0.1';
const SKIP = 77;
const REPLICAS = 3;
const RESIDENTS = 20;
const LOAD_BEFORE_KILL_MS = 4000; // residents asking before one replica is killed...
const LOAD_AFTER_KILL_MS = 6000;  // ...and after: time to reconnect, re-send, go on
const THINK_MS = 150;             // between an answer and the next question
const DRAIN_MS = 5000;            // after the load, for the last answers
const FREEZE_MS = 200;            // the victim frozen before the kill, its questions in flight
const FRAME_TIMEOUT_MS = 3000;
const START_TIMEOUT_MS = 5000;
const CASE_TIMEOUT_MS = 10000;
const RUN_BUDGET_MS = 60000;
// The widget's reconnection (web/passerelle.js): exponential backoff with jitter.
const BACKOFF_BASE_MS = 500;
const BACKOFF_CAP_MS = 10000;
// Scripted residents ask faster than people type: the per-connection budget is raised so that the
// load is not refused. Per address the defaults hold, each resident having its own address.
const LOAD_LIMITS = ['--rate-burst', '20', '--rate-per-second', '12'];
// The follow-up pairs of tests/eval/followups.jsonl the residents ask: a question naming a
// partner, then one that only makes sense in its context. Two per language.
const PAIRS = ['fr-01', 'fr-02', 'de-02', 'de-03', 'pl-01', 'pl-02', 'pt-01', 'pt-02', 'ar-01', 'ar-02'];
const LANGS = ['fr', 'de', 'pl', 'pt', 'ar'];
const SITE_FILE = 'deploy/nginx/passerelle.conf';
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const USAGE = 'usage: node tests/deploy/replicas.mjs --bin PATH/passerelle --root REPO_ROOT';
const opts = parseCommandLine(process.argv.slice(2), ['bin', 'root'], USAGE);
const BIN = path.resolve(opts.bin);
const ROOT = path.resolve(opts.root);

/* ------------------------------------------------------------------ what is needed */

function which(name, extra = []) {
  for (const dir of [...(process.env.PATH || '').split(':'), ...extra]) {
    const p = path.join(dir || '.', name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch { /* not here */ }
  }
  return null;
}

const NGINX = which('nginx', ['/usr/sbin', '/sbin']);
if (!NGINX) {
  console.log('SKIP: nginx is not installed (Debian package nginx-light; deploy/setup.sh test installs it):'
    + ' the three-replica proxy test was not run.');
  process.exit(SKIP);
}
const OPENSSL = which('openssl');
let WebSocket;
try {
  ({ default: WebSocket } = await import(new URL('../e2e/node_modules/ws/index.js', import.meta.url)));
} catch {
  console.error('the `ws` package is not installed: run `npm ci` in tests/e2e first');
}
if (!OPENSSL) console.error('openssl is not installed (Debian package openssl): it makes the test certificate');
if (!fs.existsSync(BIN)) console.error(`server binary not found: ${BIN}`);
if (!OPENSSL || !WebSocket || !fs.existsSync(BIN)) {
  console.log('0 passed, 1 failed');
  process.exit(1);
}

/* ------------------------------------------------------------------ small helpers */

function show(value, max = 160) {
  let s = JSON.stringify(value) ?? String(value);
  if (s.length > max) s = `${s.slice(0, max)}…`;
  return s;
}

function equal(actual, expected, what) {
  assert(actual === expected, `${what}: expected ${show(expected)}, got ${show(actual)}`);
}

const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-replicas-'));
const children = new Set();

function cleanUp() {
  for (const c of children) {
    try {
      c.kill('SIGKILL');
    } catch { /* gone */ }
  }
  fs.rmSync(TMP, { recursive: true, force: true });
}
process.on('exit', cleanUp);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => process.exit(1));
}

function spawnLogged(cmd, args) {
  const proc = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const child = { proc, log: '', exited: null };
  children.add(proc);
  child.exit = new Promise((resolve) => {
    proc.on('exit', (code, signal) => {
      children.delete(proc);
      child.exited = { code, signal };
      resolve(child.exited);
    });
  });
  proc.on('error', (e) => { child.log += `spawn error: ${e.message}\n`; });
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (d) => { child.log += d; });
  return child;
}

/* GET over http or https; resolves {status, headers, body}. */
function get(url, { ca, ms = FRAME_TIMEOUT_MS, headers = {} } = {}) {
  const lib = url.startsWith('https:') ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.get(url, { ca, timeout: ms, headers, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers,
        body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: no response within ${ms / 1000} s`)));
    req.on('error', reject);
  });
}

async function waitFor(check, ms, what) {
  const deadline = Date.now() + ms;
  let last;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (e) {
      last = e.message;
    }
    await sleep(100);
  }
  throw new Error(`${what} (waited ${ms / 1000} s${last ? `; last: ${last}` : ''})`);
}

/* ------------------------------------------------------------------ the knowledge */

const followups = new Map(fs.readFileSync(path.join(ROOT, 'tests/eval/followups.jsonl'), 'utf8')
  .split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l)).map((r) => [r.id, r]));
const pairs = PAIRS.map((id) => {
  const r = followups.get(`followup-${id}`);
  if (!r || !r.expect[0]) throw new Error(`tests/eval/followups.jsonl: no answered pair followup-${id}`);
  return { lang: r.lang, topic: r.context, followup: r.text, intent: r.expect[0] };
});

/* ------------------------------------------------------------------ the set-up */

function openssl(args) {
  const r = spawnSync(OPENSSL, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr.trim()}`);
}

function makeCertificate() {
  const cert = path.join(TMP, 'cert.pem');
  const key = path.join(TMP, 'key.pem');
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=passerelle-test',
    '-addext', `subjectAltName=IP:${HOST}`]);
  return { cert, key, ca: fs.readFileSync(cert) };
}

/* Whether the server knows a setting (it refuses to start with one it does not). */
function serverKnows(setting) {
  const r = spawnSync(BIN, ['serve', '--print-config'], { encoding: 'utf8' });
  return new RegExp(`^${setting} =`, 'm').test(r.stdout);
}

async function startReplica(n, secretFile) {
  const port = await freePort(HOST);
  const adminPort = await freePort(HOST);
  const args = ['serve', '--listen', `${HOST}:${port}`, '--admin-listen', `${HOST}:${adminPort}`,
    '--intents', path.join(ROOT, 'intents'), '--locales', path.join(ROOT, 'locales'),
    '--web', path.join(ROOT, 'web'), '--trusted-proxies', HOST, ...LOAD_LIMITS];
  if (secretFile) args.push('--context-secret-file', secretFile);
  const r = { n, port, adminPort, ...spawnLogged(BIN, args) };
  await waitFor(async () => {
    if (r.exited) throw new Error(`replica ${n} exited (${show(r.exited)}): ${r.log.trim()}`);
    return (await get(`http://${HOST}:${adminPort}/healthz`, { ms: 1000 })).status === 200;
  }, START_TIMEOUT_MS, `replica ${n} did not answer /healthz on its admin port`);
  return r;
}

/* deploy/nginx/passerelle.conf with the machine's values replaced by the test's. Every
 * replacement must find its line: when the file changes shape, the test says which. */
function siteForTest(site, { httpPort, httpsPort, cert, key, replicas }) {
  let text = fs.readFileSync(path.join(ROOT, SITE_FILE), 'utf8');
  const replace = (re, by, what) => {
    assert(re.test(text), `${SITE_FILE}: no ${what} to adapt to the test (${re})`);
    text = text.replace(re, by);
  };
  replace(/^\s*listen \[::\]:80;\n/m, '', 'IPv6 http listen');
  replace(/^(\s*)listen 80;/m, `$1listen ${HOST}:${httpPort};`, '`listen 80;`');
  replace(/^\s*listen \[::\]:443 ssl http2;\n/m, '', 'IPv6 https listen');
  replace(/^(\s*)listen 443 ssl http2;/m, `$1listen ${HOST}:${httpsPort} ssl http2;`, '`listen 443 ssl http2;`');
  replace(/^(\s*)ssl_certificate\s+\S+;/m, `$1ssl_certificate ${cert};`, 'ssl_certificate');
  replace(/^(\s*)ssl_certificate_key\s+\S+;/m, `$1ssl_certificate_key ${key};`, 'ssl_certificate_key');
  replace(/^(\s*)root \/usr\/local\/share\/passerelle\/web;/m, `$1root ${path.join(ROOT, 'web')};`,
    'root of the web folder');
  // The replicas: the upstream's server lines, with the parameters the file gives them.
  const upstream = /(upstream passerelle \{[^}]*?)((?:^\s*server [^\n]*\n)+)/m;
  const m = text.match(upstream);
  assert(m, `${SITE_FILE}: no server lines in upstream passerelle`);
  const params = m[2].match(/server \S+\s*([^;]*);/)[1];
  const indent = m[2].match(/^(\s*)/)[1];
  text = text.replace(upstream, (_all, head) => head
    + replicas.map((r) => `${indent}server ${HOST}:${r.port} ${params};\n`).join(''));
  fs.writeFileSync(site, text);
  return text;
}

async function startNginx(replicas, certificate) {
  const httpPort = await freePort(HOST);
  const httpsPort = await freePort(HOST);
  const prefix = path.join(TMP, 'nginx');
  fs.mkdirSync(prefix);
  const site = path.join(prefix, 'passerelle.conf');
  const siteText = siteForTest(site, { httpPort, httpsPort, replicas, ...certificate });
  // As the current user; started as root, nginx would hand its workers to "nobody", who may not
  // read the repository.
  const user = process.getuid() === 0 ? 'user root root;\n' : '';
  const mime = fs.existsSync('/etc/nginx/mime.types') ? 'include /etc/nginx/mime.types;'
    : 'types { text/html html; text/css css; text/javascript js; application/json json; }';
  fs.writeFileSync(path.join(prefix, 'nginx.conf'), `${user}daemon off;
worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections 512; }
http {
    ${mime}
    default_type application/octet-stream;
    access_log ${prefix}/access.log;
    client_body_temp_path ${prefix}/client_body;
    proxy_temp_path ${prefix}/proxy;
    fastcgi_temp_path ${prefix}/fastcgi;
    uwsgi_temp_path ${prefix}/uwsgi;
    scgi_temp_path ${prefix}/scgi;
    include ${site};
}
`);
  const args = ['-p', prefix, '-c', path.join(prefix, 'nginx.conf'), '-e', path.join(prefix, 'error.log')];
  const check = spawnSync(NGINX, [...args, '-t'], { encoding: 'utf8' });
  if (check.status !== 0) throw new Error(`nginx -t refused the configuration: ${check.stderr.trim()}`);
  const nginx = { httpPort, httpsPort, siteText, prefix, ...spawnLogged(NGINX, args) };
  await waitFor(async () => {
    if (nginx.exited) {
      const log = fs.existsSync(path.join(prefix, 'error.log')) ? fs.readFileSync(path.join(prefix, 'error.log'), 'utf8') : '';
      throw new Error(`nginx exited (${show(nginx.exited)}): ${nginx.log.trim()} ${log.trim()}`);
    }
    return (await get(`https://${HOST}:${httpsPort}/`, { ca: certificate.ca, ms: 1000 })).status === 200;
  }, START_TIMEOUT_MS, 'nginx did not serve https://');
  return nginx;
}

/* ------------------------------------------------------------------ metrics of a replica */

/* The value of every series of /metrics, by its name with labels. */
async function metrics(replica) {
  const res = await get(`http://${HOST}:${replica.adminPort}/metrics`);
  equal(res.status, 200, `replica ${replica.n}: GET /metrics`);
  const out = new Map();
  for (const line of res.body.split('\n')) {
    const m = line.match(/^([a-zA-Z_:][\w:]*(?:\{[^}]*\})?)\s+(\S+)/);
    if (m) out.set(m[1], Number(m[2]));
  }
  return out;
}

function sum(series, name) {
  let total = 0;
  for (const [key, value] of series) if (key === name || key.startsWith(`${name}{`)) total += value;
  return total;
}

/* The open WebSockets of each live replica. */
async function connectionsByReplica(replicas) {
  const out = new Map();
  for (const r of replicas) if (!r.exited) out.set(r, sum(await metrics(r), 'passerelle_connections'));
  return out;
}

/* ------------------------------------------------------------------ a WebSocket client */

class Client {
  constructor(ws) {
    this.ws = ws;
    this.frames = [];
    this.waiters = [];
    this.closed = null;
    ws.on('message', (data) => {
      let msg;
      try {
        msg = JSON.parse(data.toString('utf8'));
      } catch {
        msg = { unparsable: data.toString('utf8') };
      }
      this.frames.push(msg);
      this.wake();
    });
    ws.on('close', (code) => {
      this.closed = { code };
      this.wake();
    });
    ws.on('error', () => { /* 'close' follows */ });
  }

  wake() {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /* The first frame that matches (and is taken out of the queue). */
  async take(match, ms, what) {
    const deadline = Date.now() + ms;
    for (;;) {
      const i = this.frames.findIndex(match);
      if (i >= 0) return this.frames.splice(i, 1)[0];
      if (this.closed) throw Object.assign(new Error(`connection closed (${this.closed.code}) while waiting for ${what}`), { closed: true });
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${what} within ${ms / 1000} s`);
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => { clearTimeout(timer); resolve(); });
      });
    }
  }

  send(frame) {
    this.ws.send(JSON.stringify(frame));
  }

  /* Sends an ask and waits for the frame that carries its id. */
  async ask(frame, ms = FRAME_TIMEOUT_MS) {
    this.send(frame);
    return this.take((m) => m.id === frame.id, ms, `the reply to ${show(frame, 80)}`);
  }

  close() {
    if (this.ws.readyState <= WebSocket.OPEN) this.ws.terminate();
  }
}

let NGINX_URL;
let ORIGIN;
let CA;

/* A WebSocket to /ws through nginx, as the widget on the server's own page opens it; resolves
 * once the welcome frame came. xff: the address a resident's own proxy would name. */
function connect({ lang = 'fr', xff } = {}) {
  return withTimeout(new Promise((resolve, reject) => {
    const headers = xff ? { 'X-Forwarded-For': xff } : {};
    const ws = new WebSocket(`${NGINX_URL}/ws?lang=${lang}`, { ca: CA, origin: ORIGIN, headers });
    const client = new Client(ws);
    ws.once('unexpected-response', (_req, res) => {
      reject(new Error(`upgrade refused with HTTP ${res.statusCode}`));
      ws.terminate();
    });
    ws.once('error', (e) => reject(new Error(`cannot connect: ${e.message}`)));
    client.take((m) => m.type === 'welcome', FRAME_TIMEOUT_MS, 'the welcome frame')
      .then(() => resolve(client), reject);
  }), FRAME_TIMEOUT_MS + 1000, 'connecting through nginx');
}

function checkAnswer(msg, { intent, lang }, what) {
  equal(msg.type, 'answer', `${what}: frame type (${show(msg)})`);
  if (intent !== undefined) equal(msg.intent, intent, `${what}: intent (text ${show(msg.text, 60)})`);
  if (lang !== undefined) equal(msg.lang, lang, `${what}: lang`);
  assert(typeof msg.text === 'string' && msg.text.trim() !== '', `${what}: empty text`);
}

/* ------------------------------------------------------------------ the cases */

const cases = [];
function test(name, fn, timeout = CASE_TIMEOUT_MS) {
  cases.push({ name, fn, timeout });
}

let replicas = [];
let nginx;
let contextSupported = false;
const figures = {};

test('nginx serves the page and the widget over TLS, with security and cache headers', async () => {
  const page = await get(`${NGINX_URL}/`, { ca: CA });
  equal(page.status, 200, 'GET / status');
  assert(/passerelle\.js/.test(page.body), 'GET /: not the demo page with the widget');
  const csp = page.headers['content-security-policy'] || '';
  assert(/frame-ancestors [^;]*https:\/\/www\.colombes\.fr/.test(csp), `CSP without frame-ancestors for the city's site: ${show(csp)}`);
  assert(/connect-src [^;]*'self'/.test(csp), `CSP lets the page open no WebSocket to its host: ${show(csp)}`);
  assert(/max-age=\d{7,}/.test(page.headers['strict-transport-security'] || ''), 'no Strict-Transport-Security of months');
  equal(page.headers['x-content-type-options'], 'nosniff', 'X-Content-Type-Options');
  const script = await get(`${NGINX_URL}/passerelle.js`, { ca: CA });
  equal(script.status, 200, 'GET /passerelle.js status');
  assert(/max-age=(\d+)/.test(script.headers['cache-control'] || '') && Number(RegExp.$1) >= 3600,
    `passerelle.js not cached for an hour: Cache-Control ${show(script.headers['cache-control'])}`);
  assert(script.headers.etag, 'passerelle.js without an ETag to revalidate');
  equal(script.headers['cross-origin-resource-policy'], 'cross-origin', 'passerelle.js Cross-Origin-Resource-Policy');
  assert(script.headers['content-security-policy'], 'the security headers are missing from the widget files');
  const labels = await get(`${NGINX_URL}/passerelle-labels.json`, { ca: CA });
  equal(labels.status, 200, 'GET /passerelle-labels.json status');
  equal(labels.headers['access-control-allow-origin'], '*', 'passerelle-labels.json readable from the city\'s pages');
  equal(page.headers['access-control-allow-origin'], undefined, 'Access-Control-Allow-Origin on the page');
});

test('/healthz and /metrics are not proxied; each replica serves them on its admin port', async () => {
  for (const p of ['/healthz', '/metrics']) {
    equal((await get(`${NGINX_URL}${p}`, { ca: CA })).status, 404, `GET ${p} through nginx`);
    for (const r of replicas) equal((await get(`http://${HOST}:${r.adminPort}${p}`)).status, 200, `GET ${p} on replica ${r.n}'s admin port`);
  }
});

test('http:// redirects to https://', async () => {
  const res = await get(`http://${HOST}:${nginx.httpPort}/passerelle.js`);
  equal(res.status, 301, 'status');
  equal(res.headers.location, `https://${HOST}/passerelle.js`, 'Location');
});

test('the site keeps a WebSocket open longer than the server\'s idle-timeout', async () => {
  const config = spawnSync(BIN, ['serve', '--print-config'], { encoding: 'utf8' }).stdout;
  const idle = Number((config.match(/^idle-timeout = (\S+)/m) || [])[1]);
  assert(idle > 0, `no idle-timeout in serve --print-config: ${show(config, 80)}`);
  const ws = nginx.siteText.match(/location = \/ws \{[^}]*\}/);
  assert(ws, `${SITE_FILE}: no location = /ws`);
  for (const d of ['proxy_read_timeout', 'proxy_send_timeout']) {
    const m = ws[0].match(new RegExp(`${d} (\\d+)s;`));
    assert(m && Number(m[1]) > idle, `${d} of /ws must exceed idle-timeout ${idle} s: ${m ? m[0] : 'absent'}`);
  }
});

test('a conversation through nginx: five languages and a click on a suggestion', async () => {
  const client = await connect();
  try {
    const seen = new Set();
    let last;
    for (const p of pairs) {
      if (seen.has(p.lang)) continue;
      seen.add(p.lang);
      last = await client.ask({ type: 'ask', text: p.topic, lang: p.lang, id: `conv-${p.lang}` });
      checkAnswer(last, { intent: p.intent, lang: p.lang }, `"${p.topic}"`);
    }
    assert(Array.isArray(last.suggestions) && last.suggestions.length > 0, 'no suggestion to click');
    const s = last.suggestions[0];
    const click = await client.ask({ type: 'ask', intent: s.intent, lang: last.lang, id: 'conv-click' });
    checkAnswer(click, { intent: s.intent, lang: last.lang }, `click on "${s.label}"`);
  } finally {
    client.close();
  }
});

test('the widget answers in Chromium through nginx, and the page\'s policy blocks nothing of it', async () => {
  let chromium;
  try {
    ({ chromium } = await import(new URL('../browser/node_modules/playwright-core/index.mjs', import.meta.url)));
  } catch {
    throw new Error('playwright-core is not installed: run `npm ci` in tests/browser');
  }
  assert(fs.existsSync(CHROMIUM), `Chromium not found: ${CHROMIUM} (Debian package chromium)`);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  try {
    // The test's certificate is accepted by this browser only.
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    const violations = [];
    await page.exposeFunction('reportViolation', (v) => violations.push(v));
    await page.addInitScript(() => document.addEventListener('securitypolicyviolation',
      (e) => window.reportViolation(`${e.violatedDirective} ${e.blockedURI}`)));
    page.on('console', (m) => { if (/Content.Security.Policy|Refused to/i.test(m.text())) violations.push(m.text()); });
    const answers = [];
    let socketUrl = null;
    page.on('websocket', (ws) => {
      socketUrl = ws.url();
      ws.on('framereceived', (f) => {
        try {
          const msg = JSON.parse(f.payload);
          if (msg.type === 'answer') answers.push(msg);
        } catch { /* not JSON: not ours to judge here */ }
      });
    });
    await page.goto(`${NGINX_URL}/`);
    await page.locator('.pw-launcher').click();
    await page.locator('.pw-input').fill('Parlez-moi de Sopot');
    await page.locator('.pw-input').press('Enter');
    await waitFor(async () => answers.length > 0, 8000, 'the widget got no answer').catch((e) => {
      throw new Error(`${e.message}; blocked by the page's policy: ${violations.slice(0, 3).join(' | ') || 'nothing'}`);
    });
    checkAnswer(answers[0], { intent: 'partner.sopot', lang: 'fr' }, 'the widget\'s answer');
    await waitFor(async () => (await page.locator('.pw-msg--bot .pw-text').allTextContents())
      .some((t) => t.trim() === answers[0].text.trim()), 3000, 'the answer is not shown in the widget');
    assert(socketUrl && socketUrl.startsWith(`wss://${HOST}:${nginx.httpsPort}/ws`), `the widget connected to ${socketUrl}`);
    assert(violations.length === 0, `the page's Content-Security-Policy blocked: ${violations.slice(0, 3).join(' | ')}`);
  } finally {
    await browser.close();
  }
}, 30000);

test('every answer carries a context token', async () => {
  assert(contextSupported, 'the server does not know the setting context-secret-file (serve --print-config)');
  const client = await connect();
  try {
    const a = await client.ask({ type: 'ask', text: pairs[0].topic, lang: 'fr', id: 'token-1' });
    checkAnswer(a, { intent: pairs[0].intent }, 'answer');
    assert(typeof a.context === 'string' && a.context.length > 0, `no "context" in the answer: ${show(a)}`);
  } finally {
    client.close();
  }
});

/* A new connection through nginx, and the replica that holds it (from each one's gauge of open
 * WebSockets); with avoid, connections are opened (and kept) until one lands elsewhere. */
async function connectOnReplica(avoid, held) {
  for (let attempt = 0; attempt < REPLICAS + 1; attempt++) {
    const before = await connectionsByReplica(replicas);
    const client = await connect();
    held.push(client);
    let on = null;
    await waitFor(async () => {
      const after = await connectionsByReplica(replicas);
      const grown = replicas.filter((r) => after.get(r) > before.get(r));
      on = grown.length === 1 ? grown[0] : null;
      return on !== null;
    }, 2000, 'no replica shows the new connection in passerelle_connections');
    if (on !== avoid) return { client, replica: on };
  }
  throw new Error(`nginx gave every new connection to replica ${avoid.n}`);
}

test('a follow-up keeps its context on another replica; not without the token', async () => {
  assert(contextSupported, 'the server does not know the setting context-secret-file (serve --print-config)');
  const held = [];
  try {
    const first = await connectOnReplica(null, held);
    const a = await first.client.ask({ type: 'ask', text: 'Parlez-moi de Sopot', lang: 'fr', id: 'f-1' });
    checkAnswer(a, { intent: 'partner.sopot', lang: 'fr' }, '"Parlez-moi de Sopot"');
    assert(typeof a.context === 'string' && a.context, `no context token in the answer: ${show(a)}`);
    const second = await connectOnReplica(first.replica, held);
    const counts = () => Promise.all(replicas.map(async (r) => {
      const m = await metrics(r);
      return { questions: sum(m, 'passerelle_questions_total'),
        restored: m.get('passerelle_context_tokens_total{result="restored"}') ?? 0 };
    }));
    const before = await counts();
    const b = await second.client.ask({ type: 'ask', text: 'depuis quand ?', lang: 'fr', context: a.context, id: 'f-2' });
    const after = await counts();
    const asked = replicas.filter((r, i) => after[i].questions > before[i].questions);
    assert(asked.length === 1 && asked[0] === second.replica,
      `the follow-up was counted by replicas ${show(asked.map((r) => r.n))}, expected replica ${second.replica.n} only`);
    const i2 = replicas.indexOf(second.replica);
    equal(after[i2].restored - before[i2].restored, 1,
      `contexts restored by replica ${second.replica.n} (passerelle_context_tokens_total{result="restored"})`);
    checkAnswer(b, { intent: 'partner.sopot', lang: 'fr' }, `"depuis quand ?" with the token, on replica ${second.replica.n}`);
    figures.followup = `"Parlez-moi de Sopot" answered by replica ${first.replica.n}, "depuis quand ?" with its `
      + `token by replica ${second.replica.n}: ${b.intent}`;

    const control = await connect();
    held.push(control);
    const c = await control.ask({ type: 'ask', text: 'depuis quand ?', lang: 'fr', id: 'f-3' });
    checkAnswer(c, {}, '"depuis quand ?" without a token');
    assert(c.intent !== 'partner.sopot', `"depuis quand ?" without a token answered as partner.sopot`);
    // A damaged token is ignored: answered as if there were none, not refused.
    const damaged = a.context.slice(0, 10) + (a.context[10] === 'A' ? 'B' : 'A') + a.context.slice(11);
    const d = await control.ask({ type: 'ask', text: 'depuis quand ?', lang: 'fr', context: damaged, id: 'f-4' });
    checkAnswer(d, {}, '"depuis quand ?" with a damaged token');
    assert(d.intent !== 'partner.sopot', `a damaged token restored the context (${d.intent})`);
    figures.control = `without the token: ${c.intent}; with a damaged one: ${d.intent}`;
  } finally {
    for (const c of held) c.close();
  }
});

/* ---- load, and a replica killed */

class Resident {
  constructor(i) {
    this.i = i;
    this.lang = LANGS[i % LANGS.length];
    this.pairs = pairs.filter((p) => p.lang === this.lang);
    this.xff = `198.51.100.${i + 1}`;
    this.turn = 0;
    this.client = null;
    this.context = undefined;  // the last token received
    this.lastIntent = undefined;
    this.sent = new Set();
    this.answered = new Set();
    this.interrupted = new Set(); // questions whose connection died before their answer
    this.duplicates = 0;
    this.errors = [];
    this.wrong = [];
    this.reconnects = 0;
    this.probes = 0;
    this.kept = 0;
    this.wakeUp = null;
  }

  /* The next question: a partner, then its follow-up. */
  next() {
    const n = this.turn++;
    const p = this.pairs[Math.floor(n / 2) % this.pairs.length];
    return n % 2 === 0 ? { text: p.topic, expect: p.intent, n } : { text: p.followup, expect: p.intent, n };
  }

  async connectWithBackoff(deadline) {
    for (let attempt = 0; Date.now() < deadline; attempt++) {
      const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt);
      await sleep(ceiling / 2 + Math.random() * ceiling / 2);
      try {
        this.client = await connect({ lang: this.lang, xff: this.xff });
        return true;
      } catch { /* next attempt */ }
    }
    return false;
  }

  /* Sends q until it is answered, reconnecting as the widget does when the connection drops. */
  async ask(q, deadline) {
    const id = `r${this.i}-${q.n}`;
    this.sent.add(id);
    for (;;) {
      if (!this.client || this.client.closed) {
        if (!(await this.connectWithBackoff(deadline))) return;
        this.reconnects++;
        await this.probe();
        if (this.client.closed) continue;
      }
      const frame = { type: 'ask', text: q.text, lang: this.lang, id };
      if (this.context) frame.context = this.context;
      let reply;
      try {
        reply = await this.client.ask(frame, FRAME_TIMEOUT_MS);
      } catch (e) {
        if (!e.closed) {
          this.errors.push(`${id}: ${e.message}`);
          return;
        }
        this.interrupted.add(id);
        if (Date.now() >= deadline) return;
        continue;
      }
      if (reply.type !== 'answer') {
        this.errors.push(`${id}: ${show(reply, 100)}`);
        return;
      }
      if (this.answered.has(id)) this.duplicates++;
      this.answered.add(id);
      if (reply.context) this.context = reply.context;
      if (reply.intent !== q.expect) {
        this.wrong.push(`"${q.text}" answered ${reply.intent}, expected ${q.expect}`);
      }
      this.lastIntent = reply.intent;
      return;
    }
  }

  /* First on a new connection (before the question left unanswered is sent again, so that
   * nothing but the token can carry the context): the follow-up of the last intent answered. */
  async probe() {
    if (!this.lastIntent) return;
    const id = `r${this.i}-probe${this.reconnects}`;
    const p = this.pairs.find((q) => q.intent === this.lastIntent);
    this.probes++;
    if (!p) {
      this.wrong.push(`${id}: no follow-up to probe the context of ${this.lastIntent}`);
      return;
    }
    this.sent.add(id);
    const frame = { type: 'ask', text: p.followup, lang: this.lang, id };
    if (this.context) frame.context = this.context;
    let reply;
    try {
      reply = await this.client.ask(frame, FRAME_TIMEOUT_MS);
    } catch (e) {
      if (e.closed) this.interrupted.add(id);
      else this.errors.push(`${id}: ${e.message}`);
      return;
    }
    if (reply.type !== 'answer') {
      this.errors.push(`${id}: ${show(reply, 100)}`);
      return;
    }
    this.answered.add(id);
    if (reply.context) this.context = reply.context;
    if (reply.intent === p.intent && reply.lang === this.lang) this.kept++;
    else this.wrong.push(`after reconnecting, "${p.followup}" answered ${reply.intent} in ${reply.lang}, expected ${p.intent} in ${this.lang}`);
  }

  async run(stopAt, deadline) {
    if (!(await this.connectWithBackoff(deadline))) {
      this.errors.push('could not connect');
      return;
    }
    while (Date.now() < stopAt) {
      await this.ask(this.next(), deadline);
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, THINK_MS);
        this.wakeUp = () => { clearTimeout(timer); resolve(); };
      });
      this.wakeUp = null;
    }
    this.client?.close();
  }

  /* Asks the next question now, whatever the think time said. */
  hurry() {
    if (this.wakeUp) this.wakeUp();
  }
}

test(`load: ${RESIDENTS} residents, one replica killed (SIGKILL); they reconnect through nginx`, async () => {
  const residents = Array.from({ length: RESIDENTS }, (_, i) => new Resident(i));
  const t0 = Date.now();
  const stopAt = t0 + LOAD_BEFORE_KILL_MS + LOAD_AFTER_KILL_MS;
  const runs = residents.map((r) => r.run(stopAt, stopAt + DRAIN_MS));
  await sleep(LOAD_BEFORE_KILL_MS);

  // Each resident counted as its own address, behind nginx: trusted-proxies and X-Forwarded-For work.
  let addresses = 0;
  for (const r of replicas) addresses += sum(await metrics(r), 'passerelle_client_addresses');
  const held = await connectionsByReplica(replicas);
  const victim = replicas.reduce((a, b) => (held.get(b) > held.get(a) ? b : a));
  const heldByVictim = held.get(victim);
  // The kill lands while questions are in flight: the victim is frozen, every resident asks now
  // (those on the victim wait for an answer that will not come), then the victim dies.
  victim.proc.kill('SIGSTOP');
  for (const r of residents) r.hurry();
  await sleep(FREEZE_MS);
  victim.proc.kill('SIGKILL');
  const killedAt = Date.now() - t0;
  await Promise.all(runs);
  await victim.exit;

  const total = (f) => residents.reduce((n, r) => n + f(r), 0);
  const sent = total((r) => r.sent.size);
  const answered = total((r) => r.answered.size);
  const lost = sent - answered;
  const interrupted = total((r) => r.interrupted.size);
  const reconnects = total((r) => r.reconnects);
  const probes = total((r) => r.probes);
  const kept = total((r) => r.kept);
  const errors = residents.flatMap((r) => r.errors);
  const wrong = residents.flatMap((r) => r.wrong);
  figures.load = `${RESIDENTS} residents for ${(LOAD_BEFORE_KILL_MS + LOAD_AFTER_KILL_MS) / 1000} s, replica ${victim.n} `
    + `(holding ${heldByVictim} of them) killed at ${(killedAt / 1000).toFixed(1)} s\n`
    + `  questions sent ${sent}, answered ${answered}, lost ${lost}; in flight on the killed replica ${interrupted} `
    + `(sent again after reconnecting)\n`
    + `  reconnects ${reconnects}, contexts kept ${kept} of ${probes}, duplicate answers ${total((r) => r.duplicates)}, `
    + `errors ${errors.length}, wrong intents ${wrong.length}; client addresses seen by the replicas ${addresses}`;

  assert(sent > RESIDENTS * 5, `only ${sent} questions were sent`);
  assert(errors.length === 0, `${errors.length} errors, first: ${errors.slice(0, 3).join('; ')}`);
  assert(lost <= interrupted, `${lost} questions lost, more than the ${interrupted} in flight on the killed replica`);
  assert(heldByVictim > 0, `the killed replica ${victim.n} held no connection`);
  equal(reconnects, heldByVictim, `reconnects (the killed replica held ${heldByVictim} residents)`);
  assert(wrong.length === 0, `${wrong.length} answers with the wrong intent, first: ${wrong.slice(0, 3).join('; ')}`);
  assert(contextSupported, 'contexts cannot be kept: the server does not know the setting context-secret-file');
  equal(kept, probes, 'contexts kept after reconnecting');
  assert(addresses >= RESIDENTS, `the replicas saw ${addresses} client addresses for ${RESIDENTS} residents: `
    + 'X-Forwarded-For or trusted-proxies do not work through nginx');
  for (const r of replicas.filter((x) => x !== victim)) {
    equal((await get(`http://${HOST}:${r.adminPort}/healthz`)).status, 200, `replica ${r.n} /healthz after the load`);
  }
}, LOAD_BEFORE_KILL_MS + LOAD_AFTER_KILL_MS + DRAIN_MS + 10000);

/* ------------------------------------------------------------------ the run */

async function main() {
  const started = Date.now();
  let passed = 0;
  let failed = 0;
  try {
    contextSupported = serverKnows('context-secret-file');
    const certificate = makeCertificate();
    CA = certificate.ca;
    let secretFile = null;
    if (contextSupported) {
      secretFile = path.join(TMP, 'context-secret');
      fs.writeFileSync(secretFile, `${crypto.randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
    } else {
      console.log('# the server does not know context-secret-file yet: the replicas start without it');
    }
    for (let n = 1; n <= REPLICAS; n++) replicas.push(await startReplica(n, secretFile));
    nginx = await startNginx(replicas, certificate);
    NGINX_URL = `https://${HOST}:${nginx.httpsPort}`;
    ORIGIN = NGINX_URL;
    console.log(`# nginx on ${NGINX_URL} (http ${nginx.httpPort}), replicas on `
      + `${replicas.map((r) => `${r.port} (admin ${r.adminPort})`).join(', ')}`);
  } catch (e) {
    console.log(`not ok - set-up: ${e.message}`);
    for (const r of replicas) if (r.log.trim()) console.log(`# replica ${r.n}: ${r.log.trim().split('\n').slice(-3).join(' | ')}`);
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
  for (const c of cases) {
    if (Date.now() - started > RUN_BUDGET_MS) {
      console.log(`not ok - ${c.name}: not run, the run's budget of ${RUN_BUDGET_MS / 1000} s is spent`);
      failed++;
      continue;
    }
    try {
      await withTimeout(c.fn(), c.timeout, c.name);
      console.log(`ok - ${c.name}`);
      passed++;
    } catch (e) {
      console.log(`not ok - ${c.name}: ${e.message}`);
      failed++;
    }
  }
  console.log('# figures');
  for (const key of ['followup', 'control', 'load']) if (figures[key]) console.log(`# ${figures[key].replace(/\n/g, '\n# ')}`);
  const errors = path.join(nginx.prefix, 'error.log');
  const alerts = fs.existsSync(errors) ? fs.readFileSync(errors, 'utf8').split('\n').filter((l) => /\[(emerg|alert|crit)\]/.test(l)) : [];
  if (alerts.length) console.log(`# nginx: ${alerts.slice(0, 3).join(' | ')}`);
  console.log(`${passed} passed, ${failed} failed (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  process.exit(failed === 0 ? 0 : 1);
}

await main();

// Where the knowledge comes from, end to end: a bundle followed at a URL
// (knowledge-url) over HTTPS with a private certificate authority, and a
// folder mounted the way Kubernetes mounts a ConfigMap, whose files change by
// one symlink swap. Each case starts its own `passerelle serve` and asks it
// questions over WebSocket.
//
//   node tests/e2e/knowledge.mjs --bin build/passerelle --root .
//
// The bundle server is Node's https module with a certificate made here by
// openssl; it honours If-None-Match, and counts its 200 and 304 answers.
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { assert, freePort, httpGet as harnessGet, metricValue, parseCommandLine, sleep, watchServer,
  withTimeout } from '../lib/harness.mjs';

const HOST = '127.0.0.1';
const CASE_TIMEOUT_MS = 30000;
const START_TIMEOUT_MS = 8000;
const FOLLOW_TIMEOUT_MS = 12000; // a poll (1 s) + the reload's debounce and build, with room
const SOPOT_FR = 'Où se trouve Sopot ?';
const NEW_SOPOT = 'Sopot est au bord de la mer Baltique (réponse publiée par le paquet).';

const USAGE = 'usage: node tests/e2e/knowledge.mjs --bin PATH/passerelle --root REPO_ROOT';
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

const equal = (actual, expected, what) =>
  assert(actual === expected, `${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'pa-knowledge-'));
const run = (cmd, args, options = {}) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...options });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr || r.error}`);
  return r.stdout;
};

/* ------------------------------------------------------------------ certificates */

// A certificate authority of the test, and a server certificate for 127.0.0.1 it signed.
function makeCertificates() {
  const dir = path.join(work, 'tls');
  fs.mkdirSync(dir);
  const at = (f) => path.join(dir, f);
  run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=Passerelle test CA',
    '-keyout', at('ca.key'), '-out', at('ca.pem')]);
  run('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1',
    '-keyout', at('server.key'), '-out', at('server.csr')]);
  fs.writeFileSync(at('ext.cnf'), 'subjectAltName=IP:127.0.0.1\n');
  run('openssl', ['x509', '-req', '-in', at('server.csr'), '-CA', at('ca.pem'), '-CAkey', at('ca.key'),
    '-CAcreateserial', '-days', '2', '-extfile', at('ext.cnf'), '-out', at('server.pem')]);
  return { ca: at('ca.pem'), key: fs.readFileSync(at('server.key')), cert: fs.readFileSync(at('server.pem')) };
}

/* ------------------------------------------------------------------ bundles */

// A copy of the bundled knowledge, changed by edit(dir) when given.
function knowledgeCopy(name, edit) {
  const dir = path.join(work, name);
  fs.mkdirSync(dir);
  fs.cpSync(path.join(ROOT, 'intents'), path.join(dir, 'intents'), { recursive: true });
  fs.cpSync(path.join(ROOT, 'locales'), path.join(dir, 'locales'), { recursive: true });
  if (edit) edit(dir);
  return dir;
}

function setSopotAnswer(dir, text) {
  const file = path.join(dir, 'intents', 'partner', 'sopot.json');
  const intent = JSON.parse(fs.readFileSync(file, 'utf8'));
  intent.answers.fr = text;
  fs.writeFileSync(file, JSON.stringify(intent, null, 2));
}

// `tar czf` of the folder's intents/ and locales/ (extra: more names inside dir).
const tarOf = (dir, extra = []) => run('tar', ['czf', '-', '-C', dir, 'intents', 'locales', ...extra],
  { encoding: 'buffer' });

/* A bundle server: serves state.body at /knowledge.tar.gz with a strong ETag. */
async function startBundleServer(tls) {
  const state = { body: null, ok: 0, notModified: 0, conditional: 0 };
  const server = https.createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    if (req.url !== '/knowledge.tar.gz' || !state.body) {
      res.writeHead(404).end();
      return;
    }
    const etag = `"${crypto.createHash('sha256').update(state.body).digest('hex').slice(0, 32)}"`;
    if (req.headers['if-none-match']) state.conditional++;
    if (req.headers['if-none-match'] === etag) {
      state.notModified++;
      res.writeHead(304, { ETag: etag }).end();
      return;
    }
    state.ok++;
    res.writeHead(200, { ETag: etag, 'Content-Type': 'application/gzip' }).end(state.body);
  });
  const port = await freePort(HOST);
  await new Promise((resolve) => server.listen(port, HOST, resolve));
  state.url = `https://${HOST}:${port}/knowledge.tar.gz`;
  state.close = () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); });
  return state;
}

/* ------------------------------------------------------------------ the server */

const servers = new Set();

const httpGet = (port, urlPath) => harnessGet(HOST, port, urlPath);

/* Starts `passerelle serve` with args; resolves once /healthz answers, or
 * with {exited, log} when it exits first and mayFail is set. */
async function startServer(args, { mayFail = false } = {}) {
  const port = await freePort(HOST);
  const adminPort = await freePort(HOST);
  const proc = spawn(BIN, ['serve', '--listen', `${HOST}:${port}`, '--admin-listen', `${HOST}:${adminPort}`,
    '--reload-interval', '0.2', '--reload-debounce', '0.2', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  const srv = watchServer(proc, servers, port, adminPort);
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (srv.exited) {
      if (mayFail) return srv;
      throw new Error(`the server exited at start (${JSON.stringify(srv.exited)}): ${srv.log.trim()}`);
    }
    try {
      if ((await httpGet(adminPort, '/healthz')).status === 200) return srv;
    } catch { /* not yet */ }
    if (Date.now() > deadline) throw new Error(`the server did not answer /healthz: ${srv.log.trim()}`);
    await sleep(100);
  }
}

async function stopServer(srv) {
  if (srv.exited) return;
  srv.proc.kill('SIGTERM');
  await withTimeout(srv.exit, 10000, 'the server stopping');
}

const health = async (srv) => JSON.parse((await httpGet(srv.adminPort, '/healthz')).body);

const metric = async (srv, line) => metricValue((await httpGet(srv.adminPort, '/metrics')).body, line);

/* One question on a connection of its own; resolves with the answer frame. */
function ask(srv, text, lang = 'fr') {
  return withTimeout(new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://${HOST}:${srv.port}/ws`, { headers: { Origin: `http://${HOST}:${srv.port}` } });
    ws.on('message', (data) => {
      const msg = JSON.parse(data.toString('utf8'));
      if (msg.type === 'welcome') ws.send(JSON.stringify({ type: 'ask', text, lang }));
      else { ws.close(); resolve(msg); }
    });
    ws.on('error', reject);
  }), 5000, `asking "${text}"`);
}

/* Asks until check(answer) holds, for up to ms. */
async function eventually(srv, text, check, ms, what) {
  const deadline = Date.now() + ms;
  let last;
  while (Date.now() < deadline) {
    last = await ask(srv, text);
    if (check(last)) return last;
    await sleep(250);
  }
  throw new Error(`${what}: not within ${ms / 1000} s; last answer ${JSON.stringify(last?.text)}`);
}

/* ------------------------------------------------------------------ cases */

const tls = makeCertificates();
const bundles = await startBundleServer(tls);
const cache = path.join(work, 'cache');
const followArgs = () => ['--knowledge-url', bundles.url, '--knowledge-ca-file', tls.ca,
  '--knowledge-cache', cache, '--knowledge-poll', '1'];
const original = knowledgeCopy('original');
let follower = null;

const cases = [
  ['a bundle at an HTTPS URL is fetched, trusted through knowledge-ca-file, and served', async () => {
    bundles.body = tarOf(original);
    follower = await startServer(followArgs());
    const a = await ask(follower, SOPOT_FR);
    equal(a.intent, 'partner.sopot', 'intent');
    const h = await health(follower);
    equal(h.bundle.last, 'updated', 'healthz bundle.last');
    equal(h.bundle.url, bundles.url, 'healthz bundle.url');
    assert(h.bundle.etag, 'healthz shows the etag');
  }],
  ['an unchanged bundle is asked conditionally and answered 304', async () => {
    await sleep(2500);
    assert(bundles.conditional >= 1, `If-None-Match sent (${bundles.conditional} times)`);
    assert(bundles.notModified >= 1, `304 answers (${bundles.notModified})`);
    equal(bundles.ok, 1, 'full downloads');
    assert(await metric(follower, 'passerelle_bundle_fetches_total{result="not_modified"}') >= 1,
      'metrics count not_modified');
    equal(await metric(follower, 'passerelle_bundle_ok'), 1, 'passerelle_bundle_ok');
  }],
  ['a new bundle is served within the poll interval, with a new knowledge version', async () => {
    const before = (await health(follower)).knowledge.version;
    bundles.body = tarOf(knowledgeCopy('changed', (d) => setSopotAnswer(d, NEW_SOPOT)));
    await eventually(follower, SOPOT_FR, (a) => a.text === NEW_SOPOT, FOLLOW_TIMEOUT_MS, 'the new answer');
    const h = await health(follower);
    assert(h.knowledge.version !== before, 'the knowledge version changed');
    equal(h.bundle.last === 'updated' || h.bundle.last === 'not_modified', true, 'bundle state');
  }],
  ['a bundle whose knowledge has errors is refused, and the previous knowledge keeps serving', async () => {
    bundles.body = tarOf(knowledgeCopy('broken', (d) =>
      fs.writeFileSync(path.join(d, 'intents', 'partner', 'sopot.json'), '{"id": "partner.sopot",\n  "answers": }\n')));
    const deadline = Date.now() + FOLLOW_TIMEOUT_MS;
    let h;
    while (Date.now() < deadline && (h = await health(follower)).bundle.last !== 'rejected') await sleep(200);
    equal(h.bundle.last, 'rejected', 'healthz bundle.last');
    assert(h.bundle.errors.some((e) => e.startsWith('intents/partner/sopot.json:2:')),
      `the problem is named in the bundle's terms: ${JSON.stringify(h.bundle.errors)}`);
    assert(!JSON.stringify(h).includes(cache), 'no path of the server shown');
    equal(await metric(follower, 'passerelle_bundle_ok'), 0, 'passerelle_bundle_ok');
    assert(await metric(follower, 'passerelle_bundle_fetches_total{result="rejected"}') >= 1, 'rejected counted');
    equal((await ask(follower, SOPOT_FR)).text, NEW_SOPOT, 'the answer in service');
  }],
  ['a bundle with a file beside its two folders is refused whole', async () => {
    // (names with "..", absolute names and links: tests/unit/test_bundle.c; tar itself rewrites those)
    const extra = knowledgeCopy('extra', (d) => fs.writeFileSync(path.join(d, 'escaped.json'), '{}'));
    bundles.body = tarOf(extra, ['escaped.json']);
    const deadline = Date.now() + FOLLOW_TIMEOUT_MS;
    let h;
    while (Date.now() < deadline && !((h = await health(follower)).bundle.error || '').includes('escaped.json')) await sleep(200);
    equal(h.bundle.last, 'rejected', 'healthz bundle.last');
    equal(h.bundle.error, 'escaped.json: outside intents/ and locales/', 'the reason');
    assert(!fs.readdirSync(cache).some((n) => n === 'escaped.json'), 'nothing written beside the cache');
    equal((await ask(follower, SOPOT_FR)).text, NEW_SOPOT, 'the answer in service');
  }],
  ['a restart while the URL is down serves the last bundle installed, from the cache', async () => {
    await stopServer(follower);
    await bundles.close();
    follower = await startServer(followArgs());
    equal((await ask(follower, SOPOT_FR)).text, NEW_SOPOT, 'the cached answer');
    const h = await health(follower);
    equal(h.bundle.last, 'failed', 'healthz bundle.last');
    assert(h.bundle.error.length > 0, 'the reason is shown');
    await stopServer(follower);
  }],
  ['a certificate the server does not trust: no knowledge, no start, and a message that says why', async () => {
    const again = await startBundleServer(tls);
    again.body = tarOf(original);
    const srv = await startServer(['--knowledge-url', again.url, '--knowledge-cache', path.join(work, 'cache2')],
      { mayFail: true });
    await again.close();
    assert(srv.exited, 'the server did not start');
    equal(srv.exited.code, 1, 'exit status');
    assert(/certificate/i.test(srv.log) && srv.log.includes('knowledge-url'), `the message: ${srv.log.trim()}`);
    equal(again.ok, 0, 'nothing was downloaded over the untrusted connection');
  }],
  ['a folder mounted as a Kubernetes ConfigMap reloads when its ..data link is swapped', async () => {
    // The kubelet's layout: timestamped folders, ..data pointing at the current one, and each
    // top-level entry a link through ..data; an update is one rename of ..data.
    const mount = path.join(work, 'configmap');
    fs.mkdirSync(mount);
    fs.cpSync(path.join(ROOT, 'intents'), path.join(mount, '..2026_12_01_00_00_00.1'), { recursive: true });
    fs.symlinkSync('..2026_12_01_00_00_00.1', path.join(mount, '..data'));
    for (const name of fs.readdirSync(path.join(mount, '..data'))) fs.symlinkSync(path.join('..data', name), path.join(mount, name));
    const srv = await startServer(['--intents', mount, '--locales', path.join(ROOT, 'locales')]);
    equal((await ask(srv, SOPOT_FR)).intent, 'partner.sopot', 'intent before');
    const next = path.join(mount, '..2026_12_02_00_00_00.2');
    fs.cpSync(path.join(mount, '..2026_12_01_00_00_00.1'), next, { recursive: true });
    const file = path.join(next, 'partner', 'sopot.json');
    const intent = JSON.parse(fs.readFileSync(file, 'utf8'));
    intent.answers.fr = NEW_SOPOT;
    fs.writeFileSync(file, JSON.stringify(intent));
    fs.symlinkSync('..2026_12_02_00_00_00.2', path.join(mount, '..data_tmp'));
    fs.renameSync(path.join(mount, '..data_tmp'), path.join(mount, '..data'));
    fs.rmSync(path.join(mount, '..2026_12_01_00_00_00.1'), { recursive: true });
    await eventually(srv, SOPOT_FR, (a) => a.text === NEW_SOPOT, FOLLOW_TIMEOUT_MS, 'the answer after the swap');
    await stopServer(srv);
  }],
];

let passed = 0, failed = 0;
for (const [name, fn] of cases) {
  try {
    await withTimeout(fn(), CASE_TIMEOUT_MS, name);
    passed++;
    console.log(`ok - ${name}`);
  } catch (e) {
    failed++;
    console.log(`not ok - ${name}\n  ${e.message}`);
  }
}
for (const srv of servers) srv.proc.kill('SIGKILL');
await bundles.close().catch(() => {});
fs.rmSync(work, { recursive: true, force: true });
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);

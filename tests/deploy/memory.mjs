#!/usr/bin/env node
// The server's memory, for the requests and limits of a container (deploy/kubernetes/):
//
//   node tests/deploy/memory.mjs --bin build/passerelle --root . [--connections 1000] [--json]
//
// Starts `passerelle serve` with the bundled knowledge and reads its resident set (VmRSS of
// /proc/PID/status): idle; with --connections idle WebSockets open (each got its welcome frame);
// then its peak (VmHWM) through a reload (SIGHUP), when two knowledge snapshots live side by side.
// Prints the figures (with --json, one JSON object: kB) and exits 0; 1 when the server does not
// start or a connection fails. Linux only (/proc). Uses `ws` from tests/e2e (npm ci there).

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import process from 'node:process';
import { freePort, sleep } from '../lib/harness.mjs';

const HOST = '127.0.0.1';
const SETTLE_MS = 1000;        // after the last connection, before reading
const RELOAD_WAIT_MS = 10000;  // a reload takes about 0.3 s; under sanitizers much more
const OPEN_AT_ONCE = 50;       // connections opened in parallel

const o = { connections: 1000, json: false };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const key = argv[i].replace(/^--/, '');
  if (key === 'json') o.json = true;
  else if (['bin', 'root', 'connections'].includes(key) && i + 1 < argv.length) o[key] = argv[++i];
  else {
    console.error(`unknown argument: ${argv[i]}`);
    process.exit(2);
  }
}
if (!o.bin || !o.root) {
  console.error('usage: node tests/deploy/memory.mjs --bin PATH/passerelle --root REPO [--connections N] [--json]');
  process.exit(2);
}
const N = Number(o.connections);
const ROOT = path.resolve(o.root);
const { default: WebSocket } = await import(new URL('../e2e/node_modules/ws/index.js', import.meta.url));

function get(port, p) {
  return new Promise((resolve) => {
    const req = http.get({ host: HOST, port, path: p, timeout: 1000, agent: false }, (res) => {
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve({ status: 0, body: '' }));
  });
}

function status(pid) {
  const text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name) => Number(text.match(new RegExp(`${name}:\\s+(\\d+) kB`))[1]);
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

function fail(message) {
  console.error(`memory: ${message}`);
  process.exit(1);
}

const port = await freePort(HOST);
const adminPort = await freePort(HOST);
// Every connection comes from 127.0.0.1: the per-address limit is lifted, the total one is N.
const server = spawn(path.resolve(o.bin), ['serve', '--listen', `${HOST}:${port}`,
  '--admin-listen', `${HOST}:${adminPort}`, '--intents', path.join(ROOT, 'intents'),
  '--locales', path.join(ROOT, 'locales'), '--web', path.join(ROOT, 'web'),
  '--max-connections', String(N + 100), '--max-connections-per-address', String(N + 100),
  '--reload-interval', '3600'], { stdio: ['ignore', 'ignore', 'pipe'] });
let log = '';
server.stderr.on('data', (d) => { log += d; });
process.on('exit', () => server.kill('SIGKILL'));

for (let i = 0; ; i++) {
  if ((await get(adminPort, '/healthz')).status === 200) break;
  if (i > 50) fail(`the server did not start: ${log.trim()}`);
  await sleep(100);
}
await sleep(SETTLE_MS);
const idle = status(server.pid);

function open() {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://${HOST}:${port}/ws`);
    ws.once('message', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
}

const sockets = [];
try {
  while (sockets.length < N) {
    const batch = Math.min(OPEN_AT_ONCE, N - sockets.length);
    sockets.push(...await Promise.all(Array.from({ length: batch }, open)));
  }
} catch (e) {
  fail(`connection ${sockets.length + 1} of ${N} failed: ${e.message}`);
}
await sleep(SETTLE_MS);
const open1 = status(server.pid);

const reloads = () => get(adminPort, '/metrics').then((r) =>
  [...r.body.matchAll(/^passerelle_reloads_total\{result="ok"\} (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0));
const before = await reloads();
server.kill('SIGHUP');
const deadline = Date.now() + RELOAD_WAIT_MS;
while ((await reloads()) <= before) {
  if (Date.now() > deadline) fail('no reload within 10 s of SIGHUP');
  await sleep(100);
}
await sleep(SETTLE_MS);
const reloaded = status(server.pid);

const figures = {
  connections: N,
  idle_kb: idle.rss,
  open_kb: open1.rss,
  per_connection_kb: Math.round(((open1.rss - idle.rss) / N) * 100) / 100,
  reload_peak_kb: reloaded.hwm,
  reload_extra_kb: Math.max(0, reloaded.hwm - open1.rss),
};
if (o.json) {
  console.log(JSON.stringify(figures));
} else {
  console.log(`idle:                         ${(idle.rss / 1024).toFixed(1)} MB`);
  console.log(`with ${N} idle WebSockets: ${(open1.rss / 1024).toFixed(1)} MB (${figures.per_connection_kb} kB each)`);
  console.log(`peak through a reload:        ${(reloaded.hwm / 1024).toFixed(1)} MB (+${(figures.reload_extra_kb / 1024).toFixed(1)} MB)`);
}
for (const ws of sockets) ws.terminate();
process.exit(0);

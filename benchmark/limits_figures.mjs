#!/usr/bin/env node
// The figures of docs/operations.md about one address against the server, measured on the real
// binary with its default settings:
//
//   node benchmark/limits_figures.mjs --bin build/passerelle --root . [--attempts 1500]
//        [--connections 200] [--seconds 10] [--nofile 1024]
//
//   1. connections one address can hold: --attempts silent TCP connections from 127.0.0.1, how
//      many the server keeps open, and whether /healthz and another address are still served;
//   2. answers per second one address can get: --connections WebSockets from 127.0.0.1, each
//      asking as fast as it is answered for --seconds, answers and rate_limited errors per second;
//   3. questions lost on SIGTERM: 200 connections with 2 questions in flight each.
//
// --nofile starts the server under that open-file limit (1024 is Linux's default, which the
// systemd unit used to leave).
// A measurement, not a test: it prints and exits 0 (1 when the server does not start).
// Uses `ws` from tests/e2e (npm ci there).

import { spawn } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import process from 'node:process';
import { freePort, sleep } from '../tests/lib/harness.mjs';

const HOST = '127.0.0.1';
const OTHER = '127.0.0.2';
const QUESTION = 'Où se trouve Sopot ?';
// about a millisecond to answer: most are still waiting in the sockets when SIGTERM comes
const LONG_QUESTION = 'Où se trouve Sopot et quelles sont les villes jumelles de Colombes ? '.repeat(13);

const o = { attempts: 1500, connections: 200, seconds: 10, nofile: 0 };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) o[argv[i].replace(/^--/, '')] = argv[i + 1];
if (!o.bin || !o.root) {
  console.error('usage: node benchmark/limits_figures.mjs --bin PATH/passerelle --root REPO [--attempts N] [--connections N] [--seconds S] [--nofile N]');
  process.exit(2);
}
for (const k of ['attempts', 'connections', 'seconds', 'nofile']) o[k] = Number(o[k]);
const ROOT = path.resolve(o.root);
const { default: WebSocket } = await import(new URL('../tests/e2e/node_modules/ws/index.js', import.meta.url));

function httpGet(port, p, ms = 2000) {
  return new Promise((resolve) => {
    const req = http.get({ host: HOST, port, path: p, timeout: ms, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('timeout', () => { req.destroy(); resolve('timeout'); });
    req.on('error', (e) => resolve(e.code));
  });
}

const started = new Set();
process.on('exit', () => started.forEach((p) => { try { p.kill('SIGKILL'); } catch { /* gone */ } }));

async function start() {
  const port = await freePort(HOST);
  const adminPort = await freePort(HOST);
  const args = ['serve', '--listen', `${HOST}:${port}`, '--admin-listen', `${HOST}:${adminPort}`,
    '--intents', path.join(ROOT, 'intents'), '--locales', path.join(ROOT, 'locales'), '--web', path.join(ROOT, 'web')];
  const proc = o.nofile // the server alone under that open-file limit (1024: Linux's default)
    ? spawn('sh', ['-c', `ulimit -n ${o.nofile} && exec "$0" "$@"`, path.resolve(o.bin), ...args], { stdio: ['ignore', 'ignore', 'pipe'] })
    : spawn(path.resolve(o.bin), args, { stdio: ['ignore', 'ignore', 'pipe'] });
  started.add(proc);
  const srv = { port, adminPort, proc, log: '' };
  proc.stderr.on('data', (d) => { srv.log += d; });
  srv.exit = new Promise((resolve) => proc.on('exit', (code) => resolve(code)));
  for (let i = 0; i < 50; i++) {
    if (await httpGet(adminPort, '/healthz', 500) === 200) return srv;
    await sleep(100);
  }
  console.error(`the server did not start: ${srv.log}`);
  process.exit(1);
}

function openWs(srv, localAddress) {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://${HOST}:${srv.port}/ws`, { localAddress });
    ws.once('open', () => resolve(ws));
    ws.once('error', () => resolve(null));
    ws.once('unexpected-response', (_q, res) => { res.resume(); resolve(null); });
  });
}

/* 1 */
async function holdConnections() {
  const srv = await start();
  const socks = [];
  for (let i = 0; i < o.attempts; i++) {
    const s = net.connect({ host: HOST, port: srv.port });
    s.on('error', () => {});
    s.gone = false;
    s.up = false;
    s.answer = '';
    s.on('connect', () => { s.up = true; });
    s.on('data', (d) => { s.answer += d; });
    s.on('close', () => { s.gone = true; });
    socks.push(s);
  }
  await sleep(5000);
  const held = socks.filter((s) => s.up && !s.gone).length;
  const refused = socks.filter((s) => s.answer.startsWith('HTTP/1.1 429')).length;
  const pending = socks.filter((s) => !s.up && !s.gone).length;
  const health = await httpGet(srv.adminPort, '/healthz');
  const other = await openWs(srv, OTHER);
  console.log(`1. one address, ${o.attempts} silent connections: ${held} held, ${refused} refused with 429, ` +
    `${pending} not connected after 5 s; /healthz ${health}; ` +
    `another address ${other ? 'connects' : 'is refused'}; log ${srv.log.split('\n').length - 1} lines`);
  if (other) other.terminate();
  socks.forEach((s) => s.destroy());
  srv.proc.kill('SIGKILL');
}

/* 2 */
async function answersPerSecond() {
  const srv = await start();
  const sockets = (await Promise.all(Array.from({ length: o.connections }, () => openWs(srv)))).filter(Boolean);
  let answers = 0;
  let limited = 0;
  let counting = false;
  for (const ws of sockets) {
    ws.on('message', (d) => {
      const m = JSON.parse(d);
      if (!counting || m.type === 'welcome') return;
      if (m.type === 'answer') answers++;
      else if (m.code === 'rate_limited') limited++;
      ws.send(JSON.stringify({ type: 'ask', text: QUESTION }));
    });
  }
  counting = true;
  for (const ws of sockets) ws.send(JSON.stringify({ type: 'ask', text: QUESTION }));
  await sleep(o.seconds * 1000);
  counting = false;
  console.log(`2. one address, ${sockets.length} of ${o.connections} WebSockets open, asking flat out for ${o.seconds} s: ` +
    `${(answers / o.seconds).toFixed(1)} answers/s, ${(limited / o.seconds).toFixed(0)} rate_limited/s`);
  sockets.forEach((ws) => ws.terminate());
  srv.proc.kill('SIGKILL');
}

/* 3 */
async function shutdownLosses() {
  const srv = await start();
  // 200 connections from 200 addresses of 127/8, each within every per-address limit
  const sockets = (await Promise.all(Array.from({ length: 200 }, (_, i) => openWs(srv, `127.0.1.${i + 1}`)))).filter(Boolean);
  let answers = 0;
  let goingAway = 0;
  const closed = sockets.map((ws) => new Promise((resolve) => {
    ws.on('message', (d) => { if (JSON.parse(d).type === 'answer') answers++; });
    ws.on('close', (code) => { if (code === 1001) goingAway++; resolve(); });
  }));
  await Promise.all(sockets.flatMap((ws) => [0, 1].map((id) => new Promise((resolve) =>
    ws.send(JSON.stringify({ type: 'ask', text: LONG_QUESTION, id }), resolve)))));
  srv.proc.kill('SIGTERM');
  await Promise.race([Promise.all(closed), sleep(15000)]);
  const code = await Promise.race([srv.exit, sleep(5000).then(() => 'still running')]);
  console.log(`3. SIGTERM with ${sockets.length} connections x 2 questions in flight: ${sockets.length * 2 - answers} ` +
    `of ${sockets.length * 2} lost, ${goingAway} closed with 1001, exit ${code}`);
  srv.proc.kill('SIGKILL');
}

await holdConnections();
await answersPerSecond();
await shutdownLosses();
process.exit(0);

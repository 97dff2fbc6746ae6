#!/usr/bin/env node
// Cold start: from the exec of `passerelle serve` to /healthz answering 200, and to the first
// question answered over the WebSocket, median of several runs, for the bundled knowledge and
// knowledge grown 10x and 50x (grow_knowledge.py):
//
//   node benchmark/cold_start.mjs [--bin build/passerelle] [--runs 5] [--factors 1,10,50]
//        [--grown DIR]
//
// --grown keeps the grown knowledge in DIR/k10, DIR/k50 (made when missing) for another run or
// scaling.sh; without it they are made in a temporary folder and removed. The clock starts just
// before spawn(); the client tries to connect every 2 ms. A measurement: exit 0 (1 when the
// server does not start). Uses `ws` from benchmark/nlpjs (npm ci --prefix benchmark/nlpjs).

import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { freePort, sleep } from '../tests/lib/harness.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.dirname(HERE);
const POLL_MS = 2;
const GIVE_UP_MS = 120000;
const QUESTION = 'Où se trouve Sopot ?';

const o = { bin: 'build/passerelle', runs: 5, factors: '1,10,50', grown: '' };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) {
  const k = argv[i].replace(/^--/, '');
  if (!(k in o) || i + 1 >= argv.length) {
    console.error('usage: node benchmark/cold_start.mjs [--bin PATH] [--runs N] [--factors 1,10,50] [--grown DIR]');
    process.exit(2);
  }
  o[k] = argv[i + 1];
}
const WebSocket = createRequire(path.join(HERE, 'nlpjs', 'package.json'))('ws');

function httpStatus(port, p) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: p, agent: false, timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('error', () => resolve(0));
    req.on('timeout', () => { req.destroy(); resolve(0); });
  });
}

/* Resolves once a WebSocket to port gets the answer to one question (else retries). */
function askOnce(port) {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
    ws.on('open', () => ws.send(JSON.stringify({ type: 'ask', text: QUESTION, id: 1 })));
    ws.on('message', (d) => {
      if (JSON.parse(d).type === 'answer') { ws.terminate(); resolve(true); }
    });
    ws.on('error', () => resolve(false));
    ws.on('unexpected-response', () => { ws.terminate(); resolve(false); });
  });
}

async function until(fn, t0) {
  while (performance.now() - t0 < GIVE_UP_MS) {
    if (await fn()) return performance.now() - t0;
    await sleep(POLL_MS);
  }
  return NaN;
}

async function oneRun(dirs) {
  const port = await freePort('127.0.0.1');
  const admin = await freePort('127.0.0.1');
  const t0 = performance.now();
  const proc = spawn(path.resolve(o.bin), ['serve', '--listen', `127.0.0.1:${port}`,
    '--admin-listen', `127.0.0.1:${admin}`, '--intents', dirs.intents, '--locales', dirs.locales],
  { stdio: ['ignore', 'ignore', 'ignore'] });
  const [health, answer] = await Promise.all([
    until(async () => (await httpStatus(admin, '/healthz')) === 200, t0),
    until(() => askOnce(port), t0),
  ]);
  proc.kill('SIGKILL');
  await new Promise((resolve) => proc.on('exit', resolve));
  if (Number.isNaN(health) || Number.isNaN(answer)) {
    console.error(`the server did not start on ${dirs.intents}`);
    process.exit(1);
  }
  return { health, answer };
}

function knowledge(factor, grownDir) {
  if (factor === 1) return { intents: path.join(ROOT, 'intents'), locales: path.join(ROOT, 'locales') };
  const out = path.join(grownDir, `k${factor}`);
  if (!fs.existsSync(out)) {
    execFileSync('python3', [path.join(HERE, 'grow_knowledge.py'), '--factor', String(factor), '--out', out],
      { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  return { intents: path.join(out, 'intents'), locales: path.join(out, 'locales') };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const grownDir = o.grown ? path.resolve(o.grown) : fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-grown-'));
fs.mkdirSync(grownDir, { recursive: true });
process.on('exit', () => { if (!o.grown) fs.rmSync(grownDir, { recursive: true, force: true }); });

console.log(`${execFileSync(path.resolve(o.bin), ['--version'], { encoding: 'utf8' }).trim()}, ` +
  `median of ${o.runs} runs, ms from exec (min-max)`);
console.log(`${'knowledge'.padEnd(10)}${'/healthz 200'.padStart(22)}${'first answer'.padStart(22)}`);
for (const factor of o.factors.split(',').map(Number)) {
  const dirs = knowledge(factor, grownDir);
  const runs = [];
  for (let i = 0; i < Number(o.runs); i++) runs.push(await oneRun(dirs));
  const cell = (k) => {
    const xs = runs.map((r) => r[k]);
    return `${median(xs).toFixed(0)} (${Math.min(...xs).toFixed(0)}-${Math.max(...xs).toFixed(0)})`;
  };
  console.log(`${`${factor}x`.padEnd(10)}${cell('health').padStart(22)}${cell('answer').padStart(22)}`);
}
process.exit(0);

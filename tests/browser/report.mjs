#!/usr/bin/env node
// The page of `passerelle report --html` in a real browser (Debian's Chromium through playwright-core).
//
//   node tests/browser/report.mjs --bin build/passerelle --root . --out build/screenshots/report [--live]
//
// Writes the report of tests/report/browser.jsonl to --out (with --live: of the staff log a real
// server wrote while Chromium asked it questions in five languages, voted and typed an e-mail
// address and a phone number), opens it from the file system, and checks
// that the charts are drawn (one bar per day and language with questions, one per nearest topic, each
// with a size), that the tables beside them hold the same figures, that residents' texts stay text,
// that the stylesheet passes the page's Content-Security-Policy, that nothing at all is requested but
// the page itself, that no console error is logged, that axe-core finds nothing, and that a phone
// shows it without sideways scrolling. Screenshots (desktop, phone) go to --out. Prints one line per
// check and `N passed, N failed`; exit code 0 only when all passed.

import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import process from 'node:process';
import { pathToFileURL } from 'node:url';
import { freePort, parseCommandLine, sleep } from '../lib/harness.mjs';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const DAY_MS = 86400000;
const TOP = 10; // the report's default --top: bars of the gap chart
const QUESTIONS = new Set(['answered', 'unanswered', 'clarification']);
const PHONE = { width: 360, height: 740 };
const DESKTOP = { width: 1280, height: 900 };

const USAGE = 'usage: node tests/browser/report.mjs --bin PATH/passerelle --root REPO_ROOT --out OUT_DIR [--live]';
const argv = process.argv.slice(2);
const LIVE = argv.includes('--live');
const opts = parseCommandLine(argv.filter((a) => a !== '--live'), ['bin', 'root', 'out'], USAGE);
const BIN = path.resolve(opts.bin);
const ROOT = path.resolve(opts.root);
const OUT = path.resolve(opts.out);
let LOG = path.join(ROOT, 'tests/report/browser.jsonl');
let FROM = '2026-11-23';
let TO = '2026-11-29';
const PAGE = path.join(OUT, 'report.html');
fs.mkdirSync(OUT, { recursive: true });

const require = createRequire(import.meta.url);
let chromium;
let axeSource;
try {
  ({ chromium } = await import('playwright-core'));
  axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
} catch (e) {
  console.error('playwright-core and axe-core are not installed: run `npm ci` in tests/browser first');
  console.log('0 passed, 1 failed');
  process.exit(1);
}

/* ------------------------------------------------------------------ --live: a log of a real server */

const HOST = '127.0.0.1';
const HOSTILE = '<script>alert("x")</script> « guillemets » \'simples\'';
const EMAIL = 'fatima.benali@example.org';
const PHONE_NUMBER = '+216 72 123 456';
// [question, language of the widget, vote on its answer (true, false) or none]
const CONVERSATION = [
  ['Avec quelles villes Colombes est-elle jumelée ?', 'fr', true],
  ['Où se trouve Sopot ?', 'fr', false],
  ['Y a-t-il une plage à Sopot ?', 'fr'],
  [HOSTILE, 'fr'],
  [`Mon adresse est ${EMAIL}, appelez-moi au ${PHONE_NUMBER} pour la cantine`, 'fr'],
  ['Seit wann gibt es die Partnerschaft mit Frankenthal?', 'de', true],
  ['Gibt es in Frankenthal ein Schwimmbad?', 'de'],
  ['Jakie miasta partnerskie ma Colombes?', 'pl'],
  ['Jaka jest pogoda w Sopocie?', 'pl'],
  ['O que é a cooperação descentralizada?', 'pt'],
  ['Há praias perto de Viana do Castelo?', 'pt'],
  ['ما هي المدن التوأم لكولومب؟', 'ar', false],
  ['كيف أجدد جواز سفري؟', 'ar'],
];

function get(port, urlPath) {
  return new Promise((resolve, reject) => {
    http.get({ host: HOST, port, path: urlPath, timeout: 2000, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    }).on('error', reject);
  });
}

/* Starts `passerelle serve` writing its staff log to log; resolves once /healthz answers. */
async function startServer(log) {
  const port = await freePort(HOST);
  const adminPort = await freePort(HOST);
  const proc = spawn(BIN, ['serve', '--listen', `${HOST}:${port}`, '--admin-listen', `${HOST}:${adminPort}`,
    '--intents', path.join(ROOT, 'intents'), '--locales', path.join(ROOT, 'locales'), '--web', path.join(ROOT, 'web'),
    '--staff-log', log], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((resolve) => proc.on('exit', resolve));
  for (let i = 0; i < 80; i++) {
    try {
      if (await get(adminPort, '/healthz') === 200) return { port, proc, exited, stderr: () => stderr };
    } catch { /* not yet */ }
    await sleep(100);
  }
  proc.kill('SIGKILL');
  throw new Error(`the server did not start: ${stderr}`);
}

/* The conversation, asked from a page of the server by Chromium's own WebSocket, one connection
 * per language as residents would; votes are sent on the answers. Returns the server's stderr. */
async function converse(browser, log) {
  const srv = await startServer(log);
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(`http://${HOST}:${srv.port}/`, { waitUntil: 'load' });
    const answered = await page.evaluate(async (turns) => {
      const url = `${location.origin.replace(/^http/, 'ws')}/ws`;
      const replies = [];
      for (const [text, lang, vote] of turns) {
        const ws = new WebSocket(`${url}?lang=${lang}`);
        const frames = [];
        let wake = () => {};
        ws.onmessage = (e) => { frames.push(JSON.parse(e.data)); wake(); };
        const next = () => new Promise((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`no reply to "${text}"`)), 3000);
          const take = () => {
            if (!frames.length) { wake = take; return; }
            wake = () => {};
            clearTimeout(timer);
            resolve(frames.shift());
          };
          take();
        });
        await next(); // welcome
        ws.send(JSON.stringify({ type: 'ask', text, lang }));
        const reply = await next();
        replies.push(reply.intent);
        if (vote !== undefined && reply.intent) {
          ws.send(JSON.stringify({ type: 'feedback', intent: reply.intent, useful: vote, lang }));
          await next();
        }
        ws.close();
      }
      return replies;
    }, CONVERSATION.map(([t, l, v]) => [t, l, v]));
    if (!answered.some((i) => i) || !answered.some((i) => !i)) {
      throw new Error(`the conversation needs answers and fallbacks: ${JSON.stringify(answered)}`);
    }
  } finally {
    await context.close();
    srv.proc.kill('SIGTERM');
    await srv.exited;
  }
  return srv.stderr();
}

/* What the page must show, worked out from the log here rather than taken from the page. */
function expected() {
  const cells = new Map(); // "day lang" -> questions
  const topics = new Map(); // nearest (or "") -> unanswered questions
  for (const line of fs.readFileSync(LOG, 'utf8').split('\n')) {
    let e;
    try {
      e = JSON.parse(line);
    } catch {
      continue;
    }
    const day = typeof e.ts === 'string' ? e.ts.slice(0, 10) : '';
    if (day < FROM || day > TO || !QUESTIONS.has(e.event)) continue;
    cells.set(`${day} ${e.lang}`, (cells.get(`${day} ${e.lang}`) || 0) + 1);
    if (e.event === 'unanswered') topics.set(e.nearest || '', (topics.get(e.nearest || '') || 0) + 1);
  }
  const total = [...cells.values()].reduce((a, b) => a + b, 0);
  return { dayBars: cells.size, topicBars: Math.min(topics.size, TOP), total, topics };
}

const checks = [];
const check = (name, fn) => checks.push({ name, fn });

/* The size of every bar of one chart, as the browser lays it out. */
const bars = (page, chart) => page.$$eval(`#${chart} rect.bar`, (rects) => rects.map((r) => {
  const box = r.getBBox();
  const shown = r.getBoundingClientRect();
  return { w: box.width, h: box.height, sw: shown.width, sh: shown.height, title: r.querySelector('title')?.textContent };
}));

/* The cells of a table of the page, rows of texts (header row first). */
const tableCells = (page, id) => page.$$eval(`#${id}`, ([caption]) => {
  const table = caption.closest('table');
  return [...table.rows].map((row) => [...row.cells].map((c) => c.textContent));
});

/* A number as the French report writes it: "1 234" with narrow no-break spaces. */
const number = (text) => Number(text.replace(/[\s\u202f\u00a0]/g, ''));

async function main() {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  if (LIVE) {
    LOG = path.join(OUT, 'staff.log');
    fs.rmSync(LOG, { force: true });
    const stderr = await converse(browser, LOG);
    const today = new Date();
    TO = today.toISOString().slice(0, 10);
    FROM = new Date(today.getTime() - 6 * DAY_MS).toISOString().slice(0, 10);
    check('the server wrote the conversation to its staff log, and no e-mail or phone number', async () => {
      const text = fs.readFileSync(LOG, 'utf8');
      for (const kind of ['answered', 'unanswered', 'feedback']) {
        if (!text.includes(`"event":"${kind}"`)) throw new Error(`no ${kind} event in the log`);
      }
      for (const secret of [EMAIL, PHONE_NUMBER, '72 123 456']) {
        if (text.includes(secret) || stderr.includes(secret)) throw new Error(`"${secret}" was logged`);
      }
      if (!text.includes('[email]') || !text.includes('[phone]')) throw new Error('the masks are not in the log');
    });
  }
  const want = expected();
  execFileSync(BIN, ['report', '--log', LOG, '--from', FROM, '--to', TO, '--html', PAGE],
    { env: { PATH: process.env.PATH, LANG: 'C.UTF-8' }, stdio: ['ignore', 'ignore', 'inherit'] });
  const url = pathToFileURL(PAGE).href;

  const requests = [];
  const consoleErrors = [];
  async function open(viewport) {
    const context = await browser.newContext({ viewport, locale: 'fr-FR' });
    // Anything but the page itself is refused, and counted: the page must need nothing else.
    await context.route('**/*', (route) => (route.request().url() === url ? route.continue() : route.abort()));
    const page = await context.newPage();
    page.on('request', (r) => requests.push(r.url()));
    page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
    page.on('pageerror', (e) => consoleErrors.push(String(e)));
    await page.goto(url, { waitUntil: 'load' });
    return { context, page };
  }

  const desktop = await open(DESKTOP);
  const page = desktop.page;

  check('the page is French, has no script, and its stylesheet passes its policy', async () => {
    const facts = await page.evaluate(() => ({
      lang: document.documentElement.lang,
      scripts: document.querySelectorAll('script').length,
      csp: document.querySelector('meta[http-equiv="Content-Security-Policy"]')?.content || '',
      font: getComputedStyle(document.body).fontFamily,
      chartWidth: getComputedStyle(document.querySelector('svg.chart')).maxWidth,
    }));
    if (facts.lang !== 'fr') throw new Error(`lang="${facts.lang}"`);
    if (facts.scripts !== 0) throw new Error(`${facts.scripts} script elements`);
    if (!/default-src 'none'/.test(facts.csp) || !/style-src 'sha256-/.test(facts.csp)) {
      throw new Error(`policy: ${facts.csp}`);
    }
    // The inline stylesheet applies only when its hash matches the policy's.
    if (!/system-ui/.test(facts.font) || facts.chartWidth === 'none') {
      throw new Error(`the stylesheet was not applied (font ${facts.font}, chart max-width ${facts.chartWidth})`);
    }
  });

  check('questions per day: one drawn bar per day and language with questions', async () => {
    const drawn = await bars(page, 'chart-days');
    if (drawn.length !== want.dayBars) throw new Error(`${drawn.length} bars, expected ${want.dayBars}`);
    const flat = drawn.filter((b) => !(b.w > 0 && b.h > 0 && b.sw > 0 && b.sh > 0));
    if (flat.length) throw new Error(`bars without size: ${JSON.stringify(flat)}`);
    const sum = drawn.reduce((a, b) => a + number(b.title.replace(/^.*: /, '').replace(/ questions?$/, '')), 0);
    if (sum !== want.total) throw new Error(`the bars' titles add up to ${sum}, expected ${want.total}`);
  });

  check('questions per day: the table holds the same figures as the bars', async () => {
    const rows = await tableCells(page, 'table-days');
    const langs = rows[0].slice(1, -2);
    let cells = 0;
    let total = 0;
    for (const row of rows.slice(1)) {
      for (let i = 0; i < langs.length; i++) cells += number(row[1 + i]) > 0 ? 1 : 0;
      total += number(row[langs.length + 1]);
    }
    if (rows.length - 1 !== 7) throw new Error(`${rows.length - 1} days in the table, expected 7`);
    if (cells !== want.dayBars || total !== want.total) {
      throw new Error(`table: ${cells} non-empty cells and ${total} questions; bars: ${want.dayBars}, ${want.total}`);
    }
  });

  check('unanswered questions: one drawn bar per nearest topic, longest first', async () => {
    const drawn = await bars(page, 'chart-gaps');
    if (drawn.length !== want.topicBars) throw new Error(`${drawn.length} bars, expected ${want.topicBars}`);
    if (drawn.some((b) => !(b.w > 0 && b.h > 0 && b.sw > 0))) throw new Error('a bar without size');
    for (let i = 1; i < drawn.length; i++) {
      if (drawn[i].w > drawn[i - 1].w) throw new Error(`bar ${i + 1} is longer than bar ${i}`);
    }
    const rows = (await tableCells(page, 'table-topics')).slice(1);
    const counts = rows.map((r) => number(r[1])).sort((a, b) => b - a);
    const fromLog = [...want.topics.values()].sort((a, b) => b - a).slice(0, TOP);
    if (JSON.stringify(counts) !== JSON.stringify(fromLog)) {
      throw new Error(`table ${JSON.stringify(counts)}, log ${JSON.stringify(fromLog)}`);
    }
  });

  check('the charts are images with a title and a description', async () => {
    const charts = await page.$$eval('svg.chart', (svgs) => svgs.map((s) => ({
      role: s.getAttribute('role'),
      names: (s.getAttribute('aria-labelledby') || '').split(' ').map((id) => document.getElementById(id)?.textContent || ''),
      title: s.querySelector(':scope > title')?.textContent || '',
      desc: s.querySelector(':scope > desc')?.textContent || '',
    })));
    if (charts.length !== 2) throw new Error(`${charts.length} charts`);
    for (const c of charts) {
      if (c.role !== 'img' || !c.title || !c.desc || c.names.some((n) => !n)) throw new Error(JSON.stringify(c));
    }
  });

  check('a resident’s <script> is shown as text, in its language', async () => {
    const spans = await page.$$eval('ul.texts span[lang]', (s) => s.map((e) => ({ text: e.textContent, lang: e.lang, dir: e.dir })));
    const hostile = spans.find((s) => s.text.startsWith('<script>alert("x")</script>'));
    if (!hostile) throw new Error('the text with <script> is not shown as written');
    if (!spans.some((s) => s.lang === 'ar' && s.dir === 'auto')) throw new Error('no Arabic text with lang="ar" dir="auto"');
  });

  check('axe-core finds no accessibility problem', async () => {
    await page.evaluate(axeSource);
    const result = await page.evaluate(() => window.axe.run(document));
    if (result.violations.length) {
      throw new Error(result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target).join(', ')}`).join('; '));
    }
  });

  check('desktop screenshot', async () => {
    await page.screenshot({ path: path.join(OUT, 'report-desktop.png'), fullPage: true });
  });

  check('on a phone: no sideways scrolling, charts within the width', async () => {
    const phone = await open(PHONE);
    try {
      const m = await phone.page.evaluate(() => ({
        scroll: document.documentElement.scrollWidth,
        width: document.documentElement.clientWidth,
        charts: [...document.querySelectorAll('svg.chart')].map((s) => s.getBoundingClientRect().right),
      }));
      await phone.page.screenshot({ path: path.join(OUT, 'report-phone.png'), fullPage: true });
      if (m.scroll > m.width) throw new Error(`the page is ${m.scroll} px wide on a ${m.width} px screen`);
      if (m.charts.some((r) => r > m.width)) throw new Error(`a chart ends at ${Math.max(...m.charts)} px`);
    } finally {
      await phone.context.close();
    }
  });

  check('nothing was requested but the page, and no console error', async () => {
    const others = requests.filter((r) => r !== url);
    if (others.length) throw new Error(`requests: ${others.join(', ')}`);
    if (!requests.length) throw new Error('not even the page was seen: the request log does not work');
    if (consoleErrors.length) throw new Error(`console: ${consoleErrors.join(' | ')}`);
  });

  let passed = 0;
  let failed = 0;
  for (const c of checks) {
    try {
      await c.fn();
      console.log(`PASS ${c.name}`);
      passed++;
    } catch (e) {
      console.log(`FAIL ${c.name}: ${e.message}`);
      failed++;
    }
  }
  await browser.close();
  console.log(`${passed} passed, ${failed} failed`);
  return failed ? 1 : 0;
}

main().then((code) => process.exit(code), (e) => {
  console.log(`FAIL setup: ${e.stack || e}`);
  console.log('0 passed, 1 failed');
  process.exit(1);
});

#!/usr/bin/env node
// Real-browser tests of the Passerelle widget (web/) against the real server.
//
//   node tests/browser/run.mjs --bin build/passerelle --root . --out build/browser-test
//
// Starts `passerelle serve` on a free loopback port, drives Debian's Chromium through
// playwright-core (never a downloaded browser), runs the scenarios in order on one page (each
// builds on the conversation so far, as a person would), stops the server, prints one line per
// scenario and `N passed, N failed`. Exit code 0 only when every scenario passed.
// Screenshots (desktop and phone, ltr and rtl) and the server's log are written to --out.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import process from 'node:process';
import { assert, freePort, parseCommandLine, sleep, withTimeout } from '../lib/harness.mjs';
import { buildLabels, LABELS_FILE, labelsText } from './labels.mjs';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const RUN_BUDGET_MS = 115000; // the whole run must stay under two minutes
const SCENARIO_TIMEOUT_MS = 20000;
const HOST = '127.0.0.1';

const FR_QUESTION = 'Avec quelles villes Colombes est-elle jumelée ?';
const AR_QUESTION = 'ما هي المدن التوأم لكولومب؟';
const PL_QUESTION = 'Jakie miasta partnerskie ma Colombes?';
const OFFLINE_QUESTION = 'Où se trouve Sopot ?';
const AFTER_RECONNECT_QUESTION = 'Qu’est-ce que la coopération décentralisée ?';
const INJECTION = '<img src=x onerror=alert(1)>';
const PHONE = { width: 360, height: 640 };
const PHONE_KEYBOARD = { width: 360, height: 330 }; // the same phone with its on-screen keyboard open
const DEFAULT_MAX_TEXT = 1000; // the server's default --max-text
// A resident's long question: 2,000 characters of real sentences, twice the limit.
const LONG_FR = 'Bonjour, je voudrais savoir comment ma classe peut participer à un échange avec Sopot ' +
  'et quelles aides existent pour le voyage. ';
const LONG_AR = 'مرحبًا، أود أن أعرف كيف يمكن لصفي المشاركة في تبادل مع سوبوت وما هي المساعدات المتاحة للسفر. ';
// n characters of text repeated, ending in a letter (the widget counts what it would send: trimmed).
const repeatTo = (text, n) => {
  const chars = Array.from(text.repeat(Math.ceil(n / Array.from(text).length) + 1)).slice(0, n);
  if (/\s/.test(chars[n - 1])) chars[n - 1] = '?';
  return chars.join('');
};

/* ------------------------------------------------------------------ arguments */

const USAGE = 'usage: node tests/browser/run.mjs --bin PATH/passerelle --root REPO_ROOT --out OUT_DIR';
const opts = parseCommandLine(process.argv.slice(2), ['bin', 'root', 'out'], USAGE);
const BIN = path.resolve(opts.bin);
const ROOT = path.resolve(opts.root);
const OUT = path.resolve(opts.out);
fs.mkdirSync(OUT, { recursive: true });

let chromium;
try {
  ({ chromium } = await import('playwright-core'));
} catch (e) {
  console.error('playwright-core is not installed: run `npm ci` in tests/browser first');
  console.log('0 passed, 1 failed');
  process.exit(1);
}
for (const [what, file] of [['server binary', BIN], ['Chromium', CHROMIUM]]) {
  if (!fs.existsSync(file)) {
    console.error(`${what} not found: ${file}${file === CHROMIUM ? ' (apt-get install -y chromium)' : ''}`);
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
}

/* ------------------------------------------------------------------ small helpers */

// axe-core, run inside the page by evaluate (which the page's Content-Security-Policy does not block).
const require = createRequire(import.meta.url);
let AXE_SOURCE = '';
try {
  AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
} catch (e) {
  console.error('axe-core is not installed: run `npm ci` in tests/browser first');
  console.log('0 passed, 1 failed');
  process.exit(1);
}

async function poll(check, ms, what) {
  const deadline = Date.now() + ms;
  let last;
  while (Date.now() < deadline) {
    last = await check();
    if (last) return last;
    await sleep(100);
  }
  throw new Error(`${what} (waited ${ms / 1000} s)`);
}


/* ------------------------------------------------------------------ the server */

const serverLog = fs.createWriteStream(path.join(OUT, 'server.log'));
let server = null;
let port = 0;
let adminPort = 0; // /metrics, where the votes are counted

// One secret for every start of the server, as replicas share one: a restarted server reads the
// context tokens the widget got from the one before.
const SECRET = path.join(OUT, 'context.secret');
fs.writeFileSync(SECRET, `${'browser-test-context-secret-'.repeat(2)}\n`, { mode: 0o600 });

async function startServer() {
  // The port was just freed (a restart) and may linger briefly: retry the bind for a few seconds.
  const deadline = Date.now() + 10000;
  for (;;) {
    const child = spawn(BIN, ['serve', '--listen', `${HOST}:${port}`, '--admin-listen', `${HOST}:${adminPort}`,
      '--intents', path.join(ROOT, 'intents'), '--locales', path.join(ROOT, 'locales'),
      '--web', path.join(ROOT, 'web'), '--context-secret-file', SECRET], { stdio: ['ignore', 'pipe', 'pipe'] });
    let exited = false;
    child.on('exit', (code, signal) => {
      exited = true;
      serverLog.write(`--- server exited: code ${code} signal ${signal}\n`);
    });
    child.stdout.pipe(serverLog, { end: false });
    child.stderr.pipe(serverLog, { end: false });
    const readyBy = Date.now() + 8000;
    while (!exited && Date.now() < readyBy) {
      try {
        const res = await fetch(`http://${HOST}:${port}/`);
        if (res.ok) {
          server = child;
          return;
        }
      } catch (e) {
        // not listening yet
      }
      await sleep(100);
    }
    if (!exited) child.kill('SIGKILL');
    if (Date.now() > deadline) throw new Error(`server did not start on port ${port} (see ${OUT}/server.log)`);
    await sleep(300);
  }
}

async function stopServer() {
  const child = server;
  server = null;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const done = await Promise.race([exited.then(() => true), sleep(5000).then(() => false)]);
  if (!done) {
    child.kill('SIGKILL');
    await exited;
  }
}

/* ------------------------------------------------------------------ the page, seen from outside */

const received = []; // every frame the page got from the server, parsed
const sent = []; // every frame the page sent
const dialogs = [];

function watchPage(page) {
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    dialog.dismiss().catch(() => {});
  });
  page.on('websocket', (ws) => {
    ws.on('framereceived', (f) => { try { received.push(JSON.parse(f.payload)); } catch (e) { /* not JSON */ } });
    ws.on('framesent', (f) => { try { sent.push(JSON.parse(f.payload)); } catch (e) { /* not JSON */ } });
  });
}

function welcome() {
  const frames = received.filter((f) => f.type === 'welcome');
  return frames[frames.length - 1];
}

function labelsOf(lang) {
  const info = (welcome()?.languages || []).find((l) => l.code === lang);
  assert(info && info.labels, `welcome frame has no labels for ${lang}`);
  return info.labels;
}

// A text as the widget shows it in a language: French sets a narrow no-break space before ? ! : ;
// (and inside « »), so that the sign never wraps alone onto a new line.
function shown(text, lang) {
  if (lang !== 'fr') return text;
  return text.replace(/[ \u00A0](?=[?!:;»])/g, '\u202F').replace(/«[ \u00A0]/g, '«\u202F');
}

// The labels of the locales under --root, as the widget shows them, with {name} filled in.
const LOCALES = Object.fromEntries(buildLabels(ROOT).languages.map((l) => [l.code, l]));
function localLabel(lang, key, values = {}) {
  const text = LOCALES[lang].labels[key];
  assert(typeof text === 'string' && text, `locales/${lang}.json has no label ${key}`);
  return shown(text.replace(/\{(\w+)\}/g, (all, name) => (name in values ? String(values[name]) : all)), lang);
}

const digits = (text) => (text || '').replace(/\D+/g, ' ').trim();

// axe-core (every rule it runs by default) over the widget, its open shadow root included; the demo
// page around it is not the widget's to answer for.
async function axeClean(p, what) {
  if (!(await p.evaluate(() => typeof window.axe === 'object'))) await p.evaluate(AXE_SOURCE);
  const violations = await p.evaluate(async () => {
    const result = await window.axe.run({ include: ['passerelle-chat'] }, { resultTypes: ['violations'] });
    return result.violations.map((v) => `${v.id} (${v.impact}) at ${v.nodes.slice(0, 3).map((n) => n.target.join(' > ')).join(', ')}`);
  });
  assert(violations.length === 0, `${what}: axe-core reports ${violations.join('; ')}`);
}

// While the chat server is down, a proxy cache on its address still serves the page and the widget's
// files (from web/ on disk) and answers the WebSocket upgrade with 502, as a proxy whose backend
// restarts does. (A page fulfilled by Playwright's routing would count as a public one, and Chromium
// would then refuse its WebSocket to the loopback server.)
async function startCache() {
  const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json' };
  const webDir = path.join(ROOT, 'web');
  const cache = http.createServer((req, res) => {
    let rel = decodeURIComponent(new URL(req.url, 'http://cache').pathname);
    if (rel.endsWith('/')) rel += 'index.html';
    const file = path.join(webDir, path.normalize(rel));
    if (req.method !== 'GET' || !file.startsWith(webDir + path.sep) || !fs.existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': types[path.extname(file)] || 'application/octet-stream' });
    res.end(fs.readFileSync(file));
  });
  cache.on('upgrade', (req, socket) => socket.end('HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n'));
  await new Promise((resolve, reject) => {
    cache.once('error', reject);
    cache.listen(port, HOST, resolve);
  });
  return async () => {
    cache.closeAllConnections();
    await new Promise((resolve) => cache.close(resolve));
  };
}

async function shot(p, name, shots) {
  await p.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
  await p.screenshot({ path: path.join(OUT, `${name}.png`) });
  shots.push(`${name}.png`);
}

// Runs inside the page: the widget's elements live in an open shadow root.
const IN_PAGE = {
  state: () => {
    const host = document.querySelector('passerelle-chat');
    const root = host && host.shadowRoot && host.shadowRoot.querySelector('.pw-root');
    if (!root) return null;
    const q = (s) => root.querySelector(s);
    const texts = (s) => Array.from(root.querySelectorAll(s)).map((n) => n.textContent);
    const visibleText = (s) => (q(s) && !q(s).hidden ? q(s).textContent : null);
    return {
      lang: root.getAttribute('lang'),
      dir: root.getAttribute('dir'),
      hostDir: host.getAttribute('dir'),
      conn: root.getAttribute('data-conn'),
      open: !q('.pw-panel').hidden,
      title: q('.pw-title').textContent,
      status: q('.pw-status').textContent,
      send: q('.pw-send').textContent,
      placeholder: q('.pw-input').placeholder,
      select: q('.pw-lang').value,
      options: Array.from(root.querySelectorAll('.pw-lang option')).map((o) => o.textContent),
      bot: texts('.pw-msg--bot .pw-text'),
      user: texts('.pw-msg--user .pw-text'),
      all: texts('.pw-msg .pw-text'),
      unsent: texts('.pw-unsent'),
      suggestions: texts('.pw-suggestion'),
      suggestionsLang: (q('.pw-suggestions') || { getAttribute: () => null }).getAttribute('lang'),
      typingShown: !q('.pw-typing').hidden,
      shown: !root.hidden,
      notice: visibleText('.pw-notice'),
      counter: visibleText('.pw-counter'),
      fieldError: visibleText('.pw-field-error'),
      inputLength: Array.from(q('.pw-input').value).length,
      invalid: q('.pw-input').getAttribute('aria-invalid') === 'true',
      badge: !q('.pw-badge').hidden,
      live: root.querySelector('[aria-live]').textContent,
      headerHeight: q('.pw-header').getBoundingClientRect().height
    };
  },
  // Where the latest message is, against the visible part of the conversation and the window.
  latest: () => {
    const root = document.querySelector('passerelle-chat').shadowRoot;
    const log = root.querySelector('.pw-log').getBoundingClientRect();
    const items = root.querySelectorAll('.pw-msg');
    const last = items[items.length - 1];
    const r = last.querySelector('.pw-bubble').getBoundingClientRect();
    const input = root.querySelector('.pw-input').getBoundingClientRect();
    const header = root.querySelector('.pw-header').getBoundingClientRect();
    return {
      bot: last.classList.contains('pw-msg--bot'),
      top: r.top, bottom: r.bottom, logTop: log.top, logBottom: log.bottom,
      startVisible: r.top >= log.top - 1 && r.top + 20 <= log.bottom,
      inputVisible: input.top >= 0 && input.bottom <= window.innerHeight,
      headerVisible: header.top >= 0 && header.bottom <= window.innerHeight
    };
  },
  fontOf: ([selector, index]) => {
    const root = document.querySelector('passerelle-chat').shadowRoot;
    const all = root.querySelectorAll(selector);
    const n = all[index < 0 ? all.length + index : index];
    if (!n) return null;
    const cs = getComputedStyle(n);
    return { size: parseFloat(cs.fontSize), family: cs.fontFamily, lang: n.closest('[lang]').getAttribute('lang') };
  },
  focus: () => {
    const host = document.querySelector('passerelle-chat');
    if (document.activeElement !== host) {
      return { inWidget: false, tag: document.activeElement ? document.activeElement.tagName : null };
    }
    const el = host.shadowRoot.activeElement;
    if (!el) return { inWidget: false, tag: 'PASSERELLE-CHAT' };
    const cs = getComputedStyle(el);
    const outline = cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) >= 2;
    const shadow = cs.boxShadow && cs.boxShadow !== 'none';
    const r = el.getBoundingClientRect();
    return {
      inWidget: true,
      cls: (el.getAttribute('class') || el.tagName).split(' ')[0],
      visibleFocus: el.matches(':focus-visible') && (outline || shadow),
      onScreen: r.width > 0 && r.height > 0 && r.bottom > 0 && r.right > 0 &&
        r.top < window.innerHeight && r.left < window.innerWidth,
      name: el.getAttribute('aria-label') || (el.labels && el.labels[0] ? el.labels[0].textContent : '') ||
        el.textContent.trim() || el.getAttribute('aria-labelledby') || ''
    };
  },
  // Records whether the typing indicator is ever shown, however briefly.
  watchTyping: () => {
    const root = document.querySelector('passerelle-chat').shadowRoot;
    window.__pwTypingSeen = false;
    const typing = root.querySelector('.pw-typing');
    const obs = new MutationObserver(() => { if (!typing.hidden) window.__pwTypingSeen = true; });
    obs.observe(typing, { attributes: true, attributeFilter: ['hidden'] });
    window.__pwTypingObserver = obs;
  },
  rects: () => {
    const root = document.querySelector('passerelle-chat').shadowRoot;
    const rect = (s) => {
      const n = root.querySelector(s);
      if (!n) return null;
      const r = n.getBoundingClientRect();
      return { left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: r.width, height: r.height };
    };
    const panel = root.querySelector('.pw-panel');
    const log = root.querySelector('.pw-log');
    return {
      vw: window.innerWidth,
      vh: window.innerHeight,
      pageOverflowX: document.documentElement.scrollWidth > window.innerWidth,
      panelOverflowX: panel.scrollWidth > panel.clientWidth + 1 || log.scrollWidth > log.clientWidth + 1,
      panel: rect('.pw-panel'),
      title: rect('.pw-title'),
      close: rect('.pw-close'),
      input: rect('.pw-input'),
      send: rect('.pw-send'),
      lastUser: (() => {
        const all = root.querySelectorAll('.pw-msg--user .pw-bubble');
        if (!all.length) return null;
        const r = all[all.length - 1].getBoundingClientRect();
        return { left: r.left, right: r.right };
      })()
    };
  }
};

const state = (page) => page.evaluate(IN_PAGE.state);
const focusInfo = (page) => page.evaluate(IN_PAGE.focus);

async function waitForWidget(page) {
  await page.waitForFunction(() => {
    const host = document.querySelector('passerelle-chat');
    const root = host && host.shadowRoot && host.shadowRoot.querySelector('.pw-root');
    return root && !root.hidden && root.getAttribute('data-conn') === 'online' &&
      root.querySelectorAll('.pw-msg--bot').length > 0;
  }, null, { timeout: 10000 });
}

async function ensureOpen(page) {
  const s = await state(page);
  if (!s.open) await page.locator('.pw-launcher').click();
  await page.locator('.pw-panel').waitFor({ state: 'visible' });
}

async function chooseLanguage(page, lang) {
  await ensureOpen(page);
  await page.locator('.pw-lang').selectOption(lang);
  await poll(async () => (await state(page)).lang === lang, 3000, `widget did not switch to ${lang}`);
}

// Types a question like a person (field, Enter) and returns the server's reply frame to it.
async function askAndWait(page, text) {
  await ensureOpen(page);
  const sentBefore = sent.length;
  const botBefore = (await state(page)).bot.length;
  await page.locator('.pw-input').fill(text);
  await page.locator('.pw-input').press('Enter');
  const question = await poll(() => sent.slice(sentBefore).find((f) => f.type === 'ask' && f.text === text),
    5000, `the widget did not send ${JSON.stringify(text)}`);
  const reply = await poll(() => received.find((f) => (f.type === 'answer' || f.type === 'error') && f.id === question.id),
    10000, `no reply to ${JSON.stringify(text)}`);
  await poll(async () => (await state(page)).bot.length > botBefore, 5000, 'the reply was not shown');
  return { question, reply };
}

/* ------------------------------------------------------------------ scenarios */

const scenarios = [];
const scenario = (name, fn, timeout = SCENARIO_TIMEOUT_MS) => scenarios.push({ name, fn, timeout });

let browser;
let context;
let page;

scenario('open the demo page and the widget', async () => {
  await page.goto(`http://${HOST}:${port}/`);
  assert((await page.locator('h1').textContent()).trim().length > 0, 'the demo page has no heading');
  await waitForWidget(page);
  const w = welcome();
  assert(w && Array.isArray(w.languages) && w.languages.length === 5, 'no welcome frame with five languages');
  let s = await state(page);
  assert(!s.open, 'the panel should start closed');
  await page.locator('.pw-launcher').click();
  await page.locator('.pw-panel').waitFor({ state: 'visible' });
  s = await state(page);
  const fr = labelsOf('fr');
  assert(s.lang === 'fr' && s.dir === 'ltr', `expected lang fr / ltr, got ${s.lang} / ${s.dir}`);
  assert(s.title === shown(fr.title, 'fr'), `title ${JSON.stringify(s.title)} is not the fr label ${JSON.stringify(fr.title)}`);
  assert(s.bot[0] === shown(w.text, 'fr'), 'the greeting is not the welcome text');
  const names = w.languages.map((l) => l.name);
  assert(JSON.stringify(s.options) === JSON.stringify(names), `language options ${s.options} != ${names}`);
  const f = await focusInfo(page);
  assert(f.inWidget && f.cls === 'pw-input', `opening should focus the question field, focus is on ${f.cls || f.tag}`);
  await axeClean(page, 'connected, panel open');
});

scenario('ask in French, get a French answer', async () => {
  await chooseLanguage(page, 'fr');
  await page.evaluate(IN_PAGE.watchTyping);
  const { question, reply } = await askAndWait(page, FR_QUESTION);
  assert(question.lang === 'fr', `the ask carried lang ${question.lang}, expected fr`);
  assert(reply.type === 'answer', `got ${reply.type} ${reply.code || ''}`);
  assert(reply.lang === 'fr', `answer lang ${reply.lang}, expected fr`);
  const s = await state(page);
  assert(s.lang === 'fr', `widget lang ${s.lang}, expected fr`);
  assert(s.bot[s.bot.length - 1] === shown(reply.text, 'fr'), 'the answer text is not shown as sent');
  // French typography: no ordinary space before : ? ! ; in what is shown, a narrow no-break one instead.
  assert(/[ \u00A0][:?!;]/.test(reply.text), 'the French answer has no " :" to check the typography on');
  assert(!/[ \u00A0][:?!;»]/.test(s.bot[s.bot.length - 1]), 'a French sign can wrap alone onto a new line');
  assert(await page.evaluate(() => window.__pwTypingSeen), 'the typing indicator never showed while waiting');
  assert(!s.typingShown, 'the typing indicator is still shown after the answer');
  return `intent ${reply.intent}`;
});

scenario('switch to Arabic: rtl and an Arabic answer', async () => {
  await chooseLanguage(page, 'ar');
  let s = await state(page);
  assert(s.dir === 'rtl' && s.hostDir === 'rtl', `dir is ${s.dir}/${s.hostDir}, expected rtl`);
  assert(s.title === labelsOf('ar').title, 'the title is not the Arabic label');
  const { question, reply } = await askAndWait(page, AR_QUESTION);
  assert(question.lang === 'ar', `the ask carried lang ${question.lang}, expected ar`);
  assert(reply.type === 'answer' && reply.lang === 'ar', `answer lang ${reply.lang}, expected ar`);
  assert(/[\u0600-\u06FF]/.test(reply.text), 'the answer has no Arabic text');
  s = await state(page);
  assert(s.dir === 'rtl' && s.lang === 'ar', `after the answer: ${s.lang}/${s.dir}`);
  // Mirrored layout: the close button sits on the left of the title, the user's bubble on the left.
  const r = await page.evaluate(IN_PAGE.rects);
  assert(r.close.right <= r.title.left + 1, 'in rtl the close button should be left of the title');
  assert(r.lastUser.left - r.panel.left < r.panel.right - r.lastUser.right,
    'in rtl the user bubble should hug the left side');
  // Arabic letters are drawn smaller than Latin ones at the same size: Arabic text is set larger, in
  // fonts made for it. Here the French answer (above) and the Arabic one share the Arabic widget.
  const ar = await page.evaluate(IN_PAGE.fontOf, ['.pw-msg--bot .pw-text', -1]);
  const latin = await page.evaluate(IN_PAGE.fontOf, ['.pw-msg--bot .pw-text[lang="fr"]', -1]);
  assert(ar.lang === 'ar' && latin.lang === 'fr', `compared ${ar.lang} with ${latin.lang}`);
  assert(ar.size >= latin.size * 1.1, `Arabic text is ${ar.size}px, Latin ${latin.size}px`);
  assert(/Arabic/.test(ar.family.split(',')[0]), `Arabic text is set in ${ar.family}`);
  const field = await page.evaluate(IN_PAGE.fontOf, ['.pw-input', 0]);
  assert(field.size >= 18, `the field is ${field.size}px in Arabic`);
  return `intent ${reply.intent}; Arabic ${ar.size}px, Latin ${latin.size}px`;
});

scenario('switch back to French: ltr', async () => {
  await chooseLanguage(page, 'fr');
  const s = await state(page);
  assert(s.dir === 'ltr' && s.hostDir === 'ltr', `dir is ${s.dir}, expected ltr`);
  const fr = labelsOf('fr');
  assert(s.title === shown(fr.title, 'fr') && s.send === shown(fr.send, 'fr') && s.placeholder === shown(fr.placeholder, 'fr'),
    'labels are not French');
  const latin = await page.evaluate(IN_PAGE.fontOf, ['.pw-msg--bot .pw-text[lang="fr"]', -1]);
  const ar = await page.evaluate(IN_PAGE.fontOf, ['.pw-msg--bot .pw-text[lang="ar"]', -1]);
  assert(ar.size >= latin.size * 1.1, `in the French widget, Arabic text is ${ar.size}px, Latin ${latin.size}px`);
  const r = await page.evaluate(IN_PAGE.rects);
  assert(r.close.left >= r.title.right - 1, 'in ltr the close button should be right of the title');
});

scenario('Polish on the French widget switches it to Polish', async () => {
  const before = await state(page);
  assert(before.lang === 'fr', `widget should start in fr, is ${before.lang}`);
  const { question, reply } = await askAndWait(page, PL_QUESTION);
  assert(question.lang === 'fr', `the ask carried lang ${question.lang}, expected the fr hint`);
  assert(reply.type === 'answer' && reply.lang === 'pl', `answer lang ${reply.lang}, expected pl`);
  const pl = labelsOf('pl');
  await poll(async () => (await state(page)).lang === 'pl', 3000, 'the widget did not switch to pl');
  const s = await state(page);
  assert(s.select === 'pl', `the language selector shows ${s.select}`);
  assert(s.title === shown(pl.title, 'pl') && s.send === pl.send && s.placeholder === pl.placeholder,
    `labels are not Polish: ${s.title} / ${s.send} / ${s.placeholder}`);
  assert(s.status === pl.online, `status ${JSON.stringify(s.status)} is not the Polish online label`);
  return `intent ${reply.intent}`;
});

scenario('a suggestion button asks its intent', async () => {
  await ensureOpen(page);
  const buttons = page.locator('.pw-suggestion');
  const count = await buttons.count();
  assert(count > 0, 'the last answer shows no suggestion buttons');
  const label = (await buttons.first().textContent()).trim();
  const sentBefore = sent.length;
  const botBefore = (await state(page)).bot.length;
  await buttons.first().click();
  const question = await poll(() => sent.slice(sentBefore).find((f) => f.type === 'ask'), 5000, 'no ask was sent');
  assert(typeof question.intent === 'string' && question.intent && question.text === undefined,
    `the click sent ${JSON.stringify(question)}, expected an intent ask`);
  const reply = await poll(() => received.find((f) => f.id === question.id), 10000, 'no answer to the suggestion');
  assert(reply.type === 'answer' && reply.text, `got ${reply.type}`);
  await poll(async () => (await state(page)).bot.length > botBefore, 5000, 'the answer was not shown');
  const s = await state(page);
  assert(s.user[s.user.length - 1] === label, 'the clicked suggestion is not shown as the user message');
  return `${question.intent} -> ${reply.intent}`;
});

scenario('HTML in a message is shown as text', async () => {
  const { reply } = await askAndWait(page, INJECTION);
  await sleep(300);
  const s = await state(page);
  assert(s.user[s.user.length - 1] === INJECTION, 'the message is not displayed verbatim');
  const imgs = await page.evaluate(() => document.querySelectorAll('img').length +
    document.querySelector('passerelle-chat').shadowRoot.querySelectorAll('img').length);
  assert(imgs === 0, `${imgs} <img> element(s) were created`);
  assert(dialogs.length === 0, `a dialog fired: ${dialogs.join(', ')}`);
  return `reply ${reply.type}`;
});

scenario('keyboard: open, tab order, visible focus, Escape', async () => {
  // Start closed, with focus on the page.
  if ((await state(page)).open) await page.locator('.pw-close').click();
  await page.evaluate(() => { if (document.activeElement) document.activeElement.blur(); });
  let f;
  for (let i = 0; i < 15; i++) {
    await page.keyboard.press('Tab');
    f = await focusInfo(page);
    if (f.inWidget) break;
  }
  assert(f.inWidget && f.cls === 'pw-launcher', 'Tab never reached the open button');
  assert(f.visibleFocus, 'the open button has no visible focus');
  assert(f.name, 'the open button has no accessible name');
  await page.keyboard.press('Enter');
  await page.locator('.pw-panel').waitFor({ state: 'visible' });
  f = await focusInfo(page);
  assert(f.cls === 'pw-input', `after opening, focus is on ${f.cls}`);
  // Walk back to the first control, then forward through all of them.
  for (let i = 0; i < 20 && f.cls !== 'pw-close'; i++) {
    await page.keyboard.press('Shift+Tab');
    f = await focusInfo(page);
    assert(f.inWidget, 'Shift+Tab left the panel before reaching the close button');
  }
  const order = [];
  for (let i = 0; i < 25; i++) {
    assert(f.visibleFocus, `${f.cls} has no visible focus`);
    assert(f.onScreen, `${f.cls} is focused but off screen`);
    assert(f.name, `${f.cls} has no accessible name`);
    order.push(f.cls.replace(/^pw-/, ''));
    if (f.cls === 'pw-send') break;
    await page.keyboard.press('Tab');
    f = await focusInfo(page);
  }
  const seq = order.join(',');
  assert(/^close,lang,log,(link,|vote,)*(suggestion,)*input,send$/.test(seq), `unexpected tab order: ${seq}`);
  await page.keyboard.press('Shift+Tab');
  await page.keyboard.press('Escape');
  await page.locator('.pw-panel').waitFor({ state: 'hidden' });
  f = await focusInfo(page);
  assert(f.cls === 'pw-launcher' && f.visibleFocus, 'Escape should close and return visible focus to the open button');
  await page.keyboard.press('Enter');
  await page.locator('.pw-panel').waitFor({ state: 'visible' });
  const live = await page.evaluate(() => document.querySelector('passerelle-chat').shadowRoot
    .querySelectorAll('[aria-live="polite"]').length);
  assert(live > 0, 'no aria-live="polite" region');
  return seq;
});

scenario('server stops: offline, queued message, reconnect, answers again', async () => {
  await ensureOpen(page);
  await stopServer();
  await page.waitForFunction(() => document.querySelector('passerelle-chat').shadowRoot
    .querySelector('.pw-root').getAttribute('data-conn') === 'offline', null, { timeout: 10000 });
  let s = await state(page);
  const labels = labelsOf(s.lang);
  assert(s.status === shown(labels.offline, s.lang), `status ${JSON.stringify(s.status)} is not the offline label`);
  const sentBefore = sent.length;
  await page.locator('.pw-input').fill(OFFLINE_QUESTION);
  await page.locator('.pw-input').press('Enter');
  await sleep(300);
  s = await state(page);
  assert(s.user[s.user.length - 1] === shown(OFFLINE_QUESTION, s.lang), 'the offline message is not shown');
  assert(s.unsent.length === 1 && s.unsent[0] === shown(labels.unsent, s.lang), `expected one "unsent" note, got ${JSON.stringify(s.unsent)}`);
  await startServer(); // same port
  await page.waitForFunction(() => document.querySelector('passerelle-chat').shadowRoot
    .querySelector('.pw-root').getAttribute('data-conn') === 'online', null, { timeout: 15000 });
  const question = await poll(() => sent.slice(sentBefore).find((f) => f.text === OFFLINE_QUESTION), 5000,
    'the queued message was not sent on reconnect');
  const reply = await poll(() => received.find((f) => f.id === question.id), 10000, 'no answer to the queued message');
  assert(reply.type === 'answer', `got ${reply.type}`);
  await poll(async () => (await state(page)).unsent.length === 0, 3000, 'the "unsent" note stayed');
  const again = await askAndWait(page, AFTER_RECONNECT_QUESTION);
  assert(again.reply.type === 'answer' && again.reply.text, 'no answer after reconnecting');
  return `queued ${question.intent || reply.intent}, then ${again.reply.intent}`;
}, 45000);

scenario('a restarted server continues the conversation from the widget\'s context token', async () => {
  await chooseLanguage(page, 'fr');
  const first = await askAndWait(page, 'Parlez-moi de Sopot');
  assert(first.reply.intent === 'partner.sopot', `first answer: ${first.reply.intent}`);
  assert(typeof first.reply.context === 'string' && first.reply.context, 'the answer carries no context token');
  await stopServer();
  await startServer(); // a new process: it knows the conversation only from what the widget sends
  await page.waitForFunction(() => document.querySelector('passerelle-chat').shadowRoot
    .querySelector('.pw-root').getAttribute('data-conn') === 'online', null, { timeout: 15000 });
  const next = await askAndWait(page, 'depuis quand ?');
  assert(next.question.context === first.reply.context,
    'the widget did not send back the token of the last answer');
  assert(next.reply.intent === 'partner.sopot', `the follow-up was answered ${next.reply.intent}, not about Sopot`);
  return 'partner.sopot, then partner.sopot after the restart';
}, 45000);

scenario('reload restores the conversation', async () => {
  const before = await state(page);
  await page.reload();
  await page.waitForFunction(() => {
    const h = document.querySelector('passerelle-chat');
    return h && h.shadowRoot.querySelector('.pw-msg');
  }, null, { timeout: 10000 });
  const right = await state(page); // from sessionStorage, before the server has said anything
  assert(JSON.stringify(right.all) === JSON.stringify(before.all),
    `messages differ after reload: ${right.all.length} vs ${before.all.length}`);
  assert(right.lang === before.lang && right.dir === before.dir, `language ${right.lang} != ${before.lang}`);
  assert(right.open === before.open, 'the panel open state was not restored');
  await waitForWidget(page);
  const after = await state(page);
  assert(JSON.stringify(after.all) === JSON.stringify(before.all), 'the welcome frame changed the restored conversation');
  return `${before.all.length} messages, lang ${before.lang}`;
});

const LONG_URL = 'https://www.colombes.fr/vie-municipale/action-internationale/jumelages-et-cooperations/sopot-pologne?utm_source=passerelle';

scenario('links in answers are safe anchors with short labels', async () => {
  // A separate tab (a phone) whose WebSocket passes through a proxy that appends links to the server's
  // answers, one of them named in the answer's structured links.
  const ctx = await newContext(PHONE);
  try {
    const p = await ctx.newPage();
    await p.routeWebSocket(/\/ws/, (ws) => {
      const upstream = ws.connectToServer();
      upstream.onMessage((message) => {
        try {
          const frame = JSON.parse(message);
          if (frame.type === 'answer') {
            frame.text += ' https://example.org/jumelage?x=1. javascript:alert(1) <a href="https://evil.example">x</a> ' +
              LONG_URL + ' https://example.org/programme';
            frame.links = [{ kind: 'url', href: 'https://example.org/programme', label: 'Programme des échanges' }];
            message = JSON.stringify(frame);
          }
        } catch (e) { /* pass through */ }
        ws.send(message);
      });
    });
    let dialog = false;
    p.on('dialog', (d) => { dialog = true; d.dismiss().catch(() => {}); });
    await p.goto(`http://${HOST}:${port}/`);
    await waitForWidget(p);
    await p.locator('.pw-launcher').click();
    await p.locator('.pw-input').fill(FR_QUESTION);
    await p.locator('.pw-input').press('Enter');
    const answer = p.locator('.pw-msg--bot').last();
    await answer.locator('.pw-link').first().waitFor({ timeout: 10000 });
    const links = await answer.locator('a').evaluateAll((as) => as.map((a) => ({
      href: a.getAttribute('href'), text: a.textContent, target: a.target, rel: a.rel, lines: a.getClientRects().length })));
    const ours = links.find((a) => a.href === 'https://example.org/jumelage?x=1');
    assert(ours, `no link to https://example.org/jumelage?x=1 (trailing dot excluded) in ${JSON.stringify(links)}`);
    assert(ours.text === 'example.org/jumelage', `the link reads ${JSON.stringify(ours.text)}, expected host + path`);
    const long = links.find((a) => a.href === LONG_URL);
    assert(long && long.text === 'colombes.fr/…/sopot-pologne', `the long link reads ${JSON.stringify(long && long.text)}`);
    assert(long.lines <= 2, `the long link is broken over ${long.lines} lines on a phone`);
    const named = links.find((a) => a.href === 'https://example.org/programme');
    assert(named && named.text === 'Programme des échanges', `the named link reads ${JSON.stringify(named && named.text)}`);
    for (const a of links) {
      assert(/^https?:\/\//.test(a.href), `a link to ${a.href}`);
      assert(a.target === '_blank' && a.rel === 'noopener noreferrer', `link ${a.href} lacks target/rel`);
    }
    assert(!links.some((a) => a.text === 'x'), 'server markup became a real link');
    const text = await answer.locator('.pw-text').textContent();
    assert(text.includes('<a href="') && text.includes('">x</a>') && text.includes('javascript:alert(1)'),
      'server markup was not shown as text');
    assert(!dialog, 'a dialog fired');
  } finally {
    await ctx.close();
  }
});

scenario('host page CSS does not reach the widget; no labels file is no harm', async () => {
  // The server's CSP forbids inline styles; this tab only plays a page with other rules of its own.
  const ctx = await newContext({ width: 1280, height: 800 }, 1, { bypassCSP: true });
  try {
    // Also a page whose copy of the widget lacks its labels file: the labels then come with the welcome.
    await ctx.route(`**/${LABELS_FILE}`, (route) => route.fulfill({ status: 404, body: '' }));
    const p = await ctx.newPage();
    await p.goto(`http://${HOST}:${port}/`);
    await p.addStyleTag({ content: '* { font: italic 40px/3 serif !important; color: red !important; ' +
      'background: lime !important; } button, input, select, ol, li { display: none !important; } ' +
      'passerelle-chat { font-size: 40px; color: red; }' });
    await waitForWidget(p);
    await p.locator('.pw-launcher').click();
    await p.locator('.pw-input').waitFor({ state: 'visible' });
    const look = await p.evaluate(() => {
      const root = document.querySelector('passerelle-chat').shadowRoot;
      const cs = getComputedStyle(root.querySelector('.pw-msg--bot .pw-bubble'));
      return { size: cs.fontSize, color: cs.color, style: cs.fontStyle };
    });
    assert(look.size === '16px' && look.color === 'rgb(27, 31, 36)' && look.style === 'normal',
      `the bubble picked up page styles: ${JSON.stringify(look)}`);
    const s = await state(p);
    assert(s.title === shown(labelsOf('fr').title, 'fr'), 'without its labels file the widget has no title');
  } finally {
    await ctx.close();
  }
});

scenario('screenshots and layout: desktop and phone, ltr and rtl, 200 % zoom', async () => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await ensureOpen(page);
  await page.locator('.pw-input').fill('');
  const shots = [];
  // Each picture shows an answer in the language it is about.
  const shoot = async (name, lang, question) => {
    await chooseLanguage(page, lang);
    if (question) await askAndWait(page, question);
    await page.evaluate(() => { const a = document.activeElement; if (a) a.blur(); });
    await sleep(250); // let the dots' animation and scrolling settle
    const r = await page.evaluate(IN_PAGE.rects);
    assert(!r.pageOverflowX && !r.panelOverflowX, `${name}: horizontal overflow`);
    assert(r.input.bottom <= r.vh && r.send.right <= r.vw && r.send.left >= 0, `${name}: the send controls are off screen`);
    const file = path.join(OUT, `${name}.png`);
    await page.screenshot({ path: file });
    shots.push(path.basename(file));
    return r;
  };
  await shoot('desktop-ltr', 'fr');
  await shoot('desktop-rtl', 'ar', AR_QUESTION);
  await page.setViewportSize({ width: 360, height: 740 });
  const phone = await shoot('phone-rtl', 'ar');
  assert(phone.panel.width >= 359 && phone.panel.height >= 739, 'on a phone the panel should fill the screen');
  await shoot('phone-ltr', 'fr', FR_QUESTION);
  // 200 % zoom of a 1280x800 window is a 640x400 CSS viewport at twice the pixel density.
  const ctx = await newContext({ width: 640, height: 400 }, 2);
  try {
    const p = await ctx.newPage();
    await p.goto(`http://${HOST}:${port}/`);
    await waitForWidget(p);
    await p.locator('.pw-launcher').click();
    const r = await p.evaluate(IN_PAGE.rects);
    assert(!r.pageOverflowX && !r.panelOverflowX, '200 %: horizontal overflow');
    assert(r.panel.top >= 0 && r.panel.bottom <= r.vh && r.input.bottom <= r.vh && r.send.right <= r.vw,
      '200 %: the panel does not fit the window');
  } finally {
    await ctx.close();
  }
  await page.setViewportSize({ width: 1280, height: 800 });
  return shots.join(' ');
});

/* ------------------------------------------------------------------ what a resident used to meet */

const sortKeys = (o) => Object.fromEntries(Object.entries(o || {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

// Frames of one tab, seen from outside.
function framesOf(p) {
  const seen = { sent: [], received: [] };
  p.on('websocket', (ws) => {
    ws.on('framereceived', (f) => { try { seen.received.push(JSON.parse(f.payload)); } catch (e) { /* not JSON */ } });
    ws.on('framesent', (f) => { try { seen.sent.push(JSON.parse(f.payload)); } catch (e) { /* not JSON */ } });
  });
  return seen;
}

const phoneContext = () => newContext(PHONE, 1, { hasTouch: true, isMobile: true });
const numberIn = (p, lang, n) => p.evaluate(([l, v]) => new Intl.NumberFormat(l, { numberingSystem: 'latn' }).format(v), [lang, n]);

async function openByTouch(p) {
  await p.locator('.pw-launcher').tap();
  await p.locator('.pw-panel').waitFor({ state: 'visible' });
}

async function switchTo(p, lang) {
  await p.locator('.pw-lang').selectOption(lang);
  await poll(async () => (await state(p)).lang === lang, 3000, `widget did not switch to ${lang}`);
}

// Types a question in a tab and waits for the reply to it to be shown.
async function askIn(p, seen, text) {
  const before = seen.sent.length;
  const bots = (await state(p)).bot.length;
  await p.locator('.pw-input').fill(text);
  await p.locator('.pw-input').press('Enter');
  const question = await poll(() => seen.sent.slice(before).find((f) => f.type === 'ask' && f.text === text),
    5000, `the widget did not send ${JSON.stringify(text.slice(0, 40))}`);
  const reply = await poll(() => seen.received.find((f) => (f.type === 'answer' || f.type === 'error') && f.id === question.id),
    10000, 'no reply');
  await poll(async () => (await state(p)).bot.length > bots, 5000, 'the reply was not shown');
  return { question, reply };
}

scenario('the labels beside the script are those of locales/ and of the server', async () => {
  const file = path.join(ROOT, 'web', LABELS_FILE);
  assert(fs.existsSync(file) && fs.readFileSync(file, 'utf8') === labelsText(ROOT),
    `web/${LABELS_FILE} differs from locales/: run node tests/browser/labels.mjs --root . --write`);
  const res = await fetch(`http://${HOST}:${port}/${LABELS_FILE}`);
  assert(res.ok, `GET /${LABELS_FILE}: HTTP ${res.status}`);
  const served = await res.json();
  const pick = (l) => JSON.stringify({ code: l.code, name: l.name, dir: l.dir, welcome: l.welcome, labels: sortKeys(l.labels) });
  const live = welcome().languages.map(pick);
  const mine = served.languages.map(pick);
  assert(mine.join('\n') === live.join('\n'), 'the labels file differs from the languages of the welcome frame');
  return `${mine.length} languages, ${Object.keys(served.languages[0].labels).length} labels each`;
});

scenario('first visit on a phone: a quiet greeting, no keyboard, starting topics in Arabic too', async () => {
  const ctx = await phoneContext();
  const shots = [];
  try {
    const p = await ctx.newPage();
    const seen = framesOf(p);
    await p.goto(`http://${HOST}:${port}/`);
    await waitForWidget(p);
    await sleep(400); // an announcement is written 50 ms after its message
    let s = await state(p);
    assert(!s.open, 'the panel should start closed');
    assert(!s.badge, 'the greeting shows an unread badge on the closed launcher');
    assert(s.live === '', `the greeting was announced: ${JSON.stringify(s.live)}`);
    await openByTouch(p);
    const f = await focusInfo(p);
    assert(f.inWidget && f.cls !== 'pw-input', 'opening by touch focused the field, which opens the on-screen keyboard');
    assert(f.cls === 'pw-title', `opening by touch should focus the title, focus is on ${f.cls}`);
    await sleep(100);
    s = await state(p);
    assert(s.live === '' && !s.badge, 'opening the panel announced the greeting');
    const w = seen.received.find((x) => x.type === 'welcome');
    const start = (lang) => w.languages.find((l) => l.code === lang).suggestions || [];
    assert(start('fr').length === 4, `the welcome frame has ${start('fr').length} French starting topics`);
    assert(JSON.stringify(s.suggestions) === JSON.stringify(start('fr').map((x) => shown(x.label, 'fr'))),
      `French start shows ${JSON.stringify(s.suggestions)}`);
    await shot(p, 'phone-start-fr', shots);
    await switchTo(p, 'ar');
    s = await state(p);
    const ar = start('ar');
    assert(ar.length === 4, `the welcome frame has ${ar.length} Arabic starting topics`);
    assert(JSON.stringify(s.suggestions) === JSON.stringify(ar.map((x) => x.label)) && s.suggestionsLang === 'ar',
      `Arabic start shows ${s.suggestions.length} topics: ${JSON.stringify(s.suggestions)}`);
    assert(s.bot.length === 1 && s.bot[0] === w.languages.find((l) => l.code === 'ar').welcome, 'the greeting is not in Arabic');
    await shot(p, 'phone-start-ar', shots);
    // A starting topic tapped in Arabic: an Arabic answer, which is news (announced), no keyboard.
    const before = seen.sent.length;
    await p.locator('.pw-suggestion').nth(2).tap();
    const question = await poll(() => seen.sent.slice(before).find((x) => x.type === 'ask'), 5000, 'no ask was sent');
    assert(question.intent === ar[2].intent && question.lang === 'ar', `the tap sent ${JSON.stringify(question)}`);
    const reply = await poll(() => seen.received.find((x) => x.id === question.id), 10000, 'no answer');
    assert(reply.type === 'answer' && reply.lang === 'ar', `got ${reply.type} in ${reply.lang}`);
    const news = labelsOf('ar').new_message;
    await poll(async () => (await state(p)).live.startsWith(news), 3000, 'the answer was not announced');
    const g = await focusInfo(p);
    assert(g.cls !== 'pw-input', 'tapping a topic focused the field, which opens the on-screen keyboard');
    return shots.join(' ');
  } finally {
    await ctx.close();
  }
});

/* The votes /metrics counts for an intent in a language (0 before the first). */
async function votesCounted(intent, lang, useful) {
  const res = await fetch(`http://${HOST}:${adminPort}/metrics`);
  assert(res.ok, `GET /metrics: HTTP ${res.status}`);
  const line = `passerelle_feedback_total{intent="${intent}",lang="${lang}",useful="${useful ? 'yes' : 'no'}"} `;
  const found = (await res.text()).split('\n').find((l) => l.startsWith(line));
  return found ? Number(found.slice(line.length)) : 0;
}

// What the vote buttons under the latest answer show.
const VOTES = () => {
  const root = document.querySelector('passerelle-chat').shadowRoot;
  const items = root.querySelectorAll('.pw-msg--bot');
  const box = items[items.length - 1].querySelector('.pw-feedback');
  if (!box) return null;
  const buttons = Array.from(box.querySelectorAll('button.pw-vote')).map((b) => {
    const r = b.getBoundingClientRect();
    return { text: b.textContent, pressed: b.getAttribute('aria-pressed'), disabled: b.getAttribute('aria-disabled'),
      left: r.left, width: r.width, height: r.height };
  });
  const labelledBy = root.getElementById(box.getAttribute('aria-labelledby'));
  return { role: box.getAttribute('role'), question: labelledBy ? labelledBy.textContent : null, buttons,
    status: box.querySelector('[role="status"]').textContent };
};

scenario('votes under answers: two buttons, one vote each, counted in /metrics', async () => {
  const ctx = await phoneContext();
  const shots = [];
  const counted = [];
  try {
    const { p, seen } = await openOnPhone(ctx);
    for (const [lang, text, useful] of [['fr', FR_QUESTION, true], ['ar', AR_QUESTION, false]]) {
      if (lang !== 'fr') await switchTo(p, lang);
      const { reply } = await askIn(p, seen, text);
      assert(reply.type === 'answer' && typeof reply.intent === 'string', `${lang}: no answer with an intent`);
      let v = await poll(() => p.evaluate(VOTES), 3000, `${lang}: no vote buttons under the answer`);
      assert(v.role === 'group' && v.question === localLabel(lang, 'feedback_question'),
        `${lang}: the buttons' group is ${JSON.stringify([v.role, v.question])}`);
      assert(JSON.stringify(v.buttons.map((b) => b.text)) ===
        JSON.stringify([localLabel(lang, 'useful'), localLabel(lang, 'not_useful')]), `${lang}: the buttons read ${JSON.stringify(v.buttons.map((b) => b.text))}`);
      assert(v.buttons.every((b) => b.height >= 44 && b.width >= 44 && b.pressed === 'false'),
        `${lang}: on a phone the buttons are ${JSON.stringify(v.buttons)}`);
      // The row follows the direction: in Arabic "useful" stands at the right.
      assert((v.buttons[0].left > v.buttons[1].left) === (lang === 'ar'), `${lang}: the buttons are in the wrong order`);
      const before = await votesCounted(reply.intent, reply.lang, useful);
      const sentBefore = seen.sent.length;
      await p.locator('.pw-msg--bot').last().locator('.pw-vote').nth(useful ? 0 : 1).tap();
      const frame = await poll(() => seen.sent.slice(sentBefore).find((f) => f.type === 'feedback'), 3000, `${lang}: no vote sent`);
      assert(frame.intent === reply.intent && frame.useful === useful && frame.lang === reply.lang,
        `${lang}: the vote sent is ${JSON.stringify(frame)}`);
      const ack = await poll(() => seen.received.find((f) => f.id === frame.id), 5000, `${lang}: no reply to the vote`);
      assert(ack.type === 'feedback' && ack.ok === true, `${lang}: the vote got ${JSON.stringify(ack)}`);
      v = await p.evaluate(VOTES);
      assert(v.status === localLabel(lang, 'feedback_thanks'), `${lang}: the status after the vote is ${JSON.stringify(v.status)}`);
      assert(v.buttons[useful ? 0 : 1].pressed === 'true' && v.buttons[useful ? 1 : 0].pressed === 'false' &&
        v.buttons.every((b) => b.disabled === 'true'), `${lang}: after the vote ${JSON.stringify(v.buttons)}`);
      // One vote per answer: the other button (aria-disabled, which Playwright waits out) sends nothing.
      await p.locator('.pw-msg--bot').last().locator('.pw-vote').nth(useful ? 1 : 0).tap({ force: true });
      await sleep(300);
      assert(seen.sent.slice(sentBefore).filter((f) => f.type === 'feedback').length === 1, `${lang}: a second vote was sent`);
      const after = await poll(async () => {
        const n = await votesCounted(reply.intent, reply.lang, useful);
        return n > before ? n : 0;
      }, 3000, `${lang}: /metrics did not count the vote`);
      assert(after === before + 1, `${lang}: /metrics counted ${after - before} votes`);
      counted.push(`${reply.intent} ${reply.lang} ${useful ? 'yes' : 'no'} ${before}→${after}`);
      await axeClean(p, `${lang}, after a vote`);
      await shot(p, `phone-vote-${lang}`, shots);
    }
    return `${counted.join('; ')}; ${shots.join(' ')}`;
  } finally {
    await ctx.close();
  }
});

/* A page of the demo in ctx, the widget opened by touch; seen records its frames. */
async function openOnPhone(ctx) {
  const p = await ctx.newPage();
  const seen = framesOf(p);
  await p.goto(`http://${HOST}:${port}/`);
  await waitForWidget(p);
  await openByTouch(p);
  return { p, seen };
}

scenario('a long question stays in the field, with its counter', async () => {
  const ctx = await phoneContext();
  const shots = [];
  try {
    const { p, seen } = await openOnPhone(ctx);
    for (const [lang, sentence] of [['fr', LONG_FR], ['ar', LONG_AR]]) {
      if (lang !== 'fr') await switchTo(p, lang);
      const before = await state(p);
      assert(before.suggestions.length > 0, `no starting topics in ${lang}`);
      const max = await numberIn(p, lang, DEFAULT_MAX_TEXT);
      await p.locator('.pw-input').fill(repeatTo(sentence, 2 * DEFAULT_MAX_TEXT));
      let s = await state(p);
      const counter = localLabel(lang, 'counter', { count: await numberIn(p, lang, 2 * DEFAULT_MAX_TEXT), max });
      assert(s.counter === counter, `${lang}: the counter shows ${JSON.stringify(s.counter)}, expected ${JSON.stringify(counter)}`);
      assert(s.invalid, `${lang}: the field is not marked invalid past the limit`);
      const sentBefore = seen.sent.length;
      await p.locator('.pw-input').press('Enter');
      await poll(async () => (await state(p)).fieldError !== null, 3000, `${lang}: no message under the field`);
      await sleep(100); // a frame sent would have been seen by now
      s = await state(p);
      assert(!seen.sent.slice(sentBefore).some((x) => x.type === 'ask'), `${lang}: the long question was sent`);
      assert(s.inputLength === 2 * DEFAULT_MAX_TEXT, `${lang}: the field holds ${s.inputLength} characters after Enter`);
      assert(s.fieldError === localLabel(lang, 'too_long', { max }), `${lang}: the message under the field is ${JSON.stringify(s.fieldError)}`);
      assert(s.user.length === before.user.length, `${lang}: the refused question was added to the conversation`);
      assert(JSON.stringify(s.suggestions) === JSON.stringify(before.suggestions), `${lang}: the suggestions changed`);
      const f = await focusInfo(p);
      assert(f.cls === 'pw-input', `${lang}: focus left the field`);
      await shot(p, `phone-long-${lang}`, shots);
    }
    // Shortened to the limit: the message goes, and the question is sent and answered.
    const fits = repeatTo(LONG_AR, DEFAULT_MAX_TEXT);
    await p.locator('.pw-input').fill(fits);
    let s = await state(p);
    assert(s.fieldError === null && !s.invalid, 'the message stayed once the question fits');
    assert(s.counter !== null, 'the counter is hidden at the limit');
    const { reply } = await askIn(p, seen, fits);
    assert(reply.type === 'answer', `a question of ${DEFAULT_MAX_TEXT} characters got ${reply.type} ${reply.code || ''}`);
    s = await state(p);
    assert(s.inputLength === 0 && s.counter === null, 'the field was not emptied after sending');
  } finally {
    await ctx.close();
  }
  // The limit comes from the welcome frame; a question the server still refuses comes back to the field.
  const ctx2 = await newContext({ width: 1280, height: 800 });
  try {
    const p = await ctx2.newPage();
    await p.routeWebSocket(/\/ws/, (ws) => {
      const upstream = ws.connectToServer();
      upstream.onMessage((message) => {
        try {
          const frame = JSON.parse(message);
          if (frame.type === 'welcome') message = JSON.stringify({ ...frame, max_text: 1500 });
        } catch (e) { /* pass through */ }
        ws.send(message);
      });
    });
    const seen = framesOf(p);
    await p.goto(`http://${HOST}:${port}/`);
    await waitForWidget(p);
    await p.locator('.pw-launcher').click();
    const before = await state(p);
    const text = repeatTo(LONG_FR, 1200);
    await p.locator('.pw-input').fill(text);
    let s = await state(p);
    const counter = localLabel('fr', 'counter', { count: await numberIn(p, 'fr', 1200), max: await numberIn(p, 'fr', 1500) });
    assert(s.counter === counter && !s.invalid, `with max_text 1500 the counter shows ${JSON.stringify(s.counter)}`);
    const sentBefore = seen.sent.length;
    await p.locator('.pw-input').press('Enter');
    const question = await poll(() => seen.sent.slice(sentBefore).find((x) => x.type === 'ask'), 5000, 'nothing was sent');
    const reply = await poll(() => seen.received.find((x) => x.id === question.id), 10000, 'no reply');
    assert(reply.type === 'error' && reply.code === 'text_too_long', `the server replied ${reply.type} ${reply.code || ''}`);
    await poll(async () => (await state(p)).inputLength === 1200, 3000, 'the refused question did not come back to the field');
    s = await state(p);
    assert(s.fieldError === shown(reply.message, 'fr'), `the message under the field is ${JSON.stringify(s.fieldError)}`);
    assert(s.user.length === before.user.length && s.bot.length === before.bot.length, 'the refusal was added to the conversation');
    assert(JSON.stringify(s.suggestions) === JSON.stringify(before.suggestions), 'the suggestions changed');
  } finally {
    await ctx2.close();
  }
  return shots.join(' ');
});

scenario('a phone with its keyboard open: compact header, the latest answer in view', async () => {
  const ctx = await phoneContext();
  const shots = [];
  try {
    const { p, seen } = await openOnPhone(ctx);
    const heights = [];
    const compact = async (lang) => {
      const h = (await state(p)).headerHeight;
      heights.push(Math.round(h));
      assert(h <= 64, `${lang}: the header takes ${Math.round(h)} px on a phone`);
    };
    await compact('fr');
    await askIn(p, seen, FR_QUESTION);
    // The keyboard opens over the lower half: the window the page sees shrinks to 330 px.
    await p.setViewportSize(PHONE_KEYBOARD);
    await poll(async () => (await p.evaluate(IN_PAGE.latest)).startVisible, 3000,
      'at 360×330 the start of the latest answer is out of view');
    let l = await p.evaluate(IN_PAGE.latest);
    assert(l.bot && l.inputVisible && l.headerVisible, `at 360×330: ${JSON.stringify(l)}`);
    await shot(p, 'phone-keyboard-fr', shots);
    await switchTo(p, 'ar');
    await compact('ar');
    await askIn(p, seen, AR_QUESTION);
    await poll(async () => (await p.evaluate(IN_PAGE.latest)).startVisible, 3000,
      'at 360×330 the start of the Arabic answer is out of view');
    l = await p.evaluate(IN_PAGE.latest);
    assert(l.bot && l.inputVisible && l.headerVisible, `Arabic at 360×330: ${JSON.stringify(l)}`);
    await shot(p, 'phone-keyboard-ar', shots);
    // The keyboard closes: still the latest answer.
    await p.setViewportSize(PHONE);
    await poll(async () => (await p.evaluate(IN_PAGE.latest)).startVisible, 3000, 'after the keyboard closed the latest answer is out of view');
    return `header ${heights.join(' / ')} px (fr / ar); ${shots.join(' ')}`;
  } finally {
    await ctx.close();
  }
});

scenario('server down when the page loads: a complete panel, axe-clean, then it recovers', async () => {
  await stopServer();
  let stopCache = await startCache(); // the page and the widget's files still come from a cache
  const ctx = await phoneContext();
  const shots = [];
  try {
    const p = await ctx.newPage();
    const seen = framesOf(p);
    await p.goto(`http://${HOST}:${port}/`);
    await p.waitForFunction(() => {
      const host = document.querySelector('passerelle-chat');
      const root = host && host.shadowRoot && host.shadowRoot.querySelector('.pw-root');
      return root && !root.hidden && root.getAttribute('data-conn') === 'offline';
    }, null, { timeout: 10000 });
    await sleep(300); // the first attempt to connect has failed by now
    await openByTouch(p);
    let s = await state(p);
    const expect = (lang) => {
      for (const [what, key] of [['title', 'title'], ['status', 'offline'], ['notice', 'unavailable'],
        ['placeholder', 'placeholder'], ['send', 'send']]) {
        assert(s[what] === localLabel(lang, key), `${lang}, server down: ${what} is ${JSON.stringify(s[what])}`);
      }
      assert(s.options.length === 5, `${lang}, server down: ${s.options.length} languages to choose from`);
      assert(s.bot[0] === shown(LOCALES[lang].welcome, lang), `${lang}, server down: no greeting`);
    };
    expect('fr');
    await axeClean(p, 'server down, French');
    await p.locator('.pw-input').fill(OFFLINE_QUESTION);
    await p.locator('.pw-input').press('Enter');
    await poll(async () => (await state(p)).unsent.length === 1, 3000, 'the question typed meanwhile is not shown');
    s = await state(p);
    assert(s.unsent[0] === localLabel('fr', 'unsent'), `the "not yet sent" note is ${JSON.stringify(s.unsent[0])}`);
    await shot(p, 'phone-down-fr', shots);
    await switchTo(p, 'ar');
    s = await state(p);
    expect('ar');
    assert(s.dir === 'rtl', 'Arabic is not right-to-left while the server is down');
    assert(s.unsent[0] === localLabel('ar', 'unsent'), 'the "not yet sent" note is not in Arabic');
    await axeClean(p, 'server down, Arabic');
    await shot(p, 'phone-down-ar', shots);
    // The server comes back: the widget reconnects by itself, greets, sends the waiting question.
    await stopCache();
    stopCache = null;
    await startServer();
    await p.waitForFunction(() => document.querySelector('passerelle-chat').shadowRoot
      .querySelector('.pw-root').getAttribute('data-conn') === 'online', null, { timeout: 20000 });
    const question = await poll(() => seen.sent.find((x) => x.type === 'ask' && x.text === OFFLINE_QUESTION), 5000,
      'the waiting question was not sent');
    const reply = await poll(() => seen.received.find((x) => x.id === question.id), 10000, 'no answer to the waiting question');
    assert(reply.type === 'answer', `got ${reply.type}`);
    await poll(async () => {
      const x = await state(p);
      return x.unsent.length === 0 && x.notice === null && x.bot.length === 2;
    }, 5000, 'the panel did not recover (note, notice, greeting and answer)');
    s = await state(p);
    const w = seen.received.find((x) => x.type === 'welcome');
    assert(s.bot[0] === w.text, 'the greeting is not the server\'s');
    assert(s.status === shown(labelsOf(s.lang).online, s.lang), `status ${JSON.stringify(s.status)} after recovery`);
    await axeClean(p, 'recovered');
    await shot(p, 'phone-recovered', shots);
    return shots.join(' ');
  } finally {
    await ctx.close();
    if (stopCache) await stopCache();
  }
}, 45000);

/* ------------------------------------------------------------------ answers that lead somewhere */

// The knowledge of tests/fixtures/links: intents whose links, e-mail address and phone number are test
// data (example.org, a number of the range kept for fiction), served by a second server of its own.
const LINKS_INTENTS = path.join(ROOT, 'tests', 'fixtures', 'links', 'intents');

async function startLinksServer() {
  const linksPort = await freePort(HOST);
  const child = spawn(BIN, ['serve', '--listen', `${HOST}:${linksPort}`, '--admin-listen', `${HOST}:${await freePort(HOST)}`,
    '--intents', LINKS_INTENTS, '--locales', path.join(ROOT, 'locales'), '--web', path.join(ROOT, 'web')],
  { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.pipe(serverLog, { end: false });
  child.stderr.pipe(serverLog, { end: false });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    if (!(await Promise.race([exited.then(() => true), sleep(5000).then(() => false)]))) child.kill('SIGKILL');
  };
  try {
    await poll(async () => {
      try {
        return (await fetch(`http://${HOST}:${linksPort}/`)).ok;
      } catch (e) {
        return false; // not listening yet
      }
    }, 8000, 'the server of tests/fixtures/links did not start');
  } catch (e) {
    await stop();
    throw e;
  }
  return { linksPort, stop };
}

// The links shown with the latest answer: those under its text, and those inside it.
const LINKS = () => {
  const root = document.querySelector('passerelle-chat').shadowRoot;
  const items = root.querySelectorAll('.pw-msg--bot');
  const last = items[items.length - 1];
  const list = last.querySelector('.pw-links');
  const inline = Array.from(last.querySelectorAll('.pw-text a')).map((a) => ({ href: a.getAttribute('href'), text: a.textContent }));
  if (!list) return { list: null, inline };
  const links = Array.from(list.querySelectorAll('a')).map((a) => {
    const r = a.getBoundingClientRect();
    return { href: a.getAttribute('href'), target: a.getAttribute('target'), rel: a.getAttribute('rel'), text: a.textContent,
      textDir: a.querySelector('.pw-links-text').getAttribute('dir'), width: r.width, height: r.height,
      inView: r.left >= 0 && r.right <= window.innerWidth };
  });
  return { list: { lang: list.getAttribute('lang'), dir: list.getAttribute('dir'), role: list.getAttribute('role') }, links, inline };
};

scenario('answers that lead somewhere: pages, e-mail and phone as real links', async () => {
  const { linksPort, stop } = await startLinksServer();
  const ctx = await phoneContext();
  const shots = [];
  try {
    const p = await ctx.newPage();
    const seen = framesOf(p);
    await p.goto(`http://${HOST}:${linksPort}/`);
    await waitForWidget(p);
    await openByTouch(p);
    const expectLinks = async (lang, reply, what) => {
      const want = reply.links || [];
      assert(want.length > 0, `${what}: the frame has no links`);
      const got = await p.evaluate(LINKS);
      assert(got.list && got.list.lang === lang && got.list.dir === (lang === 'ar' ? 'rtl' : 'ltr') && got.list.role === 'list',
        `${what}: the list of links is ${JSON.stringify(got.list)}`);
      assert(JSON.stringify(got.links.map((l) => l.href)) === JSON.stringify(want.map((l) => l.href)),
        `${what}: the links go to ${JSON.stringify(got.links.map((l) => l.href))}, the frame says ${JSON.stringify(want.map((l) => l.href))}`);
      got.links.forEach((l, i) => {
        const w = want[i];
        assert(l.text === shown(w.label, lang) || l.text === w.label, `${what}: link ${i} reads ${JSON.stringify(l.text)}`);
        // a finger can hit it, and it stays in the window
        assert(l.height >= 44 && l.inView, `${what}: link ${i} is ${Math.round(l.width)}×${Math.round(l.height)} px, in view ${l.inView}`);
        if (w.kind === 'url') {
          assert(l.target === '_blank' && /\bnoopener\b/.test(l.rel || ''), `${what}: the page link has target ${l.target}, rel ${l.rel}`);
        } else {
          assert(l.target === null, `${what}: the ${w.kind} link opens a new tab`);
          assert(l.textDir === 'ltr', `${what}: the ${w.kind} is not set left to right`);
        }
      });
      return got;
    };

    // French: the contact intent gives a page, an e-mail address and a phone number.
    let { reply } = await askIn(p, seen, 'comment participer aux échanges ?');
    assert(reply.type === 'answer' && reply.intent === 'contact', `got ${reply.type} ${reply.intent}`);
    assert(JSON.stringify(reply.links.map((l) => l.kind)) === '["url","email","phone"]', `kinds ${JSON.stringify(reply.links)}`);
    assert(reply.links[1].href === 'mailto:international@example.org' && reply.links[2].href === 'tel:+33199001234',
      `the e-mail and phone links are ${JSON.stringify(reply.links.slice(1))}`);
    await expectLinks('fr', reply, 'French contact');
    await axeClean(p, 'links, French');
    await shot(p, 'phone-links-fr', shots);

    // A page the answer's text names is a link inside the text, with its label, not repeated below.
    ({ reply } = await askIn(p, seen, 'page des jumelages'));
    assert(reply.intent === 'twinning.page', `got ${reply.intent}`);
    let got = await p.evaluate(LINKS);
    assert(got.list === null, 'the page named in the text is repeated under it');
    assert(got.inline.length === 1 && got.inline[0].href === reply.links[0].href &&
      got.inline[0].text === shown(reply.links[0].label, 'fr'), `inside the text: ${JSON.stringify(got.inline)}`);

    // An answer without any shows none.
    ({ reply } = await askIn(p, seen, 'parle-moi de sopot'));
    assert(reply.intent === 'partner.sopot' && reply.links === undefined, `sopot: ${JSON.stringify(reply.links)}`);
    got = await p.evaluate(LINKS);
    assert(got.list === null && got.inline.length === 0, 'an answer without links shows some');

    // Arabic, right to left: the labels in Arabic, the address and the number still left to right;
    // the fallback carries the links of the fallback intent.
    await switchTo(p, 'ar');
    ({ reply } = await askIn(p, seen, 'كيف أشارك في التبادلات'));
    assert(reply.intent === 'contact' && reply.lang === 'ar', `Arabic contact: ${reply.intent} ${reply.lang}`);
    await expectLinks('ar', reply, 'Arabic contact');
    ({ reply } = await askIn(p, seen, 'الطقس غدا'));
    assert(reply.kind === 'fallback', `Arabic fallback: ${reply.kind}`);
    await expectLinks('ar', reply, 'Arabic fallback');
    await axeClean(p, 'links, Arabic');
    await shot(p, 'phone-links-ar', shots);
    return shots.join(' ');
  } finally {
    await ctx.close();
    await stop();
  }
}, 30000);

/* ------------------------------------------------------------------ writing to a person */

// A server of its own that takes messages to staff: its spool in a temporary folder, its webhook a
// loopback port nobody listens on (the message is kept and acknowledged; delivering it is
// tests/handoff's business, and nothing leaves the machine).
async function startHandoffServer() {
  const handoffPort = await freePort(HOST);
  const spool = fs.mkdtempSync(path.join(OUT, 'handoff-spool-'));
  const child = spawn(BIN, ['serve', '--listen', `${HOST}:${handoffPort}`, '--admin-listen', `${HOST}:${await freePort(HOST)}`,
    '--intents', path.join(ROOT, 'intents'), '--locales', path.join(ROOT, 'locales'), '--web', path.join(ROOT, 'web'),
    '--handoff-spool', spool, '--handoff-webhook-url', `http://${HOST}:${await freePort(HOST)}/hook`],
  { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.pipe(serverLog, { end: false });
  child.stderr.pipe(serverLog, { end: false });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      if (!(await Promise.race([exited.then(() => true), sleep(5000).then(() => false)]))) child.kill('SIGKILL');
    }
    fs.rmSync(spool, { recursive: true, force: true });
  };
  try {
    await poll(async () => {
      try {
        return (await fetch(`http://${HOST}:${handoffPort}/`)).ok;
      } catch (e) {
        return false; // not listening yet
      }
    }, 8000, 'the server that takes messages to staff did not start');
  } catch (e) {
    await stop();
    throw e;
  }
  return { handoffPort, spool, stop };
}

// The form to write to a person, as the resident meets it.
const CONTACT_FORM = () => {
  const root = document.querySelector('passerelle-chat').shadowRoot;
  const form = root.querySelector('.pw-contact');
  const q = (sel) => root.querySelector(sel);
  const rect = (el) => { const r = el.getBoundingClientRect(); return { w: r.width, h: r.height, left: r.left, right: r.right }; };
  const active = root.activeElement;
  return {
    shown: !form.hidden, logShown: !q('.pw-log').hidden, dir: q('.pw-root').getAttribute('dir'),
    title: q('.pw-contact-title').textContent, text: q('.pw-contact-text').value, reply: q('.pw-contact-reply').value,
    textLabel: q('label[for="pw-contact-text"]').textContent, replyLabel: q('label[for="pw-contact-reply"]').textContent,
    consent: q('.pw-contact-consent').textContent, error: q('.pw-contact-error').hidden ? null : q('.pw-contact-error').textContent,
    replyInvalid: q('.pw-contact-reply').getAttribute('aria-invalid'), focus: active ? active.className : null,
    send: q('.pw-contact-send').textContent, sendBox: rect(q('.pw-contact-send')), cancelBox: rect(q('.pw-contact-cancel')),
    textBox: rect(q('.pw-contact-text')), width: window.innerWidth,
    offer: Array.from(root.querySelectorAll('.pw-contact-offer-text')).map((n) => n.textContent),
    opener: q('.pw-contact-open') && !q('.pw-contact-open').hidden ? q('.pw-contact-open').textContent : null,
    notes: Array.from(root.querySelectorAll('.pw-contact-note')).map((n) => n.textContent)
  };
};

scenario('a resident writes to a person, in Arabic, on a phone', async () => {
  const { handoffPort, spool, stop } = await startHandoffServer();
  const ctx = await phoneContext();
  const shots = [];
  try {
    const p = await ctx.newPage();
    const seen = framesOf(p);
    await p.goto(`http://${HOST}:${handoffPort}/`);
    await waitForWidget(p);
    await openByTouch(p);
    await switchTo(p, 'ar');
    const offer = seen.received.find((f) => f.type === 'welcome').contact;
    assert(offer && offer.retention_days === 30, `the welcome offers ${JSON.stringify(offer)}`);
    let f = await p.evaluate(CONTACT_FORM);
    assert(f.opener === localLabel('ar', 'contact_open'), `the way to a person under the field reads ${JSON.stringify(f.opener)}`);

    // A question the bot cannot answer: the fallback offers to write to the service.
    const question = 'هل ستُقام سوق عيد الميلاد في كولومب هذا العام؟';
    const { reply } = await askIn(p, seen, question);
    assert(reply.kind === 'fallback' && reply.lang === 'ar', `got ${reply.kind} in ${reply.lang}`);
    f = await p.evaluate(CONTACT_FORM);
    assert(f.offer.length === 1 && f.offer[0] === localLabel('ar', 'contact_offer'), `the offer reads ${JSON.stringify(f.offer)}`);
    await p.locator('.pw-contact-offer-button').tap();
    await p.locator('.pw-contact').waitFor({ state: 'visible' });
    f = await p.evaluate(CONTACT_FORM);
    const days = await numberIn(p, 'ar', 30);
    assert(f.shown && !f.logShown && f.dir === 'rtl', `form shown ${f.shown}, conversation shown ${f.logShown}, dir ${f.dir}`);
    assert(f.title === localLabel('ar', 'contact_title') && f.textLabel === localLabel('ar', 'contact_message') &&
      f.replyLabel === localLabel('ar', 'contact_reply_to'), `the form's labels: ${f.title} / ${f.textLabel} / ${f.replyLabel}`);
    assert(f.consent === localLabel('ar', 'contact_consent', { days }), `the consent line reads ${JSON.stringify(f.consent)}`);
    assert(f.text === question, `the message starts as ${JSON.stringify(f.text)}, not the question`);
    assert(f.sendBox.h >= 44 && f.cancelBox.h >= 44 && f.sendBox.left >= 0 && f.sendBox.right <= f.width && f.textBox.right <= f.width,
      `on a phone: send ${JSON.stringify(f.sendBox)}, cancel ${JSON.stringify(f.cancelBox)}, field ${JSON.stringify(f.textBox)}`);
    await axeClean(p, 'the form, Arabic');
    await shot(p, 'phone-contact-ar', shots);

    // A reply contact that is neither an e-mail nor a phone: refused in the form, in Arabic, kept.
    const message = `${question} أرغب في المشاركة في تنظيمها مع جمعيتنا.`;
    await p.locator('.pw-contact-text').fill(message);
    await p.locator('.pw-contact-reply').fill('عند البلدية');
    const before = seen.sent.length;
    await p.locator('.pw-contact-send').tap();
    const first = await poll(() => seen.sent.slice(before).find((x) => x.type === 'contact'), 5000, 'the form sent nothing');
    await poll(async () => (await p.evaluate(CONTACT_FORM)).error !== null, 5000, 'no error in the form');
    f = await p.evaluate(CONTACT_FORM);
    const refused = seen.received.find((x) => x.type === 'error' && x.id === first.id);
    assert(refused && refused.code === 'bad_reply_to' && f.error === refused.message && f.replyInvalid === 'true' &&
      f.focus === 'pw-contact-reply', `the refusal: ${JSON.stringify(refused)}, shown ${JSON.stringify(f.error)}, focus ${f.focus}`);
    assert(f.text === message, 'the message was lost with the refusal');

    // Corrected and sent again: the same message, the same key; the acknowledgement in Arabic.
    await p.locator('.pw-contact-reply').fill('+216 71 234 567');
    await p.locator('.pw-contact-send').tap();
    const second = await poll(() => seen.sent.slice(before).filter((x) => x.type === 'contact')[1], 5000, 'not sent again');
    assert(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(first.key) && second.key === first.key,
      `keys ${first.key} then ${second.key}`);
    assert(second.lang === 'ar' && second.reply_to === '+216 71 234 567' && second.text === message, `sent ${JSON.stringify(second)}`);
    const conv = second.conversation || [];
    assert(conv.some((l) => l.from === 'resident' && l.text === question) && conv.some((l) => l.from === 'bot' && l.text === reply.text),
      `the conversation sent: ${JSON.stringify(conv).slice(0, 200)}`);
    const ack = await poll(() => seen.received.find((x) => x.type === 'contact_ack' && x.key === first.key), 5000, 'no acknowledgement');
    assert(ack.lang === 'ar' && ack.id === second.id, `the acknowledgement: ${JSON.stringify(ack)}`);
    await poll(async () => !(await p.evaluate(CONTACT_FORM)).shown, 5000, 'the form stayed open');
    const s = await state(p);
    const last = s.bot[s.bot.length - 1];
    assert(last === shown(ack.text, 'ar'), `the conversation ends with ${JSON.stringify(last)}`);
    f = await p.evaluate(CONTACT_FORM);
    assert(f.notes.length === 1 && f.notes[0] === localLabel('ar', 'contact_sent'), `notes ${JSON.stringify(f.notes)}`);
    assert(fs.readdirSync(path.join(spool, 'new')).length === 1, 'the message is not in the spool');
    await axeClean(p, 'after the acknowledgement, Arabic');
    await shot(p, 'phone-contact-ar-sent', shots);
    return shots.join(' ');
  } finally {
    await ctx.close();
    await stop();
  }
}, 30000);

/* ------------------------------------------------------------------ running */

async function newContext(viewport, scale = 1, extra = {}) {
  const ctx = await browser.newContext({ viewport, deviceScaleFactor: scale, locale: 'fr-FR', ...extra });
  // Nothing may leave the machine: only the server under test is reachable.
  await ctx.route((url) => url.hostname !== HOST, (route) => route.abort());
  return ctx;
}

async function main() {
  const started = Date.now();
  let passed = 0;
  let failed = 0;
  try {
    port = await freePort(HOST);
    adminPort = await freePort(HOST);
    await startServer();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    context = await newContext({ width: 1280, height: 800 });
    page = await context.newPage();
    page.setDefaultTimeout(10000);
    watchPage(page);
  } catch (e) {
    console.log(`FAIL setup: ${e.message}`);
    await shutdown();
    console.log(`0 passed, ${scenarios.length} failed`);
    return 1;
  }

  for (const s of scenarios) {
    const left = RUN_BUDGET_MS - (Date.now() - started);
    const t0 = Date.now();
    if (left < 2000) {
      console.log(`FAIL ${s.name}: not run, the run's time budget is spent`);
      failed++;
      continue;
    }
    try {
      if (!server) await startServer(); // a failed scenario may have left it stopped
      const note = await withTimeout(s.fn(), Math.min(s.timeout, left), s.name);
      console.log(`PASS ${s.name} (${((Date.now() - t0) / 1000).toFixed(1)} s)${note ? ` — ${note}` : ''}`);
      passed++;
    } catch (e) {
      console.log(`FAIL ${s.name} (${((Date.now() - t0) / 1000).toFixed(1)} s): ${e.message.split('\n')[0]}`);
      failed++;
      const slug = s.name.replace(/[^a-z0-9]+/gi, '-').toLowerCase();
      await page.screenshot({ path: path.join(OUT, `failed-${slug}.png`) }).catch(() => {});
    }
  }
  await shutdown();
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

async function shutdown() {
  if (browser) await browser.close().catch(() => {});
  await stopServer().catch(() => {});
  await new Promise((resolve) => serverLog.end(resolve));
}

// A last resort: however things hang, the run ends within the budget and leaves no server behind.
const watchdog = setTimeout(() => {
  console.log('FAIL run: exceeded its time budget');
  console.log('0 passed, 1 failed');
  if (server) server.kill('SIGKILL');
  process.exit(1);
}, RUN_BUDGET_MS + 4000);
watchdog.unref();

process.exitCode = await main();

#!/usr/bin/env node
// NLP.js behind a WebSocket, for the server benchmark (benchmark/server_bench.sh): the model of
// compare.mjs (train.mjs: every example of `passerelle export`), answering Passerelle's `ask`
// frames with frames of the shape of Passerelle's `answer` (docs/protocol.md).
//
//   node benchmark/nlpjs/serve.mjs --bin build/passerelle --port 8092 [--host 127.0.0.1]
//        [--intents DIR] [--locales DIR]
//
// An ask without `lang` goes to manager.process(text) (NLP.js guesses the language, as
// Passerelle does); with one, to manager.process(lang, text). The reply: the answer of the
// intent in the reply's language (the first variant), or a fixed fallback text with intent null
// below NLP.js's threshold. Prints "ready on ws://HOST:PORT/ws" once trained. Any path is served;
// no welcome frame, no limits. SIGTERM or SIGINT stops it.

import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import process from 'node:process';
import { MANAGER_SETTINGS, addExamples } from './train.mjs';

const require = createRequire(import.meta.url);
const { NlpManager } = require('node-nlp');
const { WebSocketServer } = require('ws');

const o = { host: '127.0.0.1' };
const argv = process.argv.slice(2);
for (let i = 0; i + 1 < argv.length; i += 2) o[argv[i].replace(/^--/, '')] = argv[i + 1];
if (!o.bin || !o.port) {
  console.error('usage: node benchmark/nlpjs/serve.mjs --bin PASSERELLE --port N [--host ADDR] [--intents DIR] [--locales DIR]');
  process.exit(2);
}
const dirArgs = [...(o.intents ? ['--intents', resolve(o.intents)] : []),
  ...(o.locales ? ['--locales', resolve(o.locales)] : [])];
const knowledge = JSON.parse(execFileSync(resolve(o.bin), ['export', ...dirArgs],
  { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 }));

// NLP.js prints training progress and warnings through console: silenced while it trains.
const saved = console.log;
console.log = () => {};
const manager = new NlpManager(MANAGER_SETTINGS);
manager.container.register('logger', { debug() {}, info() {}, warn() {}, error() {}, log() {}, trace() {}, fatal() {} }, true);
addExamples(manager, knowledge);
await manager.train();
console.log = saved;
const { threshold } = manager.nlp.settings;

const answers = new Map(knowledge.intents.map((it) => [it.id, it.answers || {}]));
function answerText(intent, lang) {
  const a = (answers.get(intent) || {})[lang] ?? (answers.get(intent) || {}).fr;
  return Array.isArray(a) ? a[0] : a ?? '';
}

async function reply(ask) {
  const r = ask.lang ? await manager.process(ask.lang, ask.text) : await manager.process(ask.text);
  const matched = r.intent && r.intent !== 'None' && r.score >= threshold;
  const lang = r.locale || ask.lang || 'fr';
  return {
    type: 'answer',
    ...(ask.id !== undefined ? { id: ask.id } : {}),
    lang,
    intent: matched ? r.intent : null,
    confidence: Math.round((r.score || 0) * 100) / 100,
    text: matched ? answerText(r.intent, lang) : 'Je ne sais pas répondre à cette question.',
    suggestions: [],
    kind: matched ? 'answer' : 'fallback',
  };
}

const wss = new WebSocketServer({ host: o.host, port: Number(o.port) });
wss.on('connection', (ws) => {
  ws.on('message', async (data) => {
    let ask;
    try {
      ask = JSON.parse(data);
    } catch {
      ws.send(JSON.stringify({ type: 'error', code: 'bad_json', message: 'not JSON' }));
      return;
    }
    if (ask.type !== 'ask' || typeof ask.text !== 'string') {
      ws.send(JSON.stringify({ type: 'error', code: 'unknown_type', id: ask.id, message: 'ask only' }));
      return;
    }
    ws.send(JSON.stringify(await reply(ask)));
  });
});
wss.on('listening', () => console.log(`ready on ws://${o.host}:${o.port}/ws`));
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(0));

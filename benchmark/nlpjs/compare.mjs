#!/usr/bin/env node
// Benchmark (not a test): Passerelle's intent matcher against NLP.js (the npm package node-nlp),
// trained on exactly the examples of `passerelle export` and scored on the same labelled set.
//
//   npm ci --prefix benchmark/nlpjs
//   node benchmark/nlpjs/compare.mjs --bin build/passerelle --set tests/eval/questions.jsonl [--json]
//
// See README.md beside this file for what is measured and how to read the output.

import { execFileSync, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, loadavg, cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { LANGS, MANAGER_SETTINGS, addExamples } from './train.mjs';

const USAGE = `usage: node benchmark/nlpjs/compare.mjs --bin PASSERELLE --set FILE.jsonl [--json]
                                        [--repeat N] [--intents DIR] [--locales DIR]

Trains NLP.js (node-nlp) on the examples of 'PASSERELLE export', scores it and Passerelle on the
labelled set FILE.jsonl, and prints both side by side (--json: machine-readable).
  --repeat N       how many times 'passerelle eval' is timed (median kept; default 5)
  --intents DIR    passed to 'passerelle export' and 'passerelle eval'
  --locales DIR    passed to 'passerelle export' and 'passerelle eval'
Before the first run: npm ci --prefix benchmark/nlpjs`;

function die(msg, code = 1) {
  process.stderr.write(`compare.mjs: ${msg}\n`);
  process.exit(code);
}

function parseArgs(argv) {
  const o = { json: false, repeat: 5, bin: null, set: null, intents: null, locales: null };
  for (let i = 0; i < argv.length; i += 1) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) die(`${a} needs a value\n${USAGE}`, 2);
      i += 1;
      return argv[i];
    };
    if (a === '--json') o.json = true;
    else if (a === '--bin') o.bin = val();
    else if (a === '--set') o.set = val();
    else if (a === '--intents') o.intents = val();
    else if (a === '--locales') o.locales = val();
    else if (a === '--repeat') {
      o.repeat = Number.parseInt(val(), 10);
      if (!(o.repeat >= 1)) die(`--repeat takes a whole number >= 1\n${USAGE}`, 2);
    } else if (a === '--help' || a === '-h') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else die(`unknown argument '${a}'\n${USAGE}`, 2);
  }
  if (!o.bin || !o.set) die(`--bin and --set are required\n${USAGE}`, 2);
  return o;
}

const opts = parseArgs(process.argv.slice(2));
const bin = resolve(opts.bin);
const setPath = resolve(opts.set);
const dirArgs = [
  ...(opts.intents ? ['--intents', resolve(opts.intents)] : []),
  ...(opts.locales ? ['--locales', resolve(opts.locales)] : []),
];

// ---------------------------------------------------------------------------------------------
// Loading node-nlp (resolved beside this script, whatever the working directory).
const require = createRequire(import.meta.url);
let NlpManager;
let nodeNlpVersion;
let requireMs;
try {
  const t0 = performance.now();
  ({ NlpManager } = require('node-nlp'));
  requireMs = performance.now() - t0;
  nodeNlpVersion = require('node-nlp/package.json').version;
} catch (e) {
  die(`cannot load node-nlp (${e.message.split('\n')[0]}).\n` +
      'Install it first: npm ci --prefix benchmark/nlpjs');
}
const nlpRequire = createRequire(require.resolve('node-nlp'));
const trigramData = nlpRequire('@nlpjs/language/src/data.json');
const languageTable = nlpRequire('@nlpjs/language/src/languages.json');
const { Tokenizer, Normalizer } = nlpRequire('@nlpjs/core');

// NLP.js logs through console (neural training progress, "contains only stop words" warnings):
// every NLP.js call runs inside quiet(), which swallows and counts those lines.
let silencedLines = 0;
async function quiet(fn) {
  const names = ['log', 'info', 'warn', 'error', 'debug', 'trace'];
  const saved = names.map((n) => console[n]);
  for (const n of names) console[n] = () => { silencedLines += 1; };
  try {
    return await fn();
  } finally {
    names.forEach((n, i) => { console[n] = saved[i]; });
  }
}
const silentLogger = {
  name: 'logger',
  debug() { silencedLines += 1; }, info() { silencedLines += 1; }, warn() { silencedLines += 1; },
  error() { silencedLines += 1; }, log() { silencedLines += 1; }, trace() { silencedLines += 1; },
  fatal() { silencedLines += 1; },
};

// ---------------------------------------------------------------------------------------------
// Passerelle: knowledge, version, labelled set.
function runBin(args) {
  try {
    return execFileSync(bin, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  } catch (e) {
    die(`'${bin} ${args.join(' ')}' failed: ${e.message.split('\n')[0]}`);
  }
  return '';
}

const knowledge = JSON.parse(runBin(['export', ...dirArgs]));
const passerelleVersion = runBin(['--version']).trim();

const questions = readFileSync(setPath, 'utf8')
  .split('\n')
  .map((l, i) => [l.trim(), i + 1])
  .filter(([l]) => l !== '')
  .map(([l, n]) => {
    try {
      const q = JSON.parse(l);
      if (typeof q.text !== 'string' || !Array.isArray(q.expect)) throw new Error('needs text and expect');
      return q;
    } catch (e) {
      return die(`${opts.set}:${n}: ${e.message}`);
    }
  });
if (questions.length === 0) die(`${opts.set} holds no question`);

const isInScope = (q) => q.expect.some((x) => x !== null);
const isCorrect = (q, predicted) => q.expect.includes(predicted);

// ---------------------------------------------------------------------------------------------
// Scoring, one function for both systems. A prediction is {intent: id or null (fallback), lang}.
function score(preds, { withLangId = true } = {}) {
  const blank = () => ({ inScope: 0, correct: 0, outOfScope: 0, rejected: 0, total: 0, langOk: 0 });
  const all = blank();
  const per = Object.fromEntries(LANGS.map((l) => [l, blank()]));
  const perIntent = {};
  questions.forEach((q, i) => {
    const p = preds[i];
    if (!per[q.lang]) per[q.lang] = blank();
    for (const b of [all, per[q.lang]]) {
      b.total += 1;
      if (p.lang === q.lang) b.langOk += 1;
      if (isInScope(q)) {
        b.inScope += 1;
        if (isCorrect(q, p.intent)) b.correct += 1;
      } else {
        b.outOfScope += 1;
        if (p.intent === null) b.rejected += 1;
      }
    }
    if (isInScope(q)) {
      const key = q.expect.find((x) => x !== null);
      perIntent[key] ??= { total: 0, correct: 0 };
      perIntent[key].total += 1;
      if (isCorrect(q, p.intent)) perIntent[key].correct += 1;
    }
  });
  const frac = (a, b) => (b ? a / b : null);
  const out = (b) => ({
    in_scope: { total: b.inScope, correct: b.correct, accuracy: frac(b.correct, b.inScope) },
    out_of_scope: { total: b.outOfScope, rejected: b.rejected, rejection: frac(b.rejected, b.outOfScope) },
    language_id: withLangId ? { total: b.total, correct: b.langOk, accuracy: frac(b.langOk, b.total) } : null,
  });
  return {
    ...out(all),
    languages: Object.fromEntries(Object.entries(per).map(([l, b]) => [l, out(b)])),
    intents: Object.fromEntries(Object.entries(perIntent).map(([k, v]) =>
      [k, { ...v, accuracy: frac(v.correct, v.total) }])),
  };
}

// ---------------------------------------------------------------------------------------------
// Passerelle: score and time `passerelle eval`.
function timeEval(file) {
  const t0 = performance.now();
  const r = spawnSync(bin, ['eval', '--json', ...dirArgs, file], {
    encoding: 'utf8', maxBuffer: 256 * 1024 * 1024,
  });
  const ms = performance.now() - t0;
  if (r.error || r.status !== 0) die(`'${bin} eval --json ${file}' failed: ${r.error ? r.error.message : r.stderr}`);
  return { ms, report: JSON.parse(r.stdout) };
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

// Timed: the set itself (the figure asked for, start and loading included), an empty set (start
// and loading alone) and the set repeated BIG_REPEAT times (to get the matching alone out of the
// difference, above the noise of process start). One warm-up round first, then `repeat` rounds.
const BIG_REPEAT = 10;
const tmp = mkdtempSync(join(tmpdir(), 'passerelle-nlpjs-'));
const emptySet = join(tmp, 'empty.jsonl');
const bigSet = join(tmp, `set-x${BIG_REPEAT}.jsonl`);
writeFileSync(emptySet, '');
const setText = readFileSync(setPath, 'utf8').replace(/\n*$/, '\n');
writeFileSync(bigSet, setText.repeat(BIG_REPEAT));
const fullRuns = [];
const emptyRuns = [];
const bigRuns = [];
let ourReport;
try {
  timeEval(emptySet);
  timeEval(setPath);
  for (let i = 0; i < opts.repeat; i += 1) {
    emptyRuns.push(timeEval(emptySet).ms);
    const r = timeEval(setPath);
    fullRuns.push(r.ms);
    ourReport = r.report;
    bigRuns.push(timeEval(bigSet).ms);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

// Passerelle's per-question predictions: its list of every reply (eval --json "replies"), or,
// from an older build, rebuilt from its misses (every question with a wrong intent or a wrong
// language is listed); then cross-checked against its own totals.
const replyById = new Map((ourReport.replies || []).map((r) => [r.id, r]));
const missById = new Map((ourReport.misses || []).map((m) => [m.id, m]));
const ourPreds = questions.map((q) => {
  const m = replyById.get(q.id) || missById.get(q.id);
  if (m) return { intent: m.got ?? null, lang: m.got_lang ?? null, score: m.confidence ?? null };
  return { intent: isInScope(q) ? q.expect.find((x) => x !== null) : null, lang: q.lang, score: null };
});
const ourScore = score(ourPreds);
const ourCrossCheck = [
  ['in-scope correct', ourScore.in_scope.correct, ourReport.in_scope?.correct ?? 0],
  ['out-of-scope rejected', ourScore.out_of_scope.rejected, ourReport.out_of_scope?.rejected ?? 0],
  ['language id correct', ourScore.language_id.correct, ourReport.language_id?.correct ?? 0],
].filter(([, mine, theirs]) => mine !== theirs);
if (ourCrossCheck.length) {
  process.stderr.write('compare.mjs: warning: per-question figures rebuilt from passerelle eval differ from its ' +
    `totals (${ourCrossCheck.map(([k, a, b]) => `${k}: ${a} vs ${b}`).join('; ')}); its totals are shown.\n`);
  ourScore.in_scope = ourReport.in_scope;
  ourScore.out_of_scope = ourReport.out_of_scope;
  ourScore.language_id = ourReport.language_id;
}

const ourTiming = {
  load_ms: median(emptyRuns),
  eval_ms: median(fullRuns),
  repeats: opts.repeat,
};
ourTiming.per_question_ms = ourTiming.eval_ms / questions.length;
ourTiming.big_set_ms = median(bigRuns);
ourTiming.big_set_repeat = BIG_REPEAT;
ourTiming.per_question_marginal_ms = (ourTiming.big_set_ms - ourTiming.load_ms) / (BIG_REPEAT * questions.length);

// ---------------------------------------------------------------------------------------------
// NLP.js: language support actually present in the installed packages.
const manager = await quiet(() => new NlpManager(MANAGER_SETTINGS));
manager.container.register('logger', silentLogger, true);
const threshold = manager.nlp.settings.threshold;
const { container } = manager;

const baseTokenize = Tokenizer.prototype.innerTokenize;
const baseNormalize = Normalizer.prototype.normalize;
const genericNormalizer = new Normalizer();

// The guesser's built-in trigram models, read before training: train() adds every example's
// trigrams to the model of its language (in whatever script the example is written).
const builtinGuesser = Object.fromEntries(LANGS.map((lang) => {
  const entry = languageTable.find((x) => x[0] === lang);
  const iso3 = entry ? entry[1] : null;
  const script = iso3 && Object.keys(trigramData).find((s) => trigramData[s][iso3]);
  return [lang, script ? `${iso3} (${script} script)` : null];
}));

function languageSupport(lang, examples) {
  const tokenizer = container.get(`tokenizer-${lang}`);
  const stemmer = container.get(`stemmer-${lang}`);
  const normalizer = container.get(`normalizer-${lang}`);
  const stopwords = container.get(`stopwords-${lang}`);
  const sentiment = container.get(`sentiment-${lang}`);
  // Generic = same output as NLP.js's language-independent class on every training example.
  const tokenizerGeneric = !tokenizer || tokenizer.innerTokenize === baseTokenize ||
    examples.every((e) => JSON.stringify(tokenizer.innerTokenize(e)) === JSON.stringify(baseTokenize.call(tokenizer, e)));
  const normalizerGeneric = !normalizer || normalizer.normalize === baseNormalize ||
    examples.every((e) => normalizer.normalize(e) === genericNormalizer.normalize(e));
  // How much the stemmer does: share of distinct training words it changes.
  const words = new Set();
  const tok = tokenizer || new Tokenizer(container, true);
  for (const e of examples) for (const w of tok.tokenize(e, true)) words.add(w);
  let changed = 0;
  if (stemmer) for (const w of words) if (stemmer.stem([w])[0] !== w) changed += 1;
  const generic = [];
  if (!tokenizer) generic.push('tokenizer (none registered)');
  else if (tokenizerGeneric) generic.push('tokenizer (same output as the language-independent space/punctuation split on every training example)');
  if (!normalizer) generic.push('normalizer (none registered)');
  else if (normalizerGeneric) generic.push('normalizer (the language-independent Latin-accent strip + lowercase)');
  if (!stemmer) generic.push('stemmer (none: words used as they are)');
  if (!builtinGuesser[lang]) generic.push('language guessing (no built-in trigram model)');
  const stopCount = stopwords && stopwords.dictionary ? Object.keys(stopwords.dictionary).length : 0;
  return {
    lang,
    tokenizer: tokenizer ? (tokenizerGeneric ? 'generic' : 'own') : 'missing',
    stemmer: stemmer ? 'own' : 'missing',
    stemmer_changes_words: stemmer && words.size ? changed / words.size : null,
    distinct_words: words.size,
    normalizer: normalizer ? (normalizerGeneric ? 'generic' : 'own') : 'missing',
    stopwords: stopCount, // unused in this benchmark: NLP.js keeps stop words by default
    sentiment: Boolean(sentiment),
    guesser_model: builtinGuesser[lang],
    // The pieces that carry the language: a stemmer and a trigram model for guessing.
    supported: Boolean(stemmer && builtinGuesser[lang]),
    generic,
  };
}

// ---------------------------------------------------------------------------------------------
// NLP.js: training on every example of every language.
let exampleCount;
let skippedLangs;
const tTrain0 = performance.now();
await quiet(async () => {
  ({ exampleCount, skippedLangs } = addExamples(manager, knowledge));
  await manager.train();
});
const trainMs = performance.now() - tTrain0;

const support = LANGS.map((l) => languageSupport(l,
  knowledge.intents.flatMap((it) => (it.examples && it.examples[l]) || [])));

// ---------------------------------------------------------------------------------------------
// NLP.js: the two runs.
async function runNlpjs(giveLanguage) {
  const preds = [];
  const times = [];
  let errors = 0;
  await quiet(async () => {
    for (const q of questions) {
      const t0 = performance.now();
      let r;
      try {
        r = giveLanguage ? await manager.process(q.lang, q.text) : await manager.process(q.text);
      } catch (e) {
        r = { intent: 'None', score: 0, locale: null, error: e.message };
        errors += 1;
      }
      times.push(performance.now() - t0);
      const fallback = !r.intent || r.intent === 'None' || !(r.score >= threshold);
      // Below the threshold NLP.js itself answers intent 'None' with score 1: its best
      // classification before that is kept as `top`.
      const top = r.classifications && r.classifications[0];
      preds.push({
        intent: fallback ? null : r.intent,
        lang: r.locale || null,
        nlpjs_intent: r.intent ?? null,
        nlpjs_score: r.score ?? null,
        top: top ? { intent: top.intent, score: top.score } : null,
      });
    }
  });
  const total = times.reduce((a, b) => a + b, 0);
  return { preds, errors, per_question_ms: total / times.length, total_ms: total };
}

const guessed = await runNlpjs(false);
const told = await runNlpjs(true);
const guessedScore = score(guessed.preds);
const toldScore = score(told.preds, { withLangId: false });

// ---------------------------------------------------------------------------------------------
// Output.
const nIn = questions.filter(isInScope).length;
const nOut = questions.length - nIn;
const result = {
  set: opts.set,
  questions: questions.length,
  in_scope: nIn,
  out_of_scope: nOut,
  knowledge: {
    version: knowledge.version ?? null,
    intents: knowledge.intents.length,
    examples: exampleCount,
    ignored_languages: [...skippedLangs],
  },
  passerelle: {
    version: passerelleVersion,
    mode: 'language guessed (passerelle eval never gets the labelled language)',
    ...ourScore,
    timing: {
      ...ourTiming,
      note: 'wall time of whole `passerelle eval --json` processes (median of repeats): process start and ' +
        'knowledge loading included; load_ms is the same command on an empty set, big_set_ms on the set ' +
        'repeated big_set_repeat times; per_question_marginal_ms = (big_set_ms - load_ms) / questions in it',
      load_average: loadavg(),
    },
  },
  nlpjs: {
    package: `node-nlp@${nodeNlpVersion}`,
    threshold,
    fallback_rule: `intent 'None' or score < ${threshold}`,
    settings: { languages: LANGS, nlu: { log: false }, autoSave: false, autoLoad: false, calculateSentiment: false },
    language_support: support,
    silenced_log_lines: silencedLines,
    require_ms: requireMs,
    train_ms: trainMs,
    guessed: { mode: 'process(text): NLP.js guesses the language', ...guessedScore, errors: guessed.errors,
      per_question_ms: guessed.per_question_ms },
    told_language: { mode: 'process(lang, text): NLP.js is given the labelled language (an advantage ' +
      'passerelle eval does not get)', ...toldScore, errors: told.errors, per_question_ms: told.per_question_ms },
  },
  per_question: questions.map((q, i) => ({
    id: q.id, lang: q.lang, text: q.text, expect: q.expect,
    passerelle: ourPreds[i],
    nlpjs_guessed: guessed.preds[i],
    nlpjs_told_language: told.preds[i],
  })),
};

if (opts.json) {
  // No process.exit() after this: it could cut a large write to a pipe short.
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} else {
  printTable();
}

function printTable() {

  const pct = (x) => (x === null || x === undefined ? 'n/a' : `${(100 * x).toFixed(1)} %`);
  const cell = (b, k, n) => (b ? `${pct(b[k])} (${b[n]}/${b.total})` : 'n/a');
  const W0 = 34;
  const W = 21;
  const row = (label, ...cells) => `${label.padEnd(W0)}${cells.map((c) => String(c).padStart(W)).join('')}`;
  const lines = [];
  lines.push(`Passerelle vs NLP.js on ${opts.set}: ${questions.length} questions ` +
    `(${nIn} in scope, ${nOut} out of scope)`);
  lines.push(`Knowledge: ${result.knowledge.intents} intents, ${LANGS.map((l) => `${l} ${exampleCount[l]}`).join(', ')} ` +
    `examples (passerelle export${knowledge.version ? `, version ${knowledge.version}` : ''})`);
  lines.push(`Systems: ${passerelleVersion} (${opts.bin}); node-nlp ${nodeNlpVersion}, one NlpManager, ` +
    `languages ${LANGS.join(' ')}`);
  lines.push(`NLP.js fallback: intent 'None' or score < ${threshold} (its default threshold)`);
  lines.push('');
  lines.push(row('', 'Passerelle', 'NLP.js', 'NLP.js'));
  lines.push(row('', 'lang guessed', 'lang guessed', 'lang GIVEN (*)'));
  lines.push('-'.repeat(W0 + 3 * W));
  // A figure of the three systems, overall then per language.
  const figureRows = (title, part, rate, count) => {
    lines.push(row(title, cell(ourScore[part], rate, count), cell(guessedScore[part], rate, count),
      cell(toldScore[part], rate, count)));
    for (const l of Object.keys(guessedScore.languages)) {
      lines.push(row(`  ${l}`, cell(ourScore.languages[l]?.[part], rate, count),
        cell(guessedScore.languages[l][part], rate, count),
        cell(toldScore.languages[l][part], rate, count)));
    }
  };
  figureRows('In-scope top-1 accuracy', 'in_scope', 'accuracy', 'correct');
  figureRows('Out-of-scope rejection', 'out_of_scope', 'rejection', 'rejected');
  lines.push(row('Language identification', cell(ourScore.language_id, 'accuracy', 'correct'),
    cell(guessedScore.language_id, 'accuracy', 'correct'), 'n/a (given)'));
  for (const l of Object.keys(guessedScore.languages)) {
    lines.push(row(`  ${l}`, cell(ourScore.languages[l]?.language_id, 'accuracy', 'correct'),
      cell(guessedScore.languages[l].language_id, 'accuracy', 'correct'), ''));
  }
  const ms = (x) => (x >= 100 ? `${x.toFixed(0)} ms` : x >= 1 ? `${x.toFixed(1)} ms` : `${x.toFixed(3)} ms`);
  lines.push(row('Training / loading time', `${ms(ourTiming.load_ms)} (a)`, `${ms(trainMs)} (b)`, 'same model'));
  lines.push(row('Mean time per question', `${ms(ourTiming.per_question_ms)} (c)`,
    `${ms(guessed.per_question_ms)} (d)`, `${ms(told.per_question_ms)} (d)`));
  lines.push(row('  without start and loading', ourTiming.per_question_marginal_ms > 0
    ? `${ms(ourTiming.per_question_marginal_ms)} (e)` : 'below noise (e)', '', ''));
  lines.push('-'.repeat(W0 + 3 * W));
  lines.push('(*) NLP.js is told the labelled language: an advantage passerelle eval does not get.');
  lines.push(`(a) no training step: median wall time of \`passerelle eval\` on an empty set over ${opts.repeat} runs ` +
    '(process start + loading and indexing the knowledge).');
  lines.push(`(b) addDocument() of every example + train(), in process (loading node-nlp itself took ${ms(requireMs)}).`);
  lines.push(`(c) median wall time of the whole \`passerelle eval\` over the set (${ms(ourTiming.eval_ms)}, ` +
    `${opts.repeat} runs) / ${questions.length}: INCLUDES process start and knowledge loading.`);
  lines.push('(d) mean of in-process manager.process() calls, model already trained; the second run reuses ' +
    "NLP.js's tokenizer cache.");
  lines.push(`(e) (the set repeated ${BIG_REPEAT} times: ${ms(ourTiming.big_set_ms)}, minus (a)) / ` +
    `${BIG_REPEAT * questions.length} questions: the matching alone, roughly.`);
  lines.push(`Timings are wall-clock on this machine (load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}, ` +
    `${cpus().length} CPUs); compare them only within one run.`);
  lines.push('');
  lines.push(`NLP.js language support (found in the installed node-nlp ${nodeNlpVersion} at run time):`);
  for (const s of support) {
    const own = [
      s.stemmer === 'own' ? `stemmer (changes ${pct(s.stemmer_changes_words)} of ${s.distinct_words} training words)` : null,
      s.guesser_model ? `guesser model ${s.guesser_model}` : null,
      s.tokenizer === 'own' ? 'tokenizer' : null,
      s.normalizer === 'own' ? 'normalizer' : null,
    ].filter(Boolean);
    lines.push(`  ${s.lang}: ${s.supported ? 'supported' : 'NOT SUPPORTED, falls back to generic processing'}; ` +
      `own ${own.join(', ') || 'nothing'}`);
    if (s.generic.length) lines.push(`      generic: ${s.generic.join('; ')}`);
  }
  if (guessed.errors || told.errors) {
    lines.push(`NLP.js process() threw on ${guessed.errors} (guessed) / ${told.errors} (given) questions, ` +
      'counted as fallback.');
  }
  if (skippedLangs.size) lines.push(`Examples in ${[...skippedLangs].join(', ')} were not used (not in ${LANGS.join(' ')}).`);
  lines.push(`${silencedLines} NLP.js log line(s) silenced. --json gives every figure and every question's predictions.`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

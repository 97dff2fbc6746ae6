#!/usr/bin/env node
// Every example question the documentation shows with its reply is asked
// again, and must get the intent, language and kind the document claims.
//
//   node tests/docs/examples.mjs --bin build/passerelle --root .
//
// An example is a `passerelle ask [--lang CODE] "QUESTION"` line in a code
// block of README.md or docs/*.md, followed within a few lines by the JSON
// reply. A tutorial showing the state before an edit marks its example with
// the HTML comment `<!-- docs-test: before the edit -->` on the line above
// the command; it is then left out. One showing the state after adding the
// question to an intent's examples says so with
// `<!-- docs-test: after adding it to intents/FILE.json -->`: the question is
// then asked of a copy of the knowledge where it is added to that file's
// examples, in the language of the reply the document shows.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { parseCommandLine } from '../lib/harness.mjs';

const USAGE = 'usage: node tests/docs/examples.mjs --bin PATH/passerelle --root REPO_ROOT';
const opts = parseCommandLine(process.argv.slice(2), ['bin', 'root'], USAGE);
const ROOT = path.resolve(opts.root);
const SKIP = '<!-- docs-test: before the edit -->';
const AFTER = /<!-- docs-test: after adding it to (intents\/[\w./-]+\.json) -->/;
const LOOKAHEAD = 6; // lines between a command and its reply

function documents() {
  const docs = fs.readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md'));
  return ['README.md', ...docs.map((f) => path.join('docs', f))];
}

/* The examples of one document: {file, line, lang, question, expect}. */
function examples(file) {
  const lines = fs.readFileSync(path.join(ROOT, file), 'utf8').split('\n');
  const found = [];
  lines.forEach((line, i) => {
    const m = line.match(/passerelle ask (?:--lang (\w+) )?"([^"]+)"\s*$/);
    const above = lines.slice(Math.max(0, i - 3), i);
    if (!m || above.some((l) => l.includes(SKIP))) return;
    const edit = above.map((l) => l.match(AFTER)).find(Boolean);
    for (let j = i + 1; j <= i + LOOKAHEAD && j < lines.length; j++) {
      const reply = lines[j].trim().replace(/^\$ /, '');
      if (!reply.startsWith('{"type":"answer"')) continue;
      const field = (name) => {
        const f = reply.match(new RegExp(`"${name}":(null|"[^"]*")`));
        return f ? JSON.parse(f[1]) : undefined;
      };
      found.push({ file, line: i + 1, lang: m[1], question: m[2], addedTo: edit && edit[1],
                   expect: { intent: field('intent'), lang: field('lang'), kind: field('kind') } });
      return;
    }
  });
  return found;
}

/* A copy of the knowledge's intents with ex.question added to the examples
 * of ex.addedTo, in the language the document's reply is in. */
function editedIntents(ex) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docs-edit-'));
  fs.cpSync(path.join(ROOT, 'intents'), path.join(dir, 'intents'), { recursive: true });
  const file = path.join(dir, ex.addedTo);
  const intent = JSON.parse(fs.readFileSync(file, 'utf8'));
  intent.examples[ex.expect.lang].push(ex.question);
  fs.writeFileSync(file, JSON.stringify(intent, null, 2));
  return path.join(dir, 'intents');
}

let passed = 0, failed = 0;
for (const ex of documents().flatMap(examples)) {
  const intents = ex.addedTo ? editedIntents(ex) : path.join(ROOT, 'intents');
  const args = ['ask', '--intents', intents, '--locales', path.join(ROOT, 'locales')];
  if (ex.lang) args.push('--lang', ex.lang);
  args.push(ex.question);
  let got;
  try {
    got = JSON.parse(execFileSync(path.resolve(opts.bin), args, { encoding: 'utf8' }));
  } catch (e) {
    got = { error: e.message };
  }
  if (ex.addedTo) fs.rmSync(path.dirname(intents), { recursive: true, force: true });
  const wrong = Object.entries(ex.expect)
    .filter(([k, v]) => v !== undefined && got[k] !== v)
    .map(([k, v]) => `${k}: the document says ${JSON.stringify(v)}, got ${JSON.stringify(got[k])}`);
  const name = `${ex.file}:${ex.line} ${JSON.stringify(ex.question)}`;
  if (wrong.length) {
    failed++;
    console.log(`not ok - ${name}: ${wrong.join('; ')}`);
  } else {
    passed++;
    console.log(`ok - ${name}`);
  }
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed || passed === 0 ? 1 : 0);

#!/usr/bin/env node
// Builds web/passerelle-labels.json, the widget's own texts that travel with the script, from locales/.
//
//   node tests/browser/labels.mjs --root . --write    rewrite web/passerelle-labels.json
//   node tests/browser/labels.mjs --root . --check    exit 1 when it differs from locales/
//
// The widget reads this file from beside passerelle.js at start, so that its panel is complete (title,
// status, field, "service unavailable" note) even when the chat server cannot be reached; the welcome
// frame replaces it as soon as the server answers. Each entry is what the welcome frame's `languages`
// carries for that language, less the suggestions (they come from the intents, not from locales/).
// The browser tests (run.mjs) fail when the file differs from locales/ or from what the server says.

import fs from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const DEFAULT_ORDER = 1000; // as the server: a locale without "order" comes after those with one
export const LABELS_FILE = 'passerelle-labels.json';

/* The languages of locales/ under root, in the server's order (order, then code). */
export function buildLabels(root) {
  const dir = path.join(root, 'locales');
  const languages = fs.readdirSync(dir)
    .filter((f) => f.endsWith('.json') && !f.endsWith('schema.json'))
    .map((f) => {
      const loc = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
      return {
        order: Number.isInteger(loc.order) ? loc.order : DEFAULT_ORDER,
        entry: {
          code: f.slice(0, -'.json'.length),
          name: loc.name,
          dir: loc.dir === 'rtl' ? 'rtl' : 'ltr',
          welcome: loc.messages.welcome,
          labels: loc.labels
        }
      };
    })
    .sort((a, b) => a.order - b.order || (a.entry.code < b.entry.code ? -1 : a.entry.code > b.entry.code ? 1 : 0))
    .map((x) => x.entry);
  return {
    note: 'Generated from locales/*.json by tests/browser/labels.mjs --write: edit the locales, not this file.',
    languages
  };
}

export function labelsText(root) {
  return JSON.stringify(buildLabels(root), null, 2) + '\n';
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const args = process.argv.slice(2);
  const rootAt = args.indexOf('--root');
  const root = path.resolve(rootAt >= 0 && args[rootAt + 1] ? args[rootAt + 1] : '.');
  const file = path.join(root, 'web', LABELS_FILE);
  const want = labelsText(root);
  if (args.includes('--write')) {
    fs.writeFileSync(file, want);
    console.log(`wrote ${path.relative(process.cwd(), file) || file}`);
  } else if (args.includes('--check')) {
    const have = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    if (have !== want) {
      console.error(`${file} differs from locales/: run node tests/browser/labels.mjs --root ${root} --write`);
      process.exit(1);
    }
    console.log('ok');
  } else {
    console.error('usage: node tests/browser/labels.mjs --root REPO_ROOT (--write | --check)');
    process.exit(2);
  }
}

// NLP.js trained on the examples of `passerelle export`: the one recipe of compare.mjs (the
// accuracy comparison) and serve.mjs (the same model behind a WebSocket, for the server
// benchmark), so that both measure the same model.

// The languages the NlpManager is trained on.
export const LANGS = ['fr', 'de', 'pl', 'pt', 'ar'];

// The settings that differ from NLP.js's defaults; none changes intents or scores.
export const MANAGER_SETTINGS = {
  languages: LANGS,
  nlu: { log: false }, // no training progress lines
  autoSave: false, // never write model.nlp into the working directory
  autoLoad: false, // never read one either: train from the export only
  calculateSentiment: false, // not intent matching; leaves intents and scores unchanged
};

// addDocument() of every example of every intent in LANGS; the questions Passerelle learns not to
// answer (export's out_of_scope) go to NLP.js's own no-match intent, 'None', so both systems learn
// from the same data. Returns the examples added per language and the languages left out.
export function addExamples(manager, knowledge) {
  const exampleCount = Object.fromEntries(LANGS.map((l) => [l, 0]));
  const skippedLangs = new Set();
  for (const intent of knowledge.intents) {
    for (const [lang, examples] of Object.entries(intent.examples || {})) {
      if (!LANGS.includes(lang)) { skippedLangs.add(lang); continue; }
      for (const text of examples) {
        if (typeof text !== 'string' || text.trim() === '') continue;
        manager.addDocument(lang, text, intent.id);
        exampleCount[lang] += 1;
      }
    }
  }
  for (const [lang, examples] of Object.entries(knowledge.out_of_scope || {})) {
    if (!LANGS.includes(lang)) continue;
    for (const text of examples) {
      if (typeof text === 'string' && text.trim() !== '') manager.addDocument(lang, text, 'None');
    }
  }
  return { exampleCount, skippedLangs };
}

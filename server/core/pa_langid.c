#include "pa_langid.h"

#include "pa_alloc.h"

#include "pa_map.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum {
    PA_NGRAM_MAX = 3,                      /* longest n-gram, in code points */
    PA_NGRAM_BYTES = 4 * PA_NGRAM_MAX + 1, /* its UTF-8 with the NUL */
    PA_GRAM_WORD_MAX = 64,                 /* code points of a word read for n-grams */
};

/* Weight of whole-word evidence against one character n-gram: a known word
 * of a single language settles most short messages on its own. */
static const double WORD_WEIGHT = 2.5;

struct pa_langid {
    size_t n_langs;
    pa_script script[PA_LANG_MAX]; /* dominant script of each language */
    pa_map grams;                  /* n-gram → row */
    pa_map words;                  /* folded word → row */
    double *gram_counts;           /* rows × n_langs */
    double *word_counts;
    double gram_total[PA_LANG_MAX], word_total[PA_LANG_MAX];
    size_t gram_rows, word_rows, gram_cap, word_cap;
    char **keys; /* owned copies of every key of both maps */
    size_t n_keys, cap_keys;
    size_t script_chars[PA_LANG_MAX][3];
};

static const char *keep_key(pa_langid *m, const char *k)
{
    if (m->n_keys == m->cap_keys) {
        m->cap_keys = m->cap_keys ? m->cap_keys * 2 : 1024;
        m->keys = pa_xrealloc(m->keys, m->cap_keys * sizeof *m->keys);
    }
    return m->keys[m->n_keys++] = pa_xstrdup(k);
}

/* Adds one to the count of key for language l in the given table. */
static void count(pa_langid *m, pa_map *map, double **counts, size_t *rows, size_t *cap,
                  double *total, const char *key, size_t l)
{
    long row = pa_map_get(map, key, -1);
    if (row < 0) {
        if (*rows == *cap) {
            *cap = *cap ? *cap * 2 : 1024;
            *counts = pa_xrealloc(*counts, *cap * m->n_langs * sizeof **counts);
        }
        row = (long)(*rows)++;
        memset(*counts + (size_t)row * m->n_langs, 0, m->n_langs * sizeof **counts);
        pa_map_put(map, keep_key(m, key), row);
    }
    (*counts)[(size_t)row * m->n_langs + l] += 1;
    total[l] += 1;
}

/* Calls fn for each 1- to 3-gram of " word " (code points). */
static void for_each_gram(const char *word, void (*fn)(void *, const char *), void *ctx)
{
    uint32_t cps[PA_GRAM_WORD_MAX + 2]; /* the word between two spaces */
    cps[0] = ' ';
    size_t n = 1 + pa_text_decode(word, cps + 1, PA_GRAM_WORD_MAX);
    cps[n++] = ' ';
    for (size_t len = 1; len <= PA_NGRAM_MAX; len++) {
        for (size_t i = 0; i + len <= n; i++) {
            if (len == 1 && cps[i] == ' ')
                continue;
            char gram[PA_NGRAM_BYTES];
            size_t k = 0;
            for (size_t j = 0; j < len; j++) {
                uint32_t c = cps[i + j];
                if (c < 0x80) {
                    gram[k++] = (char)c;
                } else if (c < 0x800) {
                    gram[k++] = (char)(0xC0 | (c >> 6));
                    gram[k++] = (char)(0x80 | (c & 0x3F));
                } else if (c < 0x10000) {
                    gram[k++] = (char)(0xE0 | (c >> 12));
                    gram[k++] = (char)(0x80 | ((c >> 6) & 0x3F));
                    gram[k++] = (char)(0x80 | (c & 0x3F));
                } else {
                    gram[k++] = (char)(0xF0 | (c >> 18));
                    gram[k++] = (char)(0x80 | ((c >> 12) & 0x3F));
                    gram[k++] = (char)(0x80 | ((c >> 6) & 0x3F));
                    gram[k++] = (char)(0x80 | (c & 0x3F));
                }
            }
            gram[k] = '\0';
            fn(ctx, gram);
        }
    }
}

typedef struct {
    pa_langid *m;
    size_t lang;
} train_ctx;

static void train_gram(void *ctx, const char *gram)
{
    train_ctx *t = ctx;
    count(t->m, &t->m->grams, &t->m->gram_counts, &t->m->gram_rows, &t->m->gram_cap,
          t->m->gram_total, gram, t->lang);
}

static void train_text(pa_langid *m, size_t l, const char *text)
{
    pa_tokens toks;
    if (pa_text_tokenize(text, strlen(text), &toks) != 0)
        return;
    train_ctx t = {m, l};
    for (size_t i = 0; i < toks.count; i++) {
        for_each_gram(toks.items[i].surface, train_gram, &t);
        count(m, &m->words, &m->word_counts, &m->word_rows, &m->word_cap, m->word_total,
              toks.items[i].folded, l);
        m->script_chars[l][toks.items[i].script] += toks.items[i].chars;
    }
    pa_tokens_free(&toks);
}

pa_langid *pa_langid_build(const pa_knowledge *k)
{
    pa_langid *m = pa_xcalloc(1, sizeof *m);
    m->n_langs = k->n_locales;
    pa_map_init(&m->grams);
    pa_map_init(&m->words);
    for (size_t l = 0; l < k->n_locales; l++) {
        const pa_locale *loc = &k->locales[l];
        for (size_t i = 0; i < loc->n_stopwords; i++)
            train_text(m, l, loc->stopwords[i]);
        for (size_t i = 0; i < k->n_intents; i++) {
            const pa_intent_lang *il = &k->intents[i].langs[l];
            for (size_t e = 0; e < il->n_examples; e++)
                train_text(m, l, il->examples[e]);
            for (size_t e = 0; e < il->n_answers; e++)
                train_text(m, l, il->answers[e]);
        }
        size_t *sc = m->script_chars[l];
        m->script[l] =
            sc[PA_SCRIPT_ARABIC] > sc[PA_SCRIPT_LATIN] ? PA_SCRIPT_ARABIC : PA_SCRIPT_LATIN;
    }
    return m;
}

void pa_langid_free(pa_langid *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n_keys; i++)
        free(m->keys[i]);
    free(m->keys);
    free(m->gram_counts);
    free(m->word_counts);
    pa_map_clear(&m->grams);
    pa_map_clear(&m->words);
    free(m);
}

typedef struct {
    const pa_langid *m;
    double *score;
} score_ctx;

static void score_gram(void *ctx, const char *gram)
{
    score_ctx *c = ctx;
    const pa_langid *m = c->m;
    long row = pa_map_get(&m->grams, gram, -1);
    double vocab = (double)m->gram_rows + 1;
    for (size_t l = 0; l < m->n_langs; l++) {
        double n = row >= 0 ? m->gram_counts[(size_t)row * m->n_langs + l] : 0;
        c->score[l] += log((n + 1) / (m->gram_total[l] + vocab));
    }
}

static void score_word(const pa_langid *m, const char *word, double *score)
{
    long row = pa_map_get(&m->words, word, -1);
    if (row < 0)
        return; /* unknown everywhere: only its letters speak */
    double vocab = (double)m->word_rows + 1;
    for (size_t l = 0; l < m->n_langs; l++) {
        double n = m->word_counts[(size_t)row * m->n_langs + l];
        score[l] += WORD_WEIGHT * log((n + 0.5) / (m->word_total[l] + vocab));
    }
}

pa_langid_result pa_langid_detect(const pa_langid *m, const pa_tokens *tokens,
                                  const unsigned char *skip, const double *prior_bonus)
{
    pa_langid_result r = {-1, 0};
    double score[PA_LANG_MAX] = {0};
    /* The script of the words decides which languages compete; when only
     * names are left ("سوبوت؟"), their script still tells Arabic from Latin. */
    size_t script_chars[3] = {0}, all_chars[3] = {0};
    for (size_t i = 0; i < tokens->count; i++) {
        all_chars[tokens->items[i].script] += tokens->items[i].chars;
        if (!skip || !skip[i])
            script_chars[tokens->items[i].script] += tokens->items[i].chars;
    }
    if (script_chars[PA_SCRIPT_ARABIC] + script_chars[PA_SCRIPT_LATIN] == 0)
        memcpy(script_chars, all_chars, sizeof script_chars);
    pa_script script = script_chars[PA_SCRIPT_ARABIC] > script_chars[PA_SCRIPT_LATIN]
                           ? PA_SCRIPT_ARABIC
                           : PA_SCRIPT_LATIN;
    score_ctx ctx = {m, score};
    for (size_t i = 0; i < tokens->count; i++) {
        const pa_token *t = &tokens->items[i];
        if ((skip && skip[i]) || t->script != script)
            continue;
        for_each_gram(t->surface, score_gram, &ctx);
        score_word(m, t->folded, score);
        r.evidence++;
    }
    double best = -INFINITY;
    for (size_t l = 0; l < m->n_langs; l++) {
        if (m->script[l] != script)
            continue;
        /* per-token scale, so that the priors weigh the same in long and short messages */
        double v = r.evidence ? score[l] / r.evidence : 0;
        if (prior_bonus)
            v += prior_bonus[l];
        if (v > best) {
            best = v;
            r.lang = (int)l;
        }
    }
    return r;
}

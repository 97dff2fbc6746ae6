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
    PA_SCRIPTS = 3,                        /* values of pa_script */
    /* Characters of knowledge in a script for a language to compete in it:
     * a few Latin place names in Arabic answers do not make Arabic a
     * Latin-script language, a set of chat-alphabet examples does. */
    PA_SCRIPT_MIN_CHARS = 1000,
    PA_LETTER_MIN_COUNT = 3, /* uses of a letter before it can be one language's own */
    PA_LETTER_SHARE = 20,    /* ...and the others together use it this many times less */
    PA_SHARED_WORD_MIN = 5,  /* uses that make a listed foreign word one of ours too */
    /* letters below this code point (Latin and Arabic) have their 1-gram's
     * row in an array: a third of a word's grams, looked up without a hash */
    PA_LETTER_ROWS = 0x800,
    /* the n-grams of " word ", at most: PA_NGRAM_MAX per code point */
    PA_GRAMS_MAX = PA_NGRAM_MAX * (PA_GRAM_WORD_MAX + 2),
};

/* Weight of whole-word evidence against one character n-gram: a known word
 * of a single language settles most short messages on its own. */
static const double WORD_WEIGHT = 2.5;

/* A table of keys (n-grams or words) with a count per language and script
 * totals per language. */
typedef struct {
    pa_map rows;          /* words: key → row */
    pa_map64 gram_rows;   /* n-grams: code points packed by gram_key → row */
    int32_t *letter_rows; /* n-grams: gram_rows of the 1-grams below PA_LETTER_ROWS, or -1 */
    uint32_t *counts;     /* rows × n_langs: uses, whole numbers (half a double's room) */
    double *log_p;        /* n-grams: rows × PA_SCRIPTS × n_langs, see finish_table */
    unsigned char *flags; /* per row: WORD_* (words only) */
    double total[PA_LANG_MAX][PA_SCRIPTS];
    size_t n_rows, cap;
} table;

/* Where a word was seen: what tells an "ok" or a "danke" from a word that
 * says what a message is about. */
enum {
    WORD_STOPWORD = 1, /* a stopword of the locale */
    WORD_CONTENT = 2,  /* in the examples of an intent not marked "alone" */
};

struct pa_langid {
    size_t n_langs;
    size_t script_chars[PA_LANG_MAX][PA_SCRIPTS];
    table grams, words;
    pa_arena *keys; /* the keys of the maps not borrowed from the knowledge */
};

static long new_row(pa_langid *m, table *t)
{
    if (t->n_rows == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 1024;
        t->counts = pa_xrealloc(t->counts, t->cap * m->n_langs * sizeof *t->counts);
        t->flags = pa_xrealloc(t->flags, t->cap);
    }
    long row = (long)t->n_rows++;
    memset(t->counts + (size_t)row * m->n_langs, 0, m->n_langs * sizeof *t->counts);
    t->flags[row] = 0;
    return row;
}

static void add_count(pa_langid *m, table *t, long row, size_t l, pa_script s, unsigned flags)
{
    t->counts[(size_t)row * m->n_langs + l] += 1;
    t->flags[row] |= (unsigned char)flags;
    t->total[l][s] += 1;
}

/* Counts tok's word; the map borrows its folded form when lasting (the
 * knowledge's), else keeps a copy. */
static void count_word(pa_langid *m, const pa_token *tok, int lasting, size_t l, unsigned flags)
{
    table *t = &m->words;
    long row = pa_map_get_hashed(&t->rows, tok->folded, tok->hash, -1);
    if (row < 0) {
        row = new_row(m, t);
        const char *key = lasting ? tok->folded : pa_arena_strdup(m->keys, tok->folded);
        pa_map_put_hashed(&t->rows, key, tok->hash, row);
    }
    pa_script s = tok->script;
    add_count(m, t, row, l, s, flags);
}

static void count_gram(pa_langid *m, uint64_t key, size_t l, pa_script s)
{
    table *t = &m->grams;
    long row = pa_map64_get(&t->gram_rows, key, -1);
    if (row < 0) {
        row = new_row(m, t);
        pa_map64_put(&t->gram_rows, key, row);
    }
    add_count(m, t, row, l, s, 0);
}

/* Once the counts are in: the log of each key's smoothed probability in
 * each language and script, which scoring a message then only adds up. A
 * message is scored in one script: its languages' figures for a key are
 * side by side. */
static void finish_table(pa_langid *m, table *t, double smoothing)
{
    double vocab = (double)t->n_rows + 1;
    t->log_p = pa_xmalloc((t->n_rows * m->n_langs * PA_SCRIPTS + 1) * sizeof *t->log_p);
    for (size_t row = 0; row < t->n_rows; row++)
        for (size_t l = 0; l < m->n_langs; l++)
            for (size_t s = 0; s < PA_SCRIPTS; s++)
                t->log_p[(row * PA_SCRIPTS + s) * m->n_langs + l] =
                    log((t->counts[row * m->n_langs + l] + smoothing) / (t->total[l][s] + vocab));
}

/* Once trained, the words table's map tells in one number what reading a
 * message needs of a word: its row + 1, shifted by KIND_BITS (0: none),
 * and whether it is a yes, no or ok of a locale (KIND_ACKNOWLEDGEMENT) or
 * a listed word of a language the bot does not speak (KIND_OTHER); those
 * two are keys of their own when no language has them as words. */
enum { KIND_ACKNOWLEDGEMENT = 1, KIND_OTHER = 2, KIND_BITS = 2 };

static void add_kind(pa_map *words, const char *folded, long kind)
{
    pa_map_put(words, folded, pa_map_get(words, folded, 0) | kind);
}

/* Turns the words' rows into kinds; the added keys are borrowed from k. */
static void index_kinds(pa_langid *m, const pa_knowledge *k)
{
    pa_map *words = &m->words.rows;
    for (size_t i = 0; i < words->capacity; i++)
        if (words->slots[i].key)
            words->slots[i].value = (words->slots[i].value + 1) << KIND_BITS;
    for (size_t l = 0; l < k->n_locales; l++)
        for (size_t i = 0; i < k->locales[l].n_acknowledgements; i++)
            add_kind(words, k->locales[l].acknowledgements[i], KIND_ACKNOWLEDGEMENT);
    for (size_t o = 0; o < k->n_other_languages; o++)
        for (size_t w = 0; w < k->other_languages[o].n_words; w++)
            add_kind(words, k->other_languages[o].words[w], KIND_OTHER);
}

/* What a token's word is (index_kinds), 0 when nothing. */
static long word_kind(const pa_langid *m, const pa_token *t)
{
    return pa_map_get_hashed(&m->words.rows, t->folded, t->hash, 0);
}

/* The row of a word of that kind in the words table, or -1. */
static long kind_row(long kind)
{
    return (kind >> KIND_BITS) - 1;
}

/* The WORD_* flags of a word's row (kind_row), 0 for none. */
static unsigned word_flags(const pa_langid *m, long row)
{
    return row < 0 ? 0 : m->words.flags[row];
}

/* The counts per language of a word's row (kind_row), or NULL for none. */
static const uint32_t *word_counts(const pa_langid *m, long row)
{
    return row < 0 ? NULL : m->words.counts + (size_t)row * m->n_langs;
}

/* Fills the array of the letters' rows from the n-grams, once trained. A
 * 1-gram's key is its code point (gram_key), every longer gram's is above
 * 2^21: the keys below PA_LETTER_ROWS are letters. */
static void index_letters(table *t)
{
    t->letter_rows = pa_xmalloc(PA_LETTER_ROWS * sizeof *t->letter_rows);
    for (size_t cp = 0; cp < PA_LETTER_ROWS; cp++)
        t->letter_rows[cp] = cp ? (int32_t)pa_map64_get(&t->gram_rows, cp, -1) : -1;
}

/* The row of an n-gram (gram_key), or -1. */
static long gram_row(const pa_langid *m, uint64_t key)
{
    if (key < PA_LETTER_ROWS)
        return m->grams.letter_rows[key];
    return pa_map64_get(&m->grams.gram_rows, key, -1);
}

/* The counts of an n-gram per language, or NULL when no language has it. */
static const uint32_t *gram_counts(const pa_langid *m, uint64_t key)
{
    long row = gram_row(m, key);
    return row < 0 ? NULL : m->grams.counts + (size_t)row * m->n_langs;
}

/* An n-gram of up to PA_NGRAM_MAX code points as one number: 21 bits a
 * code point, never 0 (no code point of a word is). */
static uint64_t gram_key(const uint32_t *cps, size_t len)
{
    uint64_t key = 0;
    for (size_t j = 0; j < len; j++)
        key = (key << 21) | cps[j];
    return key;
}

/* Writes the keys of the 1- to 3-grams of " word " (code points) into
 * keys (room for PA_GRAMS_MAX) and returns how many. */
static size_t gram_keys(const char *word, uint64_t *keys)
{
    uint32_t cps[PA_GRAM_WORD_MAX + 2]; /* the word between two spaces */
    cps[0] = ' ';
    size_t n = 1 + pa_text_decode(word, cps + 1, PA_GRAM_WORD_MAX), count = 0;
    cps[n++] = ' ';
    for (size_t len = 1; len <= PA_NGRAM_MAX; len++) {
        for (size_t i = 0; i + len <= n; i++) {
            if (len == 1 && cps[i] == ' ')
                continue;
            keys[count++] = gram_key(cps + i, len);
        }
    }
    return count;
}

/* ---- learning ------------------------------------------------------------- */

/* Learns the letters and words of tokens, in language l; flags say where
 * the words come from (WORD_*), lasting whether the tokens are the
 * knowledge's (an example's), which outlive the model. */
static void train_tokens(pa_langid *m, size_t l, const pa_tokens *toks, int lasting, unsigned flags)
{
    for (size_t i = 0; i < toks->count; i++) {
        const pa_token *tok = &toks->items[i];
        uint64_t grams[PA_GRAMS_MAX];
        size_t n = gram_keys(tok->surface, grams);
        for (size_t g = 0; g < n; g++)
            count_gram(m, grams[g], l, tok->script);
        count_word(m, tok, lasting, l, flags);
        m->script_chars[l][tok->script] += tok->chars;
    }
}

static void train_text(pa_langid *m, pa_tokenizer *z, size_t l, const char *text, unsigned flags)
{
    if (pa_tokenizer_run(z, text, strlen(text)) == 0)
        train_tokens(m, l, &z->tokens, 0, flags);
}

static void train_language(pa_langid *m, pa_tokenizer *z, const pa_knowledge *k, size_t l)
{
    const pa_locale *loc = &k->locales[l];
    for (size_t i = 0; i < loc->n_stopwords; i++)
        train_text(m, z, l, loc->stopwords[i], WORD_STOPWORD | WORD_CONTENT);
    /* Chat abbreviations ("vc", "qd") are the language's small words too,
     * though, as a greeting's words, not ones that switch the reply alone:
     * "merci bcp" in the Portuguese chat window is still a thanks there. */
    for (size_t i = 0; i < loc->n_abbreviations; i++)
        train_text(m, z, l, loc->abbreviations[i].key, WORD_STOPWORD);
    for (size_t i = 0; i < k->n_intents; i++) {
        const pa_intent_lang *il = &k->intents[i].langs[l];
        unsigned flags = k->intents[i].alone ? 0 : WORD_CONTENT;
        for (size_t e = 0; e < il->n_examples; e++)
            train_tokens(m, l, &il->example_tokens[e], 1, flags);
        for (size_t e = 0; e < il->n_answers; e++) /* the bot's words, not a resident's */
            train_text(m, z, l, il->answers[e], 0);
    }
}

pa_langid *pa_langid_build(const pa_knowledge *k)
{
    pa_langid *m = pa_xcalloc(1, sizeof *m);
    m->n_langs = k->n_locales;
    m->keys = pa_arena_new();
    pa_tokenizer z;
    pa_tokenizer_init(&z);
    for (size_t l = 0; l < k->n_locales; l++)
        train_language(m, &z, k, l);
    pa_tokenizer_clear(&z);
    finish_table(m, &m->grams, 1); /* the words, few per message, are scored as they come */
    index_letters(&m->grams);
    index_kinds(m, k);
    return m;
}

void pa_langid_free(pa_langid *m)
{
    if (!m)
        return;
    free(m->grams.counts);
    free(m->grams.log_p);
    free(m->grams.flags);
    free(m->words.counts);
    free(m->words.log_p);
    free(m->words.flags);
    pa_map64_clear(&m->grams.gram_rows);
    free(m->grams.letter_rows);
    pa_map_clear(&m->words.rows);
    pa_arena_free(m->keys);
    free(m);
}

/* 1 when s is the script language l is mostly written in (Arabic's is
 * Arabic, though its knowledge has Arabic written in Latin letters too). */
static int main_script(const pa_langid *m, size_t l, pa_script s)
{
    for (int o = 0; o < PA_SCRIPTS; o++)
        if (m->script_chars[l][o] > m->script_chars[l][s])
            return 0;
    return 1;
}

int pa_langid_writes(const pa_langid *m, int l, pa_script s)
{
    return l >= 0 && (size_t)l < m->n_langs && s != PA_SCRIPT_OTHER &&
           m->script_chars[l][s] >= PA_SCRIPT_MIN_CHARS;
}

/* ---- reading ---------------------------------------------------------------- */

/* Adds the n-grams of a word, in script s, to score. A word's grams and
 * their figures lie all over the tables: each step asks the memory for all
 * it will read before reading any. */
static void score_grams(const pa_langid *m, const char *word, pa_script s, double *score)
{
    uint64_t grams[PA_GRAMS_MAX];
    const double *figures[PA_GRAMS_MAX];
    size_t n = gram_keys(word, grams), found = 0;
    for (size_t g = 0; g < n; g++)
        if (grams[g] >= PA_LETTER_ROWS)
            pa_map64_prefetch(&m->grams.gram_rows, grams[g]);
    for (size_t g = 0; g < n; g++) {
        long row = gram_row(m, grams[g]);
        if (row < 0)
            continue; /* seen in no language: it favours only the least-read one */
        figures[found] = m->grams.log_p + ((size_t)row * PA_SCRIPTS + s) * m->n_langs;
        __builtin_prefetch(figures[found++]);
    }
    for (size_t g = 0; g < found; g++)
        for (size_t l = 0; l < m->n_langs; l++)
            score[l] += figures[g][l];
}

/* The kinds of a message's words, each looked up once, when first asked
 * for: those of its first KINDS_KEPT tokens are kept, later ones looked up
 * again. */
enum { KINDS_KEPT = 48, KIND_UNKNOWN = -1 };
typedef struct {
    const pa_tokens *tokens;
    long kind[KINDS_KEPT]; /* KIND_UNKNOWN until looked up */
} word_kinds;

static void init_kinds(const pa_langid *m, const pa_tokens *tokens, word_kinds *w)
{
    w->tokens = tokens;
    for (size_t i = 0; i < KINDS_KEPT; i++)
        w->kind[i] = KIND_UNKNOWN;
    for (size_t i = 0; i < tokens->count && i < KINDS_KEPT; i++)
        pa_map_prefetch(&m->words.rows, tokens->items[i].hash);
}

static long kind_of(const pa_langid *m, word_kinds *w, size_t i)
{
    if (i >= KINDS_KEPT)
        return word_kind(m, &w->tokens->items[i]);
    if (w->kind[i] == KIND_UNKNOWN)
        w->kind[i] = word_kind(m, &w->tokens->items[i]);
    return w->kind[i];
}

static void score_word(const pa_langid *m, const pa_token *t, long row, double *score)
{
    const uint32_t *n = word_counts(m, row);
    if (!n)
        return; /* unknown everywhere: only its letters speak */
    double vocab = (double)m->words.n_rows + 1;
    for (size_t l = 0; l < m->n_langs; l++)
        score[l] += WORD_WEIGHT * log((n[l] + 0.5) / (m->words.total[l][t->script] + vocab));
}

/* The one language that has counts in n, or -1. */
static int only_language(const pa_langid *m, const uint32_t *n)
{
    int owner = -1;
    for (size_t l = 0; l < m->n_langs; l++) {
        if (n[l] == 0)
            continue;
        if (owner >= 0)
            return -1;
        owner = (int)l;
    }
    return owner;
}

/* The language whose own letter (one the others hardly use) the token has,
 * or -1; -1 too when it has the own letters of two languages. */
static int letter_owner(const pa_langid *m, const pa_token *t)
{
    uint32_t cps[PA_GRAM_WORD_MAX];
    size_t n = pa_text_decode(t->surface, cps, PA_GRAM_WORD_MAX);
    int owner = -1;
    for (size_t i = 0; i < n; i++) {
        const uint32_t *c = gram_counts(m, gram_key(&cps[i], 1));
        if (!c)
            continue;
        double total = 0, best = 0;
        int best_l = -1;
        for (size_t l = 0; l < m->n_langs; l++) {
            total += c[l];
            if (c[l] > best) {
                best = c[l];
                best_l = (int)l;
            }
        }
        if (best < PA_LETTER_MIN_COUNT || (total - best) * PA_LETTER_SHARE > best)
            continue;
        if (owner >= 0 && owner != best_l)
            return -1;
        owner = best_l;
    }
    return owner;
}

/* 1 when language l writes mostly in another script than s: Arabic in
 * Latin letters. */
static int secondary_script(const pa_langid *m, int l, pa_script s)
{
    size_t mine = m->script_chars[l][s], all = 0;
    for (int x = 0; x < PA_SCRIPTS; x++)
        all += m->script_chars[l][x];
    return mine * 2 < all;
}

/* The language only this token has, by a letter or as a word, or -1. A
 * word seen only where a message is essentially a greeting or a thanks
 * ("danke", "dziękuję") is not one, nor one a locale lists as a yes, no or
 * ok ("tak", "não"): an acknowledgement does not tell the language a
 * resident chose to write in, unless it is Arabic typed in Latin letters,
 * which no other language shares. Else a letter only one language
 * uses outranks the word, which is compared folded: "brás" folds to the
 * French "bras", though French never writes an á. */
static int distinct_language(const pa_langid *m, const pa_token *t, long row, int acknowledgement)
{
    if (acknowledgement)
        return -1; /* "tak", "não": a yes or a no, whatever its letters */
    const uint32_t *n = word_counts(m, row);
    int l = n ? only_language(m, n) : -1;
    if (l >= 0 && !(word_flags(m, row) & WORD_CONTENT) && !secondary_script(m, l, t->script))
        return -1;
    int by_letter = letter_owner(m, t);
    return by_letter >= 0 ? by_letter : l;
}

static int is_number(const pa_token *t)
{
    for (const char *p = t->folded; *p; p++)
        if (*p < '0' || *p > '9')
            return 0;
    return 1;
}

/* The languages of the name variant token i belongs to (a bit per locale),
 * 0 outside names. Of a variant some languages list, only those mainly
 * written in the token's letters count when that leaves one: "villes
 * partenaires", listed in French and, as Tunisians write it, in Arabic, is
 * French in Latin letters. When several such languages list it, it is read
 * as words. A name of every language stays one. */
static unsigned name_langs_of(const pa_langid *m, const pa_token *t, const unsigned *name_langs,
                              size_t i)
{
    unsigned nl = name_langs ? name_langs[i] : 0;
    unsigned every = m->n_langs < 32 ? (1u << m->n_langs) - 1 : ~0u;
    if ((nl & (nl - 1)) == 0 || (nl & every) == every) /* one, or a name of all */
        return nl;
    unsigned native = 0;
    for (size_t l = 0; l < m->n_langs; l++)
        if ((nl & (1u << l)) && main_script(m, l, t->script))
            native |= 1u << l;
    if (native && (native & (native - 1)) == 0)
        return native;
    /* "villes jumelles", listed in Portuguese too (residents of Colombes
     * write it so): its words, not the lists, tell whose they are */
    return native ? 0 : nl;
}

/* The token says something of the language: not a number, not a name of
 * several languages (nl: name_langs_of). */
static int speaks(const pa_token *t, unsigned nl)
{
    return !is_number(t) && (nl & (nl - 1)) == 0;
}

/* Counts the tokens in letters outside the scripts pa_text tells apart
 * (Latin and Arabic: those the knowledge can be written in) and those in
 * them, numbers left out. */
static void count_scripts(const pa_tokens *tokens, pa_langid_result *r)
{
    for (size_t i = 0; i < tokens->count; i++) {
        const pa_token *t = &tokens->items[i];
        if (is_number(t))
            continue;
        if (t->script == PA_SCRIPT_OTHER)
            r->unwritten++;
        else
            r->written++;
    }
}

static pa_script message_script(const pa_langid *m, const pa_tokens *tokens,
                                const unsigned *name_langs)
{
    size_t chars[PA_SCRIPTS] = {0}, all[PA_SCRIPTS] = {0};
    for (size_t i = 0; i < tokens->count; i++) {
        const pa_token *t = &tokens->items[i];
        all[t->script] += t->chars;
        if (speaks(t, name_langs_of(m, t, name_langs, i)))
            chars[t->script] += t->chars;
    }
    /* when only names are left ("سوبوت؟"), their letters still tell the script */
    if (chars[PA_SCRIPT_ARABIC] + chars[PA_SCRIPT_LATIN] == 0)
        memcpy(chars, all, sizeof chars);
    return chars[PA_SCRIPT_ARABIC] > chars[PA_SCRIPT_LATIN] ? PA_SCRIPT_ARABIC : PA_SCRIPT_LATIN;
}

/* A word listed for a language the bot does not speak that its own
 * languages use as much: a stopword ("in", "que"), a yes, no or ok of one of
 * them (Italian "non" is French too), or a word of their knowledge seen
 * PA_SHARED_WORD_MIN times. "thanks" in one French example is still
 * English. */
static int shared_word(const pa_langid *m, long row, int acknowledgement)
{
    if ((word_flags(m, row) & WORD_STOPWORD) || acknowledgement)
        return 1;
    const uint32_t *n = word_counts(m, row);
    double total = 0;
    for (size_t l = 0; n && l < m->n_langs; l++)
        total += n[l];
    return total >= PA_SHARED_WORD_MIN;
}

/* Counts the tokens only one language has, and the words known or foreign. */
static void weigh_tokens(const pa_langid *m, const pa_tokens *tokens, word_kinds *kinds,
                         const unsigned *name_langs, pa_langid_result *r)
{
    for (size_t i = 0; i < tokens->count; i++) {
        const pa_token *t = &tokens->items[i];
        unsigned nl = name_langs_of(m, t, name_langs, i);
        if (!speaks(t, nl) || t->chars < 2) /* "a", "e": every language has them */
            continue;
        long kind = kind_of(m, kinds, i), row = kind_row(kind);
        int acknowledgement = (kind & KIND_ACKNOWLEDGEMENT) != 0;
        int listed = !nl && (kind & KIND_OTHER);
        int foreign = listed && !shared_word(m, row, acknowledgement);
        int l = -1;
        if (nl) /* a name form of one language */
            for (size_t b = 0; b < m->n_langs && l < 0; b++)
                l = nl & (1u << b) ? (int)b : -1;
        else if (!listed) /* "you", "in": other languages' too */
            l = distinct_language(m, t, row, acknowledgement);
        if (l >= 0)
            r->distinct[l]++;
        r->foreign += foreign;
        r->known += !foreign && (nl || row >= 0);
        r->shared += listed && !foreign;
    }
    int best = -1, tie = 0;
    for (size_t l = 0; l < m->n_langs; l++) {
        if (best < 0 || r->distinct[l] > r->distinct[best]) {
            best = (int)l;
            tie = 0;
        } else if (r->distinct[l] == r->distinct[best]) {
            tie = 1;
        }
    }
    int others = 0;
    for (size_t l = 0; l < m->n_langs; l++)
        others += (int)l != best ? r->distinct[l] : 0;
    /* ...and more of them than words of languages the bot does not speak:
     * in "thanks a lot", "lot" is Polish only, but the message is English */
    r->clear = best >= 0 && !tie && r->distinct[best] > 0 && r->distinct[best] > r->foreign &&
                       (r->distinct[best] >= PA_LANGID_CLEAR_TOKENS || others == 0)
                   ? best
                   : -1;
}

/* The best language by the n-grams and words of the tokens in r->script. */
static void guess(const pa_langid *m, const pa_tokens *tokens, word_kinds *kinds,
                  const unsigned *name_langs, pa_langid_result *r)
{
    double score[PA_LANG_MAX] = {0};
    for (size_t i = 0; i < tokens->count; i++) {
        const pa_token *t = &tokens->items[i];
        if (!speaks(t, name_langs_of(m, t, name_langs, i)) || t->script != r->script)
            continue;
        score_grams(m, t->surface, r->script, score);
        score_word(m, t, kind_row(kind_of(m, kinds, i)), score);
        r->evidence++;
    }
    double best = -INFINITY, best_native = -INFINITY;
    for (size_t l = 0; l < m->n_langs; l++) {
        if (!pa_langid_writes(m, (int)l, r->script))
            continue;
        double v = r->evidence ? score[l] / r->evidence : 0;
        if (v > best) {
            best = v;
            r->lang = (int)l;
        }
        if (main_script(m, l, r->script) && v > best_native) {
            best_native = v;
            r->lang_native = (int)l;
        }
    }
}

pa_langid_result pa_langid_detect(const pa_langid *m, const pa_tokens *tokens,
                                  const unsigned *name_langs)
{
    pa_langid_result r;
    memset(&r, 0, sizeof r);
    r.lang = -1;
    r.lang_native = -1;
    r.clear = -1;
    r.script = message_script(m, tokens, name_langs);
    word_kinds kinds;
    init_kinds(m, tokens, &kinds);
    guess(m, tokens, &kinds, name_langs, &r);
    weigh_tokens(m, tokens, &kinds, name_langs, &r);
    count_scripts(tokens, &r);
    return r;
}

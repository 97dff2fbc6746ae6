#include "pa_match.h"

#include "pa_alloc.h"

#include "pa_map.h"
#include "pa_slip.h"
#include "pa_stem.h"
#include "pa_typo.h"

#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <stdatomic.h>
#include <threads.h>

/* A name is strong evidence: "Sopocie" says more than any one common word. */
static const double NAME_BOOST = 1.5;
/* A corrected word is probably, not surely, the word we think. */
static const double CORRECTED_FACTOR = 0.8;
/* An unknown word weighs this share of a word seen in a single intent. */
static const double UNKNOWN_FACTOR = 0.6;
/* Content words up to which unknown words count in full (see rank). */
static const double CONTEXT_WORDS = 2;
/* Uses in the examples a word needs to be the correction of a word two
 * edits away: a word written once is weak evidence that two letters were
 * mistyped, and indexing every word's two-letter deletions costs memory
 * and load time that grow with the square of its length. */
static const unsigned TWO_EDITS_MIN_USES = 2;
/* Edits a misspelt stopword may be away: stopwords are short and typed
 * every day, and a word two edits from one ("recette", "cette") is a word
 * of its own, not a stopword to drop. */
static const int STOPWORD_MAX_EDITS = 1;
/* Two examples of different intents this similar are reported by check. */
static const double CONFUSABLE_SIMILARITY = 0.9;

enum { PA_FEATURE_MAX = 128 }; /* features of one question or example */

typedef struct {
    size_t intent;
    uint32_t *feats; /* sorted, unique */
    size_t n_feats;
    double weight; /* sum of the features' weights */
} example;

/* An example a feature occurs in, with what scoring needs of it: ranking
 * then reads the postings in order and no example record out of the way. */
typedef struct {
    uint32_t example, intent;
    double weight; /* the example's (example.weight) */
} posting;

typedef struct {
    pa_map features; /* stem or "#name" → feature id */
    const char **feature_text;
    double *weight;
    posting **post_ex;
    uint32_t **post_intent;
    size_t *n_post_ex, *n_post_intent;
    size_t n_features;
    example *ex;
    size_t n_ex;
    pa_map exact;         /* folded example → intent + 1: a known phrasing settles it */
    size_t exact_longest; /* bytes of the longest key of exact */
    pa_map vocab;         /* folded content word → 1 */
    const char **words;   /* the vocabulary, for the typo corrector */
    unsigned *word_count; /* examples each word appears in */
    size_t n_words;
    const pa_locale *loc; /* its processing settings and stopwords */
    pa_map stems;         /* surface form of a content word of the examples → stem_text index */
    const char **stem_text;
    long *stem_feature; /* per stem_text, its feature id (-1: none), once built */
    size_t n_stems;
    /* The typo corrector's candidates, the words then the stopwords, indexed
     * by edit neighbourhood: all of them for one edit, and for two edits
     * those used at least TWO_EDITS_MIN_USES times (typo_two's word i is
     * candidate two_ids[i]). */
    const char **candidates, **two_candidates;
    pa_typo_index *typo, *typo_two;
    uint32_t *two_ids;
    pa_arena *arena; /* its strings and feature lists: languages are built apart */
    /* What it was built from (language_digest; 0 until needed: only a
     * reload compares them), and the indexes holding all the above: the
     * last to let go frees it. Only loc and digest are the index's own:
     * nothing else points into a knowledge. */
    uint64_t digest;
    atomic_size_t *holders;
} lang_index;

struct pa_index {
    const pa_knowledge *k;      /* borrowed: what was indexed; NULL for pa_index_languages */
    const pa_name_index *names; /* borrowed */
    lang_index *langs;
    size_t n_langs, n_intents;
    double unknown_weight; /* the weight of a word seen in a single intent */
    size_t reused;         /* languages shared with the index it was built with */
};

/* ---- analysis ------------------------------------------------------------ */

/* What turning a word into its feature needs of the calling thread: a
 * stemmer of the language and room to fold text in. */
typedef struct {
    pa_stemmer *stemmer;
    pa_tokenizer *tokenizer;
} word_tools;

typedef struct {
    const char *text[PA_FEATURE_MAX]; /* feature strings (borrowed or in scratch) */
    long id[PA_FEATURE_MAX];          /* its id in the index when analysis looked it up, else -1 */
    double factor[PA_FEATURE_MAX];    /* 1, or less for corrected words */
    size_t n;
    double unknown;       /* weight of the words nobody knows */
    double unknown_topic; /* the part of it from words of three letters or more */
    double unknown_names; /* weight of the names of towns no example names */
    size_t content, unknown_words, corrected;
    char scratch[PA_FEATURE_MAX][PA_WORD_MAX];
} analysis;

/* Adds a feature (its id when known, else -1) unless a has it already. */
static void add_feature(analysis *a, const char *text, long id, double factor)
{
    for (size_t i = 0; i < a->n; i++) {
        if (!strcmp(a->text[i], text)) {
            if (factor > a->factor[i])
                a->factor[i] = factor;
            if (a->id[i] < 0)
                a->id[i] = id;
            return;
        }
    }
    if (a->n == PA_FEATURE_MAX)
        return;
    pa_text_copy(a->scratch[a->n], PA_WORD_MAX, text);
    a->text[a->n] = a->scratch[a->n];
    a->id[a->n] = id;
    a->factor[a->n++] = factor;
}

/* Splits a compound into two words of the vocabulary ("stadtepartnerschaft"
 * → "stadte" + "partnerschaft"), allowing the linking s of German. Writes the
 * parts and returns 1 when a split exists. */
static int split_compound(const lang_index *li, const char *w, char *left, char *right)
{
    size_t len = strlen(w);
    if (!li->loc->decompound || len < 8)
        return 0;
    for (size_t k = len - 4; k >= 4; k--) {
        if (((unsigned char)w[k] & 0xC0) == 0x80)
            continue;
        if (pa_map_get(&li->vocab, w + k, 0) == 0)
            continue;
        memcpy(left, w, k);
        left[k] = '\0';
        if (pa_map_get(&li->vocab, left, 0)) {
            strcpy(right, w + k);
            return 1;
        }
        if (left[k - 1] == 's') { /* Fugen-s: Partnerschaftsvertrag */
            left[k - 1] = '\0';
            if (pa_map_get(&li->vocab, left, 0)) {
                strcpy(right, w + k);
                return 1;
            }
        }
    }
    return 0;
}

/* Indexes the typo corrector's candidates, once per snapshot. */
static void index_candidates(lang_index *li)
{
    size_t n = li->n_words + li->loc->n_stopwords;
    li->candidates = pa_xmalloc((n + 1) * sizeof *li->candidates);
    for (size_t i = 0; i < n; i++)
        li->candidates[i] = i < li->n_words
                                ? li->words[i]
                                : pa_arena_strdup(li->arena, li->loc->stopwords[i - li->n_words]);
    li->typo = pa_typo_build(li->candidates, n, 1);
    const char **two = pa_xmalloc((n + 1) * sizeof *two);
    li->two_ids = pa_xmalloc((n + 1) * sizeof *li->two_ids);
    size_t n_two = 0;
    for (size_t i = 0; i < n; i++) {
        if (i < li->n_words && li->word_count[i] < TWO_EDITS_MIN_USES)
            continue; /* stopwords are in: they are the language's most used words */
        li->two_ids[n_two] = (uint32_t)i;
        two[n_two++] = li->candidates[i];
    }
    li->typo_two = pa_typo_build(two, n_two, PA_TYPO_MAX_EDITS);
    li->two_candidates = two;
}

/* The candidates within max edits of w, in the candidates' order: those of
 * one edit from the full index, those of two from the index of the words
 * used more. Returns how many (at most PA_TYPO_MAX_MATCHES). */
static size_t near_candidates(const lang_index *li, const char *w, int max, pa_typo_match *out)
{
    pa_typo_match one[PA_TYPO_MAX_MATCHES], two[PA_TYPO_MAX_MATCHES];
    size_t n1 = pa_typo_find(li->typo, w, 1, one, PA_TYPO_MAX_MATCHES);
    size_t n2 = max >= 2 ? pa_typo_find(li->typo_two, w, max, two, PA_TYPO_MAX_MATCHES) : 0;
    for (size_t i = 0; i < n2; i++)
        two[i].word = li->two_ids[two[i].word];
    size_t n = 0, i = 0, j = 0; /* merge, both lists being in the candidates' order */
    while ((i < n1 || j < n2) && n < PA_TYPO_MAX_MATCHES) {
        if (j == n2 || (i < n1 && one[i].word <= two[j].word)) {
            if (j < n2 && one[i].word == two[j].word)
                j++; /* within one edit: found by both */
            out[n++] = one[i++];
        } else {
            out[n++] = two[j++];
        }
    }
    return n;
}

/* 1 when candidate is within max edits of the word in cps, counting an
 * implausible substitution as two (pa_slip): "noir" is no slip of "soir". */
static int plausible_slip(const uint32_t *cps, size_t len, const char *candidate, int max)
{
    uint32_t other[PA_TEXT_DISTANCE_MAX_CHARS];
    size_t n = pa_text_decode(candidate, other, PA_TEXT_DISTANCE_MAX_CHARS);
    return pa_slip_cost(cps, len, other, n, max) <= max;
}

/* The word nearest to w within the allowed edits, or NULL; among equally
 * near words the most used one ("wass" is "was", not "wall"). Stopwords are
 * candidates too, and *is_stopword tells when one won: a misspelt "dass" is
 * still only a "dass". */
static const char *correct_word(const lang_index *li, const char *w, size_t chars, int *is_stopword)
{
    int max = chars >= 7 ? 2 : chars >= 4 ? 1 : 0;
    if (max == 0)
        return NULL;
    pa_typo_match near[PA_TYPO_MAX_MATCHES];
    size_t n = near_candidates(li, w, max, near);
    const char *best = NULL;
    int best_d = max + 1;
    unsigned best_count = 0;
    uint32_t cps[PA_TEXT_DISTANCE_MAX_CHARS];
    size_t len = pa_text_decode(w, cps, PA_TEXT_DISTANCE_MAX_CHARS);
    for (size_t i = 0; i < n; i++) { /* in the candidates' order, as ties are broken */
        if (!plausible_slip(cps, len, li->candidates[near[i].word], max))
            continue;
        int stop = near[i].word >= li->n_words;
        if (stop && near[i].distance > STOPWORD_MAX_EDITS)
            continue;
        unsigned count = stop ? UINT_MAX : li->word_count[near[i].word];
        if (near[i].distance < best_d || (near[i].distance == best_d && count > best_count)) {
            best_d = near[i].distance;
            best = li->candidates[near[i].word];
            best_count = count;
            *is_stopword = stop;
        }
    }
    return best;
}

/* Removes the longest listed prefix (the Arabic article and clitics: وال،
 * بال، ال) when at least three letters remain: "التعاون" and "تعاون" must
 * stem alike, and the Snowball stemmer's length rules treat them apart. */
static const char *strip_prefix(const lang_index *li, const char *word)
{
    size_t best = 0;
    for (size_t i = 0; i < li->loc->n_strip_prefixes; i++) {
        size_t n = strlen(li->loc->strip_prefixes[i]);
        if (n > best && !strncmp(word, li->loc->strip_prefixes[i], n) &&
            pa_text_chars(word + n, strlen(word + n)) >= 3)
            best = n;
    }
    return word + best;
}

/* Copies word into out, replacing the letter sequences that stand for one
 * letter when typed on a keyboard without it (German "ae" for "ä"). */
static void respell(const lang_index *li, const char *word, char out[PA_WORD_MAX])
{
    size_t n = 0;
    while (*word && n + 1 < PA_WORD_MAX) {
        size_t i = 0;
        while (i < li->loc->n_respell &&
               strncmp(word, li->loc->respell[i].key, strlen(li->loc->respell[i].key)))
            i++;
        const char *from = i < li->loc->n_respell ? li->loc->respell[i].value : NULL;
        size_t take = from ? strlen(li->loc->respell[i].key) : 1;
        size_t put = from ? strlen(from) : 1;
        if (n + put + 1 > PA_WORD_MAX)
            break;
        memcpy(out + n, from ? from : word, put);
        n += put;
        word += take;
    }
    out[n] = '\0';
}

/* The folded form of s (pa_text_fold's), in room when it fits, else in
 * *own, malloc'd (caller frees); NULL for text that is not UTF-8. */
static const char *fold_word(pa_tokenizer *z, const char *s, char room[PA_WORD_MAX], char **own)
{
    *own = NULL;
    if (pa_tokenizer_run(z, s, strlen(s)) != 0)
        return NULL;
    if (pa_text_join_folded_to(&z->tokens, room, PA_WORD_MAX) < PA_WORD_MAX)
        return room;
    return *own = pa_text_join_folded(&z->tokens);
}

/* The feature of a word: its stem, folded. Words typed without accents get
 * their ending's accents back first (locale accent_suffixes: "geminacoes"
 * reads as "geminações"), so both spellings reach the same stem. */
static const char *compute_stem(const lang_index *li, word_tools *wt, const char *surface,
                                const char *folded, char out[PA_WORD_MAX])
{
    char word[PA_WORD_MAX], room[PA_WORD_MAX];
    /* prefixes are compared folded (أل/ال), then cut from the surface form */
    char *own = NULL;
    if (li->loc->n_strip_prefixes > 0 && !folded)
        folded = fold_word(wt->tokenizer, surface, room, &own);
    size_t cut = folded ? (size_t)(strip_prefix(li, folded) - folded) : 0;
    size_t skip = 0;
    for (size_t chars = pa_text_chars(folded ? folded : "", cut); chars > 0 && surface[skip];) {
        skip++;
        if (((unsigned char)surface[skip] & 0xC0) != 0x80)
            chars--;
    }
    free(own);
    respell(li, surface + skip, word);
    size_t len = strlen(word);
    const pa_kv *best = NULL; /* the longest ending that fits */
    for (size_t i = 0; i < li->loc->n_accent_suffixes; i++) {
        size_t n = strlen(li->loc->accent_suffixes[i].key);
        if (n < len && !strcmp(word + len - n, li->loc->accent_suffixes[i].key) &&
            (!best || n > strlen(best->key)))
            best = &li->loc->accent_suffixes[i];
    }
    if (best && len - strlen(best->key) + strlen(best->value) < sizeof word)
        strcpy(word + len - strlen(best->key), best->value);
    const char *stem = pa_stemmer_stem(wt->stemmer, word);
    char *long_fold = NULL;
    const char *stem_folded = fold_word(wt->tokenizer, stem, room, &long_fold);
    pa_text_copy(out, PA_WORD_MAX, stem_folded && *stem_folded ? stem_folded : stem);
    free(long_fold);
    return out;
}

/* What stem_word tells of a word's feature id besides its text. */
enum { FEATURE_NOT_LOOKED_UP = -2 };

/* Writes the feature of a word into out and returns out, from the cache of
 * the examples' words when it is one of them; *id (when not NULL) is then
 * the feature's id in the built index, or -1 when it has none, else
 * FEATURE_NOT_LOOKED_UP. folded is the word's folded form when the caller
 * has it (a token's), else NULL. */
static const char *stem_word(const lang_index *li, word_tools *wt, const char *surface,
                             const char *folded, char out[PA_WORD_MAX], long *id)
{
    long cached = pa_map_get(&li->stems, surface, -1);
    if (id)
        *id = cached >= 0 && li->stem_feature ? li->stem_feature[cached] : FEATURE_NOT_LOOKED_UP;
    if (cached < 0)
        return compute_stem(li, wt, surface, folded, out);
    pa_text_copy(out, PA_WORD_MAX, li->stem_text[cached]);
    return out;
}

/* Puts the stems of the content words of t in the cache: the words of the
 * examples are the words questions use most. */
static void remember_stems(lang_index *li, word_tools *wt, const pa_tokens *t, size_t *cap)
{
    for (size_t i = 0; i < t->count; i++) {
        const char *surface = t->items[i].surface;
        if (!pa_locale_is_content_word(li->loc, &t->items[i]) ||
            pa_map_get(&li->stems, surface, -1) >= 0)
            continue;
        if (li->n_stems == *cap) {
            *cap = *cap ? *cap * 2 : 256;
            li->stem_text = pa_xrealloc(li->stem_text, *cap * sizeof *li->stem_text);
        }
        char stem[PA_WORD_MAX];
        li->stem_text[li->n_stems] =
            pa_arena_strdup(li->arena, compute_stem(li, wt, surface, t->items[i].folded, stem));
        pa_map_put(&li->stems, pa_arena_strdup(li->arena, surface), (long)li->n_stems++);
    }
}

/* The id of a feature in the index, or -1. */
static long feature_id(const lang_index *li, const char *feature)
{
    return pa_map_get(&li->features, feature, -1);
}

/* The same, for a stem that stem_word may have looked up already. */
static long stem_feature_id(const lang_index *li, const char *stem, long looked_up)
{
    return looked_up == FEATURE_NOT_LOOKED_UP ? feature_id(li, stem) : looked_up;
}

/* Adds a content word's feature to a: its stem when the index knows it (or
 * while building), else the known parts of a compound, a correction, or its
 * weight as an unknown word. */
static void analyse_word(const lang_index *li, const pa_token *tok, long word, word_tools *wt,
                         int building, double unknown_weight, analysis *a)
{
    if (!pa_locale_is_content(tok, word))
        return;
    a->content++;
    const char *w = tok->folded;
    char left[PA_WORD_MAX], right[PA_WORD_MAX], stem[PA_WORD_MAX], part[PA_WORD_MAX];
    long id;
    stem_word(li, wt, tok->surface, tok->folded, stem, &id);
    id = building ? -1 : stem_feature_id(li, stem, id);
    if (building || id >= 0) {
        add_feature(a, stem, id, 1);
        if (building && split_compound(li, w, left, right)) {
            add_feature(a, stem_word(li, wt, left, NULL, part, NULL), -1, 1);
            add_feature(a, stem_word(li, wt, right, NULL, part, NULL), -1, 1);
        }
        return;
    }
    if (split_compound(li, w, left, right)) {
        add_feature(a, stem_word(li, wt, left, NULL, part, NULL), -1, 1);
        add_feature(a, stem_word(li, wt, right, NULL, part, NULL), -1, 1);
        return;
    }
    int fix_is_stopword = 0;
    const char *fix = correct_word(li, w, tok->chars, &fix_is_stopword);
    if (fix && fix_is_stopword) {
        a->content--;
        return;
    }
    if (fix) {
        stem_word(li, wt, fix, NULL, part, &id);
        if ((id = stem_feature_id(li, part, id)) >= 0) {
            add_feature(a, part, id, CORRECTED_FACTOR);
            a->corrected++;
            return;
        }
    }
    /* Short unknown words are mostly chat fillers (ok, bah, pls); long
     * ones carry the meaning the knowledge lacks. */
    double share = tok->chars >= 5 ? 1.0 : (double)(tok->chars - 1) / 4.0;
    a->unknown += share * unknown_weight;
    if (tok->chars >= 3)
        a->unknown_topic += share * unknown_weight;
    a->unknown_words++;
}

/* Turns tokens into features. With building set, every content word is a
 * feature; otherwise words the index lacks are split, corrected or counted
 * as unknown. A chat abbreviation of the language is read as the words it
 * stands for ("qd" as "quand"), in the examples as in the questions. */
static void analyse(const lang_index *li, const pa_knowledge *k, const pa_tokens *t,
                    const int *name_of, word_tools *wt, int building, double unknown_weight,
                    analysis *a)
{
    memset(a, 0, offsetof(analysis, scratch));
    for (size_t i = 0; i < t->count; i++)
        pa_locale_prefetch(li->loc, &t->items[i]);
    for (size_t i = 0; i < t->count; i++) {
        if (name_of[i] >= 0) {
            if (i == 0 || name_of[i - 1] != name_of[i]) {
                char f[PA_WORD_MAX];
                f[0] = '#';
                pa_text_copy(f + 1, sizeof f - 1, k->names[name_of[i]].id);
                a->content++;
                long id = building ? -1 : feature_id(li, f);
                if (building || id >= 0)
                    add_feature(a, f, id, 1);
                else /* a town no example names */
                    a->unknown_names += unknown_weight;
            }
            continue;
        }
        long word = pa_locale_word(li->loc, &t->items[i]);
        const pa_tokens *words = pa_locale_abbreviation_of(li->loc, word);
        if (!words) {
            analyse_word(li, &t->items[i], word, wt, building, unknown_weight, a);
            continue;
        }
        for (size_t j = 0; j < words->count; j++)
            analyse_word(li, &words->items[j], pa_locale_word(li->loc, &words->items[j]), wt,
                         building, unknown_weight, a);
    }
}

/* ---- building ----------------------------------------------------------- */

static void grow_u32(uint32_t **list, size_t *n, uint32_t v)
{
    if ((*n & (*n - 1)) == 0) /* at powers of two */
        *list = pa_xrealloc(*list, (*n ? *n * 2 : 1) * sizeof **list);
    (*list)[(*n)++] = v;
}

static void grow_postings(posting **list, size_t *n, posting v)
{
    if ((*n & (*n - 1)) == 0) /* at powers of two */
        *list = pa_xrealloc(*list, (*n ? *n * 2 : 1) * sizeof **list);
    (*list)[(*n)++] = v;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static uint32_t intern(lang_index *li, const char *text, size_t *cap)
{
    long id = pa_map_get(&li->features, text, -1);
    if (id >= 0)
        return (uint32_t)id;
    if (li->n_features == *cap) {
        *cap = *cap ? *cap * 2 : 256;
        li->feature_text = pa_xrealloc(li->feature_text, *cap * sizeof *li->feature_text);
    }
    const char *k = pa_arena_strdup(li->arena, text);
    li->feature_text[li->n_features] = k;
    pa_map_put(&li->features, k, (long)li->n_features);
    return (uint32_t)li->n_features++;
}

/* The names in an example's tokens (kept by the knowledge). */
static void example_names(const pa_index *idx, int allow_typos, const pa_tokens *t,
                          pa_name_spans *spans)
{
    pa_names_find(idx->k, idx->names, t, allow_typos, spans);
}

/* Counts a word of language li's examples into its vocabulary. */
static void count_word(lang_index *li, const pa_token *tok, size_t *cap)
{
    const char *folded = tok->folded;
    long seen = pa_map_get_hashed(&li->vocab, folded, tok->hash, 0);
    if (seen) { /* the map holds index + 1 */
        li->word_count[seen - 1]++;
        return;
    }
    if (li->n_words == *cap) {
        *cap = *cap ? *cap * 2 : 512;
        li->words = pa_xrealloc(li->words, *cap * sizeof *li->words);
        li->word_count = pa_xrealloc(li->word_count, *cap * sizeof *li->word_count);
    }
    const char *w = pa_arena_strdup(li->arena, folded);
    li->word_count[li->n_words] = 1;
    li->words[li->n_words++] = w;
    pa_map_put_hashed(&li->vocab, w, tok->hash, (long)li->n_words);
}

static void build_vocab(pa_index *idx, lang_index *li, size_t l)
{
    size_t cap = 0;
    const pa_knowledge *k = idx->k;
    for (size_t i = 0; i < k->n_intents; i++) {
        const pa_intent_lang *il = &k->intents[i].langs[l];
        for (size_t e = 0; e < il->n_examples; e++) {
            const pa_tokens *t = &il->example_tokens[e];
            pa_name_spans spans;
            example_names(idx, 0, t, &spans);
            for (size_t j = 0; j < t->count; j++)
                if (spans.name_of[j] < 0 && pa_locale_is_content_word(li->loc, &t->items[j]))
                    count_word(li, &t->items[j], &cap);
            pa_name_spans_free(&spans);
        }
    }
}

static void build_examples(pa_index *idx, lang_index *li, size_t l, word_tools *wt)
{
    const pa_knowledge *k = idx->k;
    size_t total = 0, cap = 0, stems_cap = 0;
    for (size_t i = 0; i < k->n_intents; i++)
        total += k->intents[i].langs[l].n_examples;
    li->ex = pa_xcalloc(total + 1, sizeof *li->ex);
    pa_map_reserve(&li->exact, total); /* one phrasing an example, at most */
    analysis *a = pa_xmalloc(sizeof *a);
    for (size_t i = 0; i < k->n_intents; i++) {
        const pa_intent_lang *il = &k->intents[i].langs[l];
        for (size_t j = 0; j < il->n_examples; j++) {
            const pa_tokens *t = &il->example_tokens[j];
            pa_name_spans spans;
            example_names(idx, 1, t, &spans);
            remember_stems(li, wt, t, &stems_cap);
            analyse(li, k, t, spans.name_of, wt, 1, 0, a);
            example *e = &li->ex[li->n_ex++];
            e->intent = i;
            char *folded = pa_text_join_folded(t); /* pa_text_fold's form */
            if (*folded) {
                pa_map_put(&li->exact, pa_arena_strdup(li->arena, folded), (long)i + 1);
                if (strlen(folded) > li->exact_longest)
                    li->exact_longest = strlen(folded);
            }
            free(folded);
            e->feats = pa_arena_alloc(li->arena, (a->n + 1) * sizeof *e->feats);
            for (size_t f = 0; f < a->n; f++)
                e->feats[e->n_feats++] = intern(li, a->text[f], &cap);
            qsort(e->feats, e->n_feats, sizeof *e->feats, cmp_u32);
            pa_name_spans_free(&spans);
        }
    }
    free(a);
}

static void build_postings(pa_index *idx, lang_index *li)
{
    size_t n = li->n_features;
    li->post_ex = pa_xcalloc(n + 1, sizeof *li->post_ex);
    li->post_intent = pa_xcalloc(n + 1, sizeof *li->post_intent);
    li->n_post_ex = pa_xcalloc(n + 1, sizeof *li->n_post_ex);
    li->n_post_intent = pa_xcalloc(n + 1, sizeof *li->n_post_intent);
    li->weight = pa_xcalloc(n + 1, sizeof *li->weight);
    for (size_t e = 0; e < li->n_ex; e++) {
        const example *ex = &li->ex[e];
        for (size_t f = 0; f < ex->n_feats; f++) {
            uint32_t id = ex->feats[f];
            grow_postings(&li->post_ex[id], &li->n_post_ex[id],
                          (posting){(uint32_t)e, (uint32_t)ex->intent, 0});
            size_t m = li->n_post_intent[id];
            if (m == 0 || li->post_intent[id][m - 1] != ex->intent)
                grow_u32(&li->post_intent[id], &li->n_post_intent[id], (uint32_t)ex->intent);
        }
    }
    for (size_t f = 0; f < n; f++) {
        double idf = log(1.0 + (double)idx->n_intents / (double)li->n_post_intent[f]);
        li->weight[f] = li->feature_text[f][0] == '#' ? idf * NAME_BOOST : idf;
    }
    for (size_t e = 0; e < li->n_ex; e++) {
        example *ex = &li->ex[e];
        for (size_t f = 0; f < ex->n_feats; f++)
            ex->weight += li->weight[ex->feats[f]];
    }
    for (size_t f = 0; f < n; f++)
        for (size_t p = 0; p < li->n_post_ex[f]; p++)
            li->post_ex[f][p].weight = li->ex[li->post_ex[f][p].example].weight;
}

/* Weighted Jaccard similarity of two sorted feature sets. */
static double similarity(const lang_index *li, const example *a, const example *b)
{
    size_t i = 0, j = 0;
    double both = 0;
    while (i < a->n_feats && j < b->n_feats) {
        if (a->feats[i] == b->feats[j]) {
            both += li->weight[a->feats[i]];
            i++;
            j++;
        } else if (a->feats[i] < b->feats[j]) {
            i++;
        } else {
            j++;
        }
    }
    double either = a->weight + b->weight - both;
    return either > 0 ? both / either : 0;
}

/* Staff should see pairs of examples that teach two intents the same thing. */
/* An example as staff wrote it: its intent and its place in the list. */
typedef struct {
    const pa_intent *intent;
    size_t index; /* in intent->langs[l].examples */
} example_source;

static void warn_pair(size_t l, example_source x, example_source y, pa_diag *diag)
{
    const pa_intent_lang *lx = &x.intent->langs[l], *ly = &y.intent->langs[l];
    char where[PA_DIAG_SOURCE_MAX + 32];
    snprintf(where, sizeof where, "%s:%d:%d", x.intent->source, lx->example_lines[x.index],
             lx->example_columns[x.index]);
    pa_diag_report(diag, PA_DIAG_WARNING, PA_DM_CONFUSABLE, y.intent->source,
                   ly->example_lines[y.index], ly->example_columns[y.index],
                   PA_DIAG_ARGS(PA_TEXT("example", ly->examples[y.index]),
                                PA_TEXT("other", lx->examples[x.index]),
                                PA_TEXT("intent", x.intent->id), PA_TEXT("where", where)));
}

/* Staff should see pairs of examples that teach two intents the same thing. */
/* The features of x, heaviest (rarest) first, into out. */
static void by_weight(const lang_index *li, const example *x, uint32_t *out)
{
    for (size_t i = 0; i < x->n_feats; i++) {
        size_t j = i;
        for (; j > 0 && li->weight[out[j - 1]] < li->weight[x->feats[i]]; j--)
            out[j] = out[j - 1];
        out[j] = x->feats[i];
    }
}

/* The examples after a, of other intents, that may be confusable with it,
 * ascending, into out (seen: one flag per example, all 0, left so). Two
 * examples at least CONFUSABLE_SIMILARITY alike leave unshared at most the
 * rest of either one's weight, so they share one of a's heaviest features
 * that weigh more than that rest together: only their postings are read,
 * and `check` grows with the examples that share rare words, not with
 * every pair. Their weights are as alike (the lighter one's weight bounds
 * what they share, the heavier one's what either has): the postings carry
 * the weight and the intent, so the others are passed over there. */
static size_t confusable_candidates(const lang_index *li, size_t a, uint32_t *feats,
                                    unsigned char *seen, uint32_t *out)
{
    const example *x = &li->ex[a];
    by_weight(li, x, feats);
    /* a hair past the bounds, so that rounding never cuts a candidate */
    double rest = (1.0 - CONFUSABLE_SIMILARITY) * x->weight * (1.0 + 1e-9), prefix = 0;
    double lightest = CONFUSABLE_SIMILARITY * x->weight * (1.0 - 1e-9);
    double heaviest = x->weight / CONFUSABLE_SIMILARITY * (1.0 + 1e-9);
    size_t n = 0;
    for (size_t k = 0; k < x->n_feats && prefix <= rest; k++) {
        uint32_t f = feats[k];
        for (size_t p = 0; p < li->n_post_ex[f]; p++) {
            const posting *y = &li->post_ex[f][p];
            if (y->example > a && y->intent != x->intent && y->weight >= lightest &&
                y->weight <= heaviest && !seen[y->example]) {
                seen[y->example] = 1;
                out[n++] = y->example;
            }
        }
        prefix += li->weight[f];
    }
    for (size_t i = 0; i < n; i++)
        seen[out[i]] = 0;
    qsort(out, n, sizeof *out, cmp_u32);
    return n;
}

static void warn_confusables(const pa_index *idx, size_t l, pa_diag *diag)
{
    const lang_index *li = &idx->langs[l];
    const pa_knowledge *k = idx->k;
    size_t *first = pa_xcalloc(k->n_intents + 1, sizeof *first);
    for (size_t e = 0, i = 0; e < li->n_ex; e++)
        while (i <= li->ex[e].intent)
            first[i++] = e;
    size_t most = 0;
    for (size_t e = 0; e < li->n_ex; e++)
        most = li->ex[e].n_feats > most ? li->ex[e].n_feats : most;
    uint32_t *feats = pa_xmalloc((most + 1) * sizeof *feats);
    uint32_t *cands = pa_xmalloc((li->n_ex + 1) * sizeof *cands);
    unsigned char *seen = pa_xcalloc(li->n_ex + 1, 1);
    for (size_t a = 0; a < li->n_ex; a++) {
        const example *x = &li->ex[a];
        if (x->n_feats == 0)
            continue;
        size_t n = confusable_candidates(li, a, feats, seen, cands);
        for (size_t c = 0; c < n; c++) {
            size_t b = cands[c];
            const example *y = &li->ex[b];
            if (similarity(li, x, y) < CONFUSABLE_SIMILARITY)
                continue;
            example_source sx = {&k->intents[x->intent], a - first[x->intent]};
            example_source sy = {&k->intents[y->intent], b - first[y->intent]};
            warn_pair(l, sx, sy, diag);
        }
    }
    free(seen);
    free(cands);
    free(feats);
    free(first);
}

/* Indexes language l, touching only its own lang_index. */
static void build_language(pa_index *idx, size_t l)
{
    lang_index *li = &idx->langs[l];
    li->loc = &idx->k->locales[l];
    li->arena = pa_arena_new();
    build_vocab(idx, li, l);
    index_candidates(li);
    pa_tokenizer z;
    pa_tokenizer_init(&z);
    /* the loader checked the stemmer's name */
    word_tools wt = {pa_stemmer_new(li->loc->stemmer), &z};
    build_examples(idx, li, l, &wt);
    build_postings(idx, li);
    li->stem_feature = pa_xmalloc((li->n_stems + 1) * sizeof *li->stem_feature);
    for (size_t i = 0; i < li->n_stems; i++)
        li->stem_feature[i] = feature_id(li, li->stem_text[i]);
    pa_stemmer_free(wt.stemmer);
    pa_tokenizer_clear(&z);
}

/* Work on each of n languages, and the languages no thread took yet. */
typedef struct {
    void (*work)(void *ctx, size_t l); /* touches only language l's part */
    void *ctx;
    size_t n;
    atomic_size_t next;
} language_queue;

/* A worker thread (POSIX, for pa_snapshot.c's reason): takes languages
 * until none is left. */
static void *take_languages(void *arg)
{
    language_queue *q = arg;
    for (size_t l; (l = atomic_fetch_add(&q->next, 1)) < q->n;)
        q->work(q->ctx, l);
    return NULL;
}

/* Runs work for languages 0 to n - 1 on up to PA_INDEX_THREADS threads,
 * this one included; on this one alone when no thread can be started. */
static void for_each_language(size_t n, void (*work)(void *ctx, size_t l), void *ctx)
{
    language_queue q = {work, ctx, n, 0};
    pthread_t helpers[PA_INDEX_THREADS - 1];
    size_t started = 0;
    while (started + 1 < PA_INDEX_THREADS && started + 1 < n &&
           pthread_create(&helpers[started], NULL, take_languages, &q) == 0)
        started++;
    take_languages(&q);
    for (size_t i = 0; i < started; i++)
        pthread_join(helpers[i], NULL);
}

static uint64_t hash_string(uint64_t h, const char *s)
{
    return pa_hash_bytes(h, s ? s : "", s ? strlen(s) + 1 : 1);
}

static uint64_t hash_strings(uint64_t h, const char *const *s, size_t n)
{
    h = pa_hash_bytes(h, &n, sizeof n);
    for (size_t i = 0; i < n; i++)
        h = hash_string(h, s[i]);
    return h;
}

static uint64_t hash_pairs(uint64_t h, const pa_kv *kv, size_t n)
{
    h = pa_hash_bytes(h, &n, sizeof n);
    for (size_t i = 0; i < n; i++)
        h = hash_string(hash_string(h, kv[i].key), kv[i].value);
    return h;
}

/* A fingerprint of all that building language l reads: how the locale
 * reads words, the examples in the intents' places (an example's intent is
 * its place) and how names are found in them (pa_names_digest). What it leaves out (answers,
 * labels, links, the other languages' examples) is read from the knowledge
 * when a question is asked. */
static uint64_t language_digest(const pa_knowledge *k, const pa_name_index *names, size_t l)
{
    const pa_locale *loc = &k->locales[l];
    uint64_t h = pa_hash_str("");
    h = hash_string(hash_string(h, loc->code), loc->stemmer);
    h = pa_hash_bytes(h, &loc->decompound, sizeof loc->decompound);
    h = hash_pairs(h, loc->accent_suffixes, loc->n_accent_suffixes);
    h = hash_pairs(h, loc->respell, loc->n_respell);
    h = hash_strings(h, loc->strip_prefixes, loc->n_strip_prefixes);
    h = hash_strings(h, loc->stopwords, loc->n_stopwords);
    h = hash_strings(h, loc->acknowledgements, loc->n_acknowledgements);
    h = hash_pairs(h, loc->abbreviations, loc->n_abbreviations);
    uint64_t names_digest = pa_names_digest(names);
    h = pa_hash_bytes(h, &names_digest, sizeof names_digest);
    h = pa_hash_bytes(h, &k->n_intents, sizeof k->n_intents);
    for (size_t i = 0; i < k->n_intents; i++) {
        const pa_intent_lang *il = &k->intents[i].langs[l];
        h = hash_strings(h, il->examples, il->n_examples);
        for (size_t e = 0; e < il->n_examples; e++) {
            const pa_tokens *t = &il->example_tokens[e];
            for (size_t j = 0; j < t->count; j++) {
                uint64_t token = pa_names_token_digest(names, &t->items[j]);
                h = pa_hash_bytes(h, &token, sizeof token);
            }
        }
    }
    return h;
}

/* The language of reuse built from the same inputs as language l of idx,
 * or NULL. */
static const lang_index *same_language(const pa_index *reuse, uint64_t digest)
{
    for (size_t m = 0; reuse && digest && m < reuse->n_langs; m++)
        if (reuse->langs[m].digest == digest)
            return &reuse->langs[m];
    return NULL;
}

/* Makes *to hold what from holds. */
static void share_language(lang_index *to, const lang_index *from)
{
    *to = *from;
    atomic_fetch_add(to->holders, 1);
}

typedef struct {
    pa_index *idx;
    const pa_index *reuse;
} build_job;

static void build_language_of(void *arg, size_t l)
{
    build_job *job = arg;
    pa_index *idx = job->idx;
    uint64_t digest = job->reuse ? language_digest(idx->k, idx->names, l) : 0;
    const lang_index *same = same_language(job->reuse, digest);
    lang_index *li = &idx->langs[l];
    if (same) {
        share_language(li, same);
        li->loc = &idx->k->locales[l];
    } else {
        build_language(idx, l);
        li->digest = digest;
        li->holders = pa_xmalloc(sizeof *li->holders);
        atomic_init(li->holders, 1);
    }
}

pa_index *pa_index_build(const pa_knowledge *k, const pa_name_index *names, const pa_index *reuse)
{
    pa_index *idx = pa_xcalloc(1, sizeof *idx);
    idx->k = k;
    idx->names = names;
    idx->n_langs = k->n_locales;
    idx->n_intents = k->n_intents;
    idx->unknown_weight = log(1.0 + (double)k->n_intents);
    idx->langs = pa_xcalloc(k->n_locales, sizeof *idx->langs);
    build_job job = {idx, reuse};
    for_each_language(idx->n_langs, build_language_of, &job);
    for (size_t l = 0; l < idx->n_langs; l++) {
        const lang_index *same = same_language(reuse, idx->langs[l].digest);
        idx->reused += same && same->holders == idx->langs[l].holders;
    }
    return idx;
}

typedef struct {
    const pa_index *from;
    pa_index *held;
} hold_job;

static void hold_language(void *arg, size_t l)
{
    hold_job *job = arg;
    lang_index *li = &job->held->langs[l];
    share_language(li, &job->from->langs[l]);
    li->loc = NULL; /* of a knowledge it does not hold */
    if (!li->digest && job->from->k)
        li->digest = language_digest(job->from->k, job->from->names, l);
}

pa_index *pa_index_languages(const pa_index *idx)
{
    pa_index *held = pa_xcalloc(1, sizeof *held);
    held->n_langs = idx->n_langs;
    held->n_intents = idx->n_intents;
    held->langs = pa_xcalloc(idx->n_langs + 1, sizeof *held->langs);
    hold_job job = {idx, held};
    for_each_language(idx->n_langs, hold_language, &job);
    return held;
}

size_t pa_index_reused(const pa_index *idx)
{
    return idx->reused;
}

/* An example that names another town (places.json) and neither Colombes
 * nor a partner is answered only when asked exactly as written: any other
 * wording of it is taken for a question about that town. Staff should know. */
static int names_elsewhere_only(const pa_index *idx, const pa_tokens *t)
{
    pa_name_spans spans;
    example_names(idx, 0, t, &spans);
    int names[PA_MATCH_MAX_NAMES];
    int region_only[PA_MATCH_MAX_NAMES];
    size_t n = pa_name_spans_distinct(&spans, names, region_only, PA_MATCH_MAX_NAMES);
    int only = pa_names_elsewhere_only(idx->k, names, region_only, n);
    pa_name_spans_free(&spans);
    return only;
}

/* Such examples of each language, found side by side: per language, the
 * intent and place of each, in the intents' order. */
typedef struct {
    uint32_t intent, example;
} example_ref;

typedef struct {
    const pa_index *idx;
    example_ref *found[PA_LANG_MAX];
    size_t n_found[PA_LANG_MAX];
} elsewhere_job;

static void find_elsewhere(void *arg, size_t l)
{
    elsewhere_job *job = arg;
    const pa_knowledge *k = job->idx->k;
    size_t cap = 0;
    for (size_t i = 0; i < k->n_intents; i++) {
        if (k->intents[i].fallback) /* examples of what is not answered anyway */
            continue;
        const pa_intent_lang *il = &k->intents[i].langs[l];
        for (size_t j = 0; j < il->n_examples; j++) {
            if (!names_elsewhere_only(job->idx, &il->example_tokens[j]))
                continue;
            if (job->n_found[l] == cap) {
                cap = cap ? cap * 2 : 16;
                job->found[l] = pa_xrealloc(job->found[l], cap * sizeof *job->found[l]);
            }
            job->found[l][job->n_found[l]++] = (example_ref){(uint32_t)i, (uint32_t)j};
        }
    }
}

void pa_match_warn_elsewhere(const pa_index *idx, pa_diag *diag)
{
    const pa_knowledge *k = idx->k;
    elsewhere_job job = {idx, {NULL}, {0}};
    for_each_language(idx->n_langs, find_elsewhere, &job);
    size_t next[PA_LANG_MAX] = {0};
    for (size_t i = 0; i < k->n_intents; i++) { /* by intent, then language, as staff read them */
        for (size_t l = 0; l < idx->n_langs; l++) {
            for (; next[l] < job.n_found[l] && job.found[l][next[l]].intent == i; next[l]++) {
                const pa_intent_lang *il = &k->intents[i].langs[l];
                size_t j = job.found[l][next[l]].example;
                pa_diag_report(diag, PA_DIAG_WARNING, PA_DM_EXAMPLE_OTHER_TOWN,
                               k->intents[i].source, il->example_lines[j], il->example_columns[j],
                               PA_DIAG_ARGS(PA_TEXT("example", il->examples[j])));
            }
        }
    }
    for (size_t l = 0; l < idx->n_langs; l++)
        free(job.found[l]);
}

/* The confusable pairs of each language, found side by side. */
typedef struct {
    const pa_index *idx;
    pa_diag *found; /* one list per language */
} confusables_job;

static void find_confusables(void *arg, size_t l)
{
    confusables_job *job = arg;
    warn_confusables(job->idx, l, &job->found[l]);
}

void pa_match_warn_confusables(const pa_index *idx, pa_diag *diag)
{
    confusables_job job = {idx, pa_xcalloc(idx->n_langs + 1, sizeof *job.found)};
    for (size_t l = 0; l < idx->n_langs; l++)
        pa_diag_init(&job.found[l]);
    for_each_language(idx->n_langs, find_confusables, &job);
    for (size_t l = 0; l < idx->n_langs; l++) { /* in the languages' order, as found alone */
        pa_diag_append(diag, &job.found[l]);
        pa_diag_clear(&job.found[l]);
    }
    free(job.found);
}

/* Frees what li holds, when no other index holds it too. */
static void free_language(lang_index *li)
{
    if (atomic_fetch_sub(li->holders, 1) > 1)
        return;
    free(li->holders);
    for (size_t f = 0; f < li->n_features; f++) {
        free(li->post_ex[f]);
        free(li->post_intent[f]);
    }
    free(li->post_ex);
    free(li->post_intent);
    free(li->n_post_ex);
    free(li->n_post_intent);
    free(li->weight);
    free(li->feature_text);
    free(li->ex);
    free(li->words);
    free(li->word_count);
    free(li->candidates);
    free(li->two_candidates);
    free(li->two_ids);
    pa_typo_free(li->typo);
    pa_typo_free(li->typo_two);
    pa_map_clear(&li->features);
    pa_map_clear(&li->vocab);
    pa_map_clear(&li->exact);
    pa_map_clear(&li->stems);
    free(li->stem_text);
    free(li->stem_feature);
    pa_arena_free(li->arena);
}

void pa_index_free(pa_index *idx)
{
    if (!idx)
        return;
    for (size_t l = 0; l < idx->n_langs; l++)
        free_language(&idx->langs[l]);
    free(idx->langs);
    free(idx);
}

const char *pa_match_feature(const pa_index *idx, int lang, const char *word, char *out,
                             size_t size)
{
    const lang_index *li = &idx->langs[lang];
    pa_tokenizer z;
    pa_tokenizer_init(&z);
    word_tools wt = {pa_stemmer_new(li->loc->stemmer), &z};
    pa_tokens t;
    out[0] = '\0';
    if (wt.stemmer && pa_text_tokenize(word, strlen(word), &t) == 0) {
        char stem[PA_WORD_MAX];
        if (t.count > 0)
            snprintf(out, size, "%s",
                     stem_word(li, &wt, t.items[0].surface, t.items[0].folded, stem, NULL));
        pa_tokens_free(&t);
    }
    pa_stemmer_free(wt.stemmer);
    pa_tokenizer_clear(&z);
    return out;
}

/* ---- ranking ------------------------------------------------------------ */

/* 1 when candidate a ranks before intent/score: a higher score, or the
 * same score and an intent listed first (equal scores keep the intents'
 * order, whatever order they are scored in). */
static int ranks_before(const pa_candidate *a, int intent, double score)
{
    return a->score > score || (a->score == score && a->intent < intent);
}

static void keep_top(pa_match_result *out, int intent, double score, double coverage)
{
    size_t n = out->n_top;
    if (n == PA_MATCH_TOP && ranks_before(&out->top[n - 1], intent, score))
        return;
    size_t i = n < PA_MATCH_TOP ? n++ : n - 1;
    while (i > 0 && !ranks_before(&out->top[i - 1], intent, score)) {
        out->top[i] = out->top[i - 1];
        i--;
    }
    out->top[i] = (pa_candidate){intent, score, coverage};
    out->n_top = n;
}

/* The intent whose example is the question itself, folded, or -1. A
 * question longer than every example is none of them; the others are
 * joined in the thread's buffer (room of *size bytes). */
static long exact_intent(const lang_index *li, const pa_tokens *t, char **room, size_t *size)
{
    if (li->exact_longest + 1 > *size) {
        *size = li->exact_longest + 1;
        *room = pa_xrealloc(*room, *size);
    }
    if (pa_text_join_folded_to(t, *room, *size) >= *size)
        return -1;
    return pa_map_get(&li->exact, *room, 0) - 1;
}

/* What the question's features add up to, per example and per intent. */
typedef struct {
    double *closeness;       /* per example: weight of the features it shares */
    double *coverage;        /* per intent: weight of the features it knows */
    double *aspect;          /* per intent: the same, names left out */
    double *best;            /* per intent: its best example's score */
    const posting **touched; /* the examples sharing any feature, first posting seen */
    size_t n_touched;
    uint32_t *intents; /* the intents knowing any feature */
    size_t n_intents;
    double total;   /* weight of the whole question, unknown words included */
    double outside; /* weight of its features only fallback intents know */
    double words;   /* weight of its known features, names left out */
} tally;

/* Walks the postings of the question's known features. */
static void tally_features(const pa_knowledge *k, const lang_index *li, const analysis *a,
                           double unknown, tally *t)
{
    t->total = unknown;
    for (size_t f = 0; f < a->n; f++) {
        long id = a->id[f] >= 0 ? a->id[f] : feature_id(li, a->text[f]);
        if (id < 0)
            continue;
        double w = li->weight[id] * a->factor[f];
        t->total += w;
        if (li->feature_text[id][0] != '#')
            t->words += w;
        for (size_t j = 0; j < li->n_post_ex[id]; j++) {
            const posting *p = &li->post_ex[id][j];
            if (t->closeness[p->example] ==
                0) /* only the examples the question touches are scored */
                t->touched[t->n_touched++] = p;
            t->closeness[p->example] += w;
        }
        int answerable = 0;
        for (size_t j = 0; j < li->n_post_intent[id]; j++)
            answerable |= !k->intents[li->post_intent[id][j]].fallback;
        if (!answerable)
            t->outside += w;
        for (size_t j = 0; j < li->n_post_intent[id]; j++) {
            if (t->coverage[li->post_intent[id][j]] == 0)
                t->intents[t->n_intents++] = li->post_intent[id][j];
            t->coverage[li->post_intent[id][j]] += w;
            if (li->feature_text[id][0] != '#')
                t->aspect[li->post_intent[id][j]] += w;
        }
    }
}

/* Where the question names the name id among out->names, or -1. */
static int named_at(const pa_knowledge *k, const pa_match_result *out, const char *id)
{
    for (size_t i = 0; i < out->n_names; i++)
        if (!strcmp(k->names[out->names[i]].id, id))
            return (int)i;
    return -1;
}

/* Scores the intents of the examples the question touches. */
static void score_intents(const pa_index *idx, const analysis *a, double unknown, tally *t,
                          pa_match_result *out)
{
    double *best = t->best;
    for (size_t j = 0; j < t->n_touched; j++) {
        const posting *p = t->touched[j];
        double closeness = t->closeness[p->example];
        /* Dice rewards an example of the question's size; containment (how
         * much of the example the question holds) forgives the extra words
         * of long questions. Their mean keeps both. */
        double dice = 2 * closeness / (t->total + p->weight);
        double contained = closeness < p->weight ? closeness / p->weight : 1.0; /* fmin, inline */
        double v = (dice + contained) / 2;
        if (v > best[p->intent])
            best[p->intent] = v;
    }
    /* A name says what the question is about, the other words what it asks
     * about it. When words the knowledge lacks outweigh the known ones, the
     * aspect asked is not in the knowledge, with a name or without ("c'est
     * quoi la difference entre un virus et une bacterie" is no definition of
     * cooperation for sharing "c'est quoi"). */
    double topic = a->unknown_topic * (unknown / fmax(a->unknown, 1e-9));
    /* Words known only from the questions the bot does not answer ("camping
     * à Sopot", "Flüge nach Dakar", "Schulkantine") ask what no intent
     * answers, of a partner or of the city's contact alike; spread in long
     * questions as unknown words are. A follow-up's subject came from the
     * conversation, not from its words, and keeps its reading.
     * A partner named only by its country may not be what is asked about
     * ("la langue officielle du Sénégal"): there every word its intent does
     * not know counts so. */
    double spread = a->content > CONTEXT_WORDS ? CONTEXT_WORDS / (double)a->content : 1;
    double outside = t->outside * spread;
    /* The share a candidate knows counts every unknown word in full: "les
     * travaux ... ça finit quand, on peut plus circuler" knows a goodbye's
     * "finit" and little else, however long the message. */
    double whole = t->total - unknown + a->unknown * UNKNOWN_FACTOR;
    int names_home = 0;
    for (size_t j = 0; j < out->n_names; j++)
        names_home |= idx->k->names[out->names[j]].home;
    for (size_t n = 0; n < t->n_intents; n++) {
        size_t i = t->intents[n];
        const pa_intent *in = &idx->k->intents[i];
        /* an intent about a partner answers questions that name it */
        int at = in->about ? named_at(idx->k, out, in->about) : -1;
        if (best[i] == 0 || (in->about && at < 0))
            continue;
        /* Closeness to one example first: an intent that merely knows the
         * question's few words ("lieben" of "vielen lieben Dank" in "liebst
         * du mich?") is not near any of its examples. */
        double coverage = t->coverage[i] / t->total;
        double score = best[i] * sqrt(coverage);
        double beside = topic + (!out->from_context ? outside : 0);
        /* Another town beside a partner asks how the two relate ("c'est loin
         * frankenthal de mannheim ?"), which the partner's presentation does
         * not say unless its examples name that town; spread in long
         * questions, where it is context, and not when Colombes is named:
         * the partner is then asked about as Colombes' ("byłam w Porto i
         * słyszałam o Vianie, to miasto partnerskie Colombes?"). */
        if (in->about && !names_home)
            beside += spread * a->unknown_names;
        if (at >= 0 && out->region_only[at])
            beside += spread * (t->words - t->aspect[i]);
        if (beside > 0)
            score *= sqrt(t->aspect[i] / (t->aspect[i] + beside));
        keep_top(out, (int)i, score, fmin(1.0, t->coverage[i] / whole));
    }
}

/* What ranking needs besides the index, kept by each thread from one
 * question to the next so that ranking allocates nothing once warm: the
 * analysis, the tallies (all zero between questions: a question clears only
 * what it touched) and a stemmer per algorithm. */
typedef struct {
    analysis a;
    tally t;
    char *question; /* the folded question, for exact_intent */
    size_t question_size;
    pa_tokenizer tokenizer; /* for the stems of words the examples lack */
    size_t cap_examples, cap_intents;
    struct {
        char *algorithm;
        pa_stemmer *stemmer;
    } stemmers[PA_LANG_MAX];
    size_t n_stemmers;
} scratch;

static tss_t scratch_key;
static once_flag scratch_once = ONCE_FLAG_INIT;

static void free_stemmers(scratch *sc)
{
    for (size_t i = 0; i < sc->n_stemmers; i++) {
        free(sc->stemmers[i].algorithm);
        pa_stemmer_free(sc->stemmers[i].stemmer);
    }
    sc->n_stemmers = 0;
}

static void free_scratch(void *p)
{
    scratch *sc = p;
    if (!sc)
        return;
    free(sc->t.closeness);
    free(sc->t.coverage);
    free(sc->t.aspect);
    free(sc->t.best);
    free((void *)sc->t.touched);
    free(sc->t.intents);
    free(sc->question);
    pa_tokenizer_clear(&sc->tokenizer);
    free_stemmers(sc);
    free(sc);
}

static void make_scratch_key(void)
{
    if (tss_create(&scratch_key, free_scratch) != thrd_success)
        pa_out_of_memory(sizeof scratch_key);
}

/* Grows a zeroed array of n elements to at least want, zeroing the rest. */
static void *grow_zeroed(void *array, size_t size, size_t n, size_t want)
{
    char *grown = pa_xrealloc(array, want * size);
    memset(grown + n * size, 0, (want - n) * size);
    return grown;
}

/* This thread's scratch, with room for the index's examples and intents. */
static scratch *thread_scratch(const pa_index *idx, const lang_index *li)
{
    call_once(&scratch_once, make_scratch_key);
    scratch *sc = tss_get(scratch_key);
    if (!sc) {
        sc = pa_xcalloc(1, sizeof *sc);
        if (tss_set(scratch_key, sc) != thrd_success)
            pa_out_of_memory(sizeof *sc);
    }
    size_t ex = li->n_ex + 1, in = idx->n_intents + 1;
    if (ex > sc->cap_examples) {
        sc->t.closeness = grow_zeroed(sc->t.closeness, sizeof(double), sc->cap_examples, ex);
        sc->t.touched = pa_xrealloc((void *)sc->t.touched, ex * sizeof *sc->t.touched);
        sc->cap_examples = ex;
    }
    if (in > sc->cap_intents) {
        sc->t.coverage = grow_zeroed(sc->t.coverage, sizeof(double), sc->cap_intents, in);
        sc->t.aspect = grow_zeroed(sc->t.aspect, sizeof(double), sc->cap_intents, in);
        sc->t.best = grow_zeroed(sc->t.best, sizeof(double), sc->cap_intents, in);
        sc->t.intents = pa_xrealloc(sc->t.intents, in * sizeof *sc->t.intents);
        sc->cap_intents = in;
    }
    return sc;
}

/* This thread's stemmer for the algorithm (the loader checked the name). */
static pa_stemmer *thread_stemmer(scratch *sc, const char *algorithm)
{
    for (size_t i = 0; i < sc->n_stemmers; i++)
        if (!strcmp(sc->stemmers[i].algorithm, algorithm))
            return sc->stemmers[i].stemmer;
    if (sc->n_stemmers == PA_LANG_MAX) /* more algorithms than languages: start again */
        free_stemmers(sc);
    sc->stemmers[sc->n_stemmers].algorithm = pa_xstrdup(algorithm);
    sc->stemmers[sc->n_stemmers].stemmer = pa_stemmer_new(algorithm);
    return sc->stemmers[sc->n_stemmers++].stemmer;
}

/* Leaves the tallies zero for the next question. */
static void clear_tally(tally *t)
{
    for (size_t i = 0; i < t->n_touched; i++)
        t->closeness[t->touched[i]->example] = 0;
    for (size_t i = 0; i < t->n_intents; i++) {
        t->coverage[t->intents[i]] = 0;
        t->aspect[t->intents[i]] = 0;
        t->best[t->intents[i]] = 0;
    }
    t->n_touched = t->n_intents = 0;
    t->total = t->outside = t->words = 0;
}

void pa_match_rank(const pa_index *idx, int lang, const pa_tokens *t, const pa_name_spans *names,
                   int context_name, pa_match_result *out)
{
    memset(out, 0, sizeof *out);
    const lang_index *li = &idx->langs[lang];
    out->n_names = pa_name_spans_distinct(names, out->names, out->region_only, PA_MATCH_MAX_NAMES);
    scratch *sc = thread_scratch(idx, li);
    long exact = exact_intent(li, t, &sc->question, &sc->question_size);
    if (exact >= 0) { /* the question is one of the examples, as written: nothing to score */
        out->top[0] = (pa_candidate){(int)exact, 1.0, 1.0};
        out->n_top = 1;
        out->exact = 1;
        return;
    }
    analysis *a = &sc->a;
    word_tools wt = {thread_stemmer(sc, li->loc->stemmer), &sc->tokenizer};
    analyse(li, idx->k, t, names->name_of, &wt, 0, idx->unknown_weight, a);
    if (context_name >= 0 && out->n_names == 0) { /* the subject of the conversation */
        char f[PA_WORD_MAX];
        f[0] = '#';
        pa_text_copy(f + 1, sizeof f - 1, idx->k->names[context_name].id);
        add_feature(a, f, -1, 1);
        out->region_only[out->n_names] = 0;
        out->names[out->n_names++] = context_name;
        out->from_context = 1;
    }
    out->content_words = a->content;
    out->unknown_words = a->unknown_words;
    out->corrected_words = a->corrected;

    /* In a long question most unknown words are context ("we moved to
     * Colombes last month, ..."), in a short one they are the topic ("météo
     * Sopot"): beyond CONTEXT_WORDS content words their weight is spread. */
    double unknown = a->unknown * UNKNOWN_FACTOR;
    if (a->content > CONTEXT_WORDS)
        unknown *= CONTEXT_WORDS / (double)a->content;
    tally_features(idx->k, li, a, unknown, &sc->t);
    if (sc->t.total > 0)
        score_intents(idx, a, unknown, &sc->t, out);
    clear_tally(&sc->t);
}

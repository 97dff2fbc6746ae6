#include "pa_match.h"

#include "pa_alloc.h"

#include "pa_map.h"
#include "pa_stem.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A name is strong evidence: "Sopocie" says more than any one common word. */
static const double NAME_BOOST = 1.5;
/* A corrected word is probably, not surely, the word we think. */
static const double CORRECTED_FACTOR = 0.8;
/* An unknown word weighs this share of a word seen in a single intent. */
static const double UNKNOWN_FACTOR = 0.6;
/* Content words up to which unknown words count in full (see rank). */
static const double CONTEXT_WORDS = 2;
/* Two examples of different intents this similar are reported by check. */
static const double CONFUSABLE_SIMILARITY = 0.9;

enum { PA_FEATURE_MAX = 128, PA_WORD_MAX = 128 };

typedef struct {
    size_t intent;
    uint32_t *feats; /* sorted, unique */
    size_t n_feats;
    double weight; /* sum of the features' weights */
} example;

typedef struct {
    pa_map features; /* stem or "#name" → feature id */
    const char **feature_text;
    double *weight;
    uint32_t **post_ex, **post_intent;
    size_t *n_post_ex, *n_post_intent;
    size_t n_features;
    example *ex;
    size_t n_ex;
    pa_map exact;         /* folded example → intent + 1: a known phrasing settles it */
    pa_map vocab;         /* folded content word → 1 */
    const char **words;   /* the vocabulary, for the typo corrector */
    unsigned *word_count; /* examples each word appears in */
    size_t n_words;
    const char **stopwords;
    size_t n_stopwords;
    pa_map stop;
    const char *stemmer;
    int decompound;
    const pa_kv *accent_suffixes;
    size_t n_accent_suffixes;
    const char **strip_prefixes;
    size_t n_strip_prefixes;
    const pa_kv *respell;
    size_t n_respell;
} lang_index;

/* One name variant, by its place in the snapshot. */
typedef struct {
    uint32_t name, variant;
} variant_ref;

typedef struct {
    variant_ref *refs;
    size_t count;
} variant_list;

struct pa_index {
    pa_arena *arena;
    pa_map all_words; /* content words of every language: never typos of a name */
    pa_map by_first;  /* first token of a variant → index + 1 into variant_lists */
    variant_list *variant_lists;
    size_t n_variant_lists;
    variant_list all_variants; /* for the tokens that may be typos */
    lang_index *langs;
    size_t n_langs, n_intents;
    double unknown_weight; /* the weight of a word seen in a single intent */
};

/* ---- names -------------------------------------------------------------- */

static int is_arabic_proclitic(const char *s)
{
    /* و ف ب ل ك: and, so, with/in, for/to, like */
    static const char *const p[] = {"\xD9\x88", "\xD9\x81", "\xD8\xA8", "\xD9\x84", "\xD9\x83"};
    for (size_t i = 0; i < 5; i++)
        if (!strncmp(s, p[i], 2))
            return 1;
    return 0;
}

/* A question token as names are compared with it: the word itself and, for
 * Arabic, without its proclitic (و ف ب ل ك) and article (ال). */
typedef struct {
    const char *form[3];
    size_t chars[3];
    int n_forms;
    int fuzzy; /* may be a typo of a name */
} name_probe;

/* A word that the knowledge uses elsewhere ("allemand", "روبوت") is taken as
 * itself, never as a misspelt name ("Allemagne", "سوبوت"). */
static void make_probe(const pa_index *idx, int fuzzy_ok, const pa_token *t, name_probe *p)
{
    p->fuzzy = fuzzy_ok && pa_map_get(&idx->all_words, t->folded, 0) == 0;
    p->form[0] = t->folded;
    p->chars[0] = t->chars;
    p->n_forms = 1;
    if (t->script != PA_SCRIPT_ARABIC || t->chars < 4)
        return;
    const char *w = t->folded;
    size_t chars = t->chars;
    if (is_arabic_proclitic(w)) {
        w += 2;
        chars--;
        p->form[p->n_forms] = w;
        p->chars[p->n_forms++] = chars;
    }
    if (!strncmp(w, "\xD8\xA7\xD9\x84", 4) && chars > 3) { /* ال */
        p->form[p->n_forms] = w + 4;
        p->chars[p->n_forms++] = chars - 2;
    }
}

/* Exact match of one of the probe's forms, or a typo of the variant's token:
 * 1 edit from five letters, 2 from eight. */
static int probe_matches(const name_probe *p, const char *variant, size_t variant_chars)
{
    for (int f = 0; f < p->n_forms; f++) {
        if (!strcmp(p->form[f], variant))
            return 1;
        size_t chars = p->chars[f];
        int max = !p->fuzzy ? 0 : chars >= 8 ? 2 : chars >= 5 ? 1 : 0;
        size_t diff = chars > variant_chars ? chars - variant_chars : variant_chars - chars;
        if (max && diff <= (size_t)max && pa_text_distance(p->form[f], variant, max) <= max)
            return 1;
    }
    return 0;
}

/* The variants starting with one of a token's forms, looked up. */
static void candidates_at(const pa_index *idx, const name_probe *p, const variant_list **lists,
                          int *n_lists)
{
    *n_lists = 0;
    for (int f = 0; f < p->n_forms; f++) {
        long k = pa_map_get(&idx->by_first, p->form[f], 0);
        if (k > 0)
            lists[(*n_lists)++] = &idx->variant_lists[k - 1];
    }
}

/* Finds the names in t. fuzzy_ok is 0 while the vocabulary that tells words
 * from typos is being collected: names must then be written exactly. */
static size_t find_names(const pa_snapshot *s, const pa_index *idx, int fuzzy_ok,
                         const pa_tokens *t, int *name_of, unsigned *langs)
{
    size_t found = 0;
    name_probe *probes = pa_xmalloc((t->count + 1) * sizeof *probes);
    for (size_t i = 0; i < t->count; i++) {
        name_of[i] = -1;
        make_probe(idx, fuzzy_ok, &t->items[i], &probes[i]);
    }
    for (size_t i = 0; i < t->count;) {
        size_t best_len = 0;
        int best_name = -1;
        unsigned best_langs = 0;
        const variant_list *lists[3];
        int n_lists;
        candidates_at(idx, &probes[i], lists, &n_lists);
        /* every variant, only for a token that may be a typo and starts none */
        int scan_all = probes[i].fuzzy;
        for (int l = 0; l < n_lists + scan_all; l++) {
            if (l == n_lists && best_len > 0)
                break;
            const variant_list *list = l < n_lists ? lists[l] : &idx->all_variants;
            for (size_t c = 0; c < list->count; c++) {
                variant_ref ref = list->refs[c];
                const pa_variant *var = &s->names[ref.name].variants[ref.variant];
                if (var->n_tokens <= best_len || i + var->n_tokens > t->count)
                    continue;
                size_t k = 0;
                while (k < var->n_tokens &&
                       probe_matches(&probes[i + k], var->tokens[k], var->token_chars[k]))
                    k++;
                if (k == var->n_tokens) {
                    best_len = k;
                    best_name = (int)ref.name;
                    best_langs = var->langs;
                }
            }
        }
        if (best_len == 0) {
            i++;
            continue;
        }
        for (size_t k = 0; k < best_len; k++) {
            name_of[i + k] = best_name;
            if (langs)
                langs[i + k] = best_langs;
        }
        found++;
        i += best_len;
    }
    free(probes);
    return found;
}

static void add_ref(variant_list *list, variant_ref ref)
{
    if ((list->count & (list->count - 1)) == 0) /* at powers of two */
        list->refs =
            pa_xrealloc(list->refs, (list->count ? list->count * 2 : 1) * sizeof *list->refs);
    list->refs[list->count++] = ref;
}

/* Indexes every name variant by its first token, so that a question's
 * tokens meet only the variants that can start there. */
static void index_variants(pa_index *idx, const pa_snapshot *s)
{
    size_t total = 0;
    for (size_t n = 0; n < s->n_names; n++)
        total += s->names[n].n_variants;
    idx->variant_lists = pa_xcalloc(total + 1, sizeof *idx->variant_lists);
    for (size_t n = 0; n < s->n_names; n++) {
        for (size_t v = 0; v < s->names[n].n_variants; v++) {
            const char *first = s->names[n].variants[v].tokens[0];
            long k = pa_map_get(&idx->by_first, first, 0);
            if (k == 0) {
                k = (long)++idx->n_variant_lists;
                pa_map_put(&idx->by_first, first, k);
            }
            variant_ref ref = {(uint32_t)n, (uint32_t)v};
            add_ref(&idx->variant_lists[k - 1], ref);
            add_ref(&idx->all_variants, ref);
        }
    }
}

size_t pa_match_names(const pa_snapshot *s, const pa_tokens *t, int *name_of, unsigned *langs)
{
    return find_names(s, s->index, 1, t, name_of, langs);
}

/* ---- analysis ------------------------------------------------------------ */

typedef struct {
    const char *text[PA_FEATURE_MAX]; /* feature strings (borrowed or in scratch) */
    double factor[PA_FEATURE_MAX];    /* 1, or less for corrected words */
    size_t n;
    double unknown;       /* weight of the words nobody knows */
    double unknown_topic; /* the part of it from words of three letters or more */
    size_t content, unknown_words, corrected;
    char scratch[PA_FEATURE_MAX][PA_WORD_MAX];
} analysis;

static void add_feature(analysis *a, const char *text, double factor)
{
    for (size_t i = 0; i < a->n; i++) {
        if (!strcmp(a->text[i], text)) {
            if (factor > a->factor[i])
                a->factor[i] = factor;
            return;
        }
    }
    if (a->n == PA_FEATURE_MAX)
        return;
    snprintf(a->scratch[a->n], PA_WORD_MAX, "%s", text);
    a->text[a->n] = a->scratch[a->n];
    a->factor[a->n++] = factor;
}

static int is_content_word(const lang_index *li, const pa_token *t)
{
    if (t->chars < 2 && !(t->folded[0] >= '0' && t->folded[0] <= '9'))
        return 0;
    return strlen(t->folded) < PA_WORD_MAX && pa_map_get(&li->stop, t->folded, 0) == 0;
}

/* Splits a compound into two words of the vocabulary ("stadtepartnerschaft"
 * → "stadte" + "partnerschaft"), allowing the linking s of German. Writes the
 * parts and returns 1 when a split exists. */
static int split_compound(const lang_index *li, const char *w, char *left, char *right)
{
    size_t len = strlen(w);
    if (!li->decompound || len < 8)
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

/* The word nearest to w within the allowed edits, or NULL; among equally
 * near words the most used one ("wass" is "was", not "wall"). Stopwords are
 * candidates too, and *is_stopword tells when one won: a misspelt "dass" is
 * still only a "dass". */
static const char *correct_word(const lang_index *li, const char *w, size_t chars, int *is_stopword)
{
    int max = chars >= 7 ? 2 : chars >= 4 ? 1 : 0;
    const char *best = NULL;
    int best_d = max + 1;
    unsigned best_count = 0;
    for (size_t i = 0; max && i < li->n_words + li->n_stopwords; i++) {
        int stop = i >= li->n_words;
        const char *cand = stop ? li->stopwords[i - li->n_words] : li->words[i];
        unsigned count = stop ? UINT_MAX : li->word_count[i];
        int d = pa_text_distance(w, cand, best_d < max ? best_d : max);
        if (d < best_d || (d == best_d && d <= max && count > best_count)) {
            best_d = d;
            best = cand;
            best_count = count;
            *is_stopword = stop;
        }
    }
    return best_d <= max ? best : NULL;
}

/* Removes the longest listed prefix (the Arabic article and clitics: وال،
 * بال، ال) when at least three letters remain: "التعاون" and "تعاون" must
 * stem alike, and the Snowball stemmer's length rules treat them apart. */
static const char *strip_prefix(const lang_index *li, const char *word)
{
    size_t best = 0;
    for (size_t i = 0; i < li->n_strip_prefixes; i++) {
        size_t n = strlen(li->strip_prefixes[i]);
        if (n > best && !strncmp(word, li->strip_prefixes[i], n) &&
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
        while (i < li->n_respell && strncmp(word, li->respell[i].key, strlen(li->respell[i].key)))
            i++;
        const char *from = i < li->n_respell ? li->respell[i].value : NULL;
        size_t take = from ? strlen(li->respell[i].key) : 1;
        size_t put = from ? strlen(from) : 1;
        if (n + put + 1 > PA_WORD_MAX)
            break;
        memcpy(out + n, from ? from : word, put);
        n += put;
        word += take;
    }
    out[n] = '\0';
}

/* The feature of a word: its stem, folded. Words typed without accents get
 * their ending's accents back first (locale accent_suffixes: "geminacoes"
 * reads as "geminações"), so both spellings reach the same stem. */
static const char *stem_word(const lang_index *li, pa_stemmer *st, const char *surface,
                             char out[PA_WORD_MAX])
{
    char word[PA_WORD_MAX];
    char *folded = pa_text_fold(surface, strlen(surface));
    /* prefixes are compared folded (أل/ال), then cut from the surface form */
    size_t cut = folded ? (size_t)(strip_prefix(li, folded) - folded) : 0;
    size_t skip = 0;
    for (size_t chars = pa_text_chars(folded ? folded : "", cut); chars > 0 && surface[skip];) {
        skip++;
        if (((unsigned char)surface[skip] & 0xC0) != 0x80)
            chars--;
    }
    free(folded);
    respell(li, surface + skip, word);
    size_t len = strlen(word);
    const pa_kv *best = NULL; /* the longest ending that fits */
    for (size_t i = 0; i < li->n_accent_suffixes; i++) {
        size_t n = strlen(li->accent_suffixes[i].key);
        if (n < len && !strcmp(word + len - n, li->accent_suffixes[i].key) &&
            (!best || n > strlen(best->key)))
            best = &li->accent_suffixes[i];
    }
    if (best && len - strlen(best->key) + strlen(best->value) < sizeof word)
        strcpy(word + len - strlen(best->key), best->value);
    const char *stem = pa_stemmer_stem(st, word);
    char *stem_folded = pa_text_fold(stem, strlen(stem));
    snprintf(out, PA_WORD_MAX, "%s", stem_folded && *stem_folded ? stem_folded : stem);
    free(stem_folded);
    return out;
}

static int known(const lang_index *li, const char *stem)
{
    return pa_map_get(&li->features, stem, -1) >= 0;
}

/* Turns tokens into features. With building set, every content word is a
 * feature; otherwise words the index lacks are split, corrected or counted
 * as unknown. */
static void analyse(const lang_index *li, const pa_snapshot *s, const pa_tokens *t,
                    const int *name_of, pa_stemmer *st, int building, double unknown_weight,
                    analysis *a)
{
    memset(a, 0, offsetof(analysis, scratch));
    for (size_t i = 0; i < t->count; i++) {
        if (name_of[i] >= 0) {
            if (i == 0 || name_of[i - 1] != name_of[i]) {
                char f[PA_WORD_MAX];
                snprintf(f, sizeof f, "#%s", s->names[name_of[i]].id);
                add_feature(a, f, 1);
                a->content++;
            }
            continue;
        }
        const pa_token *tok = &t->items[i];
        if (!is_content_word(li, tok))
            continue;
        a->content++;
        const char *w = tok->folded;
        char left[PA_WORD_MAX], right[PA_WORD_MAX], stem[PA_WORD_MAX], part[PA_WORD_MAX];
        stem_word(li, st, tok->surface, stem);
        if (building || known(li, stem)) {
            add_feature(a, stem, 1);
            if (building && split_compound(li, w, left, right)) {
                add_feature(a, stem_word(li, st, left, part), 1);
                add_feature(a, stem_word(li, st, right, part), 1);
            }
            continue;
        }
        if (split_compound(li, w, left, right)) {
            add_feature(a, stem_word(li, st, left, part), 1);
            add_feature(a, stem_word(li, st, right, part), 1);
            continue;
        }
        int fix_is_stopword = 0;
        const char *fix = correct_word(li, w, tok->chars, &fix_is_stopword);
        if (fix && fix_is_stopword) {
            a->content--;
            continue;
        }
        if (fix && known(li, stem_word(li, st, fix, part))) {
            add_feature(a, part, CORRECTED_FACTOR);
            a->corrected++;
            continue;
        }
        /* Short unknown words are mostly chat fillers (ok, bah, pls); long
         * ones carry the meaning the knowledge lacks. */
        double share = tok->chars >= 5 ? 1.0 : (double)(tok->chars - 1) / 4.0;
        a->unknown += share * unknown_weight;
        if (tok->chars >= 3)
            a->unknown_topic += share * unknown_weight;
        a->unknown_words++;
    }
}

/* ---- building ----------------------------------------------------------- */

static void grow_u32(uint32_t **list, size_t *n, uint32_t v)
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

static uint32_t intern(pa_index *idx, lang_index *li, const char *text, size_t *cap)
{
    long id = pa_map_get(&li->features, text, -1);
    if (id >= 0)
        return (uint32_t)id;
    if (li->n_features == *cap) {
        *cap = *cap ? *cap * 2 : 256;
        li->feature_text = pa_xrealloc(li->feature_text, *cap * sizeof *li->feature_text);
    }
    const char *k = pa_arena_strdup(idx->arena, text);
    li->feature_text[li->n_features] = k;
    pa_map_put(&li->features, k, (long)li->n_features);
    return (uint32_t)li->n_features++;
}

static void tokens_and_names(const pa_snapshot *s, const pa_index *idx, int fuzzy_ok,
                             const char *text, pa_tokens *t, int **name_of)
{
    pa_text_tokenize(text, strlen(text), t);
    *name_of = pa_xmalloc((t->count + 1) * sizeof **name_of);
    find_names(s, idx, fuzzy_ok, t, *name_of, NULL);
}

static void build_vocab(pa_index *idx, lang_index *li, const pa_snapshot *s, size_t l)
{
    size_t cap = 0;
    for (size_t i = 0; i < s->n_intents; i++) {
        const pa_intent_lang *il = &s->intents[i].langs[l];
        for (size_t k = 0; k < il->n_examples; k++) {
            pa_tokens t;
            int *name_of;
            tokens_and_names(s, idx, 0, il->examples[k], &t, &name_of);
            for (size_t j = 0; j < t.count; j++) {
                if (name_of[j] >= 0 || !is_content_word(li, &t.items[j]))
                    continue;
                long seen = pa_map_get(&li->vocab, t.items[j].folded, 0);
                if (seen) { /* the map holds index + 1 */
                    li->word_count[seen - 1]++;
                    continue;
                }
                if (li->n_words == cap) {
                    cap = cap ? cap * 2 : 512;
                    li->words = pa_xrealloc(li->words, cap * sizeof *li->words);
                    li->word_count = pa_xrealloc(li->word_count, cap * sizeof *li->word_count);
                }
                const char *w = pa_arena_strdup(idx->arena, t.items[j].folded);
                li->word_count[li->n_words] = 1;
                li->words[li->n_words++] = w;
                pa_map_put(&li->vocab, w, (long)li->n_words);
                pa_map_put(&idx->all_words, w, 1);
            }
            free(name_of);
            pa_tokens_free(&t);
        }
    }
}

static void build_examples(pa_index *idx, lang_index *li, const pa_snapshot *s, size_t l,
                           pa_stemmer *st)
{
    size_t total = 0, cap = 0;
    for (size_t i = 0; i < s->n_intents; i++)
        total += s->intents[i].langs[l].n_examples;
    li->ex = pa_xcalloc(total + 1, sizeof *li->ex);
    analysis *a = pa_xmalloc(sizeof *a);
    for (size_t i = 0; i < s->n_intents; i++) {
        const pa_intent_lang *il = &s->intents[i].langs[l];
        for (size_t k = 0; k < il->n_examples; k++) {
            pa_tokens t;
            int *name_of;
            tokens_and_names(s, idx, 1, il->examples[k], &t, &name_of);
            analyse(li, s, &t, name_of, st, 1, 0, a);
            example *e = &li->ex[li->n_ex++];
            e->intent = i;
            char *folded = pa_text_fold(il->examples[k], strlen(il->examples[k]));
            if (folded && *folded)
                pa_map_put(&li->exact, pa_arena_strdup(idx->arena, folded), (long)i + 1);
            free(folded);
            e->feats = pa_arena_alloc(idx->arena, (a->n + 1) * sizeof *e->feats);
            for (size_t f = 0; f < a->n; f++)
                e->feats[e->n_feats++] = intern(idx, li, a->text[f], &cap);
            qsort(e->feats, e->n_feats, sizeof *e->feats, cmp_u32);
            free(name_of);
            pa_tokens_free(&t);
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
            grow_u32(&li->post_ex[id], &li->n_post_ex[id], (uint32_t)e);
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
static void warn_confusables(const lang_index *li, const pa_snapshot *s, size_t l, pa_diag *diag)
{
    size_t *first = pa_xcalloc(s->n_intents + 1, sizeof *first);
    for (size_t e = 0, i = 0; e < li->n_ex; e++)
        while (i <= li->ex[e].intent)
            first[i++] = e;
    for (size_t a = 0; a < li->n_ex; a++) {
        for (size_t b = a + 1; b < li->n_ex; b++) {
            const example *x = &li->ex[a], *y = &li->ex[b];
            if (x->intent == y->intent || x->n_feats == 0 ||
                similarity(li, x, y) < CONFUSABLE_SIMILARITY)
                continue;
            const pa_intent *ix = &s->intents[x->intent], *iy = &s->intents[y->intent];
            size_t kx = a - first[x->intent], ky = b - first[y->intent];
            pa_diag_add(diag, PA_DIAG_WARNING, iy->source, iy->langs[l].example_lines[ky],
                        iy->langs[l].example_columns[ky],
                        "example \"%s\" is nearly the same as \"%s\" of intent \"%s\" (%s:%d:%d); "
                        "the two intents may be confused",
                        iy->langs[l].examples[ky], ix->langs[l].examples[kx], ix->id, ix->source,
                        ix->langs[l].example_lines[kx], ix->langs[l].example_columns[kx]);
        }
    }
    free(first);
}

pa_index *pa_index_build(const pa_snapshot *s)
{
    pa_index *idx = pa_xcalloc(1, sizeof *idx);
    idx->arena = pa_arena_new();
    idx->n_langs = s->n_locales;
    idx->n_intents = s->n_intents;
    idx->unknown_weight = log(1.0 + (double)s->n_intents);
    idx->langs = pa_xcalloc(s->n_locales, sizeof *idx->langs);
    index_variants(idx, s);
    for (size_t l = 0; l < s->n_locales; l++) {
        lang_index *li = &idx->langs[l];
        const pa_locale *loc = &s->locales[l];
        li->stemmer = loc->stemmer;
        li->decompound = loc->decompound;
        li->accent_suffixes = loc->accent_suffixes;
        li->strip_prefixes = loc->strip_prefixes;
        li->respell = loc->respell;
        li->n_respell = loc->n_respell;
        li->n_strip_prefixes = loc->n_strip_prefixes;
        li->n_accent_suffixes = loc->n_accent_suffixes;
        for (size_t i = 0; i < loc->n_stopwords; i++)
            pa_map_put(&li->stop, loc->stopwords[i], 1);
        li->stopwords = loc->stopwords;
        li->n_stopwords = loc->n_stopwords;
        build_vocab(idx, li, s, l);
    }
    /* Examples are analysed once every language's vocabulary is known, so
     * that name typos are told from real words of any language. */
    for (size_t l = 0; l < s->n_locales; l++) {
        lang_index *li = &idx->langs[l];
        pa_stemmer *st = pa_stemmer_new(li->stemmer); /* the loader checked the name */
        build_examples(idx, li, s, l, st);
        build_postings(idx, li);
        pa_stemmer_free(st);
    }
    return idx;
}

void pa_match_warn_confusables(const pa_snapshot *s, pa_diag *diag)
{
    for (size_t l = 0; l < s->index->n_langs; l++)
        warn_confusables(&s->index->langs[l], s, l, diag);
}

void pa_index_free(pa_index *idx)
{
    if (!idx)
        return;
    for (size_t l = 0; l < idx->n_langs; l++) {
        lang_index *li = &idx->langs[l];
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
        pa_map_clear(&li->features);
        pa_map_clear(&li->vocab);
        pa_map_clear(&li->exact);
        pa_map_clear(&li->stop);
    }
    free(idx->langs);
    pa_map_clear(&idx->all_words);
    pa_map_clear(&idx->by_first);
    for (size_t k = 0; k < idx->n_variant_lists; k++)
        free(idx->variant_lists[k].refs);
    free(idx->variant_lists);
    free(idx->all_variants.refs);
    pa_arena_free(idx->arena);
    free(idx);
}

const char *pa_match_feature(const pa_snapshot *s, int lang, const char *word, char *out,
                             size_t size)
{
    const lang_index *li = &s->index->langs[lang];
    pa_stemmer *st = pa_stemmer_new(li->stemmer);
    pa_tokens t;
    out[0] = '\0';
    if (st && pa_text_tokenize(word, strlen(word), &t) == 0) {
        char stem[PA_WORD_MAX];
        if (t.count > 0)
            snprintf(out, size, "%s", stem_word(li, st, t.items[0].surface, stem));
        pa_tokens_free(&t);
    }
    pa_stemmer_free(st);
    return out;
}

/* ---- ranking ------------------------------------------------------------ */

static void keep_top(pa_match_result *out, int intent, double score)
{
    size_t n = out->n_top;
    if (n == PA_MATCH_TOP && score <= out->top[n - 1].score)
        return;
    size_t i = n < PA_MATCH_TOP ? n++ : n - 1;
    while (i > 0 && out->top[i - 1].score < score) {
        out->top[i] = out->top[i - 1];
        i--;
    }
    out->top[i].intent = intent;
    out->top[i].score = score;
    out->n_top = n;
}

/* The intent whose example is the question itself, folded, or -1. */
static long exact_intent(const lang_index *li, const pa_tokens *t)
{
    size_t len = 0;
    for (size_t i = 0; i < t->count; i++)
        len += strlen(t->items[i].folded) + 1;
    char *q = pa_xmalloc(len + 1);
    q[0] = '\0';
    for (size_t i = 0; i < t->count; i++) {
        if (i)
            strcat(q, " ");
        strcat(q, t->items[i].folded);
    }
    long v = pa_map_get(&li->exact, q, 0) - 1;
    free(q);
    return v;
}

void pa_match_rank(const pa_snapshot *s, int lang, const pa_tokens *t, const int *name_of,
                   pa_match_result *out)
{
    memset(out, 0, sizeof *out);
    const pa_index *idx = s->index;
    const lang_index *li = &idx->langs[lang];
    for (size_t i = 0; i < t->count; i++) {
        if (name_of[i] < 0 || (i > 0 && name_of[i - 1] == name_of[i]))
            continue;
        int seen = 0;
        for (size_t k = 0; k < out->n_names; k++)
            seen |= out->names[k] == name_of[i];
        if (!seen && out->n_names < PA_MATCH_MAX_NAMES)
            out->names[out->n_names++] = name_of[i];
    }
    pa_stemmer *st = pa_stemmer_new(li->stemmer);
    analysis *a = pa_xmalloc(sizeof *a);
    double *closeness = pa_xcalloc(li->n_ex + 1, sizeof *closeness);
    double *coverage = pa_xcalloc(s->n_intents + 1, sizeof *coverage);
    double *best = pa_xcalloc(s->n_intents + 1, sizeof *best);
    double *aspect = pa_xcalloc(s->n_intents + 1, sizeof *aspect);
    uint32_t *touched = pa_xmalloc((li->n_ex + 1) * sizeof *touched);
    size_t n_touched = 0;
    analyse(li, s, t, name_of, st, 0, idx->unknown_weight, a);
    out->content_words = a->content;
    out->unknown_words = a->unknown_words;
    out->corrected_words = a->corrected;

    /* In a long question most unknown words are context ("we moved to
     * Colombes last month, ..."), in a short one they are the topic ("météo
     * Sopot"): beyond CONTEXT_WORDS content words their weight is spread. */
    double unknown = a->unknown * UNKNOWN_FACTOR;
    if (a->content > CONTEXT_WORDS)
        unknown *= CONTEXT_WORDS / (double)a->content;
    double total = unknown;
    for (size_t f = 0; f < a->n; f++) {
        long id = pa_map_get(&li->features, a->text[f], -1);
        if (id < 0)
            continue;
        double w = li->weight[id] * a->factor[f];
        total += w;
        for (size_t k = 0; k < li->n_post_ex[id]; k++) {
            uint32_t e = li->post_ex[id][k];
            if (closeness[e] == 0) /* only the examples the question touches are scored */
                touched[n_touched++] = e;
            closeness[e] += w;
        }
        for (size_t k = 0; k < li->n_post_intent[id]; k++) {
            coverage[li->post_intent[id][k]] += w;
            if (li->feature_text[id][0] != '#')
                aspect[li->post_intent[id][k]] += w;
        }
    }
    if (total > 0) {
        for (size_t k = 0; k < n_touched; k++) {
            uint32_t e = touched[k];
            /* Dice rewards an example of the question's size; containment
             * (how much of the example the question holds) forgives the
             * extra words of long questions. Their mean keeps both. */
            double dice = 2 * closeness[e] / (total + li->ex[e].weight);
            double contained = fmin(1.0, closeness[e] / li->ex[e].weight);
            double v = (dice + contained) / 2;
            size_t i = li->ex[e].intent;
            if (v > best[i])
                best[i] = v;
        }
        for (size_t i = 0; i < s->n_intents; i++) {
            if (best[i] == 0)
                continue;
            double score = sqrt(best[i] * coverage[i] / total);
            /* A name says what the question is about, the other words what
             * it asks about it. When words the knowledge lacks outweigh the
             * known ones, the aspect asked is not in the knowledge. */
            double topic = a->unknown_topic * (unknown / fmax(a->unknown, 1e-9));
            if (out->n_names > 0 && topic > 0)
                score *= sqrt(aspect[i] / (aspect[i] + topic));
            keep_top(out, (int)i, score);
        }
    }
    long exact = exact_intent(li, t);
    if (exact >= 0) { /* the question is one of the examples, as written */
        out->top[0].intent = (int)exact;
        out->top[0].score = 1.0;
        out->n_top = 1;
    }
    pa_stemmer_free(st);
    free(a);
    free(closeness);
    free(coverage);
    free(best);
    free(aspect);
    free(touched);
}

#include "pa_names.h"

#include "pa_alloc.h"
#include "pa_typo.h"

#include <stdlib.h>
#include <string.h>

/* The most variants tried for a token that may be a misspelt name: far
 * more than start with tokens one or two edits apart. */
enum { TYPO_CANDIDATES_MAX = 512 };

/* One name variant, by its place in the knowledge. */
typedef struct {
    uint32_t name, variant;
} variant_ref;

typedef struct {
    variant_ref *refs;
    size_t count;
} variant_list;

struct pa_name_index {
    /* What a folded token is, as one number (one lookup a token): a word of
     * the examples or a stopword (TOKEN_WORD: never a typo of a name), and
     * the first token of variants (the index + 1 of their variant_lists,
     * shifted by TOKEN_LIST_SHIFT, 0 for none). */
    pa_map tokens;
    variant_list *variant_lists;
    size_t n_variant_lists;
    variant_list all_variants; /* for the tokens that may be typos */
    /* The first tokens of all_variants, each once, indexed by edit
     * neighbourhood; first_refs[i] lists the positions in all_variants of
     * the variants starting with first_tokens[i]. */
    const char **first_tokens;
    variant_list *first_refs;
    size_t n_first;
    pa_typo_index *first_typo;
    uint64_t digest; /* pa_names_digest */
};

static int is_arabic_proclitic(const char *s)
{
    /* و ف ب ل ك: and, so, with/in, for/to, like */
    static const char *const p[] = {"\xD9\x88", "\xD9\x81", "\xD8\xA8", "\xD9\x84", "\xD9\x83"};
    for (size_t i = 0; i < 5; i++)
        if (!strncmp(s, p[i], 2))
            return 1;
    return 0;
}

enum { TOKEN_WORD = 1, TOKEN_LIST_SHIFT = 1 };

/* The variant list starting with a token of this tokens value, or NULL. */
static const variant_list *starting_with(const pa_name_index *idx, long value)
{
    long list = value >> TOKEN_LIST_SHIFT;
    return list > 0 ? &idx->variant_lists[list - 1] : NULL;
}

/* A question token as names are compared with it: the word itself and, for
 * Arabic, without its proclitic (و ف ب ل ك) and article (ال). */
typedef struct {
    const char *form[3];
    size_t chars[3];
    int n_forms;
    int fuzzy;  /* may be a typo of a name */
    long value; /* the tokens value of form[0] */
} name_probe;

/* A word that the knowledge uses elsewhere ("allemand", "روبوت") is taken as
 * itself, never as a misspelt name ("Allemagne", "سوبوت"). */
static void make_probe(const pa_name_index *idx, int fuzzy_ok, const pa_token *t, name_probe *p)
{
    p->value = pa_map_get_hashed(&idx->tokens, t->folded, t->hash, 0);
    p->fuzzy = fuzzy_ok && !(p->value & TOKEN_WORD);
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

/* Exact match of one of the probe's forms, or (when fuzzy) a typo of the
 * variant's token: 1 edit from five letters, 2 from eight. */
static int probe_matches(const name_probe *p, int fuzzy, const char *variant, size_t variant_chars)
{
    for (int f = 0; f < p->n_forms; f++) {
        if (!strcmp(p->form[f], variant))
            return 1;
        size_t chars = p->chars[f];
        int max = !fuzzy || !p->fuzzy ? 0 : chars >= 8 ? 2 : chars >= 5 ? 1 : 0;
        size_t diff = chars > variant_chars ? chars - variant_chars : variant_chars - chars;
        if (max && diff <= (size_t)max && pa_text_distance(p->form[f], variant, max) <= max)
            return 1;
    }
    return 0;
}

/* The variants starting with one of a token's forms, looked up. */
static void candidates_at(const pa_name_index *idx, const name_probe *p, const variant_list **lists,
                          int *n_lists)
{
    *n_lists = 0;
    for (int f = 0; f < p->n_forms; f++) {
        const variant_list *list =
            starting_with(idx, f == 0 ? p->value : pa_map_get(&idx->tokens, p->form[f], 0));
        if (list)
            lists[(*n_lists)++] = list;
    }
}

/* 1 when the variant's tokens match the probes from position i on; typos
 * are accepted when fuzzy. */
static int variant_at(const pa_variant *var, int fuzzy, const name_probe *probes, size_t i,
                      size_t count)
{
    if (i + var->n_tokens > count)
        return 0;
    for (size_t j = 0; j < var->n_tokens; j++)
        if (!probe_matches(&probes[i + j], fuzzy, var->tokens[j], var->token_chars[j]))
            return 0;
    return 1;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Writes the positions in all_variants of the variants whose first token is
 * a typo of one of the probe's forms (1 edit from five letters, 2 from
 * eight, as probe_matches allows), in increasing order; returns how many. */
static size_t typo_candidates(const pa_name_index *idx, const name_probe *p, uint32_t *out,
                              size_t cap)
{
    size_t n = 0;
    for (int f = 0; f < p->n_forms; f++) {
        int max = p->chars[f] >= 8 ? 2 : p->chars[f] >= 5 ? 1 : 0;
        if (max == 0)
            continue; /* only exact matches, which the first-token lists hold */
        pa_typo_match near[PA_TYPO_MAX_MATCHES];
        size_t k = pa_typo_find(idx->first_typo, p->form[f], max, near, PA_TYPO_MAX_MATCHES);
        for (size_t i = 0; i < k; i++) {
            const variant_list *refs = &idx->first_refs[near[i].word];
            for (size_t r = 0; r < refs->count && n < cap; r++)
                out[n++] = refs->refs[r].variant; /* a position, see index_first_tokens */
        }
    }
    qsort(out, n, sizeof *out, cmp_u32);
    return n;
}

/* 1 when variant ref, starting at token i, is longer than best and matches. */
static int better_variant(const pa_knowledge *k, variant_ref ref, const name_probe *probes,
                          size_t i, size_t count, size_t best)
{
    const pa_variant *var = &k->names[ref.name].variants[ref.variant];
    /* another town's name misspelt is more often a word ("desde" is not
     * "Dresden"): those are found only as written */
    int fuzzy = !k->names[ref.name].elsewhere;
    return var->n_tokens > best && variant_at(var, fuzzy, probes, i, count);
}

/* The longest variant starting at token i: its length in tokens (0 for
 * none), its name and languages. */
static size_t longest_at(const pa_knowledge *k, const pa_name_index *idx, const name_probe *probes,
                         size_t i, size_t count, int *name, unsigned *langs, int *region)
{
    size_t best = 0;
    const variant_list *lists[3];
    int n_lists;
    candidates_at(idx, &probes[i], lists, &n_lists);
    for (int l = 0; l < n_lists; l++) {
        for (size_t c = 0; c < lists[l]->count; c++) {
            variant_ref ref = lists[l]->refs[c];
            if (better_variant(k, ref, probes, i, count, best)) {
                best = k->names[ref.name].variants[ref.variant].n_tokens;
                *name = (int)ref.name;
                *langs = k->names[ref.name].variants[ref.variant].langs;
                *region = k->names[ref.name].variants[ref.variant].region;
            }
        }
    }
    /* the variants whose first token is a typo of this one, for a token
     * that may be a typo and starts none */
    if (best > 0 || !probes[i].fuzzy)
        return best;
    uint32_t at[TYPO_CANDIDATES_MAX];
    size_t n = typo_candidates(idx, &probes[i], at, TYPO_CANDIDATES_MAX);
    for (size_t c = 0; c < n; c++) {
        if (c > 0 && at[c] == at[c - 1])
            continue;
        variant_ref ref = idx->all_variants.refs[at[c]];
        if (better_variant(k, ref, probes, i, count, best)) {
            best = k->names[ref.name].variants[ref.variant].n_tokens;
            *name = (int)ref.name;
            *langs = k->names[ref.name].variants[ref.variant].langs;
            *region = k->names[ref.name].variants[ref.variant].region;
        }
    }
    return best;
}

/* Finds the names in t, longest first from left to right. fuzzy_ok is 0
 * while the vocabulary that tells words from typos is being collected:
 * names must then be written exactly. */
static size_t find_names(const pa_knowledge *k, const pa_name_index *idx, int fuzzy_ok,
                         const pa_tokens *t, int *name_of, unsigned *langs, unsigned char *region)
{
    size_t found = 0;
    name_probe room[PA_NAME_SPANS_INLINE];
    name_probe *probes =
        t->count <= PA_NAME_SPANS_INLINE ? room : pa_xmalloc(t->count * sizeof *probes);
    for (size_t i = 0; i < t->count; i++)
        pa_map_prefetch(&idx->tokens, t->items[i].hash);
    for (size_t i = 0; i < t->count; i++) {
        name_of[i] = -1;
        if (langs)
            langs[i] = 0;
        if (region)
            region[i] = 0;
        make_probe(idx, fuzzy_ok, &t->items[i], &probes[i]);
    }
    for (size_t i = 0; i < t->count;) {
        int name = -1, name_region = 0;
        unsigned name_langs = 0;
        size_t len = longest_at(k, idx, probes, i, t->count, &name, &name_langs, &name_region);
        for (size_t j = 0; j < len; j++) {
            name_of[i + j] = name;
            if (langs)
                langs[i + j] = name_langs;
            if (region)
                region[i + j] = (unsigned char)name_region;
        }
        found += len > 0;
        i += len > 0 ? len : 1;
    }
    if (probes != room)
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
static void index_variants(pa_name_index *idx, const pa_knowledge *k)
{
    size_t total = 0;
    for (size_t n = 0; n < k->n_names; n++)
        total += k->names[n].n_variants;
    idx->variant_lists = pa_xcalloc(total + 1, sizeof *idx->variant_lists);
    for (size_t n = 0; n < k->n_names; n++) {
        for (size_t v = 0; v < k->names[n].n_variants; v++) {
            const char *first = k->names[n].variants[v].tokens[0];
            long slot = pa_map_get(&idx->tokens, first, 0) >> TOKEN_LIST_SHIFT;
            if (slot == 0) {
                slot = (long)++idx->n_variant_lists;
                pa_map_put(&idx->tokens, first, slot << TOKEN_LIST_SHIFT);
            }
            variant_ref ref = {(uint32_t)n, (uint32_t)v};
            add_ref(&idx->variant_lists[slot - 1], ref);
            if (!k->names[n].elsewhere) /* other towns are found as written only */
                add_ref(&idx->all_variants, ref);
        }
    }
}

/* Indexes the first tokens of all_variants by edit neighbourhood. The refs
 * of first_refs hold positions in all_variants (in their variant field),
 * so that candidates can be tried in all_variants' order. */
static void index_first_tokens(pa_name_index *idx, const pa_knowledge *k)
{
    pa_map seen;
    pa_map_init(&seen);
    size_t n = idx->all_variants.count;
    idx->first_tokens = pa_xmalloc((n + 1) * sizeof *idx->first_tokens);
    idx->first_refs = pa_xcalloc(n + 1, sizeof *idx->first_refs);
    for (size_t i = 0; i < n; i++) {
        variant_ref ref = idx->all_variants.refs[i];
        const char *first = k->names[ref.name].variants[ref.variant].tokens[0];
        long slot = pa_map_get(&seen, first, 0);
        if (slot == 0) {
            idx->first_tokens[idx->n_first] = first;
            slot = (long)++idx->n_first;
            pa_map_put(&seen, first, slot);
        }
        add_ref(&idx->first_refs[slot - 1], (variant_ref){ref.name, (uint32_t)i});
    }
    pa_map_clear(&seen);
    idx->first_typo = pa_typo_build(idx->first_tokens, idx->n_first, PA_TYPO_MAX_EDITS);
}

/* 1 when the token is a typo of a one-word form of the name with this id:
 * "Sopoot" in an example of the intent about Sopot. */
static int typo_of(const pa_knowledge *k, const pa_name_index *idx, const char *name_id,
                   const pa_token *t)
{
    name_probe p;
    make_probe(idx, 0, t, &p);
    p.fuzzy = 1;
    for (size_t n = 0; n < k->n_names; n++) {
        if (strcmp(k->names[n].id, name_id))
            continue;
        for (size_t v = 0; v < k->names[n].n_variants; v++) {
            const pa_variant *var = &k->names[n].variants[v];
            if (var->n_tokens == 1 && probe_matches(&p, 1, var->tokens[0], var->token_chars[0]))
                return 1;
        }
    }
    return 0;
}

/* Marks a folded token (hash: pa_map_hash of it) as a word (TOKEN_WORD),
 * keeping what else it is. folded is the knowledge's (a stopword, an
 * example's token), which outlives the index: the map borrows it. */
static void mark_word(pa_name_index *idx, const char *folded, uint64_t hash)
{
    long value = pa_map_get_hashed(&idx->tokens, folded, hash, 0);
    if (value & TOKEN_WORD)
        return;
    pa_map_put_hashed(&idx->tokens, folded, hash, value | TOKEN_WORD);
}

/* Collects the content words of every example, outside the names written
 * exactly: a question word found there is a word, not a misspelt name. A
 * misspelt form of the very name an intent is about, which staff add to its
 * examples on purpose ("Sopoot"), stays a name. */
static void collect_words(pa_name_index *idx, const pa_knowledge *k)
{
    /* a stopword of any language is a word too: "toutes" is no "Tounes" */
    for (size_t l = 0; l < k->n_locales; l++)
        for (size_t w = 0; w < k->locales[l].n_stopwords; w++)
            mark_word(idx, k->locales[l].stopwords[w], pa_map_hash(k->locales[l].stopwords[w]));
    for (size_t l = 0; l < k->n_locales; l++) {
        for (size_t i = 0; i < k->n_intents; i++) {
            const pa_intent *in = &k->intents[i];
            const pa_intent_lang *il = &in->langs[l];
            for (size_t e = 0; e < il->n_examples; e++) {
                const pa_tokens *t = &il->example_tokens[e];
                pa_name_spans spans;
                pa_names_find(k, idx, t, 0, &spans);
                for (size_t j = 0; j < t->count; j++) {
                    const pa_token *tok = &t->items[j];
                    if (spans.name_of[j] >= 0 || !pa_locale_is_content_word(&k->locales[l], tok) ||
                        (pa_map_get_hashed(&idx->tokens, tok->folded, tok->hash, 0) & TOKEN_WORD) ||
                        (in->about && typo_of(k, idx, in->about, tok)))
                        continue;
                    mark_word(idx, tok->folded, tok->hash);
                }
                pa_name_spans_free(&spans);
            }
        }
    }
}

/* The names and their variants, in their order. */
static uint64_t digest_of(const pa_knowledge *k)
{
    uint64_t h = pa_hash_str("");
    for (size_t n = 0; n < k->n_names; n++) {
        const pa_name *name = &k->names[n];
        h = pa_hash_bytes(h, name->id, strlen(name->id) + 1);
        int flags[2] = {name->elsewhere, name->home};
        h = pa_hash_bytes(h, flags, sizeof flags);
        for (size_t v = 0; v < name->n_variants; v++) {
            const pa_variant *var = &name->variants[v];
            for (size_t t = 0; t < var->n_tokens; t++)
                h = pa_hash_bytes(h, var->tokens[t], strlen(var->tokens[t]) + 1);
            unsigned what[3] = {(unsigned)var->n_tokens, var->langs, (unsigned)var->region};
            h = pa_hash_bytes(h, what, sizeof what);
        }
    }
    return h;
}

pa_name_index *pa_names_build(const pa_knowledge *k)
{
    pa_name_index *idx = pa_xcalloc(1, sizeof *idx);
    index_variants(idx, k);
    index_first_tokens(idx, k);
    collect_words(idx, k);
    idx->digest = digest_of(k);
    return idx;
}

uint64_t pa_names_digest(const pa_name_index *idx)
{
    return idx->digest;
}

/* The values of the forms make_probe looks up. */
uint64_t pa_names_token_digest(const pa_name_index *idx, const pa_token *t)
{
    name_probe p;
    make_probe(idx, 1, t, &p);
    uint64_t h = pa_hash_bytes(pa_hash_str(""), &p.value, sizeof p.value);
    for (int f = 1; f < p.n_forms; f++) {
        long value = pa_map_get(&idx->tokens, p.form[f], 0);
        h = pa_hash_bytes(h, &value, sizeof value);
    }
    return h;
}

void pa_names_free(pa_name_index *idx)
{
    if (!idx)
        return;
    pa_map_clear(&idx->tokens);
    for (size_t i = 0; i < idx->n_variant_lists; i++)
        free(idx->variant_lists[i].refs);
    free(idx->variant_lists);
    free(idx->all_variants.refs);
    for (size_t i = 0; i < idx->n_first; i++)
        free(idx->first_refs[i].refs);
    free(idx->first_refs);
    free(idx->first_tokens);
    pa_typo_free(idx->first_typo);
    free(idx);
}

void pa_names_find(const pa_knowledge *k, const pa_name_index *idx, const pa_tokens *t,
                   int allow_typos, pa_name_spans *out)
{
    out->count = t->count;
    if (t->count <= PA_NAME_SPANS_INLINE) {
        out->name_of = out->inline_name_of;
        out->langs = out->inline_langs;
        out->region = out->inline_region;
    } else {
        out->name_of = pa_xmalloc(t->count * sizeof *out->name_of);
        out->langs = pa_xmalloc(t->count * sizeof *out->langs);
        out->region = pa_xmalloc(t->count);
    }
    out->found = find_names(k, idx, allow_typos, t, out->name_of, out->langs, out->region);
}

void pa_name_spans_free(pa_name_spans *spans)
{
    if (spans->name_of != spans->inline_name_of) {
        free(spans->name_of);
        free(spans->langs);
        free(spans->region);
    }
    spans->name_of = NULL;
    spans->langs = NULL;
    spans->region = NULL;
    spans->count = spans->found = 0;
}

int pa_name_spans_neutral(const pa_name_spans *spans, size_t i)
{
    unsigned langs = spans->langs[i];
    return spans->name_of[i] >= 0 && (langs & (langs - 1)) != 0;
}

size_t pa_name_spans_distinct(const pa_name_spans *spans, int *out, int *region_only, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < spans->count; i++) {
        int name = spans->name_of[i];
        if (name < 0 || (i > 0 && spans->name_of[i - 1] == name))
            continue;
        size_t j = 0;
        while (j < n && out[j] != name)
            j++;
        if (j == n && n < max) {
            out[n] = name;
            if (region_only)
                region_only[n] = 1;
            n++;
        }
        if (j < n && region_only && !spans->region[i])
            region_only[j] = 0;
    }
    return n;
}

/* 1 when some intent is about the name. */
static int is_subject(const pa_knowledge *k, const char *id)
{
    for (size_t i = 0; i < k->n_intents; i++)
        if (k->intents[i].about && !strcmp(k->intents[i].about, id))
            return 1;
    return 0;
}

int pa_names_elsewhere_only(const pa_knowledge *k, const int *names, const int *region_only,
                            size_t n)
{
    int elsewhere = 0;
    for (size_t i = 0; i < n; i++) {
        const pa_name *name = &k->names[names[i]];
        int partner = !name->elsewhere && is_subject(k, name->id);
        if (name->home || (partner && !(region_only && region_only[i])))
            return 0;
        elsewhere |= name->elsewhere;
    }
    return elsewhere;
}

#include "pa_typo.h"

#include "pa_alloc.h"
#include "pa_text.h"

#include <stdlib.h>
#include <string.h>

/* A query's code points beyond this are not read, as by pa_text_distance. */
enum { QUERY_MAX_CHARS = PA_TEXT_DISTANCE_MAX_CHARS };
/* Candidates held on the stack before the query falls back to the heap. */
enum { STACK_CANDIDATES = 512 };
/* The most deletions a query makes: 1 + n + n(n - 1)/2 for the longest
 * word the index compares, n = PA_TYPO_MAX_INDEXED_CHARS + PA_TYPO_MAX_EDITS. */
enum {
    QUERY_MAX_LEN = PA_TYPO_MAX_INDEXED_CHARS + PA_TYPO_MAX_EDITS,
    QUERY_MAX_KEYS = 1 + QUERY_MAX_LEN + QUERY_MAX_LEN * (QUERY_MAX_LEN - 1) / 2
};

/* One string made from a listed word by deleting some code points: the
 * hash bits the bucket does not already say, with the number deleted in
 * the two lowest bits, and the word. Eight bytes: an index holds dozens of
 * entries per word. */
typedef struct {
    uint32_t check;
    uint32_t word;
} entry;

enum { DELETED_BITS = 2 };

static uint32_t check_of(uint64_t key, uint32_t deleted)
{
    return (uint32_t)(key >> 32) << DELETED_BITS | deleted;
}

struct pa_typo_index {
    uint32_t *cps;    /* every word's code points, one after the other */
    size_t *start;    /* where word i's code points begin in cps */
    uint32_t *length; /* word i's length in code points */
    size_t n_words;
    uint32_t *bucket; /* entries of bucket b: bucket[b] to bucket[b + 1] */
    uint64_t mask;    /* buckets - 1 */
    entry *entries;
    uint32_t *long_words; /* too long to index: compared one by one */
    int max_edits;        /* the deletions indexed: the most a query may ask */
    size_t n_long;
};

/* The base of the polynomial hash of a string of code points: odd, so that
 * multiplying by it loses nothing modulo 2^64. */
static const uint64_t HASH_BASE = UINT64_C(0x100000001B3);

/* A finalizer, so that the low bits, which pick the bucket, depend on every
 * code point. */
static uint64_t mix(uint64_t h)
{
    h ^= h >> 33;
    h *= UINT64_C(0xff51afd7ed558ccd);
    h ^= h >> 33;
    return h;
}

/* Polynomial hashes of a word's prefixes and the powers of the base, so
 * that the hash of the word less one or two code points costs a few
 * multiplications: h(c0..cn-1) = sum of (ci + 1) * B^(n-1-i). */
typedef struct {
    uint64_t prefix[PA_TYPO_MAX_INDEXED_CHARS + PA_TYPO_MAX_EDITS + 2];
    uint64_t power[PA_TYPO_MAX_INDEXED_CHARS + PA_TYPO_MAX_EDITS + 2];
} word_hashes;

static void hash_prefixes(const uint32_t *cps, size_t n, word_hashes *w)
{
    w->prefix[0] = 0;
    w->power[0] = 1;
    for (size_t i = 0; i < n; i++) {
        w->prefix[i + 1] = w->prefix[i] * HASH_BASE + cps[i] + 1;
        w->power[i + 1] = w->power[i] * HASH_BASE;
    }
}

/* The hash of code points [from, to). */
static uint64_t span(const word_hashes *w, size_t from, size_t to)
{
    return w->prefix[to] - w->prefix[from] * w->power[to - from];
}

/* Calls visit for every string made from cps by deleting up to max code
 * points, with the number deleted. Deleting positions in increasing order
 * makes each deletion set once; equal letters may still repeat a string,
 * which the callers tolerate. n is at most PA_TYPO_MAX_INDEXED_CHARS +
 * PA_TYPO_MAX_EDITS. */
typedef void (*deletion_fn)(uint64_t key, uint32_t deleted, void *arg);

static void for_each_deletion(const uint32_t *cps, size_t n, int max, deletion_fn visit, void *arg)
{
    word_hashes w;
    hash_prefixes(cps, n, &w);
    visit(mix(w.prefix[n]), 0, arg);
    for (size_t i = 0; max >= 1 && i < n; i++) {
        uint64_t before = w.prefix[i]; /* [0, i) */
        visit(mix(before * w.power[n - i - 1] + span(&w, i + 1, n)), 1, arg);
        for (size_t j = i + 1; max >= 2 && j < n; j++)
            visit(mix((before * w.power[j - i - 1] + span(&w, i + 1, j)) * w.power[n - j - 1] +
                      span(&w, j + 1, n)),
                  2, arg);
    }
}

/* ---- building ----------------------------------------------------------- */

/* Entries per bucket, on average at most: a bucket's entries are read
 * together, and fewer buckets make a smaller table to fill. */
enum { BUCKET_LOAD = 2 };
/* Buckets are filled a range at a time: entries are first dealt into this
 * many parts by their bucket's high bits, in one pass of sequential writes,
 * then each part, small enough to stay in cache, is laid out bucket by
 * bucket. Filling the table in the order the words come would write all
 * over it, a cache and page miss per entry. */
enum { PART_BITS = 10, PARTS = 1 << PART_BITS };

/* An entry on its way to its bucket. */
typedef struct {
    uint32_t bucket;
    entry e;
} pending;

/* The index is built in two passes over the words' deletions, which are
 * cheap to hash again: one counts each part's entries, the other deals them
 * into their parts. */
typedef struct {
    pa_typo_index *ix;
    uint32_t word;
    unsigned part_shift; /* bucket >> part_shift: its part */
    size_t *part_next;   /* counting: part p's entries; dealing: where its next goes */
    pending *pending;    /* NULL while counting; dealing: the range's entries */
    size_t first, end;   /* dealing: the parts of the range */
    size_t base;         /* dealing: where the range's first part starts */
} filling;

static void deal_entry(uint64_t key, uint32_t deleted, void *arg)
{
    filling *f = arg;
    uint32_t b = (uint32_t)(key & f->ix->mask);
    size_t part = b >> f->part_shift;
    if (!f->pending)
        f->part_next[part]++;
    else if (part >= f->first && part < f->end)
        f->pending[f->part_next[part]++ - f->base] =
            (pending){b, {check_of(key, deleted), f->word}};
}

static void decode_words(pa_typo_index *ix, const char *const *words)
{
    size_t total = 0;
    for (size_t i = 0; i < ix->n_words; i++)
        total += strlen(words[i]); /* at least one byte per code point */
    ix->cps = pa_xmalloc((total + 1) * sizeof *ix->cps);
    ix->start = pa_xmalloc((ix->n_words + 1) * sizeof *ix->start);
    ix->length = pa_xmalloc((ix->n_words + 1) * sizeof *ix->length);
    size_t at = 0;
    for (size_t i = 0; i < ix->n_words; i++) {
        ix->start[i] = at;
        ix->length[i] = (uint32_t)pa_text_decode(words[i], ix->cps + at, total - at);
        at += ix->length[i];
    }
}

/* Calls deal_entry for every deletion of every indexed word. A word's
 * repeated deletions ("aa" less either a) stay: the query drops repeated
 * candidates anyway. */
static void each_entry(pa_typo_index *ix, filling *f)
{
    for (size_t i = 0; i < ix->n_words; i++) {
        if (ix->length[i] > PA_TYPO_MAX_INDEXED_CHARS)
            continue;
        f->word = (uint32_t)i;
        for_each_deletion(ix->cps + ix->start[i], ix->length[i], ix->max_edits, deal_entry, f);
    }
}

/* The number of entries: what a word of n code points gives. */
static size_t entries_of(size_t n, int max_edits)
{
    return 1 + n + (max_edits >= 2 ? n * (n - (n > 0)) / 2 : 0);
}

/* Lays out the entries of one part, [from, to) of the entries, whose
 * buckets are [first, first + n) and which wait in p (p[0] being entry
 * base): counts them per bucket, then places them. counts has room for
 * n + 1. */
static void fill_part(pa_typo_index *ix, const pending *p, size_t base, size_t from, size_t to,
                      uint32_t first, size_t n, uint32_t *counts)
{
    memset(counts, 0, (n + 1) * sizeof *counts);
    for (size_t i = from; i < to; i++)
        counts[p[i - base].bucket - first + 1]++;
    counts[0] = (uint32_t)from;
    for (size_t b = 0; b < n; b++) {
        counts[b + 1] += counts[b];
        ix->bucket[first + b] = counts[b];
    }
    ix->bucket[first + n] = (uint32_t)to;
    for (size_t i = from; i < to; i++)
        ix->entries[counts[p[i - base].bucket - first]++] = p[i - base].e;
}

/* Fills the buckets: the entries dealt into parts, then each part laid
 * out. */
static void fill(pa_typo_index *ix, size_t total, size_t buckets, size_t pending_max_bytes)
{
    unsigned bucket_bits = 0;
    while (((size_t)1 << bucket_bits) < buckets)
        bucket_bits++;
    unsigned shift = bucket_bits > PART_BITS ? bucket_bits - PART_BITS : 0;
    size_t parts = ((buckets - 1) >> shift) + 1, per_part = (size_t)1 << shift;
    size_t *next = pa_xcalloc(parts + 1, sizeof *next);
    filling f = {ix, 0, shift, next, NULL, 0, 0, 0};
    each_entry(ix, &f); /* count */
    size_t *start = pa_xmalloc((parts + 1) * sizeof *start);
    for (size_t p = 0, at = 0; p <= parts; p++) {
        size_t n = p < parts ? next[p] : 0;
        start[p] = next[p] = at;
        at += n;
    }
    size_t room = pending_max_bytes / sizeof *f.pending;
    room = room ? room : 1;
    f.pending = pa_xmalloc_table(((total < room ? total : room) + 1) * sizeof *f.pending);
    uint32_t *counts = pa_xmalloc((per_part + 1) * sizeof *counts);
    for (size_t from = 0; from < parts;) {
        size_t to = from + 1; /* a range: the parts that fit, one at least */
        while (to < parts && start[to + 1] - start[from] <= room)
            to++;
        if (start[to] - start[from] > room) /* one part alone beyond the room */
            f.pending = pa_xrealloc(f.pending, (start[to] - start[from]) * sizeof *f.pending);
        f.first = from;
        f.end = to;
        f.base = start[from];
        each_entry(ix, &f); /* deal */
        for (size_t p = from; p < to; p++)
            fill_part(ix, f.pending, f.base, start[p], start[p + 1], (uint32_t)(p * per_part),
                      per_part, counts);
        from = to;
    }
    free(counts);
    free(f.pending);
    free(start);
    free(next);
}

pa_typo_index *pa_typo_build(const char *const *words, size_t n, int max_edits)
{
    return pa_typo_build_within(words, n, max_edits, PA_TYPO_PENDING_MAX_BYTES);
}

pa_typo_index *pa_typo_build_within(const char *const *words, size_t n, int max_edits,
                                    size_t pending_max_bytes)
{
    pa_typo_index *ix = pa_xcalloc(1, sizeof *ix);
    ix->n_words = n;
    ix->max_edits = max_edits < 1                   ? 1
                    : max_edits > PA_TYPO_MAX_EDITS ? PA_TYPO_MAX_EDITS
                                                    : max_edits;
    decode_words(ix, words);
    ix->long_words = pa_xmalloc((n + 1) * sizeof *ix->long_words);
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        if (ix->length[i] > PA_TYPO_MAX_INDEXED_CHARS)
            ix->long_words[ix->n_long++] = (uint32_t)i;
        else
            total += entries_of(ix->length[i], ix->max_edits);
    }
    if (total >= UINT32_MAX)
        pa_out_of_memory(total * sizeof(entry)); /* beyond what 32-bit offsets address */
    size_t buckets = 1;
    while (buckets * BUCKET_LOAD < total)
        buckets *= 2;
    ix->mask = buckets - 1;
    ix->bucket = pa_xmalloc_table((buckets + 1) * sizeof *ix->bucket);
    ix->entries = pa_xmalloc_table((total + 1) * sizeof *ix->entries);
    fill(ix, total, buckets, pending_max_bytes);
    return ix;
}

void pa_typo_free(pa_typo_index *ix)
{
    if (!ix)
        return;
    free(ix->cps);
    free(ix->start);
    free(ix->length);
    free(ix->bucket);
    free(ix->entries);
    free(ix->long_words);
    free(ix);
}

/* ---- querying ----------------------------------------------------------- */

typedef struct {
    const pa_typo_index *ix;
    int max;
    size_t query_chars;
    uint32_t stack[STACK_CANDIDATES];
    uint32_t *items; /* stack, or the heap once it overflows */
    size_t count, cap;
} candidates;

static void add_candidate(candidates *c, uint32_t word)
{
    if (c->count == c->cap) {
        size_t cap = c->cap * 2;
        uint32_t *grown = pa_xmalloc(cap * sizeof *grown);
        memcpy(grown, c->items, c->count * sizeof *grown);
        if (c->items != c->stack)
            free(c->items);
        c->items = grown;
        c->cap = cap;
    }
    c->items[c->count++] = word;
}

/* A query's deletions, hashed before any is looked up. */
typedef struct {
    uint64_t key[QUERY_MAX_KEYS];
    uint32_t deleted[QUERY_MAX_KEYS];
    size_t n;
} query_keys;

static void collect_key(uint64_t key, uint32_t deleted, void *arg)
{
    query_keys *q = arg;
    q->key[q->n] = key;
    q->deleted[q->n++] = deleted;
}

/* Looks up one of the query's deletions. */
static void lookup(uint64_t key, uint32_t deleted, candidates *c)
{
    const pa_typo_index *ix = c->ix;
    size_t b = (size_t)(key & ix->mask);
    for (size_t i = ix->bucket[b]; i < ix->bucket[b + 1]; i++) {
        const entry *e = &ix->entries[i];
        uint32_t e_deleted = e->check & ((1u << DELETED_BITS) - 1);
        if (e->check >> DELETED_BITS != check_of(key, 0) >> DELETED_BITS ||
            e_deleted > (uint32_t)c->max)
            continue;
        size_t len = ix->length[e->word];
        size_t diff = len > c->query_chars ? len - c->query_chars : c->query_chars - len;
        if (diff <= (size_t)c->max && deleted + e_deleted >= diff)
            add_candidate(c, e->word);
    }
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

size_t pa_typo_find(const pa_typo_index *ix, const char *word, int max_edits, pa_typo_match *out,
                    size_t cap)
{
    int max = max_edits < 0 ? 0 : max_edits > ix->max_edits ? ix->max_edits : max_edits;
    uint32_t q[QUERY_MAX_CHARS];
    size_t m = pa_text_decode(word, q, QUERY_MAX_CHARS);
    candidates c = {.ix = ix, .max = max, .query_chars = m};
    c.items = c.stack;
    c.cap = STACK_CANDIDATES;
    if (m <= PA_TYPO_MAX_INDEXED_CHARS + (size_t)max) {
        /* The buckets of a query's deletions are scattered over the table:
         * asked for all at once, the memory fetches them side by side
         * instead of one miss after another. */
        query_keys keys;
        keys.n = 0;
        for_each_deletion(q, m, max, collect_key, &keys);
        for (size_t i = 0; i < keys.n; i++)
            __builtin_prefetch(&ix->bucket[keys.key[i] & ix->mask]);
        for (size_t i = 0; i < keys.n; i++)
            lookup(keys.key[i], keys.deleted[i], &c);
    }
    for (size_t i = 0; i < ix->n_long; i++)
        add_candidate(&c, ix->long_words[i]);
    if (c.count)
        qsort(c.items, c.count, sizeof *c.items, cmp_u32);
    size_t found = 0;
    for (size_t i = 0; i < c.count && found < cap; i++) {
        if (i > 0 && c.items[i] == c.items[i - 1])
            continue;
        uint32_t w = c.items[i];
        size_t len = ix->length[w];
        if ((len > m ? len - m : m - len) > (size_t)max)
            continue; /* a long word's length, which the index did not check */
        int d = pa_text_distance_cp(q, m, ix->cps + ix->start[w], ix->length[w], max);
        if (d <= max)
            out[found++] = (pa_typo_match){w, d};
    }
    if (c.items != c.stack)
        free(c.items);
    return found;
}

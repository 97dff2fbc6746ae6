#include "pa_map.h"

#include "pa_alloc.h"

#include <stdlib.h>
#include <string.h>

enum { PA_MAP_MIN = 16 };

uint64_t pa_hash_bytes(uint64_t h, const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

uint64_t pa_hash_str(const char *s)
{
    return pa_hash_bytes(14695981039346656037ULL, s, strlen(s));
}

/* The map's hash reads eight bytes at a time, where FNV-1a reads one: the
 * keys are words, a handful of bytes, looked up by the million at load. Its
 * values may differ between machines (byte order): they only place keys. */
static const uint64_t MAP_SEED = UINT64_C(0x9E3779B97F4A7C15);
static const uint64_t MAP_MUL = UINT64_C(0xbf58476d1ce4e5b9);
enum { MAP_WORD = sizeof(uint64_t), MAP_ROTATE = 31 };

/* The murmur3 finalizer: every bit of h reaches the low bits that pick a
 * slot. */
static uint64_t mix(uint64_t h)
{
    h ^= h >> 33;
    h *= UINT64_C(0xff51afd7ed558ccd);
    h ^= h >> 33;
    h *= UINT64_C(0xc4ceb9fe1a85ec53);
    h ^= h >> 33;
    return h;
}

static uint64_t add_word(uint64_t h, uint64_t w)
{
    w *= MAP_MUL;
    h ^= (w << MAP_ROTATE) | (w >> (64 - MAP_ROTATE));
    return h * MAP_SEED;
}

uint64_t pa_map_hash(const char *key)
{
    size_t n = strlen(key);
    uint64_t h = MAP_SEED ^ n;
    for (; n >= MAP_WORD; n -= MAP_WORD, key += MAP_WORD) {
        uint64_t w;
        memcpy(&w, key, MAP_WORD);
        h = add_word(h, w);
    }
    uint64_t tail = 0;
    memcpy(&tail, key, n);
    return mix(add_word(h, tail));
}

void pa_map_init(pa_map *m)
{
    memset(m, 0, sizeof *m);
}

void pa_map_clear(pa_map *m)
{
    if (!m)
        return;
    free(m->slots);
    pa_map_init(m);
}

/* The slot of key: where it is, or the empty one where it would go. A slot
 * of another key is passed over on its hash alone, mostly. */
static size_t slot_of(const pa_map *m, const char *key, uint64_t hash)
{
    size_t mask = m->capacity - 1;
    size_t i = (size_t)hash & mask;
    for (;;) {
        const pa_map_slot *s = &m->slots[i];
        if (!s->key || (s->hash == hash && !strcmp(s->key, key)))
            return i;
        i = (i + 1) & mask;
    }
}

/* An empty slot for a key known to be absent, as when moving keys. */
static size_t free_slot(const pa_map *m, uint64_t hash)
{
    size_t mask = m->capacity - 1;
    size_t i = (size_t)hash & mask;
    while (m->slots[i].key)
        i = (i + 1) & mask;
    return i;
}

static void resize(pa_map *m, size_t cap)
{
    pa_map bigger = {pa_xcalloc_table(cap, sizeof *bigger.slots), m->count, cap};
    for (size_t i = 0; i < m->capacity; i++)
        if (m->slots[i].key)
            bigger.slots[free_slot(&bigger, m->slots[i].hash)] = m->slots[i];
    free(m->slots);
    *m = bigger;
}

/* The capacity that holds n keys at most 3/4 full. */
static int fits(size_t n, size_t capacity)
{
    return n * 4 <= capacity * 3;
}

void pa_map_reserve(pa_map *m, size_t n)
{
    size_t cap = m->capacity ? m->capacity : PA_MAP_MIN;
    while (!fits(n, cap))
        cap *= 2;
    if (cap != m->capacity)
        resize(m, cap);
}

void pa_map_put_hashed(pa_map *m, const char *key, uint64_t hash, long value)
{
    if (!fits(m->count + 1, m->capacity))
        resize(m, m->capacity ? m->capacity * 2 : PA_MAP_MIN);
    size_t i = slot_of(m, key, hash);
    if (!m->slots[i].key) {
        m->slots[i].key = key;
        m->slots[i].hash = hash;
        m->count++;
    }
    m->slots[i].value = value;
}

void pa_map_put(pa_map *m, const char *key, long value)
{
    pa_map_put_hashed(m, key, pa_map_hash(key), value);
}

long pa_map_get_hashed(const pa_map *m, const char *key, uint64_t hash, long dflt)
{
    if (!m->capacity)
        return dflt;
    size_t i = slot_of(m, key, hash);
    return m->slots[i].key ? m->slots[i].value : dflt;
}

long pa_map_get(const pa_map *m, const char *key, long dflt)
{
    return m->capacity ? pa_map_get_hashed(m, key, pa_map_hash(key), dflt) : dflt;
}

/* ---- 64-bit keys ----------------------------------------------------------- */

void pa_map64_init(pa_map64 *m)
{
    memset(m, 0, sizeof *m);
}

void pa_map64_clear(pa_map64 *m)
{
    if (!m)
        return;
    free(m->slots);
    pa_map64_init(m);
}

/* The keys are packed code points: mixed, so that their low bits spread. */
static size_t home64(const pa_map64 *m, uint64_t key)
{
    uint64_t h = key * UINT64_C(0x9E3779B97F4A7C15);
    return (size_t)(h ^ (h >> 29)) & (m->capacity - 1);
}

static size_t slot64_of(const pa_map64 *m, uint64_t key)
{
    size_t mask = m->capacity - 1;
    size_t i = home64(m, key);
    while (m->slots[i].key && m->slots[i].key != key)
        i = (i + 1) & mask;
    return i;
}

static void grow64(pa_map64 *m)
{
    size_t cap = m->capacity ? m->capacity * 2 : PA_MAP_MIN;
    pa_map64 bigger = {pa_xcalloc_table(cap, sizeof *bigger.slots), 0, cap};
    for (size_t i = 0; i < m->capacity; i++) {
        if (m->slots[i].key) {
            bigger.slots[slot64_of(&bigger, m->slots[i].key)] = m->slots[i];
            bigger.count++;
        }
    }
    pa_map64_clear(m);
    *m = bigger;
}

void pa_map64_put(pa_map64 *m, uint64_t key, long value)
{
    if ((m->count + 1) * 4 > m->capacity * 3)
        grow64(m);
    size_t i = slot64_of(m, key);
    if (!m->slots[i].key) {
        m->slots[i].key = key;
        m->count++;
    }
    m->slots[i].value = value;
}

long pa_map64_get(const pa_map64 *m, uint64_t key, long dflt)
{
    if (!m->capacity)
        return dflt;
    size_t i = slot64_of(m, key);
    return m->slots[i].key ? m->slots[i].value : dflt;
}

void pa_map_prefetch(const pa_map *m, uint64_t hash)
{
    if (m->capacity)
        __builtin_prefetch(&m->slots[(size_t)hash & (m->capacity - 1)]);
}

void pa_map64_prefetch(const pa_map64 *m, uint64_t key)
{
    if (m->capacity)
        __builtin_prefetch(&m->slots[home64(m, key)]);
}

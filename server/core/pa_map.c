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

void pa_map_init(pa_map *m)
{
    memset(m, 0, sizeof *m);
}

void pa_map_clear(pa_map *m)
{
    if (!m)
        return;
    free(m->keys);
    free(m->values);
    pa_map_init(m);
}

static size_t slot_of(const pa_map *m, const char *key)
{
    size_t mask = m->capacity - 1;
    size_t i = (size_t)pa_hash_str(key) & mask;
    while (m->keys[i] && strcmp(m->keys[i], key))
        i = (i + 1) & mask;
    return i;
}

static void grow(pa_map *m)
{
    size_t cap = m->capacity ? m->capacity * 2 : PA_MAP_MIN;
    pa_map bigger = {pa_xcalloc(cap, sizeof(char *)), pa_xcalloc(cap, sizeof(long)), 0, cap};
    for (size_t i = 0; i < m->capacity; i++) {
        if (m->keys[i]) {
            size_t j = slot_of(&bigger, m->keys[i]);
            bigger.keys[j] = m->keys[i];
            bigger.values[j] = m->values[i];
            bigger.count++;
        }
    }
    pa_map_clear(m);
    *m = bigger;
}

void pa_map_put(pa_map *m, const char *key, long value)
{
    if ((m->count + 1) * 4 > m->capacity * 3)
        grow(m);
    size_t i = slot_of(m, key);
    if (!m->keys[i]) {
        m->keys[i] = key;
        m->count++;
    }
    m->values[i] = value;
}

long pa_map_get(const pa_map *m, const char *key, long dflt)
{
    if (!m->capacity)
        return dflt;
    size_t i = slot_of(m, key);
    return m->keys[i] ? m->values[i] : dflt;
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
    free(m->keys);
    free(m->values);
    pa_map64_init(m);
}

/* The keys are packed code points: mixed, so that their low bits spread. */
static size_t slot64_of(const pa_map64 *m, uint64_t key)
{
    size_t mask = m->capacity - 1;
    uint64_t h = key * UINT64_C(0x9E3779B97F4A7C15);
    size_t i = (size_t)(h ^ (h >> 29)) & mask;
    while (m->keys[i] && m->keys[i] != key)
        i = (i + 1) & mask;
    return i;
}

static void grow64(pa_map64 *m)
{
    size_t cap = m->capacity ? m->capacity * 2 : PA_MAP_MIN;
    pa_map64 bigger = {pa_xcalloc(cap, sizeof(uint64_t)), pa_xcalloc(cap, sizeof(long)), 0, cap};
    for (size_t i = 0; i < m->capacity; i++) {
        if (m->keys[i]) {
            size_t j = slot64_of(&bigger, m->keys[i]);
            bigger.keys[j] = m->keys[i];
            bigger.values[j] = m->values[i];
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
    if (!m->keys[i]) {
        m->keys[i] = key;
        m->count++;
    }
    m->values[i] = value;
}

long pa_map64_get(const pa_map64 *m, uint64_t key, long dflt)
{
    if (!m->capacity)
        return dflt;
    size_t i = slot64_of(m, key);
    return m->keys[i] ? m->values[i] : dflt;
}

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

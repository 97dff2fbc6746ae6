/* pa_map: an open-addressing hash table from strings to integers.
 *
 * Keys are borrowed: the caller keeps them alive as long as the map (the
 * snapshot's keys live in its arena). Used for vocabularies, feature ids and
 * duplicate detection, where lookups are on the per-question hot path. */
#ifndef PA_MAP_H
#define PA_MAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char **keys;
    long *values;
    size_t count, capacity; /* capacity is 0 or a power of two */
} pa_map;

void pa_map_init(pa_map *m);
/* Frees the tables (not the keys). Accepts NULL. */
void pa_map_clear(pa_map *m);
/* Sets key to value. */
void pa_map_put(pa_map *m, const char *key, long value);
/* Returns the value of key, or dflt when absent. */
long pa_map_get(const pa_map *m, const char *key, long dflt);
/* An open-addressing hash table from non-zero 64-bit keys to integers: for
 * keys that are numbers already (packed code points), with no string to
 * hash or compare. */
typedef struct {
    uint64_t *keys; /* 0: an empty slot */
    long *values;
    size_t count, capacity; /* capacity is 0 or a power of two */
} pa_map64;

void pa_map64_init(pa_map64 *m);
/* Frees the tables. Accepts NULL. */
void pa_map64_clear(pa_map64 *m);
/* Sets key (not 0) to value. */
void pa_map64_put(pa_map64 *m, uint64_t key, long value);
/* Returns the value of key, or dflt when absent. */
long pa_map64_get(const pa_map64 *m, uint64_t key, long dflt);

/* FNV-1a over a NUL-terminated string, also used for content digests. */
uint64_t pa_hash_str(const char *s);
uint64_t pa_hash_bytes(uint64_t h, const void *p, size_t n);

#endif

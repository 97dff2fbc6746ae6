/* pa_map: an open-addressing hash table from strings to integers.
 *
 * Keys are borrowed: the caller keeps them alive as long as the map (the
 * snapshot's keys live in its arena). Used for vocabularies, feature ids and
 * duplicate detection, where lookups are on the per-question hot path.
 *
 * Each slot keeps its key's hash beside the key: a probe that meets another
 * key compares hashes, not strings, and growing never hashes a key again. */
#ifndef PA_MAP_H
#define PA_MAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *key; /* NULL: an empty slot */
    uint64_t hash;   /* pa_map_hash(key) */
    long value;
} pa_map_slot;

typedef struct {
    pa_map_slot *slots;
    size_t count, capacity; /* capacity is 0 or a power of two */
} pa_map;

void pa_map_init(pa_map *m);
/* Frees the table (not the keys). Accepts NULL. */
void pa_map_clear(pa_map *m);
/* Makes room for n keys in all, so that adding up to that many does not
 * grow the table again. Aborts only when memory runs out. */
void pa_map_reserve(pa_map *m, size_t n);
/* Sets key to value. */
void pa_map_put(pa_map *m, const char *key, long value);
/* Returns the value of key, or dflt when absent. */
long pa_map_get(const pa_map *m, const char *key, long dflt);

/* The hash the map files key under. A caller that both looks a key up and
 * adds it passes the hash to the _hashed forms, which then do not read the
 * key again to hash it. hash must be pa_map_hash(key) in a map also used
 * through pa_map_put or pa_map_get; in any map, equal keys need equal
 * hashes (unequal keys may share one: they are then told apart by strcmp). */
uint64_t pa_map_hash(const char *key);
void pa_map_put_hashed(pa_map *m, const char *key, uint64_t hash, long value);
long pa_map_get_hashed(const pa_map *m, const char *key, uint64_t hash, long dflt);
/* Asks the memory for the slot a key of that hash is first looked for in:
 * a hint, for lookups of many keys (a message's words), issued before
 * them. */
void pa_map_prefetch(const pa_map *m, uint64_t hash);

/* An open-addressing hash table from non-zero 64-bit keys to integers: for
 * keys that are numbers already (packed code points), with no string to
 * hash or compare. */
typedef struct {
    uint64_t key; /* 0: an empty slot */
    long value;
} pa_map64_slot;

typedef struct {
    pa_map64_slot *slots;   /* a key beside its value: one cache line per probe */
    size_t count, capacity; /* capacity is 0 or a power of two */
} pa_map64;

void pa_map64_init(pa_map64 *m);
/* Frees the table. Accepts NULL. */
void pa_map64_clear(pa_map64 *m);
/* Sets key (not 0) to value. */
void pa_map64_put(pa_map64 *m, uint64_t key, long value);
/* Returns the value of key, or dflt when absent. */
long pa_map64_get(const pa_map64 *m, uint64_t key, long dflt);
/* Asks the memory for the slot where key would be first looked for: a
 * hint, for lookups of many keys, issued before them. */
void pa_map64_prefetch(const pa_map64 *m, uint64_t key);

/* FNV-1a over a NUL-terminated string, for content digests: stable across
 * builds and machines, and able to hash a text in pieces (pa_hash_bytes
 * continues from the hash of what came before). */
uint64_t pa_hash_str(const char *s);
uint64_t pa_hash_bytes(uint64_t h, const void *p, size_t n);

#endif

/* The string → integer hash table and the FNV-1a hash behind it and behind
 * the content digests. */
#include "unit.h"

#include "pa_map.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

/* The FNV-1a 64-bit offset basis: the seed pa_hash_str starts from. */
static const uint64_t FNV_BASIS = 14695981039346656037ULL;

/* Puts and gets in order: each row either sets a key or checks its value
 * (absent keys read as the default, -7). */
static const struct {
    const char *key;
    int put; /* 1: put value; 0: expect value from get */
    long value;
} steps[] = {
    {"sopot", 0, -7}, /* empty map */
    {"sopot", 1, 1},
    {"sopot", 0, 1},
    {"Sopot", 0, -7}, /* keys are case-sensitive */
    {"sopo", 0, -7},  /* a prefix is another key */
    {"frankenthal", 1, 2},
    {"sopot", 0, 1},
    {"frankenthal", 0, 2},
    {"sopot", 1, 10}, /* overwrite */
    {"sopot", 0, 10},
    {"frankenthal", 0, 2},
    {"", 1, 3}, /* the empty string is a key like any other */
    {"", 0, 3},
    {"łódź", 1, 4},
    {"lodz", 0, -7},
    {"رأس الجبل", 1, 5},
    {"رأس الجبل", 0, 5},
    {"negative", 1, -123456789},
    {"negative", 0, -123456789},
    {"max", 1, LONG_MAX},
    {"max", 0, LONG_MAX},
    {"min", 1, LONG_MIN},
    {"min", 0, LONG_MIN},
    {"łódź", 0, 4},
};

static void test_put_get(void **state)
{
    (void)state;
    pa_map m;
    pa_map_init(&m);
    size_t distinct = 0;
    for (size_t i = 0; i < sizeof steps / sizeof *steps; i++) {
        char row[64];
        snprintf(row, sizeof row, "step %zu (%s)", i, steps[i].key);
        if (steps[i].put) {
            int known = pa_map_get(&m, steps[i].key, LONG_MIN + 1) != LONG_MIN + 1;
            pa_map_put(&m, steps[i].key, steps[i].value);
            distinct += !known;
            EXPECT_INT(row, "count", m.count, distinct);
        } else {
            EXPECT_INT(row, "get", pa_map_get(&m, steps[i].key, -7), steps[i].value);
        }
    }
    pa_map_clear(&m);
}

/* Keys are compared by content, not by pointer: a copy finds the value. */
static void test_keys_by_content(void **state)
{
    (void)state;
    pa_map m;
    pa_map_init(&m);
    char stored[] = "viana do castelo", lookup[] = "viana do castelo";
    pa_map_put(&m, stored, 42);
    EXPECT_INT("copy of the key", "get", pa_map_get(&m, lookup, -1), 42);
    pa_map_put(&m, lookup, 43); /* the same key through another pointer */
    EXPECT_INT("copy of the key", "count", m.count, 1);
    EXPECT_INT("copy of the key", "get", pa_map_get(&m, stored, -1), 43);
    pa_map_clear(&m);
}

static void test_absent(void **state)
{
    (void)state;
    pa_map m;
    pa_map_init(&m);
    EXPECT_INT("empty map", "count", m.count, 0);
    EXPECT_INT("empty map", "capacity", m.capacity, 0);
    static const long defaults[] = {-1, 0, 42, LONG_MIN, LONG_MAX};
    for (size_t i = 0; i < sizeof defaults / sizeof *defaults; i++)
        EXPECT_INT("empty map", "default", pa_map_get(&m, "x", defaults[i]), defaults[i]);
    pa_map_put(&m, "x", 1);
    for (size_t i = 0; i < sizeof defaults / sizeof *defaults; i++) {
        EXPECT_INT("absent key", "default", pa_map_get(&m, "y", defaults[i]), defaults[i]);
        EXPECT_INT("present key", "value", pa_map_get(&m, "x", defaults[i]), 1);
    }
    pa_map_clear(&m);
    pa_map_clear(NULL);
}

enum { MANY = 10000, KEY_CHARS = 32 }; /* "key-" and a size_t in decimal fit */

/* Fills a map with n generated keys (key i → value 3i - 5000), kept in keys. */
static void fill(pa_map *m, char (*keys)[KEY_CHARS], size_t n)
{
    for (size_t i = 0; i < n; i++) {
        snprintf(keys[i], sizeof keys[i], "key-%zu", i);
        pa_map_put(m, keys[i], 3 * (long)i - 5000);
    }
}

static void check_all(const pa_map *m, char (*keys)[KEY_CHARS], size_t n)
{
    for (size_t i = 0; i < n; i++)
        EXPECT_INT(keys[i], "get", pa_map_get(m, keys[i], LONG_MIN), 3 * (long)i - 5000);
    char absent[KEY_CHARS];
    for (size_t i = n; i < n + 100; i++) {
        snprintf(absent, sizeof absent, "key-%zu", i);
        EXPECT_INT(absent, "get", pa_map_get(m, absent, LONG_MIN), LONG_MIN);
    }
}

/* The table grows across many keys, keeps a power-of-two capacity below 3/4
 * full, and loses none of them. */
static void test_growth(void **state)
{
    (void)state;
    char(*keys)[KEY_CHARS] = calloc(MANY + 1, sizeof *keys);
    assert_non_null(keys);
    pa_map m;
    pa_map_init(&m);
    size_t last_capacity = 0;
    for (size_t i = 0; i < MANY; i++) {
        snprintf(keys[i], sizeof keys[i], "key-%zu", i);
        pa_map_put(&m, keys[i], 3 * (long)i - 5000);
        if (m.capacity != last_capacity) {
            EXPECT_INT(keys[i], "capacity is a power of two", m.capacity & (m.capacity - 1), 0);
            assert_true(m.capacity > last_capacity);
            last_capacity = m.capacity;
        }
        assert_true(m.count * 4 <= m.capacity * 3);
    }
    EXPECT_INT("10000 keys", "count", m.count, MANY);
    check_all(&m, keys, MANY);
    /* overwriting every key neither grows the table nor adds keys */
    size_t capacity = m.capacity;
    for (size_t i = 0; i < MANY; i++)
        pa_map_put(&m, keys[i], -(long)i);
    EXPECT_INT("overwrite all", "count", m.count, MANY);
    EXPECT_INT("overwrite all", "capacity", m.capacity, capacity);
    for (size_t i = 0; i < MANY; i++)
        EXPECT_INT(keys[i], "overwritten", pa_map_get(&m, keys[i], LONG_MIN), -(long)i);
    pa_map_clear(&m);
    free(keys);
}

/* Keys that share a hash are told apart by their text: every one keeps its
 * value through growth, and absent keys of that hash stay absent. */
static void test_collisions(void **state)
{
    (void)state;
    enum { COLLIDING = 300, SHARED_HASH = 12345 };
    char(*keys)[KEY_CHARS] = calloc(COLLIDING, sizeof *keys);
    assert_non_null(keys);
    pa_map m;
    pa_map_init(&m);
    for (size_t i = 0; i < COLLIDING; i++) {
        snprintf(keys[i], sizeof keys[i], "key-%zu", i);
        pa_map_put_hashed(&m, keys[i], SHARED_HASH, (long)i);
    }
    EXPECT_INT("colliding keys", "count", m.count, COLLIDING);
    for (size_t i = 0; i < COLLIDING; i++)
        EXPECT_INT(keys[i], "get", pa_map_get_hashed(&m, keys[i], SHARED_HASH, -1), (long)i);
    EXPECT_INT("absent, same hash", "get", pa_map_get_hashed(&m, "key-x", SHARED_HASH, -1), -1);
    pa_map_put_hashed(&m, keys[7], SHARED_HASH, -7); /* overwrite, not add */
    EXPECT_INT("overwrite", "count", m.count, COLLIDING);
    EXPECT_INT("overwrite", "get", pa_map_get_hashed(&m, keys[7], SHARED_HASH, -1), -7);
    pa_map_clear(&m);
    free(keys);
}

/* A reserved map holds that many keys without growing, keeps those it had,
 * and answers like a map grown one key at a time. */
static void test_reserve(void **state)
{
    (void)state;
    char(*keys)[KEY_CHARS] = calloc(MANY, sizeof *keys);
    assert_non_null(keys);
    pa_map m;
    pa_map_init(&m);
    fill(&m, keys, 10);
    pa_map_reserve(&m, MANY);
    size_t capacity = m.capacity;
    EXPECT_INT("reserved", "capacity is a power of two", capacity & (capacity - 1), 0);
    assert_true(MANY * 4 <= capacity * 3);
    check_all(&m, keys, 10);
    fill(&m, keys, MANY);
    EXPECT_INT("filled", "capacity", m.capacity, capacity);
    EXPECT_INT("filled", "count", m.count, MANY);
    check_all(&m, keys, MANY);
    pa_map_reserve(&m, 1); /* never shrinks */
    EXPECT_INT("reserve less", "capacity", m.capacity, capacity);
    pa_map_clear(&m);
    free(keys);
}

/* The map's hash: the hashed forms agree with the plain ones, and keys
 * that differ in one byte anywhere, in length only, or past the first
 * eight bytes hash apart. */
static void test_map_hash(void **state)
{
    (void)state;
    static const char *const distinct[] = {
        "",
        "a",
        "b",
        "ab",
        "ba",
        "abcdefgh",
        "abcdefgi",
        "abcdefghi",
        "abcdefghj",
        "bbcdefghi",
        "abcdefgh\x01",
        "łódź",
        "lodz",
        "رأس الجبل",
        "partnerschaftsvertrag",
        "partnerschaftsvertraf",
    };
    size_t n = sizeof distinct / sizeof *distinct;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            assert_true(pa_map_hash(distinct[i]) != pa_map_hash(distinct[j]));
    char copy[] = "abcdefghi";
    EXPECT_U64("copy", "same hash", pa_map_hash(copy), pa_map_hash("abcdefghi"));
    pa_map m;
    pa_map_init(&m);
    pa_map_put_hashed(&m, "sopot", pa_map_hash("sopot"), 5);
    EXPECT_INT("hashed put", "plain get", pa_map_get(&m, "sopot", -1), 5);
    pa_map_put(&m, "colombes", 6);
    EXPECT_INT("plain put", "hashed get",
               pa_map_get_hashed(&m, "colombes", pa_map_hash("colombes"), -1), 6);
    pa_map_clear(&m);
}

/* A cleared map is empty and can be filled again. */
static void test_clear_reuse(void **state)
{
    (void)state;
    char(*keys)[KEY_CHARS] = calloc(MANY, sizeof *keys);
    assert_non_null(keys);
    pa_map m;
    pa_map_init(&m);
    fill(&m, keys, MANY);
    pa_map_clear(&m);
    EXPECT_INT("cleared", "count", m.count, 0);
    EXPECT_INT("cleared", "capacity", m.capacity, 0);
    EXPECT_INT("cleared", "get", pa_map_get(&m, keys[0], -1), -1);
    EXPECT_INT("cleared", "get", pa_map_get(&m, keys[MANY - 1], -1), -1);
    pa_map_clear(&m); /* twice is harmless */
    fill(&m, keys, 100);
    EXPECT_INT("reused", "count", m.count, 100);
    check_all(&m, keys, 100);
    pa_map_clear(&m);
    free(keys);
}

/* FNV-1a 64: the published test vectors, the UTF-8 bytes, and the two entry
 * points agreeing. */
static const struct {
    const char *text;
    uint64_t hash;
} hashes[] = {
    {"", 0xcbf29ce484222325ULL}, /* the offset basis itself */
    {"a", 0xaf63dc4c8601ec8cULL},     {"foobar", 0x85944171f73967e8ULL},
    {"Sopot", 0x50ed91c722ad373eULL}, {"رأس الجبل", 0xd34c025c21c4c82bULL},
};

static void test_hash(void **state)
{
    (void)state;
    EXPECT_U64("basis", "seed", FNV_BASIS, 0xcbf29ce484222325ULL);
    for (size_t i = 0; i < sizeof hashes / sizeof *hashes; i++) {
        const char *s = hashes[i].text;
        EXPECT_U64(s, "pa_hash_str", pa_hash_str(s), hashes[i].hash);
        EXPECT_U64(s, "pa_hash_bytes", pa_hash_bytes(FNV_BASIS, s, strlen(s)), pa_hash_str(s));
    }
    /* hashing in pieces gives the hash of the whole (content digests rely on it) */
    uint64_t h = pa_hash_bytes(FNV_BASIS, "foo", 3);
    EXPECT_U64("foo + bar", "chained", pa_hash_bytes(h, "bar", 3), pa_hash_str("foobar"));
    EXPECT_U64("no bytes", "unchanged", pa_hash_bytes(h, "", 0), h);
    /* bytes past a NUL count for pa_hash_bytes */
    assert_true(pa_hash_bytes(FNV_BASIS, "a\0b", 3) != pa_hash_str("a"));
    assert_true(pa_hash_str("ab") != pa_hash_str("ba"));
}

/* 64-bit keys: packed code points, with neighbours that differ in one bit
 * and enough of them to grow the table several times. */
static void test_map64(void **state)
{
    (void)state;
    pa_map64 m;
    pa_map64_init(&m);
    EXPECT_INT("empty", "get", pa_map64_get(&m, 1, -7), -7);
    enum { KEYS = 5000 };
    for (uint64_t k = 1; k <= KEYS; k++)
        pa_map64_put(&m, k << 21 | (k & 1), (long)k);
    pa_map64_put(&m, UINT64_MAX, -1);
    pa_map64_put(&m, 7 << 21 | 1, 70); /* overwrite */
    for (uint64_t k = 1; k <= KEYS; k++) {
        char row[32];
        snprintf(row, sizeof row, "key %llu", (unsigned long long)k);
        EXPECT_INT(row, "get", pa_map64_get(&m, k << 21 | (k & 1), -7), k == 7 ? 70 : (long)k);
        EXPECT_INT(row, "absent neighbour", pa_map64_get(&m, k << 21 | (~k & 1), -7), -7);
    }
    EXPECT_INT("max", "get", pa_map64_get(&m, UINT64_MAX, -7), -1);
    EXPECT_INT("count", "count", m.count, KEYS + 1);
    pa_map64_clear(&m);
    EXPECT_INT("cleared", "get", pa_map64_get(&m, 1 << 21 | 1, -7), -7);
    pa_map64_clear(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_map64),           cmocka_unit_test(test_put_get),
        cmocka_unit_test(test_keys_by_content), cmocka_unit_test(test_absent),
        cmocka_unit_test(test_growth),          cmocka_unit_test(test_clear_reuse),
        cmocka_unit_test(test_collisions),      cmocka_unit_test(test_reserve),
        cmocka_unit_test(test_map_hash),        cmocka_unit_test(test_hash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

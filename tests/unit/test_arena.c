/* The bump allocator that owns every string and table of a snapshot. */
#include "unit.h"

#include "pa_arena.h"

#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>

/* A block holds 64 KiB: the sizes cross it, and some are far larger. */
static const size_t sizes[] = {
    1,     2,     3,     7,     8,    9,      15,     16,       17,
    31,    33,    100,   255,   1000, 4095,   4096,   4097,     32768,
    65535, 65536, 65537, 70000, 1,    3,      200000, 1u << 20, (1u << 20) + 1,
    5,     64000, 64000, 64000, 24,   131072, 13,     7,        0,
    1,
};

enum { N_SIZES = sizeof sizes / sizeof *sizes };

static int is_aligned(const void *p)
{
    return (uintptr_t)p % alignof(max_align_t) == 0;
}

/* Every pointer is aligned for any type, zeroed, writable over its whole
 * size, and overlaps no other: each allocation is filled with its own byte
 * and checked again once all are made. */
static void test_alloc(void **state)
{
    (void)state;
    /* Leave dirty memory where the first block is likely to be allocated, so
     * that zeroed memory is not a matter of luck. */
    unsigned char *dirty = malloc(65 * 1024);
    assert_non_null(dirty);
    for (volatile unsigned char *p = dirty; p < dirty + 65 * 1024; p++)
        *p = 0xA5; /* volatile: not a dead store the compiler may drop */
    free(dirty);
    pa_arena *a = pa_arena_new();
    assert_non_null(a);
    EXPECT_INT("new arena", "used", pa_arena_used(a), 0);
    unsigned char *ptrs[N_SIZES];
    for (size_t i = 0; i < N_SIZES; i++) {
        char row[64];
        snprintf(row, sizeof row, "alloc #%zu of %zu bytes", i, sizes[i]);
        size_t before = pa_arena_used(a);
        ptrs[i] = pa_arena_alloc(a, sizes[i]);
        assert_non_null(ptrs[i]);
        EXPECT_INT(row, "misalignment", (uintptr_t)ptrs[i] % alignof(max_align_t), 0);
        size_t grown = pa_arena_used(a) - before;
        /* grows by the size, rounded up to the alignment at most */
        if (grown < sizes[i] || grown >= sizes[i] + alignof(max_align_t)) {
            print_error("%s: used grew by %zu\n", row, grown);
            fail();
        }
        for (size_t k = 0; k < sizes[i]; k++) {
            if (ptrs[i][k] != 0) {
                print_error("%s: byte %zu is %u, expected 0\n", row, k, ptrs[i][k]);
                fail();
            }
        }
        memset(ptrs[i], (int)(i + 1), sizes[i]);
    }
    for (size_t i = 0; i < N_SIZES; i++) {
        for (size_t k = 0; k < sizes[i]; k++) {
            if (ptrs[i][k] != (unsigned char)(i + 1)) {
                print_error("alloc #%zu of %zu bytes: byte %zu overwritten by %u\n", i, sizes[i], k,
                            ptrs[i][k]);
                fail();
            }
        }
    }
    pa_arena_free(a);
}

/* Allocations larger than a block, first thing and after small ones, and
 * small ones after them. */
static void test_large(void **state)
{
    (void)state;
    static const size_t big[] = {64 * 1024 + 1, 1000 * 1000, 3 * 1024 * 1024};
    for (size_t i = 0; i < sizeof big / sizeof *big; i++) {
        pa_arena *a = pa_arena_new();
        char *first = pa_arena_alloc(a, big[i]);
        char *small = pa_arena_alloc(a, 10);
        char *second = pa_arena_alloc(a, big[i]);
        assert_true(is_aligned(first) && is_aligned(small) && is_aligned(second));
        memset(first, 'a', big[i]);
        memset(small, 'b', 10);
        memset(second, 'c', big[i]);
        EXPECT_INT("large", "first byte", first[0], 'a');
        EXPECT_INT("large", "last byte", first[big[i] - 1], 'a');
        EXPECT_INT("large", "small", small[9], 'b');
        EXPECT_INT("large", "second", second[big[i] - 1], 'c');
        assert_true(pa_arena_used(a) >= 2 * big[i] + 10);
        pa_arena_free(a);
    }
}

static const struct {
    const char *s;
    size_t len;       /* bytes given to strndup */
    const char *want; /* what it must return */
} strndups[] = {
    {"", 0, ""},
    {"Sopot", 5, "Sopot"},
    {"Sopocie", 5, "Sopoc"},
    {"Sopot", 0, ""},
    {"Łódź", 2, "Ł"},
    {"رأس الجبل", 6, "رأس"},
    {"Viana do Castelo", 16, "Viana do Castelo"},
};

static void test_strdup(void **state)
{
    (void)state;
    pa_arena *a = pa_arena_new();
    for (size_t i = 0; i < sizeof strndups / sizeof *strndups; i++) {
        char *d = pa_arena_strndup(a, strndups[i].s, strndups[i].len);
        assert_true(d != strndups[i].s);
        EXPECT_STR(strndups[i].s, "strndup", d, strndups[i].want);
        char *e = pa_arena_strdup(a, strndups[i].s);
        /* strings are packed end to end, not aligned */
        EXPECT_INT(strndups[i].s, "packed", (long)(e - d), (long)strlen(strndups[i].want) + 1);
        EXPECT_STR(strndups[i].s, "strdup", e, strndups[i].s);
        /* what follows a string is aligned and zeroed again */
        unsigned char *z = pa_arena_alloc(a, 24);
        assert_true(is_aligned(z));
        for (size_t j = 0; j < 24; j++)
            EXPECT_INT(strndups[i].s, "zeroed after a string", z[j], 0);
    }
    /* strndup reads no further than len: a source without a NUL */
    char unterminated[3] = {'a', 'b', 'c'};
    EXPECT_STR("unterminated", "strndup", pa_arena_strndup(a, unterminated, 3), "abc");
    /* a long string, larger than a block */
    size_t n = 100 * 1000;
    char *big = malloc(n + 1);
    assert_non_null(big);
    memset(big, 'x', n);
    big[n] = '\0';
    char *copy = pa_arena_strdup(a, big);
    EXPECT_INT("long string", "length", strlen(copy), n);
    assert_memory_equal(copy, big, n + 1);
    free(big);
    pa_arena_free(a);
}

/* used grows with every allocation and counts what was asked for. */
static void test_used(void **state)
{
    (void)state;
    pa_arena *a = pa_arena_new();
    size_t asked = 0, last = 0;
    for (size_t i = 1; i <= 2000; i++) {
        size_t n = (i * 37) % 500 + 1;
        pa_arena_alloc(a, n);
        asked += n;
        size_t used = pa_arena_used(a);
        if (used <= last || used < asked) {
            print_error("allocation %zu: used %zu after %zu, %zu asked\n", i, used, last, asked);
            fail();
        }
        last = used;
    }
    EXPECT_INT("2000 allocations", "rounding at most", last - asked < 2000 * alignof(max_align_t),
               1);
    pa_arena_free(a);
}

static void test_free_null(void **state)
{
    (void)state;
    pa_arena_free(NULL);
    pa_arena_free(pa_arena_new()); /* empty: no block to free */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alloc),     cmocka_unit_test(test_large),
        cmocka_unit_test(test_strdup),    cmocka_unit_test(test_used),
        cmocka_unit_test(test_free_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

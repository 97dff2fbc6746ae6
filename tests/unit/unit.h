/* Shared helpers for the table-driven unit tests (cmocka). */
#ifndef PA_TEST_UNIT_H
#define PA_TEST_UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <inttypes.h>
#include <string.h>

/* Fails the test with both values and the table row, when they differ. */
#define EXPECT_STR(row, what, got, want)                                                           \
    do {                                                                                           \
        const char *g_ = (got), *w_ = (want);                                                      \
        if ((g_ == NULL) != (w_ == NULL) || (g_ && strcmp(g_, w_))) {                              \
            print_error("%s: %s: got \"%s\", expected \"%s\"\n", (row), (what),                    \
                        g_ ? g_ : "(null)", w_ ? w_ : "(null)");                                   \
            fail();                                                                                \
        }                                                                                          \
    } while (0)

#define EXPECT_INT(row, what, got, want)                                                           \
    do {                                                                                           \
        long g_ = (long)(got), w_ = (long)(want);                                                  \
        if (g_ != w_) {                                                                            \
            print_error("%s: %s: got %ld, expected %ld\n", (row), (what), g_, w_);                 \
            fail();                                                                                \
        }                                                                                          \
    } while (0)

/* The same for 64-bit unsigned values (hashes, fingerprints), in hex. */
#define EXPECT_U64(row, what, got, want)                                                           \
    do {                                                                                           \
        uint64_t g_ = (got), w_ = (want);                                                          \
        if (g_ != w_) {                                                                            \
            print_error("%s: %s: got 0x%016" PRIx64 ", expected 0x%016" PRIx64 "\n", (row),        \
                        (what), g_, w_);                                                           \
            fail();                                                                                \
        }                                                                                          \
    } while (0)

#endif

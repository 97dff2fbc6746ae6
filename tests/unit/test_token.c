/* Sealed conversation contexts (pa_token): what opens, and every way a token
 * must not: forged, damaged, foreign, expired, from the future; the secret
 * file's rotation and its mistakes. Times are given, not read. */
#include "unit.h"

#include "pa_token.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static const int64_t T0 = 1800000000; /* a Unix time in 2027 */
static const int64_t TTL = 1800;

static const char SECRET_A[] = "a-secret-of-the-replicas-at-least-32-bytes-long";
static const char SECRET_B[] = "another-secret-of-another-deployment-0123456789";

/* Writes content to a temporary file; its path goes to path (64 bytes). */
static void secret_file(char *path, const char *content)
{
    snprintf(path, 64, "/tmp/pa-token-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
    close(fd);
}

static pa_token_keys *keys_of(const char *content)
{
    char path[64], err[256] = "";
    secret_file(path, content);
    pa_token_keys *k = pa_token_keys_load(path, err, sizeof err);
    unlink(path);
    if (!k)
        print_error("%s\n", err);
    return k;
}

static int opens(const pa_token_keys *k, const char *token, int64_t now, char *out, size_t size)
{
    return pa_token_open(k, token, now, TTL, out, size);
}

static void test_round_trip_and_age(void **state)
{
    (void)state;
    pa_token_keys *k = keys_of(SECRET_A);
    assert_non_null(k);
    static const char context[] = "fr\tpartner.sopot\t2";
    char *token = pa_token_seal(k, context, strlen(context), T0);
    char out[128];
    static const struct {
        int64_t at; /* seconds after sealing */
        int opens;
    } rows[] = {
        {0, 1},
        {TTL, 1},
        {TTL + 1, 0},
        {-PA_TOKEN_CLOCK_SKEW_S, 1},     /* a replica's clock behind */
        {-PA_TOKEN_CLOCK_SKEW_S - 1, 0}, /* dated too far ahead */
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        char row[32];
        snprintf(row, sizeof row, "at %+lld s", (long long)rows[i].at);
        int n = opens(k, token, T0 + rows[i].at, out, sizeof out);
        EXPECT_INT(row, "opens", n >= 0, rows[i].opens);
        if (n >= 0)
            EXPECT_STR(row, "context", out, context);
    }
    /* a context that does not fit the caller's buffer is refused, not cut */
    assert_int_equal(opens(k, token, T0, out, 5), -1);
    free(token);
    pa_token_keys_free(k);
}

/* Every single character changed, dropped or added makes the token fail. */
static void test_tampering(void **state)
{
    (void)state;
    pa_token_keys *k = keys_of(SECRET_A);
    static const char context[] = "de\tpartner.frankenthal\t1";
    char *token = pa_token_seal(k, context, strlen(context), T0);
    size_t len = strlen(token);
    char copy[256], out[128];
    for (size_t i = 0; i < len; i++) {
        snprintf(copy, sizeof copy, "%s", token);
        copy[i] = copy[i] == 'A' ? 'B' : 'A';
        if (!strcmp(copy, token))
            continue;
        EXPECT_INT(copy, "opens", opens(k, copy, T0, out, sizeof out), -1);
    }
    static const char *damaged[] = {"", ".", "AQ.", ".AAAA", "no-dot-here", "A.B.C", "!!!.$$$"};
    for (size_t i = 0; i < sizeof damaged / sizeof *damaged; i++)
        EXPECT_INT(damaged[i], "opens", opens(k, damaged[i], T0, out, sizeof out), -1);
    snprintf(copy, sizeof copy, "%.*s", (int)(len - 1), token);
    EXPECT_INT(copy, "opens", opens(k, copy, T0, out, sizeof out), -1);
    snprintf(copy, sizeof copy, "%sA", token);
    EXPECT_INT(copy, "opens", opens(k, copy, T0, out, sizeof out), -1);
    free(token);
    pa_token_keys_free(k);
}

/* Another deployment's tokens do not open; a rotated secret keeps opening
 * the tokens sealed before the rotation, and seals with the new one. */
static void test_secrets(void **state)
{
    (void)state;
    pa_token_keys *a = keys_of(SECRET_A);
    pa_token_keys *b = keys_of(SECRET_B);
    char rotated[256];
    snprintf(rotated, sizeof rotated, "# new secret first\n%s\n\n%s\n", SECRET_B, SECRET_A);
    pa_token_keys *ba = keys_of(rotated);
    assert_non_null(ba);
    char out[128];
    char *by_a = pa_token_seal(a, "x", 1, T0);
    char *by_ba = pa_token_seal(ba, "y", 1, T0);
    EXPECT_INT("a's token, b's secret", "opens", opens(b, by_a, T0, out, sizeof out), -1);
    EXPECT_INT("a's token, rotated", "opens", opens(ba, by_a, T0, out, sizeof out), 1);
    EXPECT_INT("rotated token, b", "opens", opens(b, by_ba, T0, out, sizeof out), 1);
    EXPECT_INT("rotated token, a", "opens", opens(a, by_ba, T0, out, sizeof out), -1);
    /* a random secret of a process of its own: nobody else opens its tokens */
    char err[256];
    pa_token_keys *own = pa_token_keys_load(NULL, err, sizeof err);
    char *by_own = pa_token_seal(own, "z", 1, T0);
    EXPECT_INT("own token, own", "opens", opens(own, by_own, T0, out, sizeof out), 1);
    EXPECT_INT("own token, a", "opens", opens(a, by_own, T0, out, sizeof out), -1);
    free(by_a);
    free(by_ba);
    free(by_own);
    pa_token_keys_free(a);
    pa_token_keys_free(b);
    pa_token_keys_free(ba);
    pa_token_keys_free(own);
}

/* Secret files that cannot serve say where and why. */
static void test_bad_secret_files(void **state)
{
    (void)state;
    static const struct {
        const char *content, *want; /* want: what the reason says, after the path */
    } rows[] = {
        {"", ": no secret in the file (one per line)"},
        {"# only a comment\n\n", ": no secret in the file (one per line)"},
        {"short\n", ":1: a secret must have at least 32 characters"},
        {"# comment\n"
         "0123456789012345678901234567890123456789\n"
         "too short\n",
         ":3: a secret must have at least 32 characters"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        char path[64], err[256] = "";
        secret_file(path, rows[i].content);
        pa_token_keys *k = pa_token_keys_load(path, err, sizeof err);
        unlink(path);
        assert_null(k);
        char want[320];
        snprintf(want, sizeof want, "%s%s", path, rows[i].want);
        EXPECT_STR(rows[i].content, "error", err, want);
    }
    char err[256] = "";
    assert_null(pa_token_keys_load("/nonexistent/secret", err, sizeof err));
    EXPECT_STR("missing file", "error", err, "/nonexistent/secret: No such file or directory");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_and_age),
        cmocka_unit_test(test_tampering),
        cmocka_unit_test(test_secrets),
        cmocka_unit_test(test_bad_secret_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

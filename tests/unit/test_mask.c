/* pa_mask: personal data out of texts, in the five languages and Arabizi.
 * The table is tests/unit/data/mask_cases.json: each text and what it must
 * become, the texts that must stay (years, dates, counts) included. */
#include "unit.h"

#include "pa_mask.h"

#include <jansson.h>
#include <stdlib.h>

#define CASES PASSERELLE_SOURCE_DIR "/tests/unit/data/mask_cases.json"

static void test_table(void **state)
{
    (void)state;
    json_error_t err;
    json_t *root = json_load_file(CASES, 0, &err);
    if (!root)
        fail_msg("%s:%d: %s", CASES, err.line, err.text);
    json_t *cases = json_object_get(root, "cases");
    assert_true(json_array_size(cases) >= 50);
    size_t i, masked_rows = 0, kept_rows = 0;
    json_t *row;
    json_array_foreach(cases, i, row)
    {
        const char *text = json_string_value(json_object_get(row, "text"));
        const char *want = json_string_value(json_object_get(row, "masked"));
        assert_non_null(text);
        assert_non_null(want);
        char label[600];
        snprintf(label, sizeof label, "row %zu (%s) \"%s\"", i,
                 json_string_value(json_object_get(row, "lang")), text);
        pa_mask_counts counts;
        char *got = pa_mask(text, strlen(text), NULL, &counts);
        EXPECT_STR(label, "masked", got, want);
        /* the counts agree with the tokens in the result */
        size_t tokens = 0;
        for (const char *p = got; (p = strchr(p, '[')); p++)
            tokens += !strncmp(p, "[email]", 7) || !strncmp(p, "[phone]", 7) ||
                      !strncmp(p, "[number]", 8);
        EXPECT_INT(label, "counts", counts.emails + counts.phones + counts.numbers, tokens);
        masked_rows += strcmp(text, want) != 0;
        kept_rows += strcmp(text, want) == 0;
        free(got);
    }
    /* both kinds of rows, so that neither "mask nothing" nor "mask every
       number" could pass */
    assert_true(masked_rows >= 30);
    assert_true(kept_rows >= 15);
    json_decref(root);
}

/* The limit of [number] is a setting: it moves what a run of digits is. */
static void test_min_digits(void **state)
{
    (void)state;
    static const struct {
        size_t min;
        const char *text, *want;
    } rows[] = {
        {5, "92700 Colombes", "[number] Colombes"},
        {5, "depuis 1992", "depuis 1992"},
        {6, "92700 Colombes", "92700 Colombes"},
        {8, "PESEL 85010112345", "PESEL [number]"},
        {12, "PESEL 85010112345", "PESEL 85010112345"},
        {12, "tel. 601 234 567", "tel. [phone]"}, /* phones whatever the limit */
        {0, "ID 1234567890", "ID [number]"},      /* 0: the default */
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        pa_mask_config cfg = {rows[i].min};
        char *got = pa_mask(rows[i].text, strlen(rows[i].text), &cfg, NULL);
        EXPECT_STR(rows[i].text, "masked", got, rows[i].want);
        free(got);
    }
}

/* Whatever the bytes, the result is UTF-8 without NUL, fit for JSON. */
static void test_bytes(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        size_t len;
        const char *want;
    } rows[] = {
        {"abc\xff"
         "def",
         7,
         "abc\xef\xbf\xbd"
         "def"},
        {"a\0b", 3,
         "a\xef\xbf\xbd"
         "b"},
        {"\xed\xa0\x80 06 12 34 56 78", 18, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd [phone]"},
        {"x@y.fr\xc3", 7, "[email]\xef\xbf\xbd"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        char *got = pa_mask(rows[i].text, rows[i].len, NULL, NULL);
        EXPECT_STR(rows[i].want, "masked", got, rows[i].want);
        json_t *s = json_string(got);
        assert_non_null(s); /* jansson refuses strings that are not UTF-8 */
        json_decref(s);
        free(got);
    }
}

/* A long run stays one [number], and a long text costs linear time. */
static void test_long(void **state)
{
    (void)state;
    enum { N = 50000 };
    char *text = malloc(N + 1);
    memset(text, '7', N);
    text[N] = '\0';
    char *got = pa_mask(text, N, NULL, NULL);
    EXPECT_STR("50000 digits", "masked", got, "[number]");
    free(got);
    for (size_t i = 0; i < N; i++)
        text[i] = "a.b-c@"[i % 6];
    got = pa_mask(text, N, NULL, NULL);
    assert_non_null(got);
    free(got);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_min_digits),
        cmocka_unit_test(test_bytes),
        cmocka_unit_test(test_long),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* pa_diag: the list of problems a loader reports, their codes and lines. */
#include "unit.h"

#include "pa_diag.h"

#include <stdio.h>
#include <stdlib.h>

static void test_code_names(void **state)
{
    (void)state;
    for (int a = 0; a < PA_DIAG_CODE_END; a++) {
        const char *name = pa_diag_code_name(a);
        assert_true(strlen(name) > 0);
        for (const char *p = name; *p; p++) /* stable, tool-friendly names */
            assert_true((*p >= 'a' && *p <= 'z') || *p == '_');
        for (int b = a + 1; b < PA_DIAG_CODE_END; b++)
            assert_string_not_equal(name, pa_diag_code_name(b));
    }
    EXPECT_STR("out of range", "name", pa_diag_code_name(PA_DIAG_CODE_END), "");
    EXPECT_STR("unknown_key", "name", pa_diag_code_name(PA_DIAG_UNKNOWN_KEY), "unknown_key");
}

static const struct {
    pa_diag_severity severity;
    pa_diag_code code;
    const char *source;
    int line, column;
    const char *text, *formatted;
} rows[] = {
    {PA_DIAG_ERROR, PA_DIAG_UNKNOWN_KEY, "intents/a.json", 4, 3, "unknown key \"lable\"",
     "intents/a.json:4:3: unknown key \"lable\""},
    {PA_DIAG_WARNING, PA_DIAG_CONFUSABLE, "intents/b.json", 12, 7, "nearly the same",
     "intents/b.json:12:7: warning: nearly the same"},
    {PA_DIAG_ERROR, PA_DIAG_CANNOT_READ, "locales", 0, 0, "cannot read the file",
     "locales: cannot read the file"},
    {PA_DIAG_ERROR, PA_DIAG_NO_FILES, NULL, 0, 0, "no files", ": no files"},
};

static void test_add_and_format(void **state)
{
    (void)state;
    pa_diag d;
    pa_diag_init(&d);
    size_t n = sizeof rows / sizeof *rows;
    for (size_t i = 0; i < n; i++)
        pa_diag_add(&d, rows[i].severity, rows[i].code, rows[i].source, rows[i].line,
                    rows[i].column, "%s", rows[i].text);
    EXPECT_INT("count", "items", d.count, n);
    EXPECT_INT("count", "errors", d.errors, 3);
    EXPECT_INT("count", "warnings", d.warnings, 1);
    for (size_t i = 0; i < n; i++) {
        char line[PA_DIAG_SOURCE_MAX + PA_DIAG_TEXT_MAX + 32];
        pa_diag_format(&d.items[i], line, sizeof line);
        EXPECT_STR(rows[i].text, "line", line, rows[i].formatted);
        EXPECT_INT(rows[i].text, "code", d.items[i].code, rows[i].code);
    }
    /* printed in the order added, one per line */
    char *printed = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&printed, &size);
    pa_diag_print(&d, out);
    fclose(out);
    EXPECT_STR("print", "text", printed,
               "intents/a.json:4:3: unknown key \"lable\"\n"
               "intents/b.json:12:7: warning: nearly the same\n"
               "locales: cannot read the file\n"
               ": no files\n");
    free(printed);
    pa_diag_clear(&d);
    EXPECT_INT("clear", "items", d.count, 0);
    EXPECT_INT("clear", "errors", d.errors, 0);
}

/* Long messages are cut, not overflowed; a NULL list takes nothing. */
static void test_limits(void **state)
{
    (void)state;
    char long_text[PA_DIAG_TEXT_MAX * 2];
    memset(long_text, 'x', sizeof long_text - 1);
    long_text[sizeof long_text - 1] = '\0';
    pa_diag d;
    pa_diag_init(&d);
    for (int i = 0; i < 100; i++) /* past the first growth */
        pa_diag_add(&d, PA_DIAG_ERROR, PA_DIAG_TEXT_TOO_LONG, "f", i + 1, 1, "%s", long_text);
    EXPECT_INT("many", "count", d.count, 100);
    EXPECT_INT("many", "last line", d.items[99].line, 100);
    EXPECT_INT("cut", "length", strlen(d.items[0].text), PA_DIAG_TEXT_MAX - 1);
    pa_diag_clear(&d);
    pa_diag_add(NULL, PA_DIAG_ERROR, PA_DIAG_SYNTAX, "f", 1, 1, "ignored");
    pa_diag_clear(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_code_names),
        cmocka_unit_test(test_add_and_format),
        cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

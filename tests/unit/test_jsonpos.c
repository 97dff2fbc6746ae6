/* Positions of values in JSON text, for check's path:line:column. */
#include "unit.h"

#include "pa_jsonpos.h"

static const char text[] = "{\n"
                           "  \"id\": \"partner.sopot\",\n"
                           "  \"examples\": {\n"
                           "    \"pl\": [\"Sopot\", \"Gdzie leży Sopot?\", \"w Sopocie\"],\n"
                           "    \"a/b~c\": 1\n"
                           "  }\n"
                           "}\n";

static const struct {
    const char *pointer;
    int line, column, key_line, key_column;
} cases[] = {
    {"", 1, 1, 0, 0},
    {"/id", 2, 9, 2, 3},
    {"/examples", 3, 15, 3, 3},
    {"/examples/pl", 4, 11, 4, 5},
    {"/examples/pl/0", 4, 12, 0, 0},
    {"/examples/pl/1", 4, 21, 0, 0},
    {"/examples/pl/2", 4, 42, 0, 0}, /* columns count characters: "ż" is one */
    {"/examples/a~1b~0c", 5, 14, 5, 5},
};

static void test_positions(void **state)
{
    (void)state;
    pa_jsonpos pos;
    assert_int_equal(pa_jsonpos_scan(&pos, text, sizeof text - 1), 0);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const pa_jsonpos_entry *e = pa_jsonpos_find(&pos, cases[i].pointer);
        assert_non_null(e);
        EXPECT_INT(cases[i].pointer, "line", e->line, cases[i].line);
        EXPECT_INT(cases[i].pointer, "column", e->column, cases[i].column);
        EXPECT_INT(cases[i].pointer, "key line", e->key_line, cases[i].key_line);
        EXPECT_INT(cases[i].pointer, "key column", e->key_column, cases[i].key_column);
    }
    assert_null(pa_jsonpos_find(&pos, "/missing"));
    pa_jsonpos_free(&pos);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_positions)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}

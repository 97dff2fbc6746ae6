/* The conversation context a client carries (pa_context): what a session
 * writes, what another knowledge reads back of it, and texts that are not
 * contexts. On the fixture knowledge of tests/fixtures/turn. */
#include "unit.h"

#include "pa_context.h"

#include "fixture.h"

static pa_snapshot *snap;

static int setup(void **state)
{
    (void)state;
    snap = load_fixture(FIXTURE_TURN);
    return snap ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    pa_snapshot_free(snap);
    return 0;
}

static pa_session session_of(const char *lang, const char *intent, unsigned turns)
{
    pa_session s;
    pa_session_init(&s);
    s.lang = lang ? pa_snapshot_lang(snap, lang) : -1;
    snprintf(s.last_intent, sizeof s.last_intent, "%s", intent);
    s.turns = turns;
    return s;
}

/* What a session writes: nothing before the conversation has a language or
 * an intent, else the three fields. */
static void test_write(void **state)
{
    (void)state;
    static const struct {
        const char *lang, *intent;
        unsigned turns;
        const char *want;
    } rows[] = {
        {NULL, "", 0, ""},
        {"de", "", 0, "de\t\t0"},
        {"fr", "demo.sopot", 3, "fr\tdemo.sopot\t3"},
        {NULL, "demo.frankenthal", 1, "\tdemo.frankenthal\t1"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        pa_session s = session_of(rows[i].lang, rows[i].intent, rows[i].turns);
        char buf[PA_CONTEXT_TEXT_MAX];
        size_t n = pa_context_write(snap, &s, buf, sizeof buf);
        char row[32];
        snprintf(row, sizeof row, "row %zu", i);
        EXPECT_STR(row, "context", n ? buf : "", rows[i].want);
        EXPECT_INT(row, "length", n, strlen(rows[i].want));
    }
}

/* What is read back: known language and intent restored; what this
 * knowledge lacks (an intent removed since, a language it has not) dropped
 * while the rest is kept; anything that is not a context refused, leaving
 * the session as it was. */
static void test_read(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int rc;
        const char *lang, *intent; /* the session after (NULL lang: none) */
        unsigned turns;
    } rows[] = {
        {"fr\tdemo.sopot\t3", 0, "fr", "demo.sopot", 3},
        {"de\t\t0", 0, "de", "", 0},
        {"pl\tdemo.sopot\t2", 0, NULL, "demo.sopot", 2},
        {"fr\tpartner.gone\t5", 0, "fr", "", 5},
        {"fr\tdemo.sopot", -1, NULL, "", 0},
        {"fr\tdemo.sopot\t3\textra", -1, NULL, "", 0},
        {"fr\tdemo.sopot\tmany", -1, NULL, "", 0},
        {"fr\tdemo.sopot\t", -1, NULL, "", 0},
        {"fr\tdemo.sopot\t99999999999", -1, NULL, "", 0},
        {"", -1, NULL, "", 0},
        {"a-language-code-too-long\t\t1", -1, NULL, "", 0},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        pa_session s = session_of(NULL, "", 0);
        int rc = pa_context_read(snap, rows[i].text, strlen(rows[i].text), &s);
        EXPECT_INT(rows[i].text, "result", rc, rows[i].rc);
        EXPECT_INT(rows[i].text, "lang", s.lang,
                   rows[i].lang ? pa_snapshot_lang(snap, rows[i].lang) : -1);
        EXPECT_STR(rows[i].text, "last intent", s.last_intent, rows[i].intent);
        EXPECT_INT(rows[i].text, "turns", s.turns, rows[i].turns);
    }
}

/* A NUL inside the text ends nothing: such a text is not a context. */
static void test_read_with_nul(void **state)
{
    (void)state;
    static const char text[] = "fr\tdemo.so\0pot\t1";
    pa_session s = session_of(NULL, "", 0);
    assert_int_equal(pa_context_read(snap, text, sizeof text - 1, &s), -1);
    assert_string_equal(s.last_intent, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write),
        cmocka_unit_test(test_read),
        cmocka_unit_test(test_read_with_nul),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

/* The aggregation of the staff event log behind `passerelle report`: dates,
 * what becomes of each kind of line, and the sorted figures. */
#include "unit.h"

#include "pa_report.h"

#include <stdio.h>
#include <stdlib.h>

/* ---- dates --------------------------------------------------------------- */

static const struct {
    const char *text;
    int ok, day; /* day: days since 1970-01-01 when ok */
} days[] = {
    {"1970-01-01", 1, 0},       {"1970-01-02", 1, 1},
    {"2000-02-29", 1, 11016}, /* divisible by 400: leap */
    {"2024-02-29", 1, 19782},   {"2026-12-02", 1, 20789},
    {"2026-12-31", 1, 20818},   {"2027-01-01", 1, 20819},
    {"9999-12-31", 1, 2932896}, {"2023-02-29", 0, 0}, /* not a leap year */
    {"2100-02-29", 0, 0},                             /* divisible by 100, not 400 */
    {"2026-04-31", 0, 0},       {"2026-13-01", 0, 0},
    {"2026-00-10", 0, 0},       {"2026-01-00", 0, 0},
    {"1969-12-31", 0, 0}, /* before the epoch */
    {"2026-1-02", 0, 0},        {"2026-12-02x", 0, 0},
    {"2026/12/02", 0, 0},       {"", 0, 0},
    {"٢٠٢٦-١٢-٠٢", 0, 0}, /* Arabic-Indic digits are not the format's */
};

static void test_days(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof days / sizeof *days; i++) {
        int day = -12345;
        int rc = pa_report_parse_day(days[i].text, &day);
        EXPECT_INT(days[i].text, "parsed", rc == 0, days[i].ok);
        EXPECT_INT(days[i].text, "day", day, days[i].ok ? days[i].day : -12345);
        if (days[i].ok) {
            char back[11];
            pa_report_format_day(day, back);
            EXPECT_STR(days[i].text, "formatted back", back, days[i].text);
        }
    }
}

static const struct {
    const char *ts;
    int ok, day;
} stamps[] = {
    {"2026-12-02T04:10:15Z", 1, 20789},
    {"2026-12-02T00:00:00Z", 1, 20789},
    {"2026-12-02T23:59:59Z", 1, 20789},
    {"2026-12-31T23:59:60Z", 1, 20818}, /* a leap second */
    {"2026-12-02T04:10:15.123Z", 1, 20789},
    {"2026-12-02T04:10:15+00:00", 1, 20789},
    {"2026-12-02T04:10:15+01:00", 0, 0}, /* the log is in UTC */
    {"2026-12-02T04:10:15", 0, 0},
    {"2026-12-02 04:10:15Z", 0, 0},
    {"2026-12-02T24:00:00Z", 0, 0},
    {"2026-12-02T04:60:00Z", 0, 0},
    {"2026-12-02T04:10Z", 0, 0},
    {"2026-12-02T04:10:15.Z", 0, 0},
    {"2026-12-02", 0, 0},
    {"2026-02-30T04:10:15Z", 0, 0},
};

static void test_timestamps(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof stamps / sizeof *stamps; i++) {
        int day = -1;
        int rc = pa_report_parse_ts(stamps[i].ts, &day);
        EXPECT_INT(stamps[i].ts, "parsed", rc == 0, stamps[i].ok);
        if (stamps[i].ok)
            EXPECT_INT(stamps[i].ts, "day", day, stamps[i].day);
    }
}

static void test_periods(void **state)
{
    (void)state;
    pa_report r;
    EXPECT_INT("one day", "init", pa_report_init(&r, 100, 100), 0);
    EXPECT_INT("one day", "days", r.n_days, 1);
    pa_report_clear(&r);
    EXPECT_INT("longest", "init", pa_report_init(&r, 100, 100 + PA_REPORT_MAX_DAYS - 1), 0);
    EXPECT_INT("longest", "days", r.n_days, PA_REPORT_MAX_DAYS);
    pa_report_clear(&r);
    EXPECT_INT("too long", "init", pa_report_init(&r, 100, 100 + PA_REPORT_MAX_DAYS), -1);
    pa_report_clear(&r);
    EXPECT_INT("backwards", "init", pa_report_init(&r, 100, 99), -1);
    pa_report_clear(&r);
    pa_report_clear(&r); /* clearing twice is harmless */
}

/* ---- what becomes of each line -------------------------------------------- */

/* The period of these tables: 2026-12-01 to 2026-12-07. */
#define TS      "\"ts\":\"2026-12-02T04:10:15Z\""
#define TS_LAST "\"ts\":\"2026-12-07T23:59:59Z\""

static const struct {
    const char *line;
    pa_report_line kind;
} lines[] = {
    {"{" TS
     ",\"event\":\"answered\",\"lang\":\"fr\",\"intent\":\"partner.sopot\",\"confidence\":0.91}",
     PA_REPORT_USED},
    {"{" TS_LAST ",\"event\":\"answered\",\"lang\":\"fr\",\"intent\":\"partner.sopot\"}\r\n",
     PA_REPORT_USED},
    {"  {" TS ",\"event\":\"answered\",\"lang\":\"pt-BR\"}  ", PA_REPORT_USED},
    {"{" TS
     ",\"event\":\"unanswered\",\"lang\":\"pl\",\"text\":\"x\",\"nearest\":null,\"score\":0}",
     PA_REPORT_USED},
    {"{" TS ",\"event\":\"unanswered\",\"lang\":\"pl\",\"text\":\"x\"}", PA_REPORT_USED},
    {"{" TS ",\"event\":\"unanswered\",\"lang\":\"pl\",\"nearest\":\"a\"}", PA_REPORT_USED},
    {"{" TS ",\"event\":\"unanswered\",\"lang\":\"pl\",\"text\":null,\"nearest\":\"a\"}",
     PA_REPORT_USED},
    {"{" TS ",\"event\":\"clarification\",\"lang\":\"de\",\"choices\":[\"a\",\"b\"]}",
     PA_REPORT_USED},
    {"{" TS ",\"event\":\"feedback\",\"intent\":\"a\",\"useful\":true}", PA_REPORT_USED},
    {"{" TS ",\"event\":\"handoff\",\"lang\":\"ar\",\"state\":\"some_later_state\"}",
     PA_REPORT_USED},
    /* unknown fields are ignored, whatever their value */
    {"{" TS ",\"event\":\"answered\",\"lang\":\"fr\",\"replica\":{\"id\":[1,2]},\"x\":null}",
     PA_REPORT_USED},
    /* outside the period: silent, whatever else is wrong */
    {"{\"ts\":\"2026-11-30T23:59:59Z\",\"event\":\"answered\",\"lang\":\"fr\"}", PA_REPORT_OUTSIDE},
    {"{\"ts\":\"2026-12-08T00:00:00Z\",\"event\":\"answered\"}", PA_REPORT_OUTSIDE},
    {"", PA_REPORT_BLANK},
    {" \t\r\n", PA_REPORT_BLANK},
    {"not json", PA_REPORT_NOT_JSON},
    {"{\"ts\":", PA_REPORT_NOT_JSON},
    {"[1, 2]", PA_REPORT_NOT_JSON},
    {"\"answered\"", PA_REPORT_NOT_JSON},
    {"{" TS ",\"event\":\"reload\",\"lang\":\"fr\"}", PA_REPORT_UNKNOWN_EVENT},
    {"{" TS ",\"lang\":\"fr\"}", PA_REPORT_UNKNOWN_EVENT},
    {"{" TS ",\"event\":7}", PA_REPORT_UNKNOWN_EVENT},
    {"{\"event\":\"answered\",\"lang\":\"fr\"}", PA_REPORT_INVALID},
    {"{\"ts\":\"yesterday\",\"event\":\"answered\",\"lang\":\"fr\"}", PA_REPORT_INVALID},
    {"{" TS ",\"event\":\"answered\"}", PA_REPORT_INVALID},
    {"{" TS ",\"event\":\"answered\",\"lang\":\"\"}", PA_REPORT_INVALID},
    {"{" TS ",\"event\":\"answered\",\"lang\":\"<b>\"}", PA_REPORT_INVALID},
    {"{" TS ",\"event\":\"answered\",\"lang\":\"f\"}", PA_REPORT_INVALID},
    {"{" TS ",\"event\":\"answered\",\"lang\":\"abcdefghijklmnop\"}", PA_REPORT_INVALID},
    {"{" TS ",\"event\":\"unanswered\",\"lang\":\"nl\",\"text\":42}", PA_REPORT_INVALID},
    {"{" TS ",\"event\":\"unanswered\",\"lang\":\"nl\",\"nearest\":\"two words\"}",
     PA_REPORT_INVALID},
    {"{" TS ",\"event\":\"unanswered\",\"lang\":\"nl\",\"nearest\":3}", PA_REPORT_INVALID},
    {"{" TS ",\"event\":\"clarification\",\"lang\":\"it\",\"choices\":[]}", PA_REPORT_INVALID},
    {"{" TS ",\"event\":\"clarification\",\"lang\":\"it\",\"choices\":[\"a\",1]}",
     PA_REPORT_INVALID},
    {"{" TS ",\"event\":\"clarification\",\"lang\":\"it\"}", PA_REPORT_INVALID},
    {"{" TS ",\"event\":\"feedback\",\"intent\":\"a\",\"useful\":\"no\"}", PA_REPORT_INVALID},
    {"{" TS ",\"event\":\"feedback\",\"useful\":false}", PA_REPORT_INVALID},
    {"{" TS ",\"event\":\"handoff\",\"lang\":\"es\"}", PA_REPORT_INVALID},
    {"{" TS ",\"event\":\"handoff\",\"state\":\"queued\"}", PA_REPORT_INVALID},
};

static void test_lines(void **state)
{
    (void)state;
    int from, to;
    assert_int_equal(pa_report_parse_day("2026-12-01", &from), 0);
    assert_int_equal(pa_report_parse_day("2026-12-07", &to), 0);
    pa_report r;
    assert_int_equal(pa_report_init(&r, from, to), 0);
    size_t want[PA_REPORT_LINE_KINDS] = {0};
    for (size_t i = 0; i < sizeof lines / sizeof *lines; i++) {
        char row[32];
        snprintf(row, sizeof row, "line %zu", i);
        EXPECT_INT(row, "kind", pa_report_feed(&r, lines[i].line, strlen(lines[i].line)),
                   lines[i].kind);
        want[lines[i].kind]++;
    }
    for (int k = 0; k < PA_REPORT_LINE_KINDS; k++)
        EXPECT_INT("counts", "lines of a kind", r.lines[k], want[k]);
    /* the languages of the lines used, not of those refused ("nl", "it" and
     * "es" come only in refused unanswered, clarification and handoff lines) */
    EXPECT_INT("languages", "count", r.n_langs, 5);
    static const char *const seen[] = {"fr", "pt-BR", "pl", "de", "ar"};
    for (size_t i = 0; i < 5 && i < r.n_langs; i++)
        EXPECT_STR("languages", "in the order met", r.langs[i], seen[i]);
    EXPECT_INT("counts", "skipped", pa_report_skipped(&r),
               want[PA_REPORT_NOT_JSON] + want[PA_REPORT_UNKNOWN_EVENT] + want[PA_REPORT_INVALID]);
    pa_report_clear(&r);
}

/* A line without its end, the buffer going on: only len bytes are read. */
static void test_length(void **state)
{
    (void)state;
    static const char buffer[] = "{" TS ",\"event\":\"answered\",\"lang\":\"fr\"}GARBAGE";
    pa_report r;
    assert_int_equal(pa_report_init(&r, 20789, 20789), 0);
    EXPECT_INT("prefix", "kind", pa_report_feed(&r, buffer, sizeof buffer - 1 - 7), PA_REPORT_USED);
    EXPECT_INT("whole", "kind", pa_report_feed(&r, buffer, sizeof buffer - 1), PA_REPORT_NOT_JSON);
    pa_report_clear(&r);
}

/* ---- the figures ---------------------------------------------------------- */

#define DAY1 "\"ts\":\"2026-12-01T08:00:00Z\""
#define DAY2 "\"ts\":\"2026-12-02T08:00:00Z\""
#define DAY3 "\"ts\":\"2026-12-03T08:00:00Z\""

/* A week's log, small enough to count by hand. */
static const char *const week[] = {
    "{" DAY1 ",\"event\":\"answered\",\"lang\":\"fr\",\"intent\":\"partner.sopot\"}",
    "{" DAY1 ",\"event\":\"answered\",\"lang\":\"fr\",\"intent\":\"partner.sopot\"}",
    "{" DAY1 ",\"event\":\"unanswered\",\"lang\":\"fr\",\"text\":\"Et la piscine ?\","
    "\"nearest\":null,\"score\":0}",
    "{" DAY1 ",\"event\":\"unanswered\",\"lang\":\"pl\",\"text\":\"Gdzie jest Sopot?\","
    "\"nearest\":\"partner.sopot\",\"score\":0.3}",
    "{" DAY2 ",\"event\":\"unanswered\",\"lang\":\"pl\",\"text\":\"Gdzie jest Sopot?\","
    "\"nearest\":\"partner.sopot\",\"score\":0.2}",
    "{" DAY2 ",\"event\":\"unanswered\",\"lang\":\"pl\",\"text\":\"Sopot [phone]\","
    "\"nearest\":\"partner.sopot\",\"score\":0.4}",
    "{" DAY2 ",\"event\":\"unanswered\",\"lang\":\"fr\",\"text\":\"Sopot, c'est loin ?\","
    "\"nearest\":\"partner.sopot\",\"score\":0.35}",
    "{" DAY2 ",\"event\":\"unanswered\",\"lang\":\"de\",\"text\":\"Wetter?\",\"nearest\":null}",
    "{" DAY2 ",\"event\":\"clarification\",\"lang\":\"de\",\"text\":\"[masked]\","
    "\"choices\":[\"twinning.history\",\"partner.frankenthal\"]}",
    "{" DAY3 ",\"event\":\"clarification\",\"lang\":\"fr\",\"text\":\"[masked]\","
    "\"choices\":[\"partner.frankenthal\",\"twinning.history\"]}",
    "{" DAY3 ",\"event\":\"clarification\",\"lang\":\"fr\","
    "\"choices\":[\"partner.sopot\",\"twinning.history\"]}",
    "{" DAY3
    ",\"event\":\"feedback\",\"lang\":\"fr\",\"intent\":\"partner.sopot\",\"useful\":false}",
    "{" DAY3
    ",\"event\":\"feedback\",\"lang\":\"fr\",\"intent\":\"partner.sopot\",\"useful\":true}",
    "{" DAY3 ",\"event\":\"feedback\",\"lang\":\"fr\",\"intent\":\"contact\",\"useful\":false}",
    "{" DAY3 ",\"event\":\"feedback\",\"lang\":\"fr\",\"intent\":\"contact\",\"useful\":false}",
    "{" DAY3 ",\"event\":\"feedback\",\"lang\":\"fr\",\"intent\":\"twinning.history\","
    "\"useful\":false}",
    "{" DAY3 ",\"event\":\"handoff\",\"lang\":\"ar\",\"state\":\"delivered\"}",
    "{" DAY3 ",\"event\":\"handoff\",\"lang\":\"ar\",\"state\":\"queued\"}",
    "{" DAY3 ",\"event\":\"handoff\",\"lang\":\"fr\",\"state\":\"queued\"}",
    "{" DAY3 ",\"event\":\"handoff\",\"lang\":\"ar\",\"state\":\"archived\"}",
    "{" DAY3 ",\"event\":\"handoff\",\"lang\":\"ar\",\"state\":\"dead_letter\"}",
};

/* The languages by their code in the report's order. */
static const char *lang_at(const pa_report *r, size_t rank)
{
    return r->langs[r->lang_order[rank]];
}

static int lang_index(const pa_report *r, const char *code)
{
    for (size_t i = 0; i < r->n_langs; i++)
        if (!strcmp(r->langs[i], code))
            return (int)i;
    return -1;
}

static pa_report *read_week(void)
{
    pa_report *r = malloc(sizeof *r);
    assert_non_null(r);
    assert_int_equal(pa_report_init(r, 20788, 20794), 0); /* 2026-12-01 to 12-07 */
    for (size_t i = 0; i < sizeof week / sizeof *week; i++)
        EXPECT_INT(week[i], "kind", pa_report_feed(r, week[i], strlen(week[i])), PA_REPORT_USED);
    pa_report_finish(r);
    return r;
}

static void free_week(pa_report *r)
{
    pa_report_clear(r);
    free(r);
}

static void test_totals(void **state)
{
    (void)state;
    pa_report *r = read_week();
    EXPECT_INT("total", "questions", r->total.questions, 11);
    EXPECT_INT("total", "answered", r->total.answered, 2);
    /* fr 6 questions, pl 3, de 2, ar none (handoffs only) */
    EXPECT_INT("langs", "count", r->n_langs, 4);
    static const char *const order[] = {"fr", "pl", "de", "ar"};
    static const size_t questions[] = {6, 3, 2, 0}, answered[] = {2, 0, 0, 0};
    for (size_t i = 0; i < 4; i++) {
        EXPECT_STR("langs", "order", lang_at(r, i), order[i]);
        EXPECT_INT(order[i], "questions", r->per_lang[r->lang_order[i]].questions, questions[i]);
        EXPECT_INT(order[i], "answered", r->per_lang[r->lang_order[i]].answered, answered[i]);
    }
    /* per day: {day, lang, questions, answered} */
    static const struct {
        size_t day;
        const char *lang;
        size_t questions, answered;
    } cells[] = {{0, "fr", 3, 2}, {0, "pl", 1, 0}, {1, "pl", 2, 0}, {1, "fr", 1, 0},
                 {1, "de", 2, 0}, {2, "fr", 2, 0}, {2, "de", 0, 0}, {6, "fr", 0, 0}};
    for (size_t i = 0; i < sizeof cells / sizeof *cells; i++) {
        const pa_report_count *c = pa_report_day(r, cells[i].day, lang_index(r, cells[i].lang));
        EXPECT_INT(cells[i].lang, "questions that day", c->questions, cells[i].questions);
        EXPECT_INT(cells[i].lang, "answered that day", c->answered, cells[i].answered);
    }
    free_week(r);
}

static void test_gaps(void **state)
{
    (void)state;
    pa_report *r = read_week();
    /* most questions first; among equals, the language with more questions */
    static const struct {
        const char *lang, *nearest;
        size_t count, texts;
        const char *first_text;
        size_t first_count;
        double mean;
    } gaps[] = {
        {"pl", "partner.sopot", 3, 2, "Gdzie jest Sopot?", 2, 0.3},
        {"fr", "partner.sopot", 1, 1, "Sopot, c'est loin ?", 1, 0.35},
        {"fr", NULL, 1, 1, "Et la piscine ?", 1, 0},
        {"de", NULL, 1, 1, "Wetter?", 1, -1}, /* no score */
    };
    EXPECT_INT("gaps", "count", r->n_gaps, 4);
    for (size_t i = 0; i < 4 && i < r->n_gaps; i++) {
        const pa_report_gap *g = &r->gaps[i];
        EXPECT_STR(gaps[i].lang, "lang", r->langs[g->lang], gaps[i].lang);
        EXPECT_STR(gaps[i].lang, "nearest", g->nearest, gaps[i].nearest);
        EXPECT_INT(gaps[i].lang, "count", g->count, gaps[i].count);
        EXPECT_INT(gaps[i].lang, "distinct texts", g->n_texts, gaps[i].texts);
        EXPECT_STR(gaps[i].lang, "first text", g->texts[0].text, gaps[i].first_text);
        EXPECT_INT(gaps[i].lang, "first text's count", g->texts[0].count, gaps[i].first_count);
        if (gaps[i].mean < 0)
            EXPECT_INT(gaps[i].lang, "scored", g->scored, 0);
        else
            EXPECT_INT(gaps[i].lang, "mean score × 1000",
                       (long)(1000 * g->score_sum / (double)g->scored + 0.5),
                       (long)(1000 * gaps[i].mean + 0.5));
    }
    /* the same summed over languages: Sopot 4, none 2 */
    EXPECT_INT("topics", "count", r->n_topics, 2);
    EXPECT_STR("topics", "first", r->topics[0].nearest, "partner.sopot");
    EXPECT_INT("topics", "first count", r->topics[0].count, 4);
    EXPECT_STR("topics", "second", r->topics[1].nearest, NULL);
    EXPECT_INT("topics", "second count", r->topics[1].count, 2);
    free_week(r);
}

static void test_feedback_choices_handoffs(void **state)
{
    (void)state;
    pa_report *r = read_week();
    /* most "not useful" first; then the worse share (no "useful" beats one) */
    static const struct {
        const char *intent;
        size_t useful, not_useful;
    } feedback[] = {{"contact", 0, 2}, {"twinning.history", 0, 1}, {"partner.sopot", 1, 1}};
    EXPECT_INT("feedback", "count", r->n_feedback, 3);
    for (size_t i = 0; i < 3 && i < r->n_feedback; i++) {
        EXPECT_STR(feedback[i].intent, "intent", r->feedback[i].intent, feedback[i].intent);
        EXPECT_INT(feedback[i].intent, "useful", r->feedback[i].useful, feedback[i].useful);
        EXPECT_INT(feedback[i].intent, "not useful", r->feedback[i].not_useful,
                   feedback[i].not_useful);
    }
    /* the same two choices in another order are one set */
    EXPECT_INT("choices", "sets", r->n_choices, 2);
    EXPECT_INT("choices", "first count", r->choices[0].count, 2);
    EXPECT_INT("choices", "first size", r->choices[0].n_choices, 2);
    EXPECT_STR("choices", "first, sorted", r->choices[0].choices[0], "partner.frankenthal");
    EXPECT_STR("choices", "first, sorted", r->choices[0].choices[1], "twinning.history");
    EXPECT_INT("choices", "second count", r->choices[1].count, 1);
    EXPECT_STR("choices", "second", r->choices[1].choices[0], "partner.sopot");
    /* the format's states in a message's order, then later ones by name */
    static const struct {
        const char *state;
        size_t ar, fr, total;
    } handoffs[] = {{"queued", 1, 1, 2},
                    {"delivered", 1, 0, 1},
                    {"dead_letter", 1, 0, 1},
                    {"archived", 1, 0, 1}};
    EXPECT_INT("handoffs", "states", r->n_handoffs, 4);
    int ar = lang_index(r, "ar"), fr = lang_index(r, "fr");
    for (size_t i = 0; i < 4 && i < r->n_handoffs; i++) {
        EXPECT_STR(handoffs[i].state, "state", r->handoffs[i].state, handoffs[i].state);
        EXPECT_INT(handoffs[i].state, "ar", r->handoffs[i].by_lang[ar], handoffs[i].ar);
        EXPECT_INT(handoffs[i].state, "fr", r->handoffs[i].by_lang[fr], handoffs[i].fr);
        EXPECT_INT(handoffs[i].state, "total", r->handoffs[i].total, handoffs[i].total);
    }
    free_week(r);
}

/* More languages than a report holds: the lines beyond are skipped, counted. */
static void test_language_limit(void **state)
{
    (void)state;
    pa_report r;
    assert_int_equal(pa_report_init(&r, 20789, 20789), 0);
    for (int i = 0; i < PA_REPORT_MAX_LANGS + 3; i++) {
        char line[128];
        snprintf(line, sizeof line, "{" TS ",\"event\":\"answered\",\"lang\":\"x%c%c\"}",
                 'a' + i / 26, 'a' + i % 26);
        EXPECT_INT(line, "kind", pa_report_feed(&r, line, strlen(line)),
                   i < PA_REPORT_MAX_LANGS ? PA_REPORT_USED : PA_REPORT_INVALID);
    }
    EXPECT_INT("limit", "languages", r.n_langs, PA_REPORT_MAX_LANGS);
    EXPECT_INT("limit", "questions", r.total.questions, PA_REPORT_MAX_LANGS);
    pa_report_finish(&r);
    pa_report_clear(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_days),           cmocka_unit_test(test_timestamps),
        cmocka_unit_test(test_periods),        cmocka_unit_test(test_lines),
        cmocka_unit_test(test_length),         cmocka_unit_test(test_totals),
        cmocka_unit_test(test_gaps),           cmocka_unit_test(test_feedback_choices_handoffs),
        cmocka_unit_test(test_language_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

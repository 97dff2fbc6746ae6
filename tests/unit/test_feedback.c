/* Votes on answers and the staff event log, through the server without its
 * transport (pa_service): the feedback frame is read and checked (core), its
 * reply, its counter in /metrics (only intents of the knowledge), the rate
 * limit it counts against; and the event each question and vote leaves in
 * the staff log, with what residents typed masked. On a copy of the fixture
 * knowledge of tests/fixtures/turn. */
#include "unit.h"

#include "pa_events.h"
#include "pa_service.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fixture.h"

static const int64_t SECOND = 1000000;

typedef struct {
    char dir[64], intents[96], locales[96], log[96], err[96];
    pa_events *events;
    pa_service *svc;
} world;

static int setup(void **state)
{
    world *w = calloc(1, sizeof *w);
    snprintf(w->dir, sizeof w->dir, "/tmp/pa-feedback-XXXXXX");
    if (!mkdtemp(w->dir))
        return -1;
    char cmd[256];
    snprintf(cmd, sizeof cmd, "cp -R '%s/intents' '%s/locales' '%s/'", FIXTURE_TURN, FIXTURE_TURN,
             w->dir);
    if (system(cmd) != 0)
        return -1;
    snprintf(w->intents, sizeof w->intents, "%s/intents", w->dir);
    snprintf(w->locales, sizeof w->locales, "%s/locales", w->dir);
    snprintf(w->log, sizeof w->log, "%s/staff.jsonl", w->dir);
    snprintf(w->err, sizeof w->err, "%s/stderr.txt", w->dir);
    pa_events_config ec = {.path = w->log, .retention_period_ms = -1};
    char err[256];
    w->events = pa_events_open(&ec, err, sizeof err);
    pa_service_config cfg = {.intents_dir = w->intents,
                             .locales_dir = w->locales,
                             .version = "test",
                             .limits = pa_turn_limits_default(),
                             .rate = {.burst = 3, .per_second = 1},
                             .events = w->events};
    w->svc = w->events ? pa_service_new(&cfg, NULL, NULL) : NULL;
    *state = w;
    return w->svc ? 0 : -1;
}

static int teardown(void **state)
{
    world *w = *state;
    pa_service_free(w->svc);
    pa_events_close(w->events);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", w->dir);
    int rc = system(cmd);
    free(w);
    return rc == 0 ? 0 : -1;
}

static json_t *message(world *w, pa_conn *c, const char *frame, int64_t now)
{
    char *reply = pa_service_message(w->svc, c, frame, strlen(frame), PA_PROTO_OK, now);
    json_t *o = json_loads(reply, 0, NULL);
    assert_non_null(o);
    free(reply);
    return o;
}

static const char *str(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

/* ---- the frame ----------------------------------------------------------- */

static void test_parse(void **state)
{
    (void)state;
    static const struct {
        const char *frame;
        pa_proto_error code;
        int useful;
    } rows[] = {
        {"{\"type\":\"feedback\",\"intent\":\"demo.sopot\",\"useful\":true,\"id\":1}", PA_PROTO_OK,
         1},
        {"{\"type\":\"feedback\",\"intent\":\"demo.sopot\",\"useful\":false,\"lang\":\"de\"}",
         PA_PROTO_OK, 0},
        {"{\"type\":\"feedback\",\"intent\":\"x\",\"useful\":\"yes\"}", PA_PROTO_BAD_FIELD, 0},
        {"{\"type\":\"feedback\",\"intent\":\"x\",\"useful\":1}", PA_PROTO_BAD_FIELD, 0},
        {"{\"type\":\"feedback\",\"intent\":\"x\"}", PA_PROTO_BAD_FIELD, 0},
        {"{\"type\":\"feedback\",\"intent\":7,\"useful\":true}", PA_PROTO_BAD_FIELD, 0},
        {"{\"type\":\"feedback\",\"useful\":true}", PA_PROTO_BAD_FIELD, 0},
        {"{\"type\":\"feedback\",\"intent\":\"x\",\"useful\":true,\"lang\":5}", PA_PROTO_BAD_FIELD,
         0},
        {"{\"type\":\"Feedback\",\"intent\":\"x\",\"useful\":true}", PA_PROTO_UNKNOWN_TYPE, 0},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        pa_request req;
        pa_proto_error code = pa_protocol_parse(rows[i].frame, strlen(rows[i].frame), 1000, &req);
        EXPECT_INT(rows[i].frame, "code", code, rows[i].code);
        if (code == PA_PROTO_OK) {
            EXPECT_INT(rows[i].frame, "feedback", req.feedback, 1);
            EXPECT_INT(rows[i].frame, "useful", req.useful, rows[i].useful);
            EXPECT_STR(rows[i].frame, "intent", req.intent, "demo.sopot");
        }
        pa_request_clear(&req);
    }
}

/* ---- votes through the service ------------------------------------------- */

static void expect_reply(json_t *o, const char *type, const char *code, const char *id)
{
    char *text = json_dumps(o, JSON_COMPACT);
    EXPECT_STR(text, "type", str(o, "type"), type);
    if (code)
        EXPECT_STR(text, "code", str(o, "code"), code);
    else
        assert_true(json_is_true(json_object_get(o, "ok")));
    EXPECT_STR(text, "id", str(o, "id"), id);
    free(text);
    json_decref(o);
}

static void test_votes(void **state)
{
    world *w = *state;
    pa_conn c;
    free(pa_service_open(w->svc, &c, "fr", 0));
    int64_t t = 10 * SECOND; /* a second apart: the rate limit stays out of the way */
    expect_reply(message(w, &c,
                         "{\"type\":\"feedback\",\"intent\":\"demo.sopot\",\"useful\":true,"
                         "\"lang\":\"de\",\"id\":\"v1\"}",
                         t += SECOND),
                 "feedback", NULL, "v1");
    expect_reply(message(w, &c,
                         "{\"type\":\"feedback\",\"intent\":\"demo.sopot\",\"useful\":false,"
                         "\"id\":\"v2\"}",
                         t += SECOND),
                 "feedback", NULL, "v2");
    /* what clients may not count: an intent the knowledge lacks, the fallback
       intent (no answer to vote on), a vote that is no boolean */
    expect_reply(message(w, &c,
                         "{\"type\":\"feedback\",\"intent\":\"made.up\",\"useful\":true,"
                         "\"id\":\"v3\"}",
                         t += SECOND),
                 "error", "unknown_intent", "v3");
    expect_reply(message(w, &c,
                         "{\"type\":\"feedback\",\"intent\":\"aaa.unanswered\",\"useful\":true,"
                         "\"id\":\"v4\"}",
                         t += SECOND),
                 "error", "unknown_intent", "v4");
    expect_reply(message(w, &c,
                         "{\"type\":\"feedback\",\"intent\":\"demo.sopot\",\"useful\":\"oui\","
                         "\"id\":\"v5\"}",
                         t += SECOND),
                 "error", "bad_field", "v5");
    char *metrics = pa_service_metrics(w->svc);
    static const char *const present[] = {
        "# TYPE passerelle_feedback_total counter\n",
        "passerelle_feedback_total{intent=\"demo.sopot\",lang=\"de\",useful=\"yes\"} 1\n",
        "passerelle_feedback_total{intent=\"demo.sopot\",lang=\"de\",useful=\"no\"} 0\n",
        "passerelle_feedback_total{intent=\"demo.sopot\",lang=\"fr\",useful=\"no\"} 1\n",
        "passerelle_feedback_total{intent=\"demo.sopot\",lang=\"fr\",useful=\"yes\"} 0\n",
        "passerelle_protocol_errors_total{code=\"unknown_intent\"} 2\n",
    };
    for (size_t i = 0; i < sizeof present / sizeof *present; i++)
        if (!strstr(metrics, present[i]))
            fail_msg("/metrics lacks %s", present[i]);
    assert_null(strstr(metrics, "made.up"));
    assert_null(strstr(metrics, "aaa.unanswered"));
    /* a vote is no question */
    assert_null(strstr(metrics, "passerelle_questions_total{"));
    free(metrics);
    pa_service_close(w->svc, &c);
}

/* Votes count against the connection's rate limit, like questions. */
static void test_votes_rate_limited(void **state)
{
    world *w = *state;
    pa_conn c;
    free(pa_service_open(w->svc, &c, "fr", 0));
    const char *vote = "{\"type\":\"feedback\",\"intent\":\"demo.hello\",\"useful\":true,\"id\":9}";
    for (int i = 0; i < 3; i++) /* the burst */
        json_decref(message(w, &c, vote, SECOND));
    json_t *o = message(w, &c, vote, SECOND);
    EXPECT_STR("fourth vote at once", "code", str(o, "code"), "rate_limited");
    json_decref(o);
    pa_service_close(w->svc, &c);
}

/* ---- the events ---------------------------------------------------------- */

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

static void test_events(void **state)
{
    world *w = *state;
    fflush(stderr);
    int saved = dup(2);
    assert_non_null(freopen(w->err, "w", stderr));
    pa_conn c;
    free(pa_service_open(w->svc, &c, "fr", 0));
    static const struct {
        const char *frame, *kind;
    } turns[] = {
        {"{\"type\":\"ask\",\"text\":\"Où se trouve Sopot ?\"}", "answer"},
        {"{\"type\":\"ask\",\"text\":\"Sopot et Frankenthal\"}", "fallback"},
        {"{\"type\":\"ask\",\"text\":\"Quel temps fait-il ? Écrivez à jan.kowalski@wp.pl ou au "
         "06 12 34 56 78, carte 4970 1012 3456 7890\"}",
         "fallback"},
        {"{\"type\":\"ask\",\"text\":\"Où est Frankenthal ? Où est Sopot ? tel +48 601 234 "
         "567\"}",
         "clarify"},
        {"{\"type\":\"ask\",\"intent\":\"demo.hello\",\"lang\":\"de\"}", "answer"},
        {"{\"type\":\"feedback\",\"intent\":\"demo.hello\",\"useful\":true,\"lang\":\"de\"}", ""},
        {"{\"type\":\"ping\"}", ""},
        {"{\"type\":\"ask\"}", ""}, /* an error: no event */
    };
    int64_t t = 100 * SECOND;
    for (size_t i = 0; i < sizeof turns / sizeof *turns; i++) {
        json_t *o = message(w, &c, turns[i].frame, t += 2 * SECOND);
        if (*turns[i].kind)
            EXPECT_STR(turns[i].frame, "kind", str(o, "kind"), turns[i].kind);
        json_decref(o);
    }
    pa_service_close(w->svc, &c);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);

    static const char *const events[] = {"answered",      "unanswered", "unanswered",
                                         "clarification", "answered",   "feedback"};
    size_t n = 0;
    char *log = slurp(w->log);
    for (char *line = strtok(log, "\n"); line; line = strtok(NULL, "\n"), n++) {
        json_t *o = json_loads(line, 0, NULL);
        assert_non_null(o);
        assert_true(n < sizeof events / sizeof *events);
        EXPECT_STR(line, "event", str(o, "event"), events[n]);
        assert_int_equal(strlen(str(o, "ts")), 20);
        json_t *text = json_object_get(o, "text");
        /* the text of questions the bot could not answer, and only theirs */
        EXPECT_INT(line, "has text", text != NULL, n >= 1 && n <= 3);
        if (n == 0 || n == 4) {
            EXPECT_STR(line, "intent", str(o, "intent"), n ? "demo.hello" : "demo.sopot");
            assert_true(json_is_number(json_object_get(o, "confidence")));
        }
        if (n == 1) {
            EXPECT_STR(line, "text", str(o, "text"), "Sopot et Frankenthal");
            assert_true(!strncmp(str(o, "nearest"), "demo.", 5));
            assert_true(json_real_value(json_object_get(o, "score")) > 0);
        }
        if (n == 2)
            EXPECT_STR(line, "text", str(o, "text"),
                       "Quel temps fait-il ? Écrivez à [email] ou au [phone], carte [number]");
        if (n == 3) {
            EXPECT_STR(line, "text", str(o, "text"),
                       "Où est Frankenthal ? Où est Sopot ? tel [phone]");
            EXPECT_INT(line, "choices", json_array_size(json_object_get(o, "choices")), 2);
        }
        if (n == 4 || n == 5)
            EXPECT_STR(line, "lang", str(o, "lang"), "de");
        if (n == 5)
            assert_true(json_is_true(json_object_get(o, "useful")));
        json_decref(o);
    }
    EXPECT_INT("staff log", "events", n, sizeof events / sizeof *events);
    /* nothing personal in the log, nor on stderr */
    static const char *const personal[] = {"kowalski", "56 78", "601 234", "3456"};
    const char *files[] = {w->log, w->err};
    for (size_t f = 0; f < 2; f++) {
        char *text = slurp(files[f]);
        for (size_t i = 0; i < sizeof personal / sizeof *personal; i++)
            if (strstr(text, personal[i]))
                fail_msg("%s holds \"%s\"", files[f], personal[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test_setup_teardown(test_votes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_votes_rate_limited, setup, teardown),
        cmocka_unit_test_setup_teardown(test_events, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

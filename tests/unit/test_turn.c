/* One turn, from a frame or a request to the frame the client gets, on the
 * fixture knowledge of tests/fixtures/turn (two languages; its fallback
 * intent, aaa.unanswered, sorts first). Each row: what comes in and what must
 * go out. */
#include "unit.h"

#include "fixture.h"

#include "pa_turn.h"

#include <stdlib.h>

static pa_snapshot *snapshot;

static int load(void **state)
{
    (void)state;
    snapshot = load_fixture(FIXTURE_TURN);
    return snapshot ? 0 : -1;
}

static int unload(void **state)
{
    (void)state;
    pa_snapshot_free(snapshot);
    return 0;
}

/* What a rendered frame says, read back from its JSON. */
typedef struct {
    char type[16], code[32], intent[64], lang[8], kind[16], id[16];
} frame_fields;

static void copy_field(json_t *o, const char *key, char *out, size_t size)
{
    json_t *v = json_object_get(o, key);
    snprintf(out, size, "%s",
             json_is_string(v) ? json_string_value(v)
             : json_is_null(v) ? "null"
                               : "");
}

static frame_fields read_frame(const pa_turn *t)
{
    frame_fields f;
    char *text = pa_turn_render(snapshot, t);
    json_t *o = json_loads(text, 0, NULL);
    assert_non_null(o);
    copy_field(o, "type", f.type, sizeof f.type);
    copy_field(o, "code", f.code, sizeof f.code);
    copy_field(o, "intent", f.intent, sizeof f.intent);
    copy_field(o, "lang", f.lang, sizeof f.lang);
    copy_field(o, "kind", f.kind, sizeof f.kind);
    copy_field(o, "id", f.id, sizeof f.id);
    json_decref(o);
    free(text);
    return f;
}

/* Expected: type "answer" with intent ("null" for the fallback) and kind,
 * or type "error" with code; then the frame's language and echoed id. */
typedef struct {
    const char *frame;
    pa_proto_error refused;
    const char *type, *what, *kind, *lang, *id;
} frame_row;

static const frame_row frame_rows[] = {
    /* a text question is matched, whatever intent sorts first */
    {"{\"type\":\"ask\",\"text\":\"parle-moi de Sopot\",\"id\":\"q1\"}", PA_PROTO_OK, "answer",
     "demo.sopot", "answer", "fr", "q1"},
    {"{\"type\":\"ask\",\"text\":\"wo liegt Sopot eigentlich\"}", PA_PROTO_OK, "answer",
     "demo.sopot", "answer", "de", ""},
    /* what the fallback intent's examples cover gets the fallback */
    {"{\"type\":\"ask\",\"text\":\"quel temps fait-il demain\"}", PA_PROTO_OK, "answer", "null",
     "fallback", "fr", ""},
    /* clicks: an intent with an answer, the fallback intent, no intent */
    {"{\"type\":\"ask\",\"intent\":\"demo.hello\",\"lang\":\"de\"}", PA_PROTO_OK, "answer",
     "demo.hello", "answer", "de", ""},
    {"{\"type\":\"ask\",\"intent\":\"aaa.unanswered\",\"id\":7}", PA_PROTO_OK, "error",
     "unknown_intent", NULL, "fr", ""},
    {"{\"type\":\"ask\",\"intent\":\"demo.nothing\",\"lang\":\"de\"}", PA_PROTO_OK, "error",
     "unknown_intent", NULL, "de", ""},
    /* refusals the transport decided: the frame still gives id and hint */
    {"{\"type\":\"ask\",\"text\":\"bonjour\",\"lang\":\"de\",\"id\":\"r\"}", PA_PROTO_RATE_LIMITED,
     "error", "rate_limited", NULL, "de", "r"},
    {NULL, PA_PROTO_BAD_ENCODING, "error", "bad_encoding", NULL, "fr", ""},
    {NULL, PA_PROTO_TEXT_TOO_LONG, "error", "text_too_long", NULL, "fr", ""},
    /* refusals read from the frame */
    {"{\"type\":\"ask\",\"text\":\"  ?! \",\"lang\":\"de\",\"id\":\"e\"}", PA_PROTO_OK, "error",
     "missing_text", NULL, "de", "e"},
    {"{\"type\":\"ask\"", PA_PROTO_OK, "error", "bad_json", NULL, "fr", ""},
};

static void test_frames(void **state)
{
    (void)state;
    pa_turn_limits limits = pa_turn_limits_default();
    for (size_t i = 0; i < sizeof frame_rows / sizeof *frame_rows; i++) {
        const frame_row *row = &frame_rows[i];
        const char *name = row->frame ? row->frame : pa_protocol_error_name(row->refused);
        pa_session session;
        pa_session_init(&session);
        pa_turn t;
        pa_turn_frame(snapshot, &session, &limits, row->frame, row->frame ? strlen(row->frame) : 0,
                      row->refused, &t);
        frame_fields f = read_frame(&t);
        EXPECT_STR(name, "type", f.type, row->type);
        if (!strcmp(row->type, "answer")) {
            EXPECT_STR(name, "intent", f.intent, row->what);
            EXPECT_STR(name, "kind", f.kind, row->kind);
            EXPECT_INT(name, "error", t.error, PA_PROTO_OK);
        } else {
            EXPECT_STR(name, "code", f.code, row->what);
            EXPECT_STR(name, "code of the turn", pa_protocol_error_name(t.error), row->what);
        }
        EXPECT_STR(name, "lang", f.lang, row->lang);
        EXPECT_STR(name, "id", f.id, row->id);
        pa_turn_clear(&t);
    }
}

/* A request built by the caller (the command line) is checked as a frame is. */
static const struct {
    const char *text;
    size_t len; /* 0: strlen */
    size_t max_chars;
    pa_proto_error code;
} request_rows[] = {
    {"parle-moi de Sopot", 0, 100, PA_PROTO_OK},
    {"parle-moi de Sopot", 0, 10, PA_PROTO_TEXT_TOO_LONG},
    {"?!", 0, 100, PA_PROTO_MISSING_TEXT},
    {"so\xffpot", 0, 100, PA_PROTO_BAD_ENCODING},
    {"so\0pot", 6, 100, PA_PROTO_BAD_ENCODING},
};

static void test_requests(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof request_rows / sizeof *request_rows; i++) {
        const char *text = request_rows[i].text;
        size_t len = request_rows[i].len ? request_rows[i].len : strlen(text);
        pa_turn_limits limits = {.max_text_chars = request_rows[i].max_chars};
        pa_session session;
        pa_session_init(&session);
        pa_request req;
        pa_request_init_question(&req, text, len, NULL);
        pa_turn t;
        pa_turn_request(snapshot, &session, &limits, &req, &t);
        EXPECT_STR(text, "code", pa_protocol_error_name(t.error),
                   pa_protocol_error_name(request_rows[i].code));
        assert_null(req.text); /* the turn took the request over */
        pa_turn_clear(&t);
    }
}

/* The welcome sets the conversation's language, which later errors and
 * answers without a hint of their own follow. */
static void test_welcome_language_carries(void **state)
{
    (void)state;
    pa_turn_limits limits = pa_turn_limits_default();
    pa_session session;
    pa_session_init(&session);
    char *welcome = pa_turn_welcome(snapshot, &session, "de");
    json_t *o = json_loads(welcome, 0, NULL);
    EXPECT_STR("welcome", "lang", json_string_value(json_object_get(o, "lang")), "de");
    json_decref(o);
    free(welcome);

    pa_turn t;
    const char *bad = "[1]";
    pa_turn_frame(snapshot, &session, &limits, bad, strlen(bad), PA_PROTO_OK, &t);
    frame_fields f = read_frame(&t);
    EXPECT_STR("error after a German welcome", "lang", f.lang, "de");
    EXPECT_STR("error after a German welcome", "code", f.code, "not_object");
    pa_turn_clear(&t);

    pa_session other;
    pa_session_init(&other);
    welcome = pa_turn_welcome(snapshot, &other, "xx");
    o = json_loads(welcome, 0, NULL);
    EXPECT_STR("welcome in an unknown language", "lang",
               json_string_value(json_object_get(o, "lang")), "fr");
    EXPECT_INT("welcome in an unknown language", "session language", other.lang, -1);
    json_decref(o);
    free(welcome);
}

/* A follow-up naming only another name keeps the previous intent's role;
 * here the role is demo.sopot's only, so the session's memory is what is
 * checked: after the fallback, nothing is carried over. */
static void test_fallback_forgets_the_previous_intent(void **state)
{
    (void)state;
    pa_turn_limits limits = pa_turn_limits_default();
    pa_session session;
    pa_session_init(&session);
    const char *frames[] = {"{\"type\":\"ask\",\"text\":\"parle-moi de Sopot\"}",
                            "{\"type\":\"ask\",\"text\":\"quel temps fait-il demain\"}"};
    const char *expected[] = {"demo.sopot", ""};
    for (size_t i = 0; i < 2; i++) {
        pa_turn t;
        pa_turn_frame(snapshot, &session, &limits, frames[i], strlen(frames[i]), PA_PROTO_OK, &t);
        EXPECT_STR(frames[i], "last intent", session.last_intent, expected[i]);
        pa_turn_clear(&t);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frames),
        cmocka_unit_test(test_requests),
        cmocka_unit_test(test_welcome_language_carries),
        cmocka_unit_test(test_fallback_forgets_the_previous_intent),
    };
    return cmocka_run_group_tests(tests, load, unload);
}

/* The keep-alive of the protocol and the limits the welcome announces: a
 * {"type":"ping"} is read as such (with its id and hint), answered
 * {"type":"pong"} with its id, never as a question; refused, it gets the
 * error frame like any message; anything else keeps its error. On the
 * fixture knowledge of tests/fixtures/turn. */
#include "unit.h"

#include "pa_turn.h"

#include <stdlib.h>

#include "fixture.h"

static pa_snapshot *snapshot;

static int setup(void **state)
{
    (void)state;
    snapshot = load_fixture(FIXTURE_TURN);
    return snapshot ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    pa_snapshot_free(snapshot);
    return 0;
}

static const struct {
    const char *frame;
    pa_proto_error refused;
    const char *want; /* the whole reply frame, or the start of an error frame */
} rows[] = {
    {"{\"type\":\"ping\"}", PA_PROTO_OK, "{\"type\":\"pong\"}"},
    {"{\"type\":\"ping\",\"id\":7}", PA_PROTO_OK, "{\"type\":\"pong\",\"id\":7}"},
    {"{\"type\":\"ping\",\"id\":\"k1\",\"lang\":\"de\"}", PA_PROTO_OK,
     "{\"type\":\"pong\",\"id\":\"k1\"}"},
    {"{\"type\":\"ping\",\"text\":\"wo liegt Sopot\"}", PA_PROTO_OK, "{\"type\":\"pong\"}"},
    {"{\"type\":\"ping\",\"id\":{}}", PA_PROTO_OK, "{\"type\":\"error\",\"code\":\"bad_field\""},
    {"{\"type\":\"ping\"}", PA_PROTO_BAD_ENCODING, "{\"type\":\"error\",\"code\":\"bad_encoding\""},
    {"{\"type\":\"pong\"}", PA_PROTO_OK, "{\"type\":\"error\",\"code\":\"unknown_type\""},
    {"{\"type\":\"PING\"}", PA_PROTO_OK, "{\"type\":\"error\",\"code\":\"unknown_type\""},
};

static void test_ping_rows(void **state)
{
    (void)state;
    pa_turn_limits limits = pa_turn_limits_default();
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        pa_session session;
        pa_session_init(&session);
        pa_turn t;
        pa_turn_frame(snapshot, &session, &limits, rows[i].frame, strlen(rows[i].frame),
                      rows[i].refused, &t);
        char *frame = pa_turn_render(snapshot, &t);
        if (strncmp(frame, rows[i].want, strlen(rows[i].want)) ||
            (rows[i].want[strlen(rows[i].want) - 1] == '}' && strcmp(frame, rows[i].want))) {
            print_error("%s: got %s, expected %s\n", rows[i].frame, frame, rows[i].want);
            fail();
        }
        EXPECT_INT(rows[i].frame, "session turns", session.turns, 0);
        free(frame);
        pa_turn_clear(&t);
    }
}

/* A caller that reads first sees the keep-alive before anything is answered. */
static void test_read_then_answer(void **state)
{
    (void)state;
    pa_turn_limits limits = pa_turn_limits_default();
    pa_session session;
    pa_session_init(&session);
    pa_turn t;
    const char *ping = "{\"type\":\"ping\"}";
    pa_turn_read(&limits, ping, strlen(ping), &t);
    assert_int_equal(t.request.ping, 1);
    assert_int_equal(t.error, PA_PROTO_OK);
    pa_turn_answer(snapshot, &session, PA_PROTO_OK, &t);
    assert_int_equal(t.request.ping, 1);
    pa_turn_clear(&t);

    const char *ask = "{\"type\":\"ask\",\"text\":\"wo liegt Sopot\"}";
    pa_turn_read(&limits, ask, strlen(ask), &t);
    assert_int_equal(t.request.ping, 0);
    pa_turn_answer(snapshot, &session, PA_PROTO_RATE_LIMITED, &t);
    EXPECT_STR(ask, "refused", pa_protocol_error_name(t.error), "rate_limited");
    pa_turn_clear(&t);
}

/* The welcome a server sends says its limits; the plain one does not. */
static void test_welcome_limits(void **state)
{
    (void)state;
    pa_turn_limits limits = {.max_text_chars = 300, .idle_timeout_s = 120};
    pa_session session;
    pa_session_init(&session);
    char *text = pa_turn_open(snapshot, &session, &limits, "de");
    json_t *o = json_loads(text, 0, NULL);
    EXPECT_STR(text, "type", json_string_value(json_object_get(o, "type")), "welcome");
    EXPECT_STR(text, "lang", json_string_value(json_object_get(o, "lang")), "de");
    EXPECT_INT(text, "max_text", json_integer_value(json_object_get(o, "max_text")), 300);
    EXPECT_INT(text, "idle_timeout_s", json_integer_value(json_object_get(o, "idle_timeout_s")),
               120);
    json_decref(o);
    free(text);

    limits.idle_timeout_s = 0;
    text = pa_turn_open(snapshot, &session, &limits, NULL);
    o = json_loads(text, 0, NULL);
    assert_null(json_object_get(o, "idle_timeout_s"));
    json_decref(o);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ping_rows),
        cmocka_unit_test(test_read_then_answer),
        cmocka_unit_test(test_welcome_limits),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

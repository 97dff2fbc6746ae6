/* Client frames and the error code each must get. */
#include "unit.h"

#include "pa_protocol.h"

#include <stdlib.h>

static const struct {
    const char *frame;
    pa_proto_error code;
    const char *text, *intent, *lang;
} cases[] = {
    {"{\"type\":\"ask\",\"text\":\"Où se trouve Sopot ?\",\"lang\":\"fr\",\"id\":\"c1\"}",
     PA_PROTO_OK, "Où se trouve Sopot ?", NULL, "fr"},
    {"{\"type\":\"ask\",\"intent\":\"partner.sopot\",\"lang\":\"fr\"}", PA_PROTO_OK, NULL,
     "partner.sopot", "fr"},
    {"{\"type\":\"ask\",\"text\":\"hallo\"}", PA_PROTO_OK, "hallo", NULL, ""},
    {"{\"type\":\"ask\",\"text\":\"hallo\",\"lang\":null,\"id\":null}", PA_PROTO_OK, "hallo", NULL,
     ""},
    {"not json", PA_PROTO_BAD_JSON, NULL, NULL, ""},
    {"{\"type\":\"ask\",", PA_PROTO_BAD_JSON, NULL, NULL, ""},
    {"", PA_PROTO_BAD_JSON, NULL, NULL, ""},
    {"[1,2]", PA_PROTO_NOT_OBJECT, NULL, NULL, ""},
    {"\"ask\"", PA_PROTO_NOT_OBJECT, NULL, NULL, ""},
    {"42", PA_PROTO_NOT_OBJECT, NULL, NULL, ""},
    {"{\"text\":\"hallo\"}", PA_PROTO_UNKNOWN_TYPE, NULL, NULL, ""},
    {"{\"type\":\"hello\",\"text\":\"hallo\"}", PA_PROTO_UNKNOWN_TYPE, NULL, NULL, ""},
    {"{\"type\":7}", PA_PROTO_UNKNOWN_TYPE, NULL, NULL, ""},
    {"{\"type\":\"ask\"}", PA_PROTO_MISSING_TEXT, NULL, NULL, ""},
    {"{\"type\":\"ask\",\"text\":\"\"}", PA_PROTO_MISSING_TEXT, NULL, NULL, ""},
    {"{\"type\":\"ask\",\"text\":\"  \\t ?! \"}", PA_PROTO_MISSING_TEXT, NULL, NULL, ""},
    {"{\"type\":\"ask\",\"text\":12}", PA_PROTO_BAD_FIELD, NULL, NULL, ""},
    {"{\"type\":\"ask\",\"text\":\"x\",\"lang\":3}", PA_PROTO_BAD_FIELD, NULL, NULL, ""},
    {"{\"type\":\"ask\",\"intent\":[1]}", PA_PROTO_BAD_FIELD, NULL, NULL, ""},
    {"{\"type\":\"ask\",\"text\":\"x\",\"id\":{}}", PA_PROTO_BAD_FIELD, NULL, NULL, ""},
    {"{\"type\":\"ask\",\"text\":\"a\\u0000b\"}", PA_PROTO_BAD_ENCODING, NULL, NULL, ""},
    {"{\"type\":\"ask\",\"text\":\"\xff\"}", PA_PROTO_BAD_ENCODING, NULL, NULL, ""},
};

static void test_parse(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        pa_request req;
        pa_proto_error code =
            pa_protocol_parse(cases[i].frame, strlen(cases[i].frame), PA_TEXT_MAX_CHARS, &req);
        EXPECT_STR(cases[i].frame, "code", pa_protocol_error_name(code),
                   pa_protocol_error_name(cases[i].code));
        if (code == PA_PROTO_OK) {
            EXPECT_STR(cases[i].frame, "text", req.text, cases[i].text);
            EXPECT_STR(cases[i].frame, "intent", req.intent, cases[i].intent);
            EXPECT_STR(cases[i].frame, "lang", req.lang, cases[i].lang);
        }
        pa_request_clear(&req);
    }
}

/* The limit counts characters, not bytes: 10 Arabic letters are 20 bytes. */
static void test_length_limit(void **state)
{
    (void)state;
    const char *at_limit = "{\"type\":\"ask\",\"text\":\"سوبوتسوبوت\"}";
    const char *over = "{\"type\":\"ask\",\"text\":\"سوبوتسوبوتس\"}";
    pa_request req;
    assert_int_equal(pa_protocol_parse(at_limit, strlen(at_limit), 10, &req), PA_PROTO_OK);
    pa_request_clear(&req);
    assert_int_equal(pa_protocol_parse(over, strlen(over), 10, &req), PA_PROTO_TEXT_TOO_LONG);
    pa_request_clear(&req);
}

static void test_id_echo_survives_errors(void **state)
{
    (void)state;
    const char *frame = "{\"type\":\"nope\",\"id\":\"c9\"}";
    pa_request req;
    assert_int_equal(pa_protocol_parse(frame, strlen(frame), 100, &req), PA_PROTO_UNKNOWN_TYPE);
    assert_non_null(req.id);
    assert_string_equal(json_string_value(req.id), "c9");
    pa_request_clear(&req);
}

static void test_error_names_are_unique(void **state)
{
    (void)state;
    for (int a = PA_PROTO_FIRST_ERROR; a < PA_PROTO_END; a++) {
        assert_true(strlen(pa_protocol_error_name(a)) > 0);
        for (int b = a + 1; b < PA_PROTO_END; b++)
            assert_string_not_equal(pa_protocol_error_name(a), pa_protocol_error_name(b));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_length_limit),
        cmocka_unit_test(test_id_echo_survives_errors),
        cmocka_unit_test(test_error_names_are_unique),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* A resident's message to staff, as the core reads it (pa_contact): the
 * reply contacts residents of the five languages type, the frames and the
 * code each gets, the conversation's caps, the record kept, the frames
 * written. On the fixture knowledge of tests/fixtures/knowledge. */
#include "unit.h"

#include "pa_contact.h"

#include <stdlib.h>

#include "fixture.h"

static pa_snapshot *snapshot;

static int setup(void **state)
{
    (void)state;
    snapshot = load_fixture(FIXTURE_KNOWLEDGE);
    return snapshot ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    pa_snapshot_free(snapshot);
    return 0;
}

/* What residents type where the form asks for an e-mail or a phone. */
static void test_reply_to_kinds(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        pa_reply_to_kind want;
    } rows[] = {
        {"marie.dupont@example.fr", PA_REPLY_TO_EMAIL},
        {"hans-peter.mueller+colombes@beispiel.de", PA_REPLY_TO_EMAIL},
        {"ania_kowalska@przyklad.pl", PA_REPLY_TO_EMAIL},
        {"joão@exemplo.pt", PA_REPLY_TO_EMAIL}, /* internationalized */
        {"ahmed@مثال.tn", PA_REPLY_TO_EMAIL},
        {"06 12 34 56 78", PA_REPLY_TO_PHONE},    /* fr */
        {"+33 6 12 34 56 78", PA_REPLY_TO_PHONE}, /* fr, international */
        {"+49 (0)6233 12345", PA_REPLY_TO_PHONE}, /* de */
        {"0621/123456", PA_REPLY_TO_PHONE},
        {"+48 58 123-45-67", PA_REPLY_TO_PHONE},  /* pl */
        {"+351 258 123 456", PA_REPLY_TO_PHONE},  /* pt */
        {"+216 71 234 567", PA_REPLY_TO_PHONE},   /* Tunisia */
        {"+٢١٦ ٧١ ٢٣٤ ٥٦٧", PA_REPLY_TO_PHONE},   /* Arabic-Indic digits */
        {"۰۶۱۲۳۴۵۶۷۸", PA_REPLY_TO_PHONE},        /* Eastern Arabic-Indic */
        {"+221 33 123 45 67", PA_REPLY_TO_PHONE}, /* Senegal */
        {"12 34", PA_REPLY_TO_NONE},              /* too few digits */
        {"+1234567890123456", PA_REPLY_TO_NONE},  /* more than E.164 allows */
        {"06 12 +34 56 78", PA_REPLY_TO_NONE},    /* + inside */
        {"call me", PA_REPLY_TO_NONE},
        {"marie@example", PA_REPLY_TO_NONE}, /* no top-level domain */
        {"marie@example.f", PA_REPLY_TO_NONE},
        {"@example.fr", PA_REPLY_TO_NONE},
        {"marie@@example.fr", PA_REPLY_TO_NONE},
        {"marie..dupont@example.fr", PA_REPLY_TO_NONE},
        {".marie@example.fr", PA_REPLY_TO_NONE},
        {"marie dupont@example.fr", PA_REPLY_TO_NONE},
        {"marie@exa_mple.fr", PA_REPLY_TO_NONE},
        {"marie@-example.fr", PA_REPLY_TO_NONE},
        {"<marie@example.fr>", PA_REPLY_TO_NONE},
        {"marie@example.fr\r\nBcc: x@example.fr", PA_REPLY_TO_NONE}, /* a header injection */
        {"marie@example.fr,x@example.fr", PA_REPLY_TO_NONE},
        {"", PA_REPLY_TO_NONE},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++)
        EXPECT_INT(rows[i].text, "kind",
                   pa_contact_reply_to_kind(rows[i].text, strlen(rows[i].text)), rows[i].want);
}

/* Frames and the code each gets; a row's limits are the defaults but for a
 * question limit of 40 characters. */
static void test_frames(void **state)
{
    (void)state;
    static const struct {
        const char *frame;
        pa_proto_error want;
        int is_frame; /* pa_contact_is_frame: a JSON object of type contact */
    } rows[] = {
        {"{\"type\":\"contact\",\"text\":\"Bonjour, une question\",\"key\":\"k1\"}", PA_PROTO_OK,
         1},
        {"{\"type\":\"contact\",\"text\":\"مرحبا\",\"key\":\"k1\",\"lang\":\"ar\",\"reply_to\":\"+"
         "216 71 "
         "234 567\"}",
         PA_PROTO_OK, 1},
        {"{\"type\":\"contact\",\"text\":\"Hallo\",\"key\":\"k1\",\"reply_to\":\"  \"}",
         PA_PROTO_OK, 1},
        {"{\"type\":\"contact\",\"text\":\"Olá\",\"key\":\"k1\",\"reply_to\":null,\"id\":3}",
         PA_PROTO_OK, 1},
        {"{\"type\":\"contact\",\"text\":\"Cześć\",\"key\":\"k1\",\"conversation\":[]}",
         PA_PROTO_OK, 1},
        {"{\"type\":\"contact\",\"text\":\"Hallo\",\"key\":\"k1\",\"reply_to\":\"nein\"}",
         PA_PROTO_BAD_REPLY_TO, 1},
        {"{\"type\":\"contact\",\"text\":\"Hallo\",\"key\":\"k1\",\"reply_to\":42}",
         PA_PROTO_BAD_FIELD, 1},
        {"{\"type\":\"contact\",\"text\":\"Hallo\"}", PA_PROTO_BAD_KEY, 1},
        {"{\"type\":\"contact\",\"text\":\"Hallo\",\"key\":\"\"}", PA_PROTO_BAD_KEY, 1},
        {"{\"type\":\"contact\",\"text\":\"Hallo\",\"key\":\"a b\"}", PA_PROTO_BAD_KEY, 1},
        {"{\"type\":\"contact\",\"text\":\"Hallo\",\"key\":7}", PA_PROTO_BAD_KEY, 1},
        {"{\"type\":\"contact\",\"key\":\"k1\"}", PA_PROTO_MISSING_TEXT, 1},
        {"{\"type\":\"contact\",\"text\":\" … ? \",\"key\":\"k1\"}", PA_PROTO_MISSING_TEXT, 1},
        {"{\"type\":\"contact\",\"text\":[],\"key\":\"k1\"}", PA_PROTO_BAD_FIELD, 1},
        {"{\"type\":\"contact\",\"text\":\"a\\u0000b\",\"key\":\"k1\"}", PA_PROTO_BAD_ENCODING, 1},
        {"{\"type\":\"contact\",\"text\":\"0123456789012345678901234567890123456789X\",\"key\":"
         "\"k1\"}",
         PA_PROTO_TEXT_TOO_LONG, 1},
        {"{\"type\":\"contact\",\"text\":\"Hallo\",\"key\":\"k1\",\"conversation\":{}}",
         PA_PROTO_BAD_FIELD, 1},
        {"{\"type\":\"contact\",\"text\":\"Hallo\",\"key\":\"k1\",\"conversation\":[1]}",
         PA_PROTO_BAD_FIELD, 1},
        {"{\"type\":\"contact\",\"text\":\"Hallo\",\"key\":\"k1\",\"conversation\":[{\"from\":"
         "\"staff\",\"text\":\"x\"}]}",
         PA_PROTO_BAD_FIELD, 1},
        {"{\"type\":\"contact\",\"text\":\"Hallo\",\"key\":\"k1\",\"id\":{}}", PA_PROTO_BAD_FIELD,
         1},
        {"{\"type\":\"ask\",\"text\":\"Hallo\",\"key\":\"k1\"}", PA_PROTO_UNKNOWN_TYPE, 0},
        {"[\"contact\"]", PA_PROTO_NOT_OBJECT, 0},
        {"{\"type\":\"contact\",", PA_PROTO_BAD_JSON, 0},
        {"{\"type\":\"contact\",\"text\":\"\xC3\x28\",\"key\":\"k1\"}", PA_PROTO_BAD_ENCODING, 0},
    };
    pa_contact_limits limits = pa_contact_limits_default();
    limits.max_text_chars = 40;
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        pa_contact c;
        pa_proto_error e = pa_contact_parse(rows[i].frame, strlen(rows[i].frame), &limits, &c);
        EXPECT_STR(rows[i].frame, "code", pa_protocol_error_name(e),
                   pa_protocol_error_name(rows[i].want));
        EXPECT_INT(rows[i].frame, "is a contact frame",
                   pa_contact_is_frame(rows[i].frame, strlen(rows[i].frame)), rows[i].is_frame);
        pa_contact_clear(&c);
    }
}

/* The conversation keeps its last lines, each cut to its limit with an
 * ellipsis, between characters (Arabic takes two bytes each). */
static void test_conversation_caps(void **state)
{
    (void)state;
    const char *frame =
        "{\"type\":\"contact\",\"text\":\"سؤال\",\"key\":\"k1\",\"conversation\":["
        "{\"from\":\"resident\",\"text\":\"one\"},{\"from\":\"bot\",\"text\":\"two\"},"
        "{\"from\":\"resident\",\"text\":\"ما حالة الطقس غدا في كولومب؟\"},"
        "{\"from\":\"bot\",\"text\":\"short\"}]}";
    pa_contact_limits limits = {.max_text_chars = 100, .max_entries = 2, .max_entry_chars = 8};
    pa_contact c;
    assert_int_equal(pa_contact_parse(frame, strlen(frame), &limits, &c), PA_PROTO_OK);
    EXPECT_INT("caps", "lines kept", c.n_lines, 2);
    EXPECT_INT("caps", "lines omitted", c.omitted_lines, 2);
    EXPECT_INT("caps", "first from", c.lines[0].from_bot, 0);
    EXPECT_STR("caps", "first, cut", c.lines[0].text, "ما حالة…");
    EXPECT_STR("caps", "second, whole", c.lines[1].text, "short");
    pa_contact_clear(&c);
    limits.max_entries = 0;
    assert_int_equal(pa_contact_parse(frame, strlen(frame), &limits, &c), PA_PROTO_OK);
    EXPECT_INT("no lines kept", "lines", c.n_lines, 0);
    EXPECT_INT("no lines kept", "omitted", c.omitted_lines, 4);
    pa_contact_clear(&c);
}

/* The record kept, and the frames: the acknowledgement in the reply's
 * language, the offer appended to the welcome. */
static void test_record_and_frames(void **state)
{
    (void)state;
    const char *frame = "{\"type\":\"contact\",\"text\":\" Dzień dobry \",\"key\":\"k-9\",\"id\":5,"
                        "\"reply_to\":\" ania@przyklad.pl \",\"lang\":\"pl\"}";
    pa_contact_limits limits = pa_contact_limits_default();
    pa_contact c;
    assert_int_equal(pa_contact_parse(frame, strlen(frame), &limits, &c), PA_PROTO_OK);
    json_t *r = pa_contact_record(&c, "pl", 1796184000);
    char *text = json_dumps(r, JSON_COMPACT | JSON_PRESERVE_ORDER);
    EXPECT_STR(
        "record", "json", text,
        "{\"version\":1,\"key\":\"k-9\",\"received\":\"2026-12-02T04:00:00Z\",\"lang\":\"pl\","
        "\"text\":\" Dzień dobry \",\"reply_to\":\"ania@przyklad.pl\",\"reply_to_kind\":"
        "\"email\",\"conversation\":[],\"conversation_omitted\":0}");
    free(text);
    json_decref(r);

    int pl = pa_snapshot_lang(snapshot, "pl");
    char *ack = pa_contact_ack_json(snapshot, pl, c.key, c.id);
    json_t *a = json_loads(ack, 0, NULL);
    EXPECT_STR("ack", "type", json_string_value(json_object_get(a, "type")), "contact_ack");
    EXPECT_INT("ack", "id", json_integer_value(json_object_get(a, "id")), 5);
    EXPECT_STR("ack", "lang", json_string_value(json_object_get(a, "lang")), "pl");
    EXPECT_STR("ack", "key", json_string_value(json_object_get(a, "key")), "k-9");
    EXPECT_STR("ack", "text", json_string_value(json_object_get(a, "text")),
               snapshot->k.locales[pl].message_text[PA_MSG_CONTACT_ACK]);
    json_decref(a);
    free(ack);
    pa_contact_clear(&c);

    pa_contact_offer offer = {.retention_days = 30, .max_entries = 10, .max_entry_chars = 300};
    char *welcome = pa_contact_announce(strdup("{\"type\":\"welcome\",\"lang\":\"fr\"}"), &offer);
    EXPECT_STR("offer", "welcome", welcome,
               "{\"type\":\"welcome\",\"lang\":\"fr\",\"contact\":{\"retention_days\":30,"
               "\"conversation_entries\":10,\"conversation_chars\":300}}");
    free(welcome);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reply_to_kinds),
        cmocka_unit_test(test_frames),
        cmocka_unit_test(test_conversation_caps),
        cmocka_unit_test(test_record_and_frames),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

/* The links, e-mail address and phone number of an intent reach the answer
 * frame ("links", docs/protocol.md): those of the answer's intent, those of
 * the fallback intent with a fallback reply, in the reply's language, and no
 * "links" at all when there are none. The knowledge is the fixture
 * tests/fixtures/links (test data under example.org) with the bundled
 * locales. */
#include "unit.h"

#include "pa_turn.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

static pa_snapshot *snapshot;

static int setup(void **state)
{
    (void)state;
    pa_diag diag;
    pa_diag_init(&diag);
    snapshot = pa_snapshot_load(PASSERELLE_SOURCE_DIR "/tests/fixtures/links/intents",
                                PASSERELLE_SOURCE_DIR "/locales", &diag);
    pa_diag_print(&diag, NULL, stderr);
    pa_diag_clear(&diag);
    return snapshot ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    pa_snapshot_free(snapshot);
    return 0;
}

#define CONTACT_FR                                                                                 \
    "[{\"kind\":\"url\",\"href\":\"https://www.example.org/international\",\"label\":\"Page de "   \
    "test du service\"},{\"kind\":\"email\",\"href\":\"mailto:international@example.org\","        \
    "\"label\":\"international@example.org\"},{\"kind\":\"phone\",\"href\":\"tel:+33199001234\","  \
    "\"label\":\"+33 1 99 00 12 34\"}]"
#define FALLBACK_FR                                                                                \
    "[{\"kind\":\"url\",\"href\":\"https://www.example.org/mairie\",\"label\":\"Mairie de "        \
    "test\"},{\"kind\":\"email\",\"href\":\"mailto:accueil@example.org\",\"label\":\"accueil@"     \
    "example.org\"}]"

static const struct {
    const char *frame;
    const char *kind;  /* of the reply */
    const char *links; /* the frame's "links", compact; NULL: no such field */
} rows[] = {
    /* a question, and a click, on the intent that gives all three */
    {"{\"type\":\"ask\",\"text\":\"comment participer aux échanges ?\",\"lang\":\"fr\"}", "answer",
     CONTACT_FR},
    {"{\"type\":\"ask\",\"intent\":\"contact\",\"lang\":\"fr\"}", "answer", CONTACT_FR},
    /* the labels in the reply's language; the addresses as they are */
    {"{\"type\":\"ask\",\"intent\":\"contact\",\"lang\":\"ar\"}", "answer",
     "[{\"kind\":\"url\",\"href\":\"https://www.example.org/international\",\"label\":\"صفحة "
     "اختبار القسم\"},{\"kind\":\"email\",\"href\":\"mailto:international@example.org\","
     "\"label\":\"international@example.org\"},{\"kind\":\"phone\",\"href\":\"tel:+33199001234\","
     "\"label\":\"+33 1 99 00 12 34\"}]"},
    {"{\"type\":\"ask\",\"intent\":\"twinning.page\",\"lang\":\"de\"}", "answer",
     "[{\"kind\":\"url\",\"href\":\"https://www.example.org/jumelages\",\"label\":"
     "\"Partnerschaften (Testseite)\"}]"},
    /* the fallback, matched by the fallback intent's examples or by nothing */
    {"{\"type\":\"ask\",\"text\":\"météo demain\",\"lang\":\"fr\"}", "fallback", FALLBACK_FR},
    {"{\"type\":\"ask\",\"text\":\"quelle heure est-il à Tokyo\",\"lang\":\"fr\"}", "fallback",
     FALLBACK_FR},
    /* an intent without any: no "links" */
    {"{\"type\":\"ask\",\"text\":\"parle-moi de sopot\",\"lang\":\"fr\"}", "answer", NULL},
    {"{\"type\":\"ask\",\"intent\":\"partner.sopot\",\"lang\":\"pl\"}", "answer", NULL},
};

static void test_links_in_frames(void **state)
{
    (void)state;
    pa_turn_limits limits = pa_turn_limits_default();
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        pa_session session;
        pa_session_init(&session);
        pa_turn t;
        pa_turn_frame(snapshot, &session, &limits, rows[i].frame, strlen(rows[i].frame),
                      PA_PROTO_OK, &t);
        char *text = pa_turn_render(snapshot, &t);
        json_t *frame = json_loads(text, 0, NULL);
        assert_non_null(frame);
        EXPECT_STR(rows[i].frame, "type", json_string_value(json_object_get(frame, "type")),
                   "answer");
        EXPECT_STR(rows[i].frame, "kind", json_string_value(json_object_get(frame, "kind")),
                   rows[i].kind);
        json_t *links = json_object_get(frame, "links");
        char *got = links ? json_dumps(links, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
        char *want = NULL;
        if (rows[i].links) { /* the expected JSON, as jansson writes it */
            json_t *w = json_loads(rows[i].links, 0, NULL);
            assert_non_null(w);
            want = json_dumps(w, JSON_COMPACT | JSON_PRESERVE_ORDER);
            json_decref(w);
        }
        EXPECT_STR(rows[i].frame, "links", got, want);
        free(got);
        free(want);
        json_decref(frame);
        free(text);
        pa_turn_clear(&t);
    }
}

/* The knowledge says where the fallback's links come from; a knowledge
 * without them sends none with its fallback. */
static void test_fallback_links_source(void **state)
{
    (void)state;
    int at = snapshot->k.fallback_links;
    assert_true(at >= 0);
    EXPECT_STR("fallback links", "intent", snapshot->k.intents[at].id, "outside.unanswered");
    pa_diag diag;
    pa_diag_init(&diag);
    pa_snapshot *plain =
        pa_snapshot_load(PASSERELLE_SOURCE_DIR "/tests/fixtures/knowledge/intents",
                         PASSERELLE_SOURCE_DIR "/tests/fixtures/knowledge/locales", &diag);
    assert_non_null(plain);
    EXPECT_INT("no links", "fallback_links", plain->k.fallback_links, -1);
    pa_turn_limits limits = pa_turn_limits_default();
    pa_session session;
    pa_session_init(&session);
    pa_turn t;
    const char *ask = "{\"type\":\"ask\",\"text\":\"quelle heure est-il à Tokyo\",\"lang\":\"fr\"}";
    pa_turn_frame(plain, &session, &limits, ask, strlen(ask), PA_PROTO_OK, &t);
    char *text = pa_turn_render(plain, &t);
    assert_null(strstr(text, "\"links\""));
    assert_non_null(strstr(text, "\"kind\":\"fallback\""));
    free(text);
    pa_turn_clear(&t);
    pa_snapshot_free(plain);
    pa_diag_clear(&diag);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_links_in_frames),
        cmocka_unit_test(test_fallback_links_source),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

/* The server without its transport (pa_service): what a connection gets for
 * each event, the rate limit on a clock the test drives, the counters of
 * /metrics, /healthz, and reloads of a knowledge folder edited under it. On
 * a copy of the fixture knowledge of tests/fixtures/turn. */
#include "unit.h"

#include "pa_service.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fixture.h"

static const int64_t SECOND = 1000000;

typedef struct {
    char dir[64], intents[96], locales[96];
    pa_service *svc;
} world;

static void run(const char *cmd)
{
    assert_int_equal(system(cmd), 0);
}

static int setup(void **state)
{
    world *w = calloc(1, sizeof *w);
    snprintf(w->dir, sizeof w->dir, "/tmp/pa-service-XXXXXX");
    if (!mkdtemp(w->dir))
        return -1;
    char cmd[256];
    snprintf(cmd, sizeof cmd, "cp -R '%s/intents' '%s/locales' '%s/'", FIXTURE_TURN, FIXTURE_TURN,
             w->dir);
    run(cmd);
    snprintf(w->intents, sizeof w->intents, "%s/intents", w->dir);
    snprintf(w->locales, sizeof w->locales, "%s/locales", w->dir);
    pa_service_config cfg = {.intents_dir = w->intents,
                             .locales_dir = w->locales,
                             .version = "test",
                             .limits = pa_turn_limits_default(),
                             .rate = {.burst = 3, .per_second = 1}};
    w->svc = pa_service_new(&cfg, NULL, NULL);
    *state = w;
    return w->svc ? 0 : -1;
}

static int teardown(void **state)
{
    world *w = *state;
    pa_service_free(w->svc);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", w->dir);
    run(cmd);
    free(w);
    return 0;
}

/* The value of a string member of a JSON frame, or "" (copied into out). */
static const char *member(const char *frame, const char *key, char *out, size_t size)
{
    json_t *o = json_loads(frame, 0, NULL);
    assert_non_null(o);
    json_t *v = json_object_get(o, key);
    snprintf(out, size, "%s", json_is_string(v) ? json_string_value(v) : "");
    json_decref(o);
    return out;
}

static void expect_member(char *frame, const char *key, const char *want)
{
    char got[128];
    EXPECT_STR(frame, key, member(frame, key, got, sizeof got), want);
    free(frame);
}

static char *ask(world *w, pa_conn *c, const char *frame, int64_t now)
{
    return pa_service_message(w->svc, c, frame, strlen(frame), PA_PROTO_OK, now);
}

static void expect_metric(world *w, const char *line)
{
    char *text = pa_service_metrics(w->svc);
    if (!strstr(text, line)) {
        print_error("/metrics lacks \"%s\":\n%s", line, text);
        free(text);
        fail();
    }
    free(text);
}

/* Every event gets its frame; a German page gets a German welcome and German
 * errors; a burst beyond the bucket is refused, then allowed a second later. */
static void test_dispatch_and_rate(void **state)
{
    world *w = *state;
    pa_conn c;
    expect_member(pa_service_open(w->svc, &c, "de", 0), "type", "welcome");
    assert_int_equal(pa_service_connections(w->svc), 1);
    expect_member(ask(w, &c, "{\"type\":\"ask\",\"text\":\"wo liegt Sopot\"}", 0), "intent",
                  "demo.sopot");
    expect_member(ask(w, &c, "{\"type\":\"ask\",\"text\":\"wie wird das Wetter morgen\"}", 0),
                  "kind", "fallback");
    expect_member(ask(w, &c, "not json", 0), "code", "bad_json");
    expect_member(ask(w, &c, "{\"type\":\"ask\",\"text\":\"wo liegt Sopot\",\"id\":\"x\"}", 0),
                  "code", "rate_limited");
    expect_member(ask(w, &c, "{\"type\":\"ask\",\"text\":\"wo liegt Sopot\"}", SECOND), "intent",
                  "demo.sopot");
    expect_member(pa_service_message(w->svc, &c, NULL, 0, PA_PROTO_BAD_ENCODING, SECOND), "lang",
                  "de");
    expect_metric(w, "passerelle_replies_total{kind=\"answer\"} 2\n");
    expect_metric(w, "passerelle_replies_total{kind=\"fallback\"} 1\n");
    expect_metric(w, "passerelle_protocol_errors_total{code=\"rate_limited\"} 1\n");
    expect_metric(w, "passerelle_protocol_errors_total{code=\"bad_json\"} 1\n");
    expect_metric(w, "passerelle_protocol_errors_total{code=\"bad_encoding\"} 1\n");
    expect_metric(w, "passerelle_questions_total{lang=\"de\"} 3\n");
    expect_metric(w, "passerelle_connections 1\n");
    pa_service_close(w->svc, &c);
    assert_int_equal(pa_service_connections(w->svc), 0);
    expect_metric(w, "passerelle_connections_total 1\n");
}

static const char *knowledge_version(world *w, char *out, size_t size)
{
    snprintf(out, size, "%s", pa_service_snapshot(w->svc)->k.version);
    return out;
}

static int last_reload_ok(world *w)
{
    char *text = pa_service_health(w->svc);
    json_t *o = json_loads(text, 0, NULL);
    free(text);
    int ok = json_is_true(json_object_get(json_object_get(o, "last_reload"), "ok"));
    json_decref(o);
    return ok;
}

/* An edit is picked up; a broken one keeps the last good knowledge serving
 * and shows in /healthz; its repair is picked up again. */
static void test_reload(void **state)
{
    world *w = *state;
    char before[32], after[32], cmd[512];
    knowledge_version(w, before, sizeof before);
    pa_service_reload(w->svc, 0);
    EXPECT_STR("no edit", "version", knowledge_version(w, after, sizeof after), before);

    snprintf(cmd, sizeof cmd,
             "sed -i 's/Sopot est en Pologne./Sopot est en Pologne, sur la Baltique./' "
             "'%s/demo/sopot.json'",
             w->intents);
    run(cmd);
    pa_service_reload(w->svc, 1);
    assert_true(last_reload_ok(w));
    assert_string_not_equal(knowledge_version(w, after, sizeof after), before);

    snprintf(cmd, sizeof cmd,
             "cp '%s/demo/sopot.json' '%s/sopot.bak' && echo '{' > '%s/demo/sopot.json'",
             w->intents, w->dir, w->intents);
    run(cmd);
    pa_service_reload(w->svc, 1);
    assert_false(last_reload_ok(w));
    expect_metric(w, "passerelle_reloads_total{result=\"failed\"} 1\n");
    pa_conn c;
    free(pa_service_open(w->svc, &c, "fr", 0));
    expect_member(ask(w, &c, "{\"type\":\"ask\",\"text\":\"parle-moi de Sopot\"}", 0), "intent",
                  "demo.sopot");
    pa_service_close(w->svc, &c);

    snprintf(cmd, sizeof cmd, "mv '%s/sopot.bak' '%s/demo/sopot.json'", w->dir, w->intents);
    run(cmd);
    pa_service_reload(w->svc, 1);
    assert_true(last_reload_ok(w));
}

/* The conversation's context is an intent id: a reload that adds an intent
 * sorting before the others (so every index moves) keeps "et Frankenthal ?"
 * about the role of the previous answer. */
static void test_context_survives_a_reload(void **state)
{
    world *w = *state;
    pa_conn c;
    free(pa_service_open(w->svc, &c, "fr", 0));
    expect_member(ask(w, &c, "{\"type\":\"ask\",\"text\":\"parle-moi de Sopot\"}", 0), "intent",
                  "demo.sopot");
    char path[256];
    snprintf(path, sizeof path, "%s/demo/first.json", w->intents);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("{\"id\": \"aa.first\", \"label\": {\"fr\": \"Bienvenue\", \"de\": \"Willkommen\"},\n"
          " \"examples\": {\"fr\": [\"quoi de neuf\"], \"de\": [\"was gibt es neues\"]},\n"
          " \"answers\": {\"fr\": \"Rien de neuf.\", \"de\": \"Nichts Neues.\"}}\n",
          f);
    fclose(f);
    pa_service_reload(w->svc, 1);
    assert_true(last_reload_ok(w));
    expect_member(ask(w, &c, "{\"type\":\"ask\",\"text\":\"et Frankenthal ?\"}", 0), "intent",
                  "demo.frankenthal");
    pa_service_close(w->svc, &c);
}

/* A second service on a copy of the same knowledge, as another replica:
 * sealing with keys (NULL: its own random secret). */
static pa_service *replica(world *w, const pa_token_keys *keys)
{
    pa_service_config cfg = {.intents_dir = w->intents,
                             .locales_dir = w->locales,
                             .version = "test",
                             .limits = pa_turn_limits_default(),
                             .rate = {.burst = 3, .per_second = 1},
                             .context_keys = keys};
    pa_service *svc = pa_service_new(&cfg, NULL, NULL);
    assert_non_null(svc);
    return svc;
}

/* The "context" member of a frame, copied into out (size bytes). */
static const char *context_of(char *frame, char *out, size_t size)
{
    member(frame, "context", out, size);
    free(frame);
    return out;
}

/* A resident's connection moves to another replica that shares the secret:
 * the context token of the last answer brings the conversation's language
 * and intent along. A replica with another secret, a damaged token, or a
 * token offered to a connection that has already asked restore nothing. */
static void test_context_moves_between_replicas(void **state)
{
    world *w = *state;
    char err[256];
    pa_token_keys *shared = pa_token_keys_load(NULL, err, sizeof err);
    pa_service *one = replica(w, shared), *two = replica(w, shared), *foreign = replica(w, NULL);
    pa_conn a, b, c, d, e;
    free(pa_service_open(one, &a, "de", 0));
    char token[PA_CONTEXT_TOKEN_MAX + 1];
    static const char sopot[] = "{\"type\":\"ask\",\"text\":\"erzähl mir von Sopot\"}";
    context_of(pa_service_message(one, &a, sopot, strlen(sopot), PA_PROTO_OK, 0), token,
               sizeof token);
    assert_true(token[0] != '\0');
    char later[1024];
    /* "ok" says nothing of its language: the conversation's decides */
    snprintf(later, sizeof later, "{\"type\":\"ask\",\"text\":\"ok\",\"context\":\"%s\"}", token);

    free(pa_service_open(two, &b, NULL, 0));
    expect_member(pa_service_message(two, &b, later, strlen(later), PA_PROTO_OK, 0), "lang", "de");
    assert_int_equal(b.dialog.turns, 2); /* the token's turn, then this one */

    free(pa_service_open(foreign, &c, NULL, 0));
    expect_member(pa_service_message(foreign, &c, later, strlen(later), PA_PROTO_OK, 0), "lang",
                  "fr");
    assert_int_equal(c.dialog.turns, 1);

    char damaged[1024];
    snprintf(damaged, sizeof damaged, "%s", later);
    *strchr(damaged, '.') = '-'; /* the token's two parts run together */
    free(pa_service_open(two, &d, NULL, 0));
    free(pa_service_message(two, &d, damaged, strlen(damaged), PA_PROTO_OK, 0));
    assert_int_equal(d.dialog.turns, 1);

    free(pa_service_open(two, &e, "fr", 0));
    static const char bonjour[] = "{\"type\":\"ask\",\"text\":\"bonjour\"}";
    free(pa_service_message(two, &e, bonjour, strlen(bonjour), PA_PROTO_OK, 0));
    /* a running conversation keeps its own context */
    expect_member(pa_service_message(two, &e, later, strlen(later), PA_PROTO_OK, 0), "lang", "fr");
    assert_int_equal(e.dialog.turns, 2);

    char *metrics = pa_service_metrics(two);
    assert_non_null(strstr(metrics, "passerelle_context_tokens_total{result=\"restored\"} 1\n"));
    assert_non_null(strstr(metrics, "passerelle_context_tokens_total{result=\"refused\"} 1\n"));
    free(metrics);
    pa_service_free(one);
    pa_service_free(two);
    pa_service_free(foreign);
    pa_token_keys_free(shared);
}

/* The knowledge's version is its content's: the same files copied to
 * another folder (another machine's install) give the same version, and an
 * edit of one answer another one. */
static void test_version_is_the_contents(void **state)
{
    world *w = *state;
    char copy[96], cmd[512];
    snprintf(copy, sizeof copy, "%s/elsewhere", w->dir);
    snprintf(cmd, sizeof cmd, "mkdir '%s' && cp -R '%s' '%s' '%s/'", copy, w->intents, w->locales,
             copy);
    run(cmd);
    char intents[128], locales[128];
    snprintf(intents, sizeof intents, "%s/intents", copy);
    snprintf(locales, sizeof locales, "%s/locales", copy);
    pa_snapshot *there = pa_snapshot_load(intents, locales, NULL);
    assert_non_null(there);
    assert_string_equal(there->k.version, pa_service_snapshot(w->svc)->k.version);
    pa_snapshot_free(there);
    snprintf(
        cmd, sizeof cmd,
        "sed -i 's/Sopot est en Pologne./Sopot est au bord de la Baltique./' '%s/demo/sopot.json'",
        intents);
    run(cmd);
    there = pa_snapshot_load(intents, locales, NULL);
    assert_non_null(there);
    assert_string_not_equal(there->k.version, pa_service_snapshot(w->svc)->k.version);
    pa_snapshot_free(there);
}

/* A stop or reload asked from another thread is carried out by the next
 * poll, after the hooks woke the loop. */
static int wakes;
static void count_wake(void *user)
{
    (void)user;
    wakes++;
}

static void test_requests_wake_the_loop(void **state)
{
    world *w = *state;
    pa_service_config cfg = {.intents_dir = w->intents,
                             .locales_dir = w->locales,
                             .version = "test",
                             .limits = pa_turn_limits_default(),
                             .rate = {1, 1}};
    pa_service_hooks hooks = {.user = NULL, .wake = count_wake};
    pa_service *svc = pa_service_new(&cfg, &hooks, NULL);
    assert_non_null(svc);
    pa_service_request_reload(svc);
    assert_int_equal(wakes, 1);
    assert_int_equal(pa_service_poll(svc), 0);
    assert_false(pa_service_stopping(svc));
    pa_service_request_stop(svc);
    assert_int_equal(wakes, 2);
    assert_int_equal(pa_service_poll(svc), 1);
    assert_true(pa_service_stopping(svc));
    assert_int_equal(pa_service_poll(svc), 0); /* stopping begins once */
    pa_service_free(svc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_dispatch_and_rate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reload, setup, teardown),
        cmocka_unit_test_setup_teardown(test_context_survives_a_reload, setup, teardown),
        cmocka_unit_test_setup_teardown(test_requests_wake_the_loop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_context_moves_between_replicas, setup, teardown),
        cmocka_unit_test_setup_teardown(test_version_is_the_contents, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Reloads off the service thread (pa_reloader through pa_service): an edit
 * is built on the reload thread, wakes the service, and is swapped in by
 * pa_service_poll; a touch that changes no content reloads nothing; edits in
 * quick succession give one reload once they settle; SIGHUP's forced reload
 * builds unchanged files; a broken edit keeps the knowledge and /healthz
 * names the file relative to the knowledge folders. On a copy of the
 * fixture knowledge of tests/fixtures/turn, with short periods. */
#include "unit.h"

#include "pa_service.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fixture.h"

enum { POLL_MS = 30, DEBOUNCE_MS = 120, WAIT_MS = 3000 };

typedef struct {
    char dir[64], intents[96], locales[96], file[160];
    atomic_int wakes;
    pa_service *svc;
} world;

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

static void wake(void *user)
{
    world *w = user;
    atomic_fetch_add(&w->wakes, 1);
}

static int setup(void **state)
{
    world *w = calloc(1, sizeof *w);
    snprintf(w->dir, sizeof w->dir, "/tmp/pa-reloader-XXXXXX");
    if (!mkdtemp(w->dir))
        return -1;
    char cmd[256];
    snprintf(cmd, sizeof cmd, "cp -R '%s/intents' '%s/locales' '%s/'", FIXTURE_TURN, FIXTURE_TURN,
             w->dir);
    if (system(cmd) != 0)
        return -1;
    snprintf(w->intents, sizeof w->intents, "%s/intents", w->dir);
    snprintf(w->locales, sizeof w->locales, "%s/locales", w->dir);
    snprintf(w->file, sizeof w->file, "%s/demo/sopot.json", w->intents);
    pa_service_config cfg = {.intents_dir = w->intents,
                             .locales_dir = w->locales,
                             .version = "test",
                             .limits = pa_turn_limits_default(),
                             .rate = {8, 1},
                             .reload_poll_ms = POLL_MS,
                             .reload_debounce_ms = DEBOUNCE_MS};
    pa_service_hooks hooks = {.user = w, .wake = wake};
    w->svc = pa_service_new(&cfg, &hooks, NULL);
    *state = w;
    return w->svc ? 0 : -1;
}

static int teardown(void **state)
{
    world *w = *state;
    pa_service_free(w->svc);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", w->dir);
    assert_int_equal(system(cmd), 0);
    free(w);
    return 0;
}

static const char *version(world *w)
{
    return pa_service_snapshot(w->svc)->k.version;
}

/* Waits for a wake, then lets the service take the result. Returns 1 when
 * one came within ms. */
static int poll_wake(world *w, long ms)
{
    for (long waited = 0; waited < ms; waited += 10) {
        if (atomic_exchange(&w->wakes, 0)) {
            pa_service_poll(w->svc);
            return 1;
        }
        sleep_ms(10);
    }
    return 0;
}

static void sed(world *w, const char *expr)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "sed -i '%s' '%s'", expr, w->file);
    assert_int_equal(system(cmd), 0);
}

static int has_metric(world *w, const char *line)
{
    char *text = pa_service_metrics(w->svc);
    int has = strstr(text, line) != NULL;
    if (!has)
        print_error("/metrics lacks \"%s\"\n", line);
    free(text);
    return has;
}

static void test_touch_reloads_nothing(void **state)
{
    world *w = *state;
    char before[32];
    snprintf(before, sizeof before, "%s", version(w));
    struct timespec times[2] = {{time(NULL) + 100, 0}, {time(NULL) + 100, 0}};
    assert_int_equal(utimensat(AT_FDCWD, w->file, times, 0), 0);
    assert_false(poll_wake(w, 10 * POLL_MS + DEBOUNCE_MS));
    EXPECT_STR("touch", "version", version(w), before);
}

static void test_edit_is_built_and_swapped(void **state)
{
    world *w = *state;
    char before[32];
    snprintf(before, sizeof before, "%s", version(w));
    sed(w, "s/Sopot est en Pologne./Sopot est en Pologne, sur la Baltique./");
    EXPECT_STR("edit, before the swap", "version", version(w), before);
    assert_true(poll_wake(w, WAIT_MS));
    assert_string_not_equal(version(w), before);
    assert_true(has_metric(w, "passerelle_reloads_total{result=\"ok\"} 1\n"));
    assert_true(has_metric(w, "passerelle_reload_swap_seconds_count 1\n"));
    assert_true(has_metric(w, "passerelle_reload_seconds_count 1\n"));
    /* an answer's words are no example's: every language's index is kept */
    assert_true(has_metric(w, "passerelle_reload_languages_total{result=\"built\"} 0\n"));
    assert_false(has_metric(w, "passerelle_reload_languages_total{result=\"shared\"} 0\n"));

    /* an example's are: its language alone is built again */
    sed(w, "s/\"où est Sopot\"/\"où est Sopot\", \"Sopot au bord de la mer\"/");
    assert_true(poll_wake(w, WAIT_MS));
    assert_true(has_metric(w, "passerelle_reloads_total{result=\"ok\"} 2\n"));
    assert_true(has_metric(w, "passerelle_reload_languages_total{result=\"built\"} 1\n"));
}

static void test_edits_settle_first(void **state)
{
    world *w = *state;
    /* an edit every third of the debounce time: nothing is built meanwhile */
    for (int i = 0; i < 8; i++) {
        char expr[96];
        snprintf(expr, sizeof expr, "s/Sopot est en Pologne[^\"]*\"/Sopot est en Pologne %d.\"/",
                 i);
        sed(w, expr);
        sleep_ms(DEBOUNCE_MS / 3);
        assert_int_equal(atomic_load(&w->wakes), 0);
    }
    assert_true(poll_wake(w, WAIT_MS));
    assert_false(poll_wake(w, 5 * POLL_MS + DEBOUNCE_MS));
    assert_true(has_metric(w, "passerelle_reloads_total{result=\"ok\"} 1\n"));
}

static void test_forced_and_broken(void **state)
{
    world *w = *state;
    char before[32];
    snprintf(before, sizeof before, "%s", version(w));
    pa_service_request_reload(w->svc); /* SIGHUP: unchanged files are built anyway */
    assert_true(poll_wake(w, WAIT_MS));
    assert_true(has_metric(w, "passerelle_reloads_total{result=\"ok\"} 1\n"));
    EXPECT_STR("forced", "version", version(w), before);

    char cmd[256];
    snprintf(cmd, sizeof cmd, "echo '{' > '%s'", w->file);
    assert_int_equal(system(cmd), 0);
    assert_true(poll_wake(w, WAIT_MS));
    EXPECT_STR("broken", "version", version(w), before);
    assert_true(has_metric(w, "passerelle_reloads_total{result=\"failed\"} 1\n"));
    char *health = pa_service_health(w->svc);
    if (!strstr(health, "\"intents/demo/sopot.json:") || strstr(health, w->dir)) {
        print_error("/healthz should name intents/demo/sopot.json, not %s: %s\n", w->dir, health);
        free(health);
        fail();
    }
    free(health);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_touch_reloads_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_edit_is_built_and_swapped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_edits_settle_first, setup, teardown),
        cmocka_unit_test_setup_teardown(test_forced_and_broken, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

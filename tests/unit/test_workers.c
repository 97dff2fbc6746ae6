/* Several workers (service threads) in one process, without a network: the
 * number the setting workers gives, and that the workers' pa_service views
 * share the limits, the counters and the knowledge, a reload reaching each
 * at its next poll. The threads themselves are exercised end to end by
 * tests/e2e/workers.mjs. */
#include "unit.h"

#include "pa_config.h"
#include "pa_service.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>

#include "fixture.h"

/* ---- the setting ---------------------------------------------------------- */

static void test_worker_count(void **state)
{
    (void)state;
    static const struct {
        uint64_t asked;
        long online;
        unsigned want;
    } rows[] = {
        {0, 4, 4},                  /* auto: one per CPU online */
        {0, 1, 1},                  /* auto on one CPU */
        {0, -1, 1},                 /* sysconf failed */
        {0, 0, 1},                  /* nothing online, as far as it says */
        {0, 10000, PA_WORKERS_MAX}, /* more CPUs than workers allowed */
        {1, 64, 1},                 /* asked: whatever the CPUs */
        {3, 2, 3},                  /* more than the CPUs, when asked */
        {PA_WORKERS_MAX, 2, PA_WORKERS_MAX},
        {PA_WORKERS_MAX + 1, 2, PA_WORKERS_MAX}, /* the checks refuse it first */
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        char row[64];
        snprintf(row, sizeof row, "asked %llu, online %ld", (unsigned long long)rows[i].asked,
                 rows[i].online);
        EXPECT_INT(row, "workers", pa_config_workers(rows[i].asked, rows[i].online), rows[i].want);
    }
}

static void test_setting(void **state)
{
    (void)state;
    pa_config c;
    pa_config_defaults(&c, "/k/intents", "/k/locales", "/k/web");
    EXPECT_INT("default", "workers", c.workers, 0);
    char err[PA_CONFIG_ERROR_MAX];
    EXPECT_INT("8", "set", pa_config_set(&c, "workers", "8", "--workers", err), 0);
    EXPECT_INT("8", "workers", c.workers, 8);
    EXPECT_INT("256", "set", pa_config_set(&c, "workers", "256", "--workers", err), 0);
    EXPECT_INT("257", "set", pa_config_set(&c, "workers", "257", "--workers", err), -1);
    EXPECT_STR("257", "error", err, "--workers: '257' is not a whole number from 0 to 256");
    EXPECT_INT("-1", "set", pa_config_set(&c, "workers", "-1", "x.conf:3", err), -1);
    pa_config_clear(&c);
}

/* ---- the workers' service ------------------------------------------------- */

typedef struct {
    pa_service *first, *second;
    int wakes[2];
} pair;

static void wake(void *user)
{
    (*(int *)user)++;
}

static struct sockaddr_in ipv4(const char *text)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(4711)};
    inet_pton(AF_INET, text, &sa.sin_addr);
    return sa;
}

static int setup(void **state)
{
    pair *p = calloc(1, sizeof *p);
    pa_service_config cfg = {.intents_dir = FIXTURE_TURN "/intents",
                             .locales_dir = FIXTURE_TURN "/locales",
                             .version = "test",
                             .limits = pa_turn_limits_default(),
                             .rate = {8, 1},
                             .address_rate = {3, 1},
                             .max_sockets = 3,
                             .max_per_address = 2};
    pa_service_hooks a = {.user = &p->wakes[0], .wake = wake};
    pa_service_hooks b = {.user = &p->wakes[1], .wake = wake};
    p->first = pa_service_new(&cfg, &a, NULL);
    assert_non_null(p->first);
    p->second = pa_service_add_worker(p->first, &b);
    assert_non_null(p->second);
    *state = p;
    return 0;
}

/* The first freed leaves the shared part to the second. */
static int teardown(void **state)
{
    pair *p = *state;
    pa_service_free(p->first);
    pa_service_free(p->second);
    free(p);
    return 0;
}

static void test_numbers(void **state)
{
    pair *p = *state;
    EXPECT_INT("first", "index", pa_service_worker_index(p->first), 0);
    EXPECT_INT("second", "index", pa_service_worker_index(p->second), 1);
}

/* An address' connections and the total count on both workers together. */
static void test_limits_shared(void **state)
{
    pair *p = *state;
    struct sockaddr_in one = ipv4("192.0.2.1"), two = ipv4("192.0.2.2");
    pa_peer *e[4];
    assert_int_equal(pa_service_accept(p->first, (struct sockaddr *)&one, &e[0], 0), PA_ADMIT);
    assert_int_equal(pa_service_accept(p->second, (struct sockaddr *)&one, &e[1], 0), PA_ADMIT);
    assert_int_equal(pa_service_accept(p->second, (struct sockaddr *)&one, &e[2], 0),
                     PA_REFUSE_PER_ADDRESS);
    assert_int_equal(pa_service_accept(p->first, (struct sockaddr *)&two, &e[2], 0), PA_ADMIT);
    assert_int_equal(pa_service_accept(p->second, (struct sockaddr *)&two, &e[3], 0),
                     PA_REFUSE_MAX_CONNECTIONS);
    EXPECT_INT("both", "sockets", pa_service_sockets(p->first), 3);
    pa_service_socket_closed(p->first, e[1], 0); /* closed by the other worker: same entry */
    assert_int_equal(pa_service_accept(p->second, (struct sockaddr *)&one, &e[1], 0), PA_ADMIT);
    for (int i = 0; i < 3; i++)
        pa_service_socket_closed(i % 2 ? p->second : p->first, e[i], 0);
    EXPECT_INT("closed", "sockets", pa_service_sockets(p->second), 0);
}

/* One question budget per address, whichever worker its connections are on. */
static void test_address_budget_shared(void **state)
{
    pair *p = *state;
    struct sockaddr_in one = ipv4("192.0.2.1");
    pa_upgrade u = {.peer = (struct sockaddr *)&one};
    pa_conn a, b;
    free(pa_service_open_client(p->first, &a, &u, NULL, 0));
    free(pa_service_open_client(p->second, &b, &u, NULL, 0));
    static const char ask[] = "{\"type\":\"ask\",\"text\":\"Sopot\"}";
    int limited = 0;
    for (int i = 0; i < 4; i++) {
        char *reply = pa_service_message(i % 2 ? p->second : p->first, i % 2 ? &b : &a, ask,
                                         sizeof ask - 1, PA_PROTO_OK, 0);
        limited += strstr(reply, "rate_limited") != NULL;
        free(reply);
    }
    EXPECT_INT("address burst 3, 4 questions on two workers", "rate_limited", limited, 1);
    EXPECT_INT("both", "connections", pa_service_connections_all(p->first), 2);
    EXPECT_INT("first", "connections", pa_service_connections(p->first), 1);
    char *metrics = pa_service_metrics(p->second);
    assert_non_null(strstr(metrics, "\npasserelle_connections 2\n"));
    assert_non_null(strstr(metrics, "\npasserelle_workers 2\n"));
    assert_non_null(strstr(metrics, "\npasserelle_worker_messages_total{worker=\"0\"} 2\n"));
    assert_non_null(strstr(metrics, "\npasserelle_worker_messages_total{worker=\"1\"} 2\n"));
    assert_non_null(strstr(metrics, "{code=\"rate_limited\"} 1\n"));
    free(metrics);
    pa_service_close(p->first, &a);
    pa_service_close(p->second, &b);
}

/* A reload one worker installs reaches the other at its next poll, which
 * its wake asks for; the old knowledge stays while that worker serves it. */
static void test_reload_reaches_both(void **state)
{
    pair *p = *state;
    const pa_snapshot *old = pa_service_snapshot(p->first);
    assert_ptr_equal(pa_service_snapshot(p->second), old);
    pa_service_reload(p->first, 1);
    const pa_snapshot *fresh = pa_service_snapshot(p->first);
    assert_ptr_not_equal(fresh, old);
    EXPECT_INT("the installing worker", "wakes", p->wakes[0], 0);
    EXPECT_INT("the other worker", "wakes", p->wakes[1], 1);
    assert_ptr_equal(pa_service_snapshot(p->second), old);
    EXPECT_INT("poll", "stopping", pa_service_poll(p->second), 0);
    assert_ptr_equal(pa_service_snapshot(p->second), fresh);
}

/* A stop asked once wakes every worker, and each begins stopping once. */
static void test_stop_reaches_both(void **state)
{
    pair *p = *state;
    pa_service_request_stop(p->second);
    EXPECT_INT("first", "wakes", p->wakes[0], 1);
    EXPECT_INT("second", "wakes", p->wakes[1], 1);
    EXPECT_INT("first", "poll", pa_service_poll(p->first), 1);
    EXPECT_INT("second", "poll", pa_service_poll(p->second), 1);
    EXPECT_INT("first", "poll again", pa_service_poll(p->first), 0);
    assert_true(pa_service_stopping(p->second));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_worker_count),
        cmocka_unit_test(test_setting),
        cmocka_unit_test_setup_teardown(test_numbers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_limits_shared, setup, teardown),
        cmocka_unit_test_setup_teardown(test_address_budget_shared, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reload_reaches_both, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop_reaches_both, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

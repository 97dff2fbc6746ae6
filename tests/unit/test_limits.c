/* The pieces behind the server's limits, without a network: addresses and
 * trusted proxies (pa_addr), allowed origins (pa_origin), the table of
 * client addresses (pa_peers), the two token buckets (pa_ratelimit), and
 * pa_service deciding who is let in and how many questions an address may
 * ask, on a clock the test drives. Tables of inputs and expected outputs. */
#include "unit.h"

#include "pa_addr.h"
#include "pa_origin.h"
#include "pa_peers.h"
#include "pa_service.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>

#include "fixture.h"

static const int64_t SECOND = 1000000;

/* ---- addresses ------------------------------------------------------------ */

static void test_address_keys(void **state)
{
    (void)state;
    static const struct {
        const char *text, *key64, *key128;
    } rows[] = {
        {"192.0.2.1", "192.0.2.1", "192.0.2.1"},
        {"::ffff:192.0.2.1", "192.0.2.1", "192.0.2.1"},
        {"2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64", "2001:db8:1:2:aaaa::1"},
        {"2001:db8:1:2:bbbb::9", "2001:db8:1:2::/64", "2001:db8:1:2:bbbb::9"},
        {"::1", "::/64", "::1"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        pa_addr a;
        assert_int_equal(pa_addr_parse(rows[i].text, strlen(rows[i].text), &a), 0);
        char key[PA_ADDR_TEXT_MAX];
        pa_addr_key(&a, 64, key);
        EXPECT_STR(rows[i].text, "key /64", key, rows[i].key64);
        pa_addr_key(&a, 128, key);
        EXPECT_STR(rows[i].text, "key /128", key, rows[i].key128);
    }
    static const char *const bad[] = {"",      "192.0.2",   "192.0.2.1:80",
                                      "[::1]", "localhost", "1.2.3.4 "};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        pa_addr a;
        EXPECT_INT(bad[i], "parse", pa_addr_parse(bad[i], strlen(bad[i]), &a), -1);
    }
}

static void test_networks(void **state)
{
    (void)state;
    pa_cidr_list list;
    char err[64];
    assert_int_equal(pa_cidr_list_parse("127.0.0.1, 10.0.0.0/8 fd00::/8", &list, err, sizeof err),
                     0);
    static const struct {
        const char *addr;
        int in;
    } rows[] = {{"127.0.0.1", 1}, {"127.0.0.2", 0}, {"10.200.3.4", 1},     {"11.0.0.1", 0},
                {"fd12::1", 1},   {"fe80::1", 0},   {"::ffff:10.1.1.1", 1}};
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        pa_addr a;
        assert_int_equal(pa_addr_parse(rows[i].addr, strlen(rows[i].addr), &a), 0);
        EXPECT_INT(rows[i].addr, "in the list", pa_cidr_list_contains(&list, &a), rows[i].in);
    }
    pa_cidr_list_clear(&list);
    static const char *const bad[] = {"10.0.0.0/33", "10.0.0.0/", "nope", "::1/129", "1.2.3.4/x"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        EXPECT_INT(bad[i], "parse", pa_cidr_list_parse(bad[i], &list, err, sizeof err), -1);
        EXPECT_STR(bad[i], "item in error", err, bad[i]);
    }
}

/* Whom a trusted proxy names, and what a forged header gets. */
static void test_forwarded(void **state)
{
    (void)state;
    pa_cidr_list trusted;
    char err[64];
    assert_int_equal(pa_cidr_list_parse("10.0.0.0/8", &trusted, err, sizeof err), 0);
    static const struct {
        const char *peer;
        pa_forwarded_kind kind;
        const char *header, *client;
        int rc;
    } rows[] = {
        {"192.0.2.9", PA_FORWARDED_XFF, "203.0.113.7", "192.0.2.9", 0}, /* not a proxy */
        {"10.0.0.2", PA_FORWARDED_XFF, "203.0.113.7", "203.0.113.7", 0},
        {"10.0.0.2", PA_FORWARDED_XFF, "198.51.100.1, 203.0.113.7", "203.0.113.7", 0},
        {"10.0.0.2", PA_FORWARDED_XFF, "203.0.113.7, 10.0.0.3", "203.0.113.7", 0},
        {"10.0.0.2", PA_FORWARDED_XFF, " 203.0.113.7:4711 ", "203.0.113.7", 0},
        {"10.0.0.2", PA_FORWARDED_XFF, "[2001:db8::1]:4711", "2001:db8::1", 0},
        {"10.0.0.2", PA_FORWARDED_XFF, "10.0.0.4, 10.0.0.3", "10.0.0.4", 0},
        {"10.0.0.2", PA_FORWARDED_XFF, NULL, "10.0.0.2", 1},
        {"10.0.0.2", PA_FORWARDED_XFF, "garbage", "10.0.0.2", 1},
        {"10.0.0.2", PA_FORWARDED_XFF, "203.0.113.7, unknown, 10.0.0.3", "10.0.0.3", 1},
        {"10.0.0.2", PA_FORWARDED_RFC7239, "for=203.0.113.7;proto=https", "203.0.113.7", 0},
        {"10.0.0.2", PA_FORWARDED_RFC7239, "for=198.51.100.1, For=\"[2001:db8::17]:4711\"",
         "2001:db8::17", 0},
        {"10.0.0.2", PA_FORWARDED_RFC7239, "proto=https;for=\"_hidden\"", "10.0.0.2", 1},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        pa_addr peer, client;
        char text[PA_ADDR_TEXT_MAX];
        assert_int_equal(pa_addr_parse(rows[i].peer, strlen(rows[i].peer), &peer), 0);
        const char *what = rows[i].header ? rows[i].header : "(no header)";
        EXPECT_INT(what, "rc",
                   pa_addr_client(&peer, &trusted, rows[i].kind, rows[i].header, &client),
                   rows[i].rc);
        pa_addr_text(&client, text);
        EXPECT_STR(what, "client", text, rows[i].client);
    }
    pa_cidr_list_clear(&trusted);
}

/* ---- origins -------------------------------------------------------------- */

static void test_origins(void **state)
{
    (void)state;
    pa_origin_list list;
    char err[PA_ORIGIN_MAX];
    assert_int_equal(pa_origin_list_parse("https://www.colombes.fr, HTTPS://Colombes.FR:443 "
                                          "http://intranet.example:8080",
                                          &list, err, sizeof err),
                     0);
    static const struct {
        const char *origin, *host;
        int allowed;
    } rows[] = {
        {NULL, "chat.example", 1},                      /* not a browser */
        {"https://www.colombes.fr", "chat.example", 1}, /* listed */
        {"https://colombes.fr", "chat.example", 1},     /* listed, default port */
        {"http://intranet.example:8080", "chat.example", 1},
        {"http://intranet.example", "chat.example", 0}, /* another port */
        {"http://www.colombes.fr", "chat.example", 0},  /* another scheme */
        {"https://www.colombes.fr.evil.example", "chat.example", 0},
        {"https://evil.example", "chat.example", 0},
        {"null", "chat.example", 0},
        {"https://chat.example", "chat.example", 1},    /* its own, behind TLS */
        {"http://127.0.0.1:8080", "127.0.0.1:8080", 1}, /* its own */
        {"http://127.0.0.1:8081", "127.0.0.1:8080", 0},
        {"http://[::1]:8080", "[::1]:8080", 1},
        {"https://chat.example", NULL, 0}, /* no Host to compare */
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++)
        EXPECT_INT(rows[i].origin ? rows[i].origin : "(none)", "allowed",
                   pa_origin_allowed(&list, rows[i].origin, rows[i].host), rows[i].allowed);
    pa_origin_list_clear(&list);
    assert_int_equal(pa_origin_list_parse("*", &list, err, sizeof err), 0);
    assert_true(pa_origin_allowed(&list, "https://anyone.example", "chat.example"));
    pa_origin_list_clear(&list);
    static const char *const bad[] = {"www.colombes.fr", "ftp://x.example", "https://x/path",
                                      "https://"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        EXPECT_INT(bad[i], "parse", pa_origin_list_parse(bad[i], &list, err, sizeof err), -1);
}

/* ---- buckets and the table of addresses ----------------------------------- */

static void test_two_buckets(void **state)
{
    (void)state;
    pa_rate_config conn = {3, 1}, addr = {5, 1};
    pa_rate_bucket a, b, shared;
    pa_rate_start(&a, &conn, 0);
    pa_rate_start(&b, &conn, 0);
    pa_rate_start(&shared, &addr, 0);
    int took = 0;
    for (int i = 0; i < 3; i++)
        took += pa_rate_take_both(&a, &conn, &shared, &addr, 0);
    for (int i = 0; i < 3; i++)
        took += pa_rate_take_both(&b, &conn, &shared, &addr, 0);
    assert_int_equal(took, 5);     /* the address' 5, although each connection had 3 */
    assert_true(b.tokens >= 0.99); /* the refused one kept its connection's token */
    assert_int_equal(pa_rate_take_both(&b, &conn, &shared, &addr, SECOND), 1);
    assert_true(pa_rate_until_full(&shared, &addr, SECOND) > 4 * SECOND);
    assert_int_equal(pa_rate_until_full(&shared, &addr, 10 * SECOND), 0);
}

static void test_peers(void **state)
{
    (void)state;
    pa_rate_config rate = {2, 1};
    pa_peers *t = pa_peers_new(2, &rate);
    pa_peer *a = pa_peers_hold(t, "192.0.2.1", 0);
    pa_peer *a2 = pa_peers_hold(t, "192.0.2.1", 0);
    assert_ptr_equal(a, a2);
    pa_peer *b = pa_peers_hold(t, "192.0.2.2", 0);
    assert_non_null(b);
    assert_null(pa_peers_hold(t, "192.0.2.3", 0)); /* both held: full */
    assert_int_equal(pa_rate_take(&a->rate, &rate, 0), 1);
    pa_peers_release(t, a, 0);
    pa_peers_release(t, a, 0); /* lingers until its bucket is full: 1 s */
    assert_ptr_equal(pa_peers_find(t, "192.0.2.1"), a);
    pa_peers_sweep(t, SECOND / 2);
    assert_non_null(pa_peers_find(t, "192.0.2.1"));
    a = pa_peers_hold(t, "192.0.2.1", SECOND / 2); /* back: its bucket is not full again */
    assert_true(a->rate.tokens < 2);
    pa_peers_release(t, a, SECOND / 2);
    pa_peers_sweep(t, 3 * SECOND);
    assert_null(pa_peers_find(t, "192.0.2.1"));
    assert_int_equal(pa_peers_count(t), 1);
    pa_peers_release(t, b, 3 * SECOND);
    /* a lingering entry gives way to a new connection when the table is full */
    assert_non_null(pa_peers_hold(t, "192.0.2.4", 3 * SECOND));
    assert_non_null(pa_peers_hold(t, "192.0.2.5", 3 * SECOND));
    assert_null(pa_peers_find(t, "192.0.2.2"));
    pa_peers_free(t);
}

/* ---- the service's decisions ---------------------------------------------- */

static struct sockaddr_in ipv4(const char *text)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(4711)};
    inet_pton(AF_INET, text, &sa.sin_addr);
    return sa;
}

static pa_service *service(const char *trusted, const char *origins)
{
    pa_service_config cfg = {.intents_dir = FIXTURE_TURN "/intents",
                             .locales_dir = FIXTURE_TURN "/locales",
                             .version = "test",
                             .limits = pa_turn_limits_default(),
                             .rate = {8, 1},
                             .address_rate = {4, 1},
                             .max_sockets = 5,
                             .max_per_address = 2,
                             .trusted_proxies = trusted,
                             .allowed_origins = origins};
    pa_service *svc = pa_service_new(&cfg, NULL, NULL);
    assert_non_null(svc);
    return svc;
}

static void expect_metric(pa_service *svc, const char *line)
{
    char *text = pa_service_metrics(svc);
    if (!strstr(text, line)) {
        print_error("/metrics lacks \"%s\"\n", line);
        free(text);
        fail();
    }
    free(text);
}

/* TCP connections: per address, then in all; a trusted proxy only counts in all. */
static void test_accept(void **state)
{
    (void)state;
    pa_service *svc = service("10.0.0.1", NULL);
    struct sockaddr_in one = ipv4("192.0.2.1"), two = ipv4("192.0.2.2"), proxy = ipv4("10.0.0.1");
    pa_peer *e[8];
    assert_int_equal(pa_service_accept(svc, (struct sockaddr *)&one, &e[0], 0), PA_ADMIT);
    assert_int_equal(pa_service_accept(svc, (struct sockaddr *)&one, &e[1], 0), PA_ADMIT);
    assert_int_equal(pa_service_accept(svc, (struct sockaddr *)&one, &e[2], 0),
                     PA_REFUSE_PER_ADDRESS);
    assert_int_equal(pa_service_accept(svc, (struct sockaddr *)&proxy, &e[2], 0), PA_ADMIT);
    assert_null(e[2]);
    assert_int_equal(pa_service_accept(svc, (struct sockaddr *)&proxy, &e[3], 0), PA_ADMIT);
    assert_int_equal(pa_service_accept(svc, (struct sockaddr *)&two, &e[4], 0), PA_ADMIT);
    assert_int_equal(pa_service_accept(svc, (struct sockaddr *)&two, &e[5], 0),
                     PA_REFUSE_MAX_CONNECTIONS);
    assert_int_equal(pa_service_sockets(svc), 5);
    pa_service_socket_closed(svc, e[0], 0);
    assert_int_equal(pa_service_accept(svc, (struct sockaddr *)&one, &e[0], 0), PA_ADMIT);
    expect_metric(svc, "passerelle_connections_refused_total{reason=\"per_address\"} 1\n");
    expect_metric(svc, "passerelle_connections_refused_total{reason=\"max_connections\"} 1\n");
    pa_service_free(svc);
}

/* Upgrades: origin, then the WebSockets of the client behind the proxy. */
static void test_upgrade(void **state)
{
    (void)state;
    pa_service *svc = service("10.0.0.1", "https://www.colombes.fr");
    struct sockaddr_in proxy = ipv4("10.0.0.1");
    pa_upgrade u = {.peer = (struct sockaddr *)&proxy,
                    .x_forwarded_for = "203.0.113.7",
                    .origin = "https://evil.example",
                    .host = "chat.example"};
    assert_int_equal(pa_service_upgrade(svc, &u), PA_REFUSE_ORIGIN);
    u.origin = "https://www.colombes.fr";
    pa_conn c[3];
    for (int i = 0; i < 2; i++) {
        assert_int_equal(pa_service_upgrade(svc, &u), PA_ADMIT);
        free(pa_service_open_client(svc, &c[i], &u, "fr", 0));
    }
    assert_int_equal(pa_service_upgrade(svc, &u), PA_REFUSE_PER_ADDRESS);
    u.x_forwarded_for = "203.0.113.8";
    assert_int_equal(pa_service_upgrade(svc, &u), PA_ADMIT);
    pa_service_close(svc, &c[0]);
    u.x_forwarded_for = "203.0.113.7";
    assert_int_equal(pa_service_upgrade(svc, &u), PA_ADMIT);
    pa_service_close(svc, &c[1]);
    pa_service_request_stop(svc);
    pa_service_poll(svc);
    assert_int_equal(pa_service_upgrade(svc, &u), PA_REFUSE_STOPPING);
    expect_metric(svc, "passerelle_connections_refused_total{reason=\"origin\"} 1\n");
    pa_service_free(svc);
}

static char *ask(pa_service *svc, pa_conn *c, const char *frame, int64_t now)
{
    return pa_service_message(svc, c, frame, strlen(frame), PA_PROTO_OK, now);
}

static int is_answer(char *frame)
{
    int yes = strstr(frame, "\"type\":\"answer\"") != NULL;
    free(frame);
    return yes;
}

/* Two connections of one client share its address' bucket (4); pings take
 * from neither. */
static void test_address_rate(void **state)
{
    (void)state;
    pa_service *svc = service(NULL, NULL);
    struct sockaddr_in one = ipv4("192.0.2.1");
    pa_upgrade u = {.peer = (struct sockaddr *)&one};
    pa_conn a, b;
    free(pa_service_open_client(svc, &a, &u, "de", 0));
    free(pa_service_open_client(svc, &b, &u, "de", 0));
    const char *q = "{\"type\":\"ask\",\"text\":\"wo liegt Sopot\"}";
    int answers = 0;
    for (int i = 0; i < 10; i++) {
        char *pong = ask(svc, i % 2 ? &a : &b, "{\"type\":\"ping\"}", 0);
        EXPECT_STR("ping", "reply", pong, "{\"type\":\"pong\"}");
        free(pong);
    }
    for (int i = 0; i < 3; i++)
        answers += is_answer(ask(svc, &a, q, 0)) + is_answer(ask(svc, &b, q, 0));
    assert_int_equal(answers, 4);
    assert_int_equal(is_answer(ask(svc, &a, q, SECOND)), 1);
    expect_metric(svc, "passerelle_pings_total 10\n");
    expect_metric(svc, "passerelle_protocol_errors_total{code=\"rate_limited\"} 2\n");
    expect_metric(svc, "passerelle_answers_total{intent=\"demo.sopot\"} 5\n");
    pa_service_close(svc, &a);
    pa_service_close(svc, &b);
    pa_service_free(svc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_address_keys), cmocka_unit_test(test_networks),
        cmocka_unit_test(test_forwarded),    cmocka_unit_test(test_origins),
        cmocka_unit_test(test_two_buckets),  cmocka_unit_test(test_peers),
        cmocka_unit_test(test_accept),       cmocka_unit_test(test_upgrade),
        cmocka_unit_test(test_address_rate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

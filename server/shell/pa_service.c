#include "pa_service.h"

#include "pa_alloc.h"
#include "pa_context.h"
#include "pa_log.h"
#include "pa_origin.h"
#include "pa_reload.h"
#include "pa_reloader.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum {
    PA_RELOAD_REPORT_MAX = 20, /* problems of a failed reload shown in /healthz */
    PA_PEERS_SLACK = 64,       /* entries beyond those connections can hold, for lingering */
};

struct pa_service {
    pa_service_config cfg;
    pa_service_hooks hooks;
    pa_snapshot *snapshot;
    uint64_t fingerprint;
    time_t loaded_at, reload_at;
    int reload_ok;
    char reload_report[PA_RELOAD_REPORT_MAX][PA_DIAG_SOURCE_MAX + PA_DIAG_TEXT_MAX + 32];
    size_t reload_report_count;
    pa_reloader *reloader;
    atomic_int stop_requested, reload_requested;
    int stopping;
    size_t connections, sockets;
    int64_t now_us; /* the latest time an event brought */
    pa_cidr_list trusted;
    pa_origin_list origins;
    pa_peers *peers;
    pa_metrics m;
    const pa_token_keys *context_keys; /* cfg's, or own_keys */
    pa_token_keys *own_keys;
};

static void wake(pa_service *svc)
{
    if (svc->hooks.wake)
        svc->hooks.wake(svc->hooks.user);
}

static void reload_ready(void *user)
{
    wake(user);
}

static void start_reloader(pa_service *svc)
{
    pa_reloader_config rc = {.intents_dir = svc->cfg.intents_dir,
                             .locales_dir = svc->cfg.locales_dir,
                             .poll_ms = svc->cfg.reload_poll_ms,
                             .debounce_ms = svc->cfg.reload_debounce_ms,
                             .ready = reload_ready,
                             .user = svc};
    svc->reloader = pa_reloader_start(&rc, svc->fingerprint);
    if (!svc->reloader)
        pa_log("passerelle: cannot start the reload thread; edits need a restart");
}

/* The lists the configuration checked already: a bad one here counts as empty. */
static void parse_lists(pa_service *svc)
{
    char bad[256];
    if (pa_cidr_list_parse(svc->cfg.trusted_proxies, &svc->trusted, bad, sizeof bad) != 0)
        pa_log("passerelle: trusted-proxies: '%s' ignored", bad);
    if (pa_origin_list_parse(svc->cfg.allowed_origins, &svc->origins, bad, sizeof bad) != 0)
        pa_log("passerelle: allowed-origins: '%s' ignored", bad);
}

pa_service *pa_service_new(const pa_service_config *cfg, const pa_service_hooks *hooks,
                           pa_diag *diag)
{
    uint64_t fingerprint = pa_reload_fingerprint(cfg->intents_dir, cfg->locales_dir);
    pa_snapshot *s = pa_snapshot_load(cfg->intents_dir, cfg->locales_dir, diag);
    if (!s) {
        pa_handoff_stop(cfg->handoff);
        return NULL;
    }
    pa_service *svc = pa_xcalloc(1, sizeof *svc);
    svc->cfg = *cfg;
    if (!svc->cfg.ipv6_prefix)
        svc->cfg.ipv6_prefix = 64;
    if (hooks)
        svc->hooks = *hooks;
    svc->snapshot = s;
    svc->fingerprint = fingerprint;
    svc->loaded_at = svc->reload_at = time(NULL);
    svc->reload_ok = 1;
    pa_metrics_init(&svc->m);
    parse_lists(svc);
    /* every connection holds at most two entries: its peer's and its client's */
    size_t capacity = cfg->max_sockets ? cfg->max_sockets * 2 + PA_PEERS_SLACK : 1 << 16;
    svc->peers = pa_peers_new(capacity, &cfg->address_rate);
    if (!svc->cfg.context_ttl_s)
        svc->cfg.context_ttl_s = PA_CONTEXT_TTL_DEFAULT_S;
    if (cfg->context_keys) {
        svc->context_keys = cfg->context_keys;
    } else {
        char err[256];
        svc->own_keys = pa_token_keys_load(NULL, err, sizeof err);
        if (!svc->own_keys) {
            fprintf(stderr, "passerelle: %s\n", err);
            abort(); /* no random bytes at all: like running out of memory */
        }
        svc->context_keys = svc->own_keys;
    }
    if (cfg->reload_poll_ms > 0)
        start_reloader(svc);
    return svc;
}

void pa_service_free(pa_service *svc)
{
    if (!svc)
        return;
    pa_handoff_stop(svc->cfg.handoff);
    pa_reloader_stop(svc->reloader);
    pa_snapshot_free(svc->snapshot);
    pa_peers_free(svc->peers);
    pa_token_keys_free(svc->own_keys);
    pa_cidr_list_clear(&svc->trusted);
    pa_origin_list_clear(&svc->origins);
    pa_metrics_clear(&svc->m);
    free(svc);
}

const pa_snapshot *pa_service_snapshot(const pa_service *svc)
{
    return svc->snapshot;
}

pa_events *pa_service_events(const pa_service *svc)
{
    return svc->cfg.events;
}

/* ---- admission ------------------------------------------------------------ */

static pa_refusal refuse(pa_service *svc, pa_refusal r)
{
    svc->m.refused[r]++;
    return r;
}

pa_refusal pa_service_accept(pa_service *svc, const struct sockaddr *peer, pa_peer **entry,
                             int64_t now_us)
{
    svc->now_us = now_us;
    *entry = NULL;
    if (svc->cfg.max_sockets && svc->sockets >= svc->cfg.max_sockets)
        return refuse(svc, PA_REFUSE_MAX_CONNECTIONS);
    pa_addr a;
    if (pa_addr_from_sockaddr(peer, &a) == 0 && !pa_cidr_list_contains(&svc->trusted, &a)) {
        char key[PA_ADDR_TEXT_MAX];
        pa_addr_key(&a, svc->cfg.ipv6_prefix, key);
        pa_peer *p = pa_peers_find(svc->peers, key);
        if (svc->cfg.max_per_address && p && p->sockets >= svc->cfg.max_per_address)
            return refuse(svc, PA_REFUSE_PER_ADDRESS);
        p = pa_peers_hold(svc->peers, key, now_us);
        if (!p)
            return refuse(svc, PA_REFUSE_MAX_CONNECTIONS);
        p->sockets++;
        *entry = p;
    }
    svc->sockets++;
    return PA_ADMIT;
}

void pa_service_socket_closed(pa_service *svc, pa_peer *entry, int64_t now_us)
{
    svc->now_us = now_us;
    svc->sockets--;
    if (entry) {
        entry->sockets--;
        pa_peers_release(svc->peers, entry, now_us);
    }
}

/* The key of the client behind an upgrade: the peer, or whom a trusted
 * proxy names. Returns -1 when the peer's family is not IP (tests' sockets). */
static int client_key(pa_service *svc, const pa_upgrade *u, char key[PA_ADDR_TEXT_MAX])
{
    pa_addr peer, client;
    if (!u->peer || pa_addr_from_sockaddr(u->peer, &peer) != 0)
        return -1;
    const char *header =
        svc->cfg.forwarded == PA_FORWARDED_RFC7239 ? u->forwarded : u->x_forwarded_for;
    if (pa_addr_client(&peer, &svc->trusted, svc->cfg.forwarded, header, &client) != 0)
        pa_log("passerelle: a trusted proxy sent no usable %s header; counting its client as "
               "the proxy",
               svc->cfg.forwarded == PA_FORWARDED_RFC7239 ? "Forwarded" : "X-Forwarded-For");
    pa_addr_key(&client, svc->cfg.ipv6_prefix, key);
    return 0;
}

pa_refusal pa_service_upgrade(pa_service *svc, const pa_upgrade *u)
{
    if (svc->stopping)
        return refuse(svc, PA_REFUSE_STOPPING);
    if (!pa_origin_allowed(&svc->origins, u->origin, u->host))
        return refuse(svc, PA_REFUSE_ORIGIN);
    char key[PA_ADDR_TEXT_MAX];
    if (svc->cfg.max_per_address && client_key(svc, u, key) == 0) {
        const pa_peer *p = pa_peers_find(svc->peers, key);
        if (p && p->websockets >= svc->cfg.max_per_address)
            return refuse(svc, PA_REFUSE_PER_ADDRESS);
    }
    return PA_ADMIT;
}

void pa_service_count_refusal(pa_service *svc, pa_refusal r)
{
    if (r > PA_ADMIT && r < PA_REFUSAL_END)
        svc->m.refused[r]++;
}

void pa_service_count_close(pa_service *svc, pa_close_reason r)
{
    if (r >= 0 && r < PA_CLOSE_END)
        svc->m.closed[r]++;
}

void pa_service_count_accept_failure(pa_service *svc)
{
    svc->m.accept_failures++;
}

size_t pa_service_sockets(const pa_service *svc)
{
    return svc->sockets;
}

/* ---- conversations -------------------------------------------------------- */

char *pa_service_open(pa_service *svc, pa_conn *conn, const char *lang_code, int64_t now_us)
{
    svc->now_us = now_us;
    memset(conn, 0, sizeof *conn);
    pa_session_init(&conn->dialog);
    pa_rate_start(&conn->rate, &svc->cfg.rate, now_us);
    svc->connections++;
    svc->m.connections_total++;
    char *welcome = pa_turn_open(svc->snapshot, &conn->dialog, &svc->cfg.limits, lang_code);
    return pa_handoff_welcome(svc->cfg.handoff, welcome);
}

char *pa_service_open_client(pa_service *svc, pa_conn *conn, const pa_upgrade *u,
                             const char *lang_code, int64_t now_us)
{
    char *welcome = pa_service_open(svc, conn, lang_code, now_us);
    char key[PA_ADDR_TEXT_MAX];
    if (client_key(svc, u, key) == 0) {
        conn->client = pa_peers_hold(svc->peers, key, now_us);
        if (conn->client)
            conn->client->websockets++;
    }
    return welcome;
}

/* ---- the staff event log ------------------------------------------------- */

/* Two decimals, as in the frames: finer digits would promise a precision
 * the score lacks. */
static json_t *score_json(double score)
{
    return json_real((double)(long)(score * 100 + 0.5) / 100);
}

static json_t *intent_json(const pa_snapshot *s, int intent)
{
    return intent >= 0 ? json_string(s->k.intents[intent].id) : json_null();
}

/* The intent a question came nearest to, though under the threshold: the
 * best-ranked one that has an answer (the others hold what the bot must not
 * answer), for staff to see what was almost understood. */
static void add_nearest(const pa_snapshot *s, const pa_match_result *m, json_t *f)
{
    int nearest = -1;
    double score = 0;
    for (size_t i = 0; i < m->n_top && nearest < 0; i++)
        if (!s->k.intents[m->top[i].intent].fallback) {
            nearest = m->top[i].intent;
            score = m->top[i].score;
        }
    json_object_set_new(f, "nearest", intent_json(s, nearest));
    json_object_set_new(f, "score", score_json(score));
}

static json_t *question_text(const pa_turn *t)
{
    return t->request.text ? json_stringn(t->request.text, t->request.text_len) : json_null();
}

/* Fills the fields of a turn's event and returns its name, or NULL when the
 * turn is none of staff's business. What residents typed goes in only
 * for the questions the bot could not answer, and pa_events masks it. */
static const char *turn_event(const pa_snapshot *s, const pa_turn *t, json_t *f)
{
    if (t->request.feedback) {
        json_object_set_new(f, "intent", intent_json(s, t->feedback_intent));
        json_object_set_new(f, "useful", json_boolean(t->request.useful));
        return "feedback";
    }
    switch (t->reply.kind) {
    case PA_REPLY_ANSWER:
        json_object_set_new(f, "intent", intent_json(s, t->reply.intent));
        json_object_set_new(f, "confidence", score_json(t->reply.confidence));
        return "answered";
    case PA_REPLY_FALLBACK:
        json_object_set_new(f, "text", question_text(t));
        add_nearest(s, &t->reply.match, f);
        return "unanswered";
    case PA_REPLY_CLARIFY: {
        json_object_set_new(f, "text", question_text(t));
        json_t *choices = json_array();
        for (size_t i = 0; i < t->reply.n_suggestions; i++)
            json_array_append_new(choices, intent_json(s, (int)t->reply.suggestions[i]));
        json_object_set_new(f, "choices", choices);
        return "clarification";
    }
    default: return NULL; /* a question in a language the bot does not speak */
    }
}

/* One event per question and per vote, so that staff see what residents
 * ask, what the bot could not answer, and what they found useful. */
static void write_event(pa_service *svc, const pa_turn *t)
{
    if (!svc->cfg.events || t->error != PA_PROTO_OK || t->request.ping)
        return;
    const pa_snapshot *s = svc->snapshot;
    json_t *f = json_object();
    json_object_set_new(f, "lang", json_string(s->k.locales[t->lang].code));
    const char *event = turn_event(s, t, f);
    if (event)
        pa_events_write(svc->cfg.events, event, f);
    json_decref(f);
}

/* The rate limits: the connection's bucket, and its address' when counted. */
/* A context the client brought back: taken when this connection has not
 * asked anything yet (it comes from an earlier connection, maybe to another
 * replica), and only when the token is genuine and fresh. Otherwise the
 * conversation simply starts afresh: the resident never sees an error. */
static void restore_context(pa_service *svc, pa_conn *conn, const char *token)
{
    if (!pa_context_session_is_new(&conn->dialog))
        return;
    char text[PA_CONTEXT_TEXT_MAX];
    /* wall-clock time, unlike now_us: the replicas' clocks must agree on it */
    int n = pa_token_open(svc->context_keys, token, time(NULL), svc->cfg.context_ttl_s, text,
                          sizeof text);
    if (n >= 0 && pa_context_read(svc->snapshot, text, (size_t)n, &conn->dialog) == 0)
        svc->m.contexts_restored++;
    else
        svc->m.contexts_refused++;
}

/* Every answer carries the conversation's context, sealed, for the client to
 * bring back if its connection moves. */
static void seal_context(pa_service *svc, const pa_conn *conn, pa_turn *t)
{
    if (t->error != PA_PROTO_OK || t->request.ping || t->request.feedback)
        return;
    char text[PA_CONTEXT_TEXT_MAX];
    size_t n = pa_context_write(svc->snapshot, &conn->dialog, text, sizeof text);
    if (n)
        t->context = pa_token_seal(svc->context_keys, text, n, time(NULL));
}

static int may_ask(pa_service *svc, pa_conn *conn, int64_t now_us)
{
    if (!conn->client || svc->cfg.address_rate.burst <= 0)
        return pa_rate_take(&conn->rate, &svc->cfg.rate, now_us);
    return pa_rate_take_both(&conn->rate, &svc->cfg.rate, &conn->client->rate,
                             &svc->cfg.address_rate, now_us);
}

/* A message to staff: answered now when it is refused, else acknowledged
 * once the worker has it on disk (pa_service_poll). */
static char *contact(pa_service *svc, pa_conn *conn, const char *data, size_t len)
{
    pa_proto_error e;
    char *frame = pa_handoff_contact(svc->cfg.handoff, svc->snapshot, &conn->dialog, conn,
                                     &conn->handoff, data, len, &e);
    if (e != PA_PROTO_OK)
        svc->m.errors[e]++;
    return frame;
}

char *pa_service_message(pa_service *svc, pa_conn *conn, const char *data, size_t len,
                         pa_proto_error refused, int64_t now_us)
{
    svc->now_us = now_us;
    pa_turn t;
    pa_turn_read(&svc->cfg.limits, data, len, &t);
    int keepalive = refused == PA_PROTO_OK && t.error == PA_PROTO_OK && t.request.ping;
    if (refused == PA_PROTO_OK && !keepalive && !may_ask(svc, conn, now_us))
        refused = PA_PROTO_RATE_LIMITED;
    if (refused == PA_PROTO_OK && t.error == PA_PROTO_UNKNOWN_TYPE && data &&
        pa_contact_is_frame(data, len)) {
        pa_turn_clear(&t);
        return contact(svc, conn, data, len);
    }
    if (refused == PA_PROTO_OK && t.error == PA_PROTO_OK && t.request.context)
        restore_context(svc, conn, t.request.context);
    pa_turn_answer(svc->snapshot, &conn->dialog, refused, &t);
    seal_context(svc, conn, &t);
    pa_metrics_count_turn(&svc->m, svc->snapshot, &t);
    write_event(svc, &t);
    char *frame = pa_turn_render(svc->snapshot, &t);
    pa_turn_clear(&t);
    return frame;
}

void pa_service_replied(pa_service *svc, double seconds)
{
    pa_histogram_observe(&svc->m.reply_seconds, seconds);
}

void pa_service_close(pa_service *svc, pa_conn *conn)
{
    svc->connections--;
    pa_handoff_forget(svc->cfg.handoff, conn);
    if (conn->client) {
        conn->client->websockets--;
        pa_peers_release(svc->peers, conn->client, svc->now_us);
        conn->client = NULL;
    }
}

size_t pa_service_connections(const pa_service *svc)
{
    return svc->connections;
}

void pa_service_tick(pa_service *svc, int64_t now_us)
{
    svc->now_us = now_us;
    pa_peers_sweep(svc->peers, now_us);
}

/* ---- health and metrics --------------------------------------------------- */

static char *iso_time(time_t t, char *buf, size_t size)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

/* The bundle followed at knowledge-url: what the last request did, and why
 * the last bundle refused was refused. */
static json_t *bundle_health(const pa_fetcher *f)
{
    pa_fetcher_status st;
    pa_fetcher_status_get(f, &st);
    char last[32], updated[32];
    json_t *errors = json_array();
    for (size_t i = 0; i < st.n_errors; i++)
        json_array_append_new(errors, json_string(st.errors[i]));
    json_t *o = json_pack("{s:s, s:s, s:s, s:o}", "url", pa_fetcher_url(f), "last",
                          pa_fetch_result_name(st.last), "at",
                          iso_time(st.last_at, last, sizeof last), "errors", errors);
    if (st.error[0])
        json_object_set_new(o, "error", json_string(st.error));
    json_object_set_new(o, "updated_at",
                        st.updated_at
                            ? json_string(iso_time(st.updated_at, updated, sizeof updated))
                            : json_null());
    if (st.etag[0])
        json_object_set_new(o, "etag", json_string(st.etag));
    return o;
}

char *pa_service_health(const pa_service *svc)
{
    char loaded[32], at[32];
    const pa_snapshot *s = svc->snapshot;
    json_t *errors = json_array();
    for (size_t i = 0; i < svc->reload_report_count; i++)
        json_array_append_new(errors, json_string(svc->reload_report[i]));
    json_t *langs = json_array();
    for (size_t l = 0; l < s->k.n_locales; l++)
        json_array_append_new(langs, json_string(s->k.locales[l].code));
    json_t *o = json_pack("{s:s, s:s, s:{s:s, s:i, s:o, s:s}, s:{s:b, s:s, s:o}, s:i}", "status",
                          svc->stopping ? "stopping" : "ok", "program_version", svc->cfg.version,
                          "knowledge", "version", s->k.version, "intents", (int)s->k.n_answerable,
                          "languages", langs, "loaded_at",
                          iso_time(svc->loaded_at, loaded, sizeof loaded), "last_reload", "ok",
                          svc->reload_ok, "at", iso_time(svc->reload_at, at, sizeof at), "errors",
                          errors, "connections", (int)svc->connections);
    if (svc->cfg.fetcher)
        json_object_set_new(o, "bundle", bundle_health(svc->cfg.fetcher));
    if (svc->cfg.handoff)
        json_object_set_new(o, "handoff", pa_handoff_health(svc->cfg.handoff));
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return text;
}

char *pa_service_metrics(const pa_service *svc)
{
    pa_fetcher_status bundle;
    pa_metrics_info info = {.program_version = svc->cfg.version,
                            .knowledge_version = svc->snapshot->k.version,
                            .connections = svc->connections,
                            .sockets = svc->sockets,
                            .addresses = pa_peers_count(svc->peers),
                            .log_dropped = pa_log_dropped()};
    if (svc->cfg.fetcher) {
        pa_fetcher_status_get(svc->cfg.fetcher, &bundle);
        info.bundle = &bundle;
    }
    char *text = pa_metrics_text(&svc->m, &info), *handoff = pa_handoff_metrics(svc->cfg.handoff);
    size_t a = strlen(text), b = strlen(handoff);
    text = pa_xrealloc(text, a + b + 1);
    memcpy(text + a, handoff, b + 1);
    free(handoff);
    return text;
}

/* ---- reloads and requests from other threads ----------------------------- */

/* The problem as /healthz shows it: its file relative to the knowledge
 * folders ("intents/partner/sopot.json:4:11: ..."), the server's own paths
 * being nobody's business. */
static void relative_line(const pa_service *svc, const char *line, char *out, size_t size)
{
    const char *dirs[2] = {svc->cfg.intents_dir, svc->cfg.locales_dir};
    const char *names[2] = {"intents", "locales"};
    for (int i = 0; i < 2; i++) {
        size_t n = strlen(dirs[i]);
        if (!strncmp(line, dirs[i], n) && line[n] == '/') {
            snprintf(out, size, "%s%s", names[i], line + n);
            return;
        }
    }
    const char *slash = strrchr(line, '/'); /* elsewhere: the file's name only */
    snprintf(out, size, "%s", slash ? slash + 1 : line);
}

/* Keeps the errors of a reload for /healthz, and logs them. */
static void report_reload(pa_service *svc, const pa_diag *diag)
{
    svc->reload_report_count = 0;
    for (size_t i = 0; i < diag->count && svc->reload_report_count < PA_RELOAD_REPORT_MAX; i++) {
        if (diag->items[i].severity != PA_DIAG_ERROR)
            continue;
        char line[sizeof svc->reload_report[0]];
        pa_diag_format(&diag->items[i], svc->cfg.catalog, line, sizeof line);
        pa_log("passerelle: reload: %s", line);
        relative_line(svc, line, svc->reload_report[svc->reload_report_count++],
                      sizeof svc->reload_report[0]);
    }
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Puts a build in service, or reports why it cannot be. Messages are
 * handled to completion on this thread, so no turn still holds the old
 * snapshot once it is swapped out: the reload thread frees it
 * (pa_reloader_retire says why), or this one when there is none. */
static void install(pa_service *svc, pa_reload_result *r)
{
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    svc->fingerprint = r->fingerprint;
    svc->reload_at = r->at;
    report_reload(svc, &r->diag);
    svc->reload_ok = r->snapshot != NULL;
    if (!r->snapshot) {
        svc->m.reloads_failed++;
        pa_log("passerelle: reload failed; still serving knowledge %s", svc->snapshot->k.version);
    } else {
        pa_snapshot *old = svc->snapshot;
        svc->snapshot = r->snapshot;
        r->snapshot = NULL;
        if (svc->reloader)
            pa_reloader_retire(svc->reloader, old);
        else
            pa_snapshot_free(old);
        svc->loaded_at = svc->reload_at;
        svc->m.reloads_ok++;
    }
    double seconds = r->seconds;
    pa_histogram_observe(&svc->m.reload_seconds, seconds);
    pa_reload_result_clear(r);
    pa_histogram_observe(&svc->m.swap_seconds, seconds_since(&t0));
    if (svc->reload_ok)
        pa_log("passerelle: reloaded knowledge %s (%zu intents) in %.3f s",
               svc->snapshot->k.version, svc->snapshot->k.n_answerable, seconds);
}

void pa_service_reload(pa_service *svc, int forced)
{
    const pa_service_config *cfg = &svc->cfg;
    if (!forced && pa_reload_fingerprint(cfg->intents_dir, cfg->locales_dir) == svc->fingerprint)
        return;
    pa_reload_result r;
    pa_reload_build(cfg->intents_dir, cfg->locales_dir, &r);
    install(svc, &r);
}

void pa_service_request_reload(pa_service *svc)
{
    if (svc->reloader) {
        pa_reloader_force(svc->reloader); /* wakes the loop once built */
        return;
    }
    atomic_store(&svc->reload_requested, 1);
    wake(svc);
}

void pa_service_request_stop(pa_service *svc)
{
    atomic_store(&svc->stop_requested, 1);
    wake(svc);
}

/* An acknowledgement the handoff worker made ready, to its connection. */
static void send_later(void *user, void *conn, char *frame)
{
    pa_service *svc = user;
    if (svc->hooks.send)
        svc->hooks.send(svc->hooks.user, conn, frame);
    else
        free(frame);
}

int pa_service_poll(pa_service *svc)
{
    svc->m.errors[PA_PROTO_CONTACT_UNAVAILABLE] +=
        pa_handoff_poll(svc->cfg.handoff, svc->snapshot, send_later, svc);
    pa_reload_result r;
    if (svc->reloader && pa_reloader_take(svc->reloader, &r))
        install(svc, &r);
    if (atomic_exchange(&svc->reload_requested, 0))
        pa_service_reload(svc, 1);
    if (atomic_load(&svc->stop_requested) && !svc->stopping) {
        svc->stopping = 1;
        return 1;
    }
    return 0;
}

int pa_service_stopping(const pa_service *svc)
{
    return svc->stopping;
}

void pa_service_stop_handoff(pa_service *svc)
{
    pa_handoff_stop(svc->cfg.handoff);
    svc->cfg.handoff = NULL;
}

void pa_service_stop_reloader(pa_service *svc)
{
    pa_reloader_stop(svc->reloader);
    svc->reloader = NULL;
}

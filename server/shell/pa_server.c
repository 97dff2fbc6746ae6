#include "pa_server.h"

#include "pa_alloc.h"
#include "pa_reload.h"
#include "pa_turn.h"

#include <libwebsockets.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum {
    PA_OUTBOX = 8,             /* frames waiting per connection before reads pause */
    PA_RATE_BURST = 8,         /* questions a client may send at once... */
    PA_RATE_PER_SECOND = 1,    /* ...and then per second */
    PA_FRAME_SLACK = 4096,     /* JSON around the text of a question */
    PA_STOP_GRACE_MS = 3000,   /* longest wait for close frames to leave */
    PA_RELOAD_EVERY_MS = 2000, /* how often edits to the files are looked for */
    PA_RELOAD_REPORT_MAX = 20, /* problems kept from a failed reload */
};

typedef struct {
    char code[16];
    unsigned long questions;
} lang_counter;

typedef struct {
    unsigned long connections_total, questions, answers, fallbacks, clarifications;
    unsigned long errors[PA_PROTO_END];
    unsigned long reloads_ok, reloads_failed;
    lang_counter langs[PA_LANG_MAX];
} metrics;

typedef struct {
    const pa_server_config *cfg;
    pa_turn_limits limits;
    struct lws_context *ctx;
    pa_snapshot *snapshot;
    uint64_t fingerprint;
    time_t loaded_at, reload_at;
    int reload_ok;
    char reload_report[PA_RELOAD_REPORT_MAX][PA_DIAG_SOURCE_MAX + PA_DIAG_TEXT_MAX + 32];
    size_t reload_report_count;
    atomic_int stop_requested, reload_requested;
    int stopping;
    lws_usec_t stop_deadline;
    size_t connections;
    metrics m;
    lws_sorted_usec_list_t reload_timer, stop_timer;
    const struct lws_protocols *protocol;
} server;

/* One per connection (WebSocket) or per HTTP transaction. */
typedef struct {
    int is_ws;
    /* HTTP */
    char *body;
    size_t body_len;
    /* WebSocket */
    pa_session dialog;
    unsigned char *out[PA_OUTBOX];
    size_t out_len[PA_OUTBOX];
    unsigned out_head, out_count;
    char *rx;
    size_t rx_len;
    int rx_overflow, rx_binary, paused;
    double tokens;
    lws_usec_t refilled_at;
} session;

/* ---- outgoing frames ---------------------------------------------------- */

static void enqueue(struct lws *wsi, session *ss, char *json)
{
    if (!json)
        return;
    size_t len = strlen(json);
    if (ss->out_count == PA_OUTBOX) { /* a client that does not read: drop */
        free(json);
        return;
    }
    unsigned char *frame = malloc(LWS_PRE + len);
    if (!frame) {
        free(json);
        return;
    }
    memcpy(frame + LWS_PRE, json, len);
    free(json);
    unsigned slot = (ss->out_head + ss->out_count) % PA_OUTBOX;
    ss->out[slot] = frame;
    ss->out_len[slot] = len;
    ss->out_count++;
    if (ss->out_count == PA_OUTBOX && !ss->paused) {
        lws_rx_flow_control(wsi, 0);
        ss->paused = 1;
    }
    lws_callback_on_writable(wsi);
}

static int write_next(struct lws *wsi, session *ss)
{
    if (ss->out_count == 0)
        return 0;
    unsigned slot = ss->out_head;
    int n = lws_write(wsi, ss->out[slot] + LWS_PRE, ss->out_len[slot], LWS_WRITE_TEXT);
    free(ss->out[slot]);
    ss->out[slot] = NULL;
    ss->out_head = (ss->out_head + 1) % PA_OUTBOX;
    ss->out_count--;
    if (n < (int)ss->out_len[slot])
        return -1;
    if (ss->paused && ss->out_count < PA_OUTBOX / 2) {
        lws_rx_flow_control(wsi, 1);
        ss->paused = 0;
    }
    if (ss->out_count)
        lws_callback_on_writable(wsi);
    return 0;
}

static void session_free(session *ss)
{
    for (unsigned i = 0; i < PA_OUTBOX; i++)
        free(ss->out[i]);
    free(ss->rx);
    free(ss->body);
    memset(ss, 0, sizeof *ss);
}

/* ---- questions ----------------------------------------------------------- */

static void count_question(server *srv, const char *code)
{
    for (size_t i = 0; i < PA_LANG_MAX; i++) {
        lang_counter *c = &srv->m.langs[i];
        if (!c->code[0])
            snprintf(c->code, sizeof c->code, "%s", code);
        if (!strcmp(c->code, code)) {
            c->questions++;
            return;
        }
    }
}

/* Lets a client ask PA_RATE_BURST questions at once, then one a second. */
static int rate_allows(session *ss)
{
    lws_usec_t now = lws_now_usecs();
    double refill = (double)(now - ss->refilled_at) / 1e6 * PA_RATE_PER_SECOND;
    ss->tokens = ss->tokens + refill > PA_RATE_BURST ? PA_RATE_BURST : ss->tokens + refill;
    ss->refilled_at = now;
    if (ss->tokens < 1)
        return 0;
    ss->tokens -= 1;
    return 1;
}

/* Questions the knowledge could not answer go to the log, one JSON line
 * each, so that staff can see what residents ask and add it. */
static void log_unanswered(const pa_snapshot *s, const pa_turn *t)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:f}", "event", "unanswered", "lang",
                          s->locales[t->reply.lang].code, "text", t->request.text, "confidence",
                          t->reply.confidence);
    char *line = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
    fprintf(stderr, "%s\n", line);
    free(line);
    json_decref(o);
}

static void count_turn(server *srv, const pa_turn *t)
{
    const pa_snapshot *s = srv->snapshot;
    if (t->error != PA_PROTO_OK) {
        srv->m.errors[t->error]++;
        return;
    }
    srv->m.questions++;
    count_question(srv, s->locales[t->reply.lang].code);
    if (t->reply.kind == PA_REPLY_ANSWER)
        srv->m.answers++;
    else if (t->reply.kind == PA_REPLY_CLARIFY)
        srv->m.clarifications++;
    else {
        srv->m.fallbacks++;
        log_unanswered(s, t);
    }
}

/* Answers one complete message; data is NULL when refused says why it
 * cannot be read. */
static void handle_message(server *srv, struct lws *wsi, session *ss, const char *data, size_t len,
                           pa_proto_error refused)
{
    if (refused == PA_PROTO_OK && !rate_allows(ss))
        refused = PA_PROTO_RATE_LIMITED;
    pa_turn t;
    pa_turn_frame(srv->snapshot, &ss->dialog, &srv->limits, data, len, refused, &t);
    count_turn(srv, &t);
    enqueue(wsi, ss, pa_turn_render(srv->snapshot, &t));
    pa_turn_clear(&t);
}

/* Gathers the fragments of one message; handles it when complete. */
static void receive(server *srv, struct lws *wsi, session *ss, const char *in, size_t len)
{
    size_t limit = srv->cfg->max_text_chars * 4 + PA_FRAME_SLACK;
    if (lws_frame_is_binary(wsi))
        ss->rx_binary = 1;
    if (!ss->rx_overflow && ss->rx_len + len <= limit) {
        ss->rx = pa_xrealloc(ss->rx, ss->rx_len + len + 1);
        memcpy(ss->rx + ss->rx_len, in, len);
        ss->rx_len += len;
    } else {
        ss->rx_overflow = 1;
    }
    if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi))
        return;
    if (ss->rx_binary)
        handle_message(srv, wsi, ss, NULL, 0, PA_PROTO_BAD_ENCODING);
    else if (ss->rx_overflow)
        handle_message(srv, wsi, ss, NULL, 0, PA_PROTO_TEXT_TOO_LONG);
    else
        handle_message(srv, wsi, ss, ss->rx ? ss->rx : "", ss->rx_len, PA_PROTO_OK);
    free(ss->rx);
    ss->rx = NULL;
    ss->rx_len = 0;
    ss->rx_overflow = ss->rx_binary = 0;
}

/* ---- HTTP: /healthz and /metrics ---------------------------------------- */

static char *iso_time(time_t t, char *buf, size_t size)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

static char *health_json(server *srv)
{
    char loaded[32], at[32];
    const pa_snapshot *s = srv->snapshot;
    json_t *errors = json_array();
    for (size_t i = 0; i < srv->reload_report_count; i++)
        json_array_append_new(errors, json_string(srv->reload_report[i]));
    json_t *langs = json_array();
    for (size_t l = 0; l < s->n_locales; l++)
        json_array_append_new(langs, json_string(s->locales[l].code));
    json_t *o = json_pack("{s:s, s:s, s:{s:s, s:i, s:o, s:s}, s:{s:b, s:s, s:o}, s:i}", "status",
                          srv->stopping ? "stopping" : "ok", "program_version", srv->cfg->version,
                          "knowledge", "version", s->version, "intents", (int)s->n_answerable,
                          "languages", langs, "loaded_at",
                          iso_time(srv->loaded_at, loaded, sizeof loaded), "last_reload", "ok",
                          srv->reload_ok, "at", iso_time(srv->reload_at, at, sizeof at), "errors",
                          errors, "connections", (int)srv->connections);
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return text;
}

/* Appends printf output to a growing string. */
__attribute__((format(printf, 2, 3))) static void append(char **buf, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *more = NULL;
    if (vasprintf(&more, fmt, ap) < 0)
        more = NULL;
    va_end(ap);
    if (!more)
        return;
    size_t old = *buf ? strlen(*buf) : 0;
    char *joined = realloc(*buf, old + strlen(more) + 1);
    if (joined) {
        strcpy(joined + old, more);
        *buf = joined;
    }
    free(more);
}

static char *metrics_text(server *srv)
{
    const metrics *m = &srv->m;
    char *b = NULL;
    append(&b,
           "# HELP passerelle_info Program and knowledge versions.\n"
           "# TYPE passerelle_info gauge\n"
           "passerelle_info{version=\"%s\",knowledge=\"%s\"} 1\n",
           srv->cfg->version, srv->snapshot->version);
    append(&b,
           "# HELP passerelle_connections Open WebSocket connections.\n"
           "# TYPE passerelle_connections gauge\npasserelle_connections %zu\n",
           srv->connections);
    append(&b,
           "# HELP passerelle_connections_total WebSocket connections accepted.\n"
           "# TYPE passerelle_connections_total counter\npasserelle_connections_total %lu\n",
           m->connections_total);
    append(&b, "# HELP passerelle_questions_total Questions answered, by reply language.\n"
               "# TYPE passerelle_questions_total counter\n");
    for (size_t i = 0; i < PA_LANG_MAX && m->langs[i].code[0]; i++)
        append(&b, "passerelle_questions_total{lang=\"%s\"} %lu\n", m->langs[i].code,
               m->langs[i].questions);
    append(&b,
           "# HELP passerelle_replies_total Replies by kind.\n"
           "# TYPE passerelle_replies_total counter\n"
           "passerelle_replies_total{kind=\"answer\"} %lu\n"
           "passerelle_replies_total{kind=\"fallback\"} %lu\n"
           "passerelle_replies_total{kind=\"clarify\"} %lu\n",
           m->answers, m->fallbacks, m->clarifications);
    append(&b, "# HELP passerelle_protocol_errors_total Error frames sent, by code.\n"
               "# TYPE passerelle_protocol_errors_total counter\n");
    for (int c = PA_PROTO_FIRST_ERROR; c < PA_PROTO_END; c++)
        append(&b, "passerelle_protocol_errors_total{code=\"%s\"} %lu\n", pa_protocol_error_name(c),
               m->errors[c]);
    append(&b,
           "# HELP passerelle_reloads_total Knowledge reloads, by result.\n"
           "# TYPE passerelle_reloads_total counter\n"
           "passerelle_reloads_total{result=\"ok\"} %lu\n"
           "passerelle_reloads_total{result=\"failed\"} %lu\n",
           m->reloads_ok, m->reloads_failed);
    return b;
}

static int http_request(server *srv, struct lws *wsi, session *ss)
{
    char uri[128] = "";
    lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI);
    const char *type = "application/json";
    int status = HTTP_STATUS_OK;
    if (!strcmp(uri, "/healthz")) {
        ss->body = health_json(srv);
    } else if (!strcmp(uri, "/metrics")) {
        ss->body = metrics_text(srv);
        type = "text/plain; version=0.0.4; charset=utf-8";
    } else {
        return lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND, NULL);
    }
    if (!ss->body)
        return -1;
    ss->body_len = strlen(ss->body);
    unsigned char buf[LWS_PRE + 512], *start = buf + LWS_PRE, *p = start, *end = buf + sizeof buf;
    if (lws_add_http_common_headers(wsi, (unsigned)status, type, ss->body_len, &p, end) ||
        lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CACHE_CONTROL,
                                     (const unsigned char *)"no-store", 8, &p, end) ||
        lws_finalize_write_http_header(wsi, start, &p, end))
        return 1;
    lws_callback_on_writable(wsi);
    return 0;
}

static int http_write_body(struct lws *wsi, session *ss)
{
    if (!ss->body)
        return 0;
    unsigned char *frame = malloc(LWS_PRE + ss->body_len);
    if (!frame)
        return -1;
    memcpy(frame + LWS_PRE, ss->body, ss->body_len);
    int n = lws_write(wsi, frame + LWS_PRE, ss->body_len, LWS_WRITE_HTTP_FINAL);
    free(frame);
    free(ss->body);
    ss->body = NULL;
    if (n < 0)
        return -1;
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

/* ---- knowledge reloads -------------------------------------------------- */

static void reload(server *srv)
{
    const pa_server_config *cfg = srv->cfg;
    uint64_t fp = pa_reload_fingerprint(cfg->intents_dir, cfg->locales_dir);
    if (fp == srv->fingerprint && !atomic_exchange(&srv->reload_requested, 0))
        return;
    srv->fingerprint = fp;
    pa_diag diag;
    pa_diag_init(&diag);
    pa_snapshot *fresh = pa_snapshot_load(cfg->intents_dir, cfg->locales_dir, &diag);
    srv->reload_at = time(NULL);
    srv->reload_report_count = 0;
    for (size_t i = 0; i < diag.count && srv->reload_report_count < PA_RELOAD_REPORT_MAX; i++) {
        if (diag.items[i].severity != PA_DIAG_ERROR)
            continue;
        pa_diag_format(&diag.items[i], srv->reload_report[srv->reload_report_count],
                       sizeof srv->reload_report[0]);
        fprintf(stderr, "passerelle: reload: %s\n", srv->reload_report[srv->reload_report_count]);
        srv->reload_report_count++;
    }
    pa_diag_clear(&diag);
    srv->reload_ok = fresh != NULL;
    if (!fresh) {
        srv->m.reloads_failed++;
        fprintf(stderr, "passerelle: reload failed; still serving knowledge %s\n",
                srv->snapshot->version);
        return;
    }
    /* Requests are handled to completion inside one callback on this thread,
     * so no request still holds the old snapshot when it is released here. */
    pa_snapshot_unref(srv->snapshot);
    srv->snapshot = fresh;
    srv->loaded_at = srv->reload_at;
    srv->m.reloads_ok++;
    fprintf(stderr, "passerelle: reloaded knowledge %s (%zu intents)\n", fresh->version,
            fresh->n_answerable);
}

static void on_reload_timer(lws_sorted_usec_list_t *sul)
{
    server *srv = (server *)((char *)sul - offsetof(server, reload_timer));
    reload(srv);
    lws_sul_schedule(srv->ctx, 0, &srv->reload_timer, on_reload_timer,
                     PA_RELOAD_EVERY_MS * (LWS_USEC_PER_SEC / 1000));
}

/* ---- the protocol callback ---------------------------------------------- */

static int on_ws_event(server *srv, struct lws *wsi, enum lws_callback_reasons reason, session *ss,
                       void *in, size_t len)
{
    switch (reason) {
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION: {
        char uri[64] = "";
        lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI);
        return strcmp(uri, "/ws") != 0 || srv->stopping; /* non-zero refuses the upgrade */
    }
    case LWS_CALLBACK_ESTABLISHED: {
        memset(ss, 0, sizeof *ss);
        ss->is_ws = 1;
        ss->tokens = PA_RATE_BURST;
        ss->refilled_at = lws_now_usecs();
        pa_session_init(&ss->dialog);
        srv->connections++;
        srv->m.connections_total++;
        char buf[64];
        const char *lang = lws_get_urlarg_by_name(wsi, "lang=", buf, sizeof buf);
        enqueue(wsi, ss, pa_turn_welcome(srv->snapshot, &ss->dialog, lang));
        return 0;
    }
    case LWS_CALLBACK_RECEIVE: receive(srv, wsi, ss, in, len); return 0;
    case LWS_CALLBACK_SERVER_WRITEABLE:
        if (srv->stopping) {
            static const char reason_text[] = "server shutting down";
            lws_close_reason(wsi, LWS_CLOSE_STATUS_GOINGAWAY, (unsigned char *)reason_text,
                             sizeof reason_text - 1);
            return -1;
        }
        return write_next(wsi, ss);
    case LWS_CALLBACK_CLOSED:
        /* lws also reports the close of an upgrade the filter refused, which
         * was never established: only established sessions are counted */
        if (ss->is_ws) {
            srv->connections--;
            session_free(ss);
        }
        return 0;
    default: return 0;
    }
}

static void begin_stop(server *srv)
{
    srv->stopping = 1;
    srv->stop_deadline = lws_now_usecs() + PA_STOP_GRACE_MS * (LWS_USEC_PER_SEC / 1000);
    fprintf(stderr, "passerelle: stopping; closing %zu connections\n", srv->connections);
    lws_callback_on_writable_all_protocol(srv->ctx, srv->protocol);
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len)
{
    server *srv = lws_context_user(lws_get_context(wsi));
    session *ss = user;
    switch (reason) {
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
        if (atomic_load(&srv->stop_requested) && !srv->stopping)
            begin_stop(srv);
        if (atomic_load(&srv->reload_requested))
            reload(srv);
        return 0;
    case LWS_CALLBACK_HTTP: return http_request(srv, wsi, ss);
    case LWS_CALLBACK_HTTP_WRITEABLE: return http_write_body(wsi, ss);
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
    case LWS_CALLBACK_CLOSED_HTTP:
        if (ss && !ss->is_ws) {
            free(ss->body);
            ss->body = NULL;
        }
        break;
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
    case LWS_CALLBACK_ESTABLISHED:
    case LWS_CALLBACK_RECEIVE:
    case LWS_CALLBACK_SERVER_WRITEABLE:
    case LWS_CALLBACK_CLOSED: return on_ws_event(srv, wsi, reason, ss, in, len);
    default: break;
    }
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}

/* ---- signals ------------------------------------------------------------- */

typedef struct {
    server *srv;
    sigset_t set;
} signal_watch;

/* Signals are taken synchronously on a thread of their own, which may only
 * flag the request and wake the service loop (lws_cancel_service is the one
 * lws call that is safe from another thread). */
static void *watch_signals(void *arg)
{
    signal_watch *w = arg;
    for (;;) {
        int sig;
        if (sigwait(&w->set, &sig) != 0)
            continue;
        if (sig == SIGHUP) {
            atomic_store(&w->srv->reload_requested, 1);
        } else {
            atomic_store(&w->srv->stop_requested, 1);
            lws_cancel_service(w->srv->ctx);
            return NULL;
        }
        lws_cancel_service(w->srv->ctx);
    }
}

/* ---- running ------------------------------------------------------------- */

static int split_listen(const char *listen, char *host, size_t size, int *port)
{
    const char *colon = strrchr(listen, ':');
    if (!colon || colon == listen)
        return -1;
    size_t n = (size_t)(colon - listen);
    if (listen[0] == '[' && colon[-1] == ']') { /* [::1]:8080 */
        listen++;
        n -= 2;
    }
    if (n >= size)
        return -1;
    memcpy(host, listen, n);
    host[n] = '\0';
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if (*end || p < 0 || p > 65535)
        return -1;
    *port = (int)p;
    return 0;
}

static void on_stop_timer(lws_sorted_usec_list_t *sul)
{
    (void)sul; /* only there to return from lws_service */
}

static void serve_loop(server *srv)
{
    while (lws_service(srv->ctx, 0) >= 0) {
        if (srv->stopping && (srv->connections == 0 || lws_now_usecs() > srv->stop_deadline))
            break;
        if (srv->stopping) /* wake the loop again to check the deadline */
            lws_sul_schedule(srv->ctx, 0, &srv->stop_timer, on_stop_timer,
                             100 * (LWS_USEC_PER_SEC / 1000));
    }
}

int pa_server_run(const pa_server_config *cfg)
{
    static const struct lws_protocols protocols[] = {
        {"passerelle", callback, sizeof(session), 4096, 0, NULL, 0},
        {NULL, NULL, 0, 0, 0, NULL, 0},
    };
    server *srv = calloc(1, sizeof *srv);
    srv->cfg = cfg;
    srv->limits = pa_turn_limits_default();
    srv->limits.max_text_chars = cfg->max_text_chars;
    srv->protocol = &protocols[0];
    char host[256];
    int port;
    if (split_listen(cfg->listen, host, sizeof host, &port) != 0) {
        fprintf(stderr, "passerelle: --listen wants ADDR:PORT, got '%s'\n", cfg->listen);
        free(srv);
        return -1;
    }
    pa_diag diag;
    pa_diag_init(&diag);
    srv->fingerprint = pa_reload_fingerprint(cfg->intents_dir, cfg->locales_dir);
    srv->snapshot = pa_snapshot_load(cfg->intents_dir, cfg->locales_dir, &diag);
    if (!srv->snapshot) {
        pa_diag_print(&diag, stderr);
        fprintf(stderr, "passerelle: cannot start: the knowledge has errors\n");
        pa_diag_clear(&diag);
        free(srv);
        return -1;
    }
    pa_diag_clear(&diag);
    srv->loaded_at = srv->reload_at = time(NULL);
    srv->reload_ok = 1;

    /* Block the signals before any thread starts, so only the watcher gets them. */
    signal_watch watch = {srv, {{0}}};
    sigemptyset(&watch.set);
    sigaddset(&watch.set, SIGINT);
    sigaddset(&watch.set, SIGTERM);
    sigaddset(&watch.set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &watch.set, NULL);
    signal(SIGPIPE, SIG_IGN);

    static const struct lws_http_mount metrics_mount = {.mountpoint = "/metrics",
                                                        .mountpoint_len = 8,
                                                        .origin = "passerelle",
                                                        .origin_protocol = LWSMPRO_CALLBACK,
                                                        .protocol = "passerelle"};
    static const struct lws_http_mount health_mount = {.mount_next = &metrics_mount,
                                                       .mountpoint = "/healthz",
                                                       .mountpoint_len = 8,
                                                       .origin = "passerelle",
                                                       .origin_protocol = LWSMPRO_CALLBACK,
                                                       .protocol = "passerelle"};
    struct lws_http_mount web_mount = {.mount_next = &health_mount,
                                       .mountpoint = "/",
                                       .mountpoint_len = 1,
                                       .origin = cfg->web_dir,
                                       .def = "index.html",
                                       .origin_protocol = LWSMPRO_FILE};

    lws_set_log_level(LLL_ERR, NULL);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = port;
    info.iface = strcmp(host, "0.0.0.0") && strcmp(host, "*") ? host : NULL;
    info.protocols = protocols;
    info.mounts = &web_mount;
    info.user = srv;
    info.options = LWS_SERVER_OPTION_HTTP_HEADERS_SECURITY_BEST_PRACTICES_ENFORCE;
    if (!strchr(host, ':'))
        info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
    srv->ctx = lws_create_context(&info);
    if (!srv->ctx) {
        fprintf(stderr, "passerelle: cannot listen on %s\n", cfg->listen);
        pa_snapshot_unref(srv->snapshot);
        free(srv);
        return -1;
    }
    pthread_t watcher;
    pthread_create(&watcher, NULL, watch_signals, &watch);
    fprintf(stderr, "passerelle %s: listening on http://%s (knowledge %s, %zu intents)\n",
            cfg->version, cfg->listen, srv->snapshot->version, srv->snapshot->n_answerable);
    lws_sul_schedule(srv->ctx, 0, &srv->reload_timer, on_reload_timer,
                     PA_RELOAD_EVERY_MS * (LWS_USEC_PER_SEC / 1000));
    serve_loop(srv);
    if (!atomic_load(&srv->stop_requested))
        pthread_cancel(watcher);
    pthread_join(watcher, NULL);
    lws_context_destroy(srv->ctx);
    pa_snapshot_unref(srv->snapshot);
    free(srv);
    fprintf(stderr, "passerelle: stopped\n");
    return 0;
}

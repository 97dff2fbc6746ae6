/* The libwebsockets transport: HTTP and WebSocket callbacks that hand every
 * event to pa_service and write back what it returns. No decision about
 * replies, limits or knowledge is made here. */
#include "pa_server.h"

#include "pa_alloc.h"
#include "pa_outbox.h"
#include "pa_service.h"

#include <libwebsockets.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    PA_OUTBOX_FRAMES = 8,      /* frames waiting per connection before reads pause */
    PA_FRAME_SLACK = 4096,     /* JSON around the text of a question */
    PA_STOP_GRACE_MS = 3000,   /* longest wait for close frames to leave */
    PA_RELOAD_EVERY_MS = 2000, /* how often edits to the files are looked for */
    PA_URI_MAX = 128,          /* longest request path compared */
    PA_LANG_ARG_MAX = 64,      /* longest ?lang= read */
};

typedef struct {
    const pa_server_config *cfg;
    pa_service *svc;
    struct lws_context *ctx;
    lws_usec_t stop_deadline;
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
    pa_conn conn;
    pa_outbox out;
    char *rx; /* the fragments of the message being received */
    size_t rx_len;
    int rx_overflow, rx_binary;
} session;

/* ---- WebSocket messages --------------------------------------------------- */

static void send_frame(struct lws *wsi, session *ss, char *json)
{
    if (pa_outbox_push(&ss->out, wsi, json) != 0)
        lwsl_warn("passerelle: a client that does not read lost a frame\n");
}

/* Gathers the fragments of one message; hands it over when complete. */
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
    pa_proto_error refused = ss->rx_binary     ? PA_PROTO_BAD_ENCODING
                             : ss->rx_overflow ? PA_PROTO_TEXT_TOO_LONG
                                               : PA_PROTO_OK;
    const char *data = refused ? NULL : ss->rx ? ss->rx : "";
    send_frame(wsi, ss,
               pa_service_message(srv->svc, &ss->conn, data, ss->rx_len, refused, lws_now_usecs()));
    free(ss->rx);
    ss->rx = NULL;
    ss->rx_len = 0;
    ss->rx_overflow = ss->rx_binary = 0;
}

/* ---- HTTP: /healthz and /metrics ------------------------------------------ */

static int http_request(server *srv, struct lws *wsi, session *ss)
{
    char uri[PA_URI_MAX] = "";
    lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI);
    const char *type = "application/json";
    if (!strcmp(uri, "/healthz")) {
        ss->body = pa_service_health(srv->svc);
    } else if (!strcmp(uri, "/metrics")) {
        ss->body = pa_service_metrics(srv->svc);
        type = "text/plain; version=0.0.4; charset=utf-8";
    } else {
        return lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND, NULL);
    }
    ss->body_len = strlen(ss->body);
    unsigned char buf[LWS_PRE + 512], *start = buf + LWS_PRE, *p = start, *end = buf + sizeof buf;
    if (lws_add_http_common_headers(wsi, HTTP_STATUS_OK, type, ss->body_len, &p, end) ||
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
    unsigned char *frame = pa_xmalloc(LWS_PRE + ss->body_len);
    memcpy(frame + LWS_PRE, ss->body, ss->body_len);
    int n = lws_write(wsi, frame + LWS_PRE, ss->body_len, LWS_WRITE_HTTP_FINAL);
    free(frame);
    free(ss->body);
    ss->body = NULL;
    if (n < 0)
        return -1;
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

/* ---- timers and stopping -------------------------------------------------- */

static void on_reload_timer(lws_sorted_usec_list_t *sul)
{
    server *srv = lws_container_of(sul, server, reload_timer);
    pa_service_reload(srv->svc, 0);
    lws_sul_schedule(srv->ctx, 0, &srv->reload_timer, on_reload_timer,
                     PA_RELOAD_EVERY_MS * LWS_US_PER_MS);
}

static void begin_stop(server *srv)
{
    srv->stop_deadline = lws_now_usecs() + PA_STOP_GRACE_MS * LWS_US_PER_MS;
    fprintf(stderr, "passerelle: stopping; closing %zu connections\n",
            pa_service_connections(srv->svc));
    lws_callback_on_writable_all_protocol(srv->ctx, srv->protocol);
}

/* ---- the protocol callback ------------------------------------------------ */

static int on_ws_event(server *srv, struct lws *wsi, enum lws_callback_reasons reason, session *ss,
                       void *in, size_t len)
{
    switch (reason) {
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION: {
        char uri[PA_URI_MAX] = "";
        lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI);
        /* non-zero refuses the upgrade */
        return strcmp(uri, "/ws") != 0 || pa_service_stopping(srv->svc);
    }
    case LWS_CALLBACK_ESTABLISHED: {
        memset(ss, 0, sizeof *ss);
        if (pa_outbox_init(&ss->out, PA_OUTBOX_FRAMES) != 0)
            pa_out_of_memory(PA_OUTBOX_FRAMES);
        ss->is_ws = 1;
        char buf[PA_LANG_ARG_MAX];
        const char *lang = lws_get_urlarg_by_name(wsi, "lang=", buf, sizeof buf);
        send_frame(wsi, ss, pa_service_open(srv->svc, &ss->conn, lang, lws_now_usecs()));
        return 0;
    }
    case LWS_CALLBACK_RECEIVE: receive(srv, wsi, ss, in, len); return 0;
    case LWS_CALLBACK_SERVER_WRITEABLE:
        if (pa_service_stopping(srv->svc)) {
            static const char reason_text[] = "server shutting down";
            lws_close_reason(wsi, LWS_CLOSE_STATUS_GOINGAWAY, (unsigned char *)reason_text,
                             sizeof reason_text - 1);
            return -1;
        }
        return pa_outbox_write_next(&ss->out, wsi);
    case LWS_CALLBACK_CLOSED:
        /* lws also reports the close of an upgrade the filter refused, which
         * was never established: only established sessions are counted */
        if (ss->is_ws) {
            pa_service_close(srv->svc, &ss->conn);
            pa_outbox_clear(&ss->out);
            free(ss->rx);
            memset(ss, 0, sizeof *ss);
        }
        return 0;
    default: return 0;
    }
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len)
{
    server *srv = lws_context_user(lws_get_context(wsi));
    session *ss = user;
    switch (reason) {
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
        if (pa_service_poll(srv->svc))
            begin_stop(srv);
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

/* ---- signals -------------------------------------------------------------- */

typedef struct {
    pa_service *svc;
    sigset_t set;
} signal_watch;

/* Signals are taken synchronously on a thread of their own, which only
 * passes them on to the service; the service wakes the loop through its
 * hooks (lws_cancel_service is the one lws call safe from another thread). */
static void *watch_signals(void *arg)
{
    signal_watch *w = arg;
    for (;;) {
        int sig;
        if (sigwait(&w->set, &sig) != 0)
            continue;
        if (sig != SIGHUP) {
            pa_service_request_stop(w->svc);
            return NULL;
        }
        pa_service_request_reload(w->svc);
    }
}

static void wake_loop(void *user)
{
    server *srv = user;
    lws_cancel_service(srv->ctx);
}

/* ---- running ---------------------------------------------------------------- */

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

enum { PA_STOP_CHECK_MS = 100 }; /* how often a stopping server looks at its deadline */

static void serve_loop(server *srv)
{
    while (lws_service(srv->ctx, 0) >= 0) {
        if (!pa_service_stopping(srv->svc))
            continue;
        if (pa_service_connections(srv->svc) == 0 || lws_now_usecs() > srv->stop_deadline)
            break;
        lws_sul_schedule(srv->ctx, 0, &srv->stop_timer, on_stop_timer,
                         PA_STOP_CHECK_MS * LWS_US_PER_MS);
    }
}

static struct lws_context *create_context(server *srv, const char *host, int port,
                                          const struct lws_protocols *protocols)
{
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
    /* lws keeps a pointer to the mounts: they live as long as the server */
    static struct lws_http_mount web_mount;
    web_mount = (struct lws_http_mount){.mount_next = &health_mount,
                                        .mountpoint = "/",
                                        .mountpoint_len = 1,
                                        .origin = srv->cfg->web_dir,
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
    return lws_create_context(&info);
}

static pa_service *start_service(const pa_server_config *cfg, server *srv)
{
    pa_service_config sc = {.intents_dir = cfg->intents_dir,
                            .locales_dir = cfg->locales_dir,
                            .version = cfg->version,
                            .limits = pa_turn_limits_default(),
                            .rate = {PA_RATE_DEFAULT_BURST, PA_RATE_DEFAULT_PER_SECOND}};
    sc.limits.max_text_chars = cfg->max_text_chars;
    pa_service_hooks hooks = {.user = srv, .wake = wake_loop};
    pa_diag diag;
    pa_diag_init(&diag);
    pa_service *svc = pa_service_new(&sc, &hooks, &diag);
    if (!svc) {
        pa_diag_print(&diag, stderr);
        fprintf(stderr, "passerelle: cannot start: the knowledge has errors\n");
    }
    pa_diag_clear(&diag);
    return svc;
}

enum { PA_HOST_MAX = 256 };

int pa_server_run(const pa_server_config *cfg)
{
    static const struct lws_protocols protocols[] = {
        {"passerelle", callback, sizeof(session), 4096, 0, NULL, 0},
        {NULL, NULL, 0, 0, 0, NULL, 0},
    };
    char host[PA_HOST_MAX];
    int port;
    if (split_listen(cfg->listen, host, sizeof host, &port) != 0) {
        fprintf(stderr, "passerelle: --listen wants ADDR:PORT, got '%s'\n", cfg->listen);
        return -1;
    }
    server *srv = pa_xcalloc(1, sizeof *srv);
    srv->cfg = cfg;
    srv->protocol = &protocols[0];
    srv->svc = start_service(cfg, srv);
    if (!srv->svc) {
        free(srv);
        return -1;
    }
    /* Block the signals before any thread starts, so only the watcher gets them. */
    signal_watch watch = {srv->svc, {{0}}};
    sigemptyset(&watch.set);
    sigaddset(&watch.set, SIGINT);
    sigaddset(&watch.set, SIGTERM);
    sigaddset(&watch.set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &watch.set, NULL);
    signal(SIGPIPE, SIG_IGN);

    srv->ctx = create_context(srv, host, port, protocols);
    if (!srv->ctx) {
        fprintf(stderr, "passerelle: cannot listen on %s\n", cfg->listen);
        pa_service_free(srv->svc);
        free(srv);
        return -1;
    }
    pthread_t watcher;
    pthread_create(&watcher, NULL, watch_signals, &watch);
    const pa_snapshot *s = pa_service_snapshot(srv->svc);
    fprintf(stderr, "passerelle %s: listening on http://%s (knowledge %s, %zu intents)\n",
            cfg->version, cfg->listen, s->k.version, s->k.n_answerable);
    lws_sul_schedule(srv->ctx, 0, &srv->reload_timer, on_reload_timer,
                     PA_RELOAD_EVERY_MS * LWS_US_PER_MS);
    serve_loop(srv);
    if (!pa_service_stopping(srv->svc))
        pthread_cancel(watcher);
    pthread_join(watcher, NULL);
    lws_context_destroy(srv->ctx);
    pa_service_free(srv->svc);
    free(srv);
    fprintf(stderr, "passerelle: stopped\n");
    return 0;
}

/* The libwebsockets transport: the context, the protocol callback that hands
 * every event to pa_service (or to the listeners, the gate and the HTTP
 * handlers of pa_listen.c and pa_http.c), the WebSocket sessions and their
 * timeouts, stopping, signals. No decision about replies, limits or
 * knowledge is made here. */
#include "pa_server.h"

#include "pa_alloc.h"
#include "pa_delivery.h"
#include "pa_diag_catalog.h"
#include "pa_log.h"
#include "pa_transport.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

enum {
    PA_TICK_MS = 1000,      /* how often timeouts and client addresses are looked at */
    PA_STOP_CHECK_MS = 100, /* how often a stopping server looks at its deadline */
    PA_LANG_ARG_MAX = 64,   /* longest ?lang= read */
    PA_PATH_MAX = 128,      /* longest request path compared */
    PA_HEADER_MAX = 1024,   /* longest Origin, Host or forwarding header read */
};

/* The protocols of both vhosts; the first gets HTTP and WebSocket events. */
enum { PROTO_MAIN, PROTO_LISTEN, PROTO_GATE, PROTO_END };

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len);

/* The WebSocket protocol's receive buffer is set per server (setting
 * rx-buffer-bytes): lws allocates it for every connection, so it is most of
 * what an idle connection costs, and a message longer than it simply
 * arrives in several pieces (receive gathers them). */
static const struct lws_protocols protocols[PROTO_END + 1] = {
    {"passerelle", callback, sizeof(pa_ws_session), 0, 0, NULL, 0},
    {"passerelle-listen", callback, 0, 0, 0, NULL, 0},
    {"passerelle-gate", callback, sizeof(pa_gate), 0, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};
_Static_assert(sizeof protocols == sizeof((pa_server *)0)->protocols,
               "pa_server.protocols holds a copy of every protocol");

/* ---- WebSocket sessions --------------------------------------------------- */

static void send_frame(pa_ws_session *ss, char *json, int64_t asked_us)
{
    if (!json)
        return; /* a reply that comes later (pa_service_hooks.send) */
    if (pa_outbox_push(&ss->out, ss->wsi, json, asked_us) != 0)
        pa_log("passerelle: a client that does not read lost a frame");
}

/* The server closes the session: a close frame from the next WRITEABLE
 * callback, and a hard close if the client does not let it be written. */
static void close_session(pa_server *srv, pa_ws_session *ss, pa_close_reason reason)
{
    if (ss->closing)
        return;
    ss->closing = 1 + (int)reason;
    pa_service_count_close(srv->svc, reason);
    lws_callback_on_writable(ss->wsi);
    pa__set_timeout_us(ss->wsi, PA_CLOSE_GRACE_MS * LWS_US_PER_MS);
}

static int close_now(struct lws *wsi, const pa_ws_session *ss)
{
    static const char idle[] = "idle timeout", slow[] = "message too slow",
                      stopping[] = "server shutting down";
    pa_close_reason r = (pa_close_reason)(ss->closing - 1);
    const char *text = r == PA_CLOSE_IDLE ? idle : r == PA_CLOSE_FRAME ? slow : stopping;
    enum lws_close_status code =
        r == PA_CLOSE_FRAME ? LWS_CLOSE_STATUS_POLICY_VIOLATION : LWS_CLOSE_STATUS_GOINGAWAY;
    lws_close_reason(wsi, code, (unsigned char *)text, strlen(text));
    return -1;
}

/* Gathers the fragments of one message; hands it over when complete. */
static void receive(pa_server *srv, struct lws *wsi, pa_ws_session *ss, const char *in, size_t len)
{
    int64_t now = lws_now_usecs();
    if (!ss->message_start_us)
        ss->message_start_us = now;
    if (lws_frame_is_binary(wsi))
        ss->rx_binary = 1;
    if (!ss->rx_overflow && ss->rx_len + len <= srv->cfg->max_frame_bytes) {
        ss->rx = pa_xrealloc(ss->rx, ss->rx_len + len + 1);
        memcpy(ss->rx + ss->rx_len, in, len);
        ss->rx_len += len;
    } else {
        ss->rx_overflow = 1;
    }
    if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi))
        return;
    ss->message_start_us = 0;
    ss->last_message_us = now;
    pa_proto_error refused = ss->rx_binary     ? PA_PROTO_BAD_ENCODING
                             : ss->rx_overflow ? PA_PROTO_TEXT_TOO_LONG
                                               : PA_PROTO_OK;
    const char *data = refused ? NULL : ss->rx ? ss->rx : "";
    send_frame(ss, pa_service_message(srv->svc, &ss->conn, data, ss->rx_len, refused, now), now);
    free(ss->rx);
    ss->rx = NULL;
    ss->rx_len = 0;
    ss->rx_overflow = ss->rx_binary = 0;
}

/* Stopping: every question received has its reply out, and nothing more is
 * waiting in the socket (FIONREAD) nor half received. Reading resumed after
 * a full outbox: lws may hold bytes it read before the pause; one more turn
 * of the loop hands them over first. */
static int drained(pa_ws_session *ss)
{
    int unread = 0;
    if (ss->out.resumed) {
        ss->out.resumed = 0;
        lws_callback_on_writable(ss->wsi);
        return 0;
    }
    if (ss->message_start_us || pa_outbox_waiting(&ss->out) || ss->out.paused)
        return 0;
    return ioctl(lws_get_socket_fd(ss->wsi), FIONREAD, &unread) != 0 || unread == 0;
}

static int writeable(pa_server *srv, struct lws *wsi, pa_ws_session *ss)
{
    if (ss->closing)
        return close_now(wsi, ss);
    int stopping = pa_service_stopping(srv->svc);
    if (pa_outbox_waiting(&ss->out)) {
        int64_t asked;
        if (pa_outbox_write_next(&ss->out, wsi, &asked) != 0)
            return -1;
        if (asked)
            pa_service_replied(srv->svc, (double)(lws_now_usecs() - asked) / 1e6);
        if (stopping && !pa_outbox_waiting(&ss->out))
            lws_callback_on_writable(wsi); /* to see whether it is drained */
        return 0;
    }
    if (stopping && drained(ss)) {
        ss->closing = 1 + PA_CLOSE_SHUTDOWN;
        pa_service_count_close(srv->svc, PA_CLOSE_SHUTDOWN);
        return close_now(wsi, ss);
    }
    return 0;
}

/* ---- upgrades ------------------------------------------------------------- */

/* A header's value copied into buf, NULL when absent, "" when too long. */
static const char *header(struct lws *wsi, enum lws_token_indexes token, char *buf, int size)
{
    int n = lws_hdr_total_length(wsi, token);
    if (n <= 0)
        return NULL;
    if (n >= size || lws_hdr_copy(wsi, buf, size, token) < 0)
        return "";
    return buf;
}

static const char *custom_header(struct lws *wsi, const char *name, char *buf, int size)
{
    int nlen = (int)strlen(name);
    int n = lws_hdr_custom_length(wsi, name, nlen);
    if (n <= 0)
        return NULL;
    if (n >= size || lws_hdr_custom_copy(wsi, buf, size, name, nlen) < 0)
        return "";
    return buf;
}

typedef struct {
    pa_upgrade u;
    struct sockaddr_storage peer;
    char origin[PA_HEADER_MAX], host[PA_HEADER_MAX], xff[PA_HEADER_MAX], fwd[PA_HEADER_MAX];
} upgrade_headers;

static void read_upgrade(struct lws *wsi, upgrade_headers *h)
{
    memset(&h->u, 0, sizeof h->u);
    socklen_t len = sizeof h->peer;
    if (getpeername(lws_get_socket_fd(wsi), (struct sockaddr *)&h->peer, &len) == 0)
        h->u.peer = (struct sockaddr *)&h->peer;
    h->u.origin = header(wsi, WSI_TOKEN_ORIGIN, h->origin, sizeof h->origin);
    h->u.host = header(wsi, WSI_TOKEN_HOST, h->host, sizeof h->host);
    h->u.x_forwarded_for = header(wsi, WSI_TOKEN_X_FORWARDED_FOR, h->xff, sizeof h->xff);
    h->u.forwarded = custom_header(wsi, "forwarded:", h->fwd, sizeof h->fwd);
}

static int is_ws_path(struct lws *wsi)
{
    char path[PA_PATH_MAX] = "";
    lws_hdr_copy(wsi, path, sizeof path, WSI_TOKEN_GET_URI);
    return !strcmp(path, "/ws");
}

/* Refusing here, before the 101, lets the refusal be an HTTP status. */
static int confirm_upgrade(pa_server *srv, struct lws *wsi, const char *what)
{
    if (pa__is_admin(srv, wsi) || !is_ws_path(wsi))
        return pa__http_status(wsi, 404, "not found");
    if (!what || strcasecmp(what, "websocket"))
        return pa__http_status(wsi, 403, "only WebSocket upgrades, on /ws");
    upgrade_headers *h = pa_xmalloc(sizeof *h);
    read_upgrade(wsi, h);
    pa_refusal r = pa_service_upgrade(srv->svc, &h->u);
    free(h);
    if (r == PA_ADMIT)
        return 0;
    static const char *const texts[PA_REFUSAL_END] = {
        [PA_REFUSE_ORIGIN] = "this page may not open the chat (allowed-origins)",
        [PA_REFUSE_PER_ADDRESS] = "too many connections from your address",
        [PA_REFUSE_STOPPING] = "the server is restarting; try again in a moment",
    };
    return pa__http_status(wsi, pa_refusal_status(r), texts[r] ? texts[r] : "refused");
}

static int established(pa_server *srv, struct lws *wsi, pa_ws_session *ss)
{
    memset(ss, 0, sizeof *ss);
    ss->wsi = wsi;
    if (pa_outbox_init(&ss->out, srv->cfg->max_queued_frames) != 0)
        pa_out_of_memory(srv->cfg->max_queued_frames);
    ss->is_ws = 1;
    char lang_buf[PA_LANG_ARG_MAX];
    const char *lang = lws_get_urlarg_by_name(wsi, "lang=", lang_buf, sizeof lang_buf);
    upgrade_headers *h = pa_xmalloc(sizeof *h);
    read_upgrade(wsi, h);
    int64_t now = lws_now_usecs();
    send_frame(ss, pa_service_open_client(srv->svc, &ss->conn, &h->u, lang, now), 0);
    free(h);
    ss->last_message_us = now;
    lws_dll2_add_tail(&ss->link, &srv->sessions);
    return 0;
}

static void closed(pa_server *srv, pa_ws_session *ss)
{
    /* lws also reports the close of an upgrade refused before it was
     * established: only established sessions are counted */
    if (!ss || !ss->is_ws)
        return;
    pa_service_close(srv->svc, &ss->conn);
    pa_outbox_clear(&ss->out);
    free(ss->rx);
    lws_dll2_remove(&ss->link);
    memset(ss, 0, sizeof *ss);
}

/* ---- the callback --------------------------------------------------------- */

static void begin_stop(pa_server *srv);

static int raw_event(pa_server *srv, struct lws *wsi, enum lws_callback_reasons reason, void *user)
{
    /* by name: lws may keep its own copy of the protocol array */
    const struct lws_protocols *p = lws_get_protocol(wsi);
    if (!p || !p->name)
        return 0;
    if (!strcmp(p->name, protocols[PROTO_LISTEN].name))
        return pa__listen_event(srv, wsi, reason);
    if (!strcmp(p->name, protocols[PROTO_GATE].name))
        return pa__gate_event(srv, wsi, reason, user);
    return 0;
}

static int ws_event(pa_server *srv, struct lws *wsi, enum lws_callback_reasons reason,
                    pa_ws_session *ss, void *in, size_t len)
{
    switch (reason) {
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION: return !is_ws_path(wsi);
    case LWS_CALLBACK_ESTABLISHED: return established(srv, wsi, ss);
    case LWS_CALLBACK_RECEIVE: receive(srv, wsi, ss, in, len); return 0;
    case LWS_CALLBACK_SERVER_WRITEABLE: return writeable(srv, wsi, ss);
    case LWS_CALLBACK_CLOSED: closed(srv, ss); return 0;
    default: return 0;
    }
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len)
{
    pa_server *srv = lws_context_user(lws_get_context(wsi));
    switch (reason) {
    case LWS_CALLBACK_WSI_DESTROY:
        if (srv)
            pa__socket_gone(srv, wsi);
        return 0;
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
        if (srv && srv->svc && pa_service_poll(srv->svc))
            begin_stop(srv);
        return 0;
    case LWS_CALLBACK_RAW_RX_FILE:
    case LWS_CALLBACK_RAW_CLOSE_FILE: return raw_event(srv, wsi, reason, user);
    case LWS_CALLBACK_HTTP: return pa__http_request(srv, wsi, in);
    case LWS_CALLBACK_HTTP_FILE_COMPLETION: return -1; /* one request per connection */
    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE: return confirm_upgrade(srv, wsi, in);
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
    case LWS_CALLBACK_ESTABLISHED:
    case LWS_CALLBACK_RECEIVE:
    case LWS_CALLBACK_SERVER_WRITEABLE:
    case LWS_CALLBACK_CLOSED: return ws_event(srv, wsi, reason, user, in, len);
    default: break;
    }
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}

/* ---- timers and stopping -------------------------------------------------- */

/* Closes the sessions silent for idle-timeout, or stuck in the middle of a
 * message for frame-timeout, and lets the service forget old addresses. */
static void on_tick(lws_sorted_usec_list_t *sul)
{
    pa_server *srv = lws_container_of(sul, pa_server, tick);
    int64_t now = lws_now_usecs();
    int64_t idle = srv->cfg->idle_timeout_ms * LWS_US_PER_MS;
    int64_t frame = srv->cfg->frame_timeout_ms * LWS_US_PER_MS;
    lws_start_foreach_dll_safe(struct lws_dll2 *, d, d1, lws_dll2_get_head(&srv->sessions))
    {
        pa_ws_session *ss = lws_container_of(d, pa_ws_session, link);
        if (ss->message_start_us && now - ss->message_start_us > frame)
            close_session(srv, ss, PA_CLOSE_FRAME);
        else if (now - ss->last_message_us > idle)
            close_session(srv, ss, PA_CLOSE_IDLE);
    }
    lws_end_foreach_dll_safe(d, d1);
    pa_service_tick(srv->svc, now);
    lws_sul_schedule(srv->ctx, 0, &srv->tick, on_tick, PA_TICK_MS * LWS_US_PER_MS);
}

static void each_session(pa_server *srv, void (*fn)(pa_server *, pa_ws_session *))
{
    lws_start_foreach_dll_safe(struct lws_dll2 *, d, d1, lws_dll2_get_head(&srv->sessions))
    {
        fn(srv, lws_container_of(d, pa_ws_session, link));
    }
    lws_end_foreach_dll_safe(d, d1);
}

static void ask_writeable(pa_server *srv, pa_ws_session *ss)
{
    (void)srv;
    lws_callback_on_writable(ss->wsi);
}

static void force_close(pa_server *srv, pa_ws_session *ss)
{
    close_session(srv, ss, PA_CLOSE_SHUTDOWN);
}

/* Stops accepting; each session closes once its questions are answered
 * (writeable), or at the deadline (serve_loop). Every worker does this on
 * its own thread; the first says so for all. */
static void begin_stop(pa_server *srv)
{
    srv->stop_deadline = lws_now_usecs() + srv->cfg->shutdown_timeout_ms * LWS_US_PER_MS;
    pa__listen_close(&srv->listeners[0]);
    if (srv->index == 0)
        pa_log("passerelle: stopping; answering what was asked, then closing %zu connections",
               pa_service_connections_all(srv->svc));
    each_session(srv, ask_writeable);
}

static void on_stop_check(lws_sorted_usec_list_t *sul)
{
    (void)sul; /* only there to return from lws_service */
}

/* Connections that keep a stopping worker's loop running: its own; for
 * worker 0, every worker's, so that its admin listener answers /healthz
 * ("stopping") until the whole process is done. */
static size_t still_open(const pa_server *srv)
{
    return srv->index == 0 ? pa_service_connections_all(srv->svc)
                           : pa_service_connections(srv->svc);
}

static void serve_loop(pa_server *srv)
{
    lws_sorted_usec_list_t check;
    memset(&check, 0, sizeof check);
    while (lws_service(srv->ctx, 0) >= 0) {
        if (!pa_service_stopping(srv->svc))
            continue;
        lws_usec_t now = lws_now_usecs();
        if (still_open(srv) == 0 || now > srv->stop_deadline + PA_CLOSE_GRACE_MS * LWS_US_PER_MS)
            break;
        if (now >= srv->stop_deadline && !srv->forcing_close) {
            srv->forcing_close = 1;
            pa_log("passerelle: shutdown-timeout reached; closing %zu connections now",
                   pa_service_connections(srv->svc));
            each_session(srv, force_close);
        }
        lws_sul_schedule(srv->ctx, 0, &check, on_stop_check, PA_STOP_CHECK_MS * LWS_US_PER_MS);
    }
    lws_sul_cancel(&check);
}

/* ---- signals -------------------------------------------------------------- */

typedef struct {
    pa_service *svc;
    sigset_t set;
} signal_watch;

/* Signals are taken synchronously on a thread of their own, which only
 * passes them on to the service; the service wakes every worker's loop
 * through its hooks (lws_cancel_service is the one lws call safe from
 * another thread). */
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

/* The worker's context exists before the service can wake it, and goes
 * only once nothing wakes it any more (process_free). */
static void wake_loop(void *user)
{
    pa_server *srv = user;
    lws_cancel_service(srv->ctx);
}

/* A reply the service has after its message (a message to staff, kept):
 * on the thread of the worker whose connection it is (pa_handoff). */
static void send_later(void *user, pa_conn *conn, char *frame)
{
    (void)user;
    pa_ws_session *ss = lws_container_of(conn, pa_ws_session, conn);
    send_frame(ss, frame, 0);
}

/* ---- the process ------------------------------------------------------------ */

/* What the workers share besides the service: one per process. */
typedef struct {
    const pa_config *cfg;
    pa_token_keys *context_keys; /* from context-secret-file; NULL: the service's own */
    pa_fetcher *fetcher;         /* following knowledge-url; NULL: the folders in place */
    pa_diag_catalog *catalog;    /* the staff's texts of knowledge problems; NULL: their ids */
    pa_events *events;           /* the staff event log (staff-log, or stderr) */
    size_t max_sockets;          /* max-connections, or less when file descriptors are short */
    char web_root[PATH_MAX];     /* realpath of the web folder; "": / is not served */
    pa_server **workers;         /* n_workers, each with its lws context */
    size_t n_workers;
    pthread_t *threads; /* of workers 1..n-1; worker 0 runs on the main thread */
    size_t n_threads;
} pa_process;

/* ---- starting ------------------------------------------------------------- */

/* The descriptors the connections may use: raises the soft limit as far as
 * the hard one allows, and says so when max-connections cannot fit. */
static size_t socket_budget(const pa_config *cfg)
{
    struct rlimit rl;
    rlim_t want = cfg->max_connections + cfg->admin_max_connections + PA_FD_RESERVE;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return cfg->max_connections;
    if (rl.rlim_cur < want && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur >= want)
        return cfg->max_connections;
    rlim_t room = rl.rlim_cur > cfg->admin_max_connections + PA_FD_RESERVE + 1
                      ? rl.rlim_cur - cfg->admin_max_connections - PA_FD_RESERVE
                      : 1;
    fprintf(stderr,
            "passerelle: warning: the open-file limit (%llu) is below max-connections %llu + "
            "%llu: at most %llu connections will be accepted. Raise it (LimitNOFILE= in the "
            "systemd unit, ulimit -n) or lower max-connections.\n",
            (unsigned long long)rl.rlim_cur, (unsigned long long)cfg->max_connections,
            (unsigned long long)(cfg->admin_max_connections + PA_FD_RESERVE),
            (unsigned long long)room);
    return (size_t)room;
}

static void log_emit(int level, const char *line)
{
    (void)level;
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        n--;
    pa_log("passerelle: lws: %.*s", (int)n, line);
}

static int create_context(pa_server *srv)
{
    const pa_config *cfg = srv->cfg;
    unsigned handshake_s = (unsigned)((cfg->handshake_timeout_ms + 999) / 1000);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
    info.user = srv;
    info.max_http_header_data2 = (unsigned)(cfg->max_header_bytes + PA_HEADER_SLACK);
    srv->ctx = lws_create_context(&info);
    if (!srv->ctx)
        return -1;
    struct lws_context_creation_info vh;
    memset(&vh, 0, sizeof vh);
    vh.port = CONTEXT_PORT_NO_LISTEN_SERVER;
    memcpy(srv->protocols, protocols, sizeof protocols);
    srv->protocols[PROTO_MAIN].rx_buffer_size = (size_t)srv->cfg->rx_buffer_bytes;
    vh.protocols = srv->protocols;
    vh.options = LWS_SERVER_OPTION_HTTP_HEADERS_SECURITY_BEST_PRACTICES_ENFORCE;
    vh.timeout_secs = handshake_s;
    vh.timeout_secs_ah_idle = handshake_s;
    vh.keepalive_timeout = (int)handshake_s;
    /* Both vhosts take sockets we adopt, not listen themselves. lws moves a
     * connection to the vhost whose name its Host header gives, among those
     * of the same port: two different "ports" keep each on its own. */
    vh.vhost_name = "public";
    srv->public_vh = lws_create_vhost(srv->ctx, &vh);
    vh.port = CONTEXT_PORT_NO_LISTEN;
    vh.vhost_name = "admin";
    srv->admin_vh = lws_create_vhost(srv->ctx, &vh);
    return srv->public_vh && srv->admin_vh ? 0 : -1;
}

/* With knowledge-url, the knowledge comes from the bundle there (or the
 * cache of the last one): fetched once now, then followed by its thread. */
static int follow_bundle(pa_process *p, const char *version)
{
    const pa_config *cfg = p->cfg;
    if (!*cfg->knowledge_url)
        return 0;
    char agent[64], err[1024];
    snprintf(agent, sizeof agent, "passerelle/%s", version);
    pa_fetcher_config fc = {.url = cfg->knowledge_url,
                            .cache = cfg->knowledge_cache,
                            .ca_file = cfg->knowledge_ca_file,
                            .user_agent = agent,
                            .poll_ms = cfg->knowledge_poll_ms,
                            .timeout_ms = cfg->knowledge_timeout_ms,
                            .max_bytes = cfg->knowledge_max_bytes,
                            .catalog = p->catalog};
    p->fetcher = pa_fetcher_new(&fc, err, sizeof err);
    if (!p->fetcher) {
        fprintf(stderr, "passerelle: knowledge-url: %s\n", err);
        return -1;
    }
    pa_fetcher_status st;
    pa_fetcher_status_get(p->fetcher, &st);
    if (st.last != PA_FETCH_UPDATED && st.last != PA_FETCH_NOT_MODIFIED)
        pa_log("passerelle: knowledge-url: %s; serving the bundle in the cache until it answers",
               st.error);
    return 0;
}

/* The secrets replicas share to read each other's context tokens. */
static int load_context_keys(pa_process *p)
{
    const char *path = p->cfg->context_secret_file;
    if (!path || !*path)
        return 0;
    char err[PA_CONFIG_ERROR_MAX];
    p->context_keys = pa_token_keys_load(path, err, sizeof err);
    if (!p->context_keys) {
        fprintf(stderr, "passerelle: context-secret-file: %s\n", err);
        return -1;
    }
    return 0;
}

/* The staff's texts of knowledge problems, for the log and /healthz:
 * locales/staff/check.<lang>.json of the locales folder, in the language of
 * the environment (LC_ALL, LC_MESSAGES, LANG: English when it starts with
 * "en", else French), as `passerelle check` writes them. Without it the
 * problems are written by their message ids. */
static void load_catalog(pa_process *p)
{
    const char *lang =
        pa_diag_staff_lang(NULL, getenv("LC_ALL"), getenv("LC_MESSAGES"), getenv("LANG"));
    char path[PATH_MAX + 64], err[PA_DIAG_CATALOG_ERROR_MAX];
    snprintf(path, sizeof path, "%s/staff/check.%s.json", p->cfg->locales_dir, lang);
    p->catalog = pa_diag_catalog_load(path, err);
    if (!p->catalog)
        fprintf(stderr,
                "passerelle: warning: cannot read the message catalog %s (%s): knowledge "
                "problems are logged by their message ids\n",
                path, err);
}

/* The staff event log: the file of staff-log (its retention thread starts
 * with it), or stderr. */
static int open_events(pa_process *p)
{
    const pa_config *cfg = p->cfg;
    pa_events_config ec = {.path = cfg->staff_log,
                           .retention_days = (unsigned)cfg->staff_log_retention_days,
                           .mask = {.min_digits = cfg->mask_digits}};
    char err[PA_CONFIG_ERROR_MAX];
    p->events = pa_events_open(&ec, err, sizeof err);
    if (!p->events) {
        fprintf(stderr, "passerelle: staff-log: %s\n", err);
        return -1;
    }
    return 0;
}

static pa_service_config service_config(const pa_process *p, const char *version)
{
    const pa_config *cfg = p->cfg;
    return (pa_service_config){
        .intents_dir = p->fetcher ? pa_fetcher_intents_dir(p->fetcher) : cfg->intents_dir,
        .locales_dir = p->fetcher ? pa_fetcher_locales_dir(p->fetcher) : cfg->locales_dir,
        .fetcher = p->fetcher,
        .version = version,
        .limits = {.max_text_chars = cfg->max_text,
                   .idle_timeout_s = (unsigned)(cfg->idle_timeout_ms / 1000)},
        .rate = {cfg->rate_burst, cfg->rate_per_second},
        .address_rate = {cfg->address_burst, cfg->address_per_second},
        .max_sockets = p->max_sockets,
        .max_per_address = cfg->max_per_address,
        .ipv6_prefix = (unsigned)cfg->ipv6_prefix,
        .trusted_proxies = cfg->trusted_proxies,
        .forwarded = cfg->forwarded_header == PA_FORWARDED_HEADER_RFC7239 ? PA_FORWARDED_RFC7239
                                                                          : PA_FORWARDED_XFF,
        .allowed_origins = cfg->allowed_origins,
        .reload_poll_ms = cfg->reload_interval_ms,
        .reload_debounce_ms = cfg->reload_debounce_ms,
        .context_keys = p->context_keys,
        .context_ttl_s = cfg->context_ttl_ms / 1000,
        .catalog = p->catalog,
        .events = p->events,
    };
}

/* The service, with worker 0's hooks; the other workers join it
 * (add_workers). */
static pa_service *start_service(pa_process *p, const char *version)
{
    const pa_config *cfg = p->cfg;
    if (open_events(p) != 0)
        return NULL;
    load_catalog(p);
    if (load_context_keys(p) != 0)
        return NULL;
    if (follow_bundle(p, version) != 0)
        return NULL;
    pa_service_config sc = service_config(p, version);
    char err[PA_CONFIG_ERROR_MAX];
    /* the staff texts are those installed, like the catalog's, also with a
     * bundle; the service sets the callback that wakes the workers */
    sc.handoff = pa_handoff_start(cfg, cfg->locales_dir, version, p->events, NULL, NULL, err);
    if (!sc.handoff && err[0]) {
        fprintf(stderr, "passerelle: %s\n", err);
        return NULL;
    }
    pa_server *first = p->workers[0];
    pa_service_hooks hooks = {.user = first, .wake = wake_loop, .send = send_later};
    pa_diag diag;
    pa_diag_init(&diag);
    pa_service *svc = pa_service_new(&sc, &hooks, &diag);
    if (!svc) {
        pa_diag_print(&diag, p->catalog, stderr);
        fprintf(stderr, "passerelle: cannot start: the knowledge has errors\n");
    }
    pa_diag_clear(&diag);
    first->svc = svc;
    return svc;
}

static int add_workers(pa_process *p)
{
    for (size_t i = 1; i < p->n_workers; i++) {
        pa_server *w = p->workers[i];
        pa_service_hooks hooks = {.user = w, .wake = wake_loop, .send = send_later};
        w->svc = pa_service_add_worker(p->workers[0]->svc, &hooks);
        if (!w->svc)
            return -1;
    }
    return 0;
}

static void find_web_root(pa_process *p)
{
    if (!realpath(p->cfg->web_dir, p->web_root)) {
        p->web_root[0] = '\0';
        fprintf(stderr, "passerelle: warning: the web folder %s cannot be read: / is not served\n",
                p->cfg->web_dir);
    }
}

/* A worker with its lws context, not listening yet. */
static pa_server *worker_new(pa_process *p, unsigned index)
{
    pa_server *w = pa_xcalloc(1, sizeof *w);
    w->cfg = p->cfg;
    w->index = index;
    w->share_port = p->n_workers > 1;
    w->listeners[0].fd = w->listeners[1].fd = -1;
    memcpy(w->web_root, p->web_root, sizeof w->web_root);
    w->peek = pa_xmalloc(p->cfg->max_header_bytes + 1);
    if (create_context(w) != 0) {
        fprintf(stderr, "passerelle: cannot create the libwebsockets context\n");
        lws_context_destroy(w->ctx);
        free(w->peek);
        free(w);
        return NULL;
    }
    return w;
}

/* The service's threads wake the loops: they stop before the contexts go;
 * the contexts close their connections through the workers' services,
 * which go next, the one holding what they share last. */
static void process_free(pa_process *p)
{
    pa_service *first = p->n_workers && p->workers[0] ? p->workers[0]->svc : NULL;
    if (first) {
        pa_service_stop_handoff(first);
        pa_service_stop_reloader(first);
    }
    for (size_t i = 0; i < p->n_workers; i++)
        if (p->workers[i] && p->workers[i]->ctx)
            lws_context_destroy(p->workers[i]->ctx);
    for (size_t i = p->n_workers; i-- > 0;) {
        pa_server *w = p->workers[i];
        if (!w)
            continue;
        pa_service_free(w->svc);
        free(w->peek);
        free(w);
    }
    pa_events_close(p->events); /* after the service, whose threads may write events */
    pa_token_keys_free(p->context_keys);
    pa_fetcher_free(p->fetcher);
    pa_diag_catalog_free(p->catalog);
    free(p->workers);
    free(p->threads);
    free(p);
}

/* Blocks the signals before any thread starts, so that only the watcher
 * gets them (the workers' threads inherit the mask). */
static void block_signals(signal_watch *w)
{
    sigemptyset(&w->set);
    sigaddset(&w->set, SIGINT);
    sigaddset(&w->set, SIGTERM);
    sigaddset(&w->set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &w->set, NULL);
    signal(SIGPIPE, SIG_IGN);
}

/* Worker 0 takes the public address (or a port the system chooses), and the
 * admin one; the others join its public address. */
static int listen_all(pa_process *p)
{
    const pa_config *cfg = p->cfg;
    pa_server *first = p->workers[0];
    char shared[sizeof first->listeners[0].name];
    snprintf(shared, sizeof shared, "%s", cfg->listen);
    if (p->n_workers > 1 && pa__listen_probe(cfg->listen, shared, sizeof shared) != 0)
        return -1;
    for (size_t i = 0; i < p->n_workers; i++)
        if (pa__listen(p->workers[i], &p->workers[i]->listeners[0], shared, 0) != 0)
            return -1;
    return pa__listen(first, &first->listeners[1], cfg->admin_listen, 1);
}

static int start(pa_process *p, const char *version, signal_watch *watch)
{
    const pa_config *cfg = p->cfg;
    pa_log_configure(cfg->log_burst, cfg->log_per_second);
    lws_set_log_level(LLL_ERR | LLL_WARN, log_emit);
    p->max_sockets = socket_budget(cfg);
    find_web_root(p);
    block_signals(watch);
    p->n_workers = pa_config_workers(cfg->workers, sysconf(_SC_NPROCESSORS_ONLN));
    p->workers = pa_xcalloc(p->n_workers, sizeof *p->workers);
    for (size_t i = 0; i < p->n_workers; i++)
        if (!(p->workers[i] = worker_new(p, (unsigned)i)))
            return -1;
    if (!start_service(p, version))
        return -1;
    if (add_workers(p) != 0)
        return -1;
    if (p->fetcher && pa_fetcher_start(p->fetcher) != 0) {
        fprintf(stderr, "passerelle: cannot start the thread that follows knowledge-url\n");
        return -1;
    }
    watch->svc = p->workers[0]->svc;
    return listen_all(p);
}

static void *run_worker(void *arg)
{
    serve_loop(arg);
    return NULL;
}

/* Workers 1..n-1 on threads of their own; worker 0 on the calling one. */
static void serve_all(pa_process *p)
{
    for (size_t i = 0; i < p->n_workers; i++)
        lws_sul_schedule(p->workers[i]->ctx, 0, &p->workers[i]->tick, on_tick,
                         PA_TICK_MS * LWS_US_PER_MS);
    p->threads = pa_xcalloc(p->n_workers, sizeof *p->threads);
    for (size_t i = 1; i < p->n_workers; i++) {
        if (pthread_create(&p->threads[p->n_threads], NULL, run_worker, p->workers[i]) != 0) {
            pa_log("passerelle: cannot start worker %zu; serving with %zu", i, i);
            pa__listen_close(&p->workers[i]->listeners[0]);
            continue;
        }
        p->n_threads++;
    }
    serve_loop(p->workers[0]);
    for (size_t i = 0; i < p->n_threads; i++)
        pthread_join(p->threads[i], NULL);
    for (size_t i = 0; i < p->n_workers; i++)
        lws_sul_cancel(&p->workers[i]->tick);
}

/* Blocks from this size on are mapped apart and given back to the system
 * as soon as they are freed. glibc's own threshold rises with every large
 * block freed, up to 32 MiB: a reload's tables, grown by doubling on the
 * build threads, then stayed in those threads' heaps once freed, and the
 * process held the knowledge in service, the new one and the garbage of
 * building it. At 50x the bundled knowledge, a reload after a one-example
 * edit peaked at 1.56 times the memory at rest, 1.44 with this; building
 * is no slower (realloc moves a mapped block without copying it). */
enum { PA_MMAP_THRESHOLD_BYTES = 1 << 20 };

/* Sets it, unless the operator did (GLIBC_TUNABLES=glibc.malloc.mmap_threshold=N). */
static void map_large_blocks_apart(void)
{
#ifdef __GLIBC__
    const char *tunables = getenv("GLIBC_TUNABLES");
    if (!tunables || !strstr(tunables, "mmap_threshold"))
        mallopt(M_MMAP_THRESHOLD, PA_MMAP_THRESHOLD_BYTES);
#endif
}

int pa_server_run(const pa_config *cfg, const char *version)
{
    map_large_blocks_apart(); /* before any thread, and the knowledge, is made */
    pa_process *p = pa_xcalloc(1, sizeof *p);
    p->cfg = cfg;
    signal_watch watch;
    memset(&watch, 0, sizeof watch);
    if (pa_delivery_global_init() != 0) { /* here: before any thread starts */
        fprintf(stderr, "passerelle: libcurl cannot start\n");
        free(p);
        return -1;
    }
    if (start(p, version, &watch) != 0) {
        process_free(p);
        pa_delivery_global_cleanup();
        return -1;
    }
    pthread_t watcher;
    pthread_create(&watcher, NULL, watch_signals, &watch);
    pa_server *first = p->workers[0];
    const pa_snapshot *s = pa_service_snapshot(first->svc);
    fprintf(stderr,
            "passerelle %s: listening on http://%s, admin on http://%s (knowledge %s, %zu "
            "intents)\n",
            version, first->listeners[0].name, first->listeners[1].name, s->k.version,
            s->k.n_answerable);
    if (p->n_workers > 1)
        fprintf(stderr, "passerelle: %zu workers, each with its own listener on that port\n",
                p->n_workers);
    serve_all(p);
    if (!pa_service_stopping(first->svc))
        pthread_cancel(watcher);
    pthread_join(watcher, NULL);
    process_free(p);
    pa_delivery_global_cleanup();
    fprintf(stderr, "passerelle: stopped\n");
    return 0;
}

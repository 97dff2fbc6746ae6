/* The ceiling of the server benchmark: a bare libwebsockets server that
 * answers every text frame at once, without understanding it.
 *
 *   build/benchmark/echo_server [--listen 127.0.0.1:8090] [--reply-bytes 600]
 *
 * Same libwebsockets and the options of Passerelle's context and vhost
 * (server/shell/pa_server.c: explicit vhosts, the security headers, an rx
 * buffer of 512 bytes, one service thread), but no knowledge, no limits, no
 * log. For fairness each reply is the size of a typical Passerelle answer
 * (--reply-bytes; 500-600 bytes on tests/eval/questions.jsonl with its context
 * token) and has an answer's shape, carrying the question's "id", so that the
 * load generator counts it exactly as it counts Passerelle's. Any path is
 * served; no welcome frame is sent. SIGINT or SIGTERM stops it. */
#include "bench_scan.h"

#include <libwebsockets.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RX_BUFFER       512  /* Passerelle's default rx-buffer-bytes */
#define MAX_FRAME       8192 /* Passerelle's default max-frame-bytes */
#define MAX_ID          24   /* the raw "id" of a question, longer ones are cut */
#define MAX_QUEUED      64   /* replies owed by one connection before it is closed */
#define MAX_REPLY_BYTES 65536
#define HEADER_BYTES    (8192 + 1024) /* Passerelle's max-header-bytes and slack */

typedef struct {
    char ids[MAX_QUEUED][MAX_ID + 1]; /* the ids of the questions not answered yet */
    unsigned head, count;
    char *rx; /* a question in several fragments, gathered: allocated only then */
    size_t rx_len;
} session;

static int reply_bytes = 600;
static char *padding;     /* the text of every reply */
static unsigned char *tx; /* one reply at a time: there is one service thread */
static volatile sig_atomic_t stopping;
static struct lws_context *context;

/* Remembers the question's id; 0 when the connection owes too many replies. */
static int queue_reply(session *s, const char *frame, size_t len)
{
    if (s->count == MAX_QUEUED)
        return -1;
    bench_head h;
    bench_scan_head(frame, len, &h);
    size_t n = h.id_len < MAX_ID ? h.id_len : MAX_ID;
    char *slot = s->ids[(s->head + s->count++) % MAX_QUEUED];
    memcpy(slot, h.id ? h.id : "null", h.id ? n : 4);
    slot[h.id ? n : 4] = '\0';
    return 0;
}

static int on_receive(struct lws *wsi, session *s, const char *in, size_t len)
{
    int last = lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi);
    if (last && !s->rx_len) { /* the usual case: the whole question at once */
        if (queue_reply(s, in, len) != 0)
            return -1;
        lws_callback_on_writable(wsi);
        return 0;
    }
    if (s->rx_len + len > MAX_FRAME)
        return -1; /* Passerelle closes on a frame over max-frame-bytes too */
    if (!s->rx && !(s->rx = malloc(MAX_FRAME)))
        return -1;
    memcpy(s->rx + s->rx_len, in, len);
    s->rx_len += len;
    if (!last)
        return 0;
    int rc = queue_reply(s, s->rx, s->rx_len);
    s->rx_len = 0;
    if (rc == 0)
        lws_callback_on_writable(wsi);
    return rc;
}

static int send_reply(struct lws *wsi, session *s)
{
    if (!s->count)
        return 0;
    const char *id = s->ids[s->head];
    s->head = (s->head + 1) % MAX_QUEUED;
    s->count--;
    char *p = (char *)tx + LWS_PRE;
    int len = snprintf(p, (size_t)reply_bytes + MAX_ID + 128,
                       "{\"type\":\"answer\",\"id\":%s,\"lang\":\"fr\",\"intent\":\"echo\","
                       "\"confidence\":1.0,\"text\":\"%s\",\"suggestions\":[],\"kind\":\"answer\"}",
                       id, padding);
    if (lws_write(wsi, (unsigned char *)p, (size_t)len, LWS_WRITE_TEXT) < len)
        return -1;
    if (s->count)
        lws_callback_on_writable(wsi);
    return 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len)
{
    session *s = user;
    switch (reason) {
    case LWS_CALLBACK_ESTABLISHED: memset(s, 0, sizeof *s); return 0;
    case LWS_CALLBACK_CLOSED: free(s->rx); return 0;
    case LWS_CALLBACK_RECEIVE: return on_receive(wsi, s, in, len);
    case LWS_CALLBACK_SERVER_WRITEABLE: return send_reply(wsi, s);
    default: return 0;
    }
}

static struct lws_protocols protocols[] = {
    {"echo", callback, sizeof(session), RX_BUFFER, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

/* lws_cancel_service only writes to the loop's pipe: safe in a handler. */
static void on_signal(int sig)
{
    (void)sig;
    stopping = 1;
    if (context)
        lws_cancel_service(context);
}

static int create(const char *addr, int port)
{
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
    info.max_http_header_data2 = HEADER_BYTES;
    context = lws_create_context(&info);
    if (!context)
        return -1;
    struct lws_context_creation_info vh;
    memset(&vh, 0, sizeof vh);
    vh.port = port;
    vh.iface = addr;
    vh.protocols = protocols;
    vh.options = LWS_SERVER_OPTION_HTTP_HEADERS_SECURITY_BEST_PRACTICES_ENFORCE;
    vh.vhost_name = "echo";
    return lws_create_vhost(context, &vh) ? 0 : -1;
}

static int parse_args(int argc, char **argv, char *addr, size_t addr_size, int *port)
{
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--listen")) {
            const char *colon = strrchr(argv[i + 1], ':');
            if (!colon || (size_t)(colon - argv[i + 1]) >= addr_size)
                return -1;
            memcpy(addr, argv[i + 1], (size_t)(colon - argv[i + 1]));
            addr[colon - argv[i + 1]] = '\0';
            *port = atoi(colon + 1);
        } else if (!strcmp(argv[i], "--reply-bytes")) {
            reply_bytes = atoi(argv[i + 1]);
        } else {
            return -1;
        }
    }
    return argc % 2 == 1 && *port > 0 && reply_bytes >= 0 && reply_bytes <= MAX_REPLY_BYTES ? 0
                                                                                            : -1;
}

/* The text of the replies: letters enough for a frame of about reply_bytes. */
static int make_padding(void)
{
    int text = reply_bytes > 150 ? reply_bytes - 150 : 0; /* the frame's other fields */
    padding = malloc((size_t)text + 1);
    tx = malloc(LWS_PRE + (size_t)reply_bytes + MAX_ID + 128);
    if (!padding || !tx)
        return -1;
    for (int i = 0; i < text; i++)
        padding[i] = i % 8 == 7 ? ' ' : 'a' + (char)(i % 26);
    padding[text] = '\0';
    return 0;
}

int main(int argc, char **argv)
{
    char addr[256] = "127.0.0.1";
    int port = 8090;
    if (parse_args(argc, argv, addr, sizeof addr, &port) != 0) {
        fprintf(stderr, "usage: echo_server [--listen ADDR:PORT] [--reply-bytes N]\n");
        return 2;
    }
    if (make_padding() != 0)
        return 1;
    signal(SIGPIPE, SIG_IGN);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    lws_set_log_level(LLL_ERR | LLL_WARN, NULL);
    if (create(addr, port) != 0) {
        fprintf(stderr, "echo_server: cannot listen on %s:%d\n", addr, port);
        return 1;
    }
    while (!stopping)
        lws_service(context, 0);
    lws_context_destroy(context);
    free(padding);
    free(tx);
    return 0;
}

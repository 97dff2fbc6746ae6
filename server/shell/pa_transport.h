/* pa_transport: what the files of the libwebsockets transport share
 * (pa_server.c, pa_listen.c, pa_http.c). Internal to the shell: the
 * cross-file functions carry the pa__ prefix, as libuv's uv__ ones do. */
#ifndef PA_TRANSPORT_H
#define PA_TRANSPORT_H

#include "pa_config.h"
#include "pa_outbox.h"
#include "pa_service.h"
#include "pa_token.h"

#include <libwebsockets.h>
#include <limits.h>

enum {
    PA_LISTEN_BACKLOG = 511,       /* connections the kernel queues before accept */
    PA_ACCEPT_BATCH = 64,          /* accepts per wake, so one listener cannot starve the rest */
    PA_ACCEPT_PAUSE_MIN_MS = 10,   /* after a failed accept, the first pause... */
    PA_ACCEPT_PAUSE_MAX_MS = 1000, /* ...doubling up to this */
    PA_LINGER_MS = 2000,           /* reading what a refused client still sends */
    PA_CLOSE_GRACE_MS = 2000,      /* for a close frame to leave before the socket goes */
    PA_FD_RESERVE = 64,            /* descriptors kept for files, the knowledge, lws itself */
    PA_HEADER_SLACK = 1024,        /* lws' header buffer beyond max-header-bytes */
    PA_GATE_PEEKS_MAX = 32,        /* looks at a request's headers before it is too slow (each
                                      look copies them again; a request takes one to a few) */
};

/* A listening socket, watched by lws as a raw file descriptor. */
typedef struct pa_listener {
    struct pa_server *srv;
    int fd;
    int admin;         /* 1: /healthz and /metrics; 0: the public listener */
    struct lws *wsi;   /* the raw wsi lws polls fd with; NULL once closed */
    unsigned pause_ms; /* the current pause after a failed accept; 0: none */
    char name[72];     /* "ADDR:PORT" as bound */
    lws_sorted_usec_list_t resume;
} pa_listener;

/* What the gate keeps per connection (its protocol's per-session data). */
typedef struct {
    lws_usec_t started;
    size_t peeked;  /* bytes seen by the last peek */
    unsigned peeks; /* how many looks so far */
    int lingering;  /* refused: reading what still comes before closing */
    int handed_over;
} pa_gate;

/* One per WebSocket connection (the protocol's per-session data). */
typedef struct pa_ws_session {
    struct lws *wsi;
    lws_dll2_t link; /* in pa_server.sessions */
    int is_ws;
    pa_conn conn;
    pa_outbox out;
    char *rx; /* the fragments of the message being received */
    size_t rx_len;
    int rx_overflow, rx_binary;
    int64_t last_message_us;  /* the idle clock */
    int64_t message_start_us; /* a message is being received since; 0: none */
    int closing;              /* 1 + a pa_close_reason once the server closes it */
} pa_ws_session;

typedef struct pa_server {
    /* One per service thread (setting workers): its own lws context and
     * listener, and its own view of the process' service (pa_service_add_worker). */
    const pa_config *cfg;
    pa_service *svc;
    unsigned index; /* 0: the first, which also holds the admin listener */
    int share_port; /* other workers listen on the same port (SO_REUSEPORT) */
    /* the vhosts' protocols: the WebSocket one with rx-buffer-bytes; lws
     * keeps pointing at them, so they live as long as the context */
    struct lws_protocols protocols[4];
    struct lws_context *ctx;
    struct lws_vhost *public_vh, *admin_vh;
    pa_listener listeners[2]; /* public, admin (the admin one on worker 0 only) */
    size_t admin_sockets;
    /* The socket accounting a connection carries in its opaque user data:
     * pa_service_accept's entry, or one of these two tokens. */
    char admin_token, proxy_token;
    void *adopting;          /* the token of an adoption under way */
    char web_root[PATH_MAX]; /* realpath of the web folder */
    char *peek;              /* max-header-bytes + 1: the gate's view of a request */
    lws_dll2_owner_t sessions;
    lws_sorted_usec_list_t tick;
    lws_usec_t stop_deadline;
    int forcing_close;
} pa_server;

/* lws_set_timeout_us with the microseconds of us: lws 4.1.6's own forgets to
 * set the timer's callback (and then asserts), which lws_set_timeout sets. */
static inline void pa__set_timeout_us(struct lws *wsi, lws_usec_t us)
{
    lws_set_timeout(wsi, PENDING_TIMEOUT_USER_REASON_BASE,
                    (int)((us + LWS_US_PER_SEC - 1) / LWS_US_PER_SEC));
    lws_set_timeout_us(wsi, PENDING_TIMEOUT_USER_REASON_BASE, us);
}

/* 1 when wsi came through the admin listener. Not its vhost: lws may move
 * a connection to another vhost by its Host header, which the client
 * writes. */
static inline int pa__is_admin(const pa_server *srv, struct lws *wsi)
{
    return lws_get_opaque_user_data(wsi) == &srv->admin_token;
}

/* pa_listen.c: the listeners and the gate every connection passes first,
 * which waits for the request's headers (handshake-timeout), answers 431
 * to oversized ones, and hands the rest to lws' HTTP server. */
/* Listens on address (the public listener, or the admin one when admin is
 * set) and watches the socket in srv's context. With srv->share_port, the
 * socket is bound with SO_REUSEPORT beside the other workers' ones, and the
 * kernel spreads new connections over them. Returns 0, or -1 with the
 * reason on stderr. */
int pa__listen(pa_server *srv, pa_listener *l, const char *address, int admin);
/* Before workers share a port: binds address alone for a moment, as a
 * single listener would, so that a port another program holds is refused
 * (SO_REUSEPORT would join it) and port 0 becomes a port the system chose.
 * Writes the address to share ("ADDR:PORT") into bound (size bytes).
 * Returns 0, or -1 with the reason on stderr. */
int pa__listen_probe(const char *address, char *bound, size_t size);
void pa__listen_close(pa_listener *l);
int pa__listen_event(pa_server *srv, struct lws *wsi, enum lws_callback_reasons reason);
int pa__gate_event(pa_server *srv, struct lws *wsi, enum lws_callback_reasons reason, void *user);
/* The connection wsi is gone: gives back its socket accounting. */
void pa__socket_gone(pa_server *srv, struct lws *wsi);

/* pa_http.c: GET of a file of the web folder, /healthz and /metrics, and
 * the short responses of refusals. */
int pa__http_request(pa_server *srv, struct lws *wsi, const char *uri);
/* Writes a whole response (status, a text/plain body) and asks to close
 * once it is out: returns -1 for the callback to return. */
int pa__http_status(struct lws *wsi, int status, const char *body);
/* The reason phrase of a status ("Too Many Requests"). */
const char *pa__http_reason(int status);

#endif

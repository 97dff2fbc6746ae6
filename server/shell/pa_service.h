/* pa_service: the server without its transport.
 *
 * Holds what one server process keeps (the knowledge snapshot and its
 * reloads, the limits and the client addresses they count, the counters)
 * and what each connection keeps (pa_conn), and turns a transport's events
 * into decisions and frames: a TCP connection arrives, a WebSocket upgrade
 * is asked, a connection opens, a message arrives, it closes; /healthz and
 * /metrics are asked. Replies themselves are decided by pa_turn in the core;
 * which connections are let in, and how many questions they may ask, here.
 *
 * A transport (pa_server.c: libwebsockets) calls these functions on a
 * service thread and carries out what they return. It gives the service a
 * small struct of hooks, so that work done elsewhere (the signal thread, the
 * reload thread that builds new knowledge, tomorrow an outbound HTTP client)
 * can wake the service thread, which then calls pa_service_poll: no
 * transport callback changes when such work is added. Nothing here knows
 * libwebsockets.
 *
 * Workers. A process may run several service threads (setting workers),
 * each with a pa_service of its own: pa_service_new makes the first,
 * pa_service_add_worker the others. They share one knowledge snapshot, one
 * set of counters, one table of client addresses with their limits and
 * question budgets, the reload thread and the messages to staff; what a
 * worker keeps for itself is the knowledge it serves until its next poll and
 * its own connections. Each pa_service (and every pa_conn it opened) is used
 * by its own thread only; the functions lock what the workers share, so any
 * worker may take a connection, and the limits hold for the process as a
 * whole. A reload, a stop or a message to staff wakes every worker.
 *
 * Times (now_us) are microseconds on the caller's clock, so that tests drive
 * the limits without waiting. */
#ifndef PA_SERVICE_H
#define PA_SERVICE_H

#include "pa_addr.h"
#include "pa_events.h"
#include "pa_handoff.h"
#include "pa_fetcher.h"
#include "pa_metrics.h"
#include "pa_peers.h"
#include "pa_ratelimit.h"
#include "pa_token.h"
#include "pa_turn.h"

#include <stdint.h>

/* How long a conversation's context stays good by default: longer than a
 * coffee break, shorter than a day's other conversations. */
enum { PA_CONTEXT_TTL_DEFAULT_S = 1800 };

struct sockaddr;
struct pa_conn;

typedef struct {
    const char *intents_dir, *locales_dir; /* borrowed, like every string here */
    const char *version;                   /* of the program, for /healthz and /metrics */
    pa_turn_limits limits;                 /* question length; idle timeout announced */
    pa_rate_config rate;                   /* questions per connection */
    pa_rate_config address_rate; /* questions per client address; burst 0: no such limit */
    size_t max_sockets;          /* TCP connections on the public listener; 0: no limit */
    size_t max_per_address;      /* connections per client address; 0: no limit */
    unsigned ipv6_prefix;        /* an IPv6 client counts as this network; 0: 64 */
    const char *trusted_proxies; /* networks (pa_cidr_list_parse); NULL: none */
    pa_forwarded_kind forwarded; /* the header they name the client in */
    const char *allowed_origins; /* (pa_origin_list_parse); NULL: the server's own only */
    int64_t reload_poll_ms;      /* the reload thread's period; 0: no reload thread */
    int64_t reload_debounce_ms;  /* how long an edit must settle before it is loaded */
    /* the secrets that seal conversation contexts (pa_token; borrowed);
     * NULL: the service makes a random one of its own */
    const pa_token_keys *context_keys;
    int64_t context_ttl_s; /* a context older than this is not restored; 0: 1800 s */
    /* the bundle the knowledge folders follow (borrowed), for /healthz and
     * /metrics; NULL: the folders are edited in place */
    const pa_fetcher *fetcher;
    /* the texts of knowledge problems in the log and /healthz (borrowed;
     * pa_diag_catalog); NULL: their message ids */
    const pa_diag_catalog *catalog;
    /* the staff event log (pa_events; borrowed): every question, vote and
     * message to staff is an event there; NULL: none is written */
    pa_events *events;
    /* residents' messages to staff (pa_handoff_start), taken over: the
     * service stops it, also when pa_service_new fails; NULL: none taken,
     * contact frames get contact_unavailable */
    pa_handoff *handoff;
} pa_service_config;

/* What the transport lends the service. */
typedef struct {
    void *user;
    /* Makes the transport call pa_service_poll on the service thread soon.
     * Called from any thread. */
    void (*wake)(void *user);
    /* Sends frame (malloc'd, taken) to the connection of conn, on the
     * service thread, from pa_service_poll: a reply that was not ready when
     * its message came (a message to staff is acknowledged once it is on
     * disk). NULL: such replies are dropped. */
    void (*send)(void *user, struct pa_conn *conn, char *frame);
} pa_service_hooks;

/* What one connection keeps between messages. */
typedef struct pa_conn {
    pa_session dialog;
    pa_rate_bucket rate;
    pa_peer *client;         /* its client address' entry; NULL when not counted */
    pa_handoff_conn handoff; /* its messages to staff */
} pa_conn;

/* A WebSocket upgrade, as the transport read it: the TCP peer and the
 * headers that matter (NULL when absent). */
typedef struct {
    const struct sockaddr *peer;
    const char *x_forwarded_for, *forwarded;
    const char *origin, *host;
} pa_upgrade;

typedef struct pa_service pa_service;

/* Loads the knowledge and returns a service, or NULL when the knowledge
 * has errors (added to diag, which may be NULL). Starts the reload thread
 * when cfg->reload_poll_ms is set. Free with pa_service_free. */
pa_service *pa_service_new(const pa_service_config *cfg, const pa_service_hooks *hooks,
                           pa_diag *diag);
/* Another worker of the process of svc (any of its workers), with its own
 * hooks: serves the same knowledge and shares the limits and counters.
 * Returns NULL when the process has PA_WORKERS_MAX workers already. Free
 * with pa_service_free. */
pa_service *pa_service_add_worker(pa_service *svc, const pa_service_hooks *hooks);
/* Frees a worker. The last one freed also stops the reload thread and frees
 * what the workers shared. Accepts NULL. */
void pa_service_free(pa_service *svc);
/* This worker's number: 0 for the one pa_service_new made, then 1, 2... in
 * the order pa_service_add_worker made them. */
unsigned pa_service_worker_index(const pa_service *svc);

/* The knowledge this worker now serves (borrowed: valid until its next
 * pa_service_poll or pa_service_reload). */
const pa_snapshot *pa_service_snapshot(const pa_service *svc);

/* The staff event log the service writes to (the config's, borrowed; may be
 * NULL), for work that writes its own events (pa_events_write, any thread). */
pa_events *pa_service_events(const pa_service *svc);

/* ---- admission ---------------------------------------------------------- */

/* A TCP connection from peer arrives on the public listener. Returns
 * PA_ADMIT and the peer's entry in *entry (NULL when it is a trusted proxy,
 * whose connections only the total limit counts), to give back to
 * pa_service_socket_closed; or the reason to refuse it (counted). */
pa_refusal pa_service_accept(pa_service *svc, const struct sockaddr *peer, pa_peer **entry,
                             int64_t now_us);
/* The connection pa_service_accept admitted has closed; entry may be NULL. */
void pa_service_socket_closed(pa_service *svc, pa_peer *entry, int64_t now_us);
/* A WebSocket upgrade: PA_ADMIT, or the reason to refuse it (counted):
 * stopping, origin, per_address (of the client behind a trusted proxy). */
pa_refusal pa_service_upgrade(pa_service *svc, const pa_upgrade *u);
/* Counts a refusal or a close the transport carried out itself. */
void pa_service_count_refusal(pa_service *svc, pa_refusal r);
void pa_service_count_close(pa_service *svc, pa_close_reason r);
void pa_service_count_accept_failure(pa_service *svc);
/* TCP connections admitted and not closed yet. */
size_t pa_service_sockets(const pa_service *svc);

/* ---- conversations ------------------------------------------------------ */

/* A connection opens at now_us, asking for the language lang_code (or
 * NULL). Fills *conn and returns the welcome frame, malloc'd. The connection
 * is not counted against any client address. */
char *pa_service_open(pa_service *svc, pa_conn *conn, const char *lang_code, int64_t now_us);
/* The same for the connection of an upgrade pa_service_upgrade admitted:
 * counted against its client address, whose bucket it shares. */
char *pa_service_open_client(pa_service *svc, pa_conn *conn, const pa_upgrade *u,
                             const char *lang_code, int64_t now_us);
/* One complete message of the connection (see pa_turn_frame for data, len
 * and refused); applies the rate limits to questions (not to pings),
 * counts, logs the questions left unanswered, and returns the reply frame,
 * malloc'd: every message gets one. The one exception is a message to staff
 * (a contact frame) the delivery worker is writing to disk: NULL, and its
 * acknowledgement comes later through the send hook. */
char *pa_service_message(pa_service *svc, pa_conn *conn, const char *data, size_t len,
                         pa_proto_error refused, int64_t now_us);
/* A reply to a question left for the client seconds after the question
 * arrived (the latency histogram). */
void pa_service_replied(pa_service *svc, double seconds);
/* The connection has closed. */
void pa_service_close(pa_service *svc, pa_conn *conn);
/* WebSocket connections open on this worker... */
size_t pa_service_connections(const pa_service *svc);
/* ...and on every worker of the process. */
size_t pa_service_connections_all(const pa_service *svc);
/* Once a second or so: forgets the client addresses gone long enough. */
void pa_service_tick(pa_service *svc, int64_t now_us);

/* The bodies of GET /healthz (JSON) and GET /metrics (Prometheus text),
 * malloc'd, for the whole process (every worker summed). Neither holds a
 * path of the server's file system. */
char *pa_service_health(const pa_service *svc);
char *pa_service_metrics(const pa_service *svc);

/* ---- reloads and stopping ---------------------------------------------- */

/* Reloads the knowledge now, on the calling thread, when its files changed
 * since the last load, or always when forced; a broken edit keeps the
 * current snapshot and is reported in /healthz and the log. Service thread
 * only; a server leaves this to the reload thread. */
void pa_service_reload(pa_service *svc, int forced);

/* From any thread (a signal watcher): ask for a reload or a stop. Both wake
 * the service thread through the hooks (a reload once its build is ready,
 * when the reload thread runs). */
void pa_service_request_reload(pa_service *svc);
void pa_service_request_stop(pa_service *svc);
/* Service thread, after a wake: installs new knowledge the reload thread
 * built (and wakes the other workers to take it), moves this worker to the
 * knowledge installed, and carries out what was asked. Returns 1 when a stop
 * was asked and this worker has just begun stopping, else 0. */
int pa_service_poll(pa_service *svc);
/* 1 once this worker is stopping: new connections are refused. */
int pa_service_stopping(const pa_service *svc);
/* Stops the delivery thread of messages to staff, which wakes the transport
 * from its own thread: called before the transport's loops go away, once
 * no worker runs.
 * Messages not delivered stay in the spool for the next start; contact
 * frames get contact_unavailable from then on. */
void pa_service_stop_handoff(pa_service *svc);
/* Stops the reload thread, which wakes the transport's loop when a build is
 * ready: called before that loop goes away. Edits are no longer loaded. */
void pa_service_stop_reloader(pa_service *svc);

#endif

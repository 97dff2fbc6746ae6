/* pa_service: the server without its transport.
 *
 * Holds what one server process keeps (the knowledge snapshot and its
 * reloads, the limits, the counters) and what each connection keeps
 * (pa_conn), and turns a transport's events into frames: a connection
 * opens, a message arrives, it closes; /healthz and /metrics are asked.
 * Replies themselves are decided by pa_turn in the core.
 *
 * A transport (pa_server.c: libwebsockets) calls these functions on its one
 * service thread and sends what they return. It gives the service a small
 * struct of hooks, so that work done elsewhere (the signal thread today, a
 * worker pool or an outbound HTTP client tomorrow) can wake the service
 * thread, which then calls pa_service_poll: no transport callback changes
 * when such work is added. Nothing here knows libwebsockets. */
#ifndef PA_SERVICE_H
#define PA_SERVICE_H

#include "pa_metrics.h"
#include "pa_ratelimit.h"
#include "pa_turn.h"

#include <stdint.h>

typedef struct {
    const char *intents_dir, *locales_dir;
    const char *version; /* of the program, for /healthz and /metrics */
    pa_turn_limits limits;
    pa_rate_config rate; /* per connection */
} pa_service_config;

/* What the transport lends the service. */
typedef struct {
    void *user;
    /* Makes the transport call pa_service_poll on the service thread soon.
     * Called from any thread. */
    void (*wake)(void *user);
} pa_service_hooks;

/* What one connection keeps between messages. */
typedef struct {
    pa_session dialog;
    pa_rate_bucket rate;
} pa_conn;

typedef struct pa_service pa_service;

/* Loads the knowledge and returns a service, or NULL when the knowledge
 * has errors (added to diag, which may be NULL). Free with pa_service_free. */
pa_service *pa_service_new(const pa_service_config *cfg, const pa_service_hooks *hooks,
                           pa_diag *diag);
/* Accepts NULL. */
void pa_service_free(pa_service *svc);

/* The knowledge now served (borrowed: valid until the next reload). */
const pa_snapshot *pa_service_snapshot(const pa_service *svc);

/* A connection opens at now_us (microseconds), asking for the language
 * lang_code (or NULL). Fills *conn and returns the welcome frame, malloc'd. */
char *pa_service_open(pa_service *svc, pa_conn *conn, const char *lang_code, int64_t now_us);
/* One complete message of the connection (see pa_turn_frame for data, len
 * and refused); applies the rate limit, counts, logs the questions left
 * unanswered, and returns the reply frame, malloc'd: every message gets one. */
char *pa_service_message(pa_service *svc, pa_conn *conn, const char *data, size_t len,
                         pa_proto_error refused, int64_t now_us);
/* The connection has closed. */
void pa_service_close(pa_service *svc, pa_conn *conn);
size_t pa_service_connections(const pa_service *svc);

/* The bodies of GET /healthz (JSON) and GET /metrics (Prometheus text),
 * malloc'd. */
char *pa_service_health(const pa_service *svc);
char *pa_service_metrics(const pa_service *svc);

/* Reloads the knowledge when its files changed since the last load, or
 * always when forced; a broken edit keeps the current snapshot and is
 * reported in /healthz and the log. Service thread only. */
void pa_service_reload(pa_service *svc, int forced);

/* From any thread (a signal watcher): ask for a reload or a stop. Both wake
 * the service thread through the hooks. */
void pa_service_request_reload(pa_service *svc);
void pa_service_request_stop(pa_service *svc);
/* Service thread, after a wake: carries out what was asked. Returns 1 when a
 * stop was asked and the service has just begun stopping, else 0. */
int pa_service_poll(pa_service *svc);
/* 1 once the service is stopping: new connections are refused. */
int pa_service_stopping(const pa_service *svc);

#endif

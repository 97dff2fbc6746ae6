/* pa_handoff: residents' messages to staff, on the service's side.
 *
 * What the WebSocket service does with a {"type":"contact"} frame
 * (docs/protocol.md): checks it (pa_contact, in the core), holds it to the
 * per-connection cap, and hands it to the delivery worker (pa_delivery),
 * which writes it durably to the spool on its own thread. The
 * acknowledgement is not the reply to the frame: it is sent when the worker
 * says the message is kept, through pa_handoff_poll, which the service
 * calls after a wake. A connection that closed meanwhile is forgotten; its
 * widget re-sends with the same key on the next connection and gets the
 * acknowledgement of the duplicate.
 *
 * Thread-safe: one pa_handoff serves every worker (service thread) of the
 * process. Each message is tagged with the worker whose connection sent it
 * (its owner), and only that worker's pa_handoff_poll sends its
 * acknowledgement, since only that thread may write to the connection.
 *
 * Also: what the welcome announces (the retention the widget's consent line
 * states), the handoff part of /healthz and /metrics, the staff events of
 * deliveries, and the checks of the handoff-* settings. */
#ifndef PA_HANDOFF_H
#define PA_HANDOFF_H

#include "pa_config.h"
#include "pa_contact.h"
#include "pa_dialog.h"
#include "pa_events.h"

#include <jansson.h>
#include <stddef.h>

/* Checks the handoff-* settings together (channels complete, URL schemes,
 * addresses, the staff language). Returns 0, or -1 with the problem in err. */
int pa_handoff_check_config(const pa_config *c, char err[PA_CONFIG_ERROR_MAX]);

typedef struct pa_handoff pa_handoff;

/* Starts taking messages when the setting handoff-spool is set: reads the
 * secret files and the mail's texts (locales/staff/handoff.LANG.json of
 * the locales folder), opens the spool and starts the delivery worker,
 * which calls wake(user) from its thread when acknowledgements are ready.
 * events (borrowed, may be NULL) gets the handoff events. Returns NULL with
 * err empty when handoff-spool is empty, or NULL with the reason in err.
 * version goes in the webhook's User-Agent. Stop with pa_handoff_stop. */
pa_handoff *pa_handoff_start(const pa_config *c, const char *locales_dir, const char *version,
                             pa_events *events, void (*wake)(void *user), void *user,
                             char err[PA_CONFIG_ERROR_MAX]);
/* Stops the worker (messages not delivered stay in the spool) and frees
 * everything. Accepts NULL. */
void pa_handoff_stop(pa_handoff *h);
/* Replaces the callback pa_handoff_start was given: wake(user) is called
 * from the delivery thread, or from a poll that found acknowledgements due
 * to other owners. Accepts h NULL. */
void pa_handoff_set_wake(pa_handoff *h, void (*wake)(void *user), void *user);

/* The welcome frame (taken over) with the "contact" offer added; as it is
 * when h is NULL. Malloc'd. */
char *pa_handoff_welcome(const pa_handoff *h, char *welcome);

/* What one connection keeps about its messages to staff. */
typedef struct {
    unsigned sent; /* messages taken (or being written) for this connection */
} pa_handoff_conn;

/* A contact frame of len bytes from connection conn (an address the caller
 * keeps valid until pa_handoff_forget) of the worker owner, in the
 * conversation session.
 * Returns the error frame, malloc'd, with its code in *error; or NULL with
 * *error PA_PROTO_OK: the message went to the worker, and its
 * acknowledgement comes through pa_handoff_poll. With h NULL (no spool
 * configured) every contact gets contact_unavailable. */
char *pa_handoff_contact(pa_handoff *h, const pa_snapshot *s, const pa_session *session,
                         const void *owner, void *conn, pa_handoff_conn *state, const char *data,
                         size_t len, pa_proto_error *error);

/* The connection conn is closing: acknowledgements due to it are dropped. */
void pa_handoff_forget(pa_handoff *h, const void *conn);

/* The worker owner's thread, after a wake: sends each acknowledgement ready
 * for owner's connections (or the contact_unavailable error when the spool
 * refused the message) through send, which takes the frame (malloc'd).
 * Results due to other owners are kept for their polls, and wake them.
 * Returns how many error frames were sent, for the service to count. */
size_t pa_handoff_poll(pa_handoff *h, const pa_snapshot *s, const void *owner,
                       void (*send)(void *user, void *conn, char *frame), void *user);

/* /healthz's "handoff" object: {"depth":N,"oldest_s":S,"stuck":bool,
 * "dead_letter":N,"channels":["smtp",..]}. A new reference; NULL when h is
 * NULL. */
json_t *pa_handoff_health(pa_handoff *h);
/* The handoff families of /metrics (Prometheus text), malloc'd; "" when h
 * is NULL. */
char *pa_handoff_metrics(pa_handoff *h);

#endif

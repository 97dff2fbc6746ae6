/* pa_metrics: the server's counters and their Prometheus text.
 *
 * Not thread-safe: one pa_metrics serves the whole process, and its owner
 * (pa_service) counts into it and renders it under its own lock, so that
 * the workers (service threads) make one coherent set and plain integers
 * suffice. */
#ifndef PA_METRICS_H
#define PA_METRICS_H

#include "pa_fetcher.h"
#include "pa_map.h"
#include "pa_turn.h"

#include <stddef.h>
#include <stdint.h>

/* Why a connection was refused: the label of
 * passerelle_connections_refused_total, and the HTTP status it got. */
#define PA_REFUSALS(X)                                                                             \
    X(MAX_CONNECTIONS, "max_connections", 503)         /* the server holds max-connections */      \
    X(PER_ADDRESS, "per_address", 429)                 /* the address holds its share */           \
    X(ORIGIN, "origin", 403)                           /* a page not in allowed-origins */         \
    X(STOPPING, "stopping", 503)                       /* the server is shutting down */           \
    X(HEADERS_TOO_LARGE, "headers_too_large", 431)     /* request headers over max-header */       \
    X(ADMIN_CONNECTIONS, "admin_max_connections", 503) /* the admin listener is full */

typedef enum {
    PA_ADMIT = 0,
#define PA_X(sym, name, status) PA_REFUSE_##sym,
    PA_REFUSALS(PA_X)
#undef PA_X
        PA_REFUSAL_END
} pa_refusal;

/* The label of a refusal ("per_address"), "" for PA_ADMIT; and its status. */
const char *pa_refusal_name(pa_refusal r);
int pa_refusal_status(pa_refusal r);

/* Why the server closed a connection itself. */
#define PA_CLOSES(X)                                                                               \
    X(IDLE, "idle_timeout")           /* no message for idle-timeout */                            \
    X(FRAME, "frame_timeout")         /* a message not complete within frame-timeout */            \
    X(HANDSHAKE, "handshake_timeout") /* request headers not complete within handshake-timeout */  \
    X(SHUTDOWN, "shutdown")           /* closed with 1001 when the server stopped */

typedef enum {
#define PA_X(sym, name) PA_CLOSE_##sym,
    PA_CLOSES(PA_X)
#undef PA_X
        PA_CLOSE_END
} pa_close_reason;

const char *pa_close_name(pa_close_reason r);

/* A Prometheus histogram over fixed upper bounds (seconds). */
enum { PA_HISTOGRAM_BOUNDS_MAX = 16 };
typedef struct {
    const double *bounds; /* ascending; +Inf is implied */
    size_t n_bounds;
    uint64_t counts[PA_HISTOGRAM_BOUNDS_MAX + 1]; /* per bucket, not cumulative */
    double sum;
    uint64_t count;
} pa_histogram;

/* Starts a histogram over n bounds (at most PA_HISTOGRAM_BOUNDS_MAX),
 * borrowed: they must outlive it. */
void pa_histogram_init(pa_histogram *h, const double *bounds, size_t n);
void pa_histogram_observe(pa_histogram *h, double value);

enum { PA_METRICS_INTENTS_MAX = 1024 }; /* intents counted one by one; the rest in "other" */
/* (intent, language) pairs whose votes are counted one by one; the rest in
 * "other". Only intents of the knowledge are counted, so clients cannot
 * make up labels; this bounds what many reloads could add. */
enum { PA_METRICS_FEEDBACK_MAX = 4096 };

/* The votes on one intent's answers in one language. */
typedef struct {
    char *key; /* "intent\tlang", owned: the map's key */
    char lang[PA_LANG_CODE_MAX];
    unsigned long votes[2]; /* [0] not useful, [1] useful */
} pa_feedback_counter;

typedef struct {
    char code[PA_LANG_CODE_MAX];
    unsigned long questions;
} pa_lang_counter;

typedef struct {
    unsigned long connections_total, questions, pings;
    unsigned long replies[PA_REPLY_KIND_END];
    unsigned long errors[PA_PROTO_END];
    unsigned long reloads_ok, reloads_failed;
    /* languages of the matching index reloads built, and shared with the
     * knowledge in service (the edit did not touch them) */
    unsigned long reload_languages_built, reload_languages_shared;
    unsigned long refused[PA_REFUSAL_END];
    unsigned long closed[PA_CLOSE_END];
    unsigned long accept_failures; /* accept() errors: out of file descriptors, mostly */
    /* context tokens clients brought back: restored, or refused (forged,
     * expired, foreign: the conversation went on without) */
    unsigned long contexts_restored, contexts_refused;
    pa_lang_counter langs[PA_LANG_MAX];
    /* answers by intent id: ids owned here (they outlive reloads) */
    pa_map intent_index;
    char **intent_ids;
    unsigned long *intent_answers;
    size_t n_intents;
    unsigned long other_intent_answers;
    /* residents' votes (feedback frames), by intent and language */
    pa_map feedback_index;
    pa_feedback_counter *feedback;
    size_t n_feedback;
    unsigned long other_feedback[2];
    pa_histogram reply_seconds;  /* message received to reply written */
    pa_histogram reload_seconds; /* building a snapshot, on the reload worker */
    pa_histogram swap_seconds;   /* the service thread's share of a reload */
} pa_metrics;

/* Starts the counters at zero; free with pa_metrics_clear. */
void pa_metrics_init(pa_metrics *m);
void pa_metrics_clear(pa_metrics *m);

/* Counts a turn: its error code, a keep-alive, a vote by intent, language
 * and usefulness, or the question by language, the reply by kind and its
 * intent. */
void pa_metrics_count_turn(pa_metrics *m, const pa_snapshot *s, const pa_turn *t);

/* What one worker (service thread) did, for the per-worker families. */
typedef struct {
    unsigned index;                  /* its number, the label */
    size_t connections;              /* WebSockets open on it */
    unsigned long connections_total; /* WebSockets it accepted */
    unsigned long messages;          /* messages it handled (questions, pings, votes...) */
} pa_metrics_worker;

/* What /metrics shows besides the counters. */
typedef struct {
    const char *program_version, *knowledge_version;
    size_t connections; /* WebSockets open */
    size_t sockets;     /* TCP connections open on the public listener */
    size_t addresses;   /* client addresses tracked (pa_peers) */
    uint64_t log_dropped;
    const pa_fetcher_status *bundle;  /* when following knowledge-url, else NULL */
    const pa_metrics_worker *workers; /* n_workers of them, by worker number */
    size_t n_workers;
} pa_metrics_info;

/* The Prometheus text exposition of the counters, malloc'd (caller frees). */
char *pa_metrics_text(const pa_metrics *m, const pa_metrics_info *info);

#endif

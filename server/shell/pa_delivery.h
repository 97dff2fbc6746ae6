/* pa_delivery: the worker that keeps residents' messages and hands them to
 * staff, by mail (SMTP) and/or an HTTPS webhook, with libcurl.
 *
 * Everything slow about a message to staff happens on this thread, never
 * on the WebSocket service thread: writing it durably to the spool
 * (pa_spool: two fsyncs, milliseconds on a good disk, far more on a busy
 * one), then delivering it (a mail server may take seconds to answer, or
 * not answer at all). The service thread submits a message with a ticket
 * and goes on serving; the worker writes it, leaves the result to take and
 * calls the ready callback, which wakes the service thread
 * (pa_service_hooks): only then is the resident told the message is kept.
 *
 * Deliveries run through one curl multi handle, so the worker writes new
 * messages while transfers are under way. A message is delivered once every
 * configured channel has taken it; a channel that failed is tried again
 * after an exponential backoff with jitter (retry base, doubling to a cap),
 * the others are not repeated. After max_attempts failed attempts the
 * message goes to the spool's dead/ folder and is reported. TLS
 * certificates are always verified (a CA file may be given for a private
 * CA). Timeouts bound every transfer. On start the messages still waiting
 * in the spool are picked up; on stop, transfers under way are abandoned
 * (not counted as attempts) and their messages stay for the next start.
 *
 * The log says what happened to which message (by its key), never what it
 * says nor whom to reply to. */
#ifndef PA_DELIVERY_H
#define PA_DELIVERY_H

#include "pa_mail.h"
#include "pa_spool.h"

#include <jansson.h>
#include <stdint.h>

typedef enum { PA_CHANNEL_SMTP, PA_CHANNEL_WEBHOOK, PA_CHANNEL_END } pa_channel;

/* "smtp", "webhook": the label of the metrics. */
const char *pa_channel_name(pa_channel c);

/* Every string is borrowed and must outlive the worker. */
typedef struct {
    pa_spool *spool;                       /* taken over by pa_delivery_start, even when it fails */
    const pa_mail_texts *mail_texts;       /* the mail's words; needed with smtp_url */
    const char *smtp_url;                  /* smtp:// or smtps://; NULL or "": no mail */
    const char *mail_from, *mail_to;       /* one address; one or more */
    const char *smtp_user, *smtp_password; /* NULL: no login */
    const char *webhook_url;               /* https:// (http:// on loopback); NULL or "": none */
    const unsigned char *webhook_secret;   /* signs each request (HMAC-SHA256); NULL: unsigned */
    size_t webhook_secret_len;
    const char *ca_file;              /* certificates of a private CA; NULL or "": the system's */
    const char *user_agent;           /* "passerelle/0.1.0" */
    unsigned max_attempts;            /* failed attempts before dead/ */
    double retry_base_s, retry_max_s; /* the first wait after a failure; its cap */
    double timeout_s, connect_timeout_s; /* of each transfer */
    double retention_s;                  /* bodies older than this are deleted, delivered or not */
    double dedupe_s;                     /* delivery markers are kept this long */
    size_t max_depth; /* messages waiting at most; more are refused (PA_SPOOL_FULL) */
    /* Worker thread: results of submissions are ready (pa_delivery_take). */
    void (*ready)(void *user);
    /* Worker thread: what happened to a message: "queued", "delivered",
     * "retry", "dead_letter", "duplicate"; lang its language. NULL: none. */
    void (*event)(void *user, const char *state, const char *lang);
    void *user;
} pa_delivery_config;

typedef struct {
    size_t depth;                         /* messages waiting */
    int64_t oldest_received;              /* UTC seconds of the oldest waiting; 0: none */
    size_t dead;                          /* messages in dead/ */
    uint64_t queued, duplicates, refused; /* submissions, by result (refused: full or failed) */
    uint64_t delivered[PA_CHANNEL_END];   /* deliveries, by channel */
    uint64_t failures;                    /* failed deliveries to a channel */
    uint64_t retries;                     /* attempts scheduled again after a failure */
    uint64_t dead_letters;                /* messages moved to dead/ since the start */
} pa_delivery_stats;

/* libcurl's process-wide set-up and its end: main thread, before and after
 * any other thread runs. pa_delivery_global_init returns 0 or -1. */
int pa_delivery_global_init(void);
void pa_delivery_global_cleanup(void);

typedef struct pa_delivery pa_delivery;

/* Starts the worker, which loads the messages waiting in the spool. Returns
 * NULL with the reason in err when the thread cannot start. Stop with
 * pa_delivery_stop. */
pa_delivery *pa_delivery_start(const pa_delivery_config *cfg, char *err, size_t err_size);
/* Abandons the transfers under way, joins the worker, closes the spool and
 * frees everything. Accepts NULL. */
void pa_delivery_stop(pa_delivery *d);

/* Any thread: asks the worker to keep a message (a pa_contact_record, taken
 * over) under key; its result comes back with ticket through
 * pa_delivery_take. */
void pa_delivery_submit(pa_delivery *d, uint64_t ticket, const char *key, json_t *record);
/* Any thread: moves one ready result into *ticket and *result and returns
 * 1, or returns 0 when there is none. */
int pa_delivery_take(pa_delivery *d, uint64_t *ticket, pa_spool_put_result *result);
/* Any thread: the counters and the spool's state now. */
void pa_delivery_stats_get(pa_delivery *d, pa_delivery_stats *out);

/* 1 when the URL's host is a loopback address (127.0.0.0/8, ::1,
 * localhost), where plain text never crosses a network; 0 otherwise or when
 * it cannot be read. */
int pa_delivery_url_is_loopback(const char *url);
/* The URL's scheme, lowercase, into out ("" when it cannot be read). */
void pa_delivery_url_scheme(const char *url, char *out, size_t size);

/* The JSON a webhook receives for a spool record: {"type":"handoff","key",
 * "received","lang","text","reply_to","reply_to_kind","conversation",
 * "conversation_omitted"}. Malloc'd. */
char *pa_delivery_webhook_body(const json_t *record);
/* The X-Passerelle-Signature value of body sent at t: "t=<t>,v1=<hex of
 * HMAC-SHA256(secret, "<t>." + body)>", into out (at least 96 bytes). */
void pa_delivery_signature(const unsigned char *secret, size_t secret_len, const char *body,
                           int64_t t, char *out, size_t size);

#endif

/* pa_fetcher: follows a knowledge bundle published at a URL.
 *
 * Staff publish the knowledge once (an archive of intents/ and locales/ on
 * a web server) and every replica follows it. A thread of its own asks the
 * URL every poll interval with libcurl, conditionally (If-None-Match with
 * the last ETag: an unchanged bundle costs a 304), TLS verified, within a
 * timeout and a size limit. A new bundle is unpacked (pa_bundle) into a new
 * version folder of the cache, checked as `passerelle check` would, and only
 * when it has no error does the cache's "current" link move to it, in one
 * rename. The server reads its knowledge from current/intents and
 * current/locales, and its reload thread sees the switch like any edit, so
 * the swap itself is the usual one. A bundle with errors is refused: the
 * knowledge in service stays, and /healthz and /metrics say why.
 *
 * The cache also lets a replica start when the URL cannot be reached: it
 * serves the last bundle it installed. Nothing of the network runs on the
 * service thread, which only reads the status (pa_fetcher_status). */
#ifndef PA_FETCHER_H
#define PA_FETCHER_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

enum {
    PA_FETCHER_ERRORS_MAX = 8,   /* problems of a refused bundle kept for /healthz */
    PA_FETCHER_TEXT_MAX = 640,   /* bytes of one of them */
    PA_FETCHER_KEEP_VERSIONS = 2 /* version folders kept: the current and the one before */
};

typedef enum {
    PA_FETCH_NONE,         /* not tried yet */
    PA_FETCH_UPDATED,      /* a new bundle was installed */
    PA_FETCH_NOT_MODIFIED, /* the server said it had not changed (304) */
    PA_FETCH_FAILED,       /* the URL could not be read: network, TLS, HTTP status, size */
    PA_FETCH_REJECTED,     /* a bundle came but was refused: its archive or its knowledge */
    PA_FETCH_RESULT_END
} pa_fetch_result;

/* "updated", "not_modified", "failed", "rejected"; "none". */
const char *pa_fetch_result_name(pa_fetch_result r);

typedef struct {
    const char *url;     /* http(s); borrowed, like the other strings */
    const char *cache;   /* a folder the fetcher owns (created when missing) */
    const char *ca_file; /* certificates to trust instead of the system's; NULL: the system's */
    const char *user_agent;
    int64_t poll_ms;    /* between two requests */
    int64_t timeout_ms; /* of one request, connection included */
    size_t max_bytes;   /* of the archive as downloaded */
    /* the language a refused bundle's problems are told in (borrowed; NULL:
     * message ids and their arguments) */
    const struct pa_diag_catalog *catalog;
} pa_fetcher_config;

/* What the fetcher last did, for /healthz and /metrics. */
typedef struct {
    pa_fetch_result last;            /* of the last request */
    time_t last_at, updated_at;      /* the last request; the last bundle installed (0: never) */
    char etag[128];                  /* of the bundle installed */
    char error[PA_FETCHER_TEXT_MAX]; /* why the last request failed or was refused */
    char errors[PA_FETCHER_ERRORS_MAX][PA_FETCHER_TEXT_MAX]; /* a refused knowledge's problems */
    size_t n_errors;
    unsigned long count[PA_FETCH_RESULT_END]; /* requests by result */
} pa_fetcher_status;

typedef struct pa_fetcher pa_fetcher;

/* Makes a fetcher and asks the URL once, now, on the calling thread. Then
 * the cache holds a knowledge (fetched now or installed earlier) whose
 * folders pa_fetcher_intents_dir and pa_fetcher_locales_dir name; when it
 * holds none, returns NULL with the reason in err. Start the thread with
 * pa_fetcher_start; free with pa_fetcher_free. */
pa_fetcher *pa_fetcher_new(const pa_fetcher_config *cfg, char *err, size_t err_size);
/* Starts the polling thread. Returns 0, or -1 when it cannot start. */
int pa_fetcher_start(pa_fetcher *f);
/* Stops the thread (when started) and frees everything. Accepts NULL. */
void pa_fetcher_free(pa_fetcher *f);

/* The knowledge folders to serve from: "<cache>/current/intents" and
 * ".../locales". Owned by the fetcher. */
const char *pa_fetcher_intents_dir(const pa_fetcher *f);
const char *pa_fetcher_locales_dir(const pa_fetcher *f);

/* The URL followed, as pa_fetcher_public_url shows it. Owned by the fetcher. */
const char *pa_fetcher_url(const pa_fetcher *f);

/* A copy of the status, taken under the fetcher's lock: any thread. */
void pa_fetcher_status_get(const pa_fetcher *f, pa_fetcher_status *out);

/* The URL as it may be shown: scheme, host and path, without a user, a
 * password or a query that could hold a secret. */
void pa_fetcher_public_url(const char *url, char *out, size_t size);

#endif

/* pa_reloader: builds new knowledge on a thread of its own.
 *
 * Reading and indexing the knowledge takes about half a second. Done on the
 * service thread, it froze every conversation for that long at each edit;
 * so a worker thread, at the lowest CPU priority, polls the fingerprint of
 * the files (pa_reload), waits until an edit has settled (the debounce:
 * the fingerprint has not changed for that long), builds the snapshot, and
 * hands it over: the service thread, woken through the ready callback,
 * takes the result and swaps the pointer (pa_service). A SIGHUP asks for a
 * build at once, even of unchanged files.
 *
 * The worker never touches the snapshot in service. It frees a result not
 * yet taken (a newer build replaced it), and the snapshots the service
 * thread took out of service (pa_reloader_retire). */
#ifndef PA_RELOADER_H
#define PA_RELOADER_H

#include "pa_snapshot.h"

#include <stdint.h>
#include <time.h>

typedef struct {
    const char *intents_dir, *locales_dir; /* borrowed: outlive the reloader */
    int64_t poll_ms;                       /* how often the fingerprint is computed */
    int64_t debounce_ms;                   /* how long an edit must settle */
    /* Called on the worker thread when a result is ready to take. */
    void (*ready)(void *user);
    void *user;
    /* The snapshot in service when the worker starts, or NULL: the first
     * build shares the languages its edit did not touch with it. Only the
     * worker's own builds replace it, so it lives until the first one, and
     * the worker reads it only before. */
    const pa_snapshot *in_service;
} pa_reloader_config;

/* A build: the snapshot, or NULL and the problems in diag. */
typedef struct {
    pa_snapshot *snapshot;
    pa_diag diag;
    uint64_t fingerprint; /* of the files it was built from */
    double seconds;       /* the build's duration */
    time_t at;            /* when it finished */
    int forced;           /* asked by pa_reloader_force */
} pa_reload_result;

/* Builds from the folders on the calling thread: what the worker does, for
 * callers that want it now (tests, the first load). reuse (NULL: none) holds
 * the languages of the knowledge in service (pa_index_languages): those an
 * edit did not touch are shared, not built again. Release the result with
 * pa_reload_result_clear. */
void pa_reload_build(const char *intents_dir, const char *locales_dir, const struct pa_index *reuse,
                     pa_reload_result *out);
/* Frees what the result holds (its snapshot, when not taken: set it to NULL
 * after taking it). */
void pa_reload_result_clear(pa_reload_result *r);

typedef struct pa_reloader pa_reloader;

/* Starts the worker; loaded is the fingerprint of the knowledge in service.
 * Returns NULL when the thread cannot start. Stop with pa_reloader_stop. */
pa_reloader *pa_reloader_start(const pa_reloader_config *cfg, uint64_t loaded);
/* Stops and joins the worker, frees a result not taken. Accepts NULL. */
void pa_reloader_stop(pa_reloader *r);
/* From any thread: build now, without waiting for a change. */
void pa_reloader_force(pa_reloader *r);
/* Service thread: moves a ready result into *out and returns 1, or returns
 * 0 when there is none. */
int pa_reloader_take(pa_reloader *r, pa_reload_result *out);
/* Service thread, after a swap: hands over the snapshot taken out of
 * service, which the worker frees. Freeing one takes from 0.3 ms to several
 * milliseconds (it gives memory back to the system, which the build on the
 * other core contends for): the replies must not wait for it. Safe because
 * no turn holds it any more: turns run to completion on the service
 * thread, which swapped it out. */
void pa_reloader_retire(pa_reloader *r, pa_snapshot *s);

#endif

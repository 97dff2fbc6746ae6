#include "pa_reloader.h"

#include "pa_alloc.h"
#include "pa_match.h"
#include "pa_reload.h"

#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

enum {
    PA_RELOADER_NICE = 19, /* when SCHED_IDLE is refused */
    /* The longest a build waits for the service to retire the knowledge its
     * last result replaced: workers let go of it between two turns. */
    PA_RETIRE_WAIT_MS = 1000,
};

struct pa_reloader {
    pa_reloader_config cfg;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond; /* on CLOCK_MONOTONIC */
    int stop, forced, has_result;
    uint64_t loaded; /* fingerprint of the last build, good or not: worker only */
    pa_reload_result result;
    pa_snapshot *retired; /* out of service, to free: a list through nothing, one at a time */
    unsigned awaiting;    /* results taken whose predecessor is not retired yet */
    /* The languages of the last snapshot built (at first, of the one in
     * service), which the next build shares where nothing changed: worker
     * only. Once that snapshot is in service, they hold nothing more. */
    pa_index *kept;
};

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

void pa_reload_build(const char *intents_dir, const char *locales_dir, const pa_index *reuse,
                     pa_reload_result *out)
{
    memset(out, 0, sizeof *out);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pa_diag_init(&out->diag);
    out->fingerprint = pa_reload_fingerprint(intents_dir, locales_dir);
    out->snapshot = pa_snapshot_load_reusing(intents_dir, locales_dir, &out->diag, reuse);
    out->seconds = seconds_since(&t0);
    out->at = time(NULL);
}

void pa_reload_result_clear(pa_reload_result *r)
{
    pa_snapshot_free(r->snapshot);
    pa_diag_clear(&r->diag);
    memset(r, 0, sizeof *r);
}

/* Hands the memory of a freed snapshot back to the system. glibc keeps
 * freed memory in its heaps for reuse, where the builder threads' arenas
 * leave it scattered: without this the process would stay at the size of
 * two knowledges after a reload, and the next reload would build a third
 * on top. */
static void give_back_memory(void)
{
#ifdef __GLIBC__
    malloc_trim(0);
#endif
}

/* Frees the snapshots the service thread retired. Called and returns with
 * the lock held; frees without it. */
static void free_retired(pa_reloader *r)
{
    while (r->retired) {
        pa_snapshot *s = r->retired;
        r->retired = NULL;
        pthread_mutex_unlock(&r->lock);
        pa_snapshot_free(s);
        give_back_memory();
        pthread_mutex_lock(&r->lock);
    }
}

static struct timespec deadline_in(int64_t ms)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (ms % 1000) * 1000000;
    if (until.tv_nsec >= 1000000000) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000;
    }
    return until;
}

/* Waits ms milliseconds, or less when a stop or a forced build is asked;
 * frees what is retired meanwhile. Called and returns with the lock held. */
static void wait_ms(pa_reloader *r, int64_t ms)
{
    struct timespec until = deadline_in(ms);
    while (!r->stop && !r->forced) {
        free_retired(r);
        if (pthread_cond_timedwait(&r->cond, &r->lock, &until) == ETIMEDOUT)
            break;
    }
    free_retired(r);
}

/* Builds, then leaves the result for the service thread (replacing one it
 * has not taken yet) and says so. */
static void build_and_publish(pa_reloader *r, int forced)
{
    /* The knowledge the last result replaced goes first, once the workers
     * let go of it (a build forced just after a swap comes before): a build
     * beside two knowledges would need room for three. */
    pthread_mutex_lock(&r->lock);
    struct timespec until = deadline_in(PA_RETIRE_WAIT_MS);
    while (r->awaiting && !r->stop &&
           pthread_cond_timedwait(&r->cond, &r->lock, &until) != ETIMEDOUT)
        ;
    free_retired(r);
    pthread_mutex_unlock(&r->lock);
    pa_reload_result fresh;
    pa_reload_build(r->cfg.intents_dir, r->cfg.locales_dir, r->kept, &fresh);
    fresh.forced = forced;
    if (fresh.snapshot) {
        pa_index *next = pa_index_languages(fresh.snapshot->index);
        pa_index_free(r->kept);
        r->kept = next;
    }
    r->loaded = fresh.fingerprint;
    pthread_mutex_lock(&r->lock);
    if (r->has_result)
        pa_reload_result_clear(&r->result);
    r->result = fresh;
    r->has_result = 1;
    pthread_mutex_unlock(&r->lock);
    if (r->cfg.ready)
        r->cfg.ready(r->cfg.user);
}

/* One round: build when asked, or when the files changed and then stayed
 * the same for the debounce time (while they keep changing, it waits
 * again). Called and returns with the lock held. */
static void round_once(pa_reloader *r)
{
    int forced = r->forced;
    r->forced = 0;
    pthread_mutex_unlock(&r->lock);
    uint64_t seen = pa_reload_fingerprint(r->cfg.intents_dir, r->cfg.locales_dir);
    int settled = 0;
    while (!forced && !settled && seen != r->loaded) {
        pthread_mutex_lock(&r->lock);
        wait_ms(r, r->cfg.debounce_ms);
        int interrupted = r->stop || r->forced;
        pthread_mutex_unlock(&r->lock);
        if (interrupted)
            break;
        uint64_t now = pa_reload_fingerprint(r->cfg.intents_dir, r->cfg.locales_dir);
        settled = now == seen;
        seen = now; /* still changing: wait again from this state */
    }
    if (forced || settled)
        build_and_publish(r, forced);
    pthread_mutex_lock(&r->lock);
}

/* The build runs only on CPU time the replies leave: under SCHED_IDLE a
 * waking service thread takes the core at once, where a nice 0 thread over a
 * nice 19 one may wait a scheduler slice (milliseconds). Linux gives each
 * thread its own policy; nice 19 where SCHED_IDLE is refused. */
static void lower_priority(void)
{
    struct sched_param param = {0};
    if (pthread_setschedparam(pthread_self(), SCHED_IDLE, &param) == 0)
        return;
    pid_t tid = (pid_t)syscall(SYS_gettid);
    (void)setpriority(PRIO_PROCESS, (id_t)tid, PA_RELOADER_NICE);
}

static void *run(void *arg)
{
    pa_reloader *r = arg;
    lower_priority();
    if (r->cfg.in_service) /* before any build of this thread can replace it */
        r->kept = pa_index_languages(r->cfg.in_service->index);
    r->cfg.in_service = NULL;
    pthread_mutex_lock(&r->lock);
    while (!r->stop) {
        if (!r->forced)
            wait_ms(r, r->cfg.poll_ms);
        if (r->stop)
            break;
        round_once(r);
    }
    pthread_mutex_unlock(&r->lock);
    return NULL;
}

pa_reloader *pa_reloader_start(const pa_reloader_config *cfg, uint64_t loaded)
{
    pa_reloader *r = pa_xcalloc(1, sizeof *r);
    r->cfg = *cfg;
    r->loaded = loaded;
    pthread_mutex_init(&r->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&r->cond, &attr);
    pthread_condattr_destroy(&attr);
    if (pthread_create(&r->thread, NULL, run, r) != 0) {
        pthread_cond_destroy(&r->cond);
        pthread_mutex_destroy(&r->lock);
        free(r);
        return NULL;
    }
    return r;
}

void pa_reloader_stop(pa_reloader *r)
{
    if (!r)
        return;
    pthread_mutex_lock(&r->lock);
    r->stop = 1;
    pthread_cond_signal(&r->cond);
    pthread_mutex_unlock(&r->lock);
    pthread_join(r->thread, NULL);
    if (r->has_result)
        pa_reload_result_clear(&r->result);
    pa_snapshot_free(r->retired);
    pa_index_free(r->kept);
    pthread_cond_destroy(&r->cond);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

void pa_reloader_force(pa_reloader *r)
{
    pthread_mutex_lock(&r->lock);
    r->forced = 1;
    pthread_cond_signal(&r->cond);
    pthread_mutex_unlock(&r->lock);
}

int pa_reloader_take(pa_reloader *r, pa_reload_result *out)
{
    pthread_mutex_lock(&r->lock);
    int has = r->has_result;
    if (has) {
        *out = r->result;
        memset(&r->result, 0, sizeof r->result);
        r->has_result = 0;
        r->awaiting += out->snapshot != NULL; /* it replaces one, to be retired */
    }
    pthread_mutex_unlock(&r->lock);
    return has;
}

void pa_reloader_retire(pa_reloader *r, pa_snapshot *s)
{
    pthread_mutex_lock(&r->lock);
    if (r->awaiting)
        r->awaiting--;
    pa_snapshot *older = r->retired;
    r->retired = s;
    pthread_cond_signal(&r->cond);
    pthread_mutex_unlock(&r->lock);
    /* the worker has not come round to the previous one yet: rare (two
     * reloads within a wake), and then this thread pays for one free */
    pa_snapshot_free(older);
}

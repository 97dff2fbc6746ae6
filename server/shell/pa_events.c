#include "pa_events.h"

#include "pa_alloc.h"
#include "pa_log.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum {
    /* pa_log cuts its lines at 2 KiB: an event for stderr longer than this
     * has its text shortened instead, so that the line stays JSON */
    STDERR_LINE_MAX = 2000,
    TS_SIZE = sizeof "2026-12-02T04:10:15Z",
    SECONDS_PER_DAY = 86400,
};

static const char TMP_SUFFIX[] = ".retention-tmp";
static const char ELLIPSIS[] = "\xe2\x80\xa6"; /* … */

struct pa_events {
    char *path;     /* NULL: stderr */
    char *tmp_path; /* where a retention pass writes before its rename */
    unsigned retention_days;
    int64_t period_ms;
    pa_mask_config mask;
    pthread_mutex_t lock; /* the file descriptor, and writing to it */
    int fd;
    atomic_uint_least64_t failures;
    /* the retention thread, and how to stop it */
    pthread_t thread;
    int thread_started;
    pthread_mutex_t stop_lock;
    pthread_cond_t stop_cond;
    int stop;
};

/* ---- lines --------------------------------------------------------------- */

static void format_ts(time_t t, char out[TS_SIZE])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, TS_SIZE, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Reads "2026-12-02T04:10:15Z". Returns 0, or -1 for anything else. */
static int parse_ts(const char *s, time_t *out)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    int n = 0;
    if (strlen(s) != TS_SIZE - 1 ||
        sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
               &tm.tm_min, &tm.tm_sec, &n) != 6 ||
        n != TS_SIZE - 1 || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
        tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    *out = timegm(&tm);
    return 0;
}

/* The first max bytes of a masked text, cut between characters, and "…". */
static char *shorten(const char *text, size_t max)
{
    size_t n = strlen(text);
    if (n <= max)
        return pa_xstrdup(text);
    while (n > 0 && (n > max || ((unsigned char)text[n] & 0xC0) == 0x80))
        n--;
    char *out = pa_xmalloc(n + sizeof ELLIPSIS);
    memcpy(out, text, n);
    memcpy(out + n, ELLIPSIS, sizeof ELLIPSIS);
    return out;
}

/* The event as one JSON line (no newline), malloc'd; its text, masked,
 * no longer than text_max bytes. */
static char *event_line(const pa_events *ev, time_t t, const char *event, json_t *fields,
                        size_t text_max)
{
    char ts[TS_SIZE];
    format_ts(t, ts);
    json_t *o = json_object();
    json_object_set_new(o, "ts", json_string(ts));
    json_object_set_new(o, "event", json_string(event));
    const char *key;
    json_t *value;
    json_object_foreach(fields, key, value)
    {
        if (!strcmp(key, "ts") || !strcmp(key, "event"))
            continue;
        if (strcmp(key, "text")) {
            json_object_set(o, key, value);
        } else if (!json_is_string(value)) {
            json_object_set_new(o, key, json_null()); /* what else it holds, nobody masked */
        } else {
            char *masked =
                pa_mask(json_string_value(value), json_string_length(value), &ev->mask, NULL);
            char *cut = shorten(masked, text_max);
            json_object_set_new(o, key, json_string(cut));
            free(cut);
            free(masked);
        }
    }
    char *line = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(6));
    json_decref(o);
    return line;
}

/* ---- writing ------------------------------------------------------------- */

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

static void write_file(pa_events *ev, char *line)
{
    size_t n = strlen(line);
    line = pa_xrealloc(line, n + 2);
    line[n] = '\n';
    line[n + 1] = '\0';
    pthread_mutex_lock(&ev->lock);
    int rc = write_all(ev->fd, line, n + 1);
    int error = errno;
    pthread_mutex_unlock(&ev->lock);
    if (rc != 0) {
        atomic_fetch_add(&ev->failures, 1);
        pa_log("passerelle: staff-log: cannot write to %s: %s", ev->path, strerror(error));
    }
    free(line);
}

/* On stderr, through the log's rate limit (clients decide how many events
 * there are), and within its line length. */
static void write_stderr(pa_events *ev, time_t t, const char *event, json_t *fields)
{
    size_t text_max = (size_t)-1;
    char *line = event_line(ev, t, event, fields, text_max);
    for (size_t text = STDERR_LINE_MAX; strlen(line) > STDERR_LINE_MAX && text > 16; text /= 2) {
        free(line);
        line = event_line(ev, t, event, fields, text);
    }
    pa_log("%s", line);
    free(line);
}

void pa_events_write_at(pa_events *ev, time_t ts, const char *event, json_t *fields)
{
    if (!ev)
        return;
    if (ev->path)
        write_file(ev, event_line(ev, ts, event, fields, (size_t)-1));
    else
        write_stderr(ev, ts, event, fields);
}

void pa_events_write(pa_events *ev, const char *event, json_t *fields)
{
    pa_events_write_at(ev, time(NULL), event, fields);
}

uint64_t pa_events_failures(pa_events *ev)
{
    return ev ? atomic_load(&ev->failures) : 0;
}

/* ---- retention ----------------------------------------------------------- */

/* 1 when a line is an event of cutoff or later. */
static int keep_line(const char *line, size_t len, time_t cutoff, pa_events_retention *st)
{
    json_t *o = json_loadb(line, len, 0, NULL);
    const char *ts = json_string_value(json_object_get(o, "ts"));
    time_t t;
    int readable = ts && parse_ts(ts, &t) == 0;
    json_decref(o);
    if (!readable)
        st->unreadable++;
    else if (t < cutoff)
        st->expired++;
    else
        st->kept++;
    return readable && t >= cutoff;
}

/* Copies the lines of in to keep to out. A last line without its newline
 * may be a write under way: unless final, it is left in in, for later. */
static int copy_kept(FILE *in, FILE *out, time_t cutoff, int final, pa_events_retention *st)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = 0;
    while (rc == 0 && (n = getline(&line, &cap, in)) > 0) {
        int complete = line[n - 1] == '\n';
        if (!complete && !final) {
            rc = fseeko(in, -(off_t)n, SEEK_CUR);
            break;
        }
        if (keep_line(line, (size_t)n, cutoff, st) &&
            (fwrite(line, 1, (size_t)n, out) != (size_t)n || (!complete && fputc('\n', out) < 0)))
            rc = -1;
    }
    free(line);
    return rc || ferror(in) ? -1 : 0;
}

static int flush_sync(FILE *f)
{
    return fflush(f) == 0 && fsync(fileno(f)) == 0 ? 0 : -1;
}

/* The rename is durable once the folder is synced. */
static void sync_folder(const char *path)
{
    char *copy = pa_xstrdup(path);
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    free(copy);
}

/* Under the lock: the lines written since the first copy, then the new file
 * in place of the old, and the writer moved to it. */
static int finish_locked(pa_events *ev, FILE *in, FILE *out, time_t cutoff, pa_events_retention *st)
{
    clearerr(in);
    if (copy_kept(in, out, cutoff, 1, st) != 0 || flush_sync(out) != 0 ||
        rename(ev->tmp_path, ev->path) != 0)
        return -1;
    int fd = open(ev->path, O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd < 0)
        return -1; /* renamed, but still writing to the old file: said by the caller */
    close(ev->fd);
    ev->fd = fd;
    return 0;
}

static int fail(pa_events *ev, const char *what, FILE *in, FILE *out)
{
    pa_log("passerelle: staff-log: retention: cannot %s %s: %s", what, ev->path, strerror(errno));
    if (in)
        fclose(in);
    if (out) {
        fclose(out);
        unlink(ev->tmp_path);
    }
    return -1;
}

int pa_events_retain(pa_events *ev, time_t now, pa_events_retention *out)
{
    pa_events_retention st = {0, 0, 0};
    if (out)
        *out = st;
    if (!ev || !ev->path)
        return 0;
    time_t cutoff = now - (time_t)ev->retention_days * SECONDS_PER_DAY;
    FILE *in = fopen(ev->path, "re");
    if (!in)
        return fail(ev, "read", NULL, NULL);
    struct stat mode;
    int tfd = open(ev->tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, PA_EVENTS_FILE_MODE);
    FILE *tmp = tfd >= 0 ? fdopen(tfd, "w") : NULL;
    if (!tmp) {
        if (tfd >= 0)
            close(tfd);
        return fail(ev, "write beside", in, NULL);
    }
    if (fstat(fileno(in), &mode) == 0)
        (void)fchmod(tfd, mode.st_mode & 07777); /* the mode the operator gave the log */
    /* the bulk without the lock: writers wait only for what came meanwhile */
    if (copy_kept(in, tmp, cutoff, 0, &st) != 0 || flush_sync(tmp) != 0)
        return fail(ev, "copy", in, tmp);
    if (st.expired + st.unreadable == 0) { /* nothing to remove: leave the file be */
        fclose(tmp);
        unlink(ev->tmp_path);
        fclose(in);
        if (out)
            *out = st;
        return 0;
    }
    pthread_mutex_lock(&ev->lock);
    int rc = finish_locked(ev, in, tmp, cutoff, &st);
    pthread_mutex_unlock(&ev->lock);
    if (rc != 0)
        return fail(ev, "replace", in, tmp);
    fclose(tmp);
    fclose(in);
    sync_folder(ev->path);
    if (out)
        *out = st;
    return 0;
}

/* ---- the retention thread ------------------------------------------------ */

static void retain_now(pa_events *ev)
{
    pa_events_retention st;
    if (pa_events_retain(ev, time(NULL), &st) == 0 && st.expired + st.unreadable > 0)
        pa_log("passerelle: staff-log: removed %zu events older than %u days and %zu unreadable "
               "lines; %zu kept",
               st.expired, ev->retention_days, st.unreadable, st.kept);
}

/* At the normal priority, unlike the reload thread: its last step holds the
 * lock the service thread writes under, and must not wait for idle time. */
static void *retention_thread(void *arg)
{
    pa_events *ev = arg;
    pthread_mutex_lock(&ev->stop_lock);
    while (!ev->stop) {
        pthread_mutex_unlock(&ev->stop_lock);
        retain_now(ev);
        pthread_mutex_lock(&ev->stop_lock);
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += ev->period_ms / 1000;
        until.tv_nsec += (ev->period_ms % 1000) * 1000000;
        if (until.tv_nsec >= 1000000000) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000;
        }
        while (!ev->stop && pthread_cond_timedwait(&ev->stop_cond, &ev->stop_lock, &until) == 0) {
        }
    }
    pthread_mutex_unlock(&ev->stop_lock);
    return NULL;
}

static int start_thread(pa_events *ev)
{
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&ev->stop_cond, &attr);
    pthread_condattr_destroy(&attr);
    ev->thread_started = pthread_create(&ev->thread, NULL, retention_thread, ev) == 0;
    return ev->thread_started ? 0 : -1;
}

/* ---- opening and closing ------------------------------------------------- */

pa_events *pa_events_open(const pa_events_config *cfg, char *err, size_t size)
{
    pa_events *ev = pa_xcalloc(1, sizeof *ev);
    ev->fd = -1;
    ev->retention_days =
        cfg->retention_days ? cfg->retention_days : PA_EVENTS_RETENTION_DAYS_DEFAULT;
    ev->period_ms = cfg->retention_period_ms ? cfg->retention_period_ms
                                             : (int64_t)PA_EVENTS_RETENTION_PERIOD_S * 1000;
    ev->mask = cfg->mask;
    pthread_mutex_init(&ev->lock, NULL);
    pthread_mutex_init(&ev->stop_lock, NULL);
    atomic_init(&ev->failures, 0);
    if (!cfg->path || !*cfg->path)
        return ev; /* stderr */
    ev->path = pa_xstrdup(cfg->path);
    ev->tmp_path = pa_xmalloc(strlen(cfg->path) + sizeof TMP_SUFFIX);
    sprintf(ev->tmp_path, "%s%s", cfg->path, TMP_SUFFIX);
    ev->fd = open(ev->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, PA_EVENTS_FILE_MODE);
    if (ev->fd < 0) {
        snprintf(err, size, "cannot open %s: %s", ev->path, strerror(errno));
        pa_events_close(ev);
        return NULL;
    }
    if (ev->period_ms > 0 && start_thread(ev) != 0) {
        snprintf(err, size, "cannot start the retention thread of %s", ev->path);
        pa_events_close(ev);
        return NULL;
    }
    return ev;
}

void pa_events_close(pa_events *ev)
{
    if (!ev)
        return;
    if (ev->thread_started) {
        pthread_mutex_lock(&ev->stop_lock);
        ev->stop = 1;
        pthread_cond_signal(&ev->stop_cond);
        pthread_mutex_unlock(&ev->stop_lock);
        pthread_join(ev->thread, NULL);
        pthread_cond_destroy(&ev->stop_cond);
    }
    if (ev->fd >= 0)
        close(ev->fd);
    pthread_mutex_destroy(&ev->lock);
    pthread_mutex_destroy(&ev->stop_lock);
    free(ev->path);
    free(ev->tmp_path);
    free(ev);
}

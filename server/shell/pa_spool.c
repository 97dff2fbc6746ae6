#include "pa_spool.h"

#include "pa_alloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

enum {
    PA_SPOOL_KEY_MAX = 64,                    /* as pa_contact's keys */
    PA_SPOOL_NAME_MAX = PA_SPOOL_KEY_MAX + 8, /* KEY.json, KEY.tmp */
    PA_SPOOL_RECORD_MAX = 1 << 20, /* a record larger than this is not one the server wrote */
};

/* The folders, in the order of the fds array. */
enum { D_TMP, D_NEW, D_DONE, D_DEAD, D_COUNT };
static const char *const folder_names[D_COUNT] = {"tmp", "new", "done", "dead"};

struct pa_spool {
    int root; /* the spool folder */
    int dirs[D_COUNT];
    int lock; /* root/lock, flock'ed */
};

int pa_spool_key_valid(const char *key)
{
    size_t n = strlen(key);
    if (n == 0 || n > PA_SPOOL_KEY_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = key[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              c == '-' || c == '_'))
            return 0;
    }
    return 1;
}

static void file_name(const char *key, const char *suffix, char out[PA_SPOOL_NAME_MAX])
{
    snprintf(out, PA_SPOOL_NAME_MAX, "%s%s", key, suffix);
}

/* ---- opening -------------------------------------------------------------- */

static int open_dir_at(int at, const char *name)
{
    if (mkdirat(at, name, 0700) != 0 && errno != EEXIST)
        return -1;
    return openat(at, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* Calls fn on each regular entry of the folder (not "." files). */
static void each_entry(int dir, void (*fn)(const pa_spool *, int, const char *, void *),
                       const pa_spool *sp, void *arg)
{
    int fd = dup(dir);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0)
            close(fd);
        return;
    }
    rewinddir(d);
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.')
            fn(sp, dir, e->d_name, arg);
    closedir(d);
}

static void remove_entry(const pa_spool *sp, int dir, const char *name, void *arg)
{
    (void)sp, (void)arg;
    unlinkat(dir, name, 0);
}

/* The key of a KEY.json name into key; 0, or -1 for another name. */
static int key_of(const char *name, char key[PA_SPOOL_KEY_MAX + 1])
{
    size_t n = strlen(name);
    if (n <= 5 || n - 5 > PA_SPOOL_KEY_MAX || strcmp(name + n - 5, ".json"))
        return -1;
    memcpy(key, name, n - 5);
    key[n - 5] = '\0';
    return pa_spool_key_valid(key) ? 0 : -1;
}

/* A body left in new/ beside its delivery marker: the crash came between
 * the two steps of pa_spool_delivered. */
static void finish_delivered(const pa_spool *sp, int dir, const char *name, void *arg)
{
    (void)arg;
    if (faccessat(sp->dirs[D_DONE], name, F_OK, 0) == 0)
        unlinkat(dir, name, 0);
}

static int take_lock(pa_spool *sp, char *err, size_t err_size)
{
    sp->lock = openat(sp->root, "lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (sp->lock < 0) {
        snprintf(err, err_size, "cannot create its lock file: %s", strerror(errno));
        return -1;
    }
    if (flock(sp->lock, LOCK_EX | LOCK_NB) != 0) {
        snprintf(err, err_size,
                 errno == EWOULDBLOCK ? "another passerelle uses this folder (each server needs "
                                        "its own handoff-spool)"
                                      : "cannot lock it: %s",
                 strerror(errno));
        return -1;
    }
    return 0;
}

pa_spool *pa_spool_open(const char *dir, char *err, size_t err_size)
{
    pa_spool *sp = pa_xcalloc(1, sizeof *sp);
    sp->root = sp->lock = -1;
    for (int i = 0; i < D_COUNT; i++)
        sp->dirs[i] = -1;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        snprintf(err, err_size, "cannot create %s: %s", dir, strerror(errno));
        goto fail;
    }
    sp->root = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (sp->root < 0) {
        snprintf(err, err_size, "cannot open %s: %s", dir, strerror(errno));
        goto fail;
    }
    if (take_lock(sp, err, err_size) != 0)
        goto fail;
    for (int i = 0; i < D_COUNT; i++) {
        sp->dirs[i] = open_dir_at(sp->root, folder_names[i]);
        if (sp->dirs[i] < 0) {
            snprintf(err, err_size, "cannot create %s/%s: %s", dir, folder_names[i],
                     strerror(errno));
            goto fail;
        }
    }
    fsync(sp->root);
    each_entry(sp->dirs[D_TMP], remove_entry, sp, NULL);
    each_entry(sp->dirs[D_NEW], finish_delivered, sp, NULL);
    return sp;
fail:
    pa_spool_close(sp);
    return NULL;
}

void pa_spool_close(pa_spool *sp)
{
    if (!sp)
        return;
    for (int i = 0; i < D_COUNT; i++)
        if (sp->dirs[i] >= 0)
            close(sp->dirs[i]);
    if (sp->lock >= 0)
        close(sp->lock); /* releases the flock */
    if (sp->root >= 0)
        close(sp->root);
    free(sp);
}

/* ---- records -------------------------------------------------------------- */

static int exists(int dir, const char *key)
{
    char name[PA_SPOOL_NAME_MAX];
    file_name(key, ".json", name);
    return faccessat(dir, name, F_OK, 0) == 0;
}

pa_spool_state pa_spool_lookup(const pa_spool *sp, const char *key)
{
    if (!pa_spool_key_valid(key))
        return PA_SPOOL_UNKNOWN;
    if (exists(sp->dirs[D_NEW], key))
        return PA_SPOOL_WAITING;
    if (exists(sp->dirs[D_DONE], key))
        return PA_SPOOL_DELIVERED;
    if (exists(sp->dirs[D_DEAD], key))
        return PA_SPOOL_DEAD;
    return PA_SPOOL_UNKNOWN;
}

static int write_all(int fd, const char *data, size_t len)
{
    while (len) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Writes the record to tmp/KEY.tmp and syncs it. Returns 0 or -1 (errno),
 * the temporary file removed. */
static int write_tmp(pa_spool *sp, const char *key, const json_t *record, char *tmp_name)
{
    file_name(key, ".tmp", tmp_name);
    char *text = json_dumps(record, JSON_COMPACT | JSON_PRESERVE_ORDER);
    int fd = openat(sp->dirs[D_TMP], tmp_name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int rc = fd < 0 ? -1 : write_all(fd, text, strlen(text));
    if (rc == 0)
        rc = write_all(fd, "\n", 1);
    if (rc == 0)
        rc = fsync(fd);
    int saved = errno;
    if (fd >= 0)
        close(fd);
    free(text);
    if (rc != 0) {
        unlinkat(sp->dirs[D_TMP], tmp_name, 0);
        errno = saved;
    }
    return rc;
}

pa_spool_put_result pa_spool_put(pa_spool *sp, const char *key, const json_t *record, int room)
{
    if (!pa_spool_key_valid(key)) {
        errno = EINVAL;
        return PA_SPOOL_FAILED;
    }
    if (pa_spool_lookup(sp, key) != PA_SPOOL_UNKNOWN)
        return PA_SPOOL_DUPLICATE;
    if (!room)
        return PA_SPOOL_FULL;
    char tmp[PA_SPOOL_NAME_MAX], name[PA_SPOOL_NAME_MAX];
    if (write_tmp(sp, key, record, tmp) != 0)
        return PA_SPOOL_FAILED;
    file_name(key, ".json", name);
    /* a link, not a rename: it cannot replace a message of the same key */
    int rc = linkat(sp->dirs[D_TMP], tmp, sp->dirs[D_NEW], name, 0);
    int saved = errno;
    unlinkat(sp->dirs[D_TMP], tmp, 0);
    if (rc != 0) {
        errno = saved;
        return saved == EEXIST ? PA_SPOOL_DUPLICATE : PA_SPOOL_FAILED;
    }
    if (fsync(sp->dirs[D_NEW]) != 0)
        return PA_SPOOL_FAILED;
    return PA_SPOOL_QUEUED;
}

int pa_spool_rewrite(pa_spool *sp, const char *key, const json_t *record)
{
    if (pa_spool_lookup(sp, key) != PA_SPOOL_WAITING) {
        errno = ENOENT;
        return -1;
    }
    char tmp[PA_SPOOL_NAME_MAX], name[PA_SPOOL_NAME_MAX];
    if (write_tmp(sp, key, record, tmp) != 0)
        return -1;
    file_name(key, ".json", name);
    if (renameat(sp->dirs[D_TMP], tmp, sp->dirs[D_NEW], name) != 0) {
        int saved = errno;
        unlinkat(sp->dirs[D_TMP], tmp, 0);
        errno = saved;
        return -1;
    }
    return fsync(sp->dirs[D_NEW]);
}

static json_t *load_at(int dir, const char *name)
{
    int fd = openat(dir, name, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        close(fd);
        return NULL;
    }
    json_error_t e;
    json_t *o = json_loadf(f, JSON_REJECT_DUPLICATES, &e);
    fclose(f);
    if (o && !json_is_object(o)) {
        json_decref(o);
        o = NULL;
    }
    return o;
}

json_t *pa_spool_load(const pa_spool *sp, const char *key)
{
    if (!pa_spool_key_valid(key))
        return NULL;
    char name[PA_SPOOL_NAME_MAX];
    file_name(key, ".json", name);
    struct stat st;
    if (fstatat(sp->dirs[D_NEW], name, &st, 0) != 0 || st.st_size > PA_SPOOL_RECORD_MAX)
        return NULL;
    return load_at(sp->dirs[D_NEW], name);
}

/* ---- listing -------------------------------------------------------------- */

typedef struct {
    char **keys;
    size_t n, cap;
} key_list;

static void add_key(const pa_spool *sp, int dir, const char *name, void *arg)
{
    (void)sp, (void)dir;
    key_list *l = arg;
    char key[PA_SPOOL_KEY_MAX + 1];
    if (key_of(name, key) != 0)
        return;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->keys = pa_xrealloc(l->keys, l->cap * sizeof *l->keys);
    }
    l->keys[l->n++] = pa_xstrdup(key);
}

static int cmp_key(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

size_t pa_spool_waiting(const pa_spool *sp, char ***keys)
{
    key_list l = {0};
    each_entry(sp->dirs[D_NEW], add_key, sp, &l);
    if (l.n)
        qsort(l.keys, l.n, sizeof *l.keys, cmp_key);
    *keys = l.keys;
    return l.n;
}

void pa_spool_keys_free(char **keys, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(keys[i]);
    free(keys);
}

static void count_entry(const pa_spool *sp, int dir, const char *name, void *arg)
{
    (void)sp, (void)dir;
    char key[PA_SPOOL_KEY_MAX + 1];
    if (key_of(name, key) == 0)
        (*(size_t *)arg)++;
}

size_t pa_spool_dead_count(const pa_spool *sp)
{
    size_t n = 0;
    each_entry(sp->dirs[D_DEAD], count_entry, sp, &n);
    return n;
}

/* ---- the end of a message ------------------------------------------------- */

static int write_marker(pa_spool *sp, const char *key, const char *state, time_t now)
{
    char at[32];
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%SZ", &tm);
    json_t *m = json_pack("{s:s, s:s, s:s}", "key", key, "state", state, "at", at);
    char tmp[PA_SPOOL_NAME_MAX], name[PA_SPOOL_NAME_MAX];
    int rc = write_tmp(sp, key, m, tmp);
    json_decref(m);
    if (rc != 0)
        return -1;
    file_name(key, ".json", name);
    if (renameat(sp->dirs[D_TMP], tmp, sp->dirs[D_DONE], name) != 0) {
        int saved = errno;
        unlinkat(sp->dirs[D_TMP], tmp, 0);
        errno = saved;
        return -1;
    }
    return fsync(sp->dirs[D_DONE]);
}

static int end_waiting(pa_spool *sp, const char *key, const char *state, time_t now)
{
    if (pa_spool_lookup(sp, key) != PA_SPOOL_WAITING) {
        errno = ENOENT;
        return -1;
    }
    if (write_marker(sp, key, state, now) != 0)
        return -1;
    char name[PA_SPOOL_NAME_MAX];
    file_name(key, ".json", name);
    if (unlinkat(sp->dirs[D_NEW], name, 0) != 0)
        return -1;
    return fsync(sp->dirs[D_NEW]);
}

int pa_spool_delivered(pa_spool *sp, const char *key, time_t now)
{
    return end_waiting(sp, key, "delivered", now);
}

int pa_spool_discard(pa_spool *sp, const char *key, time_t now)
{
    return end_waiting(sp, key, "expired", now);
}

int pa_spool_dead(pa_spool *sp, const char *key)
{
    if (pa_spool_lookup(sp, key) != PA_SPOOL_WAITING) {
        errno = ENOENT;
        return -1;
    }
    char name[PA_SPOOL_NAME_MAX];
    file_name(key, ".json", name);
    if (renameat(sp->dirs[D_NEW], name, sp->dirs[D_DEAD], name) != 0)
        return -1;
    if (fsync(sp->dirs[D_DEAD]) != 0)
        return -1;
    return fsync(sp->dirs[D_NEW]);
}

/* ---- purging -------------------------------------------------------------- */

time_t pa_spool_time(const json_t *record, const char *name)
{
    const char *at = json_string_value(json_object_get(record, name));
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    if (!at || !strptime(at, "%Y-%m-%dT%H:%M:%SZ", &tm))
        return -1;
    return timegm(&tm);
}

typedef struct {
    time_t before;
    size_t removed;
} purge_arg;

static void purge_marker(const pa_spool *sp, int dir, const char *name, void *arg)
{
    (void)sp;
    purge_arg *p = arg;
    struct stat st;
    if (fstatat(dir, name, &st, 0) == 0 && st.st_mtime < p->before && unlinkat(dir, name, 0) == 0)
        p->removed++;
}

/* A dead message's age counts from its reception; one that cannot be read
 * counts from its file's last change. */
static void purge_dead(const pa_spool *sp, int dir, const char *name, void *arg)
{
    (void)sp;
    purge_arg *p = arg;
    struct stat st;
    if (fstatat(dir, name, &st, 0) != 0)
        return;
    json_t *r = st.st_size <= PA_SPOOL_RECORD_MAX ? load_at(dir, name) : NULL;
    time_t received = r ? pa_spool_time(r, "received") : -1;
    json_decref(r);
    if ((received >= 0 ? received : st.st_mtime) < p->before && unlinkat(dir, name, 0) == 0)
        p->removed++;
}

pa_spool_purged pa_spool_purge(pa_spool *sp, time_t now, double body_age_s, double marker_age_s)
{
    pa_spool_purged out = {0, 0};
    purge_arg markers = {now - (time_t)marker_age_s, 0}, dead = {now - (time_t)body_age_s, 0};
    each_entry(sp->dirs[D_DONE], purge_marker, sp, &markers);
    each_entry(sp->dirs[D_DEAD], purge_dead, sp, &dead);
    if (markers.removed)
        fsync(sp->dirs[D_DONE]);
    if (dead.removed)
        fsync(sp->dirs[D_DEAD]);
    out.markers = markers.removed;
    out.dead = dead.removed;
    return out;
}

#include "pa_fetcher.h"

#include "pa_alloc.h"
#include "pa_bundle.h"
#include "pa_snapshot.h"

#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define CURRENT   "current" /* the link to the version in service, in the cache */
#define ETAG_FILE ".etag"   /* in a version folder; hidden, so the loader skips it */

struct pa_fetcher {
    pa_fetcher_config cfg; /* its strings are copies, owned */
    char *intents_dir, *locales_dir;
    char public_url[512];
    CURL *curl;           /* the polling thread's once started */
    unsigned versions;    /* version folders made by this process */
    pthread_mutex_t lock; /* guards status and stop */
    pthread_cond_t wake;
    pa_fetcher_status status;
    int stop, started;
    pthread_t thread;
};

static const char *const RESULT_NAMES[PA_FETCH_RESULT_END] = {"none", "updated", "not_modified",
                                                              "failed", "rejected"};

const char *pa_fetch_result_name(pa_fetch_result r)
{
    return r >= 0 && r < PA_FETCH_RESULT_END ? RESULT_NAMES[r] : "";
}

void pa_fetcher_public_url(const char *url, char *out, size_t size)
{
    const char *scheme_end = strstr(url, "://");
    const char *host = scheme_end ? scheme_end + 3 : url;
    const char *path = host + strcspn(host, "/?#");
    const char *at = memchr(host, '@', (size_t)(path - host));
    if (at)
        host = at + 1; /* user:password@ */
    size_t path_len = strcspn(path, "?#");
    snprintf(out, size, "%.*s%.*s%.*s", scheme_end ? (int)(scheme_end + 3 - url) : 0, url,
             (int)(path - host), host, (int)path_len, path);
}

/* Writes dir/name into out (size bytes); returns -1 when it does not fit. */
static int join(char *out, size_t size, const char *dir, const char *name)
{
    int n = snprintf(out, size, "%s/%s", dir, name);
    return n >= 0 && (size_t)n < size ? 0 : -1;
}

/* Copies text into out (size bytes), cut to fit. */
static void set_text(char *out, size_t size, const char *text)
{
    size_t n = strlen(text);
    if (n >= size)
        n = size - 1;
    memcpy(out, text, n);
    out[n] = '\0';
}

/* ---- one request --------------------------------------------------------- */

typedef struct {
    char *data;
    size_t len, cap, max;
    char etag[sizeof((pa_fetcher_status *)0)->etag];
} download;

static size_t on_body(char *ptr, size_t size, size_t n, void *user)
{
    download *d = user;
    size_t add = size * n;
    if (d->len + add > d->max)
        return 0; /* curl then fails the transfer: larger than a bundle may be */
    if (d->len + add > d->cap) {
        d->cap = (d->len + add) * 2 < d->max ? (d->len + add) * 2 : d->max;
        d->data = pa_xrealloc(d->data, d->cap);
    }
    memcpy(d->data + d->len, ptr, add);
    d->len += add;
    return add;
}

static size_t on_header(char *line, size_t size, size_t n, void *user)
{
    download *d = user;
    size_t len = size * n;
    if (len > 5 && !strncasecmp(line, "etag:", 5)) {
        const char *v = line + 5;
        while (*v == ' ' || *v == '\t')
            v++;
        size_t vlen = len - (size_t)(v - line);
        while (vlen && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' || v[vlen - 1] == ' '))
            vlen--;
        if (vlen < sizeof d->etag)
            snprintf(d->etag, sizeof d->etag, "%.*s", (int)vlen, v);
    }
    return len;
}

static void set_result(pa_fetcher *f, pa_fetch_result r, const char *error)
{
    pthread_mutex_lock(&f->lock);
    f->status.last = r;
    f->status.last_at = time(NULL);
    f->status.count[r]++;
    set_text(f->status.error, sizeof f->status.error, error ? error : "");
    if (r != PA_FETCH_REJECTED)
        f->status.n_errors = 0;
    pthread_mutex_unlock(&f->lock);
}

/* ---- the cache ----------------------------------------------------------- */

static int path_in_cache(const pa_fetcher *f, char *out, size_t size, const char *name)
{
    return join(out, size, f->cfg.cache, name);
}

static int has_current(const pa_fetcher *f)
{
    char path[4096];
    path_in_cache(f, path, sizeof path, CURRENT "/intents");
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static void read_etag(pa_fetcher *f)
{
    char path[4096];
    path_in_cache(f, path, sizeof path, CURRENT "/" ETAG_FILE);
    FILE *in = fopen(path, "r");
    if (!in)
        return;
    char line[sizeof f->status.etag] = "";
    if (fgets(line, sizeof line, in))
        line[strcspn(line, "\n")] = '\0';
    fclose(in);
    snprintf(f->status.etag, sizeof f->status.etag, "%s", line);
}

static void write_etag(const char *dir, const char *etag)
{
    char path[4096];
    if (join(path, sizeof path, dir, ETAG_FILE) != 0)
        return;
    FILE *out = fopen(path, "w");
    if (out) {
        fprintf(out, "%s\n", etag);
        fclose(out);
    }
}

static void sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Removes the version folders but the newest PA_FETCHER_KEEP_VERSIONS: the
 * one just installed, and the one before, which a reload may still be
 * reading. Version names sort by time. */
static void prune(const pa_fetcher *f)
{
    DIR *d = opendir(f->cfg.cache);
    if (!d)
        return;
    char *names[256];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < sizeof names / sizeof *names)
        if (e->d_name[0] == 'v')
            names[n++] = pa_xstrdup(e->d_name);
    closedir(d);
    qsort(names, n, sizeof *names, by_name);
    for (size_t i = 0; i < n; i++) {
        if (i + PA_FETCHER_KEEP_VERSIONS < n) {
            char path[4096];
            path_in_cache(f, path, sizeof path, names[i]);
            pa_bundle_remove_tree(path);
        }
        free(names[i]);
    }
}

/* Points "current" at the version folder name, in one rename. */
static int switch_current(const pa_fetcher *f, const char *name)
{
    char link[4096], next[4096];
    path_in_cache(f, link, sizeof link, CURRENT);
    path_in_cache(f, next, sizeof next, CURRENT ".next");
    unlink(next);
    if (symlink(name, next) != 0 || rename(next, link) != 0)
        return -1;
    sync_dir(f->cfg.cache);
    return 0;
}

/* Keeps the problems of a refused knowledge, named below the bundle
 * ("intents/partner/sopot.json:4:11: ..."), never by the cache's path. */
static void keep_problems(pa_fetcher *f, const pa_diag *diag, const char *dir)
{
    pthread_mutex_lock(&f->lock);
    f->status.n_errors = 0;
    size_t skip = strlen(dir) + 1;
    for (size_t i = 0; i < diag->count && f->status.n_errors < PA_FETCHER_ERRORS_MAX; i++) {
        if (diag->items[i].severity != PA_DIAG_ERROR)
            continue;
        char line[PA_DIAG_SOURCE_MAX + PA_DIAG_TEXT_MAX + 32];
        pa_diag_format(&diag->items[i], f->cfg.catalog, line, sizeof line);
        const char *shown = strncmp(line, dir, skip - 1) == 0 ? line + skip : line;
        set_text(f->status.errors[f->status.n_errors++], PA_FETCHER_TEXT_MAX, shown);
    }
    pthread_mutex_unlock(&f->lock);
}

/* Checks the knowledge unpacked in dir as the server would load it. */
static int knowledge_is_sound(pa_fetcher *f, const char *dir)
{
    char intents[4096], locales[4096];
    if (join(intents, sizeof intents, dir, "intents") != 0 ||
        join(locales, sizeof locales, dir, "locales") != 0)
        return 0;
    pa_diag diag;
    pa_diag_init(&diag);
    pa_snapshot *s = pa_snapshot_load(intents, locales, &diag);
    int ok = s != NULL && diag.errors == 0;
    if (!ok)
        keep_problems(f, &diag, dir);
    pa_snapshot_free(s);
    pa_diag_clear(&diag);
    return ok;
}

/* Unpacks, checks and installs a downloaded bundle. */
static void install(pa_fetcher *f, const download *d)
{
    char name[96], dir[4096], err[PA_BUNDLE_ERROR_MAX];
    snprintf(name, sizeof name, "v%011lld-%d-%u", (long long)time(NULL), (int)getpid(),
             ++f->versions);
    if (path_in_cache(f, dir, sizeof dir, name) != 0 || mkdir(dir, 0755) != 0) {
        snprintf(err, sizeof err, "the cache folder cannot be written: %s", strerror(errno));
        set_result(f, PA_FETCH_FAILED, err);
        return;
    }
    if (pa_bundle_unpack(d->data, d->len, dir, err, sizeof err) != 0) {
        pa_bundle_remove_tree(dir);
        set_result(f, PA_FETCH_REJECTED, err);
        return;
    }
    if (!knowledge_is_sound(f, dir)) {
        pa_bundle_remove_tree(dir);
        set_result(f, PA_FETCH_REJECTED, "the knowledge of the bundle has errors");
        return;
    }
    write_etag(dir, d->etag);
    if (switch_current(f, name) != 0) {
        snprintf(err, sizeof err, "the cache cannot switch to the new bundle: %s", strerror(errno));
        pa_bundle_remove_tree(dir);
        set_result(f, PA_FETCH_FAILED, err);
        return;
    }
    prune(f);
    pthread_mutex_lock(&f->lock);
    snprintf(f->status.etag, sizeof f->status.etag, "%s", d->etag);
    f->status.updated_at = time(NULL);
    pthread_mutex_unlock(&f->lock);
    set_result(f, PA_FETCH_UPDATED, NULL);
}

static void configure(pa_fetcher *f, download *d, char *errbuf, struct curl_slist **headers)
{
    CURL *c = f->curl;
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, f->cfg.url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 3L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)f->cfg.timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)f->cfg.timeout_ms);
    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)f->cfg.max_bytes);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    if (f->cfg.ca_file)
        curl_easy_setopt(c, CURLOPT_CAINFO, f->cfg.ca_file);
    curl_easy_setopt(c, CURLOPT_USERAGENT, f->cfg.user_agent);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, d);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, d);
    *headers = NULL;
    pthread_mutex_lock(&f->lock);
    if (f->status.etag[0] && has_current(f)) {
        char h[sizeof f->status.etag + 16];
        snprintf(h, sizeof h, "If-None-Match: %s", f->status.etag);
        *headers = curl_slist_append(*headers, h);
    }
    pthread_mutex_unlock(&f->lock);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, *headers);
}

static void fetch_once(pa_fetcher *f)
{
    download d = {.max = f->cfg.max_bytes};
    char errbuf[CURL_ERROR_SIZE] = "", err[PA_FETCHER_TEXT_MAX];
    struct curl_slist *headers;
    configure(f, &d, errbuf, &headers);
    CURLcode rc = curl_easy_perform(f->curl);
    long status = 0;
    curl_easy_getinfo(f->curl, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    if (rc != CURLE_OK) {
        snprintf(err, sizeof err, "%s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
        if (rc == CURLE_WRITE_ERROR || rc == CURLE_FILESIZE_EXCEEDED)
            snprintf(err, sizeof err, "the bundle is larger than knowledge-max-bytes (%zu bytes)",
                     f->cfg.max_bytes);
        set_result(f, PA_FETCH_FAILED, err);
    } else if (status == 304) {
        set_result(f, PA_FETCH_NOT_MODIFIED, NULL);
    } else if (status == 200) {
        install(f, &d);
    } else {
        snprintf(err, sizeof err, "the server answered HTTP %ld", status);
        set_result(f, PA_FETCH_FAILED, err);
    }
    free(d.data);
}

/* ---- the thread ---------------------------------------------------------- */

static void *poll_loop(void *arg)
{
    pa_fetcher *f = arg;
    pthread_mutex_lock(&f->lock);
    while (!f->stop) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += f->cfg.poll_ms / 1000;
        until.tv_nsec += (f->cfg.poll_ms % 1000) * 1000000;
        if (until.tv_nsec >= 1000000000) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000;
        }
        while (!f->stop && pthread_cond_timedwait(&f->wake, &f->lock, &until) != ETIMEDOUT)
            ;
        if (f->stop)
            break;
        pthread_mutex_unlock(&f->lock);
        fetch_once(f);
        pthread_mutex_lock(&f->lock);
    }
    pthread_mutex_unlock(&f->lock);
    return NULL;
}

static char *child(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = pa_xmalloc(n);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static char *dup_or_null(const char *s)
{
    return s && *s ? pa_xstrdup(s) : NULL;
}

pa_fetcher *pa_fetcher_new(const pa_fetcher_config *cfg, char *err, size_t err_size)
{
    if (mkdir(cfg->cache, 0750) != 0 && errno != EEXIST) {
        snprintf(err, err_size, "%s: %s", cfg->cache, strerror(errno));
        return NULL;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    pa_fetcher *f = pa_xcalloc(1, sizeof *f);
    f->cfg = *cfg;
    f->cfg.url = pa_xstrdup(cfg->url);
    f->cfg.cache = pa_xstrdup(cfg->cache);
    f->cfg.ca_file = dup_or_null(cfg->ca_file);
    f->cfg.user_agent = pa_xstrdup(cfg->user_agent ? cfg->user_agent : "passerelle");
    pa_fetcher_public_url(cfg->url, f->public_url, sizeof f->public_url);
    f->intents_dir = child(f->cfg.cache, CURRENT "/intents");
    f->locales_dir = child(f->cfg.cache, CURRENT "/locales");
    pthread_mutex_init(&f->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&f->wake, &attr);
    pthread_condattr_destroy(&attr);
    f->curl = curl_easy_init();
    if (has_current(f))
        read_etag(f);
    if (f->curl)
        fetch_once(f);
    if (!f->curl || !has_current(f)) {
        snprintf(err, err_size, "no knowledge from %s (%s), and none in the cache %s yet",
                 f->public_url, f->curl ? f->status.error : "libcurl cannot start", cfg->cache);
        pa_fetcher_free(f);
        return NULL;
    }
    return f;
}

int pa_fetcher_start(pa_fetcher *f)
{
    if (pthread_create(&f->thread, NULL, poll_loop, f) != 0)
        return -1;
    f->started = 1;
    return 0;
}

void pa_fetcher_free(pa_fetcher *f)
{
    if (!f)
        return;
    if (f->started) {
        pthread_mutex_lock(&f->lock);
        f->stop = 1;
        pthread_cond_signal(&f->wake);
        pthread_mutex_unlock(&f->lock);
        pthread_join(f->thread, NULL);
    }
    if (f->curl)
        curl_easy_cleanup(f->curl);
    curl_global_cleanup();
    pthread_cond_destroy(&f->wake);
    pthread_mutex_destroy(&f->lock);
    free((char *)f->cfg.url);
    free((char *)f->cfg.cache);
    free((char *)f->cfg.ca_file);
    free((char *)f->cfg.user_agent);
    free(f->intents_dir);
    free(f->locales_dir);
    free(f);
}

const char *pa_fetcher_url(const pa_fetcher *f)
{
    return f->public_url;
}

const char *pa_fetcher_intents_dir(const pa_fetcher *f)
{
    return f->intents_dir;
}

const char *pa_fetcher_locales_dir(const pa_fetcher *f)
{
    return f->locales_dir;
}

void pa_fetcher_status_get(const pa_fetcher *f, pa_fetcher_status *out)
{
    pthread_mutex_lock((pthread_mutex_t *)&f->lock);
    *out = f->status;
    pthread_mutex_unlock((pthread_mutex_t *)&f->lock);
}

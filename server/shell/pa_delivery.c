#include "pa_delivery.h"

#include "pa_alloc.h"
#include "pa_log.h"

#include <curl/curl.h>
#include <errno.h>
#include <math.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum {
    PA_DELIVERY_PARALLEL = 4,         /* transfers under way at once */
    PA_DELIVERY_IDLE_WAKE_MS = 60000, /* the longest sleep: the wall clock may jump */
    PA_DELIVERY_PURGE_EVERY_S = 600,  /* how often old bodies and markers are purged */
    PA_DELIVERY_ERROR_MAX = 160,      /* the last error kept with a message */
    PA_DELIVERY_KEY_MAX = 64,         /* as pa_contact's keys */
};

static const char *const channel_names[PA_CHANNEL_END] = {"smtp", "webhook"};

const char *pa_channel_name(pa_channel c)
{
    return c >= 0 && c < PA_CHANNEL_END ? channel_names[c] : "";
}

/* A message waiting, as the worker tracks it. */
typedef struct {
    char key[PA_DELIVERY_KEY_MAX + 1];
    char lang[16];
    json_t *record;
    time_t received;
    double next_at;    /* wall-clock seconds of the next attempt */
    unsigned attempts; /* failed attempts so far */
    unsigned done;     /* channels that have it (bit per pa_channel) */
    unsigned running;  /* transfers under way */
    unsigned failed;   /* channels that failed in the attempt under way */
    char error[PA_DELIVERY_ERROR_MAX];
} item;

typedef struct transfer {
    CURL *easy;
    item *it;
    pa_channel channel;
    char *payload;
    size_t len, sent;
    struct curl_slist *list; /* recipients (SMTP) or headers (webhook) */
    struct transfer *next;   /* in pa_delivery.transfers */
} transfer;

typedef struct {
    uint64_t ticket;
    char key[PA_DELIVERY_KEY_MAX + 1];
    json_t *record;
} submission;

typedef struct {
    uint64_t ticket;
    pa_spool_put_result result;
} completion;

struct pa_delivery {
    pa_delivery_config cfg;
    pthread_t thread;
    CURLM *multi;
    /* under lock: what other threads exchange with the worker */
    pthread_mutex_t lock;
    int stop;
    submission *subs;
    size_t n_subs, cap_subs;
    completion *dones;
    size_t n_dones, cap_dones;
    pa_delivery_stats stats;
    /* the worker's own */
    item **items;
    size_t n_items, cap_items;
    transfer *transfers; /* under way */
    size_t running;      /* their number */
    unsigned channels;
    char **rcpts;
    size_t n_rcpts;
    double next_purge;
    uint64_t rng;
};

int pa_delivery_global_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

void pa_delivery_global_cleanup(void)
{
    curl_global_cleanup();
}

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void iso_time(time_t t, char *out, size_t size)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ---- URLs ----------------------------------------------------------------- */

static char *url_part(const char *url, CURLUPart part)
{
    CURLU *u = curl_url();
    char *value = NULL, *out = NULL;
    if (u && curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
        curl_url_get(u, part, &value, 0) == CURLUE_OK) {
        out = pa_xstrdup(value);
        curl_free(value);
    }
    curl_url_cleanup(u);
    return out;
}

int pa_delivery_url_is_loopback(const char *url)
{
    char *host = url_part(url, CURLUPART_HOST);
    int yes = host && (!strcmp(host, "localhost") || !strcmp(host, "[::1]") ||
                       !strcmp(host, "::1") || !strncmp(host, "127.", 4));
    free(host);
    return yes;
}

void pa_delivery_url_scheme(const char *url, char *out, size_t size)
{
    char *scheme = url_part(url, CURLUPART_SCHEME);
    snprintf(out, size, "%s", scheme ? scheme : "");
    free(scheme);
}

/* ---- what a webhook receives ----------------------------------------------- */

char *pa_delivery_webhook_body(const json_t *record)
{
    static const char *const fields[] = {
        "key",      "received",      "lang",         "text",
        "reply_to", "reply_to_kind", "conversation", "conversation_omitted"};
    json_t *o = json_object();
    json_object_set_new(o, "type", json_string("handoff"));
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
        json_t *v = json_object_get(record, fields[i]);
        json_object_set(o, fields[i], v ? v : json_null());
    }
    char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    return text;
}

void pa_delivery_signature(const unsigned char *secret, size_t secret_len, const char *body,
                           int64_t t, char *out, size_t size)
{
    char stamp[32];
    int n = snprintf(stamp, sizeof stamp, "%lld.", (long long)t);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned md_len = 0;
    size_t body_len = strlen(body);
    unsigned char *msg = pa_xmalloc((size_t)n + body_len);
    memcpy(msg, stamp, (size_t)n);
    memcpy(msg + n, body, body_len);
    HMAC(EVP_sha256(), secret, (int)secret_len, msg, (size_t)n + body_len, md, &md_len);
    free(msg);
    size_t at = (size_t)snprintf(out, size, "t=%lld,v1=", (long long)t);
    for (unsigned i = 0; i < md_len && at + 2 < size; i++, at += 2)
        snprintf(out + at, size - at, "%02x", md[i]);
}

/* ---- transfers ------------------------------------------------------------ */

static size_t read_payload(char *buf, size_t size, size_t nitems, void *user)
{
    transfer *t = user;
    size_t n = size * nitems, left = t->len - t->sent;
    if (n > left)
        n = left;
    memcpy(buf, t->payload + t->sent, n);
    t->sent += n;
    return n;
}

static size_t discard(char *buf, size_t size, size_t nitems, void *user)
{
    (void)buf, (void)user;
    return size * nitems; /* the webhook's response body: only its status matters */
}

/* What every transfer shares: timeouts, TLS always verified, no signals. */
static void common_options(pa_delivery *d, transfer *t, const char *url)
{
    CURL *e = t->easy;
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_PRIVATE, t);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(d->cfg.timeout_s * 1000));
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)(d->cfg.connect_timeout_s * 1000));
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    if (d->cfg.ca_file && *d->cfg.ca_file)
        curl_easy_setopt(e, CURLOPT_CAINFO, d->cfg.ca_file);
    curl_easy_setopt(e, CURLOPT_USERAGENT, d->cfg.user_agent);
}

static int setup_smtp(pa_delivery *d, transfer *t)
{
    pa_mail_addresses a = {d->cfg.mail_from, d->cfg.mail_to};
    t->payload = pa_mail_message(d->cfg.mail_texts, &a, t->it->record, time(NULL));
    if (!t->payload)
        return -1;
    t->len = strlen(t->payload);
    for (size_t i = 0; i < d->n_rcpts; i++)
        t->list = curl_slist_append(t->list, d->rcpts[i]);
    CURL *e = t->easy;
    common_options(d, t, d->cfg.smtp_url);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    /* smtps:// is TLS from the start; smtp:// must switch to it (STARTTLS),
       but on loopback, where nothing crosses a network, when offered */
    curl_easy_setopt(e, CURLOPT_USE_SSL,
                     pa_delivery_url_is_loopback(d->cfg.smtp_url) ? (long)CURLUSESSL_TRY
                                                                  : (long)CURLUSESSL_ALL);
    curl_easy_setopt(e, CURLOPT_MAIL_FROM, d->cfg.mail_from);
    curl_easy_setopt(e, CURLOPT_MAIL_RCPT, t->list);
    curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(e, CURLOPT_READFUNCTION, read_payload);
    curl_easy_setopt(e, CURLOPT_READDATA, t);
    if (d->cfg.smtp_user) {
        curl_easy_setopt(e, CURLOPT_USERNAME, d->cfg.smtp_user);
        curl_easy_setopt(e, CURLOPT_PASSWORD, d->cfg.smtp_password ? d->cfg.smtp_password : "");
    }
    return 0;
}

static int setup_webhook(pa_delivery *d, transfer *t)
{
    t->payload = pa_delivery_webhook_body(t->it->record);
    t->len = strlen(t->payload);
    char header[PA_DELIVERY_KEY_MAX + 160];
    t->list = curl_slist_append(t->list, "Content-Type: application/json; charset=utf-8");
    snprintf(header, sizeof header, "Idempotency-Key: %s", t->it->key);
    t->list = curl_slist_append(t->list, header);
    if (d->cfg.webhook_secret) {
        char sig[128];
        pa_delivery_signature(d->cfg.webhook_secret, d->cfg.webhook_secret_len, t->payload,
                              (int64_t)time(NULL), sig, sizeof sig);
        snprintf(header, sizeof header, "X-Passerelle-Signature: %s", sig);
        t->list = curl_slist_append(t->list, header);
    }
    t->list = curl_slist_append(t->list, "Expect:"); /* no 100-continue round trip */
    CURL *e = t->easy;
    common_options(d, t, d->cfg.webhook_url);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR,
                     pa_delivery_url_is_loopback(d->cfg.webhook_url) ? "http,https" : "https");
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, t->payload);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)t->len);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->list);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
    return 0;
}

static void transfer_free(transfer *t)
{
    if (!t)
        return;
    curl_easy_cleanup(t->easy);
    curl_slist_free_all(t->list);
    free(t->payload);
    free(t);
}

/* ---- the worker's messages -------------------------------------------------- */

static void emit(pa_delivery *d, const char *state, const char *lang)
{
    if (d->cfg.event)
        d->cfg.event(d->cfg.user, state, lang);
}

static void add_item(pa_delivery *d, item *it)
{
    if (d->n_items == d->cap_items) {
        d->cap_items = d->cap_items ? d->cap_items * 2 : 16;
        d->items = pa_xrealloc(d->items, d->cap_items * sizeof *d->items);
    }
    d->items[d->n_items++] = it;
}

static void remove_item(pa_delivery *d, item *it)
{
    for (size_t i = 0; i < d->n_items; i++)
        if (d->items[i] == it) {
            d->items[i] = d->items[--d->n_items];
            break;
        }
    json_decref(it->record);
    free(it);
}

/* The delivery state kept in the record, so that a restart goes on where
 * the last run stopped. */
static void save_state(pa_delivery *d, item *it)
{
    json_t *delivered = json_array();
    for (int c = 0; c < PA_CHANNEL_END; c++)
        if (it->done & (1u << c))
            json_array_append_new(delivered, json_string(channel_names[c]));
    char next[32];
    iso_time((time_t)it->next_at, next, sizeof next);
    json_object_set_new(it->record, "delivery",
                        json_pack("{s:i, s:s, s:o, s:s}", "attempts", (int)it->attempts,
                                  "next_attempt", next, "delivered", delivered, "last_error",
                                  it->error));
    if (pa_spool_rewrite(d->cfg.spool, it->key, it->record) != 0)
        pa_log("passerelle: handoff: message %s: cannot save its delivery state: %s", it->key,
               strerror(errno));
}

static item *item_from(const char *key, json_t *record, double now)
{
    item *it = pa_xcalloc(1, sizeof *it);
    snprintf(it->key, sizeof it->key, "%s", key);
    const char *lang = json_string_value(json_object_get(record, "lang"));
    snprintf(it->lang, sizeof it->lang, "%s", lang ? lang : "");
    it->record = record;
    it->received = pa_spool_time(record, "received");
    if (it->received < 0)
        it->received = (time_t)now;
    it->next_at = now;
    json_t *state = json_object_get(record, "delivery");
    if (!state)
        return it;
    it->attempts = (unsigned)json_integer_value(json_object_get(state, "attempts"));
    time_t at = pa_spool_time(state, "next_attempt");
    if (at > 0 && (double)at > now)
        it->next_at = (double)at;
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(state, "delivered"), i, c)
    {
        for (int k = 0; k < PA_CHANNEL_END; k++)
            if (json_is_string(c) && !strcmp(json_string_value(c), channel_names[k]))
                it->done |= 1u << k;
    }
    return it;
}

/* The messages a previous run left waiting. */
static void load_waiting(pa_delivery *d)
{
    char **keys;
    size_t n = pa_spool_waiting(d->cfg.spool, &keys);
    double now = wall_now();
    for (size_t i = 0; i < n; i++) {
        json_t *record = pa_spool_load(d->cfg.spool, keys[i]);
        if (!record) {
            pa_log("passerelle: handoff: new/%s.json cannot be read; left where it is", keys[i]);
            continue;
        }
        add_item(d, item_from(keys[i], record, now));
    }
    pa_spool_keys_free(keys, n);
    if (n)
        pa_log("passerelle: handoff: %zu messages waiting from before; delivering them", n);
}

/* ---- attempts ------------------------------------------------------------- */

static double random_unit(pa_delivery *d)
{
    d->rng ^= d->rng << 13; /* xorshift64: jitter, not secrets */
    d->rng ^= d->rng >> 7;
    d->rng ^= d->rng << 17;
    return (double)(d->rng >> 11) / 9007199254740992.0;
}

/* The wait after the n-th failed attempt: base doubling up to the cap, half
 * of it random, so that messages failing together do not retry together. */
static double backoff(pa_delivery *d, unsigned n)
{
    double delay = d->cfg.retry_base_s * pow(2, n > 0 ? n - 1 : 0);
    if (delay > d->cfg.retry_max_s)
        delay = d->cfg.retry_max_s;
    return delay / 2 + random_unit(d) * delay / 2;
}

static void count(pa_delivery *d, uint64_t *counter)
{
    pthread_mutex_lock(&d->lock);
    (*counter)++;
    pthread_mutex_unlock(&d->lock);
}

static void delivered(pa_delivery *d, item *it)
{
    if (pa_spool_delivered(d->cfg.spool, it->key, time(NULL)) != 0)
        pa_log("passerelle: handoff: message %s delivered, but its body cannot be deleted: %s",
               it->key, strerror(errno));
    else
        pa_log("passerelle: handoff: message %s delivered", it->key);
    emit(d, "delivered", it->lang);
    remove_item(d, it);
}

static void dead_letter(pa_delivery *d, item *it)
{
    save_state(d, it);
    if (pa_spool_dead(d->cfg.spool, it->key) != 0)
        pa_log("passerelle: handoff: message %s cannot be moved to dead/: %s", it->key,
               strerror(errno));
    pthread_mutex_lock(&d->lock);
    d->stats.dead_letters++;
    d->stats.dead++;
    pthread_mutex_unlock(&d->lock);
    pa_log("passerelle: handoff: message %s NOT DELIVERED after %u attempts (%s); it is in "
           "dead/ for staff to read",
           it->key, it->attempts, it->error);
    emit(d, "dead_letter", it->lang);
    remove_item(d, it);
}

/* Every transfer of the attempt has ended. */
static void attempt_over(pa_delivery *d, item *it)
{
    if (it->done == d->channels) {
        delivered(d, it);
        return;
    }
    it->attempts++;
    if (it->attempts >= d->cfg.max_attempts) {
        dead_letter(d, it);
        return;
    }
    double wait = backoff(d, it->attempts);
    it->next_at = wall_now() + wait;
    count(d, &d->stats.retries);
    pa_log("passerelle: handoff: message %s: attempt %u of %u failed (%s); next in %.1f s", it->key,
           it->attempts, d->cfg.max_attempts, it->error, wait);
    save_state(d, it);
    emit(d, "retry", it->lang);
}

static void channel_failed(pa_delivery *d, item *it, pa_channel c, const char *why)
{
    it->failed |= 1u << c;
    /* the reason may be cut: it is only shown in the log and /healthz */
    if (snprintf(it->error, sizeof it->error, "%s: %s", channel_names[c], why) < 0)
        it->error[0] = '\0';
    count(d, &d->stats.failures);
}

static void start_transfer(pa_delivery *d, item *it, pa_channel c)
{
    transfer *t = pa_xcalloc(1, sizeof *t);
    t->it = it;
    t->channel = c;
    t->easy = curl_easy_init();
    int rc = !t->easy ? -1 : c == PA_CHANNEL_SMTP ? setup_smtp(d, t) : setup_webhook(d, t);
    if (rc != 0 || curl_multi_add_handle(d->multi, t->easy) != CURLM_OK) {
        channel_failed(d, it, c, "the message cannot be prepared");
        transfer_free(t);
        return;
    }
    t->next = d->transfers;
    d->transfers = t;
    it->running++;
    d->running++;
}

static void start_attempt(pa_delivery *d, item *it)
{
    it->failed = 0;
    for (int c = 0; c < PA_CHANNEL_END; c++)
        if ((d->channels & (1u << c)) && !(it->done & (1u << c)))
            start_transfer(d, it, (pa_channel)c);
    if (!it->running)
        attempt_over(d, it);
}

static void start_due(pa_delivery *d, double now)
{
    for (size_t i = 0; i < d->n_items && d->running < PA_DELIVERY_PARALLEL; i++) {
        item *it = d->items[i];
        if (!it->running && it->next_at <= now) {
            size_t before = d->n_items;
            start_attempt(d, it);
            if (d->n_items < before)
                i--; /* it was removed (nothing could start): the slot holds another */
        }
    }
}

static void unlink_transfer(pa_delivery *d, transfer *t)
{
    for (transfer **p = &d->transfers; *p; p = &(*p)->next)
        if (*p == t) {
            *p = t->next;
            return;
        }
}

static void transfer_done(pa_delivery *d, transfer *t, CURLcode code)
{
    long status = 0;
    curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
    item *it = t->it;
    int ok =
        code == CURLE_OK && (t->channel != PA_CHANNEL_WEBHOOK || (status >= 200 && status < 300));
    if (ok) {
        it->done |= 1u << t->channel;
        count(d, &d->stats.delivered[t->channel]);
    } else {
        char why[PA_DELIVERY_ERROR_MAX];
        if (code != CURLE_OK && status)
            snprintf(why, sizeof why, "%s (reply %ld)", curl_easy_strerror(code), status);
        else if (code != CURLE_OK)
            snprintf(why, sizeof why, "%s", curl_easy_strerror(code));
        else
            snprintf(why, sizeof why, "HTTP status %ld", status);
        channel_failed(d, it, t->channel, why);
    }
    curl_multi_remove_handle(d->multi, t->easy);
    unlink_transfer(d, t);
    transfer_free(t);
    d->running--;
    if (--it->running == 0)
        attempt_over(d, it);
}

static void collect_done(pa_delivery *d)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(d->multi, &left))) {
        if (m->msg != CURLMSG_DONE)
            continue;
        transfer *t = NULL;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&t);
        transfer_done(d, t, m->data.result);
    }
}

/* Stopping: what is under way is dropped, not counted as an attempt; the
 * messages stay in the spool for the next start. */
static void abandon_all(pa_delivery *d)
{
    while (d->transfers) {
        transfer *t = d->transfers;
        d->transfers = t->next;
        curl_multi_remove_handle(d->multi, t->easy);
        transfer_free(t);
    }
    d->running = 0;
    while (d->n_items)
        remove_item(d, d->items[0]);
}

/* ---- new messages --------------------------------------------------------- */

static void keep(pa_delivery *d, submission *s, completion *out)
{
    int room = d->n_items < d->cfg.max_depth;
    const char *lang = json_string_value(json_object_get(s->record, "lang"));
    pa_spool_put_result r = pa_spool_put(d->cfg.spool, s->key, s->record, room);
    out->ticket = s->ticket;
    out->result = r;
    char code[16];
    snprintf(code, sizeof code, "%s", lang ? lang : "");
    if (r == PA_SPOOL_QUEUED) {
        add_item(d, item_from(s->key, s->record, wall_now()));
        s->record = NULL; /* the item holds it */
        emit(d, "queued", code);
    } else if (r == PA_SPOOL_DUPLICATE) {
        emit(d, "duplicate", code);
    } else if (r == PA_SPOOL_FULL) {
        pa_log("passerelle: handoff: the spool holds %zu messages (handoff-spool-max): a new one "
               "was refused",
               d->n_items);
    } else {
        pa_log("passerelle: handoff: a message cannot be written to the spool: %s",
               strerror(errno));
    }
    json_decref(s->record);
}

/* Takes what was submitted, keeps each, and hands the results back. */
static int take_submissions(pa_delivery *d)
{
    pthread_mutex_lock(&d->lock);
    submission *subs = d->subs;
    size_t n = d->n_subs;
    int stop = d->stop;
    d->subs = NULL;
    d->n_subs = d->cap_subs = 0;
    pthread_mutex_unlock(&d->lock);
    completion *results = n ? pa_xmalloc(n * sizeof *results) : NULL;
    for (size_t i = 0; i < n; i++)
        keep(d, &subs[i], &results[i]);
    free(subs);
    if (n) {
        pthread_mutex_lock(&d->lock);
        for (size_t i = 0; i < n; i++) {
            d->stats.queued += results[i].result == PA_SPOOL_QUEUED;
            d->stats.duplicates += results[i].result == PA_SPOOL_DUPLICATE;
            d->stats.refused += results[i].result >= PA_SPOOL_FULL;
            if (d->n_dones == d->cap_dones) {
                d->cap_dones = d->cap_dones ? d->cap_dones * 2 : 16;
                d->dones = pa_xrealloc(d->dones, d->cap_dones * sizeof *d->dones);
            }
            d->dones[d->n_dones++] = results[i];
        }
        pthread_mutex_unlock(&d->lock);
        free(results);
        if (d->cfg.ready)
            d->cfg.ready(d->cfg.user);
    }
    return stop;
}

/* ---- purging and the loop --------------------------------------------------- */

/* Bodies older than the retention go, delivered or not: a resident was told
 * how long their message is kept. */
static void purge(pa_delivery *d, double now)
{
    pa_spool_purged p =
        pa_spool_purge(d->cfg.spool, (time_t)now, d->cfg.retention_s, d->cfg.dedupe_s);
    for (size_t i = 0; i < d->n_items; i++) {
        item *it = d->items[i];
        if (it->running || (double)it->received >= now - d->cfg.retention_s)
            continue;
        pa_log("passerelle: handoff: message %s NOT DELIVERED and deleted: older than "
               "handoff-retention",
               it->key);
        pa_spool_discard(d->cfg.spool, it->key, (time_t)now);
        remove_item(d, it);
        i--;
    }
    if (p.dead)
        pa_log("passerelle: handoff: %zu undelivered messages of dead/ deleted (handoff-retention)",
               p.dead);
    pthread_mutex_lock(&d->lock);
    d->stats.dead = d->stats.dead > p.dead ? d->stats.dead - p.dead : 0;
    pthread_mutex_unlock(&d->lock);
    d->next_purge = now + PA_DELIVERY_PURGE_EVERY_S;
}

static void publish_depth(pa_delivery *d)
{
    int64_t oldest = 0;
    for (size_t i = 0; i < d->n_items; i++)
        if (!oldest || d->items[i]->received < oldest)
            oldest = d->items[i]->received;
    pthread_mutex_lock(&d->lock);
    d->stats.depth = d->n_items;
    d->stats.oldest_received = oldest;
    pthread_mutex_unlock(&d->lock);
}

/* How long the worker may sleep: until the next message is due or the next
 * purge, at most PA_DELIVERY_IDLE_WAKE_MS; curl shortens it for transfers,
 * and a submission (curl_multi_wakeup) ends it. */
static int sleep_ms(pa_delivery *d, double now)
{
    double until = d->next_purge;
    /* with every transfer slot taken, a message due waits for one to end (curl wakes the loop) */
    for (size_t i = 0; i < d->n_items && d->running < PA_DELIVERY_PARALLEL; i++)
        if (!d->items[i]->running && d->items[i]->next_at < until)
            until = d->items[i]->next_at;
    double ms = (until - now) * 1000;
    if (ms > PA_DELIVERY_IDLE_WAKE_MS)
        ms = PA_DELIVERY_IDLE_WAKE_MS;
    return ms < 0 ? 0 : (int)ceil(ms);
}

static void *run(void *arg)
{
    pa_delivery *d = arg;
    load_waiting(d);
    purge(d, wall_now());
    while (!take_submissions(d)) {
        double now = wall_now();
        start_due(d, now);
        int running;
        curl_multi_perform(d->multi, &running);
        collect_done(d);
        if (now >= d->next_purge)
            purge(d, now);
        publish_depth(d);
        curl_multi_poll(d->multi, NULL, 0, sleep_ms(d, wall_now()), NULL);
    }
    abandon_all(d);
    return NULL;
}

/* ---- starting and stopping ------------------------------------------------ */

pa_delivery *pa_delivery_start(const pa_delivery_config *cfg, char *err, size_t err_size)
{
    pa_delivery *d = pa_xcalloc(1, sizeof *d);
    d->cfg = *cfg;
    if (cfg->smtp_url && *cfg->smtp_url)
        d->channels |= 1u << PA_CHANNEL_SMTP;
    if (cfg->webhook_url && *cfg->webhook_url)
        d->channels |= 1u << PA_CHANNEL_WEBHOOK;
    if (d->channels & (1u << PA_CHANNEL_SMTP)) {
        char **to = pa_mail_split_addresses(cfg->mail_to, &d->n_rcpts);
        d->rcpts = to;
    }
    d->rng =
        (uint64_t)time(NULL) * 6364136223846793005ULL ^ (uint64_t)getpid() ^ 0x9E3779B97F4A7C15ULL;
    if (!d->rng)
        d->rng = 1;
    d->stats.dead = pa_spool_dead_count(cfg->spool);
    pthread_mutex_init(&d->lock, NULL);
    d->multi = curl_multi_init();
    if (!d->multi || pthread_create(&d->thread, NULL, run, d) != 0) {
        snprintf(err, err_size, "cannot start the delivery thread");
        if (d->multi)
            curl_multi_cleanup(d->multi);
        pa_spool_close(cfg->spool);
        pthread_mutex_destroy(&d->lock);
        for (size_t i = 0; i < d->n_rcpts; i++)
            free(d->rcpts[i]);
        free(d->rcpts);
        free(d);
        return NULL;
    }
    return d;
}

void pa_delivery_stop(pa_delivery *d)
{
    if (!d)
        return;
    pthread_mutex_lock(&d->lock);
    d->stop = 1;
    pthread_mutex_unlock(&d->lock);
    curl_multi_wakeup(d->multi);
    pthread_join(d->thread, NULL);
    curl_multi_cleanup(d->multi);
    pa_spool_close(d->cfg.spool);
    for (size_t i = 0; i < d->n_subs; i++)
        json_decref(d->subs[i].record);
    free(d->subs);
    free(d->dones);
    free(d->items);
    for (size_t i = 0; i < d->n_rcpts; i++)
        free(d->rcpts[i]);
    free(d->rcpts);
    pthread_mutex_destroy(&d->lock);
    free(d);
}

void pa_delivery_submit(pa_delivery *d, uint64_t ticket, const char *key, json_t *record)
{
    pthread_mutex_lock(&d->lock);
    if (d->n_subs == d->cap_subs) {
        d->cap_subs = d->cap_subs ? d->cap_subs * 2 : 8;
        d->subs = pa_xrealloc(d->subs, d->cap_subs * sizeof *d->subs);
    }
    submission *s = &d->subs[d->n_subs++];
    s->ticket = ticket;
    snprintf(s->key, sizeof s->key, "%s", key);
    s->record = record;
    pthread_mutex_unlock(&d->lock);
    curl_multi_wakeup(d->multi);
}

int pa_delivery_take(pa_delivery *d, uint64_t *ticket, pa_spool_put_result *result)
{
    pthread_mutex_lock(&d->lock);
    int has = d->n_dones > 0;
    if (has) {
        *ticket = d->dones[0].ticket;
        *result = d->dones[0].result;
        memmove(d->dones, d->dones + 1, --d->n_dones * sizeof *d->dones);
    }
    pthread_mutex_unlock(&d->lock);
    return has;
}

void pa_delivery_stats_get(pa_delivery *d, pa_delivery_stats *out)
{
    pthread_mutex_lock(&d->lock);
    *out = d->stats;
    pthread_mutex_unlock(&d->lock);
}

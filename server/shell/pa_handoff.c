#include "pa_handoff.h"

#include "pa_alloc.h"
#include "pa_delivery.h"
#include "pa_log.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum {
    PA_HANDOFF_SECRET_MIN = 16, /* bytes of a webhook secret: shorter ones are guessable */
    PA_HANDOFF_FILE_MAX = 4096, /* bytes read of a credentials or secret file */
    PA_HANDOFF_LANG_MAX = 16,   /* a language code, with its NUL */
    PA_HANDOFF_AGENT_MAX = 64,  /* "passerelle/VERSION" */
    PA_HANDOFF_SECONDS_PER_DAY = 86400,
};

/* An acknowledgement due once the worker has written the message. */
typedef struct {
    uint64_t ticket;
    const void *owner; /* the worker whose thread may write to conn */
    int done;          /* the worker has its result, for the owner's poll */
    pa_spool_put_result result;
    void *conn;             /* NULL once the connection closed */
    pa_handoff_conn *state; /* the connection's count; NULL with conn */
    char key[PA_CONTACT_KEY_MAX + 1];
    char lang[PA_HANDOFF_LANG_MAX]; /* by code: a reload may renumber the locales */
    json_t *id;
} pending;

struct pa_handoff {
    const pa_config *c;
    pa_events *events;
    pa_contact_limits limits;
    pa_contact_offer offer;
    pa_mail_texts *texts;
    char *smtp_user, *smtp_password;
    unsigned char *secret;
    size_t secret_len;
    char agent[PA_HANDOFF_AGENT_MAX];
    pa_delivery *delivery;
    /* lock guards the callback and the acknowledgements due: every
     * worker and the delivery thread use them */
    pthread_mutex_t lock;
    void (*wake)(void *user); /* the service's: acknowledgements are ready */
    void *wake_user;
    uint64_t last_ticket;
    pending *pend;
    size_t n_pend, cap_pend;
};

/* ---- the settings --------------------------------------------------------- */

__attribute__((format(printf, 2, 3))) static int fail(char *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, PA_CONFIG_ERROR_MAX, fmt, ap);
    va_end(ap);
    return -1;
}

static int is_address(const char *s)
{
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p >= 0x80)
            return 0; /* an envelope address the mail server can take without SMTPUTF8 */
    return pa_contact_reply_to_kind(s, strlen(s)) == PA_REPLY_TO_EMAIL;
}

static int check_addresses(const pa_config *c, char *err)
{
    if (!is_address(c->handoff_mail_from))
        return fail(err, "handoff-mail-from: '%s' is not an e-mail address", c->handoff_mail_from);
    size_t n;
    char **to = pa_mail_split_addresses(c->handoff_mail_to, &n);
    int rc = n ? 0 : fail(err, "handoff-mail-to: give at least one address to send messages to");
    for (size_t i = 0; i < n; i++) {
        if (rc == 0 && !is_address(to[i]))
            rc = fail(err, "handoff-mail-to: '%s' is not an e-mail address", to[i]);
        free(to[i]);
    }
    free(to);
    return rc;
}

static int check_smtp(const pa_config *c, char *err)
{
    char scheme[16];
    pa_delivery_url_scheme(c->handoff_smtp_url, scheme, sizeof scheme);
    if (strcmp(scheme, "smtp") && strcmp(scheme, "smtps"))
        return fail(err,
                    "handoff-smtp-url: '%s' is not an smtp:// or smtps:// URL "
                    "(\"smtps://mail.example.fr:465\")",
                    c->handoff_smtp_url);
    return check_addresses(c, err);
}

static int check_webhook(const pa_config *c, char *err)
{
    char scheme[16];
    pa_delivery_url_scheme(c->handoff_webhook_url, scheme, sizeof scheme);
    if (!strcmp(scheme, "https"))
        return 0;
    if (!strcmp(scheme, "http") && pa_delivery_url_is_loopback(c->handoff_webhook_url))
        return 0; /* on the machine itself: nothing crosses a network */
    return fail(err,
                "handoff-webhook-url: '%s' must be an https:// URL (http:// only to this "
                "machine: 127.0.0.1, ::1, localhost)",
                c->handoff_webhook_url);
}

static int check_staff_lang(const char *lang, char *err)
{
    size_t n = strlen(lang);
    int ok = n >= 2 && n < PA_HANDOFF_LANG_MAX;
    for (size_t i = 0; ok && i < n; i++)
        ok = (lang[i] >= 'a' && lang[i] <= 'z') || lang[i] == '-';
    return ok ? 0 : fail(err, "handoff-staff-lang: '%s' is not a language code (fr, en)", lang);
}

int pa_handoff_check_config(const pa_config *c, char err[PA_CONFIG_ERROR_MAX])
{
    int smtp = *c->handoff_smtp_url, webhook = *c->handoff_webhook_url;
    if (!*c->handoff_spool) {
        if (smtp || webhook)
            return fail(err,
                        "%s is set, but not handoff-spool: messages to staff are kept "
                        "there until they are delivered",
                        smtp ? "handoff-smtp-url" : "handoff-webhook-url");
        return 0;
    }
    if (!smtp && !webhook)
        return fail(err, "handoff-spool is set, but neither handoff-smtp-url nor "
                         "handoff-webhook-url: messages to staff would never leave it");
    if (smtp && check_smtp(c, err) != 0)
        return -1;
    if (webhook && check_webhook(c, err) != 0)
        return -1;
    if (c->handoff_retry_base_ms > c->handoff_retry_max_ms)
        return fail(err, "handoff-retry-base (%g s) is longer than handoff-retry-max (%g s)",
                    (double)c->handoff_retry_base_ms / 1000,
                    (double)c->handoff_retry_max_ms / 1000);
    return check_staff_lang(c->handoff_staff_lang, err);
}

/* ---- secrets -------------------------------------------------------------- */

/* The whole file, at most PA_HANDOFF_FILE_MAX bytes, malloc'd; NULL (errno). */
static char *read_small_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *data = pa_xmalloc(PA_HANDOFF_FILE_MAX + 1);
    *len = fread(data, 1, PA_HANDOFF_FILE_MAX, f);
    int too_long = fgetc(f) != EOF;
    fclose(f);
    if (too_long) {
        free(data);
        errno = EFBIG;
        return NULL;
    }
    data[*len] = '\0';
    return data;
}

static size_t trim_end(const char *s, size_t len)
{
    while (len && (s[len - 1] == '\n' || s[len - 1] == '\r' || s[len - 1] == ' '))
        len--;
    return len;
}

/* Two lines: the user name, then the password. */
static int load_credentials(pa_handoff *h, const char *path, char *err)
{
    size_t len;
    char *data = read_small_file(path, &len);
    if (!data)
        return fail(err, "handoff-smtp-credentials-file: %s: %s", path, strerror(errno));
    char *nl = strchr(data, '\n');
    if (!nl || nl == data) {
        free(data);
        return fail(err,
                    "handoff-smtp-credentials-file: %s: expected two lines, the user name "
                    "then the password",
                    path);
    }
    h->smtp_user = pa_xstrndup(data, trim_end(data, (size_t)(nl - data)));
    h->smtp_password = pa_xstrndup(nl + 1, trim_end(nl + 1, strlen(nl + 1)));
    memset(data, 0, len);
    free(data);
    return 0;
}

static int load_secret(pa_handoff *h, const char *path, char *err)
{
    size_t len;
    char *data = read_small_file(path, &len);
    if (!data)
        return fail(err, "handoff-webhook-secret-file: %s: %s", path, strerror(errno));
    len = trim_end(data, len);
    if (len < PA_HANDOFF_SECRET_MIN) {
        free(data);
        return fail(err,
                    "handoff-webhook-secret-file: %s: the secret has %zu bytes; give at "
                    "least %d (openssl rand -hex 32)",
                    path, len, PA_HANDOFF_SECRET_MIN);
    }
    h->secret = (unsigned char *)data;
    h->secret_len = len;
    return 0;
}

/* ---- starting ------------------------------------------------------------- */

/* Worker thread: results of submissions are ready. */
static void results_ready(void *user)
{
    pa_handoff *h = user;
    pthread_mutex_lock(&h->lock);
    void (*wake)(void *) = h->wake;
    void *wake_user = h->wake_user;
    pthread_mutex_unlock(&h->lock);
    if (wake)
        wake(wake_user);
}

void pa_handoff_set_wake(pa_handoff *h, void (*wake)(void *user), void *user)
{
    if (!h)
        return;
    pthread_mutex_lock(&h->lock);
    h->wake = wake;
    h->wake_user = user;
    pthread_mutex_unlock(&h->lock);
}

/* Worker thread: the staff event of a message (its language and state, never
 * its text nor its contact). */
static void write_event(void *user, const char *state, const char *lang)
{
    pa_handoff *h = user;
    json_t *f = json_pack("{s:s, s:s}", "lang", lang, "state", state);
    pa_events_write(h->events, "handoff", f);
    json_decref(f);
}

static int start_worker(pa_handoff *h, pa_spool *spool, char *err)
{
    const pa_config *c = h->c;
    pa_delivery_config dc = {
        .spool = spool,
        .mail_texts = h->texts,
        .smtp_url = c->handoff_smtp_url,
        .mail_from = c->handoff_mail_from,
        .mail_to = c->handoff_mail_to,
        .smtp_user = h->smtp_user,
        .smtp_password = h->smtp_password,
        .webhook_url = c->handoff_webhook_url,
        .webhook_secret = h->secret,
        .webhook_secret_len = h->secret_len,
        .ca_file = c->handoff_ca_file,
        .user_agent = h->agent,
        .max_attempts = (unsigned)c->handoff_max_attempts,
        .retry_base_s = (double)c->handoff_retry_base_ms / 1000,
        .retry_max_s = (double)c->handoff_retry_max_ms / 1000,
        .timeout_s = (double)c->handoff_timeout_ms / 1000,
        .connect_timeout_s = (double)c->handoff_connect_timeout_ms / 1000,
        .retention_s = (double)c->handoff_retention_days * PA_HANDOFF_SECONDS_PER_DAY,
        .dedupe_s = (double)c->handoff_dedupe_days * PA_HANDOFF_SECONDS_PER_DAY,
        .max_depth = (size_t)c->handoff_spool_max,
        .ready = results_ready,
        .event = write_event,
        .user = h,
    };
    char why[PA_CONFIG_ERROR_MAX];
    h->delivery = pa_delivery_start(&dc, why, sizeof why);
    return h->delivery ? 0 : fail(err, "handoff: %s", why);
}

/* The secrets and the mail's texts: what the settings name besides the spool. */
static int load_files(pa_handoff *h, const char *locales_dir, char *err)
{
    const pa_config *c = h->c;
    if (*c->handoff_smtp_credentials_file &&
        load_credentials(h, c->handoff_smtp_credentials_file, err) != 0)
        return -1;
    if (*c->handoff_webhook_secret_file && load_secret(h, c->handoff_webhook_secret_file, err) != 0)
        return -1;
    if (!*c->handoff_smtp_url)
        return 0;
    char why[PA_CONFIG_ERROR_MAX];
    h->texts = pa_mail_texts_load(locales_dir, c->handoff_staff_lang, why, sizeof why);
    return h->texts ? 0 : fail(err, "handoff-staff-lang: %s", why);
}

pa_handoff *pa_handoff_start(const pa_config *c, const char *locales_dir, const char *version,
                             pa_events *events, void (*wake)(void *user), void *user,
                             char err[PA_CONFIG_ERROR_MAX])
{
    err[0] = '\0';
    if (!*c->handoff_spool)
        return NULL;
    pa_handoff *h = pa_xcalloc(1, sizeof *h);
    h->c = c;
    h->events = events;
    pthread_mutex_init(&h->lock, NULL);
    h->wake = wake;
    h->wake_user = user;
    h->limits = (pa_contact_limits){.max_text_chars = c->max_text,
                                    .max_entries = c->handoff_conversation_entries,
                                    .max_entry_chars = c->handoff_conversation_chars};
    h->offer = (pa_contact_offer){.retention_days = (unsigned)c->handoff_retention_days,
                                  .max_entries = c->handoff_conversation_entries,
                                  .max_entry_chars = c->handoff_conversation_chars};
    snprintf(h->agent, sizeof h->agent, "passerelle/%s", version);
    char why[PA_CONFIG_ERROR_MAX];
    pa_spool *spool = NULL;
    if (load_files(h, locales_dir, err) != 0)
        goto fail;
    spool = pa_spool_open(c->handoff_spool, why, sizeof why);
    if (!spool) {
        fail(err, "handoff-spool: %s", why);
        goto fail;
    }
    if (start_worker(h, spool, err) != 0) /* the worker takes the spool over */
        goto fail;
    return h;
fail:
    pa_handoff_stop(h);
    return NULL;
}

void pa_handoff_stop(pa_handoff *h)
{
    if (!h)
        return;
    pa_delivery_stop(h->delivery);
    for (size_t i = 0; i < h->n_pend; i++)
        json_decref(h->pend[i].id);
    free(h->pend);
    pa_mail_texts_free(h->texts);
    free(h->smtp_user);
    if (h->smtp_password)
        memset(h->smtp_password, 0, strlen(h->smtp_password));
    free(h->smtp_password);
    if (h->secret)
        memset(h->secret, 0, h->secret_len);
    free(h->secret);
    pthread_mutex_destroy(&h->lock);
    free(h);
}

char *pa_handoff_welcome(const pa_handoff *h, char *welcome)
{
    return h ? pa_contact_announce(welcome, &h->offer) : welcome;
}

/* ---- messages ------------------------------------------------------------- */

/* With the lock held. */
static void add_pending(pa_handoff *h, uint64_t ticket, const void *owner, void *conn,
                        pa_handoff_conn *state, const pa_contact *ct, const char *lang)
{
    if (h->n_pend == h->cap_pend) {
        h->cap_pend = h->cap_pend ? h->cap_pend * 2 : 8;
        h->pend = pa_xrealloc(h->pend, h->cap_pend * sizeof *h->pend);
    }
    pending *p = &h->pend[h->n_pend++];
    memset(p, 0, sizeof *p);
    p->ticket = ticket;
    p->owner = owner;
    p->conn = conn;
    p->state = state;
    snprintf(p->key, sizeof p->key, "%s", ct->key);
    snprintf(p->lang, sizeof p->lang, "%s", lang);
    p->id = ct->id ? json_incref(ct->id) : NULL;
}

char *pa_handoff_contact(pa_handoff *h, const pa_snapshot *s, const pa_session *session,
                         const void *owner, void *conn, pa_handoff_conn *state, const char *data,
                         size_t len, pa_proto_error *error)
{
    pa_contact_limits defaults = pa_contact_limits_default();
    pa_contact ct;
    pa_proto_error e = pa_contact_parse(data, len, h ? &h->limits : &defaults, &ct);
    int lang = pa_dialog_default_lang(s, session, ct.lang[0] ? ct.lang : NULL);
    if (!h)
        e = PA_PROTO_CONTACT_UNAVAILABLE; /* read all the same, for the id and the language */
    else if (e == PA_PROTO_OK && state->sent >= h->c->handoff_max_per_connection)
        e = PA_PROTO_CONTACT_LIMIT;
    *error = e;
    char *frame = NULL;
    if (e != PA_PROTO_OK) {
        frame = pa_protocol_error_json(s, lang, e, ct.id);
    } else {
        const char *code = s->k.locales[lang].code;
        pthread_mutex_lock(&h->lock);
        uint64_t ticket = ++h->last_ticket;
        add_pending(h, ticket, owner, conn, state, &ct, code);
        pthread_mutex_unlock(&h->lock);
        state->sent++;
        pa_delivery_submit(h->delivery, ticket, ct.key, pa_contact_record(&ct, code, time(NULL)));
    }
    pa_contact_clear(&ct);
    return frame;
}

void pa_handoff_forget(pa_handoff *h, const void *conn)
{
    if (!h)
        return;
    pthread_mutex_lock(&h->lock);
    for (size_t i = 0; i < h->n_pend; i++)
        if (h->pend[i].conn == conn) {
            h->pend[i].conn = NULL;
            h->pend[i].state = NULL;
        }
    pthread_mutex_unlock(&h->lock);
}

/* The frame the result of a submission gets. */
static char *result_frame(const pa_snapshot *s, pending *p, pa_spool_put_result r, int *failed)
{
    int lang = pa_snapshot_lang(s, p->lang);
    if (lang < 0)
        lang = 0;
    *failed = r != PA_SPOOL_QUEUED && r != PA_SPOOL_DUPLICATE;
    if (p->state && r != PA_SPOOL_QUEUED)
        p->state->sent--; /* a copy, or a message not kept, does not count */
    if (*failed)
        return pa_protocol_error_json(s, lang, PA_PROTO_CONTACT_UNAVAILABLE, p->id);
    return pa_contact_ack_json(s, lang, p->key, p->id);
}

/* Moves the delivery thread's results onto their messages. Returns 1 when
 * one is due to another owner, whose poll must be woken. Lock held. */
static int collect_results(pa_handoff *h, const void *owner)
{
    uint64_t ticket;
    pa_spool_put_result r;
    int others = 0;
    while (pa_delivery_take(h->delivery, &ticket, &r)) {
        for (size_t i = 0; i < h->n_pend; i++)
            if (h->pend[i].ticket == ticket) {
                h->pend[i].done = 1;
                h->pend[i].result = r;
                others |= h->pend[i].conn && h->pend[i].owner != owner;
                break;
            }
    }
    return others;
}

/* An acknowledgement to send once the lock is released. */
typedef struct {
    void *conn;
    char *frame;
} outgoing;

/* Takes out the messages with a result that are owner's (or whose
 * connection closed), with the frames of those still connected. Lock held. */
static size_t take_done(pa_handoff *h, const pa_snapshot *s, const void *owner, outgoing **out,
                        size_t *errors)
{
    size_t n_out = 0, kept = 0;
    for (size_t i = 0; i < h->n_pend; i++) {
        pending *p = &h->pend[i];
        if (!p->done || (p->conn && p->owner != owner)) {
            h->pend[kept++] = *p;
            continue;
        }
        if (p->conn) {
            int failed;
            *out = pa_xrealloc(*out, (n_out + 1) * sizeof **out);
            (*out)[n_out++] = (outgoing){p->conn, result_frame(s, p, p->result, &failed)};
            *errors += (size_t)failed;
        }
        json_decref(p->id);
    }
    h->n_pend = kept;
    return n_out;
}

size_t pa_handoff_poll(pa_handoff *h, const pa_snapshot *s, const void *owner,
                       void (*send)(void *user, void *conn, char *frame), void *user)
{
    if (!h)
        return 0;
    outgoing *out = NULL;
    size_t errors = 0;
    pthread_mutex_lock(&h->lock);
    int others = collect_results(h, owner);
    size_t n_out = take_done(h, s, owner, &out, &errors);
    void (*wake)(void *) = h->wake;
    void *wake_user = h->wake_user;
    pthread_mutex_unlock(&h->lock);
    for (size_t i = 0; i < n_out; i++)
        send(user, out[i].conn, out[i].frame);
    free(out);
    if (others && wake) /* their results are ready too: the workers' polls take them */
        wake(wake_user);
    return errors;
}

/* ---- health and metrics --------------------------------------------------- */

json_t *pa_handoff_health(pa_handoff *h)
{
    if (!h)
        return NULL;
    pa_delivery_stats st;
    pa_delivery_stats_get(h->delivery, &st);
    int64_t oldest = st.oldest_received ? (int64_t)time(NULL) - st.oldest_received : 0;
    if (oldest < 0)
        oldest = 0;
    json_t *channels = json_array();
    if (*h->c->handoff_smtp_url)
        json_array_append_new(channels, json_string(pa_channel_name(PA_CHANNEL_SMTP)));
    if (*h->c->handoff_webhook_url)
        json_array_append_new(channels, json_string(pa_channel_name(PA_CHANNEL_WEBHOOK)));
    return json_pack("{s:I, s:I, s:b, s:I, s:o}", "depth", (json_int_t)st.depth, "oldest_s",
                     (json_int_t)oldest, "stuck", oldest * 1000 > h->c->handoff_stuck_after_ms,
                     "dead_letter", (json_int_t)st.dead, "channels", channels);
}

typedef struct {
    char *s;
    size_t len, cap;
} text;

__attribute__((format(printf, 2, 3))) static void add(text *t, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof line)
        return;
    if (t->len + (size_t)n + 1 > t->cap) {
        t->cap = (t->len + (size_t)n + 1) * 2;
        t->s = pa_xrealloc(t->s, t->cap);
    }
    memcpy(t->s + t->len, line, (size_t)n + 1);
    t->len += (size_t)n;
}

static void family(text *t, const char *name, const char *type, const char *help)
{
    add(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

char *pa_handoff_metrics(pa_handoff *h)
{
    text t = {0};
    add(&t, "%s", "");
    if (!h)
        return t.s;
    pa_delivery_stats st;
    pa_delivery_stats_get(h->delivery, &st);
    family(&t, "passerelle_handoff_spool_depth", "gauge",
           "Messages to staff waiting in the spool for delivery.");
    add(&t, "passerelle_handoff_spool_depth %zu\n", st.depth);
    family(&t, "passerelle_handoff_messages_total", "counter",
           "Messages to staff received, by result: queued, duplicate (a copy of one known), "
           "refused (spool full or not writable).");
    add(&t,
        "passerelle_handoff_messages_total{result=\"queued\"} %llu\n"
        "passerelle_handoff_messages_total{result=\"duplicate\"} %llu\n"
        "passerelle_handoff_messages_total{result=\"refused\"} %llu\n",
        (unsigned long long)st.queued, (unsigned long long)st.duplicates,
        (unsigned long long)st.refused);
    family(&t, "passerelle_handoff_delivered_total", "counter",
           "Messages to staff delivered, by channel.");
    for (int c = 0; c < PA_CHANNEL_END; c++)
        add(&t, "passerelle_handoff_delivered_total{channel=\"%s\"} %llu\n", pa_channel_name(c),
            (unsigned long long)st.delivered[c]);
    family(&t, "passerelle_handoff_failures_total", "counter",
           "Failed deliveries of a message to a channel.");
    add(&t, "passerelle_handoff_failures_total %llu\n", (unsigned long long)st.failures);
    family(&t, "passerelle_handoff_retries_total", "counter",
           "Deliveries scheduled again after a failed attempt.");
    add(&t, "passerelle_handoff_retries_total %llu\n", (unsigned long long)st.retries);
    family(&t, "passerelle_handoff_dead_letter", "gauge",
           "Messages to staff that could not be delivered, waiting in dead/ for staff to read.");
    add(&t, "passerelle_handoff_dead_letter %zu\n", st.dead);
    return t.s;
}

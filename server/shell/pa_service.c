#include "pa_service.h"

#include "pa_alloc.h"
#include "pa_context.h"
#include "pa_log.h"
#include "pa_origin.h"
#include "pa_reload.h"
#include "pa_match.h"
#include "pa_reloader.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum {
    PA_RELOAD_REPORT_MAX = 20, /* problems of a failed reload shown in /healthz */
    PA_PEERS_SLACK = 64,       /* entries beyond those connections can hold, for lingering */
};

/* A snapshot and how many hold it: the hub while it is the one installed,
 * and each worker that serves it. Counted under the hub's lock; freed (by
 * the reload thread: pa_reloader_retire) when the last holder lets go, so
 * that no worker's turn still reads it. */
typedef struct {
    pa_snapshot *snapshot;
    unsigned holders;
} held_snapshot;

/* What the workers of one process share. lock guards the fields marked
 * (lock); the others are set before any worker runs and only read, or are
 * atomic. views_lock guards the list of workers; the two are never held
 * together. */
typedef struct {
    pa_service_config cfg;
    pthread_mutex_t lock;
    held_snapshot *current;          /* (lock) the knowledge installed */
    atomic_uint_fast64_t generation; /* bumped (under lock) by each install */
    uint64_t fingerprint;            /* (lock) of the files it was built from */
    time_t loaded_at, reload_at;     /* (lock) */
    int reload_ok;                   /* (lock) */
    char reload_report[PA_RELOAD_REPORT_MAX][PA_DIAG_SOURCE_MAX + PA_DIAG_TEXT_MAX + 32];
    size_t reload_report_count; /* (lock) with reload_report */
    pa_reloader *reloader;
    atomic_int stop_requested, reload_requested;
    size_t sockets; /* (lock) TCP connections admitted on every worker */
    pa_cidr_list trusted;
    pa_origin_list origins;
    pa_peers *peers; /* (lock) client addresses: their connections and question budget */
    pa_metrics m;    /* (lock) */
    const pa_token_keys *context_keys; /* cfg's, or own_keys */
    pa_token_keys *own_keys;
    pthread_mutex_t views_lock;
    struct pa_service *views[PA_WORKERS_MAX]; /* (views_lock) by worker number */
    size_t n_views;                           /* (views_lock) */
} pa_hub;

/* One worker: what its service thread keeps for itself. */
struct pa_service {
    pa_hub *hub;
    unsigned index;
    pa_service_hooks hooks;
    held_snapshot *held; /* the knowledge this worker serves until it moves on */
    uint64_t generation; /* the hub's generation when it took held */
    int stopping;
    int64_t now_us; /* the latest time an event brought */
    /* read by the worker that renders /healthz and /metrics */
    atomic_size_t connections;
    atomic_ulong connections_total, messages;
};

static const pa_snapshot *served(const pa_service *svc)
{
    return svc->held->snapshot;
}

/* Calls the wake hook of every worker but except (NULL: all). */
static void wake_workers(pa_hub *hub, const pa_service *except)
{
    pthread_mutex_lock(&hub->views_lock);
    for (size_t i = 0; i < hub->n_views; i++) {
        pa_service *v = hub->views[i];
        if (v != except && v->hooks.wake)
            v->hooks.wake(v->hooks.user);
    }
    pthread_mutex_unlock(&hub->views_lock);
}

/* From the reload and delivery threads: something to take is ready. */
static void wake_all(void *hub)
{
    wake_workers(hub, NULL);
}

/* ---- the knowledge each worker serves ----------------------------------- */

static held_snapshot *hold_new(pa_snapshot *s)
{
    held_snapshot *h = pa_xmalloc(sizeof *h);
    h->snapshot = s;
    h->holders = 1;
    return h;
}

/* Lets go of h, with the hub's lock held. Returns its snapshot when that
 * was the last holder, for retire() once the lock is released. */
static pa_snapshot *let_go(held_snapshot *h)
{
    if (--h->holders)
        return NULL;
    pa_snapshot *s = h->snapshot;
    free(h);
    return s;
}

/* Freeing a snapshot takes milliseconds: the reload thread does it when
 * there is one. */
static void retire(pa_hub *hub, pa_snapshot *s)
{
    if (!s)
        return;
    if (hub->reloader)
        pa_reloader_retire(hub->reloader, s);
    else
        pa_snapshot_free(s);
}

/* Moves this worker to the knowledge installed, when it is newer than the
 * one it serves. Turns run to completion on the worker's thread, so none
 * still reads the one it lets go. */
static void follow(pa_service *svc)
{
    pa_hub *hub = svc->hub;
    if (atomic_load(&hub->generation) == svc->generation)
        return;
    pthread_mutex_lock(&hub->lock);
    held_snapshot *old = svc->held;
    svc->held = hub->current;
    svc->held->holders++;
    svc->generation = atomic_load(&hub->generation);
    pa_snapshot *gone = let_go(old);
    pthread_mutex_unlock(&hub->lock);
    retire(hub, gone);
}

/* ---- making and freeing ------------------------------------------------- */

static void start_reloader(pa_hub *hub)
{
    pa_reloader_config rc = {.intents_dir = hub->cfg.intents_dir,
                             .locales_dir = hub->cfg.locales_dir,
                             .poll_ms = hub->cfg.reload_poll_ms,
                             .debounce_ms = hub->cfg.reload_debounce_ms,
                             .ready = wake_all,
                             .user = hub,
                             .in_service = hub->current->snapshot};
    hub->reloader = pa_reloader_start(&rc, hub->fingerprint);
    if (!hub->reloader)
        pa_log("passerelle: cannot start the reload thread; edits need a restart");
}

/* The lists the configuration checked already: a bad one here counts as empty. */
static void parse_lists(pa_hub *hub)
{
    char bad[256];
    if (pa_cidr_list_parse(hub->cfg.trusted_proxies, &hub->trusted, bad, sizeof bad) != 0)
        pa_log("passerelle: trusted-proxies: '%s' ignored", bad);
    if (pa_origin_list_parse(hub->cfg.allowed_origins, &hub->origins, bad, sizeof bad) != 0)
        pa_log("passerelle: allowed-origins: '%s' ignored", bad);
}

static void own_keys(pa_hub *hub)
{
    char err[256];
    hub->own_keys = pa_token_keys_load(NULL, err, sizeof err);
    if (!hub->own_keys) {
        fprintf(stderr, "passerelle: %s\n", err);
        abort(); /* no random bytes at all: like running out of memory */
    }
    hub->context_keys = hub->own_keys;
}

static pa_hub *hub_new(const pa_service_config *cfg, pa_snapshot *s, uint64_t fingerprint)
{
    pa_hub *hub = pa_xcalloc(1, sizeof *hub);
    hub->cfg = *cfg;
    if (!hub->cfg.ipv6_prefix)
        hub->cfg.ipv6_prefix = 64;
    if (!hub->cfg.context_ttl_s)
        hub->cfg.context_ttl_s = PA_CONTEXT_TTL_DEFAULT_S;
    pthread_mutex_init(&hub->lock, NULL);
    pthread_mutex_init(&hub->views_lock, NULL);
    hub->current = hold_new(s);
    hub->fingerprint = fingerprint;
    hub->loaded_at = hub->reload_at = time(NULL);
    hub->reload_ok = 1;
    pa_metrics_init(&hub->m);
    parse_lists(hub);
    /* every connection holds at most two entries: its peer's and its client's */
    size_t capacity = cfg->max_sockets ? cfg->max_sockets * 2 + PA_PEERS_SLACK : 1 << 16;
    hub->peers = pa_peers_new(capacity, &cfg->address_rate);
    if (cfg->context_keys)
        hub->context_keys = cfg->context_keys;
    else
        own_keys(hub);
    return hub;
}

/* The threads go first: they wake the workers and retire snapshots. */
static void hub_free(pa_hub *hub)
{
    pa_handoff_stop(hub->cfg.handoff);
    pa_reloader_stop(hub->reloader);
    hub->reloader = NULL;
    pa_snapshot_free(let_go(hub->current));
    pa_peers_free(hub->peers);
    pa_token_keys_free(hub->own_keys);
    pa_cidr_list_clear(&hub->trusted);
    pa_origin_list_clear(&hub->origins);
    pa_metrics_clear(&hub->m);
    pthread_mutex_destroy(&hub->lock);
    pthread_mutex_destroy(&hub->views_lock);
    free(hub);
}

/* A worker of hub, serving the knowledge installed; NULL when hub has
 * PA_WORKERS_MAX of them. */
static pa_service *view_new(pa_hub *hub, const pa_service_hooks *hooks)
{
    pa_service *svc = pa_xcalloc(1, sizeof *svc);
    svc->hub = hub;
    if (hooks)
        svc->hooks = *hooks;
    pthread_mutex_lock(&hub->lock);
    svc->held = hub->current;
    svc->held->holders++;
    svc->generation = atomic_load(&hub->generation);
    pthread_mutex_unlock(&hub->lock);
    pthread_mutex_lock(&hub->views_lock);
    int full = hub->n_views == PA_WORKERS_MAX;
    if (!full) {
        svc->index = (unsigned)hub->n_views;
        hub->views[hub->n_views++] = svc;
    }
    pthread_mutex_unlock(&hub->views_lock);
    if (full) {
        pthread_mutex_lock(&hub->lock);
        let_go(svc->held); /* the hub holds it still */
        pthread_mutex_unlock(&hub->lock);
        free(svc);
        return NULL;
    }
    return svc;
}

pa_service *pa_service_new(const pa_service_config *cfg, const pa_service_hooks *hooks,
                           pa_diag *diag)
{
    uint64_t fingerprint = pa_reload_fingerprint(cfg->intents_dir, cfg->locales_dir);
    pa_snapshot *s = pa_snapshot_load(cfg->intents_dir, cfg->locales_dir, diag);
    if (!s) {
        pa_handoff_stop(cfg->handoff);
        return NULL;
    }
    pa_hub *hub = hub_new(cfg, s, fingerprint);
    pa_service *svc = view_new(hub, hooks);
    pa_handoff_set_wake(hub->cfg.handoff, wake_all, hub);
    if (cfg->reload_poll_ms > 0)
        start_reloader(hub);
    return svc;
}

pa_service *pa_service_add_worker(pa_service *svc, const pa_service_hooks *hooks)
{
    return view_new(svc->hub, hooks);
}

unsigned pa_service_worker_index(const pa_service *svc)
{
    return svc->index;
}

void pa_service_free(pa_service *svc)
{
    if (!svc)
        return;
    pa_hub *hub = svc->hub;
    pthread_mutex_lock(&hub->views_lock);
    size_t i = 0;
    while (i < hub->n_views && hub->views[i] != svc)
        i++;
    if (i < hub->n_views) { /* the others keep their numbers: they are the metrics' labels */
        memmove(&hub->views[i], &hub->views[i + 1], (hub->n_views - i - 1) * sizeof *hub->views);
        hub->n_views--;
    }
    int last = hub->n_views == 0;
    pthread_mutex_unlock(&hub->views_lock);
    if (last) {
        pa_handoff_stop(hub->cfg.handoff);
        hub->cfg.handoff = NULL;
        pa_reloader_stop(hub->reloader);
        hub->reloader = NULL;
    }
    pthread_mutex_lock(&hub->lock);
    pa_snapshot *gone = let_go(svc->held);
    pthread_mutex_unlock(&hub->lock);
    retire(hub, gone);
    free(svc);
    if (last)
        hub_free(hub);
}

const pa_snapshot *pa_service_snapshot(const pa_service *svc)
{
    return served(svc);
}

pa_events *pa_service_events(const pa_service *svc)
{
    return svc->hub->cfg.events;
}

/* ---- admission ------------------------------------------------------------ */

/* With the hub's lock held. */
static pa_refusal refuse_locked(pa_hub *hub, pa_refusal r)
{
    hub->m.refused[r]++;
    return r;
}

static pa_refusal refuse(pa_service *svc, pa_refusal r)
{
    pthread_mutex_lock(&svc->hub->lock);
    refuse_locked(svc->hub, r);
    pthread_mutex_unlock(&svc->hub->lock);
    return r;
}

/* The peer's entry, held, or a refusal; with the hub's lock held. The
 * check and the count are one step, so that workers accepting at once
 * cannot both take an address' last place. */
static pa_refusal admit_locked(pa_hub *hub, const pa_addr *a, pa_peer **entry, int64_t now_us)
{
    if (hub->cfg.max_sockets && hub->sockets >= hub->cfg.max_sockets)
        return refuse_locked(hub, PA_REFUSE_MAX_CONNECTIONS);
    if (a) {
        char key[PA_ADDR_TEXT_MAX];
        pa_addr_key(a, hub->cfg.ipv6_prefix, key);
        pa_peer *p = pa_peers_find(hub->peers, key);
        if (hub->cfg.max_per_address && p && p->sockets >= hub->cfg.max_per_address)
            return refuse_locked(hub, PA_REFUSE_PER_ADDRESS);
        p = pa_peers_hold(hub->peers, key, now_us);
        if (!p)
            return refuse_locked(hub, PA_REFUSE_MAX_CONNECTIONS);
        p->sockets++;
        *entry = p;
    }
    hub->sockets++;
    return PA_ADMIT;
}

pa_refusal pa_service_accept(pa_service *svc, const struct sockaddr *peer, pa_peer **entry,
                             int64_t now_us)
{
    pa_hub *hub = svc->hub;
    svc->now_us = now_us;
    *entry = NULL;
    pa_addr a;
    int counted = pa_addr_from_sockaddr(peer, &a) == 0 && !pa_cidr_list_contains(&hub->trusted, &a);
    pthread_mutex_lock(&hub->lock);
    pa_refusal r = admit_locked(hub, counted ? &a : NULL, entry, now_us);
    pthread_mutex_unlock(&hub->lock);
    return r;
}

void pa_service_socket_closed(pa_service *svc, pa_peer *entry, int64_t now_us)
{
    pa_hub *hub = svc->hub;
    svc->now_us = now_us;
    pthread_mutex_lock(&hub->lock);
    hub->sockets--;
    if (entry) {
        entry->sockets--;
        pa_peers_release(hub->peers, entry, now_us);
    }
    pthread_mutex_unlock(&hub->lock);
}

/* The key of the client behind an upgrade: the peer, or whom a trusted
 * proxy names. Returns -1 when the peer's family is not IP (tests' sockets). */
static int client_key(const pa_hub *hub, const pa_upgrade *u, char key[PA_ADDR_TEXT_MAX])
{
    pa_addr peer, client;
    if (!u->peer || pa_addr_from_sockaddr(u->peer, &peer) != 0)
        return -1;
    const char *header =
        hub->cfg.forwarded == PA_FORWARDED_RFC7239 ? u->forwarded : u->x_forwarded_for;
    if (pa_addr_client(&peer, &hub->trusted, hub->cfg.forwarded, header, &client) != 0)
        pa_log("passerelle: a trusted proxy sent no usable %s header; counting its client as "
               "the proxy",
               hub->cfg.forwarded == PA_FORWARDED_RFC7239 ? "Forwarded" : "X-Forwarded-For");
    pa_addr_key(&client, hub->cfg.ipv6_prefix, key);
    return 0;
}

pa_refusal pa_service_upgrade(pa_service *svc, const pa_upgrade *u)
{
    pa_hub *hub = svc->hub;
    if (svc->stopping)
        return refuse(svc, PA_REFUSE_STOPPING);
    if (!pa_origin_allowed(&hub->origins, u->origin, u->host))
        return refuse(svc, PA_REFUSE_ORIGIN);
    char key[PA_ADDR_TEXT_MAX];
    pa_refusal r = PA_ADMIT;
    if (hub->cfg.max_per_address && client_key(hub, u, key) == 0) {
        pthread_mutex_lock(&hub->lock);
        const pa_peer *p = pa_peers_find(hub->peers, key);
        if (p && p->websockets >= hub->cfg.max_per_address)
            r = refuse_locked(hub, PA_REFUSE_PER_ADDRESS);
        pthread_mutex_unlock(&hub->lock);
    }
    return r;
}

void pa_service_count_refusal(pa_service *svc, pa_refusal r)
{
    if (r > PA_ADMIT && r < PA_REFUSAL_END)
        refuse(svc, r);
}

void pa_service_count_close(pa_service *svc, pa_close_reason r)
{
    if (r < 0 || r >= PA_CLOSE_END)
        return;
    pthread_mutex_lock(&svc->hub->lock);
    svc->hub->m.closed[r]++;
    pthread_mutex_unlock(&svc->hub->lock);
}

void pa_service_count_accept_failure(pa_service *svc)
{
    pthread_mutex_lock(&svc->hub->lock);
    svc->hub->m.accept_failures++;
    pthread_mutex_unlock(&svc->hub->lock);
}

size_t pa_service_sockets(const pa_service *svc)
{
    pthread_mutex_lock(&svc->hub->lock);
    size_t n = svc->hub->sockets;
    pthread_mutex_unlock(&svc->hub->lock);
    return n;
}

/* ---- conversations -------------------------------------------------------- */

char *pa_service_open(pa_service *svc, pa_conn *conn, const char *lang_code, int64_t now_us)
{
    pa_hub *hub = svc->hub;
    svc->now_us = now_us;
    memset(conn, 0, sizeof *conn);
    pa_session_init(&conn->dialog);
    pa_rate_start(&conn->rate, &hub->cfg.rate, now_us);
    atomic_fetch_add(&svc->connections, 1);
    atomic_fetch_add(&svc->connections_total, 1);
    pthread_mutex_lock(&hub->lock);
    hub->m.connections_total++;
    pthread_mutex_unlock(&hub->lock);
    char *welcome = pa_turn_open(served(svc), &conn->dialog, &hub->cfg.limits, lang_code);
    return pa_handoff_welcome(hub->cfg.handoff, welcome);
}

char *pa_service_open_client(pa_service *svc, pa_conn *conn, const pa_upgrade *u,
                             const char *lang_code, int64_t now_us)
{
    pa_hub *hub = svc->hub;
    char *welcome = pa_service_open(svc, conn, lang_code, now_us);
    char key[PA_ADDR_TEXT_MAX];
    if (client_key(hub, u, key) == 0) {
        pthread_mutex_lock(&hub->lock);
        conn->client = pa_peers_hold(hub->peers, key, now_us);
        if (conn->client)
            conn->client->websockets++;
        pthread_mutex_unlock(&hub->lock);
    }
    return welcome;
}

/* ---- the staff event log ------------------------------------------------- */

/* Two decimals, as in the frames: finer digits would promise a precision
 * the score lacks. */
static json_t *score_json(double score)
{
    return json_real((double)(long)(score * 100 + 0.5) / 100);
}

static json_t *intent_json(const pa_snapshot *s, int intent)
{
    return intent >= 0 ? json_string(s->k.intents[intent].id) : json_null();
}

/* The intent a question came nearest to, though under the threshold: the
 * best-ranked one that has an answer (the others hold what the bot must not
 * answer), for staff to see what was almost understood. */
static void add_nearest(const pa_snapshot *s, const pa_match_result *m, json_t *f)
{
    int nearest = -1;
    double score = 0;
    for (size_t i = 0; i < m->n_top && nearest < 0; i++)
        if (!s->k.intents[m->top[i].intent].fallback) {
            nearest = m->top[i].intent;
            score = m->top[i].score;
        }
    json_object_set_new(f, "nearest", intent_json(s, nearest));
    json_object_set_new(f, "score", score_json(score));
}

static json_t *question_text(const pa_turn *t)
{
    return t->request.text ? json_stringn(t->request.text, t->request.text_len) : json_null();
}

/* Fills the fields of a turn's event and returns its name, or NULL when the
 * turn is none of staff's business. What residents typed goes in only
 * for the questions the bot could not answer, and pa_events masks it. */
static const char *turn_event(const pa_snapshot *s, const pa_turn *t, json_t *f)
{
    if (t->request.feedback) {
        json_object_set_new(f, "intent", intent_json(s, t->feedback_intent));
        json_object_set_new(f, "useful", json_boolean(t->request.useful));
        return "feedback";
    }
    switch (t->reply.kind) {
    case PA_REPLY_ANSWER:
        json_object_set_new(f, "intent", intent_json(s, t->reply.intent));
        json_object_set_new(f, "confidence", score_json(t->reply.confidence));
        return "answered";
    case PA_REPLY_FALLBACK:
        json_object_set_new(f, "text", question_text(t));
        add_nearest(s, &t->reply.match, f);
        return "unanswered";
    case PA_REPLY_CLARIFY: {
        json_object_set_new(f, "text", question_text(t));
        json_t *choices = json_array();
        for (size_t i = 0; i < t->reply.n_suggestions; i++)
            json_array_append_new(choices, intent_json(s, (int)t->reply.suggestions[i]));
        json_object_set_new(f, "choices", choices);
        return "clarification";
    }
    default: return NULL; /* a question in a language the bot does not speak */
    }
}

/* One event per question and per vote, so that staff see what residents
 * ask, what the bot could not answer, and what they found useful. */
static void write_event(pa_service *svc, const pa_turn *t)
{
    pa_events *events = svc->hub->cfg.events;
    if (!events || t->error != PA_PROTO_OK || t->request.ping)
        return;
    const pa_snapshot *s = served(svc);
    json_t *f = json_object();
    json_object_set_new(f, "lang", json_string(s->k.locales[t->lang].code));
    const char *event = turn_event(s, t, f);
    if (event)
        pa_events_write(events, event, f);
    json_decref(f);
}

/* The rate limits: the connection's bucket, and its address' when counted. */
/* A context the client brought back: taken when this connection has not
 * asked anything yet (it comes from an earlier connection, maybe to another
 * replica), and only when the token is genuine and fresh. Otherwise the
 * conversation simply starts afresh: the resident never sees an error. */
static void restore_context(pa_service *svc, pa_conn *conn, const char *token)
{
    if (!pa_context_session_is_new(&conn->dialog))
        return;
    pa_hub *hub = svc->hub;
    char text[PA_CONTEXT_TEXT_MAX];
    /* wall-clock time, unlike now_us: the replicas' clocks must agree on it */
    int n = pa_token_open(hub->context_keys, token, time(NULL), hub->cfg.context_ttl_s, text,
                          sizeof text);
    int restored = n >= 0 && pa_context_read(served(svc), text, (size_t)n, &conn->dialog) == 0;
    pthread_mutex_lock(&hub->lock);
    if (restored)
        hub->m.contexts_restored++;
    else
        hub->m.contexts_refused++;
    pthread_mutex_unlock(&hub->lock);
}

/* Every answer carries the conversation's context, sealed, for the client to
 * bring back if its connection moves. */
static void seal_context(pa_service *svc, const pa_conn *conn, pa_turn *t)
{
    if (t->error != PA_PROTO_OK || t->request.ping || t->request.feedback)
        return;
    char text[PA_CONTEXT_TEXT_MAX];
    size_t n = pa_context_write(served(svc), &conn->dialog, text, sizeof text);
    if (n)
        t->context = pa_token_seal(svc->hub->context_keys, text, n, time(NULL));
}

/* The connection's bucket is its worker's own; its address' bucket is
 * shared with the connections of that address on every worker. */
static int may_ask(pa_service *svc, pa_conn *conn, int64_t now_us)
{
    pa_hub *hub = svc->hub;
    if (!conn->client || hub->cfg.address_rate.burst <= 0)
        return pa_rate_take(&conn->rate, &hub->cfg.rate, now_us);
    pthread_mutex_lock(&hub->lock);
    int ok = pa_rate_take_both(&conn->rate, &hub->cfg.rate, &conn->client->rate,
                               &hub->cfg.address_rate, now_us);
    pthread_mutex_unlock(&hub->lock);
    return ok;
}

static void count_error(pa_service *svc, pa_proto_error e, size_t n)
{
    pthread_mutex_lock(&svc->hub->lock);
    svc->hub->m.errors[e] += n;
    pthread_mutex_unlock(&svc->hub->lock);
}

/* A message to staff: answered now when it is refused, else acknowledged
 * once the worker has it on disk (pa_service_poll). */
static char *contact(pa_service *svc, pa_conn *conn, const char *data, size_t len)
{
    pa_proto_error e;
    char *frame = pa_handoff_contact(svc->hub->cfg.handoff, served(svc), &conn->dialog, svc, conn,
                                     &conn->handoff, data, len, &e);
    if (e != PA_PROTO_OK)
        count_error(svc, e, 1);
    return frame;
}

char *pa_service_message(pa_service *svc, pa_conn *conn, const char *data, size_t len,
                         pa_proto_error refused, int64_t now_us)
{
    pa_hub *hub = svc->hub;
    svc->now_us = now_us;
    atomic_fetch_add(&svc->messages, 1);
    pa_turn t;
    pa_turn_read(&hub->cfg.limits, data, len, &t);
    int keepalive = refused == PA_PROTO_OK && t.error == PA_PROTO_OK && t.request.ping;
    if (refused == PA_PROTO_OK && !keepalive && !may_ask(svc, conn, now_us))
        refused = PA_PROTO_RATE_LIMITED;
    if (refused == PA_PROTO_OK && t.error == PA_PROTO_UNKNOWN_TYPE && data &&
        pa_contact_is_frame(data, len)) {
        pa_turn_clear(&t);
        return contact(svc, conn, data, len);
    }
    if (refused == PA_PROTO_OK && t.error == PA_PROTO_OK && t.request.context)
        restore_context(svc, conn, t.request.context);
    /* the turn itself, the costly part, runs without any lock */
    pa_turn_answer(served(svc), &conn->dialog, refused, &t);
    seal_context(svc, conn, &t);
    pthread_mutex_lock(&hub->lock);
    pa_metrics_count_turn(&hub->m, served(svc), &t);
    pthread_mutex_unlock(&hub->lock);
    write_event(svc, &t);
    char *frame = pa_turn_render(served(svc), &t);
    pa_turn_clear(&t);
    return frame;
}

void pa_service_replied(pa_service *svc, double seconds)
{
    pthread_mutex_lock(&svc->hub->lock);
    pa_histogram_observe(&svc->hub->m.reply_seconds, seconds);
    pthread_mutex_unlock(&svc->hub->lock);
}

void pa_service_close(pa_service *svc, pa_conn *conn)
{
    pa_hub *hub = svc->hub;
    atomic_fetch_sub(&svc->connections, 1);
    pa_handoff_forget(hub->cfg.handoff, conn);
    if (conn->client) {
        pthread_mutex_lock(&hub->lock);
        conn->client->websockets--;
        pa_peers_release(hub->peers, conn->client, svc->now_us);
        pthread_mutex_unlock(&hub->lock);
        conn->client = NULL;
    }
}

size_t pa_service_connections(const pa_service *svc)
{
    return atomic_load(&svc->connections);
}

/* Each worker's counts, by worker number; returns how many workers. */
static size_t worker_counts(pa_hub *hub, pa_metrics_worker *out)
{
    pthread_mutex_lock(&hub->views_lock);
    size_t n = hub->n_views;
    for (size_t i = 0; i < n; i++) {
        const pa_service *v = hub->views[i];
        out[i] = (pa_metrics_worker){.index = v->index,
                                     .connections = atomic_load(&v->connections),
                                     .connections_total = atomic_load(&v->connections_total),
                                     .messages = atomic_load(&v->messages)};
    }
    pthread_mutex_unlock(&hub->views_lock);
    return n;
}

size_t pa_service_connections_all(const pa_service *svc)
{
    pa_hub *hub = svc->hub;
    size_t total = 0;
    pthread_mutex_lock(&hub->views_lock);
    for (size_t i = 0; i < hub->n_views; i++)
        total += atomic_load(&hub->views[i]->connections);
    pthread_mutex_unlock(&hub->views_lock);
    return total;
}

void pa_service_tick(pa_service *svc, int64_t now_us)
{
    svc->now_us = now_us;
    pthread_mutex_lock(&svc->hub->lock);
    pa_peers_sweep(svc->hub->peers, now_us);
    pthread_mutex_unlock(&svc->hub->lock);
}

/* ---- health and metrics --------------------------------------------------- */

static char *iso_time(time_t t, char *buf, size_t size)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

/* The bundle followed at knowledge-url: what the last request did, and why
 * the last bundle refused was refused. */
static json_t *bundle_health(const pa_fetcher *f)
{
    pa_fetcher_status st;
    pa_fetcher_status_get(f, &st);
    char last[32], updated[32];
    json_t *errors = json_array();
    for (size_t i = 0; i < st.n_errors; i++)
        json_array_append_new(errors, json_string(st.errors[i]));
    json_t *o = json_pack("{s:s, s:s, s:s, s:o}", "url", pa_fetcher_url(f), "last",
                          pa_fetch_result_name(st.last), "at",
                          iso_time(st.last_at, last, sizeof last), "errors", errors);
    if (st.error[0])
        json_object_set_new(o, "error", json_string(st.error));
    json_object_set_new(o, "updated_at",
                        st.updated_at
                            ? json_string(iso_time(st.updated_at, updated, sizeof updated))
                            : json_null());
    if (st.etag[0])
        json_object_set_new(o, "etag", json_string(st.etag));
    return o;
}

char *pa_service_health(const pa_service *svc)
{
    char loaded[32], at[32];
    pa_hub *hub = svc->hub;
    size_t connections = pa_service_connections_all(svc);
    /* under the lock: the snapshot installed stays while it is held */
    pthread_mutex_lock(&hub->lock);
    const pa_snapshot *s = hub->current->snapshot;
    json_t *errors = json_array();
    for (size_t i = 0; i < hub->reload_report_count; i++)
        json_array_append_new(errors, json_string(hub->reload_report[i]));
    json_t *langs = json_array();
    for (size_t l = 0; l < s->k.n_locales; l++)
        json_array_append_new(langs, json_string(s->k.locales[l].code));
    json_t *o = json_pack(
        "{s:s, s:s, s:{s:s, s:i, s:o, s:s}, s:{s:b, s:s, s:o}, s:i}", "status",
        svc->stopping ? "stopping" : "ok", "program_version", hub->cfg.version, "knowledge",
        "version", s->k.version, "intents", (int)s->k.n_answerable, "languages", langs, "loaded_at",
        iso_time(hub->loaded_at, loaded, sizeof loaded), "last_reload", "ok", hub->reload_ok, "at",
        iso_time(hub->reload_at, at, sizeof at), "errors", errors, "connections", (int)connections);
    pthread_mutex_unlock(&hub->lock);
    if (hub->cfg.fetcher)
        json_object_set_new(o, "bundle", bundle_health(hub->cfg.fetcher));
    if (hub->cfg.handoff)
        json_object_set_new(o, "handoff", pa_handoff_health(hub->cfg.handoff));
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return text;
}

char *pa_service_metrics(const pa_service *svc)
{
    pa_hub *hub = svc->hub;
    pa_fetcher_status bundle;
    pa_metrics_worker *workers = pa_xmalloc(PA_WORKERS_MAX * sizeof *workers);
    pa_metrics_info info = {.program_version = hub->cfg.version,
                            .log_dropped = pa_log_dropped(),
                            .workers = workers,
                            .n_workers = worker_counts(hub, workers)};
    for (size_t i = 0; i < info.n_workers; i++)
        info.connections += workers[i].connections;
    if (hub->cfg.fetcher) {
        pa_fetcher_status_get(hub->cfg.fetcher, &bundle);
        info.bundle = &bundle;
    }
    pthread_mutex_lock(&hub->lock);
    info.knowledge_version = hub->current->snapshot->k.version;
    info.sockets = hub->sockets;
    info.addresses = pa_peers_count(hub->peers);
    char *text = pa_metrics_text(&hub->m, &info);
    pthread_mutex_unlock(&hub->lock);
    free(workers);
    char *handoff = pa_handoff_metrics(hub->cfg.handoff);
    size_t a = strlen(text), b = strlen(handoff);
    text = pa_xrealloc(text, a + b + 1);
    memcpy(text + a, handoff, b + 1);
    free(handoff);
    return text;
}

/* ---- reloads and requests from other threads ----------------------------- */

/* The problem as /healthz shows it: its file relative to the knowledge
 * folders ("intents/partner/sopot.json:4:11: ..."), the server's own paths
 * being nobody's business. */
static void relative_line(const pa_hub *hub, const char *line, char *out, size_t size)
{
    const char *dirs[2] = {hub->cfg.intents_dir, hub->cfg.locales_dir};
    const char *names[2] = {"intents", "locales"};
    for (int i = 0; i < 2; i++) {
        size_t n = strlen(dirs[i]);
        if (!strncmp(line, dirs[i], n) && line[n] == '/') {
            snprintf(out, size, "%s%s", names[i], line + n);
            return;
        }
    }
    const char *slash = strrchr(line, '/'); /* elsewhere: the file's name only */
    snprintf(out, size, "%s", slash ? slash + 1 : line);
}

/* Keeps the errors of a reload for /healthz, and logs them. With the
 * hub's lock held. */
static void report_reload(pa_hub *hub, const pa_diag *diag)
{
    hub->reload_report_count = 0;
    for (size_t i = 0; i < diag->count && hub->reload_report_count < PA_RELOAD_REPORT_MAX; i++) {
        if (diag->items[i].severity != PA_DIAG_ERROR)
            continue;
        char line[sizeof hub->reload_report[0]];
        pa_diag_format(&diag->items[i], hub->cfg.catalog, line, sizeof line);
        pa_log("passerelle: reload: %s", line);
        relative_line(hub, line, hub->reload_report[hub->reload_report_count++],
                      sizeof hub->reload_report[0]);
    }
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Installs a build, or records why it cannot be, with the hub's lock held.
 * Returns the snapshot the hub let go of when nobody else held it. */
static pa_snapshot *install_locked(pa_hub *hub, pa_reload_result *r)
{
    hub->fingerprint = r->fingerprint;
    hub->reload_at = r->at;
    report_reload(hub, &r->diag);
    hub->reload_ok = r->snapshot != NULL;
    pa_histogram_observe(&hub->m.reload_seconds, r->seconds);
    if (!r->snapshot) {
        hub->m.reloads_failed++;
        pa_log("passerelle: reload failed; still serving knowledge %s",
               hub->current->snapshot->k.version);
        return NULL;
    }
    size_t shared = pa_index_reused(r->snapshot->index);
    hub->m.reload_languages_shared += shared;
    hub->m.reload_languages_built += r->snapshot->k.n_locales - shared;
    pa_snapshot *gone = let_go(hub->current);
    hub->current = hold_new(r->snapshot);
    r->snapshot = NULL;
    atomic_fetch_add(&hub->generation, 1);
    hub->loaded_at = hub->reload_at;
    hub->m.reloads_ok++;
    return gone;
}

/* Puts a build in service for this worker, or reports why it cannot be,
 * then wakes the other workers to move to it (pa_service_poll). The worker
 * that installs lets go of its snapshot at once; the others when they poll,
 * each between two turns, so no turn reads a snapshot freed under it. The
 * last to let go retires it to the reload thread (pa_reloader_retire says
 * why), or frees it when there is none. */
static void install(pa_service *svc, pa_reload_result *r)
{
    pa_hub *hub = svc->hub;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pthread_mutex_lock(&hub->lock);
    pa_snapshot *gone = install_locked(hub, r);
    int ok = hub->reload_ok;
    pthread_mutex_unlock(&hub->lock);
    double seconds = r->seconds;
    pa_reload_result_clear(r);
    retire(hub, gone);
    follow(svc);
    pthread_mutex_lock(&hub->lock);
    pa_histogram_observe(&hub->m.swap_seconds, seconds_since(&t0));
    pthread_mutex_unlock(&hub->lock);
    if (ok) {
        pa_log("passerelle: reloaded knowledge %s (%zu intents) in %.3f s", served(svc)->k.version,
               served(svc)->k.n_answerable, seconds);
        wake_workers(hub, svc);
    }
}

void pa_service_reload(pa_service *svc, int forced)
{
    const pa_service_config *cfg = &svc->hub->cfg;
    pa_hub *hub = svc->hub;
    pthread_mutex_lock(&hub->lock);
    uint64_t loaded = hub->fingerprint;
    held_snapshot *in_service = hub->current; /* held while its languages are */
    in_service->holders++;
    pthread_mutex_unlock(&hub->lock);
    pa_index *reuse = NULL;
    if (forced || pa_reload_fingerprint(cfg->intents_dir, cfg->locales_dir) != loaded)
        reuse = pa_index_languages(in_service->snapshot->index);
    pthread_mutex_lock(&hub->lock);
    pa_snapshot *gone = let_go(in_service);
    pthread_mutex_unlock(&hub->lock);
    retire(hub, gone);
    if (!reuse)
        return;
    pa_reload_result r;
    pa_reload_build(cfg->intents_dir, cfg->locales_dir, reuse, &r);
    pa_index_free(reuse);
    install(svc, &r);
}

void pa_service_request_reload(pa_service *svc)
{
    pa_hub *hub = svc->hub;
    if (hub->reloader) {
        pa_reloader_force(hub->reloader); /* wakes the workers once built */
        return;
    }
    atomic_store(&hub->reload_requested, 1);
    wake_workers(hub, NULL); /* the first to poll builds */
}

void pa_service_request_stop(pa_service *svc)
{
    atomic_store(&svc->hub->stop_requested, 1);
    wake_workers(svc->hub, NULL);
}

/* An acknowledgement the handoff worker made ready, to its connection. */
static void send_later(void *user, void *conn, char *frame)
{
    pa_service *svc = user;
    if (svc->hooks.send)
        svc->hooks.send(svc->hooks.user, conn, frame);
    else
        free(frame);
}

int pa_service_poll(pa_service *svc)
{
    pa_hub *hub = svc->hub;
    size_t refused = pa_handoff_poll(hub->cfg.handoff, served(svc), svc, send_later, svc);
    if (refused)
        count_error(svc, PA_PROTO_CONTACT_UNAVAILABLE, refused);
    pa_reload_result r;
    if (hub->reloader && pa_reloader_take(hub->reloader, &r))
        install(svc, &r);
    if (atomic_exchange(&hub->reload_requested, 0))
        pa_service_reload(svc, 1);
    follow(svc); /* another worker installed it */
    if (atomic_load(&hub->stop_requested) && !svc->stopping) {
        svc->stopping = 1;
        return 1;
    }
    return 0;
}

int pa_service_stopping(const pa_service *svc)
{
    return svc->stopping;
}

void pa_service_stop_handoff(pa_service *svc)
{
    pa_handoff_stop(svc->hub->cfg.handoff);
    svc->hub->cfg.handoff = NULL;
}

void pa_service_stop_reloader(pa_service *svc)
{
    pa_reloader_stop(svc->hub->reloader);
    svc->hub->reloader = NULL;
}

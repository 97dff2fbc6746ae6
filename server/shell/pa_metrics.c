#include "pa_metrics.h"

#include "pa_alloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name;
    int status;
} refusals[PA_REFUSAL_END] = {[PA_ADMIT] = {"", 200},
#define PA_X(sym, name, status) [PA_REFUSE_##sym] = {name, status},
                              PA_REFUSALS(PA_X)
#undef PA_X
};

static const char *const close_names[PA_CLOSE_END] = {
#define PA_X(sym, name) [PA_CLOSE_##sym] = name,
    PA_CLOSES(PA_X)
#undef PA_X
};

const char *pa_refusal_name(pa_refusal r)
{
    return r >= 0 && r < PA_REFUSAL_END ? refusals[r].name : "";
}

int pa_refusal_status(pa_refusal r)
{
    return r >= 0 && r < PA_REFUSAL_END ? refusals[r].status : 500;
}

const char *pa_close_name(pa_close_reason r)
{
    return r >= 0 && r < PA_CLOSE_END ? close_names[r] : "";
}

/* Upper bounds in seconds: a reply takes about a millisecond, a reload about
 * half a second, and the service thread's share of one well under 5 ms. */
static const double reply_bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                      0.05,   0.1,   0.25,   0.5,   1,    2.5};
static const double reload_bounds[] = {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
static const double swap_bounds[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05};

#define COUNT_OF(a) (sizeof(a) / sizeof *(a))

void pa_histogram_init(pa_histogram *h, const double *bounds, size_t n)
{
    memset(h, 0, sizeof *h);
    h->bounds = bounds;
    h->n_bounds = n < PA_HISTOGRAM_BOUNDS_MAX ? n : PA_HISTOGRAM_BOUNDS_MAX;
}

void pa_histogram_observe(pa_histogram *h, double value)
{
    size_t i = 0;
    while (i < h->n_bounds && value > h->bounds[i])
        i++;
    h->counts[i]++;
    h->sum += value;
    h->count++;
}

void pa_metrics_init(pa_metrics *m)
{
    memset(m, 0, sizeof *m);
    pa_map_init(&m->intent_index);
    pa_map_init(&m->feedback_index);
    pa_histogram_init(&m->reply_seconds, reply_bounds, COUNT_OF(reply_bounds));
    pa_histogram_init(&m->reload_seconds, reload_bounds, COUNT_OF(reload_bounds));
    pa_histogram_init(&m->swap_seconds, swap_bounds, COUNT_OF(swap_bounds));
}

void pa_metrics_clear(pa_metrics *m)
{
    pa_map_clear(&m->intent_index);
    for (size_t i = 0; i < m->n_intents; i++)
        free(m->intent_ids[i]);
    free(m->intent_ids);
    free(m->intent_answers);
    pa_map_clear(&m->feedback_index);
    for (size_t i = 0; i < m->n_feedback; i++)
        free(m->feedback[i].key);
    free(m->feedback);
    memset(m, 0, sizeof *m);
}

static void count_question(pa_metrics *m, const char *code)
{
    for (size_t i = 0; i < PA_LANG_MAX; i++) {
        pa_lang_counter *c = &m->langs[i];
        if (!c->code[0])
            snprintf(c->code, sizeof c->code, "%s", code);
        if (!strcmp(c->code, code)) {
            c->questions++;
            return;
        }
    }
}

static void count_intent(pa_metrics *m, const char *id)
{
    long i = pa_map_get(&m->intent_index, id, -1);
    if (i < 0 && m->n_intents == PA_METRICS_INTENTS_MAX) {
        m->other_intent_answers++;
        return;
    }
    if (i < 0) {
        i = (long)m->n_intents++;
        m->intent_ids = pa_xrealloc(m->intent_ids, m->n_intents * sizeof *m->intent_ids);
        m->intent_answers =
            pa_xrealloc(m->intent_answers, m->n_intents * sizeof *m->intent_answers);
        m->intent_ids[i] = pa_xstrdup(id);
        m->intent_answers[i] = 0;
        pa_map_put(&m->intent_index, m->intent_ids[i], i);
    }
    m->intent_answers[i]++;
}

static void count_feedback(pa_metrics *m, const char *intent, const char *lang, int useful)
{
    char key[PA_INTENT_ID_MAX + PA_LANG_CODE_MAX + 2];
    snprintf(key, sizeof key, "%s\t%s", intent, lang);
    long i = pa_map_get(&m->feedback_index, key, -1);
    if (i < 0 && m->n_feedback == PA_METRICS_FEEDBACK_MAX) {
        m->other_feedback[useful != 0]++;
        return;
    }
    if (i < 0) {
        i = (long)m->n_feedback++;
        m->feedback = pa_xrealloc(m->feedback, m->n_feedback * sizeof *m->feedback);
        pa_feedback_counter *c = &m->feedback[i];
        memset(c, 0, sizeof *c);
        c->key = pa_xstrdup(key);
        snprintf(c->lang, sizeof c->lang, "%s", lang);
        pa_map_put(&m->feedback_index, c->key, i);
    }
    m->feedback[i].votes[useful != 0]++;
}

void pa_metrics_count_turn(pa_metrics *m, const pa_snapshot *s, const pa_turn *t)
{
    if (t->error != PA_PROTO_OK) {
        m->errors[t->error]++;
        return;
    }
    if (t->request.ping) {
        m->pings++;
        return;
    }
    if (t->request.feedback) {
        count_feedback(m, s->k.intents[t->feedback_intent].id, s->k.locales[t->lang].code,
                       t->request.useful);
        return;
    }
    m->questions++;
    count_question(m, s->k.locales[t->reply.lang].code);
    if (t->reply.kind < PA_REPLY_KIND_END)
        m->replies[t->reply.kind]++;
    if (t->reply.intent >= 0)
        count_intent(m, s->k.intents[t->reply.intent].id);
}

/* ---- the text ------------------------------------------------------------- */

/* A growing string. */
typedef struct {
    char *text;
    size_t len, cap;
} buf;

__attribute__((format(printf, 2, 3))) static void append(buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->text ? b->text + b->len : NULL, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n < 0)
        pa_out_of_memory(strlen(fmt));
    if (b->len + (size_t)n + 1 > b->cap) {
        while (b->len + (size_t)n + 1 > b->cap)
            b->cap = b->cap ? b->cap * 2 : 4096;
        b->text = pa_xrealloc(b->text, b->cap);
        va_start(ap, fmt);
        vsnprintf(b->text + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
    }
    b->len += (size_t)n;
}

static void family(buf *b, const char *name, const char *type, const char *help)
{
    append(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void histogram(buf *b, const char *name, const char *help, const pa_histogram *h)
{
    family(b, name, "histogram", help);
    uint64_t cumulative = 0;
    for (size_t i = 0; i < h->n_bounds; i++) {
        cumulative += h->counts[i];
        append(b, "%s_bucket{le=\"%g\"} %llu\n", name, h->bounds[i],
               (unsigned long long)cumulative);
    }
    append(b, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.6f\n%s_count %llu\n", name,
           (unsigned long long)h->count, name, h->sum, name, (unsigned long long)h->count);
}

static void connections(buf *b, const pa_metrics *m, const pa_metrics_info *info)
{
    family(b, "passerelle_connections", "gauge", "Open WebSocket connections.");
    append(b, "passerelle_connections %zu\n", info->connections);
    family(b, "passerelle_sockets", "gauge",
           "Open TCP connections on the public listener (HTTP and WebSocket).");
    append(b, "passerelle_sockets %zu\n", info->sockets);
    family(b, "passerelle_client_addresses", "gauge",
           "Client addresses the per-address limits keep track of.");
    append(b, "passerelle_client_addresses %zu\n", info->addresses);
    family(b, "passerelle_connections_total", "counter", "WebSocket connections accepted.");
    append(b, "passerelle_connections_total %lu\n", m->connections_total);
    family(b, "passerelle_connections_refused_total", "counter",
           "Connections and WebSocket upgrades refused, by reason.");
    for (int r = PA_ADMIT + 1; r < PA_REFUSAL_END; r++)
        append(b, "passerelle_connections_refused_total{reason=\"%s\"} %lu\n", pa_refusal_name(r),
               m->refused[r]);
    family(b, "passerelle_connections_closed_total", "counter",
           "Connections the server closed itself, by reason.");
    for (int r = 0; r < PA_CLOSE_END; r++)
        append(b, "passerelle_connections_closed_total{reason=\"%s\"} %lu\n", pa_close_name(r),
               m->closed[r]);
    family(b, "passerelle_accept_failures_total", "counter",
           "Failed accepts (out of file descriptors, mostly); accepting pauses after each.");
    append(b, "passerelle_accept_failures_total %lu\n", m->accept_failures);
}

/* The votes: both values of useful for every (intent, language) voted on. */
static void feedback(buf *b, const pa_metrics *m)
{
    family(b, "passerelle_feedback_total", "counter",
           "Residents' votes on answers (useful or not), by intent and language.");
    for (size_t i = 0; i < m->n_feedback; i++) {
        const pa_feedback_counter *c = &m->feedback[i];
        int intent_len = (int)strcspn(c->key, "\t");
        for (int useful = 1; useful >= 0; useful--)
            append(b, "passerelle_feedback_total{intent=\"%.*s\",lang=\"%s\",useful=\"%s\"} %lu\n",
                   intent_len, c->key, c->lang, useful ? "yes" : "no", c->votes[useful]);
    }
    for (int useful = 1; useful >= 0; useful--)
        if (m->other_feedback[0] + m->other_feedback[1])
            append(b,
                   "passerelle_feedback_total{intent=\"other\",lang=\"other\",useful=\"%s\"} %lu\n",
                   useful ? "yes" : "no", m->other_feedback[useful]);
}

static void questions(buf *b, const pa_metrics *m)
{
    family(b, "passerelle_questions_total", "counter", "Questions answered, by reply language.");
    for (size_t i = 0; i < PA_LANG_MAX && m->langs[i].code[0]; i++)
        append(b, "passerelle_questions_total{lang=\"%s\"} %lu\n", m->langs[i].code,
               m->langs[i].questions);
    family(b, "passerelle_replies_total", "counter", "Replies by kind.");
    for (int k = 0; k < PA_REPLY_KIND_END; k++)
        append(b, "passerelle_replies_total{kind=\"%s\"} %lu\n", pa_reply_kind_name(k),
               m->replies[k]);
    family(b, "passerelle_answers_total", "counter",
           "Replies that gave an intent's answer, by intent.");
    for (size_t i = 0; i < m->n_intents; i++)
        append(b, "passerelle_answers_total{intent=\"%s\"} %lu\n", m->intent_ids[i],
               m->intent_answers[i]);
    if (m->other_intent_answers)
        append(b, "passerelle_answers_total{intent=\"other\"} %lu\n", m->other_intent_answers);
    family(b, "passerelle_protocol_errors_total", "counter", "Error frames sent, by code.");
    for (int c = PA_PROTO_FIRST_ERROR; c < PA_PROTO_END; c++)
        append(b, "passerelle_protocol_errors_total{code=\"%s\"} %lu\n", pa_protocol_error_name(c),
               m->errors[c]);
    feedback(b, m);
    family(b, "passerelle_pings_total", "counter", "Keep-alive pings answered.");
    append(b, "passerelle_pings_total %lu\n", m->pings);
    family(b, "passerelle_context_tokens_total", "counter",
           "Conversation contexts clients brought back on a new connection, by result.");
    append(b, "passerelle_context_tokens_total{result=\"restored\"} %lu\n", m->contexts_restored);
    append(b, "passerelle_context_tokens_total{result=\"refused\"} %lu\n", m->contexts_refused);
    histogram(b, "passerelle_reply_seconds",
              "Time from a message received to its reply written to the socket.",
              &m->reply_seconds);
}

static void reloads(buf *b, const pa_metrics *m, const pa_metrics_info *info)
{
    family(b, "passerelle_reloads_total", "counter", "Knowledge reloads, by result.");
    append(b,
           "passerelle_reloads_total{result=\"ok\"} %lu\n"
           "passerelle_reloads_total{result=\"failed\"} %lu\n",
           m->reloads_ok, m->reloads_failed);
    family(b, "passerelle_reload_languages_total", "counter",
           "Languages of the matching index reloads built, or shared with the knowledge in "
           "service because the edit did not touch them.");
    append(b,
           "passerelle_reload_languages_total{result=\"built\"} %lu\n"
           "passerelle_reload_languages_total{result=\"shared\"} %lu\n",
           m->reload_languages_built, m->reload_languages_shared);
    histogram(b, "passerelle_reload_seconds",
              "Time to read and build the knowledge on a reload (on the reload thread).",
              &m->reload_seconds);
    histogram(b, "passerelle_reload_swap_seconds",
              "Time the service thread spent installing a reload (swap, free, report).",
              &m->swap_seconds);
    family(b, "passerelle_log_lines_dropped_total", "counter",
           "Log lines dropped by the log rate limit.");
    append(b, "passerelle_log_lines_dropped_total %llu\n", (unsigned long long)info->log_dropped);
}

/* Each worker's share, to see the kernel spread connections over them;
 * the families above are the process' totals. */
static void workers(buf *b, const pa_metrics_info *info)
{
    family(b, "passerelle_workers", "gauge", "Service threads (setting workers).");
    append(b, "passerelle_workers %zu\n", info->n_workers);
    family(b, "passerelle_worker_connections", "gauge", "Open WebSocket connections, by worker.");
    for (size_t i = 0; i < info->n_workers; i++)
        append(b, "passerelle_worker_connections{worker=\"%u\"} %zu\n", info->workers[i].index,
               info->workers[i].connections);
    family(b, "passerelle_worker_connections_total", "counter",
           "WebSocket connections accepted, by worker.");
    for (size_t i = 0; i < info->n_workers; i++)
        append(b, "passerelle_worker_connections_total{worker=\"%u\"} %lu\n",
               info->workers[i].index, info->workers[i].connections_total);
    family(b, "passerelle_worker_messages_total", "counter",
           "WebSocket messages handled (questions, pings, votes...), by worker.");
    for (size_t i = 0; i < info->n_workers; i++)
        append(b, "passerelle_worker_messages_total{worker=\"%u\"} %lu\n", info->workers[i].index,
               info->workers[i].messages);
}

/* The knowledge bundle followed at knowledge-url. */
static void bundle(buf *b, const pa_fetcher_status *st)
{
    family(b, "passerelle_bundle_fetches_total", "counter",
           "Requests for the knowledge bundle, by result: updated, not_modified, failed "
           "(network, TLS, HTTP status), rejected (the bundle has errors).");
    for (int r = PA_FETCH_UPDATED; r < PA_FETCH_RESULT_END; r++)
        append(b, "passerelle_bundle_fetches_total{result=\"%s\"} %lu\n", pa_fetch_result_name(r),
               st->count[r]);
    family(b, "passerelle_bundle_ok", "gauge",
           "1 when the last request for the bundle succeeded (updated or not modified).");
    append(b, "passerelle_bundle_ok %d\n",
           st->last == PA_FETCH_UPDATED || st->last == PA_FETCH_NOT_MODIFIED);
    family(b, "passerelle_bundle_updated_timestamp_seconds", "gauge",
           "When this process last installed a new bundle (0: not since it started).");
    append(b, "passerelle_bundle_updated_timestamp_seconds %lld\n", (long long)st->updated_at);
}

char *pa_metrics_text(const pa_metrics *m, const pa_metrics_info *info)
{
    buf b = {0};
    family(&b, "passerelle_info", "gauge", "Program and knowledge versions.");
    append(&b, "passerelle_info{version=\"%s\",knowledge=\"%s\"} 1\n", info->program_version,
           info->knowledge_version);
    connections(&b, m, info);
    questions(&b, m);
    reloads(&b, m, info);
    if (info->n_workers)
        workers(&b, info);
    if (info->bundle)
        bundle(&b, info->bundle);
    return b.text;
}

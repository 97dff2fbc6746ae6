#include "pa_service.h"

#include "pa_alloc.h"
#include "pa_reload.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { PA_RELOAD_REPORT_MAX = 20 }; /* problems of a failed reload shown in /healthz */

struct pa_service {
    pa_service_config cfg;
    pa_service_hooks hooks;
    pa_snapshot *snapshot;
    uint64_t fingerprint;
    time_t loaded_at, reload_at;
    int reload_ok;
    char reload_report[PA_RELOAD_REPORT_MAX][PA_DIAG_SOURCE_MAX + PA_DIAG_TEXT_MAX + 32];
    size_t reload_report_count;
    atomic_int stop_requested, reload_requested;
    int stopping;
    size_t connections;
    pa_metrics m;
};

pa_service *pa_service_new(const pa_service_config *cfg, const pa_service_hooks *hooks,
                           pa_diag *diag)
{
    uint64_t fingerprint = pa_reload_fingerprint(cfg->intents_dir, cfg->locales_dir);
    pa_snapshot *s = pa_snapshot_load(cfg->intents_dir, cfg->locales_dir, diag);
    if (!s)
        return NULL;
    pa_service *svc = pa_xcalloc(1, sizeof *svc);
    svc->cfg = *cfg;
    if (hooks)
        svc->hooks = *hooks;
    svc->snapshot = s;
    svc->fingerprint = fingerprint;
    svc->loaded_at = svc->reload_at = time(NULL);
    svc->reload_ok = 1;
    return svc;
}

void pa_service_free(pa_service *svc)
{
    if (!svc)
        return;
    pa_snapshot_free(svc->snapshot);
    free(svc);
}

const pa_snapshot *pa_service_snapshot(const pa_service *svc)
{
    return svc->snapshot;
}

/* ---- connections ---------------------------------------------------------- */

char *pa_service_open(pa_service *svc, pa_conn *conn, const char *lang_code, int64_t now_us)
{
    pa_session_init(&conn->dialog);
    pa_rate_start(&conn->rate, &svc->cfg.rate, now_us);
    svc->connections++;
    svc->m.connections_total++;
    return pa_turn_welcome(svc->snapshot, &conn->dialog, lang_code);
}

/* Questions the knowledge could not answer go to the log, one JSON line
 * each, so that staff can see what residents ask and add it. */
static void log_unanswered(const pa_snapshot *s, const pa_turn *t)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:f}", "event", "unanswered", "lang",
                          s->k.locales[t->reply.lang].code, "text", t->request.text, "confidence",
                          t->reply.confidence);
    char *line = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
    fprintf(stderr, "%s\n", line);
    free(line);
    json_decref(o);
}

char *pa_service_message(pa_service *svc, pa_conn *conn, const char *data, size_t len,
                         pa_proto_error refused, int64_t now_us)
{
    if (refused == PA_PROTO_OK && !pa_rate_take(&conn->rate, &svc->cfg.rate, now_us))
        refused = PA_PROTO_RATE_LIMITED;
    pa_turn t;
    pa_turn_frame(svc->snapshot, &conn->dialog, &svc->cfg.limits, data, len, refused, &t);
    pa_metrics_count_turn(&svc->m, svc->snapshot, &t);
    if (t.error == PA_PROTO_OK && t.reply.kind == PA_REPLY_FALLBACK)
        log_unanswered(svc->snapshot, &t);
    char *frame = pa_turn_render(svc->snapshot, &t);
    pa_turn_clear(&t);
    return frame;
}

void pa_service_close(pa_service *svc, pa_conn *conn)
{
    (void)conn;
    svc->connections--;
}

size_t pa_service_connections(const pa_service *svc)
{
    return svc->connections;
}

/* ---- health and metrics --------------------------------------------------- */

static char *iso_time(time_t t, char *buf, size_t size)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

char *pa_service_health(const pa_service *svc)
{
    char loaded[32], at[32];
    const pa_snapshot *s = svc->snapshot;
    json_t *errors = json_array();
    for (size_t i = 0; i < svc->reload_report_count; i++)
        json_array_append_new(errors, json_string(svc->reload_report[i]));
    json_t *langs = json_array();
    for (size_t l = 0; l < s->k.n_locales; l++)
        json_array_append_new(langs, json_string(s->k.locales[l].code));
    json_t *o = json_pack("{s:s, s:s, s:{s:s, s:i, s:o, s:s}, s:{s:b, s:s, s:o}, s:i}", "status",
                          svc->stopping ? "stopping" : "ok", "program_version", svc->cfg.version,
                          "knowledge", "version", s->k.version, "intents", (int)s->k.n_answerable,
                          "languages", langs, "loaded_at",
                          iso_time(svc->loaded_at, loaded, sizeof loaded), "last_reload", "ok",
                          svc->reload_ok, "at", iso_time(svc->reload_at, at, sizeof at), "errors",
                          errors, "connections", (int)svc->connections);
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return text;
}

char *pa_service_metrics(const pa_service *svc)
{
    pa_metrics_info info = {svc->cfg.version, svc->snapshot->k.version, svc->connections};
    return pa_metrics_text(&svc->m, &info);
}

/* ---- reloads and requests from other threads ----------------------------- */

/* Keeps the errors of a reload for /healthz, and logs them. */
static void report_reload(pa_service *svc, const pa_diag *diag)
{
    svc->reload_report_count = 0;
    for (size_t i = 0; i < diag->count && svc->reload_report_count < PA_RELOAD_REPORT_MAX; i++) {
        if (diag->items[i].severity != PA_DIAG_ERROR)
            continue;
        char *line = svc->reload_report[svc->reload_report_count++];
        pa_diag_format(&diag->items[i], line, sizeof svc->reload_report[0]);
        fprintf(stderr, "passerelle: reload: %s\n", line);
    }
}

void pa_service_reload(pa_service *svc, int forced)
{
    const pa_service_config *cfg = &svc->cfg;
    uint64_t fp = pa_reload_fingerprint(cfg->intents_dir, cfg->locales_dir);
    if (fp == svc->fingerprint && !forced)
        return;
    svc->fingerprint = fp;
    pa_diag diag;
    pa_diag_init(&diag);
    pa_snapshot *fresh = pa_snapshot_load(cfg->intents_dir, cfg->locales_dir, &diag);
    svc->reload_at = time(NULL);
    report_reload(svc, &diag);
    pa_diag_clear(&diag);
    svc->reload_ok = fresh != NULL;
    if (!fresh) {
        svc->m.reloads_failed++;
        fprintf(stderr, "passerelle: reload failed; still serving knowledge %s\n",
                svc->snapshot->k.version);
        return;
    }
    /* Messages are handled to completion on this thread, so no turn still
     * holds the old snapshot when it is released here. */
    pa_snapshot_free(svc->snapshot);
    svc->snapshot = fresh;
    svc->loaded_at = svc->reload_at;
    svc->m.reloads_ok++;
    fprintf(stderr, "passerelle: reloaded knowledge %s (%zu intents)\n", fresh->k.version,
            fresh->k.n_answerable);
}

static void wake(pa_service *svc)
{
    if (svc->hooks.wake)
        svc->hooks.wake(svc->hooks.user);
}

void pa_service_request_reload(pa_service *svc)
{
    atomic_store(&svc->reload_requested, 1);
    wake(svc);
}

void pa_service_request_stop(pa_service *svc)
{
    atomic_store(&svc->stop_requested, 1);
    wake(svc);
}

int pa_service_poll(pa_service *svc)
{
    if (atomic_exchange(&svc->reload_requested, 0))
        pa_service_reload(svc, 1);
    if (atomic_load(&svc->stop_requested) && !svc->stopping) {
        svc->stopping = 1;
        return 1;
    }
    return 0;
}

int pa_service_stopping(const pa_service *svc)
{
    return svc->stopping;
}

#include "pa_metrics.h"

#include "pa_alloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

void pa_metrics_count_turn(pa_metrics *m, const pa_snapshot *s, const pa_turn *t)
{
    if (t->error != PA_PROTO_OK) {
        m->errors[t->error]++;
        return;
    }
    m->questions++;
    count_question(m, s->k.locales[t->reply.lang].code);
    if (t->reply.kind == PA_REPLY_ANSWER)
        m->answers++;
    else if (t->reply.kind == PA_REPLY_CLARIFY)
        m->clarifications++;
    else
        m->fallbacks++;
}

/* Appends printf output to a growing string. */
__attribute__((format(printf, 2, 3))) static void append(char **buf, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *more = NULL;
    if (vasprintf(&more, fmt, ap) < 0)
        pa_out_of_memory(strlen(fmt));
    va_end(ap);
    size_t old = *buf ? strlen(*buf) : 0;
    *buf = pa_xrealloc(*buf, old + strlen(more) + 1);
    strcpy(*buf + old, more);
    free(more);
}

char *pa_metrics_text(const pa_metrics *m, const pa_metrics_info *info)
{
    char *b = NULL;
    append(&b,
           "# HELP passerelle_info Program and knowledge versions.\n"
           "# TYPE passerelle_info gauge\n"
           "passerelle_info{version=\"%s\",knowledge=\"%s\"} 1\n",
           info->program_version, info->knowledge_version);
    append(&b,
           "# HELP passerelle_connections Open WebSocket connections.\n"
           "# TYPE passerelle_connections gauge\npasserelle_connections %zu\n",
           info->connections);
    append(&b,
           "# HELP passerelle_connections_total WebSocket connections accepted.\n"
           "# TYPE passerelle_connections_total counter\npasserelle_connections_total %lu\n",
           m->connections_total);
    append(&b, "# HELP passerelle_questions_total Questions answered, by reply language.\n"
               "# TYPE passerelle_questions_total counter\n");
    for (size_t i = 0; i < PA_LANG_MAX && m->langs[i].code[0]; i++)
        append(&b, "passerelle_questions_total{lang=\"%s\"} %lu\n", m->langs[i].code,
               m->langs[i].questions);
    append(&b,
           "# HELP passerelle_replies_total Replies by kind.\n"
           "# TYPE passerelle_replies_total counter\n"
           "passerelle_replies_total{kind=\"answer\"} %lu\n"
           "passerelle_replies_total{kind=\"fallback\"} %lu\n"
           "passerelle_replies_total{kind=\"clarify\"} %lu\n",
           m->answers, m->fallbacks, m->clarifications);
    append(&b, "# HELP passerelle_protocol_errors_total Error frames sent, by code.\n"
               "# TYPE passerelle_protocol_errors_total counter\n");
    for (int c = PA_PROTO_FIRST_ERROR; c < PA_PROTO_END; c++)
        append(&b, "passerelle_protocol_errors_total{code=\"%s\"} %lu\n", pa_protocol_error_name(c),
               m->errors[c]);
    append(&b,
           "# HELP passerelle_reloads_total Knowledge reloads, by result.\n"
           "# TYPE passerelle_reloads_total counter\n"
           "passerelle_reloads_total{result=\"ok\"} %lu\n"
           "passerelle_reloads_total{result=\"failed\"} %lu\n",
           m->reloads_ok, m->reloads_failed);
    return b;
}

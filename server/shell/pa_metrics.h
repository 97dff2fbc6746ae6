/* pa_metrics: the server's counters and their Prometheus text.
 *
 * Counted on the service thread only, so plain integers suffice. */
#ifndef PA_METRICS_H
#define PA_METRICS_H

#include "pa_turn.h"

#include <stddef.h>

typedef struct {
    char code[PA_LANG_CODE_MAX];
    unsigned long questions;
} pa_lang_counter;

typedef struct {
    unsigned long connections_total, questions, answers, fallbacks, clarifications;
    unsigned long errors[PA_PROTO_END];
    unsigned long reloads_ok, reloads_failed;
    pa_lang_counter langs[PA_LANG_MAX];
} pa_metrics;

/* Counts a turn: its error code, or the question by language and the reply
 * by kind. */
void pa_metrics_count_turn(pa_metrics *m, const pa_snapshot *s, const pa_turn *t);

/* What /metrics shows besides the counters. */
typedef struct {
    const char *program_version, *knowledge_version;
    size_t connections;
} pa_metrics_info;

/* The Prometheus text exposition of the counters, malloc'd (caller frees). */
char *pa_metrics_text(const pa_metrics *m, const pa_metrics_info *info);

#endif

/* Speed of one turn, measured on a labelled question set:
 *   build/benchmark/bench_dialog tests/eval/questions.jsonl [ROUNDS [INTENTS LOCALES]]
 * Prints the knowledge's load time and memory, then the mean, median and
 * 99th percentile time per question over ROUNDS passes (default 20), on the
 * bundled knowledge or the folders given (benchmark/grow_knowledge.py
 * makes larger ones). */
#include "pa_arena.h"
#include "pa_dialog.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_dialog QUESTIONS.jsonl [ROUNDS [INTENTS LOCALES]]\n");
        return 2;
    }
    int rounds = argc > 2 ? atoi(argv[2]) : 20;
    double t0 = now_us();
    const char *intents = argc > 4 ? argv[3] : PASSERELLE_SOURCE_DIR "/intents";
    const char *locales = argc > 4 ? argv[4] : PASSERELLE_SOURCE_DIR "/locales";
    pa_snapshot *s = pa_snapshot_load(intents, locales, NULL);
    double load_ms = (now_us() - t0) / 1e3;
    if (!s)
        return 1;
    char *texts[4096];
    size_t n = 0;
    FILE *f = fopen(argv[1], "r");
    char line[8192];
    while (f && n < 4096 && fgets(line, sizeof line, f)) {
        json_t *q = json_loads(line, 0, NULL);
        if (json_is_string(json_object_get(q, "text")))
            texts[n++] = strdup(json_string_value(json_object_get(q, "text")));
        json_decref(q);
    }
    if (f)
        fclose(f);
    double *times = malloc((size_t)rounds * n * sizeof *times);
    size_t k = 0;
    for (int r = 0; r < rounds; r++) {
        for (size_t i = 0; i < n; i++) {
            pa_session session;
            pa_session_init(&session);
            pa_reply reply;
            double start = now_us();
            pa_dialog_ask(s, &session, texts[i], strlen(texts[i]), NULL, &reply);
            times[k++] = now_us() - start;
        }
    }
    double sum = 0;
    for (size_t i = 0; i < k; i++)
        sum += times[i];
    qsort(times, k, sizeof *times, cmp_double);
    printf("knowledge: %zu intents, loaded and indexed in %.1f ms, %zu KiB in the snapshot arena\n",
           s->k.n_answerable, load_ms, pa_arena_used(s->k.arena) / 1024);
    printf("conversation state: %zu bytes per session (pa_session)\n", sizeof(pa_session));
    printf("%zu questions x %d rounds: mean %.1f us, median %.1f us, p99 %.1f us per question\n", n,
           rounds, k ? sum / (double)k : 0, k ? times[k / 2] : 0,
           k ? times[(size_t)((double)k * 0.99)] : 0);
    for (size_t i = 0; i < n; i++)
        free(texts[i]);
    free(times);
    pa_snapshot_free(s);
    return 0;
}

/* pa_report: what residents asked over a period, from the staff event log.
 *
 * The staff event log is JSON Lines, one event a line (docs/operations.md,
 * "Reading the staff log"):
 *   {"ts":"2026-12-02T04:10:15Z","event":"answered","lang":"fr","intent":"partner.sopot",...}
 *   {"ts":...,"event":"unanswered","lang":"pl","text":"...","nearest":"partner.sopot","score":0.31}
 *   {"ts":...,"event":"clarification","lang":"de","text":"...","choices":["a","b"]}
 *   {"ts":...,"event":"feedback","lang":"fr","intent":"partner.sopot","useful":false}
 *   {"ts":...,"event":"handoff","lang":"ar","state":"queued"}
 * The caller feeds it line by line; this module keeps the counts of the lines
 * whose day (UTC) falls in the period and sorts them for display. It reads no
 * file and writes nothing: `passerelle report` renders what it holds.
 *
 * The log grows compatibly: unknown fields are ignored; lines that are not a
 * JSON object, events this module does not know and known events with a
 * missing or malformed field are skipped and counted by reason, never fatal.
 * Every string kept (language codes, intent ids, states, texts) was checked
 * to be valid UTF-8 by the JSON parser; ids and states are also checked to be
 * printable ASCII without spaces, language codes to be letters, digits and
 * dashes. Texts are kept as written (the writer masked them): renderers must
 * escape them. */
#ifndef PA_REPORT_H
#define PA_REPORT_H

#include "pa_map.h"

#include <stddef.h>

enum {
    PA_REPORT_MAX_LANGS = 32, /* distinct languages in one report; lines beyond are skipped */
    PA_REPORT_MAX_DAYS = 366, /* the longest period: a year, leap day included */
    PA_REPORT_MAX_ID = 128,   /* bytes of an intent id, a language code or a state */
};

/* What became of one line. */
typedef enum {
    PA_REPORT_USED,          /* counted */
    PA_REPORT_OUTSIDE,       /* a valid timestamp outside the period: left out silently */
    PA_REPORT_BLANK,         /* only white space: left out silently */
    PA_REPORT_NOT_JSON,      /* not a JSON object: skipped and counted */
    PA_REPORT_UNKNOWN_EVENT, /* an event this module does not know: skipped and counted */
    PA_REPORT_INVALID, /* a known event with a missing or malformed field: skipped and counted */
    PA_REPORT_LINE_KINDS
} pa_report_line;

/* Questions: the answered, unanswered and clarification events. */
typedef struct {
    size_t questions, answered;
} pa_report_count;

/* One masked text and how often it was logged in its group. */
typedef struct {
    const char *text;
    size_t count;
} pa_report_text;

/* Unanswered questions of one language whose nearest intent is the same one
 * (nearest NULL: no intent came near). */
typedef struct {
    int lang;            /* index into pa_report.langs */
    const char *nearest; /* or NULL */
    size_t count;
    double score_sum; /* of the questions that had a score, for the mean */
    size_t scored;
    pa_report_text *texts; /* distinct texts, most frequent first after finish */
    size_t n_texts, cap_texts;
} pa_report_gap;

/* Unanswered questions whose nearest intent is the same one, all languages. */
typedef struct {
    const char *nearest; /* or NULL */
    size_t count;
} pa_report_topic;

typedef struct {
    const char *intent;
    size_t useful, not_useful;
} pa_report_feedback;

/* One set of choices offered together (sorted ids: the order offered does
 * not make another set). */
typedef struct {
    const char **choices;
    size_t n_choices;
    size_t count;
} pa_report_choices;

/* Handoff events in one state. */
typedef struct {
    const char *state;
    size_t by_lang[PA_REPORT_MAX_LANGS];
    size_t total;
} pa_report_handoff;

typedef struct pa_arena pa_arena;

/* The aggregation. Fields are for reading once pa_report_finish has run;
 * arrays belong to the report. */
typedef struct {
    int from_day, to_day; /* the period, days since 1970-01-01 (UTC), both included */
    size_t n_days;
    const char *langs[PA_REPORT_MAX_LANGS]; /* codes, in the order first met */
    size_t n_langs;
    int lang_order[PA_REPORT_MAX_LANGS]; /* after finish: indices into langs, most questions first
                                          */
    pa_report_count *per_day;            /* [day - from_day][lang], n_days × PA_REPORT_MAX_LANGS */
    pa_report_count per_lang[PA_REPORT_MAX_LANGS];
    pa_report_count total;
    pa_report_gap *gaps; /* after finish: most questions first */
    size_t n_gaps;
    pa_report_topic *topics; /* after finish: most questions first */
    size_t n_topics;
    pa_report_feedback *feedback; /* after finish: most "not useful" first */
    size_t n_feedback;
    pa_report_choices *choices; /* after finish: most often offered first */
    size_t n_choices;
    pa_report_handoff
        *handoffs; /* after finish: the states of the format in their order, then others */
    size_t n_handoffs;
    size_t lines[PA_REPORT_LINE_KINDS]; /* lines fed, by what became of them */
    /* private */
    pa_arena *arena;
    pa_map index;
    size_t cap_gaps, cap_feedback, cap_choices, cap_handoffs;
} pa_report;

/* Starts an empty report of the days from_day..to_day (both included, days
 * since 1970-01-01). Returns 0, or -1 when to_day < from_day or the period
 * is longer than PA_REPORT_MAX_DAYS (r is then left empty: clearing it is
 * harmless). Free with pa_report_clear. */
int pa_report_init(pa_report *r, int from_day, int to_day);
/* Reads one line of the log (len bytes, no NUL needed; a final "\r\n" or
 * "\n" is allowed) and counts it. Never fails: the result says what became
 * of the line, and r->lines counts it. */
pa_report_line pa_report_feed(pa_report *r, const char *line, size_t len);
/* Sorts everything for display and fills lang_order and topics. Call once,
 * after the last line. */
void pa_report_finish(pa_report *r);
/* Frees what r holds. Accepts a zeroed or cleared report. */
void pa_report_clear(pa_report *r);

/* Lines skipped and counted: not JSON, unknown events, invalid. */
size_t pa_report_skipped(const pa_report *r);
/* The counts of one day (0 = from_day) and language index. */
const pa_report_count *pa_report_day(const pa_report *r, size_t day, int lang);

/* Reads "YYYY-MM-DD" (a real date of the proleptic Gregorian calendar, year
 * 1970–9999) into *day, days since 1970-01-01. Returns 0, or -1 (and leaves
 * *day) when s is anything else. */
int pa_report_parse_day(const char *s, int *day);
/* Reads the day of an ISO 8601 UTC timestamp as the log writes it,
 * "YYYY-MM-DDTHH:MM:SSZ" (fraction of a second or "+00:00" allowed).
 * Returns 0, or -1 when s is not one. */
int pa_report_parse_ts(const char *s, int *day);
/* Writes day as "YYYY-MM-DD" into out (11 bytes with the NUL). */
void pa_report_format_day(int day, char out[11]);

#endif

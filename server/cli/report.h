/* What `passerelle report` shows, shared by its two renderings: the text for
 * the terminal (cmd_report.c) and the HTML page (report_html.c).
 *
 * Every sentence and heading comes from the staff texts,
 * locales/staff/report.<lang>.json, never from C strings; the figures from
 * the pa_report aggregation. Both renderings read the same tables (built
 * here), so that the page and the terminal never disagree. */
#ifndef PA_CLI_REPORT_H
#define PA_CLI_REPORT_H

#include "pa_knowledge.h"
#include "pa_report.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>

/* What a rendering needs: borrowed, for the time of one rendering. */
typedef struct {
    const pa_report *r;
    json_t *texts;          /* the staff texts file */
    const pa_knowledge *k;  /* for the intents' labels, or NULL */
    int label_lang;         /* the locale of k whose labels are shown */
    size_t texts_per_group; /* masked texts listed per group (--texts) */
    size_t top;             /* rows of the rankings and bars of the gap chart (--top) */
    const char *version;    /* of passerelle, for the page's footer */
} report_view;

/* ---- texts: each returns a malloc'd string (caller frees) --------------- */

/* The text of key, its {name} placeholders replaced by the values given as
 * (name, value) pairs ending with NULL. A key the file lacks gives the key
 * itself, so that a missing text shows where it is missing. When the text
 * is an object {"one": ..., "other": ...}, n chooses the form (the file's
 * "singular_counts" lists the counts that take "one"). */
char *report_say(const report_view *v, const char *key, size_t n, ...);
/* The same with the pairs in a va_list. */
char *report_vsay(const report_view *v, const char *key, size_t n, va_list pairs);
/* A whole number with the file's thousands separator: "1 234". */
char *report_number(const report_view *v, size_t n);
/* part/whole as a whole percentage ("71 %"), or "–" when whole is 0. */
char *report_percent(const report_view *v, size_t part, size_t whole);
/* A decimal with two digits and the file's decimal separator: "0,31". */
char *report_decimal(const report_view *v, double x);
/* A day of the period as the file's "date" pattern writes it: "23/11/2026". */
char *report_date(const report_view *v, int day);
/* A day in short, for the chart's axis: "23/11". */
char *report_short_date(const report_view *v, int day);
/* The name of a language in the staff's language ("polonais"), else the code. */
char *report_lang_name(const report_view *v, const char *code);
/* How to show an intent: its label and id when the knowledge has it, else
 * the id; NULL (no nearest intent) gives the "no_nearest" text. */
char *report_intent(const report_view *v, const char *id);
/* The same, shorter: the label alone when the knowledge has one. */
char *report_intent_name(const report_view *v, const char *id);
/* A handoff state in words ("en file d’attente"), else the state itself. */
char *report_state(const report_view *v, const char *state);

/* ---- tables -------------------------------------------------------------- */

/* A table of text cells: row 0 is the header. Column 0 is read as a label
 * (left-aligned), the others as figures (right-aligned). */
typedef struct {
    size_t n_cols, n_rows;
    char **cells; /* n_rows × n_cols, each malloc'd */
    size_t cap_rows;
} report_table;

/* Appends a row of n_cols cells, taking ownership of each (malloc'd). */
void report_table_row(report_table *t, char **cells);
/* Frees the cells. Accepts a zeroed table. */
void report_table_clear(report_table *t);
static inline const char *report_cell(const report_table *t, size_t row, size_t col)
{
    return t->cells[row * t->n_cols + col];
}

/* Questions and answered share per language, and the total. */
void report_table_languages(const report_view *v, report_table *t);
/* Questions per day (one column per language), total and answered share. */
void report_table_days(const report_view *v, report_table *t);
/* Unanswered questions by nearest intent, all languages (the top rows). */
void report_table_topics(const report_view *v, report_table *t);
/* Feedback per intent: not useful, useful, share not useful (the top rows). */
void report_table_feedback(const report_view *v, report_table *t);
/* Sets of choices offered, and how often (the top rows). */
void report_table_choices(const report_view *v, report_table *t);
/* Handoff events by state (rows) and language (columns), with totals. */
void report_table_handoffs(const report_view *v, report_table *t);

/* The heading of a group of unanswered questions: "14 questions en polonais
 * portaient presque sur ..." (malloc'd). */
char *report_gap_heading(const report_view *v, const pa_report_gap *g);
/* "3 lignes ignorées : ..." or NULL when no line was skipped (malloc'd). */
char *report_skipped_line(const report_view *v);

/* Writes the page to out. Returns 0, or -1 when writing failed. */
int report_html(const report_view *v, FILE *out);

#endif

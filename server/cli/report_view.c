/* The words and tables of `passerelle report`, shared by the terminal and the
 * HTML renderings (report.h). */
#include "report.h"

#include "pa_alloc.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- a growing string ---------------------------------------------------- */

typedef struct {
    char *s;
    size_t len, cap;
} strbuf;

static void sb_add(strbuf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->s = pa_xrealloc(b->s, b->cap);
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static char *sb_take(strbuf *b)
{
    if (!b->s)
        return pa_xstrdup("");
    return b->s;
}

/* ---- texts --------------------------------------------------------------- */

static const char *file_string(const report_view *v, const char *field, const char *dflt)
{
    const char *s = json_string_value(json_object_get(v->texts, field));
    return s ? s : dflt;
}

/* 1 when the file says that a count of n takes the singular. */
static int is_singular(const report_view *v, size_t n)
{
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(v->texts, "singular_counts"), i, c)
    {
        if (json_is_integer(c) && json_integer_value(c) == (json_int_t)n)
            return 1;
    }
    return 0;
}

/* The pattern of key for the count n, or the key itself when missing. */
static const char *pattern(const report_view *v, const char *key, size_t n)
{
    json_t *t = json_object_get(json_object_get(v->texts, "texts"), key);
    if (json_is_object(t))
        t = json_object_get(t, is_singular(v, n) ? "one" : "other");
    return json_is_string(t) ? json_string_value(t) : key;
}

/* Replaces each {name} of pat by its value in the (name, value) pairs;
 * unknown placeholders stay as they are. */
static char *fill(const char *pat, va_list ap)
{
    const char *names[16], *values[16];
    size_t n = 0;
    for (const char *name; n < 16 && (name = va_arg(ap, const char *));) {
        names[n] = name;
        values[n++] = va_arg(ap, const char *);
    }
    strbuf b = {0};
    for (const char *p = pat; *p;) {
        const char *open = strchr(p, '{');
        const char *close = open ? strchr(open, '}') : NULL;
        if (!close) {
            sb_add(&b, p, strlen(p));
            break;
        }
        sb_add(&b, p, (size_t)(open - p));
        size_t i = 0;
        while (i < n && (strlen(names[i]) != (size_t)(close - open - 1) ||
                         strncmp(names[i], open + 1, (size_t)(close - open - 1)) != 0))
            i++;
        if (i < n)
            sb_add(&b, values[i], strlen(values[i]));
        else
            sb_add(&b, open, (size_t)(close - open + 1));
        p = close + 1;
    }
    return sb_take(&b);
}

char *report_vsay(const report_view *v, const char *key, size_t n, va_list pairs)
{
    return fill(pattern(v, key, n), pairs);
}

char *report_say(const report_view *v, const char *key, size_t n, ...)
{
    va_list ap;
    va_start(ap, n);
    char *s = fill(pattern(v, key, n), ap);
    va_end(ap);
    return s;
}

/* The same with a pattern from the top level of the file ("date", ...). */
static char *say_field(const report_view *v, const char *field, const char *dflt, ...)
{
    va_list ap;
    va_start(ap, dflt);
    char *s = fill(file_string(v, field, dflt), ap);
    va_end(ap);
    return s;
}

char *report_number(const report_view *v, size_t n)
{
    char digits[32];
    int len = snprintf(digits, sizeof digits, "%zu", n);
    const char *sep = file_string(v, "thousands_separator", "");
    strbuf b = {0};
    for (int i = 0; i < len; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            sb_add(&b, sep, strlen(sep));
        sb_add(&b, digits + i, 1);
    }
    return sb_take(&b);
}

char *report_percent(const report_view *v, size_t part, size_t whole)
{
    if (whole == 0)
        return pa_xstrdup("–");
    char n[16];
    /* rounded half up, on integers */
    snprintf(n, sizeof n, "%zu", (part * 200 + whole) / (2 * whole));
    return say_field(v, "percent", "{n} %", "n", n, NULL);
}

char *report_decimal(const report_view *v, double x)
{
    char n[32];
    snprintf(n, sizeof n, "%.2f", x);
    char *dot = strchr(n, '.');
    if (!dot)
        return pa_xstrdup(n);
    strbuf b = {0};
    sb_add(&b, n, (size_t)(dot - n));
    const char *sep = file_string(v, "decimal_separator", ".");
    sb_add(&b, sep, strlen(sep));
    sb_add(&b, dot + 1, strlen(dot + 1));
    return sb_take(&b);
}

static char *date_with(const report_view *v, int day, const char *field, const char *dflt)
{
    char iso[11];
    pa_report_format_day(day, iso);
    iso[4] = iso[7] = '\0';
    return say_field(v, field, dflt, "y", iso, "m", iso + 5, "d", iso + 8, NULL);
}

char *report_date(const report_view *v, int day)
{
    return date_with(v, day, "date", "{y}-{m}-{d}");
}

char *report_short_date(const report_view *v, int day)
{
    return date_with(v, day, "short_date", "{m}-{d}");
}

static char *from_table(const report_view *v, const char *table, const char *key)
{
    const char *s = json_string_value(json_object_get(json_object_get(v->texts, table), key));
    return pa_xstrdup(s ? s : key);
}

char *report_lang_name(const report_view *v, const char *code)
{
    return from_table(v, "languages", code);
}

char *report_state(const report_view *v, const char *state)
{
    return from_table(v, "states", state);
}

/* The label of an intent in the staff's language, or NULL. */
static const char *label_of(const report_view *v, const char *id)
{
    int i = v->k ? pa_knowledge_intent(v->k, id) : -1;
    return i >= 0 ? v->k->intents[i].langs[v->label_lang].label : NULL;
}

char *report_intent_name(const report_view *v, const char *id)
{
    if (!id)
        return report_say(v, "no_nearest", 1, NULL);
    const char *label = label_of(v, id);
    return pa_xstrdup(label ? label : id);
}

char *report_intent(const report_view *v, const char *id)
{
    if (!id)
        return report_say(v, "no_nearest", 1, NULL);
    const char *label = label_of(v, id);
    if (!label)
        return pa_xstrdup(id);
    return report_say(v, "intent_label", 1, "label", label, "id", id, NULL);
}

/* ---- tables -------------------------------------------------------------- */

void report_table_row(report_table *t, char **cells)
{
    if (t->n_rows == t->cap_rows) {
        t->cap_rows = t->cap_rows ? t->cap_rows * 2 : 16;
        t->cells = pa_xrealloc(t->cells, t->cap_rows * t->n_cols * sizeof *t->cells);
    }
    memcpy(t->cells + t->n_rows * t->n_cols, cells, t->n_cols * sizeof *cells);
    t->n_rows++;
}

void report_table_clear(report_table *t)
{
    for (size_t i = 0; i < t->n_rows * t->n_cols; i++)
        free(t->cells[i]);
    free(t->cells);
    memset(t, 0, sizeof *t);
}

static char *heading(const report_view *v, const char *key)
{
    return report_say(v, key, 2, NULL);
}

/* "61 (70 %)": a count and its share of whole. */
static char *with_share(const report_view *v, size_t part, size_t whole)
{
    char *count = report_number(v, part), *share = report_percent(v, part, whole);
    char *s = report_say(v, "count_share", part, "count", count, "share", share, NULL);
    free(count);
    free(share);
    return s;
}

void report_table_languages(const report_view *v, report_table *t)
{
    const pa_report *r = v->r;
    *t = (report_table){.n_cols = 3};
    report_table_row(t, (char *[]){heading(v, "col_language"), heading(v, "col_questions"),
                                   heading(v, "col_answered")});
    for (size_t i = 0; i < r->n_langs; i++) {
        int l = r->lang_order[i];
        const pa_report_count *c = &r->per_lang[l];
        if (c->questions == 0)
            continue;
        report_table_row(t, (char *[]){report_lang_name(v, r->langs[l]),
                                       report_number(v, c->questions),
                                       with_share(v, c->answered, c->questions)});
    }
    report_table_row(t, (char *[]){heading(v, "col_total"), report_number(v, r->total.questions),
                                   with_share(v, r->total.answered, r->total.questions)});
}

/* The languages that have questions, in the report's order. */
static size_t asked_langs(const pa_report *r, int *out)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n_langs; i++)
        if (r->per_lang[r->lang_order[i]].questions > 0)
            out[n++] = r->lang_order[i];
    return n;
}

void report_table_days(const report_view *v, report_table *t)
{
    const pa_report *r = v->r;
    int langs[PA_REPORT_MAX_LANGS];
    size_t n = asked_langs(r, langs);
    *t = (report_table){.n_cols = n + 3};
    char **row = pa_xmalloc(t->n_cols * sizeof *row);
    row[0] = heading(v, "col_day");
    for (size_t i = 0; i < n; i++)
        row[1 + i] = pa_xstrdup(r->langs[langs[i]]);
    row[n + 1] = heading(v, "col_total");
    row[n + 2] = heading(v, "col_answered");
    report_table_row(t, row);
    for (size_t d = 0; d < r->n_days; d++) {
        pa_report_count day = {0, 0};
        row[0] = report_date(v, r->from_day + (int)d);
        for (size_t i = 0; i < n; i++) {
            const pa_report_count *c = pa_report_day(r, d, langs[i]);
            row[1 + i] = report_number(v, c->questions);
            day.questions += c->questions;
            day.answered += c->answered;
        }
        row[n + 1] = report_number(v, day.questions);
        row[n + 2] = with_share(v, day.answered, day.questions);
        report_table_row(t, row);
    }
    free(row);
}

void report_table_topics(const report_view *v, report_table *t)
{
    const pa_report *r = v->r;
    *t = (report_table){.n_cols = 2};
    report_table_row(t, (char *[]){heading(v, "col_topic"), heading(v, "col_unanswered")});
    for (size_t i = 0; i < r->n_topics && i < v->top; i++)
        report_table_row(t, (char *[]){report_intent(v, r->topics[i].nearest),
                                       report_number(v, r->topics[i].count)});
}

void report_table_feedback(const report_view *v, report_table *t)
{
    const pa_report *r = v->r;
    *t = (report_table){.n_cols = 4};
    report_table_row(t, (char *[]){heading(v, "col_intent"), heading(v, "col_not_useful"),
                                   heading(v, "col_useful"), heading(v, "col_share_not_useful")});
    for (size_t i = 0; i < r->n_feedback && i < v->top; i++) {
        const pa_report_feedback *f = &r->feedback[i];
        report_table_row(t,
                         (char *[]){report_intent(v, f->intent), report_number(v, f->not_useful),
                                    report_number(v, f->useful),
                                    report_percent(v, f->not_useful, f->not_useful + f->useful)});
    }
}

void report_table_choices(const report_view *v, report_table *t)
{
    const pa_report *r = v->r;
    *t = (report_table){.n_cols = 2};
    report_table_row(t, (char *[]){heading(v, "col_choices"), heading(v, "col_times")});
    const char *sep = file_string(v, "choices_separator", " / ");
    for (size_t i = 0; i < r->n_choices && i < v->top; i++) {
        const pa_report_choices *c = &r->choices[i];
        strbuf b = {0};
        for (size_t j = 0; j < c->n_choices; j++) {
            char *name = report_intent(v, c->choices[j]);
            if (j > 0)
                sb_add(&b, sep, strlen(sep));
            sb_add(&b, name, strlen(name));
            free(name);
        }
        report_table_row(t, (char *[]){sb_take(&b), report_number(v, c->count)});
    }
}

/* The languages that have handoff events, in the report's order. */
static size_t handoff_langs(const pa_report *r, int *out)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n_langs; i++) {
        int l = r->lang_order[i];
        size_t events = 0;
        for (size_t h = 0; h < r->n_handoffs; h++)
            events += r->handoffs[h].by_lang[l];
        if (events)
            out[n++] = l;
    }
    return n;
}

void report_table_handoffs(const report_view *v, report_table *t)
{
    const pa_report *r = v->r;
    int langs[PA_REPORT_MAX_LANGS];
    size_t n = handoff_langs(r, langs);
    *t = (report_table){.n_cols = n + 2};
    char **row = pa_xmalloc(t->n_cols * sizeof *row);
    row[0] = heading(v, "col_state");
    for (size_t i = 0; i < n; i++)
        row[1 + i] = pa_xstrdup(r->langs[langs[i]]);
    row[n + 1] = heading(v, "col_total");
    report_table_row(t, row);
    for (size_t h = 0; h < r->n_handoffs; h++) {
        row[0] = report_state(v, r->handoffs[h].state);
        for (size_t i = 0; i < n; i++)
            row[1 + i] = report_number(v, r->handoffs[h].by_lang[langs[i]]);
        row[n + 1] = report_number(v, r->handoffs[h].total);
        report_table_row(t, row);
    }
    free(row);
}

/* ---- sentences ----------------------------------------------------------- */

char *report_gap_heading(const report_view *v, const pa_report_gap *g)
{
    char *count = report_number(v, g->count), *lang = report_lang_name(v, v->r->langs[g->lang]);
    char *s;
    if (!g->nearest) {
        s = report_say(v, "gap_none", g->count, "count", count, "lang", lang, NULL);
    } else {
        char *intent = report_intent(v, g->nearest);
        char *score = g->scored ? report_decimal(v, g->score_sum / (double)g->scored) : NULL;
        s = report_say(v, score ? "gap_near" : "gap_near_unscored", g->count, "count", count,
                       "lang", lang, "intent", intent, "score", score ? score : "", NULL);
        free(intent);
        free(score);
    }
    free(count);
    free(lang);
    return s;
}

char *report_skipped_line(const report_view *v)
{
    const pa_report *r = v->r;
    size_t total = pa_report_skipped(r);
    if (total == 0)
        return NULL;
    static const struct {
        pa_report_line kind;
        const char *key;
    } reasons[] = {{PA_REPORT_NOT_JSON, "skipped_not_json"},
                   {PA_REPORT_UNKNOWN_EVENT, "skipped_unknown"},
                   {PA_REPORT_INVALID, "skipped_invalid"}};
    const char *sep = file_string(v, "list_separator", ", ");
    strbuf detail = {0};
    for (size_t i = 0; i < sizeof reasons / sizeof *reasons; i++) {
        size_t n = r->lines[reasons[i].kind];
        if (n == 0)
            continue;
        char *count = report_number(v, n);
        char *part = report_say(v, reasons[i].key, n, "count", count, NULL);
        if (detail.len)
            sb_add(&detail, sep, strlen(sep));
        sb_add(&detail, part, strlen(part));
        free(count);
        free(part);
    }
    char *count = report_number(v, total), *d = sb_take(&detail);
    char *s = report_say(v, "skipped", total, "count", count, "detail", d, NULL);
    free(count);
    free(d);
    return s;
}

#include "pa_report.h"

#include "pa_alloc.h"
#include "pa_arena.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* ---- dates --------------------------------------------------------------- */

/* Days since 1970-01-01 of a Gregorian date (H. Hinnant's days_from_civil). */
static int days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int era = y / 400; /* y >= 1969 here: no negative division */
    int yoe = y - era * 400;
    int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* n ASCII digits at s, as a number; -1 when one is not a digit. */
static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* The date at the start of s, "YYYY-MM-DD"; the rest of s is not looked at. */
static int parse_date_prefix(const char *s, int *day)
{
    static const int month_days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (strnlen(s, 10) < 10 || s[4] != '-' || s[7] != '-')
        return -1;
    int y = digits(s, 4), m = digits(s + 5, 2), d = digits(s + 8, 2);
    if (y < 1970 || m < 1 || m > 12 || d < 1)
        return -1;
    if (d > month_days[m - 1] + (m == 2 && is_leap(y)))
        return -1;
    *day = days_from_civil(y, m, d);
    return 0;
}

int pa_report_parse_day(const char *s, int *day)
{
    int d;
    if (parse_date_prefix(s, &d) != 0 || s[10] != '\0')
        return -1;
    *day = d;
    return 0;
}

int pa_report_parse_ts(const char *s, int *day)
{
    int d;
    if (parse_date_prefix(s, &d) != 0 || s[10] != 'T')
        return -1;
    const char *t = s + 11;
    if (strnlen(t, 8) < 8 || t[2] != ':' || t[5] != ':')
        return -1;
    int hh = digits(t, 2), mm = digits(t + 3, 2), ss = digits(t + 6, 2);
    if (hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 60) /* 60: a leap second */
        return -1;
    t += 8;
    if (*t == '.') {
        if (t[1] < '0' || t[1] > '9')
            return -1;
        for (t++; *t >= '0' && *t <= '9'; t++)
            ;
    }
    if (strcmp(t, "Z") != 0 && strcmp(t, "+00:00") != 0)
        return -1;
    *day = d;
    return 0;
}

void pa_report_format_day(int day, char out[11])
{
    /* H. Hinnant's civil_from_days, for days >= 0 */
    long z = (long)day + 719468;
    long era = z / 146097;
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    int d = (int)(doy - (153 * mp + 2) / 5 + 1);
    int m = (int)(mp < 10 ? mp + 3 : mp - 9);
    int y = (int)(yoe + era * 400 + (m <= 2));
    /* the modulos only tell the compiler the fields fit */
    snprintf(out, 11, "%04u-%02u-%02u", (unsigned)y % 10000u, (unsigned)m % 100u,
             (unsigned)d % 100u);
}

/* ---- the report ---------------------------------------------------------- */

int pa_report_init(pa_report *r, int from_day, int to_day)
{
    memset(r, 0, sizeof *r);
    pa_map_init(&r->index);
    if (to_day < from_day || (long)to_day - from_day + 1 > PA_REPORT_MAX_DAYS)
        return -1;
    r->from_day = from_day;
    r->to_day = to_day;
    r->n_days = (size_t)(to_day - from_day) + 1;
    r->per_day = pa_xcalloc(r->n_days * PA_REPORT_MAX_LANGS, sizeof *r->per_day);
    r->arena = pa_arena_new();
    return 0;
}

void pa_report_clear(pa_report *r)
{
    for (size_t i = 0; i < r->n_gaps; i++)
        free(r->gaps[i].texts);
    free(r->gaps);
    free(r->topics);
    free(r->feedback);
    free(r->choices);
    free(r->handoffs);
    free(r->per_day);
    pa_map_clear(&r->index);
    pa_arena_free(r->arena);
    memset(r, 0, sizeof *r);
    pa_map_init(&r->index);
}

size_t pa_report_skipped(const pa_report *r)
{
    return r->lines[PA_REPORT_NOT_JSON] + r->lines[PA_REPORT_UNKNOWN_EVENT] +
           r->lines[PA_REPORT_INVALID];
}

const pa_report_count *pa_report_day(const pa_report *r, size_t day, int lang)
{
    return &r->per_day[day * PA_REPORT_MAX_LANGS + (size_t)lang];
}

/* Grows *items (of size each) so that one more fits. */
static void *grow(void *items, size_t count, size_t *cap, size_t size)
{
    if (count < *cap)
        return items;
    *cap = *cap ? *cap * 2 : 16;
    return pa_xrealloc(items, *cap * size);
}

/* The index of every table is one map, its keys a one-letter table name and
 * the key fields joined by US (0x1f): ids and codes cannot hold that byte,
 * and a free text only ever comes last. Returns a malloc'd key. */
static char *index_key(char table, const char *a, const char *b)
{
    size_t la = a ? strlen(a) : 0, lb = b ? strlen(b) : 0;
    char *key = pa_xmalloc(la + lb + 4);
    key[0] = table;
    key[1] = '\x1f';
    memcpy(key + 2, a ? a : "", la);
    key[2 + la] = '\x1f';
    memcpy(key + 3 + la, b ? b : "", lb);
    key[3 + la + lb] = '\0';
    return key;
}

/* Looks the key up (and frees it); when absent, adds it with the value next,
 * keeping a copy in the arena, since the map borrows its keys. */
static long find_or_add(pa_report *r, char *key, long next, int *added)
{
    long v = pa_map_get(&r->index, key, -1);
    *added = v < 0;
    if (*added)
        pa_map_put(&r->index, pa_arena_strdup(r->arena, key), v = next);
    free(key);
    return v;
}

/* ---- checking fields ----------------------------------------------------- */

/* An intent id or a state: printable ASCII, no space, not too long. */
static int is_id(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++)
        if ((unsigned char)s[n] <= 0x20 || (unsigned char)s[n] >= 0x7f || s[n] == '"')
            return 0;
    return n > 0 && n <= PA_REPORT_MAX_ID;
}

/* A language code: a letter, then letters, digits and dashes ("pt-BR"). */
static int is_lang(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++) {
        char c = s[n];
        int letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        if (!letter && (n == 0 || !((c >= '0' && c <= '9') || c == '-')))
            return 0;
    }
    return n >= 2 && n <= 15;
}

static const char *string_field(json_t *o, const char *name)
{
    return json_string_value(json_object_get(o, name));
}

/* The index of the event's language, added when new; -1 when the field is
 * missing or malformed, or there are already PA_REPORT_MAX_LANGS. */
static int lang_of(pa_report *r, json_t *event)
{
    const char *code = string_field(event, "lang");
    if (!code || !is_lang(code))
        return -1;
    for (size_t i = 0; i < r->n_langs; i++)
        if (!strcmp(r->langs[i], code))
            return (int)i;
    if (r->n_langs == PA_REPORT_MAX_LANGS)
        return -1;
    r->langs[r->n_langs] = pa_arena_strdup(r->arena, code);
    return (int)r->n_langs++;
}

/* ---- events -------------------------------------------------------------- */

static void count_question(pa_report *r, int day, int lang, int answered)
{
    pa_report_count *cells[] = {
        &r->per_day[(size_t)(day - r->from_day) * PA_REPORT_MAX_LANGS + (size_t)lang],
        &r->per_lang[lang], &r->total};
    for (size_t i = 0; i < sizeof cells / sizeof *cells; i++) {
        cells[i]->questions++;
        cells[i]->answered += answered != 0;
    }
}

static pa_report_line on_answered(pa_report *r, json_t *e, int day)
{
    int lang = lang_of(r, e);
    if (lang < 0)
        return PA_REPORT_INVALID;
    count_question(r, day, lang, 1);
    return PA_REPORT_USED;
}

static void add_text(pa_report *r, size_t g, const char *text)
{
    char number[24];
    snprintf(number, sizeof number, "%zu", g);
    pa_report_gap *gap = &r->gaps[g];
    int added;
    long t = find_or_add(r, index_key('t', number, text), (long)gap->n_texts, &added);
    if (added) {
        gap->texts = grow(gap->texts, gap->n_texts, &gap->cap_texts, sizeof *gap->texts);
        gap->texts[gap->n_texts++] = (pa_report_text){pa_arena_strdup(r->arena, text), 0};
    }
    gap->texts[t].count++;
}

static pa_report_line on_unanswered(pa_report *r, json_t *e, int day)
{
    json_t *nearest_v = json_object_get(e, "nearest"), *text_v = json_object_get(e, "text");
    const char *nearest = json_string_value(nearest_v);
    if ((nearest_v && !json_is_null(nearest_v) && !(nearest && is_id(nearest))) ||
        (text_v && !json_is_string(text_v) && !json_is_null(text_v)))
        return PA_REPORT_INVALID;
    int lang = lang_of(r, e); /* last: a line refused adds no language */
    if (lang < 0)
        return PA_REPORT_INVALID;
    count_question(r, day, lang, 0);
    int added;
    long g = find_or_add(r, index_key(nearest ? 'g' : 'n', r->langs[lang], nearest),
                         (long)r->n_gaps, &added);
    if (added) {
        r->gaps = grow(r->gaps, r->n_gaps, &r->cap_gaps, sizeof *r->gaps);
        r->gaps[r->n_gaps++] = (pa_report_gap){
            .lang = lang, .nearest = nearest ? pa_arena_strdup(r->arena, nearest) : NULL};
    }
    pa_report_gap *gap = &r->gaps[g];
    gap->count++;
    json_t *score = json_object_get(e, "score");
    if (json_is_number(score)) {
        gap->score_sum += json_number_value(score);
        gap->scored++;
    }
    if (json_is_string(text_v)) /* null: a question without text (a button) */
        add_text(r, (size_t)g, json_string_value(text_v));
    return PA_REPORT_USED;
}

static int cmp_cstr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The choices of a clarification, sorted; 0 when they are not a non-empty
 * array of ids (then *out is untouched). */
static size_t read_choices(json_t *array, const char ***out)
{
    size_t n = json_array_size(array);
    if (!json_is_array(array) || n == 0)
        return 0;
    const char **ids = pa_xmalloc(n * sizeof *ids);
    for (size_t i = 0; i < n; i++) {
        ids[i] = json_string_value(json_array_get(array, i));
        if (!ids[i] || !is_id(ids[i])) {
            free(ids);
            return 0;
        }
    }
    qsort(ids, n, sizeof *ids, cmp_cstr);
    *out = ids;
    return n;
}

static pa_report_line on_clarification(pa_report *r, json_t *e, int day)
{
    const char **ids = NULL;
    size_t n = read_choices(json_object_get(e, "choices"), &ids);
    int lang = n ? lang_of(r, e) : -1; /* last: a line refused adds no language */
    if (lang < 0) {
        free(ids);
        return PA_REPORT_INVALID;
    }
    count_question(r, day, lang, 0);
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += strlen(ids[i]) + 1;
    char *joined = pa_xmalloc(len), *p = joined;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(ids[i]);
        memcpy(p, ids[i], l);
        p[l] = i + 1 < n ? '\x1f' : '\0';
        p += l + 1;
    }
    int added;
    long c = find_or_add(r, index_key('c', joined, NULL), (long)r->n_choices, &added);
    free(joined);
    if (added) {
        r->choices = grow(r->choices, r->n_choices, &r->cap_choices, sizeof *r->choices);
        const char **kept = pa_arena_alloc(r->arena, n * sizeof *kept);
        for (size_t i = 0; i < n; i++)
            kept[i] = pa_arena_strdup(r->arena, ids[i]);
        r->choices[r->n_choices++] = (pa_report_choices){kept, n, 0};
    }
    free(ids);
    r->choices[c].count++;
    return PA_REPORT_USED;
}

static pa_report_line on_feedback(pa_report *r, json_t *e, int day)
{
    (void)day;
    const char *intent = string_field(e, "intent");
    json_t *useful = json_object_get(e, "useful");
    if (!intent || !is_id(intent) || !json_is_boolean(useful))
        return PA_REPORT_INVALID;
    int added;
    long f = find_or_add(r, index_key('f', intent, NULL), (long)r->n_feedback, &added);
    if (added) {
        r->feedback = grow(r->feedback, r->n_feedback, &r->cap_feedback, sizeof *r->feedback);
        r->feedback[r->n_feedback++] =
            (pa_report_feedback){pa_arena_strdup(r->arena, intent), 0, 0};
    }
    if (json_is_true(useful))
        r->feedback[f].useful++;
    else
        r->feedback[f].not_useful++;
    return PA_REPORT_USED;
}

static pa_report_line on_handoff(pa_report *r, json_t *e, int day)
{
    (void)day;
    const char *state = string_field(e, "state");
    int lang = state && is_id(state) ? lang_of(r, e) : -1; /* a line refused adds no language */
    if (lang < 0)
        return PA_REPORT_INVALID;
    int added;
    long h = find_or_add(r, index_key('h', state, NULL), (long)r->n_handoffs, &added);
    if (added) {
        r->handoffs = grow(r->handoffs, r->n_handoffs, &r->cap_handoffs, sizeof *r->handoffs);
        r->handoffs[r->n_handoffs++] =
            (pa_report_handoff){.state = pa_arena_strdup(r->arena, state)};
    }
    r->handoffs[h].by_lang[lang]++;
    r->handoffs[h].total++;
    return PA_REPORT_USED;
}

static const struct {
    const char *name;
    pa_report_line (*count)(pa_report *r, json_t *event, int day);
} event_kinds[] = {
    {"answered", on_answered}, {"unanswered", on_unanswered}, {"clarification", on_clarification},
    {"feedback", on_feedback}, {"handoff", on_handoff},
};

static pa_report_line classify(pa_report *r, const char *line, size_t len)
{
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r' || line[len - 1] == ' ' ||
                       line[len - 1] == '\t'))
        len--;
    size_t start = 0;
    while (start < len && (line[start] == ' ' || line[start] == '\t'))
        start++;
    if (start == len)
        return PA_REPORT_BLANK;
    json_t *e = json_loadb(line + start, len - start, 0, NULL);
    if (!json_is_object(e)) {
        json_decref(e);
        return PA_REPORT_NOT_JSON;
    }
    const char *name = string_field(e, "event"), *ts = string_field(e, "ts");
    pa_report_line result = PA_REPORT_UNKNOWN_EVENT;
    int day;
    for (size_t i = 0; name && i < sizeof event_kinds / sizeof *event_kinds; i++) {
        if (strcmp(name, event_kinds[i].name) != 0)
            continue;
        if (!ts || pa_report_parse_ts(ts, &day) != 0)
            result = PA_REPORT_INVALID;
        else if (day < r->from_day || day > r->to_day)
            result = PA_REPORT_OUTSIDE;
        else
            result = event_kinds[i].count(r, e, day);
        break;
    }
    json_decref(e);
    return result;
}

pa_report_line pa_report_feed(pa_report *r, const char *line, size_t len)
{
    pa_report_line result = classify(r, line, len);
    r->lines[result]++;
    return result;
}

/* ---- sorting ------------------------------------------------------------- */

/* qsort, but for empty tables too: their pointer is NULL, which qsort's
 * contract does not allow even for no items. */
static void sort(void *items, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
    if (n > 1)
        qsort(items, n, size, cmp);
}

/* qsort has no context argument in C11: the comparisons that need the
 * language order read it from the item itself (gaps carry their rank). */
static int cmp_size_desc(size_t a, size_t b)
{
    return a < b ? 1 : a > b ? -1 : 0;
}

/* NULL (no nearest intent) after every id. */
static int cmp_nullable(const char *a, const char *b)
{
    if (!a || !b)
        return (a == NULL) - (b == NULL);
    return strcmp(a, b);
}

static int cmp_text(const void *a, const void *b)
{
    const pa_report_text *x = a, *y = b;
    int c = cmp_size_desc(x->count, y->count);
    return c ? c : strcmp(x->text, y->text);
}

static int cmp_gap(const void *a, const void *b)
{
    const pa_report_gap *x = a, *y = b;
    int c = cmp_size_desc(x->count, y->count);
    if (!c)
        c = x->lang - y->lang; /* lang holds the rank while sorting */
    return c ? c : cmp_nullable(x->nearest, y->nearest);
}

static int cmp_topic(const void *a, const void *b)
{
    const pa_report_topic *x = a, *y = b;
    int c = cmp_size_desc(x->count, y->count);
    return c ? c : cmp_nullable(x->nearest, y->nearest);
}

/* Most "not useful" first; among equals, the worst share, then the id. */
static int cmp_feedback(const void *a, const void *b)
{
    const pa_report_feedback *x = a, *y = b;
    int c = cmp_size_desc(x->not_useful, y->not_useful);
    if (!c)
        c = cmp_size_desc(y->useful, x->useful); /* fewer useful: worse share */
    return c ? c : strcmp(x->intent, y->intent);
}

static int cmp_choices(const void *a, const void *b)
{
    const pa_report_choices *x = a, *y = b;
    int c = cmp_size_desc(x->count, y->count);
    for (size_t i = 0; !c && i < x->n_choices && i < y->n_choices; i++)
        c = strcmp(x->choices[i], y->choices[i]);
    return c ? c : (x->n_choices > y->n_choices) - (x->n_choices < y->n_choices);
}

/* The states of the format in the order a message goes through them, then
 * any later one by name. */
static int state_rank(const char *state)
{
    static const char *const known[] = {"queued", "retry", "delivered", "duplicate", "dead_letter"};
    for (int i = 0; i < (int)(sizeof known / sizeof *known); i++)
        if (!strcmp(state, known[i]))
            return i;
    return (int)(sizeof known / sizeof *known);
}

static int cmp_handoff(const void *a, const void *b)
{
    const pa_report_handoff *x = a, *y = b;
    int c = state_rank(x->state) - state_rank(y->state);
    return c ? c : strcmp(x->state, y->state);
}

/* Language ranks: most questions first, then most events, then by code. */
static void order_langs(pa_report *r)
{
    size_t events[PA_REPORT_MAX_LANGS] = {0};
    for (size_t i = 0; i < r->n_handoffs; i++)
        for (size_t l = 0; l < r->n_langs; l++)
            events[l] += r->handoffs[i].by_lang[l];
    for (size_t i = 0; i < r->n_langs; i++)
        r->lang_order[i] = (int)i;
    /* insertion sort: at most PA_REPORT_MAX_LANGS items */
    for (size_t i = 1; i < r->n_langs; i++) {
        int l = r->lang_order[i];
        size_t j = i;
        for (; j > 0; j--) {
            int k = r->lang_order[j - 1];
            int c = cmp_size_desc(r->per_lang[k].questions, r->per_lang[l].questions);
            if (!c)
                c = cmp_size_desc(events[k], events[l]);
            if (!c)
                c = strcmp(r->langs[k], r->langs[l]);
            if (c <= 0)
                break;
            r->lang_order[j] = k;
        }
        r->lang_order[j] = l;
    }
}

static void sort_gaps(pa_report *r)
{
    int rank[PA_REPORT_MAX_LANGS];
    for (size_t i = 0; i < r->n_langs; i++)
        rank[r->lang_order[i]] = (int)i;
    for (size_t i = 0; i < r->n_gaps; i++) {
        pa_report_gap *g = &r->gaps[i];
        sort(g->texts, g->n_texts, sizeof *g->texts, cmp_text);
        g->lang = rank[g->lang];
    }
    sort(r->gaps, r->n_gaps, sizeof *r->gaps, cmp_gap);
    for (size_t i = 0; i < r->n_gaps; i++)
        r->gaps[i].lang = r->lang_order[r->gaps[i].lang];
}

/* The gaps summed over languages, by nearest intent. */
static void build_topics(pa_report *r)
{
    r->topics = pa_xcalloc(r->n_gaps + 1, sizeof *r->topics);
    for (size_t i = 0; i < r->n_gaps; i++) {
        const pa_report_gap *g = &r->gaps[i];
        size_t t = 0;
        while (t < r->n_topics && cmp_nullable(r->topics[t].nearest, g->nearest) != 0)
            t++;
        if (t == r->n_topics)
            r->topics[r->n_topics++].nearest = g->nearest;
        r->topics[t].count += g->count;
    }
    sort(r->topics, r->n_topics, sizeof *r->topics, cmp_topic);
}

void pa_report_finish(pa_report *r)
{
    order_langs(r);
    sort_gaps(r);
    build_topics(r);
    sort(r->feedback, r->n_feedback, sizeof *r->feedback, cmp_feedback);
    sort(r->choices, r->n_choices, sizeof *r->choices, cmp_choices);
    sort(r->handoffs, r->n_handoffs, sizeof *r->handoffs, cmp_handoff);
}

/* passerelle report: what residents asked over a period, for city staff,
 * from the staff event log (docs/operations.md, "Reading the staff log").
 * The aggregation is the core's (pa_report); this file reads the options and
 * the log, and writes the text for the terminal; report_html.c the page. */
#include "cli.h"
#include "report.h"

#include "pa_alloc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/types.h>
#include <utf8proc.h>

/* Defaults, documented in docs/operations.md and the help text. */
enum {
    REPORT_DEFAULT_DAYS = 7,    /* a week: staff review the log weekly */
    REPORT_DEFAULT_TEXTS = 10,  /* masked texts listed per group of unanswered questions */
    REPORT_DEFAULT_TOP = 10,    /* rows of the rankings, bars of the gap chart */
    REPORT_WRAP_COLUMNS = 78,   /* the width paragraphs are wrapped to in the terminal */
    REPORT_MAX_COUNT = 1000000, /* the largest --texts or --top accepted */
    REPORT_SECONDS_PER_DAY = 86400,
};

/* ---- the staff texts ----------------------------------------------------- */

/* Reads locales/staff/report.<lang>.json of the bundled folders (those
 * installed beside the program, else the source tree's), as for check's
 * texts: never --locales, which names the knowledge whose labels are shown.
 * Returns NULL after saying why. */
static json_t *load_texts(const char *lang)
{
    cli_paths bundled;
    cli_bundled_paths(&bundled);
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/staff/report.%s.json", bundled.locales_dir, lang);
    json_error_t err;
    json_t *t = json_load_file(path, 0, &err);
    if (json_is_object(t))
        return t;
    json_decref(t);
    /* Without its texts the command cannot speak French: this line is the
     * only one in C, for the one case where they cannot be read. */
    fprintf(stderr, "passerelle report: %s: %s\n", path, t ? "not a JSON object" : err.text);
    return NULL;
}

/* The value of an option before the options are parsed: the help text is
 * in the language --lang chooses. */
static const char *peek_option(int argc, char **argv, const char *name)
{
    size_t n = strlen(name);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--"))
            break;
        if (!strncmp(argv[i], name, n) && argv[i][n] == '=')
            return argv[i] + n + 1;
        if (!strcmp(argv[i], name) && i + 1 < argc)
            return argv[i + 1];
    }
    return NULL;
}

/* Prints one text of the file, filled, to stderr: the usage errors. */
static void complain(const report_view *v, const char *key, ...)
{
    va_list ap;
    va_start(ap, key);
    char *s = report_vsay(v, key, 1, ap);
    va_end(ap);
    fprintf(stderr, "%s\n", s);
    free(s);
}

/* Why a file could not be opened, in the staff's words when the texts have
 * them (their "reasons", by errno name), else the system's. Malloc'd. */
static char *reason(const report_view *v, int err)
{
    static const struct {
        int code;
        const char *name;
    } names[] = {{ENOENT, "ENOENT"}, {EACCES, "EACCES"}, {EISDIR, "EISDIR"},
                 {ENOSPC, "ENOSPC"}, {EROFS, "EROFS"},   {ENOTDIR, "ENOTDIR"}};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        const char *s =
            json_string_value(json_object_get(json_object_get(v->texts, "reasons"), names[i].name));
        if (names[i].code == err && s)
            return pa_xstrdup(s);
    }
    return pa_xstrdup(strerror(err));
}

/* Says that file could not be read or written (key), and why. */
static void complain_file(const report_view *v, const char *key, const char *file, int err)
{
    char *why = reason(v, err);
    complain(v, key, "file", file, "reason", why, NULL);
    free(why);
}

/* ---- the terminal -------------------------------------------------------- */

/* Display width of UTF-8 text: East Asian wide characters take two columns,
 * marks none. */
static size_t width(const char *s)
{
    size_t w = 0;
    utf8proc_int32_t c;
    for (utf8proc_ssize_t n; *s && (n = utf8proc_iterate((const utf8proc_uint8_t *)s, -1, &c)) > 0;
         s += n)
        w += (size_t)utf8proc_charwidth(c);
    return w;
}

/* A resident's text made safe for a terminal: control characters (escape
 * sequences could rewrite the screen) and bidirectional overrides (they could
 * make a line read as another) become U+FFFD; tabs and newlines a space.
 * Returns a malloc'd copy. */
static char *terminal_safe(const char *s)
{
    size_t len = strlen(s);
    char *out = pa_xmalloc(len * 3 + 1), *o = out;
    utf8proc_int32_t c;
    for (utf8proc_ssize_t n; *s && (n = utf8proc_iterate((const utf8proc_uint8_t *)s, -1, &c)) > 0;
         s += n) {
        int bidi = c == 0x061c || c == 0x200e || c == 0x200f || (c >= 0x202a && c <= 0x202e) ||
                   (c >= 0x2066 && c <= 0x2069);
        if (c == '\t' || c == '\n' || c == '\r')
            *o++ = ' ';
        else if (bidi || utf8proc_category(c) == UTF8PROC_CATEGORY_CC)
            o += utf8proc_encode_char(0xfffd, (utf8proc_uint8_t *)o);
        else
            o += utf8proc_encode_char(c, (utf8proc_uint8_t *)o);
    }
    *o = '\0';
    return out;
}

/* Prints text wrapped at REPORT_WRAP_COLUMNS, each line after indent. */
static void print_wrapped(const char *text, int indent)
{
    char *copy = pa_xstrdup(text);
    size_t col = 0;
    for (char *word = strtok(copy, " "); word; word = strtok(NULL, " ")) {
        size_t w = width(word);
        if (col > 0 && col + 1 + w > (size_t)REPORT_WRAP_COLUMNS - (size_t)indent) {
            putchar('\n');
            col = 0;
        }
        if (col)
            printf(" %s", word);
        else
            printf("%*s%s", indent, "", word);
        col += (col ? 1 : 0) + w;
    }
    putchar('\n');
    free(copy);
}

static void print_heading(const report_view *v, const char *key)
{
    char *h = report_say(v, key, 1, NULL);
    printf("\n%s\n", h);
    for (size_t i = width(h); i > 0; i--)
        putchar('-');
    putchar('\n');
    free(h);
}

/* Prints a paragraph of the texts, wrapped, indented by two. */
static void print_para(const report_view *v, const char *key)
{
    char *s = report_say(v, key, 1, NULL);
    print_wrapped(s, 2);
    free(s);
}

static void print_table(const report_table *t)
{
    size_t *w = pa_xcalloc(t->n_cols, sizeof *w);
    for (size_t r = 0; r < t->n_rows; r++)
        for (size_t c = 0; c < t->n_cols; c++)
            if (width(report_cell(t, r, c)) > w[c])
                w[c] = width(report_cell(t, r, c));
    for (size_t r = 0; r < t->n_rows; r++) {
        fputs("  ", stdout);
        for (size_t c = 0; c < t->n_cols; c++) {
            const char *cell = report_cell(t, r, c);
            size_t pad = w[c] - width(cell);
            if (c == 0)
                printf("%s%*s", cell, c + 1 < t->n_cols ? (int)pad : 0, "");
            else
                printf("   %*s%s", (int)pad, "", cell);
        }
        putchar('\n');
    }
    free(w);
}

/* A table, or the "none" sentence when it has no row but its header. */
static void print_section(const report_view *v, const char *title, const char *intro,
                          const char *none, void (*build)(const report_view *, report_table *))
{
    print_heading(v, title);
    report_table t;
    build(v, &t);
    if (t.n_rows <= 1) {
        print_para(v, none);
    } else {
        if (intro)
            print_para(v, intro);
        putchar('\n');
        print_table(&t);
    }
    report_table_clear(&t);
}

static void print_overview(const report_view *v)
{
    const pa_report *r = v->r;
    print_heading(v, "section_overview");
    if (r->total.questions == 0) {
        print_para(v, "overview_none");
        return;
    }
    char *count = report_number(v, r->total.questions),
         *answered = report_number(v, r->total.answered);
    char *share = report_percent(v, r->total.answered, r->total.questions);
    char *s = report_say(v, "overview", r->total.questions, "count", count, "answered", answered,
                         "share", share, NULL);
    print_wrapped(s, 2);
    free(s);
    free(count);
    free(answered);
    free(share);
    report_table t;
    report_table_languages(v, &t);
    putchar('\n');
    print_table(&t);
    report_table_clear(&t);
}

/* The texts of one group: the most frequent first, "3 × " before repeats. */
static void print_gap_texts(const report_view *v, const pa_report_gap *g)
{
    for (size_t i = 0; i < g->n_texts && i < v->texts_per_group; i++) {
        const pa_report_text *t = &g->texts[i];
        char *safe = terminal_safe(t->text);
        if (t->count > 1) {
            char *n = report_number(v, t->count);
            char *times = report_say(v, "text_repeat", t->count, "count", n, NULL);
            printf("      %s %s\n", times, safe);
            free(n);
            free(times);
        } else {
            printf("      %s\n", safe);
        }
        free(safe);
    }
    if (g->n_texts > v->texts_per_group) {
        size_t more = g->n_texts - v->texts_per_group;
        char *n = report_number(v, more);
        char *s = report_say(v, "texts_more", more, "count", n, NULL);
        printf("      %s\n", s);
        free(n);
        free(s);
    }
}

static void print_gaps(const report_view *v)
{
    const pa_report *r = v->r;
    print_heading(v, "section_gaps");
    if (r->n_gaps == 0) {
        print_para(v, "gaps_none");
        return;
    }
    print_para(v, "gaps_intro");
    for (size_t i = 0; i < r->n_gaps; i++) {
        char *h = report_gap_heading(v, &r->gaps[i]);
        putchar('\n');
        print_wrapped(h, 2);
        free(h);
        print_gap_texts(v, &r->gaps[i]);
    }
}

static void print_text(const report_view *v, const char *log_name)
{
    const pa_report *r = v->r;
    char *title = report_say(v, "title", 1, NULL);
    char *from = report_date(v, r->from_day), *to = report_date(v, r->to_day);
    char *days = report_number(v, r->n_days);
    char *period = report_say(v, "period", r->n_days, "from", from, "to", to, "days", days, NULL);
    char *source = report_say(v, "log_source", 1, "file", log_name, NULL);
    printf("%s\n", title);
    print_wrapped(period, 0);
    print_wrapped(source, 0);
    free(title);
    free(from);
    free(to);
    free(days);
    free(period);
    free(source);

    print_overview(v);
    if (r->total.questions == 0) { /* a table of zeros says nothing more */
        print_heading(v, "section_days");
        print_para(v, "overview_none");
    } else {
        print_section(v, "section_days", NULL, "overview_none", report_table_days);
    }
    print_gaps(v);
    print_section(v, "section_feedback", "feedback_intro", "feedback_none", report_table_feedback);
    print_section(v, "section_choices", "choices_intro", "choices_none", report_table_choices);
    print_section(v, "section_handoffs", "handoffs_intro", "handoffs_none", report_table_handoffs);
    char *skipped = report_skipped_line(v);
    if (skipped) {
        putchar('\n');
        print_wrapped(skipped, 0);
        free(skipped);
    }
}

/* ---- options ------------------------------------------------------------- */

typedef struct {
    const char *log, *from, *to, *days, *html, *lang, *texts, *top;
    cli_paths paths;
} report_options;

/* A whole number in [min, max] into *n; -1 when value is anything else. */
static int whole_number(const char *value, size_t min, size_t max, size_t *n)
{
    char *end;
    errno = 0;
    unsigned long long x = strtoull(value, &end, 10);
    if (end == value || *end || errno || value[0] == '-' || x < min || x > max)
        return -1;
    *n = (size_t)x;
    return 0;
}

/* The period from --from, --to and --days (docs/operations.md): any two of
 * them, or one, else the last REPORT_DEFAULT_DAYS days up to today (UTC).
 * Returns 0, or CLI_USAGE after saying what is wrong. */
static int period(const report_view *v, const report_options *o, int *from, int *to)
{
    char max[16];
    snprintf(max, sizeof max, "%d", PA_REPORT_MAX_DAYS);
    size_t days = REPORT_DEFAULT_DAYS;
    if (o->days && whole_number(o->days, 1, PA_REPORT_MAX_DAYS, &days) != 0) {
        complain(v, "error_days", "value", o->days, "max", max, NULL);
        return CLI_USAGE;
    }
    if (o->from && o->to && o->days) {
        complain(v, "error_days_with_both", NULL);
        return CLI_USAGE;
    }
    const char *bad = o->from && pa_report_parse_day(o->from, from) != 0 ? o->from
                      : o->to && pa_report_parse_day(o->to, to) != 0     ? o->to
                                                                         : NULL;
    if (bad) {
        complain(v, "error_date", "value", bad, NULL);
        return CLI_USAGE;
    }
    int today = (int)(time(NULL) / REPORT_SECONDS_PER_DAY);
    if (!o->to)
        *to = o->from && o->days ? *from + (int)days - 1 : today;
    if (!o->from)
        *from = *to - (int)days + 1;
    if (*to < *from || (long)*to - *from + 1 > PA_REPORT_MAX_DAYS) {
        char *a = report_date(v, *from), *b = report_date(v, *to);
        complain(v, "error_period", "from", a, "to", b, "max", max, NULL);
        free(a);
        free(b);
        return CLI_USAGE;
    }
    return 0;
}

/* Feeds every line of f to r. Returns 0, or -1 on a read error. */
static int read_log(FILE *f, pa_report *r)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int first = 1;
    while ((n = getline(&line, &cap, f)) >= 0) {
        const char *p = line;
        if (first && n >= 3 && !memcmp(p, "\xef\xbb\xbf", 3)) { /* a byte order mark */
            p += 3;
            n -= 3;
        }
        first = 0;
        pa_report_feed(r, p, (size_t)n);
    }
    free(line);
    return ferror(f) ? -1 : 0;
}

/* Loads the knowledge for the labels when --intents was given. Returns 0,
 * or -1 after saying why. */
static int load_labels(report_view *v, const report_options *o, pa_knowledge *k)
{
    if (!o->paths.intents_dir)
        return 0;
    cli_paths def;
    cli_default_paths(&def);
    const char *locales = o->paths.locales_dir ? o->paths.locales_dir : def.locales_dir;
    pa_diag diag;
    pa_diag_init(&diag);
    int rc = pa_knowledge_load(k, o->paths.intents_dir, locales, &diag);
    if (rc != 0) {
        cli_print_diag(&diag, stderr);
        complain(v, "error_knowledge", "intents", o->paths.intents_dir, NULL);
    } else {
        int l = pa_knowledge_lang(k, json_string_value(json_object_get(v->texts, "lang")));
        v->label_lang = l >= 0 ? l : 0; /* else the first language of the knowledge */
        v->k = k;
    }
    pa_diag_clear(&diag);
    return rc;
}

static int write_html(const report_view *v, const char *file)
{
    int to_stdout = !strcmp(file, "-");
    FILE *out = to_stdout ? stdout : fopen(file, "w");
    int rc = out ? report_html(v, out) : -1;
    if (!to_stdout && out && fclose(out) != 0)
        rc = -1;
    if (rc != 0) {
        complain_file(v, "error_write", file, errno);
        return CLI_FAILED;
    }
    if (!to_stdout) {
        char *s = report_say(v, "html_written", 1, "file", file, NULL);
        printf("%s\n", s);
        free(s);
    }
    return CLI_OK;
}

/* Reads the log into r and renders it. */
static int run(report_view *v, const report_options *o, int from, int to)
{
    pa_report r;
    pa_report_init(&r, from, to); /* the period was checked */
    v->r = &r;
    int from_stdin = !strcmp(o->log, "-");
    FILE *f = from_stdin ? stdin : fopen(o->log, "r");
    int rc = CLI_FAILED;
    if (f && read_log(f, &r) == 0) {
        pa_report_finish(&r);
        rc = CLI_OK;
        if (o->html) {
            rc = write_html(v, o->html);
        } else {
            char *name = from_stdin ? report_say(v, "stdin", 1, NULL) : pa_xstrdup(o->log);
            print_text(v, name);
            free(name);
        }
    } else {
        complain_file(v, "error_read", o->log, errno);
    }
    if (f && !from_stdin)
        fclose(f);
    pa_report_clear(&r);
    return rc;
}

/* Checks the options, in the order a person reads them. Returns CLI_OK, or
 * CLI_USAGE after saying what is wrong. */
static int check_options(report_view *v, const report_options *o, int *from, int *to)
{
    if (o->lang && strcmp(o->lang, "fr") && strcmp(o->lang, "en")) {
        complain(v, "error_lang", "value", o->lang, NULL);
        return CLI_USAGE;
    }
    if (!o->log || !*o->log) {
        complain(v, "error_no_log", NULL);
        return CLI_USAGE;
    }
    struct {
        const char *value;
        size_t min, *n;
    } counts[] = {{o->texts, 0, &v->texts_per_group}, {o->top, 1, &v->top}};
    for (size_t i = 0; i < sizeof counts / sizeof *counts; i++) {
        if (counts[i].value &&
            whole_number(counts[i].value, counts[i].min, REPORT_MAX_COUNT, counts[i].n) != 0) {
            complain(v, "error_number", "value", counts[i].value, NULL);
            return CLI_USAGE;
        }
    }
    return period(v, o, from, to);
}

int cmd_report(int argc, char **argv)
{
    const char *lang = cli_staff_lang(peek_option(argc, argv, "--lang"));
    if (!lang) /* a wrong --lang: said once the texts are there */
        lang = cli_staff_lang(NULL);
    report_options o = {.log = getenv("PASSERELLE_STAFF_LOG")};
    report_view v = {.texts = load_texts(lang),
                     .texts_per_group = REPORT_DEFAULT_TEXTS,
                     .top = REPORT_DEFAULT_TOP,
                     .version = PASSERELLE_VERSION};
    if (!v.texts)
        return CLI_FAILED;
    const char *help =
        json_string_value(json_object_get(json_object_get(v.texts, "texts"), "help"));
    const cli_option extra[] = {
        {"log", &o.log, NULL},     {"from", &o.from, NULL}, {"to", &o.to, NULL},
        {"days", &o.days, NULL},   {"html", &o.html, NULL}, {"lang", &o.lang, NULL},
        {"texts", &o.texts, NULL}, {"top", &o.top, NULL},   {NULL, NULL, NULL}};
    int first, rc = cli_parse(argc, argv, help ? help : "passerelle report\n", &o.paths, extra, 0,
                              0, &first);
    if (rc != CLI_OK) { /* the help was printed */
        json_decref(v.texts);
        return rc < 0 ? CLI_OK : rc;
    }
    if (o.lang && strcmp(o.lang, lang) && (!strcmp(o.lang, "fr") || !strcmp(o.lang, "en"))) {
        json_decref(v.texts); /* --lang was abbreviated: the texts peeked were not its */
        if (!(v.texts = load_texts(o.lang)))
            return CLI_FAILED;
    }
    int from = 0, to = 0;
    pa_knowledge k = {0};
    rc = check_options(&v, &o, &from, &to);
    if (rc == CLI_USAGE)
        complain(&v, "see_help", NULL);
    else
        rc = load_labels(&v, &o, &k) == 0 ? run(&v, &o, from, to) : CLI_FAILED;
    pa_knowledge_clear(&k);
    json_decref(v.texts);
    return rc;
}

/* The page of `passerelle report --html`: one self-contained file that staff
 * open in a browser, mail, or print.
 *
 * - Nothing is loaded from anywhere: the stylesheet is inline, the charts are
 *   inline SVG drawn here, there is no script at all, and a Content Security
 *   Policy says so (default-src 'none'; the one stylesheet allowed by its
 *   SHA-256), so that even a text that escaped escaping could run nothing.
 * - Every text from the log (residents' questions, ids, codes) is
 *   HTML-escaped: residents write them, staff open the page.
 * - Accessible: each chart is an image with a title and a description, and a
 *   table with the same figures follows it; residents' texts carry their
 *   language and their own direction (Arabic reads right to left).
 * - Readable on a phone: the charts scale to the width, wide tables scroll
 *   inside their own box. */
#include "report.h"

#include "pa_alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The charts' drawing, in SVG user units: they scale to the page's width. */
enum {
    CHART_WIDTH = 360, /* narrow, so that text stays readable on a phone */
    DAYS_HEIGHT = 200, /* the questions-per-day chart */
    DAYS_LEFT = 46,    /* room for the count axis ("12 000") */
    DAYS_BOTTOM = 24,  /* room for the dates */
    DAYS_TOP = 8,
    DAYS_TICKS = 4,        /* gridlines wanted on the count axis, at most */
    DATE_LABEL_WIDTH = 38, /* a "23/11" label, with some room */
    TOPIC_ROW = 38,        /* one bar of the gap chart with its label above */
    TOPIC_BAR = 14,
    TOPIC_LABEL_CHARS = 48, /* longer labels are cut (the table has them whole) */
    TOPIC_COUNT_ROOM = 56,  /* room right of the longest bar for its count ("123 456") */
};

/* Colours of the languages, the Okabe–Ito palette (told apart by people
 * with the common colour-vision deficiencies): the product's languages have
 * their own, so a colour means the same language from one week to the next;
 * others take the rest in turn. */
static const struct {
    const char *lang, *colour;
} lang_colours[] = {
    {"fr", "#0072b2"}, {"de", "#e69f00"}, {"pl", "#009e73"}, {"pt", "#cc79a7"}, {"ar", "#d55e00"},
};
static const char *const other_colours[] = {"#56b4e9", "#000000", "#999999", "#f0e442"};

static const char css[] =
    ":root{color-scheme:light}"
    "body{margin:0;font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;"
    "color:#1b1b1b;background:#fff;line-height:1.5}"
    "header,main,footer{max-width:50rem;margin:0 auto;padding:0 1rem}"
    "h1{font-size:1.5rem;margin:1.5rem 0 .25rem}"
    "h2{font-size:1.25rem;margin:2.5rem 0 .5rem;border-bottom:2px solid #0072b2}"
    "h3{font-size:1rem;margin:1.5rem 0 .25rem}"
    "figure{margin:1rem 0}"
    "figcaption{font-weight:600}"
    "svg.chart{display:block;width:100%;max-width:34rem;height:auto}"
    "svg text{font-family:system-ui,sans-serif;font-size:12px;fill:#333}"
    ".grid{stroke:#d8d8d8;stroke-width:1}"
    ".bar{stroke:#fff;stroke-width:.5}"
    ".legend{list-style:none;padding:0;margin:.5rem 0;display:flex;flex-wrap:wrap;gap:.25rem 1rem}"
    ".legend svg{vertical-align:-2px;margin-right:.35rem}"
    ".scroll{overflow-x:auto;margin:.5rem 0}"
    ".scroll:focus{outline:2px solid #0072b2}"
    "table{border-collapse:collapse;font-variant-numeric:tabular-nums}"
    "caption{text-align:left;font-weight:600;padding:.25rem 0}"
    "th,td{padding:.25rem .6rem;border-bottom:1px solid #ddd;text-align:right;white-space:nowrap}"
    "th:first-child,td:first-child{text-align:left;white-space:normal}"
    "thead th{border-bottom:2px solid #888}"
    ".texts{margin:.25rem 0;padding-left:1.25rem}"
    ".texts li{margin:.15rem 0;overflow-wrap:anywhere}"
    ".times{color:#555;font-variant-numeric:tabular-nums}"
    ".note{color:#444}"
    "footer{margin-top:3rem;padding-bottom:2rem;color:#555;font-size:.9rem}"
    "@media print{.scroll{overflow:visible}h2{break-after:avoid}}";

/* ---- SHA-256 (FIPS 180-4), for the stylesheet's hash in the policy -------- */

static const uint32_t sha_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

static uint32_t ror(uint32_t x, int n)
{
    return (x >> n) | (x << (32 - n));
}

static void sha_block(uint32_t h[8], const unsigned char *p)
{
    uint32_t w[64], s[8];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 64; i++)
        w[i] = w[i - 16] + (ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3)) + w[i - 7] +
               (ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10));
    memcpy(s, h, sizeof s);
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = s[7] + (ror(s[4], 6) ^ ror(s[4], 11) ^ ror(s[4], 25)) +
                      ((s[4] & s[5]) ^ (~s[4] & s[6])) + sha_k[i] + w[i];
        uint32_t t2 = (ror(s[0], 2) ^ ror(s[0], 13) ^ ror(s[0], 22)) +
                      ((s[0] & s[1]) ^ (s[0] & s[2]) ^ (s[1] & s[2]));
        memmove(s + 1, s, 7 * sizeof *s);
        s[4] += t1;
        s[0] = t1 + t2;
    }
    for (int i = 0; i < 8; i++)
        h[i] += s[i];
}

static void sha256(const void *data, size_t len, unsigned char out[32])
{
    uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                     0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    const unsigned char *p = data;
    size_t i = 0;
    for (; len - i >= 64; i += 64)
        sha_block(h, p + i);
    unsigned char tail[128] = {0};
    size_t rest = len - i, padded = rest < 56 ? 64 : 128;
    memcpy(tail, p + i, rest);
    tail[rest] = 0x80;
    uint64_t bits = (uint64_t)len * 8;
    for (int b = 0; b < 8; b++)
        tail[padded - 1 - b] = (unsigned char)(bits >> (8 * b));
    for (size_t j = 0; j < padded; j += 64)
        sha_block(h, tail + j);
    for (int j = 0; j < 8; j++)
        for (int b = 0; b < 4; b++)
            out[4 * j + b] = (unsigned char)(h[j] >> (24 - 8 * b));
}

/* The policy's source for the stylesheet: 'sha256-<base64 of its digest>'. */
static void style_hash(char out[64])
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    unsigned char d[33] = {0};
    sha256(css, strlen(css), d);
    char *o = out + sprintf(out, "'sha256-");
    for (int i = 0; i < 33; i += 3) {
        uint32_t v = (uint32_t)d[i] << 16 | (uint32_t)d[i + 1] << 8 | d[i + 2];
        for (int k = 0; k < 4; k++)
            *o++ = b64[(v >> (18 - 6 * k)) & 63];
    }
    o[-1] = '='; /* 32 bytes: the last group holds two, padded with one '=' */
    strcpy(o, "'");
}

/* ---- writing ------------------------------------------------------------- */

/* Writes s with the five characters that mean something in HTML escaped:
 * safe in text and in quoted attributes alike. */
static void esc(FILE *o, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", o); break;
        case '<': fputs("&lt;", o); break;
        case '>': fputs("&gt;", o); break;
        case '"': fputs("&quot;", o); break;
        case '\'': fputs("&#39;", o); break;
        default: fputc(*s, o);
        }
    }
}

/* Writes a text of the file, escaped, and frees it. */
static void put(FILE *o, char *s)
{
    esc(o, s);
    free(s);
}

/* Writes the text of key (no placeholder), escaped. */
static void text(const report_view *v, FILE *o, const char *key)
{
    put(o, report_say(v, key, 1, NULL));
}

static const char *colour_of(const pa_report *r, int lang)
{
    for (size_t i = 0; i < sizeof lang_colours / sizeof *lang_colours; i++)
        if (!strcmp(r->langs[lang], lang_colours[i].lang))
            return lang_colours[i].colour;
    size_t others = 0; /* the languages before this one without their own colour */
    for (size_t i = 0; i < r->n_langs && r->lang_order[i] != lang; i++) {
        int own = 0;
        for (size_t c = 0; c < sizeof lang_colours / sizeof *lang_colours; c++)
            own |= !strcmp(r->langs[r->lang_order[i]], lang_colours[c].lang);
        others += !own;
    }
    return other_colours[others % (sizeof other_colours / sizeof *other_colours)];
}

static void table(FILE *o, const report_table *t, const char *caption, const char *id)
{
    fprintf(o,
            "<div class=\"scroll\" tabindex=\"0\" role=\"region\" aria-labelledby=\"%s\">\n"
            "<table>\n<caption id=\"%s\">",
            id, id);
    esc(o, caption);
    fputs("</caption>\n<thead><tr>", o);
    for (size_t c = 0; c < t->n_cols; c++) {
        fputs("<th scope=\"col\">", o);
        esc(o, report_cell(t, 0, c));
        fputs("</th>", o);
    }
    fputs("</tr></thead>\n<tbody>\n", o);
    for (size_t r = 1; r < t->n_rows; r++) {
        fputs("<tr>", o);
        for (size_t c = 0; c < t->n_cols; c++) {
            fputs(c == 0 ? "<th scope=\"row\">" : "<td>", o);
            esc(o, report_cell(t, r, c));
            fputs(c == 0 ? "</th>" : "</td>", o);
        }
        fputs("</tr>\n", o);
    }
    fputs("</tbody>\n</table>\n</div>\n", o);
}

/* A table from build under a caption of the texts; 0 when it had no rows. */
static int section_table(const report_view *v, FILE *o,
                         void (*build)(const report_view *, report_table *), const char *caption,
                         const char *id)
{
    report_table t;
    build(v, &t);
    int rows = t.n_rows > 1;
    if (rows) {
        char *c = report_say(v, caption, 1, NULL);
        table(o, &t, c, id);
        free(c);
    }
    report_table_clear(&t);
    return rows;
}

static void open_section(const report_view *v, FILE *o, const char *id, const char *heading)
{
    fprintf(o, "<section aria-labelledby=\"%s\">\n<h2 id=\"%s\">", id, id);
    text(v, o, heading);
    fputs("</h2>\n", o);
}

static void para(const report_view *v, FILE *o, const char *key, const char *cls)
{
    fprintf(o, "<p%s%s%s>", cls ? " class=\"" : "", cls ? cls : "", cls ? "\"" : "");
    text(v, o, key);
    fputs("</p>\n", o);
}

/* The chart's opening: an image titled and described by the texts. */
static void open_chart(const report_view *v, FILE *o, const char *id, int height, const char *title,
                       const char *desc)
{
    fprintf(o,
            "<svg class=\"chart\" id=\"%s\" viewBox=\"0 0 %d %d\" role=\"img\" "
            "aria-labelledby=\"%s-title %s-desc\">\n"
            "<title id=\"%s-title\">",
            id, CHART_WIDTH, height, id, id, id);
    text(v, o, title);
    fprintf(o, "</title>\n<desc id=\"%s-desc\">", id);
    text(v, o, desc);
    fputs("</desc>\n", o);
}

/* The smallest of 1, 2, 5, 10, 20, 50... steps that covers max in at most
 * DAYS_TICKS gridlines. */
static size_t axis_step(size_t max)
{
    size_t step = 1;
    for (size_t scale = 1;; scale *= 10) {
        static const size_t m[] = {1, 2, 5};
        for (size_t i = 0; i < 3; i++) {
            step = m[i] * scale;
            if (step * DAYS_TICKS >= max)
                return step;
        }
    }
}

/* Questions per day, stacked by language: one bar per day and language with
 * questions. */
static void chart_days(const report_view *v, FILE *o)
{
    const pa_report *r = v->r;
    size_t max = 0;
    for (size_t d = 0; d < r->n_days; d++) {
        size_t day = 0;
        for (size_t l = 0; l < r->n_langs; l++)
            day += pa_report_day(r, d, (int)l)->questions;
        max = day > max ? day : max;
    }
    size_t step = axis_step(max), ticks = (max + step - 1) / step;
    ticks = ticks ? ticks : 1;
    double top = (double)(step * ticks), plot_w = CHART_WIDTH - DAYS_LEFT - 4;
    double plot_h = DAYS_HEIGHT - DAYS_TOP - DAYS_BOTTOM, base = DAYS_TOP + plot_h;
    double slot = plot_w / (double)r->n_days;
    open_chart(v, o, "chart-days", DAYS_HEIGHT, "chart_days_title", "chart_days_desc");
    for (size_t i = 0; i <= ticks; i++) {
        double y = base - plot_h * (double)(i * step) / top;
        char *n = report_number(v, i * step);
        fprintf(o,
                "<line class=\"grid\" x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\"/>"
                "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
                DAYS_LEFT, CHART_WIDTH - 4, y, y, DAYS_LEFT - 4, y + 4, n);
        free(n);
    }
    size_t every = (size_t)(DATE_LABEL_WIDTH / slot) + 1; /* a date label every this many days */
    for (size_t d = 0; d < r->n_days; d++) {
        double x = DAYS_LEFT + slot * (double)d, y = base;
        char *date = report_date(v, r->from_day + (int)d);
        for (size_t i = 0; i < r->n_langs; i++) {
            int l = r->lang_order[i];
            size_t n = pa_report_day(r, d, l)->questions;
            if (n == 0)
                continue;
            double h = plot_h * (double)n / top;
            y -= h;
            char *count = report_number(v, n), *lang = report_lang_name(v, r->langs[l]);
            fprintf(o,
                    "<rect class=\"bar\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" "
                    "fill=\"%s\"><title>",
                    x + slot * 0.15, y, slot * 0.7, h, colour_of(r, l));
            put(o, report_say(v, "bar_day", n, "date", date, "lang", lang, "count", count, NULL));
            fputs("</title></rect>\n", o);
            free(count);
            free(lang);
        }
        free(date);
        double centre = x + slot / 2; /* of the day's bar, and its date below */
        if (d % every == 0 && centre + DATE_LABEL_WIDTH / 2.0 <= CHART_WIDTH) {
            char *label = report_short_date(v, r->from_day + (int)d);
            fprintf(o, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">", centre,
                    DAYS_HEIGHT - 6);
            put(o, label);
            fputs("</text>\n", o);
        }
    }
    fputs("</svg>\n", o);
}

static void legend(const report_view *v, FILE *o)
{
    const pa_report *r = v->r;
    fputs("<ul class=\"legend\">\n", o);
    for (size_t i = 0; i < r->n_langs; i++) {
        int l = r->lang_order[i];
        if (r->per_lang[l].questions == 0)
            continue;
        fprintf(o,
                "<li><svg width=\"12\" height=\"12\" aria-hidden=\"true\" focusable=\"false\">"
                "<rect width=\"12\" height=\"12\" fill=\"%s\"/></svg>",
                colour_of(r, l));
        put(o, report_lang_name(v, r->langs[l]));
        fputs(" (", o);
        esc(o, r->langs[l]);
        fputs(")</li>\n", o);
    }
    fputs("</ul>\n", o);
}

/* A label cut to TOPIC_LABEL_CHARS code points, with an ellipsis. */
static char *cut(char *s)
{
    size_t chars = 0, i = 0;
    for (; s[i]; i++) {
        if (((unsigned char)s[i] & 0xc0) != 0x80 && ++chars > TOPIC_LABEL_CHARS)
            break;
    }
    if (s[i]) {
        s = pa_xrealloc(s, i + 4);
        strcpy(s + i, "…");
    }
    return s;
}

/* Unanswered questions by nearest intent: one horizontal bar each. */
static void chart_topics(const report_view *v, FILE *o)
{
    const pa_report *r = v->r;
    size_t n = r->n_topics < v->top ? r->n_topics : v->top;
    size_t max = n ? r->topics[0].count : 1;
    double room = CHART_WIDTH - TOPIC_COUNT_ROOM;
    open_chart(v, o, "chart-gaps", (int)n * TOPIC_ROW + 4, "chart_gaps_title", "chart_gaps_desc");
    for (size_t i = 0; i < n; i++) {
        const pa_report_topic *t = &r->topics[i];
        double y = (double)i * TOPIC_ROW, w = room * (double)t->count / (double)max;
        char *label = report_intent(v, t->nearest), *count = report_number(v, t->count);
        fprintf(o, "<text x=\"0\" y=\"%.1f\">", y + 13);
        put(o, cut(report_intent_name(v, t->nearest)));
        fprintf(o,
                "</text>\n<rect class=\"bar\" x=\"0\" y=\"%.1f\" width=\"%.2f\" height=\"%d\" "
                "fill=\"#0072b2\"><title>",
                y + 18, w, TOPIC_BAR);
        put(o, report_say(v, "bar_topic", t->count, "intent", label, "count", count, NULL));
        fprintf(o, "</title></rect>\n<text x=\"%.1f\" y=\"%.1f\">%s</text>\n", w + 4,
                y + 18 + TOPIC_BAR - 3, count);
        free(label);
        free(count);
    }
    fputs("</svg>\n", o);
}

/* ---- the sections -------------------------------------------------------- */

static void html_overview(const report_view *v, FILE *o)
{
    const pa_report *r = v->r;
    open_section(v, o, "overview", "section_overview");
    if (r->total.questions == 0) {
        para(v, o, "overview_none", NULL);
    } else {
        char *count = report_number(v, r->total.questions);
        char *answered = report_number(v, r->total.answered);
        char *share = report_percent(v, r->total.answered, r->total.questions);
        fputs("<p>", o);
        put(o, report_say(v, "overview", r->total.questions, "count", count, "answered", answered,
                          "share", share, NULL));
        fputs("</p>\n", o);
        free(count);
        free(answered);
        free(share);
        section_table(v, o, report_table_languages, "caption_languages", "table-languages");
    }
    fputs("</section>\n", o);
}

static void html_days(const report_view *v, FILE *o)
{
    open_section(v, o, "days", "section_days");
    if (v->r->total.questions == 0) {
        para(v, o, "overview_none", NULL);
    } else {
        fputs("<figure>\n", o);
        chart_days(v, o);
        legend(v, o);
        fputs("</figure>\n", o);
        section_table(v, o, report_table_days, "caption_days", "table-days");
    }
    fputs("</section>\n", o);
}

static void html_gap(const report_view *v, FILE *o, const pa_report_gap *g)
{
    const char *lang = v->r->langs[g->lang];
    fputs("<h3>", o);
    put(o, report_gap_heading(v, g));
    fputs("</h3>\n<ul class=\"texts\">\n", o);
    for (size_t i = 0; i < g->n_texts && i < v->texts_per_group; i++) {
        const pa_report_text *t = &g->texts[i];
        fputs("<li>", o);
        if (t->count > 1) {
            char *n = report_number(v, t->count);
            fputs("<span class=\"times\">", o);
            put(o, report_say(v, "text_repeat", t->count, "count", n, NULL));
            fputs("</span> ", o);
            free(n);
        }
        fputs("<span lang=\"", o);
        esc(o, lang);
        fputs("\" dir=\"auto\">", o);
        esc(o, t->text);
        fputs("</span></li>\n", o);
    }
    fputs("</ul>\n", o);
    if (g->n_texts > v->texts_per_group) {
        size_t more = g->n_texts - v->texts_per_group;
        char *n = report_number(v, more);
        fputs("<p class=\"note\">", o);
        put(o, report_say(v, "texts_more", more, "count", n, NULL));
        fputs("</p>\n", o);
        free(n);
    }
}

static void html_gaps(const report_view *v, FILE *o)
{
    const pa_report *r = v->r;
    open_section(v, o, "gaps", "section_gaps");
    if (r->n_gaps == 0) {
        para(v, o, "gaps_none", NULL);
    } else {
        para(v, o, "gaps_intro", NULL);
        fputs("<figure>\n", o);
        chart_topics(v, o);
        fputs("</figure>\n", o);
        section_table(v, o, report_table_topics, "caption_topics", "table-topics");
        for (size_t i = 0; i < r->n_gaps; i++)
            html_gap(v, o, &r->gaps[i]);
    }
    fputs("</section>\n", o);
}

/* A section that is one table, or its "none" sentence. */
static void html_table_section(const report_view *v, FILE *o, const char *id, const char *key)
{
    char heading[64], intro[64], none[64], caption[64], table_id[64];
    snprintf(heading, sizeof heading, "section_%s", key);
    snprintf(intro, sizeof intro, "%s_intro", key);
    snprintf(none, sizeof none, "%s_none", key);
    snprintf(caption, sizeof caption, "caption_%s", key);
    snprintf(table_id, sizeof table_id, "table-%s", id);
    open_section(v, o, id, heading);
    void (*build)(const report_view *, report_table *) =
        !strcmp(key, "feedback")  ? report_table_feedback
        : !strcmp(key, "choices") ? report_table_choices
                                  : report_table_handoffs;
    report_table t;
    build(v, &t);
    int empty = t.n_rows <= 1;
    report_table_clear(&t);
    if (empty) {
        para(v, o, none, NULL);
    } else {
        para(v, o, intro, NULL);
        section_table(v, o, build, caption, table_id);
    }
    fputs("</section>\n", o);
}

static void html_head(const report_view *v, FILE *o)
{
    const pa_report *r = v->r;
    char hash[64];
    style_hash(hash);
    fputs("<!DOCTYPE html>\n<html lang=\"", o);
    esc(o, json_string_value(json_object_get(v->texts, "lang")));
    fprintf(o,
            "\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
            "style-src %s; img-src 'none'; base-uri 'none'; form-action 'none'\">\n"
            "<meta name=\"referrer\" content=\"no-referrer\">\n<title>",
            hash);
    char *from = report_date(v, r->from_day), *to = report_date(v, r->to_day);
    char *days = report_number(v, r->n_days);
    put(o, report_say(v, "page_title", r->n_days, "from", from, "to", to, NULL));
    fprintf(o, "</title>\n<style>%s</style>\n</head>\n<body>\n<header>\n<h1>", css);
    text(v, o, "title");
    fputs("</h1>\n<p>", o);
    put(o, report_say(v, "period", r->n_days, "from", from, "to", to, "days", days, NULL));
    fputs("</p>\n</header>\n", o);
    free(from);
    free(to);
    free(days);
}

int report_html(const report_view *v, FILE *o)
{
    html_head(v, o);
    fputs("<main>\n", o);
    html_overview(v, o);
    html_days(v, o);
    html_gaps(v, o);
    html_table_section(v, o, "feedback", "feedback");
    html_table_section(v, o, "choices", "choices");
    html_table_section(v, o, "handoffs", "handoffs");
    fputs("</main>\n<footer>\n", o);
    char *skipped = report_skipped_line(v);
    if (skipped) {
        fputs("<p>", o);
        put(o, skipped);
        fputs("</p>\n", o);
    }
    fputs("<p>", o);
    put(o, report_say(v, "footer", 1, "version", v->version, NULL));
    fputs("</p>\n</footer>\n</body>\n</html>\n", o);
    return fflush(o) == 0 && !ferror(o) ? 0 : -1;
}

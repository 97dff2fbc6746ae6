#include "pa_mail.h"

#include "pa_alloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    PA_MAIL_EXCERPT_CHARS = 60, /* of the resident's text, in the subject */
    PA_MAIL_WORD_BYTES = 39,    /* UTF-8 bytes per encoded-word: 52 base64 characters, so that
                                   "Subject: =?UTF-8?B?...?=" stays under 78 */
    PA_MAIL_BODY_LINE = 76,     /* base64 characters per body line (RFC 2045) */
};

/* The texts a mail needs; each a key of the staff file. */
static const char *const text_keys[] = {
    "subject",        "intro",          "language",    "received",  "reply_to",
    "reply_to_email", "reply_to_phone", "no_reply_to", "message",   "conversation",
    "omitted",        "resident",       "bot",         "reference", "footer",
};
#define N_TEXTS (sizeof text_keys / sizeof *text_keys)

struct pa_mail_texts {
    json_t *root;
    const char *text[N_TEXTS];
    json_t *languages; /* code -> name of the language, in the staff's language */
};

static const char *T(const pa_mail_texts *t, const char *key)
{
    for (size_t i = 0; i < N_TEXTS; i++)
        if (!strcmp(text_keys[i], key))
            return t->text[i];
    return "";
}

pa_mail_texts *pa_mail_texts_load(const char *locales_dir, const char *lang, char *err,
                                  size_t err_size)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/staff/handoff.%s.json", locales_dir, lang);
    json_error_t e;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &e);
    if (!root) {
        snprintf(err, err_size, "%s:%d:%d: %s", path, e.line, e.column, e.text);
        return NULL;
    }
    pa_mail_texts *t = pa_xcalloc(1, sizeof *t);
    t->root = root;
    for (size_t i = 0; i < N_TEXTS; i++) {
        t->text[i] = json_string_value(json_object_get(root, text_keys[i]));
        if (!t->text[i]) {
            snprintf(err, err_size, "%s: \"%s\" is missing (a text of the mail to staff)", path,
                     text_keys[i]);
            pa_mail_texts_free(t);
            return NULL;
        }
    }
    t->languages = json_object_get(root, "languages");
    return t;
}

void pa_mail_texts_free(pa_mail_texts *t)
{
    if (!t)
        return;
    json_decref(t->root);
    free(t);
}

/* ---- a growing string ----------------------------------------------------- */

typedef struct {
    char *s;
    size_t len, cap;
} sbuf;

static void put_n(sbuf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        while (b->len + n + 1 > b->cap)
            b->cap = b->cap ? b->cap * 2 : 1024;
        b->s = pa_xrealloc(b->s, b->cap);
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void put(sbuf *b, const char *s)
{
    put_n(b, s, strlen(s));
}

__attribute__((format(printf, 2, 3))) static void putf(sbuf *b, const char *fmt, ...)
{
    char small[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n >= 0)
        put_n(b, small, (size_t)n < sizeof small ? (size_t)n : sizeof small - 1);
}

/* A text with its {name} placeholders replaced (names[i] by values[i]). */
static void put_template(sbuf *b, const char *tpl, const char *const *names,
                         const char *const *values, size_t n)
{
    const char *p = tpl;
    while (*p) {
        size_t match = n;
        for (size_t i = 0; *p == '{' && i < n && match == n; i++) {
            size_t len = strlen(names[i]);
            if (!strncmp(p + 1, names[i], len) && p[len + 1] == '}')
                match = i;
        }
        if (match < n) {
            put(b, values[match]);
            p += strlen(names[match]) + 2;
        } else {
            put_n(b, p++, 1);
        }
    }
}

/* ---- encodings ------------------------------------------------------------ */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void put_base64(sbuf *b, const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)s[i] << 16;
        if (i + 1 < n)
            v |= (unsigned)s[i + 1] << 8;
        if (i + 2 < n)
            v |= s[i + 2];
        char out[4] = {b64[v >> 18 & 63], b64[v >> 12 & 63], i + 1 < n ? b64[v >> 6 & 63] : '=',
                       i + 2 < n ? b64[v & 63] : '='};
        put_n(b, out, 4);
    }
}

static int printable_ascii(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7E)
            return 0;
    return 1;
}

/* How many bytes of s (at most max) end on a character boundary. */
static size_t whole_chars(const char *s, size_t len, size_t max)
{
    if (len <= max)
        return len;
    size_t n = max;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return n;
}

char *pa_mail_header(const char *name, const char *value)
{
    sbuf b = {0};
    put(&b, name);
    put(&b, ": ");
    if (printable_ascii(value)) {
        put(&b, value);
        return b.s;
    }
    size_t len = strlen(value);
    for (size_t at = 0, first = 1; at < len; first = 0) {
        size_t n = whole_chars(value + at, len - at, PA_MAIL_WORD_BYTES);
        if (n == 0) /* a character longer than a word: not UTF-8 */
            n = len - at < PA_MAIL_WORD_BYTES ? len - at : PA_MAIL_WORD_BYTES;
        put(&b, first ? "=?UTF-8?B?" : "\r\n =?UTF-8?B?");
        put_base64(&b, (const unsigned char *)value + at, n);
        put(&b, "?=");
        at += n;
    }
    return b.s;
}

/* ---- the parts of the mail ------------------------------------------------ */

static const char *field(const json_t *record, const char *key)
{
    const char *v = json_string_value(json_object_get(record, key));
    return v ? v : "";
}

static const char *language_name(const pa_mail_texts *t, const char *code)
{
    const char *name = json_string_value(json_object_get(t->languages, code));
    return name ? name : code;
}

/* The first words of the message, on one line, for the subject. */
static char *excerpt(const char *text)
{
    sbuf b = {0};
    put(&b, "");
    int space = 0;
    size_t chars = 0;
    for (const char *p = text; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            space = b.len > 0;
            continue;
        }
        if ((c & 0xC0) != 0x80 && chars++ == PA_MAIL_EXCERPT_CHARS) {
            put(&b, "\xE2\x80\xA6"); /* … */
            break;
        }
        if (space)
            put(&b, " ");
        space = 0;
        put_n(&b, p, 1);
    }
    return b.s;
}

static char *subject(const pa_mail_texts *t, const json_t *record)
{
    char *ex = excerpt(field(record, "text"));
    const char *names[] = {"language", "excerpt"};
    const char *values[] = {language_name(t, field(record, "lang")), ex};
    sbuf b = {0};
    put_template(&b, T(t, "subject"), names, values, 2);
    free(ex);
    return b.s;
}

/* Text with its line ends made CRLF, as a text/plain body wants. */
static void put_lines(sbuf *b, const char *text)
{
    for (const char *p = text; *p; p++) {
        if (*p == '\n')
            put(b, "\r\n");
        else if (*p != '\r')
            put_n(b, p, 1);
    }
}

static void put_reply_to(sbuf *b, const pa_mail_texts *t, const json_t *record)
{
    const char *kind = field(record, "reply_to_kind");
    const char *names[] = {"contact"};
    const char *values[] = {field(record, "reply_to")};
    put(b, T(t, "reply_to"));
    put(b, " ");
    if (!strcmp(kind, "email"))
        put_template(b, T(t, "reply_to_email"), names, values, 1);
    else if (!strcmp(kind, "phone"))
        put_template(b, T(t, "reply_to_phone"), names, values, 1);
    else
        put(b, T(t, "no_reply_to"));
    put(b, "\r\n");
}

static void put_conversation(sbuf *b, const pa_mail_texts *t, const json_t *record)
{
    json_t *conv = json_object_get(record, "conversation");
    json_int_t omitted = json_integer_value(json_object_get(record, "conversation_omitted"));
    if (json_array_size(conv) == 0)
        return;
    put(b, "\r\n");
    put(b, T(t, "conversation"));
    put(b, "\r\n");
    if (omitted > 0) {
        char count[32];
        snprintf(count, sizeof count, "%lld", (long long)omitted);
        const char *names[] = {"count"};
        const char *values[] = {count};
        put_template(b, T(t, "omitted"), names, values, 1);
        put(b, "\r\n");
    }
    size_t i;
    json_t *line;
    json_array_foreach(conv, i, line)
    {
        int bot = !strcmp(field(line, "from"), "bot");
        put(b, T(t, bot ? "bot" : "resident"));
        put(b, " ");
        put_lines(b, field(line, "text"));
        put(b, "\r\n");
    }
}

static char *body(const pa_mail_texts *t, const json_t *record)
{
    sbuf b = {0};
    const char *lang = field(record, "lang");
    put(&b, T(t, "intro"));
    putf(&b, "\r\n\r\n%s %s (%s)\r\n", T(t, "language"), language_name(t, lang), lang);
    putf(&b, "%s %s\r\n", T(t, "received"), field(record, "received"));
    put_reply_to(&b, t, record);
    putf(&b, "\r\n%s\r\n", T(t, "message"));
    put_lines(&b, field(record, "text"));
    put(&b, "\r\n");
    put_conversation(&b, t, record);
    putf(&b, "\r\n%s %s\r\n-- \r\n", T(t, "reference"), field(record, "key"));
    put(&b, T(t, "footer"));
    put(&b, "\r\n");
    return b.s;
}

static void put_date(sbuf *b, time_t now)
{
    /* by hand: strftime's %a and %b follow the process locale */
    static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    struct tm tm;
    gmtime_r(&now, &tm);
    putf(b, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n", days[tm.tm_wday], tm.tm_mday,
         months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* The domain of the sender's address, for the Message-ID. */
static const char *domain_of(const char *address)
{
    const char *at = strrchr(address, '@');
    return at && at[1] ? at + 1 : "passerelle.invalid";
}

static void put_header(sbuf *b, const char *name, const char *value)
{
    char *h = pa_mail_header(name, value);
    put(b, h);
    put(b, "\r\n");
    free(h);
}

char *pa_mail_message(const pa_mail_texts *t, const pa_mail_addresses *a, const json_t *record,
                      time_t now)
{
    const char *key = field(record, "key");
    if (!*key || !json_is_string(json_object_get(record, "text")))
        return NULL;
    sbuf b = {0};
    put_date(&b, now);
    putf(&b, "From: Passerelle <%s>\r\nTo: %s\r\n", a->from, a->to);
    /* validated by pa_contact: no space, no <>, no CR or LF can end the header */
    if (!strcmp(field(record, "reply_to_kind"), "email") &&
        printable_ascii(field(record, "reply_to")))
        putf(&b, "Reply-To: <%s>\r\n", field(record, "reply_to"));
    char *subj = subject(t, record);
    put_header(&b, "Subject", subj);
    free(subj);
    putf(&b, "Message-ID: <handoff.%s@%s>\r\n", key, domain_of(a->from));
    putf(&b, "Content-Language: %s\r\nX-Passerelle-Key: %s\r\n", field(record, "lang"), key);
    put(&b, "Auto-Submitted: auto-generated\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n");
    char *text = body(t, record);
    size_t len = strlen(text);
    for (size_t at = 0; at < len; at += PA_MAIL_BODY_LINE / 4 * 3) {
        size_t n = len - at < PA_MAIL_BODY_LINE / 4 * 3 ? len - at : PA_MAIL_BODY_LINE / 4 * 3;
        put_base64(&b, (const unsigned char *)text + at, n);
        put(&b, "\r\n");
    }
    free(text);
    return b.s;
}

char **pa_mail_split_addresses(const char *list, size_t *n)
{
    char **out = NULL;
    *n = 0;
    for (const char *p = list; *p;) {
        p += strspn(p, ", \t");
        size_t len = strcspn(p, ", \t");
        if (!len)
            break;
        out = pa_xrealloc(out, (*n + 1) * sizeof *out);
        out[(*n)++] = pa_xstrndup(p, len);
        p += len;
    }
    return out;
}

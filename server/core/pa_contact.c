#include "pa_contact.h"

#include "pa_alloc.h"
#include "pa_text.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

pa_contact_limits pa_contact_limits_default(void)
{
    return (pa_contact_limits){.max_text_chars = PA_TEXT_MAX_CHARS,
                               .max_entries = PA_CONTACT_ENTRIES_DEFAULT,
                               .max_entry_chars = PA_CONTACT_ENTRY_CHARS_DEFAULT};
}

void pa_contact_clear(pa_contact *c)
{
    free(c->text);
    free(c->reply_to);
    json_decref(c->id);
    for (size_t i = 0; i < c->n_lines; i++)
        free(c->lines[i].text);
    free(c->lines);
    memset(c, 0, sizeof *c);
}

/* ---- reply contacts and keys -------------------------------------------- */

static int is_ascii_alnum(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

int pa_contact_key_valid(const char *s, size_t len)
{
    if (len == 0 || len > PA_CONTACT_KEY_MAX)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!is_ascii_alnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
            return 0;
    return 1;
}

/* A byte an address may hold: letters, digits, what RFC 5322's dot-atoms
 * allow, and any byte of a non-ASCII character (internationalized
 * addresses). Never a space, a control character, or one of the "(),:;<>@[\]
 * that would let the address end or escape a mail header. */
static int is_address_byte(unsigned char c)
{
    return c >= 0x80 || is_ascii_alnum(c) || strchr("!#$%&'*+-/=?^_`{|}~.", c) != NULL;
}

static int valid_domain(const char *d, size_t len)
{
    size_t label = 0, labels = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)d[i];
        if (c == '.') {
            if (label == 0 || d[i - 1] == '-')
                return 0;
            labels++;
            label = 0;
        } else if (c >= 0x80 || is_ascii_alnum(c) || (c == '-' && label > 0)) {
            label++;
        } else {
            return 0;
        }
    }
    return label >= 2 && labels >= 1 && d[len - 1] != '-'; /* a top-level domain, two letters up */
}

static int looks_like_email(const char *s, size_t len)
{
    const char *at = memchr(s, '@', len);
    if (!at || len > PA_CONTACT_EMAIL_MAX || memchr(at + 1, '@', len - (size_t)(at - s) - 1))
        return 0;
    size_t local = (size_t)(at - s);
    if (local == 0 || local > PA_CONTACT_EMAIL_LOCAL_MAX || s[0] == '.' || at[-1] == '.')
        return 0;
    for (size_t i = 0; i < local; i++)
        if (!is_address_byte((unsigned char)s[i]) || (s[i] == '.' && s[i + 1] == '.'))
            return 0;
    return valid_domain(at + 1, len - local - 1);
}

/* The digit of code point cp (Latin, Arabic-Indic or Eastern Arabic-Indic:
 * what a resident's keyboard may type), or -1. */
static int digit_value(int32_t cp)
{
    if (cp >= '0' && cp <= '9')
        return cp - '0';
    if (cp >= 0x0660 && cp <= 0x0669)
        return cp - 0x0660;
    if (cp >= 0x06F0 && cp <= 0x06F9)
        return cp - 0x06F0;
    return -1;
}

static int is_phone_sign(int32_t cp, size_t position)
{
    if (cp == '+')
        return position == 0;
    return cp > 0 && cp < 0x80 && strchr(" .-/()", (int)cp) != NULL;
}

static int looks_like_phone(const char *s, size_t len)
{
    if (pa_text_chars(s, len) > PA_CONTACT_PHONE_CHARS_MAX)
        return 0;
    char *copy = pa_xstrndup(s, len); /* pa_text_decode reads up to a NUL */
    uint32_t cps[PA_CONTACT_PHONE_CHARS_MAX];
    size_t n = pa_text_decode(copy, cps, PA_CONTACT_PHONE_CHARS_MAX), digits = 0;
    free(copy);
    for (size_t i = 0; i < n; i++) {
        if (digit_value((int32_t)cps[i]) >= 0)
            digits++;
        else if (!is_phone_sign((int32_t)cps[i], i))
            return 0;
    }
    return digits >= PA_CONTACT_PHONE_DIGITS_MIN && digits <= PA_CONTACT_PHONE_DIGITS_MAX;
}

pa_reply_to_kind pa_contact_reply_to_kind(const char *s, size_t len)
{
    if (!pa_text_is_valid(s, len) || len == 0)
        return PA_REPLY_TO_NONE;
    if (looks_like_email(s, len))
        return PA_REPLY_TO_EMAIL;
    if (looks_like_phone(s, len))
        return PA_REPLY_TO_PHONE;
    return PA_REPLY_TO_NONE;
}

const char *pa_reply_to_kind_name(pa_reply_to_kind kind)
{
    return kind == PA_REPLY_TO_EMAIL ? "email" : kind == PA_REPLY_TO_PHONE ? "phone" : NULL;
}

/* ---- reading the frame --------------------------------------------------- */

static int is_contact_type(json_t *root)
{
    json_t *type = json_object_get(root, "type");
    return json_is_string(type) && !strcmp(json_string_value(type), "contact");
}

int pa_contact_is_frame(const char *data, size_t len)
{
    json_t *root = json_loadb(data, len, JSON_ALLOW_NUL, NULL);
    int yes = json_is_object(root) && is_contact_type(root);
    json_decref(root);
    return yes;
}

/* Cuts valid UTF-8 text to at most max characters, marking the cut with an
 * ellipsis. Returns a malloc'd copy. */
static char *cut_text(const char *s, size_t len, size_t max)
{
    if (pa_text_chars(s, len) <= max)
        return pa_xstrndup(s, len);
    size_t keep = max ? max - 1 : 0, chars = 0, bytes = 0; /* the ellipsis is the last one */
    for (; bytes < len; bytes++) {
        if (((unsigned char)s[bytes] & 0xC0) == 0x80)
            continue;
        if (chars == keep)
            break;
        chars++;
    }
    static const char ellipsis[] = "\xE2\x80\xA6"; /* … */
    char *out = pa_xmalloc(bytes + sizeof ellipsis);
    memcpy(out, s, bytes);
    memcpy(out + bytes, ellipsis, sizeof ellipsis);
    return out;
}

/* A conversation line: {"from":"resident"|"bot","text":"..."}. */
static pa_proto_error read_line(json_t *entry, size_t max_chars, pa_contact_line *out)
{
    json_t *from = json_object_get(entry, "from"), *text = json_object_get(entry, "text");
    if (!json_is_string(from) || !json_is_string(text))
        return PA_PROTO_BAD_FIELD;
    const char *who = json_string_value(from);
    if (strcmp(who, "resident") && strcmp(who, "bot"))
        return PA_PROTO_BAD_FIELD;
    size_t len = json_string_length(text);
    if (!pa_text_is_valid(json_string_value(text), len))
        return PA_PROTO_BAD_ENCODING;
    out->from_bot = who[0] == 'b';
    out->text = cut_text(json_string_value(text), len, max_chars);
    return PA_PROTO_OK;
}

/* The last max_entries lines of the conversation the resident saw. */
static pa_proto_error read_conversation(json_t *conv, const pa_contact_limits *limits,
                                        pa_contact *out)
{
    if (!conv || json_is_null(conv))
        return PA_PROTO_OK;
    if (!json_is_array(conv))
        return PA_PROTO_BAD_FIELD;
    size_t n = json_array_size(conv), first = 0;
    for (size_t i = 0; i < n; i++) /* every line must be well formed, kept or not */
        if (!json_is_object(json_array_get(conv, i)))
            return PA_PROTO_BAD_FIELD;
    if (n > limits->max_entries)
        first = n - limits->max_entries;
    out->omitted_lines = first;
    if (n == first)
        return PA_PROTO_OK;
    out->lines = pa_xcalloc(n - first, sizeof *out->lines);
    for (size_t i = first; i < n; i++) {
        pa_proto_error e =
            read_line(json_array_get(conv, i), limits->max_entry_chars, &out->lines[out->n_lines]);
        if (e != PA_PROTO_OK)
            return e;
        out->n_lines++;
    }
    return PA_PROTO_OK;
}

static pa_proto_error read_text(json_t *text, size_t max_chars, pa_contact *out)
{
    if (!text || json_is_null(text))
        return PA_PROTO_MISSING_TEXT;
    if (!json_is_string(text))
        return PA_PROTO_BAD_FIELD;
    out->text_len = json_string_length(text);
    out->text = pa_xstrndup(json_string_value(text), out->text_len);
    if (!pa_text_is_valid(out->text, out->text_len))
        return PA_PROTO_BAD_ENCODING; /* an escaped NUL */
    if (!pa_text_has_words(out->text, out->text_len))
        return PA_PROTO_MISSING_TEXT;
    if (pa_text_chars(out->text, out->text_len) > max_chars)
        return PA_PROTO_TEXT_TOO_LONG;
    return PA_PROTO_OK;
}

/* Spaces a phone keyboard or a paste leaves around the contact are not part
 * of it; an empty one is no contact. */
static pa_proto_error read_reply_to(json_t *v, pa_contact *out)
{
    if (!v || json_is_null(v))
        return PA_PROTO_OK;
    if (!json_is_string(v))
        return PA_PROTO_BAD_FIELD;
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    while (len && (*s == ' ' || *s == '\t'))
        s++, len--;
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    if (len == 0)
        return PA_PROTO_OK;
    out->reply_to_kind = pa_contact_reply_to_kind(s, len);
    if (out->reply_to_kind == PA_REPLY_TO_NONE)
        return PA_PROTO_BAD_REPLY_TO;
    out->reply_to = pa_xstrndup(s, len);
    return PA_PROTO_OK;
}

static pa_proto_error read_key(json_t *v, pa_contact *out)
{
    if (!json_is_string(v) || !pa_contact_key_valid(json_string_value(v), json_string_length(v)))
        return PA_PROTO_BAD_KEY;
    memcpy(out->key, json_string_value(v), json_string_length(v) + 1);
    return PA_PROTO_OK;
}

/* The id and the hint first: an error frame echoes them. */
static pa_proto_error read_envelope(json_t *root, pa_contact *out)
{
    json_t *id = json_object_get(root, "id"), *lang = json_object_get(root, "lang");
    if (id && (json_is_string(id) || json_is_integer(id)))
        out->id = json_incref(id);
    else if (id && !json_is_null(id))
        return PA_PROTO_BAD_FIELD;
    if (lang && !json_is_null(lang)) {
        if (!json_is_string(lang))
            return PA_PROTO_BAD_FIELD;
        snprintf(out->lang, sizeof out->lang, "%s", json_string_value(lang));
    }
    return is_contact_type(root) ? PA_PROTO_OK : PA_PROTO_UNKNOWN_TYPE;
}

pa_proto_error pa_contact_parse(const char *data, size_t len, const pa_contact_limits *limits,
                                pa_contact *out)
{
    memset(out, 0, sizeof *out);
    if (!pa_text_is_valid(data, len))
        return PA_PROTO_BAD_ENCODING;
    json_t *root = json_loadb(data, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    if (!root)
        return PA_PROTO_BAD_JSON;
    pa_proto_error e = json_is_object(root) ? read_envelope(root, out) : PA_PROTO_NOT_OBJECT;
    if (e == PA_PROTO_OK)
        e = read_text(json_object_get(root, "text"), limits->max_text_chars, out);
    if (e == PA_PROTO_OK)
        e = read_reply_to(json_object_get(root, "reply_to"), out);
    if (e == PA_PROTO_OK)
        e = read_key(json_object_get(root, "key"), out);
    if (e == PA_PROTO_OK)
        e = read_conversation(json_object_get(root, "conversation"), limits, out);
    json_decref(root);
    return e;
}

/* ---- what is kept, and the frames ------------------------------------------ */

json_t *pa_contact_record(const pa_contact *c, const char *lang_code, time_t received)
{
    char at[32];
    struct tm tm;
    gmtime_r(&received, &tm);
    strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%SZ", &tm);
    json_t *conv = json_array();
    for (size_t i = 0; i < c->n_lines; i++)
        json_array_append_new(conv, json_pack("{s:s, s:s}", "from",
                                              c->lines[i].from_bot ? "bot" : "resident", "text",
                                              c->lines[i].text));
    const char *kind = pa_reply_to_kind_name(c->reply_to_kind);
    json_t *o = json_object();
    json_object_set_new(o, "version", json_integer(1));
    json_object_set_new(o, "key", json_string(c->key));
    json_object_set_new(o, "received", json_string(at));
    json_object_set_new(o, "lang", json_string(lang_code));
    json_object_set_new(o, "text", json_stringn(c->text, c->text_len));
    json_object_set_new(o, "reply_to", c->reply_to ? json_string(c->reply_to) : json_null());
    json_object_set_new(o, "reply_to_kind", kind ? json_string(kind) : json_null());
    json_object_set_new(o, "conversation", conv);
    json_object_set_new(o, "conversation_omitted", json_integer((json_int_t)c->omitted_lines));
    return o;
}

char *pa_contact_ack_json(const pa_snapshot *s, int lang, const char *key, json_t *id)
{
    const pa_locale *loc = &s->k.locales[lang];
    json_t *o = json_object();
    json_object_set_new(o, "type", json_string("contact_ack"));
    if (id)
        json_object_set(o, "id", id);
    json_object_set_new(o, "lang", json_string(loc->code));
    json_object_set_new(o, "key", json_string(key));
    json_object_set_new(o, "text", json_string(loc->message_text[PA_MSG_CONTACT_ACK]));
    char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    return text;
}

char *pa_contact_announce(char *welcome, const pa_contact_offer *offer)
{
    /* appended to the compact object's text: the welcome is the largest
     * frame, and parsing it again for one field would cost more than it */
    char field[160];
    int n = snprintf(field, sizeof field,
                     ",\"contact\":{\"retention_days\":%u,\"conversation_entries\":%zu,"
                     "\"conversation_chars\":%zu}}",
                     offer->retention_days, offer->max_entries, offer->max_entry_chars);
    size_t len = strlen(welcome);
    if (len == 0 || welcome[len - 1] != '}' || n < 0 || (size_t)n >= sizeof field)
        return welcome; /* not an object: left as it is */
    char *out = pa_xrealloc(welcome, len + (size_t)n);
    memcpy(out + len - 1, field, (size_t)n + 1);
    return out;
}

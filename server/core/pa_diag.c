#include "pa_diag.h"

#include "pa_alloc.h"
#include "pa_diag_catalog.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

static const char *const code_names[] = {
#define PA_X(sym, name) name,
    PA_DIAG_CODES(PA_X)
#undef PA_X
};

static const struct {
    const char *id;
    pa_diag_code code;
    const char *args;
} messages[] = {
#define PA_X(sym, id, code, args) {id, PA_DIAG_##code, args},
    PA_DIAG_MESSAGES(PA_X)
#undef PA_X
};

static const char *const terms[] = {
#define PA_X(key, args) key,
    PA_DIAG_TERMS(PA_X)
#undef PA_X
};

const char *pa_diag_code_name(pa_diag_code code)
{
    return code >= 0 && code < PA_DIAG_CODE_END ? code_names[code] : "";
}

const char *pa_diag_msg_id(pa_diag_msg msg)
{
    return msg >= 0 && msg < PA_DM_END ? messages[msg].id : "";
}

pa_diag_code pa_diag_msg_code(pa_diag_msg msg)
{
    return msg >= 0 && msg < PA_DM_END ? messages[msg].code : PA_DIAG_CODE_END;
}

const char *pa_diag_msg_args(pa_diag_msg msg)
{
    return msg >= 0 && msg < PA_DM_END ? messages[msg].args : "";
}

int pa_diag_is_term(const char *key)
{
    for (size_t i = 0; i < sizeof terms / sizeof *terms; i++)
        if (!strcmp(terms[i], key))
            return 1;
    return 0;
}

void pa_diag_init(pa_diag *d)
{
    memset(d, 0, sizeof *d);
}

void pa_diag_clear(pa_diag *d)
{
    if (!d)
        return;
    free(d->items);
    pa_diag_init(d);
}

#ifndef NDEBUG
/* 1 when name is one of the words of the space-separated list (for the
 * assertion that a message is given only the arguments it declares). */
static int declared(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; (p = strstr(p, name)) != NULL; p += n)
        if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
            return 1;
    return 0;
}
#endif

/* Copies src into dst (size bytes), cut at a character's boundary: a value
 * cut inside a UTF-8 sequence would make the whole line invalid UTF-8. */
static void copy_cut(char *dst, size_t size, const char *src)
{
    size_t n = strlen(src);
    if (n >= size) {
        n = size - 1;
        while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
            n--;
    }
    memcpy(dst, src, n);
    dst[n] = '\0';
}

void pa_diag_store_arg(const pa_diag_arg *a, pa_diag_item_arg *out)
{
    copy_cut(out->name, sizeof out->name, a->name ? a->name : "");
    if (a->kind == PA_DIAG_ARG_NUMBER)
        snprintf(out->value, sizeof out->value, "%lld", a->number);
    else
        copy_cut(out->value, sizeof out->value, a->value ? a->value : "");
    out->term = a->kind == PA_DIAG_ARG_TERM;
}

void pa_diag_append(pa_diag *d, const pa_diag *from)
{
    if (!d || from->count == 0)
        return;
    if (d->count + from->count > d->capacity) {
        d->capacity = d->count + from->count;
        d->items = pa_xrealloc(d->items, d->capacity * sizeof *d->items);
    }
    memcpy(d->items + d->count, from->items, from->count * sizeof *d->items);
    d->count += from->count;
    d->errors += from->errors;
    d->warnings += from->warnings;
}

void pa_diag_report(pa_diag *d, pa_diag_severity sev, pa_diag_msg msg, const char *source, int line,
                    int column, const pa_diag_arg *args, size_t n_args)
{
    if (!d)
        return;
    if (d->count == d->capacity) {
        d->capacity = d->capacity ? d->capacity * 2 : 16;
        d->items = pa_xrealloc(d->items, d->capacity * sizeof *d->items);
    }
    pa_diag_item *it = &d->items[d->count++];
    memset(it, 0, sizeof *it);
    it->severity = sev;
    it->msg = msg;
    it->code = pa_diag_msg_code(msg);
    copy_cut(it->source, sizeof it->source, source ? source : "");
    it->line = line;
    it->column = column;
    for (size_t i = 0; i < n_args && it->n_args < PA_DIAG_ARGS_MAX; i++) {
        const pa_diag_arg *a = &args[i];
        assert(declared(pa_diag_msg_args(msg), a->name));
        assert(a->kind != PA_DIAG_ARG_TERM || pa_diag_is_term(a->value));
        pa_diag_store_arg(a, &it->args[it->n_args++]);
    }
    if (sev == PA_DIAG_ERROR)
        d->errors++;
    else
        d->warnings++;
}

/* ---- jansson's parse errors --------------------------------------------- */

/* jansson's messages (load.c), each with what it says to staff. exact: the
 * whole message, else its start; byte: the rest is the byte involved. */
static const struct {
    const char *text;
    int exact, byte;
    pa_diag_msg msg;
} json_messages[] = {
    {"']' expected", 1, 0, PA_DM_SYNTAX_EXPECTED_BRACKET},
    {"'}' expected", 1, 0, PA_DM_SYNTAX_EXPECTED_BRACE},
    {"':' expected", 1, 0, PA_DM_SYNTAX_EXPECTED_COLON},
    {"string or '}' expected", 1, 0, PA_DM_SYNTAX_EXPECTED_KEY},
    {"'[' or '{' expected", 1, 0, PA_DM_SYNTAX_EXPECTED_OBJECT},
    {"end of file expected", 1, 0, PA_DM_SYNTAX_EXPECTED_END},
    {"unexpected token", 1, 0, PA_DM_SYNTAX_UNEXPECTED_TOKEN},
    {"invalid token", 1, 0, PA_DM_SYNTAX_INVALID_TOKEN},
    {"unexpected newline", 1, 0, PA_DM_SYNTAX_NEWLINE},
    {"control character ", 0, 1, PA_DM_SYNTAX_CONTROL},
    {"invalid escape", 1, 0, PA_DM_SYNTAX_ESCAPE},
    {"invalid Unicode", 0, 0, PA_DM_SYNTAX_UNICODE},
    {"\\u0000 is not allowed", 0, 0, PA_DM_SYNTAX_NUL},
    {"NUL byte in object key", 0, 0, PA_DM_SYNTAX_NUL},
    {"unable to decode byte ", 0, 1, PA_DM_SYNTAX_ENCODING},
    {"duplicate object key", 1, 0, PA_DM_SYNTAX_DUPLICATE_KEY},
    {"premature end of input", 1, 0, PA_DM_SYNTAX_PREMATURE_END},
    {"too big integer", 1, 0, PA_DM_SYNTAX_NUMBER},
    {"too big negative integer", 1, 0, PA_DM_SYNTAX_NUMBER},
    {"real number overflow", 1, 0, PA_DM_SYNTAX_NUMBER},
    {"maximum parsing depth reached", 1, 0, PA_DM_SYNTAX_DEPTH},
};

void pa_diag_json_error(pa_diag *d, const char *source, int line_offset, const json_error_t *err)
{
    char head[JSON_ERROR_TEXT_LENGTH];
    snprintf(head, sizeof head, "%s", err->text);
    /* jansson writes "MESSAGE near 'TOKEN'" or "MESSAGE near end of file" */
    const char *near = "near.none", *token = "";
    char *cut = strstr(head, " near ");
    if (cut && !strcmp(cut, " near end of file")) {
        near = "near.end";
        *cut = '\0';
    } else if (cut && cut[6] == '\'' && head[strlen(head) - 1] == '\'') {
        near = "near.token";
        head[strlen(head) - 1] = '\0';
        token = cut + 7;
        *cut = '\0';
    }
    int line = (err->line > 0 ? err->line : 1) + line_offset;
    int column = err->column > 0 ? err->column : 1;
    for (size_t i = 0; i < sizeof json_messages / sizeof *json_messages; i++) {
        const char *t = json_messages[i].text;
        size_t n = strlen(t);
        if (json_messages[i].exact ? strcmp(head, t) : strncmp(head, t, n))
            continue;
        /* the messages with a prefix name a byte: "control character 0x9" */
        const pa_diag_arg args[] = {PA_TERM("near", near), PA_TEXT("token", token),
                                    PA_TEXT("byte", head + n)};
        pa_diag_report(d, PA_DIAG_ERROR, json_messages[i].msg, source, line, column, args,
                       json_messages[i].byte ? 3 : 2);
        return;
    }
    pa_diag_report(d, PA_DIAG_ERROR, PA_DM_SYNTAX_OTHER, source, line, column,
                   PA_DIAG_ARGS(PA_TEXT("detail", err->text)));
}

/* ---- writing messages ------------------------------------------------------ */

void pa_diag_message(const pa_diag_item *it, const pa_diag_catalog *cat, char *buf, size_t size)
{
    pa_diag_catalog_write(cat, pa_diag_msg_id(it->msg), it->args, it->n_args, buf, size);
}

void pa_diag_format(const pa_diag_item *it, const pa_diag_catalog *cat, char *buf, size_t size)
{
    const char *mark = "";
    if (it->severity == PA_DIAG_WARNING) {
        mark = pa_diag_catalog_text(cat, "severity.warning");
        mark = mark ? mark : "warning: ";
    }
    char text[PA_DIAG_TEXT_MAX];
    pa_diag_message(it, cat, text, sizeof text);
    if (it->line > 0)
        snprintf(buf, size, "%s:%d:%d: %s%s", it->source, it->line, it->column, mark, text);
    else
        snprintf(buf, size, "%s: %s%s", it->source, mark, text);
}

void pa_diag_print(const pa_diag *d, const pa_diag_catalog *cat, FILE *out)
{
    char line[PA_DIAG_SOURCE_MAX + PA_DIAG_TEXT_MAX + 64];
    for (size_t i = 0; i < d->count; i++) {
        pa_diag_format(&d->items[i], cat, line, sizeof line);
        fprintf(out, "%s\n", line);
    }
}

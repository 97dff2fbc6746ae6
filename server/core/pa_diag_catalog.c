#include "pa_diag_catalog.h"

#include "pa_alloc.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

struct pa_diag_catalog {
    json_t *texts; /* the file's object: key -> text */
};

/* Every member must be a text without NUL, but the "$" notes. */
static int check_members(json_t *root, char *err)
{
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v)
    {
        if (key[0] == '$')
            continue;
        if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v)) {
            if (err)
                snprintf(err, PA_DIAG_CATALOG_ERROR_MAX, "\"%s\" is not a text", key);
            return -1;
        }
    }
    return 0;
}

pa_diag_catalog *pa_diag_catalog_load(const char *path, char err[PA_DIAG_CATALOG_ERROR_MAX])
{
    json_error_t jerr;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        if (err)
            snprintf(err, PA_DIAG_CATALOG_ERROR_MAX, "%d:%d: %s", jerr.line, jerr.column,
                     jerr.text);
        return NULL;
    }
    if (!json_is_object(root)) {
        if (err)
            snprintf(err, PA_DIAG_CATALOG_ERROR_MAX, "not one JSON object");
        json_decref(root);
        return NULL;
    }
    if (check_members(root, err) != 0) {
        json_decref(root);
        return NULL;
    }
    pa_diag_catalog *cat = pa_xmalloc(sizeof *cat);
    cat->texts = root;
    return cat;
}

void pa_diag_catalog_free(pa_diag_catalog *cat)
{
    if (!cat)
        return;
    json_decref(cat->texts);
    free(cat);
}

const char *pa_diag_catalog_text(const pa_diag_catalog *cat, const char *key)
{
    if (!cat || key[0] == '$')
        return NULL;
    return json_string_value(json_object_get(cat->texts, key));
}

/* ---- writing texts ------------------------------------------------------- */

/* A string being written into a caller's buffer, cut when it is full. */
typedef struct {
    char *buf;
    size_t size, len;
} writer;

static void put(writer *w, const char *s, size_t n)
{
    if (w->len + 1 >= w->size)
        return;
    size_t room = w->size - 1 - w->len;
    if (n > room) { /* cut at a character's boundary */
        n = room;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    memcpy(w->buf + w->len, s, n);
    w->len += n;
    w->buf[w->len] = '\0';
}

static void puts_w(writer *w, const char *s)
{
    put(w, s, strlen(s));
}

/* The arguments of one text being written. */
typedef struct {
    const pa_diag_item_arg *args;
    size_t n;
} arg_list;

static const pa_diag_item_arg *find_arg(arg_list a, const char *name, size_t n)
{
    for (size_t i = 0; i < a.n; i++)
        if (strlen(a.args[i].name) == n && !strncmp(a.args[i].name, name, n))
            return &a.args[i];
    return NULL;
}

static int is_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || c == '_';
}

/* Writes text with its {name}s replaced (pa_diag_catalog_write); depth
 * keeps a term naming itself from looping. */
static void expand(writer *w, const char *text, arg_list args, const pa_diag_catalog *cat,
                   int depth)
{
    const char *p = text;
    while (*p) {
        const char *open = strchr(p, '{');
        if (!open) {
            puts_w(w, p);
            return;
        }
        const char *end = open + 1;
        while (is_name_char(*end))
            end++;
        const pa_diag_item_arg *a = *end == '}' && end > open + 1
                                        ? find_arg(args, open + 1, (size_t)(end - open - 1))
                                        : NULL;
        put(w, p, (size_t)(open - p));
        if (!a) {
            put(w, open, 1);
            p = open + 1;
            continue;
        }
        const char *term = a->term ? pa_diag_catalog_text(cat, a->value) : NULL;
        if (term && depth < 2)
            expand(w, term, args, cat, depth + 1);
        else
            puts_w(w, a->value);
        p = end + 1;
    }
}

/* `key (name="value", ...)`: what a message says without its text. */
static void write_raw(writer *w, const char *key, arg_list a)
{
    puts_w(w, key);
    for (size_t i = 0; i < a.n; i++) {
        puts_w(w, i ? ", " : " (");
        puts_w(w, a.args[i].name);
        puts_w(w, a.args[i].term ? "=" : "=\"");
        puts_w(w, a.args[i].value);
        if (!a.args[i].term)
            puts_w(w, "\"");
    }
    if (a.n)
        puts_w(w, ")");
}

void pa_diag_catalog_write(const pa_diag_catalog *cat, const char *key,
                           const pa_diag_item_arg *args, size_t n, char *buf, size_t size)
{
    if (!size)
        return;
    writer w = {buf, size, 0};
    buf[0] = '\0';
    arg_list a = {args, n};
    const char *text = pa_diag_catalog_text(cat, key);
    if (text)
        expand(&w, text, a, cat, 0);
    else
        write_raw(&w, key, a);
}

void pa_diag_catalog_format(const pa_diag_catalog *cat, const char *key, const pa_diag_arg *args,
                            size_t n, char *buf, size_t size)
{
    pa_diag_item_arg stored[PA_DIAG_ARGS_MAX];
    size_t k = 0;
    for (size_t i = 0; i < n && k < PA_DIAG_ARGS_MAX; i++)
        pa_diag_store_arg(&args[i], &stored[k++]);
    pa_diag_catalog_write(cat, key, stored, k, buf, size);
}

const char *pa_diag_staff_lang(const char *flag, const char *lc_all, const char *lc_messages,
                               const char *lang)
{
    if (flag)
        return !strcmp(flag, "fr") ? "fr" : !strcmp(flag, "en") ? "en" : NULL;
    const char *vars[] = {lc_all, lc_messages, lang};
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++) {
        if (vars[i] && *vars[i])
            return strncmp(vars[i], "en", 2) ? PA_DIAG_STAFF_DEFAULT : "en";
    }
    return PA_DIAG_STAFF_DEFAULT;
}

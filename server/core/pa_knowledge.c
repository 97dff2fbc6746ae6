#include "pa_knowledge.h"

#include "pa_jsonpos.h"
#include "pa_langid.h"
#include "pa_map.h"
#include "pa_match.h"
#include "pa_protocol.h"
#include "pa_stem.h"
#include "pa_text.h"

#include <dirent.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Messages every locale must have; the protocol error messages come from the
 * PA_PROTOCOL_ERRORS table, so adding a code there makes check demand it. */
static const char *const required_messages[] = {"welcome", "fallback", "did_you_mean", "offline"};

/* ---- files ------------------------------------------------------------- */

typedef struct {
    char **paths;
    size_t count, capacity;
} path_list;

static void path_list_free(path_list *l)
{
    for (size_t i = 0; i < l->count; i++)
        free(l->paths[i]);
    free(l->paths);
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !strcmp(s + n - k, suffix);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Collects the *.json files below dir (recursively when deep), skipping
 * schemas and hidden files, sorted so that load order never depends on the
 * file system. */
static int list_json(const char *dir, int deep, path_list *out)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        size_t n = strlen(dir) + strlen(e->d_name) + 2;
        char *path = malloc(n);
        snprintf(path, n, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode) && deep) {
            list_json(path, deep, out);
            free(path);
            continue;
        }
        if (!S_ISREG(st.st_mode) || !ends_with(e->d_name, ".json") ||
            ends_with(e->d_name, "schema.json")) {
            free(path);
            continue;
        }
        if (out->count == out->capacity) {
            out->capacity = out->capacity ? out->capacity * 2 : 32;
            out->paths = realloc(out->paths, out->capacity * sizeof(char *));
        }
        out->paths[out->count++] = path;
    }
    closedir(d);
    qsort(out->paths, out->count, sizeof(char *), cmp_str);
    return 0;
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0, got;
    char *data = malloc(cap);
    while (data && (got = fread(data + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *bigger = realloc(data, cap *= 2);
            if (!bigger)
                free(data);
            data = bigger;
        }
    }
    fclose(f);
    *len = n;
    return data;
}

/* ---- one JSON file under validation ------------------------------------ */

typedef struct {
    const char *path;
    json_t *root;
    pa_jsonpos pos;
    pa_diag *diag;
    size_t errors;
} doc;

static void doc_report(doc *d, pa_diag_severity sev, const char *pointer, int at_key,
                       const char *fmt, va_list ap)
{
    char text[PA_DIAG_TEXT_MAX];
    vsnprintf(text, sizeof text, fmt, ap);
    const pa_jsonpos_entry *e = pa_jsonpos_find(&d->pos, pointer);
    int line = e ? (at_key && e->key_line ? e->key_line : e->line) : 0;
    int col = e ? (at_key && e->key_line ? e->key_column : e->column) : 0;
    pa_diag_add(d->diag, sev, d->path, line, col, "%s", text);
    if (sev == PA_DIAG_ERROR)
        d->errors++;
}

__attribute__((format(printf, 4, 5))) static void doc_error(doc *d, const char *pointer, int at_key,
                                                            const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    doc_report(d, PA_DIAG_ERROR, pointer, at_key, fmt, ap);
    va_end(ap);
}

static void doc_position(const doc *d, const char *pointer, int *line, int *col)
{
    const pa_jsonpos_entry *e = pa_jsonpos_find(&d->pos, pointer);
    *line = e ? e->line : 0;
    *col = e ? e->column : 0;
}

/* Reads and parses one file; on failure reports why and returns -1. The
 * content is folded into the snapshot's version digest. */
static int doc_open(doc *d, const char *path, pa_diag *diag, uint64_t *digest)
{
    memset(d, 0, sizeof *d);
    d->path = path;
    d->diag = diag;
    size_t len;
    char *text = read_all(path, &len);
    if (!text) {
        pa_diag_add(diag, PA_DIAG_ERROR, path, 0, 0, "cannot read the file");
        return -1;
    }
    *digest = pa_hash_bytes(*digest, path, strlen(path));
    *digest = pa_hash_bytes(*digest, text, len);
    json_error_t err;
    d->root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
    if (!d->root) {
        pa_diag_add(diag, PA_DIAG_ERROR, path, err.line > 0 ? err.line : 1,
                    err.column > 0 ? err.column : 1, "%s", err.text);
        free(text);
        return -1;
    }
    pa_jsonpos_scan(&d->pos, text, len);
    free(text);
    if (!json_is_object(d->root)) {
        doc_error(d, "", 0, "the file must hold one JSON object ({ ... })");
        return -1;
    }
    return 0;
}

static void doc_close(doc *d)
{
    json_decref(d->root);
    pa_jsonpos_free(&d->pos);
}

/* Reports every key of obj (at pointer) that is not in allowed. */
static void check_keys(doc *d, json_t *obj, const char *pointer, const char *const *allowed,
                       const char *list)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        int ok = 0;
        for (const char *const *a = allowed; *a && !ok; a++)
            ok = !strcmp(*a, key);
        if (!ok) {
            char ptr[512];
            snprintf(ptr, sizeof ptr, "%s", pointer);
            pa_jsonpos_append_key(ptr, sizeof ptr, key);
            doc_error(d, ptr, 1, "unknown key \"%s\" (allowed here: %s)", key, list);
        }
    }
}

/* A non-empty string of at most max characters, or reports why not. */
static const char *get_text(doc *d, json_t *v, const char *pointer, const char *what, size_t max)
{
    if (!json_is_string(v)) {
        doc_error(d, pointer, 0, "%s must be a string in double quotes", what);
        return NULL;
    }
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    if (strlen(s) != len) {
        doc_error(d, pointer, 0, "%s contains a NUL character", what);
        return NULL;
    }
    if (!pa_text_has_words(s, len)) {
        doc_error(d, pointer, 0, "%s is empty", what);
        return NULL;
    }
    size_t chars = pa_text_chars(s, len);
    if (max && chars > max) {
        doc_error(d, pointer, 0, "%s is %zu characters long; the limit is %zu", what, chars, max);
        return NULL;
    }
    return s;
}

static json_t *get_member(doc *d, json_t *obj, const char *pointer, const char *key, int required,
                          json_type type, const char *type_name)
{
    json_t *v = json_object_get(obj, key);
    if (!v) {
        if (required)
            doc_error(d, pointer, 0, "missing \"%s\"", key);
        return NULL;
    }
    if (json_typeof(v) != type) {
        char ptr[512];
        snprintf(ptr, sizeof ptr, "%s", pointer);
        pa_jsonpos_append_key(ptr, sizeof ptr, key);
        doc_error(d, ptr, 0, "\"%s\" must be %s", key, type_name);
        return NULL;
    }
    return v;
}

/* ---- the snapshot under construction ----------------------------------- */

typedef struct {
    pa_snapshot *s;
    pa_diag *diag;
    size_t errors;
    uint64_t digest;
} builder;

static const char **strings_of(builder *b, doc *d, json_t *arr, const char *pointer,
                               const char *what, size_t max, size_t *count)
{
    size_t n = json_array_size(arr);
    const char **out = pa_arena_alloc(b->s->arena, (n ? n : 1) * sizeof *out);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        char ptr[512];
        snprintf(ptr, sizeof ptr, "%s", pointer);
        pa_jsonpos_append_index(ptr, sizeof ptr, i);
        const char *s = get_text(d, json_array_get(arr, i), ptr, what, max);
        if (s)
            out[k++] = pa_arena_strdup(b->s->arena, s);
    }
    *count = k;
    return out;
}

/* ---- locales ------------------------------------------------------------ */

static pa_kv *kv_table(builder *b, doc *d, json_t *obj, const char *pointer, const char *what,
                       size_t *count)
{
    size_t n = json_object_size(obj), k = 0;
    pa_kv *kv = pa_arena_alloc(b->s->arena, (n ? n : 1) * sizeof *kv);
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        char ptr[512];
        snprintf(ptr, sizeof ptr, "%s", pointer);
        pa_jsonpos_append_key(ptr, sizeof ptr, key);
        const char *s = get_text(d, v, ptr, what, PA_ANSWER_MAX_CHARS);
        if (s) {
            kv[k].key = pa_arena_strdup(b->s->arena, key);
            kv[k].value = pa_arena_strdup(b->s->arena, s);
            k++;
        }
    }
    *count = k;
    return kv;
}

static void load_locale(builder *b, doc *d, pa_locale *loc)
{
    static const char *const keys[] = {"$schema",    "code",     "name",   "dir",    "order",
                                       "processing", "messages", "errors", "labels", NULL};
    static const char *const processing_keys[] = {
        "stemmer", "stopwords", "decompound", "accent_suffixes", "strip_prefixes", "respell", NULL};
    pa_arena *a = b->s->arena;
    json_t *root = d->root;
    check_keys(d, root, "", keys,
               "$schema, code, name, dir, order, processing, messages, errors, labels");

    const char *base = strrchr(d->path, '/');
    base = base ? base + 1 : d->path;
    loc->code = pa_arena_strndup(a, base, strlen(base) - strlen(".json"));
    loc->source = pa_arena_strdup(a, d->path);
    json_t *code = json_object_get(root, "code");
    if (code && (!json_is_string(code) || strcmp(json_string_value(code), loc->code)))
        doc_error(d, "/code", 0, "\"code\" must be \"%s\", the name of this file", loc->code);

    json_t *name = get_member(d, root, "", "name", 1, JSON_STRING, "a string");
    const char *s = name ? get_text(d, name, "/name", "\"name\"", PA_LABEL_MAX_CHARS) : NULL;
    loc->name = pa_arena_strdup(a, s ? s : loc->code);

    json_t *dir = get_member(d, root, "", "dir", 1, JSON_STRING, "\"ltr\" or \"rtl\"");
    if (dir && strcmp(json_string_value(dir), "ltr") && strcmp(json_string_value(dir), "rtl"))
        doc_error(d, "/dir", 0,
                  "\"dir\" must be \"ltr\" (left to right) or \"rtl\" (right to left)");
    loc->rtl = dir && !strcmp(json_string_value(dir), "rtl");

    json_t *order = json_object_get(root, "order");
    if (order && !json_is_integer(order))
        doc_error(d, "/order", 0, "\"order\" must be a whole number");
    loc->order = order && json_is_integer(order) ? (int)json_integer_value(order) : 1000;

    loc->stemmer = PA_STEM_NONE;
    json_t *proc = get_member(d, root, "", "processing", 1, JSON_OBJECT, "an object");
    if (proc) {
        check_keys(d, proc, "/processing", processing_keys,
                   "stemmer, stopwords, decompound, accent_suffixes, strip_prefixes, respell");
        json_t *rs = get_member(d, proc, "/processing", "respell", 0, JSON_OBJECT,
                                "an object such as {\"ae\": \"ä\"}");
        if (rs)
            loc->respell = kv_table(b, d, rs, "/processing/respell", "a spelling", &loc->n_respell);
        json_t *pre = get_member(d, proc, "/processing", "strip_prefixes", 0, JSON_ARRAY,
                                 "a list of prefixes");
        if (pre) {
            loc->strip_prefixes = strings_of(b, d, pre, "/processing/strip_prefixes", "a prefix",
                                             10, &loc->n_strip_prefixes);
            for (size_t i = 0; i < loc->n_strip_prefixes; i++) {
                char *f = pa_text_fold(loc->strip_prefixes[i], strlen(loc->strip_prefixes[i]));
                loc->strip_prefixes[i] = pa_arena_strdup(b->s->arena, f ? f : "");
                free(f);
            }
        }
        json_t *acc = get_member(d, proc, "/processing", "accent_suffixes", 0, JSON_OBJECT,
                                 "an object such as {\"cao\": \"ção\"}");
        if (acc)
            loc->accent_suffixes = kv_table(b, d, acc, "/processing/accent_suffixes",
                                            "an accented ending", &loc->n_accent_suffixes);
        json_t *dc = json_object_get(proc, "decompound");
        if (dc && !json_is_boolean(dc))
            doc_error(d, "/processing/decompound", 0, "\"decompound\" must be true or false");
        loc->decompound = json_is_true(dc);
        json_t *st = get_member(d, proc, "/processing", "stemmer", 1, JSON_STRING, "a string");
        if (st && !pa_stemmer_exists(json_string_value(st)))
            doc_error(d, "/processing/stemmer", 0,
                      "unknown stemmer \"%s\" (use a Snowball name such as \"french\", or \"%s\" "
                      "or \"%s\")",
                      json_string_value(st), PA_STEM_POLISH_LIGHT, PA_STEM_NONE);
        else if (st)
            loc->stemmer = pa_arena_strdup(a, json_string_value(st));
        json_t *sw = get_member(d, proc, "/processing", "stopwords", 0, JSON_ARRAY, "a list");
        if (sw) {
            loc->stopwords =
                strings_of(b, d, sw, "/processing/stopwords", "a stopword", 40, &loc->n_stopwords);
            for (size_t i = 0; i < loc->n_stopwords; i++) {
                char *f = pa_text_fold(loc->stopwords[i], strlen(loc->stopwords[i]));
                loc->stopwords[i] = pa_arena_strdup(a, f ? f : "");
                free(f);
            }
        }
    }
    json_t *m = get_member(d, root, "", "messages", 1, JSON_OBJECT, "an object");
    json_t *e = get_member(d, root, "", "errors", 1, JSON_OBJECT, "an object");
    json_t *l = get_member(d, root, "", "labels", 1, JSON_OBJECT, "an object");
    static const char *const tables[] = {"/messages", "/errors", "/labels"};
    for (int t = 0; t < 3; t++)
        doc_position(d, tables[t], &loc->table_line[t], &loc->table_column[t]);
    if (m)
        loc->messages = kv_table(b, d, m, "/messages", "a message", &loc->n_messages);
    if (e)
        loc->errors = kv_table(b, d, e, "/errors", "an error message", &loc->n_errors);
    if (l)
        loc->labels = kv_table(b, d, l, "/labels", "a label", &loc->n_labels);
    for (size_t i = 0; m && i < sizeof required_messages / sizeof *required_messages; i++)
        if (!json_object_get(m, required_messages[i]))
            doc_error(d, "/messages", 0, "missing message \"%s\"", required_messages[i]);
    for (int c = PA_PROTO_FIRST_ERROR; e && c < PA_PROTO_END; c++)
        if (!json_object_get(e, pa_protocol_error_name(c)))
            doc_error(d, "/errors", 0, "missing the message for error code \"%s\"",
                      pa_protocol_error_name(c));
}

/* Each locale must have every message key that another one has, so that no
 * user ever sees a blank where another language has text. */
static void compare_locale_keys(builder *b, int which, const char *table, pa_kv *const *tables,
                                const size_t *counts)
{
    pa_snapshot *s = b->s;
    for (size_t i = 0; i < s->n_locales; i++) {
        for (size_t j = 0; j < s->n_locales; j++) {
            if (i == j)
                continue;
            for (size_t k = 0; k < counts[j]; k++) {
                if (pa_kv_get(tables[i], counts[i], tables[j][k].key))
                    continue;
                pa_diag_add(b->diag, PA_DIAG_ERROR, s->locales[i].source,
                            s->locales[i].table_line[which], s->locales[i].table_column[which],
                            "\"%s\" has no \"%s\", but %s has it", table, tables[j][k].key,
                            s->locales[j].source);
                b->errors++;
            }
        }
    }
}

static int cmp_locale(const void *x, const void *y)
{
    const pa_locale *a = x, *b = y;
    if (a->order != b->order)
        return a->order < b->order ? -1 : 1;
    return strcmp(a->code, b->code);
}

static void load_locales(builder *b, const char *dir)
{
    path_list files = {0};
    if (list_json(dir, 0, &files) != 0 || files.count == 0) {
        pa_diag_add(b->diag, PA_DIAG_ERROR, dir, 0, 0, "no locale files (*.json) in this folder");
        b->errors++;
        path_list_free(&files);
        return;
    }
    if (files.count > PA_LANG_MAX)
        files.count = PA_LANG_MAX;
    pa_snapshot *s = b->s;
    s->locales = pa_arena_alloc(s->arena, files.count * sizeof *s->locales);
    for (size_t i = 0; i < files.count; i++) {
        doc d;
        if (doc_open(&d, files.paths[i], b->diag, &b->digest) == 0) {
            load_locale(b, &d, &s->locales[s->n_locales++]);
            b->errors += d.errors;
        } else {
            b->errors++;
        }
        doc_close(&d);
    }
    s->files += files.count;
    path_list_free(&files);
    qsort(s->locales, s->n_locales, sizeof *s->locales, cmp_locale);

    pa_kv *tables[PA_LANG_MAX];
    size_t counts[PA_LANG_MAX];
    static const char *const names[] = {"messages", "errors", "labels"};
    for (int t = 0; t < 3; t++) {
        for (size_t i = 0; i < s->n_locales; i++) {
            pa_locale *l = &s->locales[i];
            tables[i] = t == 0 ? l->messages : t == 1 ? l->errors : l->labels;
            counts[i] = t == 0 ? l->n_messages : t == 1 ? l->n_errors : l->n_labels;
        }
        compare_locale_keys(b, t, names[t], tables, counts);
    }
}

/* ---- names -------------------------------------------------------------- */

static int variant_from_text(pa_arena *a, const char *text, pa_variant *v)
{
    pa_tokens t;
    if (pa_text_tokenize(text, strlen(text), &t) != 0 || t.count == 0) {
        pa_tokens_free(&t);
        return -1;
    }
    v->text = pa_arena_strdup(a, text);
    v->n_tokens = t.count;
    v->tokens = pa_arena_alloc(a, t.count * sizeof *v->tokens);
    v->token_chars = pa_arena_alloc(a, t.count * sizeof *v->token_chars);
    for (size_t i = 0; i < t.count; i++) {
        v->tokens[i] = pa_arena_strdup(a, t.items[i].folded);
        v->token_chars[i] = t.items[i].chars;
    }
    pa_tokens_free(&t);
    return 0;
}

/* seen maps a folded variant to its index in its name, seen_owner to the
 * name's index, so that a variant is kept once and knows all its languages. */
static void load_name(builder *b, doc *d, const char *id, json_t *langs, pa_map *seen,
                      pa_map *seen_owner, pa_name *out)
{
    pa_snapshot *s = b->s;
    char ptr[512] = "/names";
    pa_jsonpos_append_key(ptr, sizeof ptr, id);
    out->id = pa_arena_strdup(s->arena, id);
    if (!json_is_object(langs)) {
        doc_error(d, ptr, 0, "a name must be an object of lists: {\"all\": [...], \"pl\": [...]}");
        return;
    }
    size_t total = 0;
    const char *lang;
    json_t *list;
    json_object_foreach(langs, lang, list) total += json_array_size(list);
    out->variants = pa_arena_alloc(s->arena, (total + 1) * sizeof *out->variants);
    json_object_foreach(langs, lang, list)
    {
        char lptr[512];
        snprintf(lptr, sizeof lptr, "%s", ptr);
        pa_jsonpos_append_key(lptr, sizeof lptr, lang);
        if (strcmp(lang, "all") && pa_snapshot_lang(s, lang) < 0) {
            doc_error(d, lptr, 1, "unknown language \"%s\" (use \"all\" or a locale code)", lang);
            continue;
        }
        if (!json_is_array(list)) {
            doc_error(d, lptr, 0, "the variants must be a list of strings");
            continue;
        }
        size_t n;
        const char **texts = strings_of(b, d, list, lptr, "a name variant", 80, &n);
        int l = pa_snapshot_lang(s, lang);
        unsigned mask = l >= 0 ? 1u << l : ~0u;
        for (size_t i = 0; i < n; i++) {
            pa_variant *v = &out->variants[out->n_variants];
            if (variant_from_text(s->arena, texts[i], v) != 0)
                continue;
            char *key = pa_text_fold(texts[i], strlen(texts[i]));
            long owner = pa_map_get(seen_owner, key, -1);
            if (owner >= 0 && owner != (long)(out - s->names)) {
                char iptr[512];
                snprintf(iptr, sizeof iptr, "%s", lptr);
                pa_jsonpos_append_index(iptr, sizeof iptr, i);
                doc_error(d, iptr, 0, "\"%s\" is already a variant of the name \"%s\"", texts[i],
                          s->names[owner].id);
                free(key);
                continue;
            }
            if (owner < 0) {
                const char *k = pa_arena_strdup(s->arena, key);
                pa_map_put(seen, k, (long)out->n_variants);
                pa_map_put(seen_owner, k, (long)(out - s->names));
                v->langs = mask;
                out->n_variants++;
            } else { /* declared again, in another language */
                out->variants[pa_map_get(seen, key, 0)].langs |= mask;
            }
            free(key);
        }
    }
}

static void load_names(builder *b, const char *dir)
{
    size_t n = strlen(dir) + sizeof "/names.json";
    char *path = malloc(n);
    snprintf(path, n, "%s/names.json", dir);
    struct stat st;
    if (stat(path, &st) != 0) { /* names are optional: a knowledge base may have none */
        free(path);
        return;
    }
    doc d;
    pa_snapshot *s = b->s;
    if (doc_open(&d, path, b->diag, &b->digest) == 0) {
        static const char *const keys[] = {"$schema", "names", NULL};
        check_keys(&d, d.root, "", keys, "$schema, names");
        json_t *names = get_member(&d, d.root, "", "names", 1, JSON_OBJECT, "an object");
        pa_map seen, owner;
        pa_map_init(&seen);
        pa_map_init(&owner);
        s->names = pa_arena_alloc(s->arena, (json_object_size(names) + 1) * sizeof *s->names);
        const char *id;
        json_t *langs;
        json_object_foreach(names, id, langs)
        {
            load_name(b, &d, id, langs, &seen, &owner, &s->names[s->n_names]);
            s->n_names++;
        }
        pa_map_clear(&seen);
        pa_map_clear(&owner);
        b->errors += d.errors;
    } else {
        b->errors++;
    }
    s->files++;
    doc_close(&d);
    free(path);
}

/* ---- intents ------------------------------------------------------------ */

/* Where an intent's follow-ups stand, kept until every id is known. */
typedef struct {
    char **ids;
    int *lines, *cols;
    size_t count;
} pending_suggestions;

typedef struct {
    pa_map examples; /* folded example + language → intent index */
    pa_map ids;      /* intent id → index */
    char **keys;     /* owned copies of the example keys */
    size_t n_keys, cap_keys;
    pending_suggestions *pending;
    char **where;       /* "path:line:col" of each intent's id, for duplicate reports */
    int ids_unreliable; /* a file did not parse or an id is repeated */
} intent_state;

static int valid_id(const char *id)
{
    if (!*id || *id == '.')
        return 0;
    for (const char *p = id; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' ||
              (*p == '.' && p[1] && p[1] != '.')))
            return 0;
    return 1;
}

static void load_intent_examples(builder *b, doc *d, intent_state *st, size_t index,
                                 json_t *examples)
{
    pa_snapshot *s = b->s;
    pa_intent *in = &s->intents[index];
    for (size_t l = 0; l < s->n_locales; l++) {
        const char *code = s->locales[l].code;
        char ptr[512] = "/examples";
        pa_jsonpos_append_key(ptr, sizeof ptr, code);
        json_t *list = json_object_get(examples, code);
        if (!list) {
            doc_error(d, "/examples", 0, "no examples in language \"%s\"", code);
            continue;
        }
        if (!json_is_array(list) || json_array_size(list) == 0) {
            doc_error(d, ptr, 0, "the examples must be a non-empty list of strings");
            continue;
        }
        pa_intent_lang *il = &in->langs[l];
        il->examples =
            strings_of(b, d, list, ptr, "an example", PA_EXAMPLE_MAX_CHARS, &il->n_examples);
        il->example_lines = pa_arena_alloc(s->arena, (il->n_examples + 1) * sizeof(int));
        il->example_columns = pa_arena_alloc(s->arena, (il->n_examples + 1) * sizeof(int));
        for (size_t i = 0; i < il->n_examples; i++) {
            char *folded = pa_text_fold(il->examples[i], strlen(il->examples[i]));
            size_t n = strlen(folded) + strlen(code) + 2;
            char *key = malloc(n);
            snprintf(key, n, "%s\x1f%s", code, folded);
            free(folded);
            long owner = pa_map_get(&st->examples, key, -1);
            char iptr[512];
            snprintf(iptr, sizeof iptr, "%s", ptr);
            pa_jsonpos_append_index(iptr, sizeof iptr, i);
            doc_position(d, iptr, &il->example_lines[i], &il->example_columns[i]);
            if (owner >= 0) {
                if ((size_t)owner == index)
                    doc_error(d, iptr, 0, "this example is repeated in this intent");
                else
                    doc_error(d, iptr, 0, "this example is also in intent \"%s\" (%s)",
                              s->intents[owner].id, st->where[owner]);
                free(key);
                continue;
            }
            if (st->n_keys == st->cap_keys) {
                st->cap_keys = st->cap_keys ? st->cap_keys * 2 : 256;
                st->keys = realloc(st->keys, st->cap_keys * sizeof *st->keys);
            }
            st->keys[st->n_keys++] = key;
            pa_map_put(&st->examples, key, (long)index);
        }
    }
    const char *key;
    json_t *v;
    json_object_foreach(examples, key, v)
    {
        if (pa_snapshot_lang(s, key) < 0) {
            char ptr[512] = "/examples";
            pa_jsonpos_append_key(ptr, sizeof ptr, key);
            doc_error(d, ptr, 1, "unknown language \"%s\" (no locale file %s.json)", key, key);
        }
    }
}

static void load_intent_answers(builder *b, doc *d, pa_intent *in, json_t *answers, json_t *labels)
{
    pa_snapshot *s = b->s;
    for (size_t l = 0; l < s->n_locales; l++) {
        const char *code = s->locales[l].code;
        pa_intent_lang *il = &in->langs[l];
        char ptr[512] = "/answers";
        pa_jsonpos_append_key(ptr, sizeof ptr, code);
        json_t *ans = answers ? json_object_get(answers, code) : NULL;
        if (answers && !ans) {
            doc_error(d, "/answers", 0, "no answer in language \"%s\"", code);
        } else if (json_is_array(ans) && json_array_size(ans) > 0) {
            il->answers =
                strings_of(b, d, ans, ptr, "an answer", PA_ANSWER_MAX_CHARS, &il->n_answers);
        } else if (ans) {
            const char *t = get_text(d, ans, ptr, "the answer", PA_ANSWER_MAX_CHARS);
            if (t) {
                il->answers = pa_arena_alloc(s->arena, sizeof *il->answers);
                il->answers[0] = pa_arena_strdup(s->arena, t);
                il->n_answers = 1;
            }
        }
        char lptr[512] = "/label";
        pa_jsonpos_append_key(lptr, sizeof lptr, code);
        json_t *lab = labels ? json_object_get(labels, code) : NULL;
        if (labels && !lab)
            doc_error(d, "/label", 0, "no label in language \"%s\"", code);
        const char *t = lab ? get_text(d, lab, lptr, "the label", PA_LABEL_MAX_CHARS) : NULL;
        il->label = pa_arena_strdup(s->arena, t ? t : in->id);
    }
    const char *key;
    json_t *v;
    json_t *tables[2] = {answers, labels};
    const char *names[2] = {"/answers", "/label"};
    for (int t = 0; t < 2; t++) {
        json_object_foreach(tables[t], key, v)
        {
            if (pa_snapshot_lang(s, key) < 0) {
                char ptr[512];
                snprintf(ptr, sizeof ptr, "%s", names[t]);
                pa_jsonpos_append_key(ptr, sizeof ptr, key);
                doc_error(d, ptr, 1, "unknown language \"%s\" (no locale file %s.json)", key, key);
            }
        }
    }
}

static void load_intent(builder *b, doc *d, intent_state *st, size_t index)
{
    static const char *const keys[] = {"$schema", "id",          "about",    "label", "examples",
                                       "answers", "suggestions", "fallback", NULL};
    pa_snapshot *s = b->s;
    pa_intent *in = &s->intents[index];
    check_keys(d, d->root, "", keys,
               "$schema, id, about, label, examples, answers, suggestions, fallback");
    json_t *fallback = json_object_get(d->root, "fallback");
    if (fallback && !json_is_boolean(fallback))
        doc_error(d, "/fallback", 0, "\"fallback\" must be true or false");
    in->fallback = json_is_true(fallback);
    in->source = pa_arena_strdup(s->arena, d->path);
    in->langs = pa_arena_alloc(s->arena, s->n_locales * sizeof *in->langs);

    json_t *id = get_member(d, d->root, "", "id", 1, JSON_STRING, "a string");
    const char *idv = id ? json_string_value(id) : "";
    if (id && !valid_id(idv))
        doc_error(d, "/id", 0,
                  "\"%s\" is not a valid id: use lower-case letters, digits and _, in parts "
                  "separated by dots (partner.sopot)",
                  idv);
    in->id = pa_arena_strdup(s->arena, idv);
    int line, col;
    doc_position(d, "/id", &line, &col);
    char where[600];
    snprintf(where, sizeof where, "%s:%d:%d", d->path, line, col);
    st->where[index] = strdup(where);
    long first = id ? pa_map_get(&st->ids, in->id, -1) : -1;
    if (first >= 0) {
        doc_error(d, "/id", 0, "duplicate id \"%s\" (first defined at %s)", idv, st->where[first]);
        st->ids_unreliable = 1;
    } else if (id && *idv)
        pa_map_put(&st->ids, in->id, (long)index);

    json_t *about = get_member(d, d->root, "", "about", 0, JSON_STRING, "a string");
    if (about) {
        const char *name = json_string_value(about);
        size_t i = 0;
        while (i < s->n_names && strcmp(s->names[i].id, name))
            i++;
        if (i == s->n_names)
            doc_error(d, "/about", 0, "\"%s\" is not a name declared in names.json", name);
        else
            in->about = s->names[i].id;
    }
    json_t *examples = get_member(d, d->root, "", "examples", 1, JSON_OBJECT, "an object");
    if (examples)
        load_intent_examples(b, d, st, index, examples);
    /* Examples of what the bot does not answer need no answer of their own:
     * matching them gives the fallback message. */
    int needs_answers = !in->fallback;
    json_t *answers =
        get_member(d, d->root, "", "answers", needs_answers, JSON_OBJECT, "an object");
    json_t *labels = get_member(d, d->root, "", "label", needs_answers, JSON_OBJECT, "an object");
    if (in->fallback && (answers || labels || json_object_get(d->root, "suggestions")))
        doc_error(d,
                  answers  ? "/answers"
                  : labels ? "/label"
                           : "/suggestions",
                  1,
                  "a fallback intent has only examples: remove its answers, label and "
                  "suggestions");
    load_intent_answers(b, d, in, answers, labels);

    json_t *sug = get_member(d, d->root, "", "suggestions", 0, JSON_ARRAY, "a list of intent ids");
    pending_suggestions *p = &st->pending[index];
    size_t n = json_array_size(sug);
    p->ids = calloc(n + 1, sizeof *p->ids);
    p->lines = calloc(n + 1, sizeof *p->lines);
    p->cols = calloc(n + 1, sizeof *p->cols);
    for (size_t i = 0; i < n; i++) {
        char ptr[512] = "/suggestions";
        pa_jsonpos_append_index(ptr, sizeof ptr, i);
        json_t *v = json_array_get(sug, i);
        if (!json_is_string(v)) {
            doc_error(d, ptr, 0, "a follow-up must be an intent id in double quotes");
            continue;
        }
        doc_position(d, ptr, &p->lines[p->count], &p->cols[p->count]);
        p->ids[p->count++] = strdup(json_string_value(v));
    }
}

static void resolve_suggestions(builder *b, intent_state *st)
{
    pa_snapshot *s = b->s;
    for (size_t i = 0; i < s->n_intents; i++) {
        pending_suggestions *p = &st->pending[i];
        pa_intent *in = &s->intents[i];
        in->suggestions = pa_arena_alloc(s->arena, (p->count + 1) * sizeof *in->suggestions);
        for (size_t k = 0; k < p->count; k++) {
            int target = pa_snapshot_intent(s, p->ids[k]);
            if (target >= 0 && s->intents[target].fallback) {
                pa_diag_add(b->diag, PA_DIAG_ERROR, in->source, p->lines[k], p->cols[k],
                            "follow-up \"%s\" is a fallback intent, which has no answer",
                            p->ids[k]);
                b->errors++;
                continue;
            }
            if (target < 0 || (size_t)target == i) {
                pa_diag_add(b->diag, PA_DIAG_ERROR, in->source, p->lines[k], p->cols[k],
                            target < 0 ? "follow-up \"%s\" is not the id of any intent"
                                       : "follow-up \"%s\" is this intent itself",
                            p->ids[k]);
                b->errors++;
                continue;
            }
            in->suggestions[in->n_suggestions++] = (size_t)target;
        }
    }
}

typedef struct {
    pa_intent intent;
    pending_suggestions pending;
} intent_entry;

static int cmp_entry(const void *x, const void *y)
{
    return strcmp(((const intent_entry *)x)->intent.id, ((const intent_entry *)y)->intent.id);
}

/* Sorts the intents by id (lookups are binary searches), moving each one's
 * pending follow-ups along with it. */
static void sort_intents(pa_snapshot *s, pending_suggestions *pending)
{
    intent_entry *e = malloc((s->n_intents + 1) * sizeof *e);
    if (!e)
        return;
    for (size_t i = 0; i < s->n_intents; i++)
        e[i] = (intent_entry){s->intents[i], pending[i]};
    qsort(e, s->n_intents, sizeof *e, cmp_entry);
    for (size_t i = 0; i < s->n_intents; i++) {
        s->intents[i] = e[i].intent;
        pending[i] = e[i].pending;
    }
    free(e);
}

static void load_intents(builder *b, const char *dir)
{
    path_list files = {0};
    list_json(dir, 1, &files);
    pa_snapshot *s = b->s;
    size_t names_file = 0;
    for (size_t i = 0; i < files.count; i++)
        names_file += ends_with(files.paths[i], "/names.json") &&
                      strchr(files.paths[i] + strlen(dir) + 1, '/') == NULL;
    size_t n = files.count - names_file;
    if (n == 0) {
        pa_diag_add(b->diag, PA_DIAG_ERROR, dir, 0, 0, "no intent files (*.json) in this folder");
        b->errors++;
        path_list_free(&files);
        return;
    }
    s->intents = pa_arena_alloc(s->arena, n * sizeof *s->intents);
    intent_state st = {0};
    pa_map_init(&st.examples);
    pa_map_init(&st.ids);
    st.pending = calloc(n, sizeof *st.pending);
    st.where = calloc(n, sizeof *st.where);
    for (size_t i = 0; i < files.count; i++) {
        if (ends_with(files.paths[i], "/names.json") &&
            strchr(files.paths[i] + strlen(dir) + 1, '/') == NULL)
            continue;
        doc d;
        if (doc_open(&d, files.paths[i], b->diag, &b->digest) == 0) {
            load_intent(b, &d, &st, s->n_intents);
            s->n_intents++;
            b->errors += d.errors;
        } else {
            b->errors++;
            st.ids_unreliable = 1;
        }
        s->files++;
        doc_close(&d);
    }
    sort_intents(s, st.pending);
    /* Follow-ups are checked only when every id is known for sure: otherwise
     * each would repeat the real problem, reported above, in other words. */
    if (!st.ids_unreliable)
        resolve_suggestions(b, &st);
    for (size_t i = 0; i < s->n_intents; i++) {
        for (size_t k = 0; k < st.pending[i].count; k++)
            free(st.pending[i].ids[k]);
        free(st.pending[i].ids);
        free(st.pending[i].lines);
        free(st.pending[i].cols);
        free(st.where[i]);
    }
    for (size_t i = 0; i < st.n_keys; i++)
        free(st.keys[i]);
    free(st.keys);
    free(st.pending);
    free(st.where);
    pa_map_clear(&st.examples);
    pa_map_clear(&st.ids);
    path_list_free(&files);
}

/* ---- the snapshot ------------------------------------------------------- */

pa_snapshot *pa_snapshot_load(const char *intents_dir, const char *locales_dir, pa_diag *diag)
{
    pa_snapshot *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->arena = pa_arena_new();
    s->refcount = 1;
    builder b = {s, diag, 0, 14695981039346656037ULL};
    load_locales(&b, locales_dir);
    if (s->n_locales > 0) {
        load_names(&b, intents_dir);
        load_intents(&b, intents_dir);
    }
    for (size_t i = 0; i < s->n_intents; i++)
        s->n_answerable += !s->intents[i].fallback;
    if (b.errors == 0) {
        s->langid = pa_langid_build(s);
        s->index = pa_index_build(s);
        if (!s->langid || !s->index)
            b.errors++;
    }
    snprintf(s->version, sizeof s->version, "%016llx", (unsigned long long)b.digest);
    if (b.errors) {
        pa_snapshot_unref(s);
        return NULL;
    }
    return s;
}

pa_snapshot *pa_snapshot_ref(pa_snapshot *s)
{
    __atomic_add_fetch(&s->refcount, 1, __ATOMIC_RELAXED);
    return s;
}

void pa_snapshot_unref(pa_snapshot *s)
{
    if (!s || __atomic_sub_fetch(&s->refcount, 1, __ATOMIC_ACQ_REL) > 0)
        return;
    pa_index_free(s->index);
    pa_langid_free(s->langid);
    pa_arena_free(s->arena);
    free(s);
}

int pa_snapshot_lang(const pa_snapshot *s, const char *code)
{
    for (size_t i = 0; i < s->n_locales; i++)
        if (!strcmp(s->locales[i].code, code))
            return (int)i;
    return -1;
}

int pa_snapshot_intent(const pa_snapshot *s, const char *id)
{
    size_t lo = 0, hi = s->n_intents;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(s->intents[mid].id, id);
        if (c == 0)
            return (int)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

const char *pa_kv_get(const pa_kv *kv, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(kv[i].key, key))
            return kv[i].value;
    return NULL;
}

char *pa_snapshot_export(const pa_snapshot *s)
{
    json_t *root = json_object();
    json_t *langs = json_array();
    for (size_t l = 0; l < s->n_locales; l++)
        json_array_append_new(langs, json_string(s->locales[l].code));
    json_object_set_new(root, "languages", langs);
    json_object_set_new(root, "version", json_string(s->version));
    json_t *intents = json_array();
    json_t *outside = json_object();
    for (size_t i = 0; i < s->n_intents; i++) {
        const pa_intent *in = &s->intents[i];
        if (in->fallback) {
            for (size_t l = 0; l < s->n_locales; l++) {
                json_t *list = json_object_get(outside, s->locales[l].code);
                if (!list)
                    json_object_set_new(outside, s->locales[l].code, list = json_array());
                for (size_t k = 0; k < in->langs[l].n_examples; k++)
                    json_array_append_new(list, json_string(in->langs[l].examples[k]));
            }
            continue;
        }
        json_t *o = json_object(), *ex = json_object(), *ans = json_object();
        json_t *lab = json_object(), *sug = json_array();
        for (size_t l = 0; l < s->n_locales; l++) {
            const pa_intent_lang *il = &in->langs[l];
            json_t *list = json_array();
            for (size_t k = 0; k < il->n_examples; k++)
                json_array_append_new(list, json_string(il->examples[k]));
            json_object_set_new(ex, s->locales[l].code, list);
            if (il->n_answers == 1) {
                json_object_set_new(ans, s->locales[l].code, json_string(il->answers[0]));
            } else {
                json_t *v = json_array();
                for (size_t k = 0; k < il->n_answers; k++)
                    json_array_append_new(v, json_string(il->answers[k]));
                json_object_set_new(ans, s->locales[l].code, v);
            }
            json_object_set_new(lab, s->locales[l].code, json_string(il->label));
        }
        for (size_t k = 0; k < in->n_suggestions; k++)
            json_array_append_new(sug, json_string(s->intents[in->suggestions[k]].id));
        json_object_set_new(o, "id", json_string(in->id));
        json_object_set_new(o, "examples", ex);
        json_object_set_new(o, "answers", ans);
        json_object_set_new(o, "label", lab);
        json_object_set_new(o, "suggestions", sug);
        json_array_append_new(intents, o);
    }
    json_object_set_new(root, "intents", intents);
    /* what the fallback answers: not intents, but training data all the same */
    json_object_set_new(root, "out_of_scope", outside);
    char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(root);
    return text;
}

#include "pa_knowledge.h"

#include "pa_alloc.h"
#include "pa_jsonpos.h"
#include "pa_link.h"
#include "pa_stem.h"

#include <dirent.h>
#include <jansson.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum {
    PA_POINTER_MAX = 512,    /* a JSON Pointer into one file ("/examples/fr/3") */
    PA_DEFAULT_ORDER = 1000, /* a locale without "order" comes after those with one */
    PA_FIELDS_MAX = 32,      /* fields of one object of a field table */
    PA_WHERE_MAX = PA_DIAG_SOURCE_MAX + 32, /* "path:line:column" */
};

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

static void path_list_add(path_list *l, char *path)
{
    if (l->count == l->capacity) {
        l->capacity = l->capacity ? l->capacity * 2 : 32;
        l->paths = pa_xrealloc(l->paths, l->capacity * sizeof *l->paths);
    }
    l->paths[l->count++] = path;
}

/* Collects the *.json files below dir (recursively when deep), skipping
 * schemas, hidden files and entries that cannot be read. */
static void collect_json(const char *dir, int deep, path_list *out)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        size_t n = strlen(dir) + strlen(e->d_name) + 2;
        char *path = pa_xmalloc(n);
        snprintf(path, n, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) != 0) { /* a dangling link: nothing to read */
            free(path);
            continue;
        }
        if (S_ISDIR(st.st_mode) && deep)
            collect_json(path, deep, out);
        if (S_ISREG(st.st_mode) && ends_with(e->d_name, ".json") &&
            !ends_with(e->d_name, "schema.json"))
            path_list_add(out, path);
        else
            free(path);
    }
    closedir(d);
}

/* The *.json files below dir, sorted so that load order never depends on
 * the file system. Returns -1 when dir cannot be opened. */
static int list_json(const char *dir, int deep, path_list *out)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    closedir(d);
    collect_json(dir, deep, out);
    if (out->count)
        qsort(out->paths, out->count, sizeof *out->paths, cmp_str);
    return 0;
}

/* The whole file, malloc'd, or NULL when it cannot be read. */
static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0, got;
    char *data = pa_xmalloc(cap);
    while ((got = fread(data + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap)
            data = pa_xrealloc(data, cap *= 2);
    }
    int failed = ferror(f);
    fclose(f);
    if (failed) {
        free(data);
        return NULL;
    }
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

/* Reports message msg (with its n arguments: PA_DIAG_ARGS) at the value
 * pointer designates, or at its key when at_key is set (an unknown key, a
 * language code that names no locale). */
static void doc_error(doc *d, pa_diag_msg msg, const char *pointer, int at_key,
                      const pa_diag_arg *args, size_t n)
{
    const pa_jsonpos_entry *e = pa_jsonpos_find(&d->pos, pointer);
    int line = e ? (at_key && e->key_line ? e->key_line : e->line) : 0;
    int col = e ? (at_key && e->key_line ? e->key_column : e->column) : 0;
    pa_diag_report(d->diag, PA_DIAG_ERROR, msg, d->path, line, col, args, n);
    d->errors++;
}

static void doc_position(const doc *d, const char *pointer, int *line, int *col)
{
    const pa_jsonpos_entry *e = pa_jsonpos_find(&d->pos, pointer);
    *line = e ? e->line : 0;
    *col = e ? e->column : 0;
}

/* pointer + "/" + key, or + "/" + index, into out. */
static char *child_key(char out[PA_POINTER_MAX], const char *pointer, const char *key)
{
    pa_text_copy(out, PA_POINTER_MAX, pointer);
    pa_jsonpos_append_key(out, PA_POINTER_MAX, key);
    return out;
}

static char *child_index(char out[PA_POINTER_MAX], const char *pointer, size_t index)
{
    pa_text_copy(out, PA_POINTER_MAX, pointer);
    pa_jsonpos_append_index(out, PA_POINTER_MAX, index);
    return out;
}

/* Reads and parses one file; on failure reports why and returns -1. The
 * file's name below its folder (path past root_len bytes) and its content
 * are folded into the knowledge's version digest: not the folder itself, so
 * that the same files report the same version wherever they are installed,
 * as replicas behind one proxy must. */
/* A file read and parsed, not yet checked: what can be done ahead of its
 * turn, on another thread (see read_ahead). */
typedef struct {
    char *text; /* NULL when the file could not be read */
    size_t len;
    json_t *root; /* NULL when it is not JSON (err says why) */
    json_error_t err;
    pa_jsonpos pos; /* filled when root is */
} parsed_file;

static void parse_file(const char *path, parsed_file *pf)
{
    memset(pf, 0, sizeof *pf);
    pf->text = read_all(path, &pf->len);
    if (!pf->text)
        return;
    pf->root = json_loadb(pf->text, pf->len, JSON_REJECT_DUPLICATES, &pf->err);
    if (pf->root)
        pa_jsonpos_scan(&pf->pos, pf->text, pf->len);
}

/* Opens the parsed file pf as d (taking what pf holds): adds its name and
 * text to *digest and reports what kept it from being read, parsed or an
 * object. Returns 0 when d is ready to be checked, else -1. */
static int doc_from(doc *d, const char *path, parsed_file *pf, size_t root_len, pa_diag *diag,
                    uint64_t *digest)
{
    memset(d, 0, sizeof *d);
    d->path = path;
    d->diag = diag;
    if (!pf->text) {
        pa_diag_report(diag, PA_DIAG_ERROR, PA_DM_CANNOT_READ, path, 0, 0, NULL, 0);
        return -1;
    }
    const char *name = path + root_len;
    while (*name == '/')
        name++;
    *digest = pa_hash_bytes(*digest, name, strlen(name) + 1);
    *digest = pa_hash_bytes(*digest, pf->text, pf->len);
    free(pf->text);
    pf->text = NULL;
    if (!pf->root) {
        pa_diag_json_error(diag, path, 0, &pf->err);
        return -1;
    }
    d->root = pf->root;
    d->pos = pf->pos;
    pf->root = NULL;
    memset(&pf->pos, 0, sizeof pf->pos);
    if (!json_is_object(d->root)) {
        doc_error(d, PA_DM_NOT_OBJECT, "", 0, NULL, 0);
        return -1;
    }
    return 0;
}

static int doc_open(doc *d, const char *path, size_t root_len, pa_diag *diag, uint64_t *digest)
{
    parsed_file pf;
    parse_file(path, &pf);
    return doc_from(d, path, &pf, root_len, diag, digest);
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
        char ptr[PA_POINTER_MAX];
        if (!ok)
            doc_error(d, PA_DM_UNKNOWN_KEY, child_key(ptr, pointer, key), 1,
                      PA_DIAG_ARGS(PA_TEXT("key", key), PA_TEXT("allowed", list)));
    }
}

/* A non-empty string of at most max characters, or reports why not. what
 * is the catalog's term for the text ("term.example"). */
static const char *get_text(doc *d, json_t *v, const char *pointer, const char *what, size_t max)
{
    if (!json_is_string(v)) {
        doc_error(d, PA_DM_TEXT_WRONG_TYPE, pointer, 0, PA_DIAG_ARGS(PA_TERM("what", what)));
        return NULL;
    }
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    if (strlen(s) != len) {
        doc_error(d, PA_DM_TEXT_NUL, pointer, 0, PA_DIAG_ARGS(PA_TERM("what", what)));
        return NULL;
    }
    if (!pa_text_has_words(s, len)) {
        doc_error(d, PA_DM_TEXT_EMPTY, pointer, 0, PA_DIAG_ARGS(PA_TERM("what", what)));
        return NULL;
    }
    size_t chars = pa_text_chars(s, len);
    if (max && chars > max) {
        doc_error(d, PA_DM_TEXT_TOO_LONG, pointer, 0,
                  PA_DIAG_ARGS(PA_TERM("what", what), PA_NUM("chars", chars), PA_NUM("max", max)));
        return NULL;
    }
    return s;
}

/* obj[key] when it has the type, else NULL after reporting it missing (when
 * required) or of the wrong type; type_name is the catalog's term for the
 * type ("type.object"). */
static json_t *get_member(doc *d, json_t *obj, const char *pointer, const char *key, int required,
                          json_type type, const char *type_name)
{
    json_t *v = json_object_get(obj, key);
    if (!v) {
        if (required)
            doc_error(d, PA_DM_MISSING_KEY, pointer, 0, PA_DIAG_ARGS(PA_TEXT("key", key)));
        return NULL;
    }
    char ptr[PA_POINTER_MAX];
    if (json_typeof(v) != type) {
        doc_error(d, PA_DM_WRONG_TYPE, child_key(ptr, pointer, key), 0,
                  PA_DIAG_ARGS(PA_TEXT("key", key), PA_TERM("type", type_name)));
        return NULL;
    }
    return v;
}

/* ---- the knowledge under construction ---------------------------------- */

typedef struct {
    pa_knowledge *k;
    pa_diag *diag;
    size_t errors; /* besides those counted by each doc */
    uint64_t digest;
    /* every name variant read so far (names.json, then places.json: a variant
     * may belong to one name only) → its index in its name, and its name */
    pa_map variants, variant_owner;
    pa_tokenizer tokenizer; /* for the names' variants and the examples, one after the other */
} builder;

/* Reports message msg with its n arguments (PA_DIAG_ARGS) about source. */
static void build_error(builder *b, pa_diag_msg msg, const char *source, int line, int column,
                        const pa_diag_arg *args, size_t n)
{
    pa_diag_report(b->diag, PA_DIAG_ERROR, msg, source, line, column, args, n);
    b->errors++;
}

/* The strings of arr (each checked as a text of at most max characters),
 * copied into the arena, folded when fold is set. */
static const char **strings_of(builder *b, doc *d, json_t *arr, const char *pointer,
                               const char *what, size_t max, int fold, size_t *count)
{
    size_t n = json_array_size(arr);
    const char **out = pa_arena_alloc(b->k->arena, (n ? n : 1) * sizeof *out);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        char ptr[PA_POINTER_MAX];
        const char *s =
            get_text(d, json_array_get(arr, i), child_index(ptr, pointer, i), what, max);
        if (!s)
            continue;
        char *folded = fold ? pa_text_fold(s, strlen(s)) : NULL;
        out[k++] = pa_arena_strdup(b->k->arena, folded ? folded : s);
        free(folded);
    }
    *count = k;
    return out;
}

/* The members of obj as a table of texts. */
static pa_kv *kv_table(builder *b, doc *d, json_t *obj, const char *pointer, const char *what,
                       size_t *count)
{
    size_t n = json_object_size(obj), k = 0;
    pa_kv *kv = pa_arena_alloc(b->k->arena, (n ? n : 1) * sizeof *kv);
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        char ptr[PA_POINTER_MAX];
        const char *s = get_text(d, v, child_key(ptr, pointer, key), what, PA_ANSWER_MAX_CHARS);
        if (s) {
            kv[k].key = pa_arena_strdup(b->k->arena, key);
            kv[k].value = pa_arena_strdup(b->k->arena, s);
            k++;
        }
    }
    *count = k;
    return kv;
}

/* ---- locales: one table of field specifications ------------------------- */

typedef enum {
    FIELD_SKIP,      /* accepted and ignored ($schema) */
    FIELD_CODE,      /* must repeat the file name */
    FIELD_TEXT,      /* const char *: a text */
    FIELD_DIRECTION, /* int: 1 for "rtl", 0 for "ltr" */
    FIELD_INTEGER,   /* int */
    FIELD_BOOLEAN,   /* int */
    FIELD_STEMMER,   /* const char *: the name of a stemmer this build has */
    FIELD_WORDS,     /* const char **, size_t: a list of texts, folded */
    FIELD_TABLE,     /* pa_kv *, size_t: an object of texts */
    FIELD_OBJECT,    /* an object read by the fields in sub */
} field_kind;

typedef struct field {
    const char *key;
    field_kind kind;
    int required;
    size_t offset, count_offset; /* in pa_locale */
    size_t max_chars;            /* of each text */
    const char *type_name;       /* what a value must be: a catalog term ("type.list") */
    const char *item;            /* what one text is: a catalog term ("term.stopword") */
    const struct field *sub;     /* of FIELD_OBJECT, ended by a NULL key */
} field;

#define AT(member) offsetof(pa_locale, member)

static const field processing_fields[] = {
    {"stemmer", FIELD_STEMMER, 1, AT(stemmer), 0, 0, "type.string", NULL, NULL},
    {"stopwords", FIELD_WORDS, 0, AT(stopwords), AT(n_stopwords), PA_STOPWORD_MAX_CHARS,
     "type.list", "term.stopword", NULL},
    {"acknowledgements", FIELD_WORDS, 0, AT(acknowledgements), AT(n_acknowledgements),
     PA_STOPWORD_MAX_CHARS, "type.list", "term.acknowledgement", NULL},
    {"decompound", FIELD_BOOLEAN, 0, AT(decompound), 0, 0, "type.boolean", NULL, NULL},
    {"accent_suffixes", FIELD_TABLE, 0, AT(accent_suffixes), AT(n_accent_suffixes), 0,
     "type.accent_table", "term.accent_ending", NULL},
    {"strip_prefixes", FIELD_WORDS, 0, AT(strip_prefixes), AT(n_strip_prefixes),
     PA_PREFIX_MAX_CHARS, "type.prefixes", "term.prefix", NULL},
    {"respell", FIELD_TABLE, 0, AT(respell), AT(n_respell), 0, "type.respell_table",
     "term.respelling", NULL},
    {"abbreviations", FIELD_TABLE, 0, AT(abbreviations), AT(n_abbreviations), 0,
     "type.abbreviation_table", "term.abbreviation", NULL},
    {NULL, FIELD_SKIP, 0, 0, 0, 0, NULL, NULL, NULL},
};

static const field locale_fields[] = {
    {"$schema", FIELD_SKIP, 0, 0, 0, 0, NULL, NULL, NULL},
    {"code", FIELD_CODE, 0, 0, 0, 0, NULL, NULL, NULL},
    {"name", FIELD_TEXT, 1, AT(name), 0, PA_LABEL_MAX_CHARS, "type.string", "term.language_name",
     NULL},
    {"dir", FIELD_DIRECTION, 1, AT(rtl), 0, 0, "type.direction", NULL, NULL},
    {"order", FIELD_INTEGER, 0, AT(order), 0, 0, "type.integer", NULL, NULL},
    {"processing", FIELD_OBJECT, 1, 0, 0, 0, "type.object", NULL, processing_fields},
    {"messages", FIELD_TABLE, 1, AT(messages), AT(n_messages), 0, "type.object", "term.message",
     NULL},
    {"errors", FIELD_TABLE, 1, AT(errors), AT(n_errors), 0, "type.object", "term.error_message",
     NULL},
    {"labels", FIELD_TABLE, 1, AT(labels), AT(n_labels), 0, "type.object", "term.widget_label",
     NULL},
    {NULL, FIELD_SKIP, 0, 0, 0, 0, NULL, NULL, NULL},
};

#undef AT

/* The keys of a field table, for "allowed here: ..." */
static void field_keys(const field *fields, const char **keys, char *list, size_t size)
{
    size_t n = 0;
    list[0] = '\0';
    for (const field *f = fields; f->key; f++) {
        keys[n++] = f->key;
        snprintf(list + strlen(list), size - strlen(list), "%s%s", n > 1 ? ", " : "", f->key);
    }
    keys[n] = NULL;
}

static json_type json_type_of(field_kind kind)
{
    switch (kind) {
    case FIELD_TEXT:
    case FIELD_DIRECTION:
    case FIELD_STEMMER: return JSON_STRING;
    case FIELD_INTEGER: return JSON_INTEGER;
    case FIELD_WORDS: return JSON_ARRAY;
    case FIELD_TABLE:
    case FIELD_OBJECT: return JSON_OBJECT;
    default: return JSON_NULL; /* not checked */
    }
}

static void read_fields(builder *b, doc *d, json_t *obj, const char *pointer, const field *fields,
                        pa_locale *loc);

/* Reads one field's value v into loc. */
static void read_field(builder *b, doc *d, const field *f, json_t *v, const char *ptr,
                       pa_locale *loc)
{
    char *base = (char *)loc;
    switch (f->kind) {
    case FIELD_SKIP: break;
    case FIELD_CODE:
        if (!json_is_string(v) || strcmp(json_string_value(v), loc->code))
            doc_error(d, PA_DM_LOCALE_CODE, ptr, 0, PA_DIAG_ARGS(PA_TEXT("expected", loc->code)));
        break;
    case FIELD_TEXT: {
        const char *s = get_text(d, v, ptr, f->item, f->max_chars);
        if (s)
            *(const char **)(base + f->offset) = pa_arena_strdup(b->k->arena, s);
        break;
    }
    case FIELD_DIRECTION:
        if (strcmp(json_string_value(v), "ltr") && strcmp(json_string_value(v), "rtl"))
            doc_error(d, PA_DM_LOCALE_DIR, ptr, 0, NULL, 0);
        *(int *)(base + f->offset) = !strcmp(json_string_value(v), "rtl");
        break;
    case FIELD_INTEGER: *(int *)(base + f->offset) = (int)json_integer_value(v); break;
    case FIELD_BOOLEAN: *(int *)(base + f->offset) = json_is_true(v); break;
    case FIELD_STEMMER:
        if (!pa_stemmer_exists(json_string_value(v)))
            doc_error(d, PA_DM_LOCALE_STEMMER, ptr, 0,
                      PA_DIAG_ARGS(PA_TEXT("stemmer", json_string_value(v)),
                                   PA_TEXT("light", PA_STEM_POLISH_LIGHT),
                                   PA_TEXT("none", PA_STEM_NONE)));
        else
            *(const char **)(base + f->offset) = pa_arena_strdup(b->k->arena, json_string_value(v));
        break;
    case FIELD_WORDS:
        *(const char ***)(base + f->offset) =
            strings_of(b, d, v, ptr, f->item, f->max_chars, 1, (size_t *)(base + f->count_offset));
        break;
    case FIELD_TABLE:
        *(pa_kv **)(base + f->offset) =
            kv_table(b, d, v, ptr, f->item, (size_t *)(base + f->count_offset));
        break;
    case FIELD_OBJECT: read_fields(b, d, v, ptr, f->sub, loc); break;
    }
}

/* Reads obj by its field table: unknown keys, missing and mistyped values
 * are reported, the others stored into loc. */
static void read_fields(builder *b, doc *d, json_t *obj, const char *pointer, const field *fields,
                        pa_locale *loc)
{
    const char *keys[PA_FIELDS_MAX + 1];
    char list[PA_FIELDS_MAX * 24];
    field_keys(fields, keys, list, sizeof list);
    check_keys(d, obj, pointer, keys, list);
    for (const field *f = fields; f->key; f++) {
        json_t *v;
        char ptr[PA_POINTER_MAX];
        child_key(ptr, pointer, f->key);
        if (f->kind == FIELD_SKIP || f->kind == FIELD_CODE || f->kind == FIELD_BOOLEAN) {
            v = json_object_get(obj, f->key);
            if (v && f->kind == FIELD_BOOLEAN && !json_is_boolean(v)) {
                doc_error(d, PA_DM_WRONG_TYPE, ptr, 0,
                          PA_DIAG_ARGS(PA_TEXT("key", f->key), PA_TERM("type", f->type_name)));
                v = NULL;
            }
        } else {
            v = get_member(d, obj, pointer, f->key, f->required, json_type_of(f->kind),
                           f->type_name);
        }
        if (v)
            read_field(b, d, f, v, ptr, loc);
    }
}

/* Every locale must have a text for every system message and error code. */
static void link_messages(doc *d, pa_locale *loc)
{
    for (int m = 0; loc->messages && m < PA_MSG_END; m++) {
        loc->message_text[m] = pa_kv_get(loc->messages, loc->n_messages, pa_message_key(m));
        if (!loc->message_text[m])
            doc_error(d, PA_DM_LOCALE_MISSING_MESSAGE, "/messages", 0,
                      PA_DIAG_ARGS(PA_TEXT("key", pa_message_key(m))));
    }
    for (int c = PA_PROTO_FIRST_ERROR; loc->errors && c < PA_PROTO_END; c++) {
        loc->error_text[c] = pa_kv_get(loc->errors, loc->n_errors, pa_protocol_error_name(c));
        if (!loc->error_text[c])
            doc_error(d, PA_DM_LOCALE_MISSING_ERROR, "/errors", 0,
                      PA_DIAG_ARGS(PA_TEXT("key", pa_protocol_error_name(c))));
    }
}

/* Tokenizes each abbreviation's words and maps its folded form to it. An
 * abbreviation must be one word, and stand for words. */
static void index_abbreviations(builder *b, doc *d, pa_locale *loc)
{
    loc->abbreviation_tokens = pa_xcalloc(loc->n_abbreviations + 1, sizeof(pa_tokens));
    for (size_t i = 0; i < loc->n_abbreviations; i++) {
        const pa_kv *kv = &loc->abbreviations[i];
        pa_tokens key;
        int one_word = pa_text_tokenize(kv->key, strlen(kv->key), &key) == 0 && key.count == 1;
        pa_tokens *words = &loc->abbreviation_tokens[i];
        if (!one_word || pa_text_tokenize(kv->value, strlen(kv->value), words) != 0 ||
            words->count == 0) {
            char ptr[PA_POINTER_MAX];
            child_key(ptr, "/processing/abbreviations", kv->key);
            doc_error(d, PA_DM_LOCALE_ABBREVIATION, ptr, 1, PA_DIAG_ARGS(PA_TEXT("key", kv->key)));
        } else {
            const char *folded = key.items[0].folded;
            long word = pa_map_get(&loc->words, folded, 0);
            if (!pa_locale_abbreviation_of(loc, word)) /* the first one listed stands */
                pa_map_put(&loc->words, word ? folded : pa_arena_strdup(b->k->arena, folded),
                           word | ((long)i + 1) << 1);
        }
        pa_tokens_free(&key);
    }
}

static void load_locale(builder *b, doc *d, pa_locale *loc)
{
    pa_arena *a = b->k->arena;
    const char *base = strrchr(d->path, '/');
    base = base ? base + 1 : d->path;
    loc->code = pa_arena_strndup(a, base, strlen(base) - strlen(".json"));
    loc->source = pa_arena_strdup(a, d->path);
    loc->order = PA_DEFAULT_ORDER;
    loc->stemmer = PA_STEM_NONE;
    read_fields(b, d, d->root, "", locale_fields, loc);
    if (!loc->name)
        loc->name = loc->code;
    static const char *const tables[] = {"/messages", "/errors", "/labels"};
    for (int t = 0; t < 3; t++)
        doc_position(d, tables[t], &loc->table_line[t], &loc->table_column[t]);
    link_messages(d, loc);
    pa_map_init(&loc->words);
    for (size_t i = 0; i < loc->n_stopwords; i++)
        pa_map_put(&loc->words, loc->stopwords[i], PA_LOCALE_STOPWORD);
    index_abbreviations(b, d, loc);
}

/* Each locale must have every message key that another one has, so that no
 * user ever sees a blank where another language has text. */
static void compare_locale_keys(builder *b, int which, const char *table, pa_kv *const *tables,
                                const size_t *counts)
{
    pa_knowledge *k = b->k;
    for (size_t i = 0; i < k->n_locales; i++) {
        for (size_t j = 0; j < k->n_locales; j++) {
            if (i == j)
                continue;
            for (size_t e = 0; e < counts[j]; e++) {
                if (pa_kv_get(tables[i], counts[i], tables[j][e].key))
                    continue;
                build_error(b, PA_DM_LOCALE_DIFFER, k->locales[i].source,
                            k->locales[i].table_line[which], k->locales[i].table_column[which],
                            PA_DIAG_ARGS(PA_TEXT("table", table), PA_TEXT("key", tables[j][e].key),
                                         PA_TEXT("other", k->locales[j].source)));
            }
        }
    }
}

/* Each locale's other_language message, then the languages the bot speaks,
 * each named in itself: "... : Français · Deutsch · Polski". */
static void compose_languages_text(pa_knowledge *k)
{
    size_t names = 0;
    for (size_t l = 0; l < k->n_locales; l++)
        names += strlen(k->locales[l].name) + sizeof " · ";
    for (size_t l = 0; l < k->n_locales; l++) {
        pa_locale *loc = &k->locales[l];
        const char *intro = loc->message_text[PA_MSG_OTHER_LANGUAGE];
        size_t size = (intro ? strlen(intro) : 0) + names + 2;
        char *text = pa_arena_alloc(k->arena, size);
        snprintf(text, size, "%s", intro ? intro : "");
        for (size_t i = 0; i < k->n_locales; i++)
            snprintf(text + strlen(text), size - strlen(text), "%s%s", i ? " · " : " ",
                     k->locales[i].name);
        loc->languages_text = text;
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
        build_error(b, PA_DM_NO_LOCALE_FILES, dir, 0, 0, NULL, 0);
        path_list_free(&files);
        return;
    }
    if (files.count > PA_LANG_MAX) {
        build_error(b, PA_DM_TOO_MANY_LOCALES, dir, 0, 0,
                    PA_DIAG_ARGS(PA_NUM("count", files.count), PA_NUM("max", PA_LANG_MAX)));
        path_list_free(&files);
        return;
    }
    pa_knowledge *k = b->k;
    k->locales = pa_arena_alloc(k->arena, files.count * sizeof *k->locales);
    for (size_t i = 0; i < files.count; i++) {
        doc d;
        if (doc_open(&d, files.paths[i], strlen(dir), b->diag, &b->digest) == 0) {
            load_locale(b, &d, &k->locales[k->n_locales++]);
            b->errors += d.errors;
        } else {
            b->errors++;
        }
        doc_close(&d);
    }
    k->files += files.count;
    path_list_free(&files);
    qsort(k->locales, k->n_locales, sizeof *k->locales, cmp_locale);

    compose_languages_text(k);
    pa_kv *tables[PA_LANG_MAX];
    size_t counts[PA_LANG_MAX];
    static const char *const names[] = {"messages", "errors", "labels"};
    for (int t = 0; t < 3; t++) {
        for (size_t i = 0; i < k->n_locales; i++) {
            pa_locale *l = &k->locales[i];
            tables[i] = t == 0 ? l->messages : t == 1 ? l->errors : l->labels;
            counts[i] = t == 0 ? l->n_messages : t == 1 ? l->n_errors : l->n_labels;
        }
        compare_locale_keys(b, t, names[t], tables, counts);
    }
}

/* ---- names -------------------------------------------------------------- */

/* Fills v from a variant's text and its tokens t, in arena a; -1 when it
 * has no token. */
static int variant_from_tokens(pa_arena *a, const char *text, const pa_tokens *t, pa_variant *v)
{
    if (t->count == 0)
        return -1;
    v->text = pa_arena_strdup(a, text);
    v->n_tokens = t->count;
    v->tokens = pa_arena_alloc(a, t->count * sizeof *v->tokens);
    v->token_chars = pa_arena_alloc(a, t->count * sizeof *v->token_chars);
    for (size_t i = 0; i < t->count; i++) {
        v->tokens[i] = pa_arena_strdup(a, t->items[i].folded);
        v->token_chars[i] = t->items[i].chars;
    }
    return 0;
}

/* The folded form of tokens t (pa_text_fold's), in arena a. */
static const char *folded_in(pa_arena *a, const pa_tokens *t)
{
    size_t n = pa_text_join_folded_to(t, NULL, 0);
    char *key = pa_arena_alloc(a, n + 1);
    pa_text_join_folded_to(t, key, n + 1);
    return key;
}

/* seen maps a folded variant to its index in its name, seen_owner to the
 * name's index, so that a variant is kept once and knows all its languages. */
static void load_name(builder *b, doc *d, const char *file_key, const char *id, json_t *langs,
                      int region, pa_name *out)
{
    pa_knowledge *k = b->k;
    pa_map *seen = &b->variants, *seen_owner = &b->variant_owner;
    char ptr[PA_POINTER_MAX];
    snprintf(ptr, sizeof ptr, "/%s", file_key);
    pa_jsonpos_append_key(ptr, PA_POINTER_MAX, id);
    if (!out->id)
        out->id = pa_arena_strdup(k->arena, id);
    if (!json_is_object(langs)) {
        doc_error(d, PA_DM_NAME_NOT_OBJECT, ptr, 0, NULL, 0);
        return;
    }
    size_t total = out->n_variants; /* the regions add to the name's variants */
    const char *lang;
    json_t *list;
    json_object_foreach(langs, lang, list) total += json_array_size(list);
    pa_variant *grown = pa_arena_alloc(k->arena, (total + 1) * sizeof *out->variants);
    if (out->n_variants)
        memcpy(grown, out->variants, out->n_variants * sizeof *grown);
    out->variants = grown;
    json_object_foreach(langs, lang, list)
    {
        char lptr[PA_POINTER_MAX];
        pa_text_copy(lptr, PA_POINTER_MAX, ptr);
        pa_jsonpos_append_key(lptr, PA_POINTER_MAX, lang);
        if (strcmp(lang, "all") && pa_knowledge_lang(k, lang) < 0) {
            doc_error(d, PA_DM_NAME_UNKNOWN_LANGUAGE, lptr, 1, PA_DIAG_ARGS(PA_TEXT("lang", lang)));
            continue;
        }
        if (!json_is_array(list)) {
            doc_error(d, PA_DM_NAME_NOT_LIST, lptr, 0, NULL, 0);
            continue;
        }
        size_t n;
        const char **texts =
            strings_of(b, d, list, lptr, "term.name_variant", PA_VARIANT_MAX_CHARS, 0, &n);
        int l = pa_knowledge_lang(k, lang);
        unsigned mask = l >= 0 ? 1u << l : ~0u;
        for (size_t i = 0; i < n; i++) {
            pa_variant *v = &out->variants[out->n_variants];
            const pa_tokens *t = &b->tokenizer.tokens;
            if (pa_tokenizer_run(&b->tokenizer, texts[i], strlen(texts[i])) != 0 ||
                variant_from_tokens(k->arena, texts[i], t, v) != 0)
                continue;
            const char *key = folded_in(k->arena, t);
            long owner = pa_map_get(seen_owner, key, -1);
            if (owner >= 0 && owner != (long)(out - k->names)) {
                char iptr[PA_POINTER_MAX];
                pa_text_copy(iptr, PA_POINTER_MAX, lptr);
                pa_jsonpos_append_index(iptr, PA_POINTER_MAX, i);
                doc_error(d, PA_DM_NAME_DUPLICATE_VARIANT, iptr, 0,
                          PA_DIAG_ARGS(PA_TEXT("variant", texts[i]),
                                       PA_TEXT("name", k->names[owner].id)));
                continue;
            }
            if (owner < 0) {
                pa_map_put(seen, key, (long)out->n_variants);
                pa_map_put(seen_owner, key, (long)(out - k->names));
                v->langs = mask;
                v->region = region;
                out->n_variants++;
            } else { /* declared again, in another language */
                out->variants[pa_map_get(seen, key, 0)].langs |= mask;
            }
        }
    }
}

/* dir/name, malloc'd, when that file exists; NULL when it does not. */
static char *optional_file(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *path = pa_xmalloc(n);
    snprintf(path, n, "%s/%s", dir, name);
    struct stat st;
    if (stat(path, &st) != 0) {
        free(path);
        return NULL;
    }
    return path;
}

/* The object under `key` of a file at the top of intents/ ($schema and an
 * optional member `extra` aside, which the reader finds in d->root), given
 * to read; the file may be missing: not all knowledge has it. */
typedef void (*shared_reader)(builder *b, doc *d, json_t *obj);

static void load_shared_file(builder *b, const char *dir, const char *name, const char *key,
                             const char *extra, shared_reader read)
{
    char *path = optional_file(dir, name);
    if (!path)
        return;
    doc d;
    if (doc_open(&d, path, strlen(dir), b->diag, &b->digest) == 0) {
        const char *keys[] = {"$schema", key, extra, NULL};
        char list[PA_POINTER_MAX];
        snprintf(list, sizeof list, "$schema, %s%s%s", key, extra ? ", " : "", extra ? extra : "");
        check_keys(&d, d.root, "", keys, list);
        json_t *obj = get_member(&d, d.root, "", key, 1, JSON_OBJECT, "type.object");
        read(b, &d, obj);
        b->errors += d.errors;
    } else {
        b->errors++;
    }
    b->k->files++;
    doc_close(&d);
    free(path);
}

/* Adds the names of one file (the object under key) to the knowledge's. */
static void add_names(builder *b, doc *d, const char *key, json_t *names, int elsewhere)
{
    pa_knowledge *k = b->k;
    pa_name *all =
        pa_arena_alloc(k->arena, (k->n_names + json_object_size(names) + 1) * sizeof *all);
    if (k->n_names)
        memcpy(all, k->names, k->n_names * sizeof *all);
    k->names = all;
    /* the ids of one object differ (the parser rejects duplicate keys): only
     * those of the files read before can be taken already */
    pa_map before;
    pa_map_init(&before);
    pa_map_reserve(&before, k->n_names);
    for (size_t i = 0; i < k->n_names; i++)
        pa_map_put(&before, k->names[i].id, (long)i);
    const char *id;
    json_t *langs;
    json_object_foreach(names, id, langs)
    {
        pa_name *n = &k->names[k->n_names];
        if (pa_map_get(&before, id, -1) >= 0) {
            char ptr[PA_POINTER_MAX];
            snprintf(ptr, sizeof ptr, "/%s", key);
            pa_jsonpos_append_key(ptr, PA_POINTER_MAX, id);
            doc_error(d, PA_DM_PLACE_IS_NAME, ptr, 1, PA_DIAG_ARGS(PA_TEXT("id", id)));
        }
        memset(n, 0, sizeof *n);
        load_name(b, d, key, id, langs, 0, n);
        n->elsewhere = elsewhere;
        k->n_names++;
    }
    pa_map_clear(&before);
}

/* names.json's "regions": more variants of names already declared, which
 * name a partner's country or region rather than the town. */
static void add_regions(builder *b, doc *d, json_t *regions)
{
    pa_knowledge *k = b->k;
    const char *id;
    json_t *langs;
    json_object_foreach(regions, id, langs)
    {
        size_t i = 0;
        while (i < k->n_names && strcmp(k->names[i].id, id))
            i++;
        if (i == k->n_names) {
            char ptr[PA_POINTER_MAX] = "/regions";
            pa_jsonpos_append_key(ptr, PA_POINTER_MAX, id);
            doc_error(d, PA_DM_REGION_UNKNOWN_NAME, ptr, 1, PA_DIAG_ARGS(PA_TEXT("id", id)));
            continue;
        }
        load_name(b, d, "regions", id, langs, 1, &k->names[i]);
    }
}

/* intents/names.json: the names intents may be about, and key words, then
 * the partners' countries and regions. */
static void read_names(builder *b, doc *d, json_t *names)
{
    add_names(b, d, "names", names, 0);
    json_t *regions = json_object_get(d->root, "regions");
    if (regions && !json_is_object(regions))
        doc_error(d, PA_DM_WRONG_TYPE, "/regions", 0,
                  PA_DIAG_ARGS(PA_TEXT("key", "regions"), PA_TERM("type", "type.object")));
    else if (regions)
        add_regions(b, d, regions);
}

/* The "home" list of places.json: the names of names.json that are Colombes
 * itself, so that "I moved from Stuttgart to Colombes..." stays a question
 * about Colombes. */
static void read_home(builder *b, doc *d)
{
    pa_knowledge *k = b->k;
    json_t *home = json_object_get(d->root, "home");
    if (!home)
        return;
    if (!json_is_array(home)) {
        doc_error(d, PA_DM_NAME_NOT_LIST, "/home", 0, NULL, 0);
        return;
    }
    size_t n = 0;
    const char **ids = strings_of(b, d, home, "/home", "term.name", PA_LABEL_MAX_CHARS, 0, &n);
    for (size_t i = 0; i < n; i++) {
        int found = 0;
        for (size_t j = 0; j < k->n_names && !found; j++)
            if (!k->names[j].elsewhere && !strcmp(k->names[j].id, ids[i]))
                found = 1, k->names[j].home = 1;
        if (!found) {
            char ptr[PA_POINTER_MAX];
            doc_error(d, PA_DM_PLACE_UNKNOWN_HOME, child_index(ptr, "/home", i), 0,
                      PA_DIAG_ARGS(PA_TEXT("name", ids[i])));
        }
    }
}

/* intents/places.json: towns that are neither Colombes nor one of its
 * partners, so that a question about another town's twinnings is known
 * for what it is. */
static void read_places(builder *b, doc *d, json_t *places)
{
    add_names(b, d, "places", places, 1);
    read_home(b, d);
}

/* ---- languages the bot does not speak ----------------------------------- */

static void load_other_language(builder *b, doc *d, const char *code, json_t *words,
                                pa_other_language *out)
{
    char ptr[PA_POINTER_MAX];
    child_key(ptr, "/languages", code);
    out->code = pa_arena_strdup(b->k->arena, code);
    if (pa_knowledge_lang(b->k, code) >= 0)
        doc_error(d, PA_DM_OTHER_SPOKEN, ptr, 1, PA_DIAG_ARGS(PA_TEXT("lang", code)));
    if (!json_is_array(words) || json_array_size(words) == 0) {
        doc_error(d, PA_DM_OTHER_NOT_LIST, ptr, 0, NULL, 0);
        return;
    }
    out->words = strings_of(b, d, words, ptr, "term.word", PA_STOPWORD_MAX_CHARS, 1, &out->n_words);
}

/* intents/other-languages.json: common words of languages the bot does not
 * speak, so that a question in one of them gets told which it speaks. */
static void read_other_languages(builder *b, doc *d, json_t *langs)
{
    pa_knowledge *k = b->k;
    k->other_languages =
        pa_arena_alloc(k->arena, (json_object_size(langs) + 1) * sizeof *k->other_languages);
    const char *code;
    json_t *words;
    json_object_foreach(langs, code, words)
        load_other_language(b, d, code, words, &k->other_languages[k->n_other_languages++]);
}

/* ---- intents ------------------------------------------------------------ */

/* Where an intent's follow-ups stand, kept until every id is known. */
typedef struct {
    char **ids;
    int *lines, *cols;
    size_t count;
} pending_suggestions;

typedef struct {
    pa_map examples;         /* folded example + language → its index in keys */
    pa_map ids;              /* intent id → index */
    const char **keys;       /* the example keys, in key_arena */
    size_t *key_owner;       /* the intent of each key's first example */
    int *key_line, *key_col; /* where that example stands, for duplicate reports */
    size_t n_keys, cap_keys;
    pending_suggestions *pending;
    char **where;        /* "path:line:col" of each intent's id, for duplicate reports */
    int ids_unreliable;  /* a file did not parse or an id is repeated */
    pa_arena *key_arena; /* the keys, while the intents load */
} intent_state;

static int valid_id(const char *id)
{
    if (!*id || *id == '.' || strlen(id) > PA_INTENT_ID_MAX)
        return 0;
    for (const char *p = id; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' ||
              (*p == '.' && p[1] && p[1] != '.')))
            return 0;
    return 1;
}

/* An example (at pointer, in intent index) already given at key first:
 * says where, so that staff find the other one at once. */
static void report_duplicate_example(const pa_knowledge *k, doc *d, const intent_state *st,
                                     size_t first, size_t index, const char *pointer)
{
    const pa_intent *owner = &k->intents[st->key_owner[first]];
    char where[PA_WHERE_MAX];
    snprintf(where, sizeof where, "%s:%d:%d", owner->source, st->key_line[first],
             st->key_col[first]);
    if (st->key_owner[first] == index)
        doc_error(d, PA_DM_EXAMPLE_REPEATED, pointer, 0, PA_DIAG_ARGS(PA_TEXT("where", where)));
    else
        doc_error(d, PA_DM_EXAMPLE_ELSEWHERE, pointer, 0,
                  PA_DIAG_ARGS(PA_TEXT("intent", owner->id), PA_TEXT("where", where)));
}

/* The key of an example in st->examples: its language and folded text,
 * in st->key_arena. */
static const char *example_key(intent_state *st, const char *code, const pa_tokens *t)
{
    size_t code_len = strlen(code), text_len = pa_text_join_folded_to(t, NULL, 0);
    char *key = pa_arena_alloc(st->key_arena, code_len + text_len + 2);
    memcpy(key, code, code_len);
    key[code_len] = '\x1f';
    pa_text_join_folded_to(t, key + code_len + 1, text_len + 1);
    return key;
}

static void load_intent_examples(builder *b, doc *d, intent_state *st, size_t index,
                                 json_t *examples)
{
    pa_knowledge *k = b->k;
    pa_intent *in = &k->intents[index];
    for (size_t l = 0; l < k->n_locales; l++) {
        const char *code = k->locales[l].code;
        char ptr[PA_POINTER_MAX] = "/examples";
        pa_jsonpos_append_key(ptr, PA_POINTER_MAX, code);
        json_t *list = json_object_get(examples, code);
        if (!list) {
            doc_error(d, PA_DM_MISSING_EXAMPLES, "/examples", 0,
                      PA_DIAG_ARGS(PA_TEXT("lang", code)));
            continue;
        }
        if (!json_is_array(list) || json_array_size(list) == 0) {
            doc_error(d, PA_DM_EXAMPLES_NOT_LIST, ptr, 0, NULL, 0);
            continue;
        }
        pa_intent_lang *il = &in->langs[l];
        il->examples =
            strings_of(b, d, list, ptr, "term.example", PA_EXAMPLE_MAX_CHARS, 0, &il->n_examples);
        il->example_lines = pa_arena_alloc(k->arena, (il->n_examples + 1) * sizeof(int));
        il->example_columns = pa_arena_alloc(k->arena, (il->n_examples + 1) * sizeof(int));
        il->example_tokens = pa_arena_alloc(k->arena, (il->n_examples + 1) * sizeof(pa_tokens));
        for (size_t i = 0; i < il->n_examples; i++) {
            pa_tokens *t = &il->example_tokens[i];
            /* valid: checked */
            pa_tokenizer_run(&b->tokenizer, il->examples[i], strlen(il->examples[i]));
            pa_tokens_copy(&b->tokenizer.tokens, k->arena, t);
            const char *key = example_key(st, code, t);
            long first = pa_map_get(&st->examples, key, -1);
            char iptr[PA_POINTER_MAX];
            pa_text_copy(iptr, PA_POINTER_MAX, ptr);
            pa_jsonpos_append_index(iptr, PA_POINTER_MAX, i);
            doc_position(d, iptr, &il->example_lines[i], &il->example_columns[i]);
            if (first >= 0) {
                report_duplicate_example(k, d, st, (size_t)first, index, iptr);
                continue;
            }
            if (st->n_keys == st->cap_keys) {
                st->cap_keys = st->cap_keys ? st->cap_keys * 2 : 256;
                st->keys = pa_xrealloc(st->keys, st->cap_keys * sizeof *st->keys);
                st->key_owner = pa_xrealloc(st->key_owner, st->cap_keys * sizeof *st->key_owner);
                st->key_line = pa_xrealloc(st->key_line, st->cap_keys * sizeof *st->key_line);
                st->key_col = pa_xrealloc(st->key_col, st->cap_keys * sizeof *st->key_col);
            }
            st->key_owner[st->n_keys] = index;
            st->key_line[st->n_keys] = il->example_lines[i];
            st->key_col[st->n_keys] = il->example_columns[i];
            pa_map_put(&st->examples, key, (long)st->n_keys);
            st->keys[st->n_keys++] = key;
        }
    }
    const char *key;
    json_t *v;
    json_object_foreach(examples, key, v)
    {
        if (pa_knowledge_lang(k, key) < 0) {
            char ptr[PA_POINTER_MAX] = "/examples";
            pa_jsonpos_append_key(ptr, PA_POINTER_MAX, key);
            doc_error(d, PA_DM_INTENT_UNKNOWN_LANGUAGE, ptr, 1, PA_DIAG_ARGS(PA_TEXT("lang", key)));
        }
    }
}

static void load_intent_answers(builder *b, doc *d, pa_intent *in, json_t *answers, json_t *labels)
{
    pa_knowledge *k = b->k;
    for (size_t l = 0; l < k->n_locales; l++) {
        const char *code = k->locales[l].code;
        pa_intent_lang *il = &in->langs[l];
        char ptr[PA_POINTER_MAX] = "/answers";
        pa_jsonpos_append_key(ptr, PA_POINTER_MAX, code);
        json_t *ans = answers ? json_object_get(answers, code) : NULL;
        if (answers && !ans) {
            doc_error(d, PA_DM_MISSING_ANSWER, "/answers", 0, PA_DIAG_ARGS(PA_TEXT("lang", code)));
        } else if (json_is_array(ans) && json_array_size(ans) > 0) {
            il->answers = strings_of(b, d, ans, ptr, "term.answer_variant", PA_ANSWER_MAX_CHARS, 0,
                                     &il->n_answers);
        } else if (ans) {
            const char *t = get_text(d, ans, ptr, "term.answer", PA_ANSWER_MAX_CHARS);
            if (t) {
                il->answers = pa_arena_alloc(k->arena, sizeof *il->answers);
                il->answers[0] = pa_arena_strdup(k->arena, t);
                il->n_answers = 1;
            }
        }
        char lptr[PA_POINTER_MAX] = "/label";
        pa_jsonpos_append_key(lptr, PA_POINTER_MAX, code);
        json_t *lab = labels ? json_object_get(labels, code) : NULL;
        if (labels && !lab)
            doc_error(d, PA_DM_MISSING_LABEL, "/label", 0, PA_DIAG_ARGS(PA_TEXT("lang", code)));
        const char *t = lab ? get_text(d, lab, lptr, "term.label", PA_LABEL_MAX_CHARS) : NULL;
        il->label = pa_arena_strdup(k->arena, t ? t : in->id);
    }
    const char *key;
    json_t *v;
    json_t *tables[2] = {answers, labels};
    const char *names[2] = {"/answers", "/label"};
    for (int t = 0; t < 2; t++) {
        json_object_foreach(tables[t], key, v)
        {
            if (pa_knowledge_lang(k, key) < 0) {
                char ptr[PA_POINTER_MAX];
                pa_text_copy(ptr, PA_POINTER_MAX, names[t]);
                pa_jsonpos_append_key(ptr, PA_POINTER_MAX, key);
                doc_error(d, PA_DM_INTENT_UNKNOWN_LANGUAGE, ptr, 1,
                          PA_DIAG_ARGS(PA_TEXT("lang", key)));
            }
        }
    }
}

/* One entry of "links": {"url": "https://...", "label": {"fr": ..., ...}}. */
static int load_link(builder *b, doc *d, json_t *item, const char *pointer, pa_link *out)
{
    static const char *const keys[] = {"url", "label", NULL};
    pa_knowledge *k = b->k;
    if (!json_is_object(item)) {
        doc_error(d, PA_DM_LINK_NOT_OBJECT, pointer, 0, NULL, 0);
        return -1;
    }
    size_t errors = d->errors;
    check_keys(d, item, pointer, keys, "url, label");
    char ptr[PA_POINTER_MAX];
    json_t *url = get_member(d, item, pointer, "url", 1, JSON_STRING, "type.string");
    if (url && !pa_link_valid_url(json_string_value(url)))
        doc_error(d, PA_DM_BAD_URL, child_key(ptr, pointer, "url"), 0,
                  PA_DIAG_ARGS(PA_TEXT("url", json_string_value(url))));
    json_t *labels = get_member(d, item, pointer, "label", 1, JSON_OBJECT, "type.object");
    out->labels = pa_arena_alloc(k->arena, (k->n_locales + 1) * sizeof *out->labels);
    for (size_t l = 0; labels && l < k->n_locales; l++) {
        json_t *lab = json_object_get(labels, k->locales[l].code);
        char lptr[PA_POINTER_MAX];
        child_key(lptr, child_key(ptr, pointer, "label"), k->locales[l].code);
        if (!lab)
            doc_error(d, PA_DM_MISSING_LABEL, ptr, 0,
                      PA_DIAG_ARGS(PA_TEXT("lang", k->locales[l].code)));
        const char *t = lab ? get_text(d, lab, lptr, "term.link_label", PA_LABEL_MAX_CHARS) : NULL;
        out->labels[l] = t ? pa_arena_strdup(k->arena, t) : NULL;
    }
    const char *code;
    json_t *v;
    json_object_foreach(labels, code, v)
    {
        char lptr[PA_POINTER_MAX];
        if (pa_knowledge_lang(k, code) < 0)
            doc_error(d, PA_DM_INTENT_UNKNOWN_LANGUAGE,
                      child_key(lptr, child_key(ptr, pointer, "label"), code), 1,
                      PA_DIAG_ARGS(PA_TEXT("lang", code)));
    }
    if (d->errors != errors)
        return -1;
    out->url = pa_arena_strdup(k->arena, json_string_value(url));
    return 0;
}

/* The "email", "phone" and "links" of an intent, each optional and each
 * "not given yet" when empty ("", []), checked before any resident is sent
 * to them. */
static void load_intent_links(builder *b, doc *d, pa_intent *in)
{
    pa_knowledge *k = b->k;
    pa_links *ln = &in->links;
    json_t *email = get_member(d, d->root, "", "email", 0, JSON_STRING, "type.string");
    if (email && *json_string_value(email)) {
        if (pa_link_valid_email(json_string_value(email)))
            ln->email = pa_arena_strdup(k->arena, json_string_value(email));
        else
            doc_error(d, PA_DM_BAD_EMAIL, "/email", 0, NULL, 0);
    }
    json_t *phone = get_member(d, d->root, "", "phone", 0, JSON_STRING, "type.string");
    char tel[PA_PHONE_TEL_MAX];
    if (phone && *json_string_value(phone)) {
        if (pa_link_phone_tel(json_string_value(phone), tel, sizeof tel) == 0) {
            ln->phone = pa_arena_strdup(k->arena, json_string_value(phone));
            ln->phone_tel = pa_arena_strdup(k->arena, tel);
        } else {
            doc_error(d, PA_DM_BAD_PHONE, "/phone", 0, NULL, 0);
        }
    }
    json_t *links = get_member(d, d->root, "", "links", 0, JSON_ARRAY, "type.links");
    size_t n = json_array_size(links);
    if (n > PA_LINKS_MAX) {
        doc_error(d, PA_DM_TOO_MANY_LINKS, "/links", 0, PA_DIAG_ARGS(PA_NUM("max", PA_LINKS_MAX)));
        n = 0;
    }
    ln->links = pa_arena_alloc(k->arena, (n + 1) * sizeof *ln->links);
    for (size_t i = 0; i < n; i++) {
        char ptr[PA_POINTER_MAX];
        if (load_link(b, d, json_array_get(links, i), child_index(ptr, "/links", i),
                      &ln->links[ln->n_links]) == 0)
            ln->n_links++;
    }
    /* where a warning sends staff to fill them in: the first one written */
    static const char *const where[] = {"/email", "/phone", "/links", "/id"};
    for (size_t i = 0; i < sizeof where / sizeof *where && !ln->line; i++)
        doc_position(d, where[i], &ln->line, &ln->column);
}

static void load_intent(builder *b, doc *d, intent_state *st, size_t index)
{
    static const char *const keys[] = {"$schema", "id",          "about",    "label", "examples",
                                       "answers", "suggestions", "fallback", "alone", "links",
                                       "email",   "phone",       NULL};
    pa_knowledge *k = b->k;
    pa_intent *in = &k->intents[index];
    check_keys(d, d->root, "", keys,
               "$schema, id, about, label, examples, answers, suggestions, fallback, alone, "
               "links, email, phone");
    json_t *fallback = json_object_get(d->root, "fallback");
    if (fallback && !json_is_boolean(fallback))
        doc_error(d, PA_DM_WRONG_TYPE, "/fallback", 0,
                  PA_DIAG_ARGS(PA_TEXT("key", "fallback"), PA_TERM("type", "type.boolean")));
    in->fallback = json_is_true(fallback);
    json_t *alone = json_object_get(d->root, "alone");
    if (alone && !json_is_boolean(alone))
        doc_error(d, PA_DM_WRONG_TYPE, "/alone", 0,
                  PA_DIAG_ARGS(PA_TEXT("key", "alone"), PA_TERM("type", "type.boolean")));
    in->alone = json_is_true(alone);
    in->source = pa_arena_strdup(k->arena, d->path);
    in->langs = pa_arena_alloc(k->arena, k->n_locales * sizeof *in->langs);

    json_t *id = get_member(d, d->root, "", "id", 1, JSON_STRING, "type.string");
    const char *idv = id ? json_string_value(id) : "";
    if (id && !valid_id(idv))
        doc_error(d, PA_DM_INVALID_ID, "/id", 0,
                  PA_DIAG_ARGS(PA_TEXT("id", idv), PA_NUM("max", PA_INTENT_ID_MAX)));
    in->id = pa_arena_strdup(k->arena, idv);
    int line, col;
    doc_position(d, "/id", &line, &col);
    char where[PA_WHERE_MAX];
    snprintf(where, sizeof where, "%s:%d:%d", d->path, line, col);
    st->where[index] = pa_xstrdup(where);
    long first = id ? pa_map_get(&st->ids, in->id, -1) : -1;
    if (first >= 0) {
        doc_error(d, PA_DM_DUPLICATE_ID, "/id", 0,
                  PA_DIAG_ARGS(PA_TEXT("id", idv), PA_TEXT("where", st->where[first])));
        st->ids_unreliable = 1;
    } else if (id && *idv)
        pa_map_put(&st->ids, in->id, (long)index);

    json_t *about = get_member(d, d->root, "", "about", 0, JSON_STRING, "type.string");
    if (about) {
        const char *name = json_string_value(about);
        size_t i = 0;
        while (i < k->n_names && strcmp(k->names[i].id, name))
            i++;
        if (i == k->n_names)
            doc_error(d, PA_DM_UNKNOWN_NAME, "/about", 0, PA_DIAG_ARGS(PA_TEXT("name", name)));
        else
            in->about = k->names[i].id;
    }
    json_t *examples = get_member(d, d->root, "", "examples", 1, JSON_OBJECT, "type.object");
    if (examples)
        load_intent_examples(b, d, st, index, examples);
    /* Examples of what the bot does not answer need no answer of their own:
     * matching them gives the fallback message. */
    int needs_answers = !in->fallback;
    json_t *answers =
        get_member(d, d->root, "", "answers", needs_answers, JSON_OBJECT, "type.object");
    json_t *labels = get_member(d, d->root, "", "label", needs_answers, JSON_OBJECT, "type.object");
    if (in->fallback && (answers || labels || json_object_get(d->root, "suggestions")))
        doc_error(d, PA_DM_FALLBACK_EXTRA,
                  answers  ? "/answers"
                  : labels ? "/label"
                           : "/suggestions",
                  1, NULL, 0);
    load_intent_answers(b, d, in, answers, labels);
    load_intent_links(b, d, in);

    json_t *sug = get_member(d, d->root, "", "suggestions", 0, JSON_ARRAY, "type.intent_ids");
    pending_suggestions *p = &st->pending[index];
    size_t n = json_array_size(sug);
    p->ids = pa_xcalloc(n + 1, sizeof *p->ids);
    p->lines = pa_xcalloc(n + 1, sizeof *p->lines);
    p->cols = pa_xcalloc(n + 1, sizeof *p->cols);
    for (size_t i = 0; i < n; i++) {
        char ptr[PA_POINTER_MAX] = "/suggestions";
        pa_jsonpos_append_index(ptr, PA_POINTER_MAX, i);
        json_t *v = json_array_get(sug, i);
        if (!json_is_string(v)) {
            doc_error(d, PA_DM_FOLLOW_UP_TYPE, ptr, 0, NULL, 0);
            continue;
        }
        doc_position(d, ptr, &p->lines[p->count], &p->cols[p->count]);
        p->ids[p->count++] = pa_xstrdup(json_string_value(v));
    }
}

static void resolve_suggestions(builder *b, intent_state *st)
{
    pa_knowledge *k = b->k;
    for (size_t i = 0; i < k->n_intents; i++) {
        pending_suggestions *p = &st->pending[i];
        pa_intent *in = &k->intents[i];
        in->suggestions = pa_arena_alloc(k->arena, (p->count + 1) * sizeof *in->suggestions);
        for (size_t f = 0; f < p->count; f++) {
            int target = pa_knowledge_intent(k, p->ids[f]);
            if (target >= 0 && k->intents[target].fallback)
                build_error(b, PA_DM_FOLLOW_UP_FALLBACK, in->source, p->lines[f], p->cols[f],
                            PA_DIAG_ARGS(PA_TEXT("id", p->ids[f])));
            else if (target < 0)
                build_error(b, PA_DM_FOLLOW_UP_UNKNOWN, in->source, p->lines[f], p->cols[f],
                            PA_DIAG_ARGS(PA_TEXT("id", p->ids[f])));
            else if ((size_t)target == i)
                build_error(b, PA_DM_FOLLOW_UP_SELF, in->source, p->lines[f], p->cols[f],
                            PA_DIAG_ARGS(PA_TEXT("id", p->ids[f])));
            else
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
static void sort_intents(pa_knowledge *k, pending_suggestions *pending)
{
    intent_entry *e = pa_xmalloc((k->n_intents + 1) * sizeof *e);
    for (size_t i = 0; i < k->n_intents; i++)
        e[i] = (intent_entry){k->intents[i], pending[i]};
    qsort(e, k->n_intents, sizeof *e, cmp_entry);
    for (size_t i = 0; i < k->n_intents; i++) {
        k->intents[i] = e[i].intent;
        pending[i] = e[i].pending;
    }
    free(e);
}

/* The files at the top of intents/ that hold no intent but data shared by
 * all of them. */
static const char *const shared_files[] = {PA_NAMES_FILE, PA_PLACES_FILE, PA_OTHER_LANGUAGES_FILE};

static int is_shared_file(const char *dir, const char *path)
{
    const char *rest = path + strlen(dir) + 1;
    for (size_t i = 0; i < sizeof shared_files / sizeof *shared_files; i++)
        if (!strcmp(rest, shared_files[i]))
            return 1;
    return 0;
}

static int has_links(const pa_links *ln)
{
    return ln->n_links || ln->email || ln->phone;
}

/* The fallback reply carries the links of the one fallback intent that gives
 * some: with two, staff could not tell which residents are shown. */
static void find_fallback_links(builder *b)
{
    pa_knowledge *k = b->k;
    for (size_t i = 0; i < k->n_intents; i++) {
        const pa_intent *in = &k->intents[i];
        if (!in->fallback || !has_links(&in->links))
            continue;
        if (k->fallback_links < 0) {
            k->fallback_links = (int)i;
            continue;
        }
        const pa_intent *first = &k->intents[k->fallback_links];
        char where[PA_WHERE_MAX];
        snprintf(where, sizeof where, "%s:%d:%d", first->source, first->links.line,
                 first->links.column);
        build_error(b, PA_DM_CONTACT_TWICE, in->source, in->links.line, in->links.column,
                    PA_DIAG_ARGS(PA_TEXT("intent", first->id), PA_TEXT("where", where)));
    }
}

/* The contact intent and the fallback reply are where a resident looks for
 * a person: a warning, not an error, when they give no way to reach one
 * (the knowledge may not have an address to give yet). */
static void warn_unreachable(builder *b)
{
    pa_knowledge *k = b->k;
    int contact = pa_knowledge_intent(k, PA_CONTACT_INTENT);
    if (contact >= 0 && !has_links(&k->intents[contact].links)) {
        const pa_intent *in = &k->intents[contact];
        pa_diag_report(b->diag, PA_DIAG_WARNING, PA_DM_CONTACT_UNREACHABLE, in->source,
                       in->links.line, in->links.column, PA_DIAG_ARGS(PA_TEXT("intent", in->id)));
    }
    for (size_t i = 0; k->fallback_links < 0 && i < k->n_intents; i++) {
        const pa_intent *in = &k->intents[i];
        if (!in->fallback)
            continue;
        pa_diag_report(b->diag, PA_DIAG_WARNING, PA_DM_FALLBACK_UNREACHABLE, in->source,
                       in->links.line, in->links.column, NULL, 0);
        break;
    }
}

/* The intent files read and parsed on a thread of their own while this one
 * checks and converts those before them: parsing is some forty per cent of
 * loading the knowledge, and a core would otherwise wait. The reader stays
 * at most READ_AHEAD_FILES ahead, so that few parsed files wait in memory.
 * POSIX threads, for pa_snapshot.c's reason. */
enum { READ_AHEAD_FILES = 16 };

typedef struct {
    const char *const *paths;
    parsed_file *files; /* one per path */
    size_t n;
    size_t parsed, taken; /* under lock */
    int stop;             /* under lock: the loader is done, read no further */
    pthread_mutex_t lock;
    pthread_cond_t changed;
    pthread_t thread;
    int threaded;
} read_ahead;

static void *read_files(void *arg)
{
    read_ahead *r = arg;
    for (size_t i = 0; i < r->n; i++) {
        pthread_mutex_lock(&r->lock);
        while (!r->stop && i >= r->taken + READ_AHEAD_FILES)
            pthread_cond_wait(&r->changed, &r->lock);
        int stop = r->stop;
        pthread_mutex_unlock(&r->lock);
        if (stop)
            break;
        parse_file(r->paths[i], &r->files[i]);
        pthread_mutex_lock(&r->lock);
        r->parsed = i + 1;
        pthread_cond_broadcast(&r->changed);
        pthread_mutex_unlock(&r->lock);
    }
    return NULL;
}

static void read_ahead_start(read_ahead *r, const char *const *paths, size_t n)
{
    memset(r, 0, sizeof *r);
    r->paths = paths;
    r->n = n;
    r->files = pa_xcalloc(n + 1, sizeof *r->files);
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->changed, NULL);
    r->threaded = pthread_create(&r->thread, NULL, read_files, r) == 0;
}

/* File i, parsed (by the reader, or here when no reader could start); the
 * files are taken in order. */
static parsed_file *read_ahead_take(read_ahead *r, size_t i)
{
    if (!r->threaded) {
        parse_file(r->paths[i], &r->files[i]);
        return &r->files[i];
    }
    pthread_mutex_lock(&r->lock);
    while (r->parsed <= i)
        pthread_cond_wait(&r->changed, &r->lock);
    r->taken = i + 1;
    pthread_cond_broadcast(&r->changed);
    pthread_mutex_unlock(&r->lock);
    return &r->files[i];
}

/* Stops the reader and frees what it parsed that was not taken. */
static void read_ahead_end(read_ahead *r)
{
    if (r->threaded) {
        pthread_mutex_lock(&r->lock);
        r->stop = 1;
        pthread_cond_broadcast(&r->changed);
        pthread_mutex_unlock(&r->lock);
        pthread_join(r->thread, NULL);
    }
    for (size_t i = 0; i < r->n; i++) {
        free(r->files[i].text);
        json_decref(r->files[i].root);
        pa_jsonpos_free(&r->files[i].pos);
    }
    free(r->files);
    pthread_cond_destroy(&r->changed);
    pthread_mutex_destroy(&r->lock);
}

static void load_intents(builder *b, const char *dir)
{
    path_list files = {0};
    list_json(dir, 1, &files);
    pa_knowledge *k = b->k;
    size_t shared = 0;
    for (size_t i = 0; i < files.count; i++)
        shared += is_shared_file(dir, files.paths[i]);
    size_t n = files.count - shared;
    if (n == 0) {
        build_error(b, PA_DM_NO_INTENT_FILES, dir, 0, 0, NULL, 0);
        path_list_free(&files);
        return;
    }
    k->intents = pa_arena_alloc(k->arena, n * sizeof *k->intents);
    intent_state st = {0};
    st.key_arena = pa_arena_new();
    pa_map_init(&st.examples);
    pa_map_init(&st.ids);
    st.pending = pa_xcalloc(n, sizeof *st.pending);
    st.where = pa_xcalloc(n, sizeof *st.where);
    const char **paths = pa_xmalloc((n + 1) * sizeof *paths);
    for (size_t i = 0, j = 0; i < files.count; i++)
        if (!is_shared_file(dir, files.paths[i]))
            paths[j++] = files.paths[i];
    read_ahead reader;
    read_ahead_start(&reader, paths, n);
    for (size_t i = 0; i < n; i++) {
        doc d;
        parsed_file *pf = read_ahead_take(&reader, i);
        if (doc_from(&d, paths[i], pf, strlen(dir), b->diag, &b->digest) == 0) {
            load_intent(b, &d, &st, k->n_intents);
            k->n_intents++;
            b->errors += d.errors;
        } else {
            b->errors++;
            st.ids_unreliable = 1;
        }
        k->files++;
        doc_close(&d);
    }
    read_ahead_end(&reader);
    free(paths);
    sort_intents(k, st.pending);
    /* Follow-ups are checked only when every id is known for sure: otherwise
     * each would repeat the real problem, reported above, in other words. */
    if (!st.ids_unreliable)
        resolve_suggestions(b, &st);
    find_fallback_links(b);
    for (size_t i = 0; i < k->n_intents; i++) {
        for (size_t f = 0; f < st.pending[i].count; f++)
            free(st.pending[i].ids[f]);
        free(st.pending[i].ids);
        free(st.pending[i].lines);
        free(st.pending[i].cols);
        free(st.where[i]);
    }
    pa_arena_free(st.key_arena);
    free(st.keys);
    free(st.key_owner);
    free(st.key_line);
    free(st.key_col);
    free(st.pending);
    free(st.where);
    pa_map_clear(&st.examples);
    pa_map_clear(&st.ids);
    path_list_free(&files);
}

/* ---- the knowledge ------------------------------------------------------- */

int pa_knowledge_load(pa_knowledge *k, const char *intents_dir, const char *locales_dir,
                      pa_diag *diag)
{
    memset(k, 0, sizeof *k);
    k->fallback_links = -1;
    k->arena = pa_arena_new();
    builder b = {.k = k, .diag = diag, .digest = 14695981039346656037ULL};
    pa_map_init(&b.variants);
    pa_map_init(&b.variant_owner);
    pa_tokenizer_init(&b.tokenizer);
    load_locales(&b, locales_dir);
    if (k->n_locales > 0) {
        load_shared_file(&b, intents_dir, PA_NAMES_FILE, "names", "regions", read_names);
        load_shared_file(&b, intents_dir, PA_PLACES_FILE, "places", "home", read_places);
        load_shared_file(&b, intents_dir, PA_OTHER_LANGUAGES_FILE, "languages", NULL,
                         read_other_languages);
        load_intents(&b, intents_dir);
    }
    pa_map_clear(&b.variants);
    pa_map_clear(&b.variant_owner);
    pa_tokenizer_clear(&b.tokenizer);
    for (size_t i = 0; i < k->n_intents; i++)
        k->n_answerable += !k->intents[i].fallback;
    if (!b.errors)
        warn_unreachable(&b);
    snprintf(k->version, sizeof k->version, "%016llx", (unsigned long long)b.digest);
    if (b.errors) {
        pa_knowledge_clear(k);
        return -1;
    }
    return 0;
}

void pa_knowledge_clear(pa_knowledge *k)
{
    for (size_t l = 0; l < k->n_locales; l++) {
        pa_locale *loc = &k->locales[l];
        pa_map_clear(&loc->words);
        for (size_t i = 0; loc->abbreviation_tokens && i < loc->n_abbreviations; i++)
            pa_tokens_free(&loc->abbreviation_tokens[i]);
        free(loc->abbreviation_tokens);
    }
    pa_arena_free(k->arena);
    memset(k, 0, sizeof *k);
    k->fallback_links = -1;
}

int pa_knowledge_lang(const pa_knowledge *k, const char *code)
{
    for (size_t i = 0; i < k->n_locales; i++)
        if (!strcmp(k->locales[i].code, code))
            return (int)i;
    return -1;
}

int pa_knowledge_intent(const pa_knowledge *k, const char *id)
{
    size_t lo = 0, hi = k->n_intents;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(k->intents[mid].id, id);
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

void pa_locale_prefetch(const pa_locale *loc, const pa_token *t)
{
    pa_map_prefetch(&loc->words, t->hash);
}

long pa_locale_word(const pa_locale *loc, const pa_token *t)
{
    return pa_map_get_hashed(&loc->words, t->folded, t->hash, 0);
}

const pa_tokens *pa_locale_abbreviation_of(const pa_locale *loc, long word)
{
    long i = word >> 1;
    return i ? &loc->abbreviation_tokens[i - 1] : NULL;
}

int pa_locale_is_content(const pa_token *t, long word)
{
    if (t->chars < 2 && !(t->folded[0] >= '0' && t->folded[0] <= '9'))
        return 0;
    return strlen(t->folded) < PA_WORD_MAX && !(word & PA_LOCALE_STOPWORD);
}

const pa_tokens *pa_locale_abbreviation(const pa_locale *loc, const pa_token *t)
{
    return pa_locale_abbreviation_of(loc, pa_locale_word(loc, t));
}

int pa_locale_is_content_word(const pa_locale *loc, const pa_token *t)
{
    return pa_locale_is_content(t, pa_locale_word(loc, t));
}

/* The links of an intent into o, as the intent file writes them: "email",
 * "phone", "links" (each only when given). */
static void export_links(const pa_knowledge *k, const pa_links *ln, json_t *o)
{
    if (ln->email)
        json_object_set_new(o, "email", json_string(ln->email));
    if (ln->phone)
        json_object_set_new(o, "phone", json_string(ln->phone));
    if (!ln->n_links)
        return;
    json_t *list = json_array();
    for (size_t i = 0; i < ln->n_links; i++) {
        json_t *labels = json_object();
        for (size_t l = 0; l < k->n_locales; l++)
            json_object_set_new(labels, k->locales[l].code, json_string(ln->links[i].labels[l]));
        json_array_append_new(list,
                              json_pack("{s:s, s:o}", "url", ln->links[i].url, "label", labels));
    }
    json_object_set_new(o, "links", list);
}

char *pa_knowledge_export(const pa_knowledge *k)
{
    json_t *root = json_object();
    json_t *langs = json_array();
    for (size_t l = 0; l < k->n_locales; l++)
        json_array_append_new(langs, json_string(k->locales[l].code));
    json_object_set_new(root, "languages", langs);
    json_object_set_new(root, "version", json_string(k->version));
    json_t *intents = json_array();
    json_t *outside = json_object();
    for (size_t i = 0; i < k->n_intents; i++) {
        const pa_intent *in = &k->intents[i];
        if (in->fallback) {
            for (size_t l = 0; l < k->n_locales; l++) {
                json_t *list = json_object_get(outside, k->locales[l].code);
                if (!list)
                    json_object_set_new(outside, k->locales[l].code, list = json_array());
                for (size_t j = 0; j < in->langs[l].n_examples; j++)
                    json_array_append_new(list, json_string(in->langs[l].examples[j]));
            }
            continue;
        }
        json_t *o = json_object(), *ex = json_object(), *ans = json_object();
        json_t *lab = json_object(), *sug = json_array();
        for (size_t l = 0; l < k->n_locales; l++) {
            const pa_intent_lang *il = &in->langs[l];
            json_t *list = json_array();
            for (size_t j = 0; j < il->n_examples; j++)
                json_array_append_new(list, json_string(il->examples[j]));
            json_object_set_new(ex, k->locales[l].code, list);
            if (il->n_answers == 1) {
                json_object_set_new(ans, k->locales[l].code, json_string(il->answers[0]));
            } else {
                json_t *v = json_array();
                for (size_t j = 0; j < il->n_answers; j++)
                    json_array_append_new(v, json_string(il->answers[j]));
                json_object_set_new(ans, k->locales[l].code, v);
            }
            json_object_set_new(lab, k->locales[l].code, json_string(il->label));
        }
        for (size_t j = 0; j < in->n_suggestions; j++)
            json_array_append_new(sug, json_string(k->intents[in->suggestions[j]].id));
        json_object_set_new(o, "id", json_string(in->id));
        json_object_set_new(o, "examples", ex);
        json_object_set_new(o, "answers", ans);
        json_object_set_new(o, "label", lab);
        json_object_set_new(o, "suggestions", sug);
        export_links(k, &in->links, o);
        json_array_append_new(intents, o);
    }
    json_object_set_new(root, "intents", intents);
    /* what the fallback answers: not intents, but training data all the same */
    json_object_set_new(root, "out_of_scope", outside);
    if (k->fallback_links >= 0) { /* the links the fallback reply gives */
        json_t *fallback = json_object();
        export_links(k, &k->intents[k->fallback_links].links, fallback);
        json_object_set_new(root, "fallback_links", fallback);
    }
    char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(root);
    return text;
}

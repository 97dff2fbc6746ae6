#include "pa_jsonpos.h"

#include "pa_alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { PA_JSONPOS_PTR_MAX = 512, PA_JSONPOS_DEPTH_MAX = 64 };

typedef struct {
    const char *p, *end;
    int line, column;
    pa_jsonpos *pos;
} scanner;

static void advance(scanner *s)
{
    if (*s->p == '\n') {
        s->line++;
        s->column = 1;
    } else if (((unsigned char)*s->p & 0xC0) != 0x80) {
        s->column++;
    }
    s->p++;
}

static void skip_space(scanner *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        advance(s);
}

static int record(scanner *s, const char *ptr, int line, int col, int kline, int kcol)
{
    pa_jsonpos *pos = s->pos;
    if (pos->count == pos->capacity) {
        size_t cap = pos->capacity ? pos->capacity * 2 : 64;
        pos->entries = pa_xrealloc(pos->entries, cap * sizeof *pos->entries);
        pos->capacity = cap;
    }
    pa_jsonpos_entry *e = &pos->entries[pos->count];
    e->pointer = pa_xstrdup(ptr);
    e->line = line;
    e->column = col;
    e->key_line = kline;
    e->key_column = kcol;
    /* a key repeated in an object gives the same pointer twice: the first is
     * the one found, as a search from the start would */
    uint64_t hash = pa_map_hash(e->pointer);
    if (pa_map_get_hashed(&pos->index, e->pointer, hash, -1) < 0)
        pa_map_put_hashed(&pos->index, e->pointer, hash, (long)pos->count);
    pos->count++;
    return 0;
}

/* Reads a string at s->p into out (unescaped only as far as keys need:
 * \uXXXX escapes in keys are kept verbatim, which no knowledge key uses). */
static int scan_string(scanner *s, char *out, size_t size)
{
    size_t n = 0;
    advance(s); /* opening quote */
    while (s->p < s->end && *s->p != '"') {
        char c = *s->p;
        if (c == '\\') {
            advance(s);
            if (s->p >= s->end)
                return -1;
            c = *s->p;
            switch (c) {
            case 'n': c = '\n'; break;
            case 't': c = '\t'; break;
            case 'r': c = '\r'; break;
            case 'b': c = '\b'; break;
            case 'f': c = '\f'; break;
            default: break;
            }
        }
        if (out && n + 1 < size)
            out[n++] = c;
        advance(s);
    }
    if (s->p >= s->end)
        return -1;
    advance(s); /* closing quote */
    if (out)
        out[n] = '\0';
    return 0;
}

static int scan_value(scanner *s, char *ptr, int kline, int kcol, int depth);

static int scan_object(scanner *s, char *ptr, int depth)
{
    size_t base = strlen(ptr);
    advance(s);
    skip_space(s);
    while (s->p < s->end && *s->p != '}') {
        char key[PA_JSONPOS_PTR_MAX];
        int kline = s->line, kcol = s->column;
        if (*s->p != '"' || scan_string(s, key, sizeof key))
            return -1;
        skip_space(s);
        if (s->p >= s->end || *s->p != ':')
            return -1;
        advance(s);
        skip_space(s);
        pa_jsonpos_append_key(ptr, PA_JSONPOS_PTR_MAX, key);
        if (scan_value(s, ptr, kline, kcol, depth + 1))
            return -1;
        ptr[base] = '\0';
        skip_space(s);
        if (s->p < s->end && *s->p == ',') {
            advance(s);
            skip_space(s);
        }
    }
    if (s->p >= s->end)
        return -1;
    advance(s);
    return 0;
}

static int scan_array(scanner *s, char *ptr, int depth)
{
    size_t base = strlen(ptr);
    size_t index = 0;
    advance(s);
    skip_space(s);
    while (s->p < s->end && *s->p != ']') {
        pa_jsonpos_append_index(ptr, PA_JSONPOS_PTR_MAX, index++);
        if (scan_value(s, ptr, 0, 0, depth + 1))
            return -1;
        ptr[base] = '\0';
        skip_space(s);
        if (s->p < s->end && *s->p == ',') {
            advance(s);
            skip_space(s);
        }
    }
    if (s->p >= s->end)
        return -1;
    advance(s);
    return 0;
}

static int scan_value(scanner *s, char *ptr, int kline, int kcol, int depth)
{
    if (depth > PA_JSONPOS_DEPTH_MAX || s->p >= s->end)
        return -1;
    if (record(s, ptr, s->line, s->column, kline, kcol))
        return -1;
    switch (*s->p) {
    case '{': return scan_object(s, ptr, depth);
    case '[': return scan_array(s, ptr, depth);
    case '"': return scan_string(s, NULL, 0);
    default:
        while (s->p < s->end && !strchr(",]} \t\r\n", *s->p))
            advance(s);
        return 0;
    }
}

int pa_jsonpos_scan(pa_jsonpos *pos, const char *text, size_t len)
{
    memset(pos, 0, sizeof *pos);
    pa_map_init(&pos->index);
    scanner s = {text, text + len, 1, 1, pos};
    if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3))
        s.p += 3;
    skip_space(&s);
    char ptr[PA_JSONPOS_PTR_MAX] = "";
    return scan_value(&s, ptr, 0, 0, 0);
}

void pa_jsonpos_free(pa_jsonpos *pos)
{
    if (!pos)
        return;
    for (size_t i = 0; i < pos->count; i++)
        free(pos->entries[i].pointer);
    free(pos->entries);
    pa_map_clear(&pos->index);
    memset(pos, 0, sizeof *pos);
}

const pa_jsonpos_entry *pa_jsonpos_find(const pa_jsonpos *pos, const char *pointer)
{
    long i = pa_map_get(&pos->index, pointer, -1);
    return i < 0 ? NULL : &pos->entries[i];
}

void pa_jsonpos_append_key(char *buf, size_t size, const char *key)
{
    size_t n = strlen(buf);
    if (n + 1 < size)
        buf[n++] = '/';
    for (; *key && n + 2 < size; key++) {
        if (*key == '~' || *key == '/') {
            buf[n++] = '~';
            buf[n++] = *key == '~' ? '0' : '1';
        } else {
            buf[n++] = *key;
        }
    }
    buf[n] = '\0';
}

void pa_jsonpos_append_index(char *buf, size_t size, size_t index)
{
    char digits[24]; /* "/" and the decimal digits, backwards */
    size_t k = 0;
    do {
        digits[k++] = (char)('0' + index % 10);
        index /= 10;
    } while (index);
    digits[k++] = '/';
    size_t n = strlen(buf);
    while (k > 0 && n + 1 < size)
        buf[n++] = digits[--k];
    if (n < size)
        buf[n] = '\0';
}

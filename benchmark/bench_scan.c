#include "bench_scan.h"

#include <string.h>

/* i is at an opening quote: the index after the closing one. */
static size_t skip_string(const char *p, size_t n, size_t i)
{
    for (i++; i < n; i++) {
        if (p[i] == '\\')
            i++;
        else if (p[i] == '"')
            return i + 1;
    }
    return n;
}

static size_t skip_space(const char *p, size_t n, size_t i)
{
    while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r'))
        i++;
    return i;
}

/* The end of the scalar value starting at v (a string, a number, a literal). */
static size_t value_end(const char *p, size_t n, size_t v)
{
    if (v < n && p[v] == '"')
        return skip_string(p, n, v);
    while (v < n && p[v] != ',' && p[v] != '}' && p[v] != ']' && p[v] != ' ')
        v++;
    return v;
}

static void take_field(const char *p, size_t n, const char *key, size_t key_len, size_t v,
                       bench_head *head)
{
    size_t end = value_end(p, n, v);
    if (key_len == 4 && !memcmp(key, "type", 4) && v < n && p[v] == '"' && end >= v + 2) {
        head->type = p + v + 1;
        head->type_len = end - v - 2;
    } else if (key_len == 2 && !memcmp(key, "id", 2) && end > v) {
        head->id = p + v;
        head->id_len = end - v;
    }
}

void bench_scan_head(const char *p, size_t n, bench_head *head)
{
    memset(head, 0, sizeof *head);
    int depth = 0;
    size_t i = 0;
    while (i < n && !(head->type && head->id)) {
        char ch = p[i];
        if (ch != '"') {
            depth += (ch == '{' || ch == '[') - (ch == '}' || ch == ']');
            i++;
            continue;
        }
        size_t end = skip_string(p, n, i);
        size_t after = skip_space(p, n, end);
        if (depth == 1 && after < n && p[after] == ':' && end >= i + 2)
            take_field(p, n, p + i + 1, end - i - 2, skip_space(p, n, after + 1), head);
        i = end;
    }
}

int bench_type_is(const bench_head *head, const char *t)
{
    size_t len = strlen(t);
    return head->type && head->type_len == len && !memcmp(head->type, t, len);
}

#include "pa_origin.h"

#include "pa_alloc.h"
#include "pa_list.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* An origin cut in pieces: scheme and host lowercased, the port it means. */
typedef struct {
    char scheme[8];
    char host[PA_ORIGIN_MAX];
    unsigned port;
    int port_given;
} parts;

static int default_port(const char *scheme)
{
    return !strcmp(scheme, "https") ? 443 : 80;
}

static void lower(char *s)
{
    for (; *s; s++)
        if (*s >= 'A' && *s <= 'Z')
            *s = (char)(*s - 'A' + 'a');
}

/* Reads "host[:port]" (host may be "[v6]") of len bytes. */
static int parse_authority(const char *p, size_t len, parts *out)
{
    const char *host_end = p + len;
    if (len && p[0] == '[') {
        const char *close = memchr(p, ']', len);
        if (!close)
            return -1;
        host_end = close + 1;
    } else {
        const char *colon = memchr(p, ':', len);
        if (colon)
            host_end = colon;
    }
    size_t host_len = (size_t)(host_end - p);
    if (host_len == 0 || host_len >= sizeof out->host)
        return -1;
    memcpy(out->host, p, host_len);
    out->host[host_len] = '\0';
    lower(out->host);
    out->port_given = 0;
    if (host_end == p + len)
        return 0;
    if (*host_end != ':' || host_end + 1 == p + len)
        return -1;
    unsigned long port = 0;
    for (const char *d = host_end + 1; d < p + len; d++) {
        if (*d < '0' || *d > '9' || (port = port * 10 + (unsigned)(*d - '0')) > 65535)
            return -1;
    }
    out->port = (unsigned)port;
    out->port_given = 1;
    return 0;
}

static int parse_origin(const char *text, size_t len, parts *out)
{
    memset(out, 0, sizeof *out);
    const char *sep = len > 3 ? strstr(text, "://") : NULL;
    if (!sep || (size_t)(sep - text) >= sizeof out->scheme || (size_t)(sep - text) + 3 > len)
        return -1;
    memcpy(out->scheme, text, (size_t)(sep - text));
    lower(out->scheme);
    if (strcmp(out->scheme, "http") && strcmp(out->scheme, "https"))
        return -1;
    const char *auth = sep + 3;
    size_t auth_len = len - (size_t)(auth - text);
    if (auth_len && auth[auth_len - 1] == '/') /* "https://x.example/" */
        auth_len--;
    if (memchr(auth, '/', auth_len) || parse_authority(auth, auth_len, out) != 0)
        return -1;
    if (!out->port_given)
        out->port = (unsigned)default_port(out->scheme);
    return 0;
}

/* "scheme://host[:port]" with the port only when not the default. */
static void normalize(const parts *o, char *out, size_t size)
{
    if (o->port == (unsigned)default_port(o->scheme))
        snprintf(out, size, "%s://%s", o->scheme, o->host);
    else
        snprintf(out, size, "%s://%s:%u", o->scheme, o->host, o->port);
}

int pa_origin_list_parse(const char *text, pa_origin_list *out, char *err, size_t size)
{
    memset(out, 0, sizeof *out);
    const char *p = text ? text : "";
    for (;;) {
        size_t len = pa_list_next(&p);
        if (!len)
            return 0;
        parts o;
        if (len == 1 && *p == '*') {
            out->any = 1;
        } else if (len < PA_ORIGIN_MAX && parse_origin(p, len, &o) == 0) {
            char norm[PA_ORIGIN_MAX + 16];
            normalize(&o, norm, sizeof norm);
            out->items = pa_xrealloc(out->items, (out->count + 1) * sizeof *out->items);
            out->items[out->count++] = pa_xstrdup(norm);
        } else {
            snprintf(err, size, "%.*s", (int)len, p);
            pa_origin_list_clear(out);
            return -1;
        }
        p += len;
    }
}

void pa_origin_list_clear(pa_origin_list *list)
{
    for (size_t i = 0; i < list->count; i++)
        free(list->items[i]);
    free(list->items);
    memset(list, 0, sizeof *list);
}

/* The page came from this server: same host, and the port the Host header
 * names (or the scheme's default when it names none). */
static int same_origin(const parts *o, const char *host)
{
    parts h;
    if (!host || parse_authority(host, strlen(host), &h) != 0)
        return 0;
    unsigned want = h.port_given ? h.port : (unsigned)default_port(o->scheme);
    return !strcmp(o->host, h.host) && o->port == want;
}

int pa_origin_allowed(const pa_origin_list *list, const char *origin, const char *host)
{
    if (!origin)
        return 1;
    if (list->any)
        return 1;
    size_t len = strlen(origin);
    parts o;
    if (len >= PA_ORIGIN_MAX || parse_origin(origin, len, &o) != 0)
        return 0; /* "null", or not an origin */
    if (same_origin(&o, host))
        return 1;
    char norm[PA_ORIGIN_MAX + 16];
    normalize(&o, norm, sizeof norm);
    for (size_t i = 0; i < list->count; i++)
        if (!strcmp(list->items[i], norm))
            return 1;
    return 0;
}

#include "pa_addr.h"

#include "pa_alloc.h"
#include "pa_list.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

static const uint8_t v4_mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

/* Makes an IPv4-mapped IPv6 address the IPv4 address it carries. */
static void unmap(pa_addr *a)
{
    if (a->v6 && !memcmp(a->bytes, v4_mapped_prefix, sizeof v4_mapped_prefix)) {
        memmove(a->bytes, a->bytes + 12, 4);
        memset(a->bytes + 4, 0, 12);
        a->v6 = 0;
    }
}

int pa_addr_parse(const char *text, size_t len, pa_addr *out)
{
    char buf[PA_ADDR_TEXT_MAX];
    if (len == 0 || len >= sizeof buf)
        return -1;
    memcpy(buf, text, len);
    buf[len] = '\0';
    memset(out, 0, sizeof *out);
    if (inet_pton(AF_INET, buf, out->bytes) == 1)
        return 0;
    if (inet_pton(AF_INET6, buf, out->bytes) != 1)
        return -1;
    out->v6 = 1;
    unmap(out);
    return 0;
}

int pa_addr_from_sockaddr(const struct sockaddr *sa, pa_addr *out)
{
    memset(out, 0, sizeof *out);
    if (sa->sa_family == AF_INET) {
        memcpy(out->bytes, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
        return 0;
    }
    if (sa->sa_family != AF_INET6)
        return -1;
    memcpy(out->bytes, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
    out->v6 = 1;
    unmap(out);
    return 0;
}

void pa_addr_text(const pa_addr *a, char out[PA_ADDR_TEXT_MAX])
{
    inet_ntop(a->v6 ? AF_INET6 : AF_INET, a->bytes, out, PA_ADDR_TEXT_MAX);
}

/* Zeroes the bits of a after the first bits. */
static void mask(pa_addr *a, unsigned bits)
{
    unsigned total = a->v6 ? 128 : 32;
    for (unsigned b = bits; b < total; b++)
        a->bytes[b / 8] &= (uint8_t) ~(0x80u >> (b % 8));
}

void pa_addr_key(const pa_addr *a, unsigned ipv6_prefix, char out[PA_ADDR_TEXT_MAX])
{
    if (!a->v6 || ipv6_prefix >= 128) {
        pa_addr_text(a, out);
        return;
    }
    pa_addr net = *a;
    mask(&net, ipv6_prefix);
    char text[PA_ADDR_TEXT_MAX];
    pa_addr_text(&net, text);
    /* an IPv6 address takes at most 45 bytes: the prefix fits */
    snprintf(out, PA_ADDR_TEXT_MAX, "%.50s/%u", text, ipv6_prefix);
}

/* ---- networks ------------------------------------------------------------- */

static int parse_cidr(const char *item, size_t len, pa_cidr *out)
{
    const char *slash = memchr(item, '/', len);
    size_t addr_len = slash ? (size_t)(slash - item) : len;
    if (pa_addr_parse(item, addr_len, &out->net) != 0)
        return -1;
    unsigned total = out->net.v6 ? 128 : 32;
    out->bits = total;
    if (slash) {
        char digits[8];
        size_t n = len - addr_len - 1;
        if (n == 0 || n >= sizeof digits)
            return -1;
        memcpy(digits, slash + 1, n);
        digits[n] = '\0';
        char *end;
        unsigned long bits = strtoul(digits, &end, 10);
        if (*end || digits[0] < '0' || digits[0] > '9' || bits > total)
            return -1;
        out->bits = (unsigned)bits;
    }
    mask(&out->net, out->bits);
    return 0;
}

int pa_cidr_list_parse(const char *text, pa_cidr_list *out, char *err, size_t size)
{
    memset(out, 0, sizeof *out);
    const char *p = text ? text : "";
    while (*p) {
        size_t len = pa_list_next(&p);
        if (!len)
            break;
        pa_cidr c;
        if (parse_cidr(p, len, &c) != 0) {
            snprintf(err, size, "%.*s", (int)len, p);
            pa_cidr_list_clear(out);
            return -1;
        }
        out->items = pa_xrealloc(out->items, (out->count + 1) * sizeof *out->items);
        out->items[out->count++] = c;
        p += len;
    }
    return 0;
}

void pa_cidr_list_clear(pa_cidr_list *list)
{
    free(list->items);
    memset(list, 0, sizeof *list);
}

int pa_cidr_list_contains(const pa_cidr_list *list, const pa_addr *a)
{
    for (size_t i = 0; i < list->count; i++) {
        const pa_cidr *c = &list->items[i];
        if (c->net.v6 != a->v6)
            continue;
        pa_addr masked = *a;
        mask(&masked, c->bits);
        if (!memcmp(masked.bytes, c->net.bytes, sizeof masked.bytes))
            return 1;
    }
    return 0;
}

/* ---- forwarding headers --------------------------------------------------- */

typedef struct {
    const char *p;
    size_t len;
} span;

static span trim(const char *p, size_t len)
{
    while (len && (*p == ' ' || *p == '\t'))
        p++, len--;
    while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
        len--;
    return (span){p, len};
}

/* The address of one hop: "192.0.2.1", "192.0.2.1:80", "[2001:db8::1]:80",
 * "2001:db8::1", each maybe in double quotes. */
static int parse_hop(span h, pa_addr *out)
{
    if (h.len >= 2 && h.p[0] == '"' && h.p[h.len - 1] == '"')
        h = (span){h.p + 1, h.len - 2};
    if (h.len && h.p[0] == '[') {
        const char *close = memchr(h.p, ']', h.len);
        return close ? pa_addr_parse(h.p + 1, (size_t)(close - h.p - 1), out) : -1;
    }
    const char *colon = memchr(h.p, ':', h.len);
    if (colon && !memchr(colon + 1, ':', h.len - (size_t)(colon - h.p) - 1))
        h.len = (size_t)(colon - h.p); /* IPv4 with a port */
    return pa_addr_parse(h.p, h.len, out);
}

/* The for= parameter of one element of a Forwarded header, or an empty span. */
static span forwarded_for(span element)
{
    const char *p = element.p, *end = element.p + element.len;
    while (p < end) {
        const char *semi = memchr(p, ';', (size_t)(end - p));
        span pair = trim(p, (size_t)((semi ? semi : end) - p));
        if (pair.len > 4 && !strncasecmp(pair.p, "for=", 4))
            return trim(pair.p + 4, pair.len - 4);
        p = semi ? semi + 1 : end;
    }
    return (span){p, 0};
}

/* Splits the header at commas outside quotes: its hops, at most
 * PA_FORWARDED_HOPS_MAX of them, the rightmost ones. */
static size_t split_hops(const char *header, pa_forwarded_kind kind,
                         span hops[PA_FORWARDED_HOPS_MAX])
{
    size_t n = 0;
    const char *start = header;
    int quoted = 0;
    for (const char *p = header;; p++) {
        if (*p == '"')
            quoted = !quoted;
        if (*p && (*p != ',' || quoted))
            continue;
        span element = trim(start, (size_t)(p - start));
        if (kind == PA_FORWARDED_RFC7239)
            element = forwarded_for(element);
        if (n == PA_FORWARDED_HOPS_MAX) { /* keep the rightmost */
            memmove(hops, hops + 1, (PA_FORWARDED_HOPS_MAX - 1) * sizeof *hops);
            n--;
        }
        hops[n++] = element;
        if (!*p)
            break;
        start = p + 1;
    }
    return n;
}

int pa_addr_client(const pa_addr *peer, const pa_cidr_list *trusted, pa_forwarded_kind kind,
                   const char *header, pa_addr *client)
{
    *client = *peer;
    if (!pa_cidr_list_contains(trusted, peer))
        return 0;
    if (!header || !*header)
        return 1;
    span hops[PA_FORWARDED_HOPS_MAX];
    size_t n = split_hops(header, kind, hops);
    for (size_t i = n; i-- > 0;) {
        pa_addr hop;
        if (parse_hop(hops[i], &hop) != 0)
            return 1;
        *client = hop;
        if (!pa_cidr_list_contains(trusted, &hop))
            return 0;
    }
    return 0;
}

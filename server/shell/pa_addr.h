/* pa_addr: client addresses, the networks of trusted proxies, and the
 * address of a client behind them.
 *
 * Per-address limits need to know who a client is. A direct client is the
 * peer of its TCP connection. Behind a reverse proxy (nginx) every
 * connection comes from the proxy, which names the client in a header
 * (X-Forwarded-For, or Forwarded of RFC 7239). That header is only believed
 * when the peer is a proxy the operator listed as trusted, and only as far
 * as the hops appended by trusted proxies go: it is read right to left, and
 * the first address that is not a trusted proxy is the client's (anything
 * left of it was written by the client itself and may be forged).
 *
 * IPv6 clients usually hold a whole /64: limits count an IPv6 client by its
 * network of a configurable prefix (pa_addr_key). Pure functions, no
 * network calls. */
#ifndef PA_ADDR_H
#define PA_ADDR_H

#include <stddef.h>
#include <stdint.h>

struct sockaddr;

enum {
    PA_ADDR_TEXT_MAX = 64,     /* an address or network in text, with its NUL */
    PA_FORWARDED_HOPS_MAX = 32 /* hops of a forwarding header read, from the right */
};

typedef struct {
    int v6;            /* 0: IPv4 in bytes[0..3]; 1: IPv6 */
    uint8_t bytes[16]; /* network order */
} pa_addr;

/* Parses len bytes of an IPv4 or IPv6 address in text, without port or
 * brackets. An IPv4-mapped IPv6 address (::ffff:192.0.2.1) becomes the IPv4
 * address. Returns 0, or -1 when the text is not an address. */
int pa_addr_parse(const char *text, size_t len, pa_addr *out);
/* The address of a socket address (AF_INET or AF_INET6, IPv4-mapped made
 * IPv4). Returns 0, or -1 for another family. */
int pa_addr_from_sockaddr(const struct sockaddr *sa, pa_addr *out);
/* The address in text ("192.0.2.1", "2001:db8::1"). */
void pa_addr_text(const pa_addr *a, char out[PA_ADDR_TEXT_MAX]);
/* The key limits count a client by: an IPv4 address itself, an IPv6 address
 * by its network of ipv6_prefix bits ("2001:db8:1:2::/64"; 128 keeps the
 * whole address). */
void pa_addr_key(const pa_addr *a, unsigned ipv6_prefix, char out[PA_ADDR_TEXT_MAX]);

/* A network: an address and the number of leading bits that count. */
typedef struct {
    pa_addr net;
    unsigned bits;
} pa_cidr;

/* A list of networks, malloc'd; empty when zeroed. */
typedef struct {
    pa_cidr *items;
    size_t count;
} pa_cidr_list;

/* Parses networks separated by spaces or commas: "127.0.0.1 10.0.0.0/8
 * ::1 fd00::/8" (an address alone is a network of one). Fills *out (clear
 * with pa_cidr_list_clear) and returns 0; returns -1 and copies the item in
 * error into err (size bytes) when one is not a network. */
int pa_cidr_list_parse(const char *text, pa_cidr_list *out, char *err, size_t size);
void pa_cidr_list_clear(pa_cidr_list *list);
/* 1 when a is in one of the networks of the list. */
int pa_cidr_list_contains(const pa_cidr_list *list, const pa_addr *a);

/* The header a trusted proxy names the client in. */
typedef enum {
    PA_FORWARDED_XFF,    /* X-Forwarded-For: 192.0.2.1, 10.0.0.2 */
    PA_FORWARDED_RFC7239 /* Forwarded: for=192.0.2.1;proto=https, for="[2001:db8::1]:4711" */
} pa_forwarded_kind;

/* The client of a connection from peer: the peer itself unless it is in
 * trusted; else the rightmost hop of header (the value of the header of
 * kind, or NULL when absent) that is not in trusted, or the leftmost hop
 * when all are. Returns 0, or 1 when the peer is a trusted proxy whose
 * header was missing or held a hop that is not an address ("unknown",
 * garbage): *client is then the nearest address known for sure (the peer,
 * or the trusted hop right of the bad one). */
int pa_addr_client(const pa_addr *peer, const pa_cidr_list *trusted, pa_forwarded_kind kind,
                   const char *header, pa_addr *client);

#endif

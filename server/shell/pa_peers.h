/* pa_peers: what the server keeps per client address.
 *
 * One entry per address (pa_addr_key: an IPv4 address, an IPv6 network)
 * counts the TCP connections it holds directly, the WebSockets it holds
 * (directly or through a trusted proxy), and holds the token bucket that
 * rate-limits its questions whatever its number of connections. Without it,
 * one address opening a thousand connections had a thousand buckets.
 *
 * An entry lives while it is referenced (pa_peers_hold / pa_peers_release)
 * and then lingers until its bucket would be full again, so that closing
 * and reopening connections does not refill it; pa_peers_sweep forgets the
 * entries whose lingering is over. The table has a fixed capacity, set from
 * the connection limits: an entry is referenced by at least one connection,
 * so the referenced ones always fit, and a lingering one is forgotten early
 * when room is needed. Entries never move: a connection keeps a pointer.
 *
 * Service thread only. */
#ifndef PA_PEERS_H
#define PA_PEERS_H

#include "pa_addr.h"
#include "pa_ratelimit.h"

#include <stddef.h>
#include <stdint.h>

typedef struct pa_peer {
    char key[PA_ADDR_TEXT_MAX];
    uint32_t sockets;    /* TCP connections from this address, directly */
    uint32_t websockets; /* WebSockets of this client, directly or through a proxy */
    pa_rate_bucket rate; /* its questions, all connections together */
    /* the table's own */
    uint32_t refs;
    struct pa_peer *next_in_bucket, *prev_idle, *next_idle;
    int64_t idle_until; /* lingering ends (microseconds), when refs is 0 */
} pa_peer;

typedef struct pa_peers pa_peers;

/* A table for capacity entries, whose buckets follow rate. Free with
 * pa_peers_free. */
pa_peers *pa_peers_new(size_t capacity, const pa_rate_config *rate);
/* Accepts NULL. */
void pa_peers_free(pa_peers *t);

/* The entry of key, found or made (with a full bucket at now_us), and
 * referenced once more. Returns NULL only when every entry is referenced
 * (the table is full). Release with pa_peers_release. */
pa_peer *pa_peers_hold(pa_peers *t, const char *key, int64_t now_us);
/* Drops one reference; the entry lingers after its last one. */
void pa_peers_release(pa_peers *t, pa_peer *p, int64_t now_us);
/* The entry of key, or NULL, without referencing it. */
pa_peer *pa_peers_find(pa_peers *t, const char *key);
/* Forgets the entries whose lingering ended before now_us. */
void pa_peers_sweep(pa_peers *t, int64_t now_us);
/* Entries held or lingering. */
size_t pa_peers_count(const pa_peers *t);

#endif

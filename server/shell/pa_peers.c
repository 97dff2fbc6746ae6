#include "pa_peers.h"

#include "pa_alloc.h"
#include "pa_map.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

struct pa_peers {
    pa_rate_config rate;
    pa_peer *entries;   /* capacity of them */
    pa_peer *free_list; /* entries given back, taken before fresh ones */
    size_t fresh;       /* entries[fresh..capacity) were never used: left untouched, so that
                         * their pages are mapped only when the connections come */
    pa_peer **buckets;
    size_t capacity, n_buckets, count;
    pa_peer *idle_head, *idle_tail; /* lingering entries, oldest first */
    uint64_t seed;                  /* so that clients cannot choose colliding keys */
};

static uint64_t random_seed(void)
{
    uint64_t seed;
    if (getrandom(&seed, sizeof seed, GRND_NONBLOCK) != (ssize_t)sizeof seed)
        seed = (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ULL;
    return seed;
}

pa_peers *pa_peers_new(size_t capacity, const pa_rate_config *rate)
{
    pa_peers *t = pa_xcalloc(1, sizeof *t);
    t->rate = *rate;
    t->capacity = capacity ? capacity : 1;
    t->entries = pa_xcalloc(t->capacity, sizeof *t->entries);
    t->n_buckets = 16;
    while (t->n_buckets < t->capacity)
        t->n_buckets *= 2;
    t->buckets = pa_xcalloc(t->n_buckets, sizeof *t->buckets);
    t->seed = random_seed();
    return t;
}

void pa_peers_free(pa_peers *t)
{
    if (!t)
        return;
    free(t->entries);
    free(t->buckets);
    free(t);
}

static pa_peer **bucket_of(pa_peers *t, const char *key)
{
    uint64_t h = pa_hash_bytes(t->seed, key, strlen(key));
    return &t->buckets[h & (t->n_buckets - 1)];
}

static void idle_unlink(pa_peers *t, pa_peer *p)
{
    if (p->prev_idle)
        p->prev_idle->next_idle = p->next_idle;
    else
        t->idle_head = p->next_idle;
    if (p->next_idle)
        p->next_idle->prev_idle = p->prev_idle;
    else
        t->idle_tail = p->prev_idle;
    p->prev_idle = p->next_idle = NULL;
}

/* Takes an unreferenced entry out of the table for good. */
static void forget(pa_peers *t, pa_peer *p)
{
    idle_unlink(t, p);
    pa_peer **link = bucket_of(t, p->key);
    while (*link != p)
        link = &(*link)->next_in_bucket;
    *link = p->next_in_bucket;
    memset(p, 0, sizeof *p);
    p->next_in_bucket = t->free_list;
    t->free_list = p;
    t->count--;
}

pa_peer *pa_peers_find(pa_peers *t, const char *key)
{
    for (pa_peer *p = *bucket_of(t, key); p; p = p->next_in_bucket)
        if (!strcmp(p->key, key))
            return p;
    return NULL;
}

/* A free entry: one given back, else one never used, else the oldest
 * lingering one (room for a connection before memory of a gone one);
 * NULL when all hold connections. */
static pa_peer *take_entry(pa_peers *t)
{
    if (!t->free_list && t->fresh < t->capacity)
        return &t->entries[t->fresh++];
    if (!t->free_list && t->idle_head)
        forget(t, t->idle_head);
    pa_peer *p = t->free_list;
    if (p)
        t->free_list = p->next_in_bucket;
    return p;
}

pa_peer *pa_peers_hold(pa_peers *t, const char *key, int64_t now_us)
{
    pa_peer *p = pa_peers_find(t, key);
    if (p) {
        if (p->refs++ == 0)
            idle_unlink(t, p);
        return p;
    }
    p = take_entry(t);
    if (!p)
        return NULL;
    memset(p, 0, sizeof *p);
    snprintf(p->key, sizeof p->key, "%s", key);
    pa_rate_start(&p->rate, &t->rate, now_us);
    p->refs = 1;
    pa_peer **head = bucket_of(t, key);
    p->next_in_bucket = *head;
    *head = p;
    t->count++;
    return p;
}

void pa_peers_release(pa_peers *t, pa_peer *p, int64_t now_us)
{
    if (--p->refs)
        return;
    p->idle_until = now_us + pa_rate_until_full(&p->rate, &t->rate, now_us);
    p->prev_idle = t->idle_tail;
    if (t->idle_tail)
        t->idle_tail->next_idle = p;
    else
        t->idle_head = p;
    t->idle_tail = p;
}

void pa_peers_sweep(pa_peers *t, int64_t now_us)
{
    pa_peer *p = t->idle_head;
    while (p) {
        pa_peer *next = p->next_idle;
        if (p->idle_until <= now_us)
            forget(t, p);
        p = next;
    }
}

size_t pa_peers_count(const pa_peers *t)
{
    return t->count;
}

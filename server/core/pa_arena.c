#include "pa_arena.h"

#include "pa_alloc.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { PA_ARENA_BLOCK = 64 * 1024 };

struct block {
    struct block *next;
    size_t size, used;
    alignas(max_align_t) unsigned char data[];
};

struct pa_arena {
    struct block *head;
    size_t used;
};

pa_arena *pa_arena_new(void)
{
    pa_arena *a = pa_xmalloc(sizeof *a);
    a->head = NULL;
    a->used = 0;
    return a;
}

void pa_arena_free(pa_arena *a)
{
    if (!a)
        return;
    for (struct block *b = a->head, *next; b; b = next) {
        next = b->next;
        free(b);
    }
    free(a);
}

/* size bytes at a multiple of align (a power of two) in the current block,
 * or in a new one when they do not fit; not zeroed. */
static void *take(pa_arena *a, size_t size, size_t align)
{
    if (size > SIZE_MAX - align - sizeof(struct block)) /* rounding up would wrap */
        pa_out_of_memory(size);
    struct block *b = a->head;
    size_t at = b ? (b->used + align - 1) & ~(align - 1) : 0;
    if (!b || at > b->size || b->size - at < size) {
        size_t cap = size > PA_ARENA_BLOCK ? size : PA_ARENA_BLOCK;
        b = pa_xmalloc(sizeof *b + cap);
        b->size = cap;
        b->used = 0;
        b->next = a->head;
        a->head = b;
        at = 0;
    }
    a->used += at + size - b->used;
    b->used = at + size;
    return b->data + at;
}

void *pa_arena_alloc(pa_arena *a, size_t size)
{
    void *p = take(a, size, alignof(max_align_t));
    memset(p, 0, size);
    return p;
}

/* Strings need no alignment: packed end to end, a word takes its length,
 * not a multiple of sixteen bytes, and is not zeroed before being copied. */
char *pa_arena_strndup(pa_arena *a, const char *s, size_t len)
{
    char *d = take(a, len + 1, 1);
    memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

char *pa_arena_strdup(pa_arena *a, const char *s)
{
    return pa_arena_strndup(a, s, strlen(s));
}

size_t pa_arena_used(const pa_arena *a)
{
    return a->used;
}

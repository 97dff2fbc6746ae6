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

void *pa_arena_alloc(pa_arena *a, size_t size)
{
    size_t align = alignof(max_align_t);
    if (size > SIZE_MAX - align - sizeof(struct block)) /* rounding up would wrap */
        pa_out_of_memory(size);
    size = (size + align - 1) & ~(align - 1);
    struct block *b = a->head;
    if (!b || b->size - b->used < size) {
        size_t cap = size > PA_ARENA_BLOCK ? size : PA_ARENA_BLOCK;
        b = pa_xmalloc(sizeof *b + cap);
        b->size = cap;
        b->used = 0;
        b->next = a->head;
        a->head = b;
    }
    void *p = b->data + b->used;
    b->used += size;
    a->used += size;
    memset(p, 0, size);
    return p;
}

char *pa_arena_strndup(pa_arena *a, const char *s, size_t len)
{
    char *d = pa_arena_alloc(a, len + 1);
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

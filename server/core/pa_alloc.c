/* madvise and MADV_HUGEPAGE are beyond POSIX */
#define _DEFAULT_SOURCE
#include "pa_alloc.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* The huge page size of x86-64 and arm64 Linux: tables from this size on
 * are aligned to it, so that whole huge pages can back them. */
enum { HUGE_PAGE = 2 << 20 };

_Noreturn void pa_out_of_memory(size_t size)
{
    fprintf(stderr, "passerelle: out of memory (%zu bytes wanted)\n", size);
    abort();
}

void *pa_xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p)
        pa_out_of_memory(size);
    return p;
}

void *pa_xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p)
        pa_out_of_memory(count * size);
    return p;
}

void *pa_xrealloc(void *p, size_t size)
{
    void *q = realloc(p, size ? size : 1);
    if (!q)
        pa_out_of_memory(size);
    return q;
}

void *pa_xmalloc_table(size_t size)
{
    if (size < HUGE_PAGE)
        return pa_xmalloc(size);
    void *p = NULL;
    if (posix_memalign(&p, HUGE_PAGE, size) != 0)
        pa_out_of_memory(size);
#ifdef MADV_HUGEPAGE
    /* advice only: where it is refused, the table is on small pages */
    (void)madvise(p, size & ~(size_t)(HUGE_PAGE - 1), MADV_HUGEPAGE);
#endif
    return p;
}

void *pa_xcalloc_table(size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        pa_out_of_memory(SIZE_MAX);
    void *p = pa_xmalloc_table(count * size);
    memset(p, 0, count * size);
    return p;
}

char *pa_xstrndup(const char *s, size_t len)
{
    char *d = pa_xmalloc(len + 1);
    memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

char *pa_xstrdup(const char *s)
{
    return pa_xstrndup(s, strlen(s));
}

/* jansson's allocator is process-wide. Installing it before main means no
 * JSON value is ever made by another one, so a frame or a report is either
 * whole or the process has stopped: never a reply with a member missing. */
__attribute__((constructor)) static void install_json_allocator(void)
{
    json_set_alloc_funcs(pa_xmalloc, free);
}

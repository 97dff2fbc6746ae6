/* pa_alloc: the one out-of-memory policy of the core.
 *
 * Every allocation of the core goes through these functions (jansson's too:
 * pa_alloc.c installs pa_xmalloc as its allocator before main runs). When
 * memory runs out they print one line to stderr and abort: no function of the
 * core returns an error for want of memory, and none ignores one.
 *
 * Why abort rather than unwind: what the core allocates is bounded by named
 * limits (question length, knowledge size), so a failed allocation means the
 * whole process is out of memory, where a half-built reply or snapshot helps
 * nobody. In a container or under systemd the kernel's OOM killer or the
 * supervisor restarts the process either way; aborting at once keeps every
 * code path free of error branches that no test could reach. */
#ifndef PA_ALLOC_H
#define PA_ALLOC_H

#include <stddef.h>

/* Like malloc, calloc, realloc and strdup, but never return NULL (a size of
 * 0 gives a unique pointer). pa_xstrndup copies exactly len bytes, NULs
 * included, and adds one. Free the result with free(). */
void *pa_xmalloc(size_t size);
void *pa_xcalloc(size_t count, size_t size);
void *pa_xrealloc(void *p, size_t size);
char *pa_xstrdup(const char *s);
char *pa_xstrndup(const char *s, size_t len);

/* Like pa_xmalloc and pa_xcalloc, for tables of megabytes written and read
 * in random order (the indexes' hash tables): such a table is asked to be
 * backed by huge pages where the system has them (Linux's transparent huge
 * pages in "madvise" mode), as every 4 KiB page costs a page fault when first
 * written and a TLB miss when read. Smaller sizes are plain allocations. Free
 * the result with free(). */
void *pa_xmalloc_table(size_t size);
void *pa_xcalloc_table(size_t count, size_t size);

/* Reports that size bytes could not be had, and aborts. */
_Noreturn void pa_out_of_memory(size_t size);

#endif

/* pa_arena: a bump allocator for data that lives and dies together.
 *
 * The knowledge snapshot is built once and freed in one go when a newer one
 * replaces it, so every string and table it owns comes from one arena.
 * Running out of memory aborts, as everywhere in the core (pa_alloc.h). */
#ifndef PA_ARENA_H
#define PA_ARENA_H

#include <stddef.h>

typedef struct pa_arena pa_arena;

/* Returns a new empty arena; free it with pa_arena_free. */
pa_arena *pa_arena_new(void);
/* Frees every block the arena handed out. Accepts NULL. */
void pa_arena_free(pa_arena *a);
/* Returns size bytes, zeroed, aligned for any type; owned by the arena. */
void *pa_arena_alloc(pa_arena *a, size_t size);
/* Copies len bytes of s and a terminating NUL into the arena, packed after
 * the previous string (not aligned: text needs none). */
char *pa_arena_strndup(pa_arena *a, const char *s, size_t len);
char *pa_arena_strdup(pa_arena *a, const char *s);
/* Bytes handed out so far (for benchmarks and tests). */
size_t pa_arena_used(const pa_arena *a);

#endif

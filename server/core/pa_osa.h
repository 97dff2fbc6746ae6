/* pa_osa: the optimal-string-alignment distance (insertions, deletions,
 * substitutions and transpositions of adjacent characters, each counted
 * once) between two strings of code points, with the cost of a substitution
 * given by the caller. Internal to the core: pa_text_distance_cp counts every
 * substitution as one, pa_slip_cost weighs them by how plausible a slip of
 * the hand they are. A header of static inline code, so that each caller's
 * cost function is inlined into its loop. */
#ifndef PA_OSA_H
#define PA_OSA_H

#include "pa_text.h"

#include <stddef.h>
#include <stdint.h>

/* The cost of writing b where a was meant; 0 when a == b. */
typedef int (*pa_osa_substitution)(uint32_t a, uint32_t b);

/* The distance between x[0..m) and y[0..n), reading at most
 * PA_TEXT_DISTANCE_MAX_CHARS code points of each. Stops early: returns max + 1
 * as soon as the distance exceeds max. */
static inline int pa_osa_distance(const uint32_t *x, size_t m, const uint32_t *y, size_t n, int max,
                                  pa_osa_substitution substitution)
{
    if (m > PA_TEXT_DISTANCE_MAX_CHARS)
        m = PA_TEXT_DISTANCE_MAX_CHARS;
    if (n > PA_TEXT_DISTANCE_MAX_CHARS)
        n = PA_TEXT_DISTANCE_MAX_CHARS;
    if ((m > n ? m - n : n - m) > (size_t)max)
        return max + 1;
    /* three rows: two back for transpositions */
    int rows[3][PA_TEXT_DISTANCE_MAX_CHARS + 1];
    int *prev2 = rows[0], *prev = rows[1], *cur = rows[2];
    for (size_t j = 0; j <= n; j++)
        prev[j] = (int)j;
    for (size_t i = 1; i <= m; i++) {
        cur[0] = (int)i;
        int best = cur[0];
        for (size_t j = 1; j <= n; j++) {
            int v = prev[j] + 1;
            if (cur[j - 1] + 1 < v)
                v = cur[j - 1] + 1;
            int swap = prev[j - 1] + substitution(x[i - 1], y[j - 1]);
            if (swap < v)
                v = swap;
            if (i > 1 && j > 1 && x[i - 1] == y[j - 2] && x[i - 2] == y[j - 1] &&
                prev2[j - 2] + 1 < v)
                v = prev2[j - 2] + 1;
            cur[j] = v;
            if (v < best)
                best = v;
        }
        if (best > max)
            return max + 1;
        int *t = prev2;
        prev2 = prev;
        prev = cur;
        cur = t;
    }
    return prev[n] > max ? max + 1 : prev[n];
}

#endif

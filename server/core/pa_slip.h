/* pa_slip: how plausibly one word is a mistyping of another.
 *
 * An edit distance counts every substitution alike, so "noir" is one edit
 * from "soir" and "trou" one from "trop": real words of their own, not
 * slips of the hand. Residents' slips are letters left out, doubled or
 * swapped, and a key struck beside the right one (on the QWERTY, QWERTZ,
 * AZERTY and Arabic keyboards, or one those layouts swap), or a letter
 * written as it sounds (c/k, s/z, i/y, v/w, o/u, ت/ط, س/ص...). Here such a
 * substitution costs one edit and any other costs two, as a deletion and an
 * insertion would. Other characters (the digits of the chat alphabet, a
 * Latin letter for an Arabic one) keep a cost of one: no model is assumed
 * for them. */
#ifndef PA_SLIP_H
#define PA_SLIP_H

#include <stddef.h>
#include <stdint.h>

/* 1 when typing b for a is a plausible slip (see above), else 0; 1 for any
 * pair not both a-z or both Arabic letters. Case-sensitive: pass folded
 * letters. */
int pa_slip_plausible(uint32_t a, uint32_t b);

/* The optimal-string-alignment distance between x[0..m) and y[0..n), code
 * points, where a substitution that is no plausible slip costs 2. Reads at
 * most PA_TEXT_DISTANCE_MAX_CHARS code points of each; returns max + 1 as
 * soon as the cost exceeds max. */
int pa_slip_cost(const uint32_t *x, size_t m, const uint32_t *y, size_t n, int max);

#endif

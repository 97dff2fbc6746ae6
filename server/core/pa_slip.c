#include "pa_slip.h"

#include "pa_osa.h"

#include <string.h>
#include <threads.h>

/* The letter rows of the keyboards residents type on. A key touches its
 * neighbours in its row and, the rows being staggered, the keys at the same
 * and the previous index in the row below. */
static const char *const KEYBOARDS[][3] = {
    {"qwertyuiop", "asdfghjkl", "zxcvbnm"}, /* QWERTY (Polish, Portuguese) */
    {"qwertzuiop", "asdfghjkl", "yxcvbnm"}, /* QWERTZ (German) */
    {"azertyuiop", "qsdfghjklm", "wxcvbn"}, /* AZERTY (French) */
};

/* Letters written for one another by their sound, in the five languages,
 * and the keys two of those keyboards swap (y/z, a/q, w/z), which a
 * resident typing on a borrowed layout hits for one another. */
static const char *const SOUNDS[] = {"ckq", "sz", "iy", "vw", "ou", "bp", "dt",
                                     "gj",  "fv", "mn", "yz", "aq", "wz"};

enum { LETTERS = 26 };

/* plausible[a][b]: typing letter b for letter a is a slip */
static unsigned char plausible[LETTERS][LETTERS];

static void touch(char a, char b)
{
    plausible[a - 'a'][b - 'a'] = plausible[b - 'a'][a - 'a'] = 1;
}

static void learn_keyboard(const char *const rows[3])
{
    for (int r = 0; r < 3; r++) {
        size_t n = strlen(rows[r]);
        for (size_t i = 0; i < n; i++) {
            if (i + 1 < n)
                touch(rows[r][i], rows[r][i + 1]);
            if (r + 1 < 3) {
                size_t below = strlen(rows[r + 1]);
                if (i < below)
                    touch(rows[r][i], rows[r + 1][i]);
                if (i > 0 && i - 1 < below)
                    touch(rows[r][i], rows[r + 1][i - 1]);
            }
        }
    }
}

static once_flag learnt = ONCE_FLAG_INIT;

static void learn(void)
{
    for (size_t k = 0; k < sizeof KEYBOARDS / sizeof *KEYBOARDS; k++)
        learn_keyboard(KEYBOARDS[k]);
    for (size_t s = 0; s < sizeof SOUNDS / sizeof *SOUNDS; s++)
        for (const char *a = SOUNDS[s]; *a; a++)
            for (const char *b = a + 1; *b; b++)
                touch(*a, *b);
}

int pa_slip_plausible(uint32_t a, uint32_t b)
{
    if (a < 'a' || a > 'z' || b < 'a' || b > 'z')
        return 1;
    call_once(&learnt, learn);
    return a == b || plausible[a - 'a'][b - 'a'];
}

static int substitution(uint32_t a, uint32_t b)
{
    return a == b ? 0 : pa_slip_plausible(a, b) ? 1 : 2;
}

int pa_slip_cost(const uint32_t *x, size_t m, const uint32_t *y, size_t n, int max)
{
    return pa_osa_distance(x, m, y, n, max, substitution);
}

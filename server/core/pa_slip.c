#include "pa_slip.h"

#include "pa_osa.h"
#include "pa_text.h"

#include <string.h>
#include <threads.h>

/* The letter rows of the keyboards residents type on, as UTF-8. A key
 * touches its neighbours in its row and, the rows being staggered, the keys
 * at the same and the previous index in the row below. A "." holds the place
 * of a key that types no single letter (the Arabic lam-alef). */
static const char *const KEYBOARDS[][3] = {
    {"qwertyuiop", "asdfghjkl", "zxcvbnm"}, /* QWERTY (Polish, Portuguese) */
    {"qwertzuiop", "asdfghjkl", "yxcvbnm"}, /* QWERTZ (German) */
    {"azertyuiop", "qsdfghjklm", "wxcvbn"}, /* AZERTY (French) */
    /* Arabic, as on computers and phones */
    {"ضصثقفغعهخحجد", "شسيبلاتنمكط", "ئءؤر.ىةوزظ"},
};

/* Letters written for one another by their sound, in the five languages,
 * and the keys two of those keyboards swap (y/z, a/q, w/z), which a
 * resident typing on a borrowed layout hits for one another. In Arabic the
 * hamza's seats, the emphatic and plain consonants, and the endings the
 * spelling hesitates between (the folding already merges ة/ه and ى/ي). */
static const char *const SOUNDS[] = {"ckq", "sz",  "iy",   "vw", "ou",  "bp",     "dt",  "gj",
                                     "fv",  "mn",  "yz",   "aq", "wz",  "اأإآءع", "ئيء", "ؤوء",
                                     "تط",  "سصث", "ذزظض", "دض", "هحة", "كق",     "ىي"};

/* The letters modelled: a-z, then the Arabic block's letters. */
enum {
    LATIN = 26,
    ARABIC_FIRST = 0x0621,
    ARABIC_LAST = 0x064A,
    LETTERS = LATIN + ARABIC_LAST - ARABIC_FIRST + 1,
    ROW_MAX = 16 /* letters of a keyboard row */
};

/* plausible[a][b]: typing letter b for letter a is a slip */
static unsigned char plausible[LETTERS][LETTERS];

/* The letter's index in plausible, or -1 for a letter not modelled. */
static int letter_index(uint32_t c)
{
    if (c >= 'a' && c <= 'z')
        return (int)(c - 'a');
    if (c >= ARABIC_FIRST && c <= ARABIC_LAST)
        return LATIN + (int)(c - ARABIC_FIRST);
    return -1;
}

static void touch(uint32_t a, uint32_t b)
{
    int i = letter_index(a), j = letter_index(b);
    if (i >= 0 && j >= 0)
        plausible[i][j] = plausible[j][i] = 1;
}

static void learn_keyboard(const char *const text[3])
{
    uint32_t rows[3][ROW_MAX];
    size_t len[3];
    for (int r = 0; r < 3; r++)
        len[r] = pa_text_decode(text[r], rows[r], ROW_MAX);
    for (int r = 0; r < 3; r++) {
        for (size_t i = 0; i < len[r]; i++) {
            if (i + 1 < len[r])
                touch(rows[r][i], rows[r][i + 1]);
            if (r + 1 < 3) {
                if (i < len[r + 1])
                    touch(rows[r][i], rows[r + 1][i]);
                if (i > 0 && i - 1 < len[r + 1])
                    touch(rows[r][i], rows[r + 1][i - 1]);
            }
        }
    }
}

static void learn_sounds(const char *text)
{
    uint32_t group[ROW_MAX];
    size_t n = pa_text_decode(text, group, ROW_MAX);
    for (size_t a = 0; a < n; a++)
        for (size_t b = a + 1; b < n; b++)
            touch(group[a], group[b]);
}

static once_flag learnt = ONCE_FLAG_INIT;

static void learn(void)
{
    for (size_t k = 0; k < sizeof KEYBOARDS / sizeof *KEYBOARDS; k++)
        learn_keyboard(KEYBOARDS[k]);
    for (size_t s = 0; s < sizeof SOUNDS / sizeof *SOUNDS; s++)
        learn_sounds(SOUNDS[s]);
}

int pa_slip_plausible(uint32_t a, uint32_t b)
{
    int i = letter_index(a), j = letter_index(b);
    if (i < 0 || j < 0 || (i < LATIN) != (j < LATIN))
        return 1;
    call_once(&learnt, learn);
    return a == b || plausible[i][j];
}

static int substitution(uint32_t a, uint32_t b)
{
    return a == b ? 0 : pa_slip_plausible(a, b) ? 1 : 2;
}

int pa_slip_cost(const uint32_t *x, size_t m, const uint32_t *y, size_t n, int max)
{
    return pa_osa_distance(x, m, y, n, max, substitution);
}

/* Plausible slips of the hand: the cost of turning one folded word into
 * another when a substitution that is neither a neighbouring key nor a
 * letter of the same sound counts as two edits. */
#include "unit.h"

#include "pa_slip.h"
#include "pa_text.h"

static const struct {
    const char *typed, *meant;
    int cost; /* with a large enough bound */
} rows[] = {
    /* a neighbouring key on QWERTY, QWERTZ or AZERTY */
    {"jumelagr", "jumelage", 1},
    {"stadr", "stadt", 1},
    {"zopot", "sopot", 1}, /* AZERTY: a z beside the s */
    {"partnerstafr", "partnerstadt", 2},
    /* a letter written as it sounds */
    {"kooperation", "cooperation", 1},
    {"miasto", "miasto", 0},
    {"wspolprace", "wspolpraca", 2}, /* e for a: neither */
    /* letters left out, doubled or swapped */
    {"frankental", "frankenthal", 1},
    {"soppot", "sopot", 1},
    {"jumleage", "jumelage", 1},
    /* real words of their own, no slip of the other */
    {"noir", "soir", 2},
    {"trou", "trop", 2},
    {"parque", "porque", 2},
    {"prozent", "projekt", 4},
    /* the Arabic keyboard and sounds: م beside ن, ص sounding as س; ل is
     * far from ن, and تحلم (you dream) is no slip of تسلم (thanks) */
    {"تعاوم", "تعاون", 1},
    {"صوبوت", "سوبوت", 1},
    {"تعاول", "تعاون", 2},
    {"تحلم", "تسلم", 2},
    /* for the digits of the chat alphabet no keyboard is assumed */
    {"chokr4n", "chokran", 1},
};

static int cost_of(const char *a, const char *b, int max)
{
    uint32_t x[PA_TEXT_DISTANCE_MAX_CHARS], y[PA_TEXT_DISTANCE_MAX_CHARS];
    size_t m = pa_text_decode(a, x, PA_TEXT_DISTANCE_MAX_CHARS);
    size_t n = pa_text_decode(b, y, PA_TEXT_DISTANCE_MAX_CHARS);
    return pa_slip_cost(x, m, y, n, max);
}

static void test_costs(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        int got = cost_of(rows[i].typed, rows[i].meant, 8);
        if (got != rows[i].cost)
            fail_msg("%s -> %s: cost %d, expected %d", rows[i].typed, rows[i].meant, got,
                     rows[i].cost);
        /* symmetric, and bounded like pa_text_distance */
        assert_int_equal(cost_of(rows[i].meant, rows[i].typed, 8), got);
        if (got > 0)
            assert_int_equal(cost_of(rows[i].typed, rows[i].meant, got - 1), got);
    }
}

/* Never below the plain edit distance, never above twice it. */
static void test_against_distance(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        int d = pa_text_distance(rows[i].typed, rows[i].meant, 8);
        int c = cost_of(rows[i].typed, rows[i].meant, 16);
        assert_true(c >= d);
        assert_true(c <= 2 * d);
    }
}

static void test_plausible(void **state)
{
    (void)state;
    assert_true(pa_slip_plausible('s', 'd')); /* neighbours */
    assert_true(pa_slip_plausible('q', 'a')); /* across rows */
    assert_true(pa_slip_plausible('y', 'z')); /* QWERTZ swaps them */
    assert_true(pa_slip_plausible('c', 'k')); /* same sound */
    assert_false(pa_slip_plausible('n', 's'));
    assert_false(pa_slip_plausible('u', 'p'));
    assert_true(pa_slip_plausible('3', 'a')); /* the chat alphabet: no model */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_costs),
        cmocka_unit_test(test_against_distance),
        cmocka_unit_test(test_plausible),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Normalization and tokenization, in the five languages. */
#include "unit.h"

#include "pa_text.h"

#include <stdlib.h>

static const struct {
    const char *input, *folded;
} fold_cases[] = {
    /* French: accents, case, elision, punctuation */
    {"Où se trouve Sopot ?", "ou se trouve sopot"},
    {"Qu'est-ce qu’un JUMELAGE ?", "qu est ce qu un jumelage"},
    {"Coopération  décentralisée", "cooperation decentralisee"},
    {"l'œuvre", "l oeuvre"},
    {"Gueule Tapée-Fass Colobane", "gueule tapee fass colobane"},
    /* German: ß, umlauts, compounds stay one token */
    {"Städtepartnerschaft", "stadtepartnerschaft"},
    {"STRASSE Straße", "strasse strasse"},
    {"Grüß Gott!", "gruss gott"},
    /* Polish: letters without decomposition */
    {"Współpraca z Łodzią", "wspolpraca z lodzia"},
    {"Źródło ŻÓŁW", "zrodlo zolw"},
    /* Portuguese */
    {"Cooperação descentralizada", "cooperacao descentralizada"},
    {"Geminação, São João", "geminacao sao joao"},
    /* Arabic: tashkeel, tatweel, alef forms, yeh and teh marbuta, hamza carriers */
    {"مَدِينَةٌ", "مدينه"},
    {"مـــدينة", "مدينه"},
    {"أإآٱ", "اااا"},
    {"على مستشفى", "علي مستشفي"},
    {"مؤتمر شؤون", "موتمر شوون"},
    {"سوپوت", "سوبوت"},
    {"٢٠٢١", "2021"},
    {"رأس الجبل؟", "راس الجبل"},
    /* Others: compatibility forms, other letters */
    {"ﬁne Ｓｏｐｏｔ", "fine sopot"},
    {"Øresund đak", "oresund dak"},
    {"", ""},
    {" ... !!! ", ""},
};

static void test_fold(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof fold_cases / sizeof *fold_cases; i++) {
        char *got = pa_text_fold(fold_cases[i].input, strlen(fold_cases[i].input));
        EXPECT_STR(fold_cases[i].input, "fold", got, fold_cases[i].folded);
        free(got);
    }
}

static void test_invalid_utf8(void **state)
{
    (void)state;
    static const char *const bad[] = {"\xff", "abc\xc3", "\xed\xa0\x80", "\xc0\xaf"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        EXPECT_INT(bad[i], "is_valid", pa_text_is_valid(bad[i], strlen(bad[i])), 0);
        assert_null(pa_text_fold(bad[i], strlen(bad[i])));
    }
    EXPECT_INT("NUL", "is_valid", pa_text_is_valid("a\0b", 3), 0);
}

static void test_surface_keeps_accents(void **state)
{
    (void)state;
    pa_tokens t;
    assert_int_equal(pa_text_tokenize("Łódź Straße", strlen("Łódź Straße"), &t), 0);
    assert_int_equal(t.count, 2);
    EXPECT_STR("Łódź", "surface", t.items[0].surface, "łódź");
    EXPECT_STR("Łódź", "folded", t.items[0].folded, "lodz");
    EXPECT_INT("Łódź", "script", t.items[0].script, PA_SCRIPT_LATIN);
    EXPECT_STR("Straße", "surface", t.items[1].surface, "strasse");
    pa_tokens_free(&t);
    assert_int_equal(pa_text_tokenize("في سوبوت", strlen("في سوبوت"), &t), 0);
    EXPECT_INT("في", "script", t.items[0].script, PA_SCRIPT_ARABIC);
    EXPECT_INT("سوبوت", "chars", t.items[1].chars, 5);
    pa_tokens_free(&t);
}

static const struct {
    const char *a, *b;
    int max, distance;
} distance_cases[] = {
    {"frankenthal", "frankental", 2, 1}, /* missing letter */
    {"sopot", "sopott", 2, 1},           /* doubled letter */
    {"sopot", "sopto", 2, 1},            /* swapped letters */
    {"jumelage", "jumellage", 2, 1},
    {"partnerstadt", "partnerstat", 2, 1},
    {"wspolpraca", "wspolparcy", 2, 2},
    {"سوبوت", "سوبط", 2, 2},
    {"colombes", "colombes", 2, 0},
    {"sopot", "gdynia", 2, 3}, /* capped at max + 1 */
    {"a", "abcdef", 1, 2},
};

static void test_distance(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof distance_cases / sizeof *distance_cases; i++) {
        int d = pa_text_distance(distance_cases[i].a, distance_cases[i].b, distance_cases[i].max);
        EXPECT_INT(distance_cases[i].b, "distance", d, distance_cases[i].distance);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fold),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_surface_keeps_accents),
        cmocka_unit_test(test_distance),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

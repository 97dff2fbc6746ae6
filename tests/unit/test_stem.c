/* Stemming: forms that must share a stem, per language. The Polish table is
 * the measure behind the choice of a light stemmer (pa_stem_pl.c). */
#include "unit.h"

#include "pa_stem.h"
#include "pa_text.h"

#include <stdlib.h>

typedef struct {
    const char *algorithm;
    const char *forms[8]; /* NULL-terminated; all must stem alike */
} group;

static const group groups[] = {
    {"polish_light", {"miasto", "miasta", "miastach", "miastami", "miastem", "miastu", NULL}},
    {"polish_light",
     {"partnerski", "partnerskie", "partnerskich", "partnerska", "partnerskimi", NULL}},
    {"polish_light", {"współpraca", "współpracy", "współpracę", "współpracą", NULL}},
    {"polish_light", {"bliźniacze", "bliźniaczych", "bliźniaczymi", "bliźniaczy", NULL}},
    {"polish_light", {"Tunezja", "Tunezji", "Tunezją", "Tunezję", NULL}},
    {"polish_light", {"Portugalia", "Portugalii", "Portugalią", NULL}},
    {"polish_light", {"zdecentralizowana", "zdecentralizowanej", "zdecentralizowaną", NULL}},
    {"polish_light", {"wymiana", "wymiany", "wymianach", "wymianie", NULL}},
    {"french", {"jumelage", "jumelages", NULL}},
    {"french", {"coopération", "coopérations", NULL}},
    {"french", {"partenaire", "partenaires", NULL}},
    {"german", {"Partnerstadt", "Partnerstädte", NULL}},
    {"german", {"Zusammenarbeit", "Zusammenarbeiten", NULL}},
    {"portuguese", {"cidade", "cidades", NULL}},
    {"portuguese", {"geminação", "geminações", NULL}},
    {"arabic", {"مدينة", "مدينه", NULL}},
};

/* As the matcher does: stem the case-folded word, then fold the stem. */
static char *stem_folded(pa_stemmer *st, const char *word)
{
    pa_tokens t;
    assert_int_equal(pa_text_tokenize(word, strlen(word), &t), 0);
    assert_int_equal(t.count, 1);
    const char *stem = pa_stemmer_stem(st, t.items[0].surface);
    char *folded = pa_text_fold(stem, strlen(stem));
    pa_tokens_free(&t);
    return folded;
}

static void test_groups(void **state)
{
    (void)state;
    for (size_t g = 0; g < sizeof groups / sizeof *groups; g++) {
        pa_stemmer *st = pa_stemmer_new(groups[g].algorithm);
        assert_non_null(st);
        char *first = stem_folded(st, groups[g].forms[0]);
        for (size_t i = 1; groups[g].forms[i]; i++) {
            char *other = stem_folded(st, groups[g].forms[i]);
            EXPECT_STR(groups[g].forms[i], groups[g].algorithm, other, first);
            free(other);
        }
        free(first);
        pa_stemmer_free(st);
    }
}

/* Stripping must stop before the stem gets meaninglessly short. */
static void test_polish_keeps_short_words(void **state)
{
    (void)state;
    static const char *const words[][2] = {
        {"ma", "ma"}, {"jak", "jak"}, {"sopot", "sopot"}, {"kiedy", "kied"}, {"ale", "ale"}};
    char out[64];
    for (size_t i = 0; i < sizeof words / sizeof *words; i++) {
        pa_stem_polish(words[i][0], out, sizeof out);
        EXPECT_STR(words[i][0], "stem", out, words[i][1]);
    }
}

static void test_unknown_algorithm(void **state)
{
    (void)state;
    assert_null(pa_stemmer_new("klingon"));
    assert_int_equal(pa_stemmer_exists("polish_light"), 1);
    assert_int_equal(pa_stemmer_exists("arabic"), 1);
    pa_stemmer_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_groups),
        cmocka_unit_test(test_polish_keeps_short_words),
        cmocka_unit_test(test_unknown_algorithm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

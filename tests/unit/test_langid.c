/* Language identification, with the model learnt from the fixture knowledge
 * (tests/fixtures/knowledge): short messages in the five languages, skipped
 * tokens, the priors that break ties, and the script that decides which
 * languages compete. */
#include "unit.h"

#include "fixture.h"

#include "pa_langid.h"
#include "pa_snapshot.h"

#include <stdio.h>

static pa_snapshot *snapshot;

static int load(void **state)
{
    (void)state;
    snapshot = load_fixture(FIXTURE_KNOWLEDGE);
    return snapshot && snapshot->langid ? 0 : -1;
}

static int unload(void **state)
{
    (void)state;
    pa_snapshot_free(snapshot);
    return 0;
}

typedef struct {
    const char *text;
    const char *skip;  /* one character per token, '1': skipped; NULL: none */
    const char *bonus; /* locale given a prior bonus of 0.35 (the widget hint's), or NULL */
    const char *lang;  /* expected language; NULL: none (-1) */
    int evidence;      /* expected number of scored tokens */
} row;

static const row rows[] = {
    /* French */
    {"Où se trouve la ville jumelle ?", NULL, NULL, "fr", 6},
    {"c'est quoi un jumelage", NULL, NULL, "fr", 5},
    {"merci beaucoup", NULL, NULL, "fr", 2},
    /* German */
    {"Wo liegt die Partnerstadt?", NULL, NULL, "de", 4},
    {"Was ist eine Städtepartnerschaft?", NULL, NULL, "de", 4},
    {"vielen Dank", NULL, NULL, "de", 2},
    /* Polish */
    {"Gdzie leży miasto partnerskie?", NULL, NULL, "pl", 4},
    {"co to jest współpraca", NULL, NULL, "pl", 4},
    {"dziękuję bardzo", NULL, NULL, "pl", 2},
    /* Portuguese */
    {"Onde fica a cidade geminada?", NULL, NULL, "pt", 5},
    {"o que é a cooperação descentralizada", NULL, NULL, "pt", 6},
    {"muito obrigado", NULL, NULL, "pt", 2},
    /* Arabic */
    {"أين تقع المدينة التوأم؟", NULL, NULL, "ar", 4},
    {"ما هو التعاون اللامركزي", NULL, NULL, "ar", 4},
    {"شكرا جزيلا", NULL, NULL, "ar", 2},
    /* Skipped tokens are not scored: the names below say nothing */
    {"Gdzie leży Sopot", "001", NULL, "pl", 2},
    {"Wo liegt Viana do Castelo", "00111", NULL, "de", 2},
    {"Sopot Frankenthal Colombes où", "1110", NULL, "fr", 1},
    /* The text beats the prior bonus of another language */
    {"Jakie miasta partnerskie ma Colombes?", "00001", "fr", "pl", 4},
    {"Welche Partnerstädte hat Colombes?", "0001", "pt", "de", 3},
    {"avec quelles villes colombes est elle jumelée", "0001000", "de", "fr", 6},
    /* Nothing to score: the bonus decides, among the languages of the script */
    {"Sopot", "1", "pl", "pl", 0},
    {"Sopot", "1", "de", "de", 0},
    {"Sopot Colombes", "11", "pt", "pt", 0},
    {"?!", NULL, "pl", "pl", 0},
    {"", NULL, "de", "de", 0},
    /* Arabic letters: only Arabic competes, whatever the bonus */
    {"سوبوت", "1", "fr", "ar", 0},
    {"سوبوت", NULL, "pl", "ar", 1},
    {"أين تقع سوبوت", "001", "de", "ar", 2},
    {"ما هي المدن التوأم لكولومب", NULL, "pt", "ar", 5},
    /* The script of the majority of the letters wins; the other tokens are
     * not scored */
    {"أين تقع المدينة Sopot", NULL, NULL, "ar", 3},
    {"Gdzie leży miasto سوبوت", NULL, NULL, "pl", 3},
};

/* Fills skip from a row's mask (one '0' or '1' per token). */
static void make_skip(const row *r, const pa_tokens *t, unsigned char *skip)
{
    memset(skip, 0, t->count + 1);
    if (!r->skip)
        return;
    EXPECT_INT(r->text, "tokens in the skip mask", strlen(r->skip), t->count);
    for (size_t i = 0; i < t->count; i++)
        skip[i] = r->skip[i] == '1';
}

static void test_rows(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        const row *r = &rows[i];
        pa_tokens t;
        assert_int_equal(pa_text_tokenize(r->text, strlen(r->text), &t), 0);
        unsigned char skip[16];
        assert_true(t.count < sizeof skip);
        make_skip(r, &t, skip);
        double bonus[PA_LANG_MAX] = {0};
        if (r->bonus) {
            int b = pa_snapshot_lang(snapshot, r->bonus);
            assert_true(b >= 0);
            bonus[b] = 0.35;
        }
        pa_langid_result res =
            pa_langid_detect(snapshot->langid, &t, r->skip ? skip : NULL, r->bonus ? bonus : NULL);
        char what[64];
        snprintf(what, sizeof what, "lang (bonus %s)", r->bonus ? r->bonus : "none");
        EXPECT_STR(r->text, what, res.lang >= 0 ? snapshot->k.locales[res.lang].code : NULL,
                   r->lang);
        EXPECT_INT(r->text, "evidence", res.evidence, r->evidence);
        pa_tokens_free(&t);
    }
}

/* Without evidence the result is still a language of the script: with no
 * bonus, or with a bonus only for Arabic, a Latin or empty message gets a
 * Latin language (the dialog then reads lang_detected as false). */
static void test_no_evidence(void **state)
{
    (void)state;
    static const char *const texts[] = {"Sopot", "?!", ""};
    int ar = pa_snapshot_lang(snapshot, "ar");
    assert_true(ar >= 0);
    double bonus[PA_LANG_MAX] = {0};
    bonus[ar] = 10;
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        pa_tokens t;
        assert_int_equal(pa_text_tokenize(texts[i], strlen(texts[i]), &t), 0);
        unsigned char skip[2] = {1, 1};
        for (int with_bonus = 0; with_bonus <= 1; with_bonus++) {
            pa_langid_result res =
                pa_langid_detect(snapshot->langid, &t, skip, with_bonus ? bonus : NULL);
            EXPECT_INT(texts[i], "evidence", res.evidence, 0);
            assert_true(res.lang >= 0);
            EXPECT_INT(texts[i], with_bonus ? "Arabic with Arabic's bonus" : "Arabic",
                       res.lang == ar, 0);
        }
        pa_tokens_free(&t);
    }
}

/* A larger bonus decides a message whose words are shared: the same tokens,
 * each language in turn given the bonus. */
static void test_bonus_each_language(void **state)
{
    (void)state;
    static const char *const latin[] = {"fr", "de", "pl", "pt"};
    pa_tokens t;
    assert_int_equal(pa_text_tokenize("Sopot Colombes", strlen("Sopot Colombes"), &t), 0);
    unsigned char skip[2] = {1, 1};
    for (size_t i = 0; i < sizeof latin / sizeof *latin; i++) {
        double bonus[PA_LANG_MAX] = {0};
        for (size_t l = 0; l < snapshot->k.n_locales; l++)
            bonus[l] = 0.1; /* every language a little, one a little more */
        int b = pa_snapshot_lang(snapshot, latin[i]);
        assert_true(b >= 0);
        bonus[b] = 0.2;
        pa_langid_result res = pa_langid_detect(snapshot->langid, &t, skip, bonus);
        EXPECT_STR(latin[i], "lang", res.lang >= 0 ? snapshot->k.locales[res.lang].code : NULL,
                   latin[i]);
    }
    pa_tokens_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows),
        cmocka_unit_test(test_no_evidence),
        cmocka_unit_test(test_bonus_each_language),
    };
    return cmocka_run_group_tests(tests, load, unload);
}

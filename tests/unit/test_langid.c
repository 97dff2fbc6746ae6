/* Language identification, with the model learnt from the fixture knowledge
 * (tests/fixtures/knowledge): short messages in the five languages, names,
 * the tokens that make a text clearly written in one language, words of
 * languages the bot does not speak, and the scripts each language writes. */
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
    const char *names; /* one word per token: "1" a name of every language, a
                          locale code ("pl") a name of that one only, codes
                          joined by "+" of those, "0" no name; NULL: no names */
    const char *lang;  /* expected best guess; NULL: none (-1) */
    int evidence;      /* expected number of tokens scored for the guess */
    const char *clear; /* the language the text is clearly in; NULL: none */
    int foreign;       /* words of languages the bot does not speak */
} row;

static const row rows[] = {
    /* French */
    {"Où se trouve la ville jumelle ?", NULL, "fr", 6, "fr", 0},
    {"c'est quoi un jumelage", NULL, "fr", 5, "fr", 0},
    /* German */
    {"Wo liegt die Partnerstadt?", NULL, "de", 4, "de", 0},
    {"Was ist eine Städtepartnerschaft?", NULL, "de", 4, "de", 0},
    /* Polish */
    {"Gdzie leży miasto partnerskie?", NULL, "pl", 4, "pl", 0},
    {"co to jest współpraca", NULL, "pl", 4, "pl", 0},
    /* Portuguese */
    {"Onde fica a cidade geminada?", NULL, "pt", 5, "pt", 0},
    {"o que é a cooperação descentralizada", NULL, "pt", 6, "pt", 0},
    /* Arabic */
    {"أين تقع المدينة التوأم؟", NULL, "ar", 4, "ar", 0},
    {"ما هو التعاون اللامركزي", NULL, "ar", 4, "ar", 0},
    /* Names of every language say nothing; a form of one language does */
    {"Gdzie leży Sopot", "0 0 1", "pl", 2, "pl", 0},
    {"Wo liegt Viana do Castelo", "0 0 1 1 1", "de", 2, "de", 0},
    {"Sopot Frankenthal Colombes", "1 1 1", "fr", 0, NULL, 0},
    {"o Sopocie", "0 pl", "pl", 2, "pl", 0},
    /* a form of French and of Arabic in Latin letters is French there */
    {"villes partenaires de Marseille", "fr+ar fr+ar 0 1", "fr", 3, "fr", 0},
    /* Acknowledgements, lone letters and particles shared by several
     * languages do not make a text clear; a stopword of one language does */
    {"vielen Dank", NULL, "de", 2, NULL, 0},
    {"merci beaucoup", NULL, "fr", 2, NULL, 0},
    {"dziękuję bardzo", NULL, "pl", 2, "pl", 0},
    {"a Sopot?", "0 1", NULL, 1, NULL, 0},
    /* a letter only one language writes outranks a folded word of another:
     * "brás" is not the French "bras" */
    {"bacalhau à brás", NULL, "pt", 3, "pt", 0},
    /* One word of one language, alone, does */
    {"und Sopot?", "0 1", "de", 1, "de", 0},
    /* Arabic letters: only Arabic competes */
    {"سوبوت", "1", "ar", 0, NULL, 0},
    {"أين تقع سوبوت", "0 0 1", "ar", 2, "ar", 0},
    {"أين تقع المدينة Sopot", NULL, "ar", 3, "ar", 0},
    /* Words of languages the bot does not speak */
    {"What are the twin towns?", NULL, NULL, -1, NULL, 5},
    {"thanks", NULL, NULL, -1, NULL, 1},
    {"gracias por todo", NULL, NULL, -1, NULL, 2}, /* "por" is Portuguese too */
};

/* Fills name_langs from a row's mask. */
static void make_names(const row *r, const pa_tokens *t, unsigned *name_langs)
{
    memset(name_langs, 0, (t->count + 1) * sizeof *name_langs);
    if (!r->names)
        return;
    char mask[64];
    snprintf(mask, sizeof mask, "%s", r->names);
    size_t i = 0;
    for (char *w = strtok(mask, " "); w; w = strtok(NULL, " "), i++) {
        assert_true(i < t->count);
        if (!strcmp(w, "1")) {
            name_langs[i] = ~0u;
            continue;
        }
        for (char *code = w, *next; strcmp(w, "0") && code; code = next) {
            next = strchr(code, '+'); /* "fr+ar": a form of both */
            if (next)
                *next++ = '\0';
            name_langs[i] |= 1u << pa_snapshot_lang(snapshot, code);
        }
    }
    EXPECT_INT(r->text, "tokens in the names mask", i, t->count);
}

static const char *code(int lang)
{
    return lang >= 0 ? snapshot->k.locales[lang].code : NULL;
}

static void test_rows(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        const row *r = &rows[i];
        pa_tokens t;
        assert_int_equal(pa_text_tokenize(r->text, strlen(r->text), &t), 0);
        unsigned names[16];
        assert_true(t.count < sizeof names / sizeof *names);
        make_names(r, &t, names);
        pa_langid_result res = pa_langid_detect(snapshot->langid, &t, names);
        if (r->evidence >= 0) { /* -1: the guess does not matter */
            if (r->lang)
                EXPECT_STR(r->text, "guess", code(res.lang), r->lang);
            EXPECT_INT(r->text, "evidence", res.evidence, r->evidence);
        }
        EXPECT_STR(r->text, "clearly", code(res.clear), r->clear);
        EXPECT_INT(r->text, "foreign words", res.foreign, r->foreign);
        pa_tokens_free(&t);
    }
}

/* Arabic is written in Arabic letters; the Latin languages in Latin ones. */
static void test_scripts(void **state)
{
    (void)state;
    for (size_t l = 0; l < snapshot->k.n_locales; l++) {
        int arabic = !strcmp(snapshot->k.locales[l].code, "ar");
        EXPECT_INT(snapshot->k.locales[l].code, "writes Arabic",
                   pa_langid_writes(snapshot->langid, (int)l, PA_SCRIPT_ARABIC), arabic);
        EXPECT_INT(snapshot->k.locales[l].code, "writes Latin",
                   pa_langid_writes(snapshot->langid, (int)l, PA_SCRIPT_LATIN), !arabic);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows),
        cmocka_unit_test(test_scripts),
    };
    return cmocka_run_group_tests(tests, load, unload);
}

/* The whole understanding chain on the fixture knowledge (a frozen subset of
 * the bundled one, see tests/fixtures/README.md): normalization, names,
 * language identification, matching and fallback, in five languages.
 * Each row: question, widget hint, expected reply language, expected intent
 * (NULL: the fallback). These rows are not in the training examples. */
#include "unit.h"

#include "fixture.h"

#include "pa_dialog.h"

static pa_snapshot *snapshot;

static int load(void **state)
{
    (void)state;
    snapshot = load_fixture(FIXTURE_KNOWLEDGE);
    return snapshot ? 0 : -1;
}

static int unload(void **state)
{
    (void)state;
    pa_snapshot_free(snapshot);
    return 0;
}

typedef struct {
    const char *text, *hint, *lang, *intent;
} row;

static const row rows[] = {
    /* French: accents missing, elision, colloquial, typo */
    {"avec quelles villes colombes est elle jumelee", NULL, "fr", "twinning.partners"},
    {"c'est où frankental ?", NULL, "fr", "partner.frankenthal"},
    {"la cooperation decentralisee c'est quoi au juste", NULL, "fr", "cooperation.definition"},
    {"quels sont les domaines des projets de coopération ?", NULL, "fr", "cooperation.themes"},
    {"la météo à Sopot demain", NULL, "fr", NULL},
    /* German: compounds, umlauts typed as ae/oe/ue */
    {"Welche Partnerstaedte hat Colombes?", NULL, "de", "twinning.partners"},
    {"Seit wann gibt es Städtepartnerschaften überhaupt?", NULL, "de", "twinning.history"},
    {"Was ist eigentlich dezentrale Zusammenarbeit?", NULL, "de", "cooperation.definition"},
    {"Wie wird das Wetter morgen in Frankenthal?", NULL, "de", NULL},
    /* Polish: cases, no diacritics */
    {"Jakie miasta partnerskie ma Colombes?", NULL, "pl", "twinning.partners"},
    {"gdzie lezy Sopot", NULL, "pl", "partner.sopot"},
    {"opowiedz mi o współpracy z Tunezją", NULL, "pl", "partner.ras_jebel"},
    {"jaka będzie pogoda w Sopocie w weekend", NULL, "pl", NULL},
    /* Portuguese */
    {"quais sao as cidades geminadas com colombes", NULL, "pt", "twinning.partners"},
    {"fala-me de Viana do Castelo", NULL, "pt", "partner.viana_do_castelo"},
    {"o que e cooperacao descentralizada", NULL, "pt", "cooperation.definition"},
    {"qual é o melhor restaurante em Viana do Castelo", NULL, "pt", NULL},
    /* Arabic: MSA and colloquial, hamza and teh marbuta variants, proclitics */
    {"ما هي المدن التوأم لكولومب؟", NULL, "ar", "twinning.partners"},
    {"وين تقع سوبوت", NULL, "ar", "partner.sopot"},
    {"شنوة التعاون اللامركزي", NULL, "ar", "cooperation.definition"},
    /* Other towns (places.json): their twinnings are not Colombes'; a town
     * named beside Colombes or a partner changes nothing; a word that looks
     * like a town's name misspelt ("desde", Dresden) is a word */
    {"avec quelles villes Courbevoie est jumelée", NULL, "fr", NULL},
    {"mit welchen Städten ist Berlin verschwistert", NULL, "de", NULL},
    {"z jakimi miastami jest zaprzyjaźniona Warszawa", NULL, "pl", NULL},
    {"quais são as cidades geminadas de Lisboa", NULL, "pt", NULL},
    {"ما هي المدن التوأم لباريس", NULL, "ar", NULL},
    {"Colombes est jumelée avec Berlin ?", NULL, "fr", "twinning.partners"},
    {"Sopot, c'est où ? près de Berlin ?", NULL, "fr", "partner.sopot"},
    {"desde quando existem cidades geminadas", NULL, "pt", "twinning.history"},
    {"الطقس في سوبوت غدا", NULL, "ar", NULL},
    /* Naming a partner, words known only from the questions the bot does not
     * answer ask what its presentation does not say */
    {"des restos à Sopot", NULL, "fr", NULL},
    {"Konzerte in Frankenthal", NULL, "de", NULL},
    {"apteka w Sopocie", NULL, "pl", NULL},
    {"farmácia em Viana do Castelo", NULL, "pt", NULL},
    {"مطعم في سوبوت", NULL, "ar", NULL},
    /* ...and of any other intent */
    {"c'est quoi la météo de la coopération", NULL, "fr", NULL},
    /* Another town beside a partner: how the two relate is not said */
    {"c'est loin frankenthal de berlin ?", NULL, "fr", NULL},
    {"jak daleko z Berlina do Sopotu", NULL, "pl", NULL},
    {"j'étais à Berlin et on m'a parlé de Frankenthal, c'est jumelé avec Colombes ?", NULL, "fr",
     "partner.frankenthal"}, /* with Colombes: its partner */
    /* Words the knowledge lacks outweigh a shared "c'est quoi" */
    {"c'est quoi la difference entre un virus et une bacterie", NULL, "fr", NULL},
    /* A partner named by its country alone, when the words ask about it */
    {"Colombes a-t-elle une ville jumelle en Pologne ?", NULL, "fr", "partner.sopot"},
    {"hat Colombes eine Partnerstadt in Portugal?", NULL, "de", "partner.viana_do_castelo"},
    {"czy Colombes współpracuje z Tunezją", NULL, "pl", "partner.ras_jebel"},
    /* A bare name says no language: the hint decides; the script still does */
    {"Sopot?", "pl", "pl", "partner.sopot"},
    {"Sopot?", "de", "de", "partner.sopot"},
    {"سوبوت؟", "fr", "ar", "partner.sopot"},
    /* Chat abbreviations read as their words, and as their language's */
    {"le jumelage existe depuis qd ?", NULL, "fr", "twinning.history"},
    {"pq des jumelages ?", NULL, "fr", "twinning.history"},
    /* A yes or a no of another language does not change it */
    {"tak", "fr", "fr", NULL},
    {"não", "de", "de", NULL},
    /* The text beats the hint */
    {"Jakie miasta partnerskie ma Colombes?", "fr", "pl", "twinning.partners"},
};

static void test_rows(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        pa_session session;
        pa_session_init(&session);
        pa_reply r;
        assert_int_equal(
            pa_dialog_ask(snapshot, &session, rows[i].text, strlen(rows[i].text), rows[i].hint, &r),
            0);
        EXPECT_STR(rows[i].text, "lang", snapshot->k.locales[r.lang].code, rows[i].lang);
        EXPECT_STR(rows[i].text, "intent", r.intent >= 0 ? snapshot->k.intents[r.intent].id : NULL,
                   rows[i].intent);
        assert_true(r.confidence >= 0 && r.confidence <= 1);
        assert_non_null(r.text);
    }
}

/* Which questions get the message naming the languages the bot speaks:
 * those written in another language, even with words the bot's languages
 * share ("con", "do", "in"), and not a French one with an English word. */
static const struct {
    const char *text;
    int languages; /* 1: the languages message */
} other_languages[] = {
    {"¿Cuáles son las ciudades hermanadas con Colombes?", 1},
    {"how do i get a parking permit in colombes", 1},
    {"where is Viana do Castelo?", 1},
    {"Y a-t-il un train direct de Colombes à Frankenthal ?", 0},
    {"спасибо", 1}, /* letters none of the bot's languages writes */
    {"Ευχαριστώ πολύ", 1},
    {"2021", 0},
    {"quelles sont les villes jumelles de Colombes ?", 0},
    {"non", 0}, /* Italian too, but a no of one of the bot's languages */
    {"nee", 0},
};

static void test_other_languages(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof other_languages / sizeof *other_languages; i++) {
        const char *text = other_languages[i].text;
        pa_session session;
        pa_session_init(&session);
        pa_reply r;
        assert_int_equal(pa_dialog_ask(snapshot, &session, text, strlen(text), NULL, &r), 0);
        if ((r.kind == PA_REPLY_LANGUAGES) != other_languages[i].languages)
            fail_msg("%s: languages message %s", text,
                     other_languages[i].languages ? "expected" : "not expected");
    }
}

/* Follow-ups that only name another partner are read in the context of the
 * previous question of the same conversation. */
static const struct {
    const char *first, *second, *lang, *intent;
} follow_ups[] = {
    {"Parlez-moi de Frankenthal", "et Sopot ?", "fr", "partner.sopot"},
    {"Erzähl mir etwas über Sopot", "und in Portugal?", "de", "partner.viana_do_castelo"},
    {"Opowiedz mi o Frankenthal", "a w Tunezji?", "pl", "partner.ras_jebel"},
    /* ...as are those naming nothing, even when their words alone ask for
     * a general topic ("seit wann?" is how the history of twinning is
     * asked) */
    {"Erzähl mir etwas über Sopot", "seit wann?", "de", "partner.sopot"},
    /* ...a question about a topic is read as it stands... */
    {"Parlez-moi de Sopot", "c'est quoi la coopération décentralisée ?", "fr",
     "cooperation.definition"},
    /* ...and the follow-ups that ask what the knowledge lacks fall back */
    {"Parlez-moi de Sopot", "comment y aller ?", "fr", NULL},
    {"Erzähl mir etwas über Frankenthal", "wie komme ich dahin?", "de", NULL},
    {"Opowiedz mi o Sopocie", "ilu ma mieszkańców?", "pl", NULL},
};

static void test_follow_ups(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof follow_ups / sizeof *follow_ups; i++) {
        pa_session session;
        pa_session_init(&session);
        pa_reply r;
        assert_int_equal(pa_dialog_ask(snapshot, &session, follow_ups[i].first,
                                       strlen(follow_ups[i].first), NULL, &r),
                         0);
        assert_int_equal(pa_dialog_ask(snapshot, &session, follow_ups[i].second,
                                       strlen(follow_ups[i].second), NULL, &r),
                         0);
        EXPECT_STR(follow_ups[i].second, "lang", snapshot->k.locales[r.lang].code,
                   follow_ups[i].lang);
        EXPECT_STR(follow_ups[i].second, "intent",
                   r.intent >= 0 ? snapshot->k.intents[r.intent].id : NULL, follow_ups[i].intent);
    }
}

/* Forms of a word that must become one feature with the fixture's locale
 * settings: accents restored before stemming, articles stripped. */
static const struct {
    const char *lang;
    const char *forms[6];
} conflations[] = {
    {"pt", {"geminação", "geminacao", "geminações", "geminacoes", NULL}},
    {"pt", {"cooperação", "cooperacao", NULL}},
    {"fr", {"jumelée", "jumelee", "jumelées", NULL}},
    {"fr", {"coopération", "cooperation", "coopérations", NULL}},
    {"ar", {"التعاون", "تعاون", "والتعاون", NULL}},
    {"ar", {"المدينة", "مدينة", "المدينه", NULL}},
    {"de", {"Partnerstädte", "Partnerstaedte", NULL}},
    {"pl", {"współpraca", "wspolpracy", "współpracę", NULL}},
};

static void test_conflations(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof conflations / sizeof *conflations; i++) {
        int lang = pa_snapshot_lang(snapshot, conflations[i].lang);
        assert_true(lang >= 0);
        char first[128], other[128];
        pa_match_feature(snapshot->index, lang, conflations[i].forms[0], first, sizeof first);
        for (size_t k = 1; conflations[i].forms[k]; k++) {
            pa_match_feature(snapshot->index, lang, conflations[i].forms[k], other, sizeof other);
            EXPECT_STR(conflations[i].forms[k], conflations[i].lang, other, first);
        }
    }
}

/* A suggestion click answers in the hinted language with the intent itself. */
static void test_choose(void **state)
{
    (void)state;
    pa_session session;
    pa_session_init(&session);
    pa_reply r;
    int sopot = pa_snapshot_intent(snapshot, "partner.sopot");
    assert_true(sopot >= 0);
    pa_dialog_choose(snapshot, &session, sopot, "pt", &r);
    EXPECT_STR("choose", "lang", snapshot->k.locales[r.lang].code, "pt");
    EXPECT_INT("choose", "intent", r.intent, sopot);
    assert_true(r.n_suggestions > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows),
        cmocka_unit_test(test_follow_ups),
        cmocka_unit_test(test_other_languages),
        cmocka_unit_test(test_choose),
        cmocka_unit_test(test_conflations),
    };
    return cmocka_run_group_tests(tests, load, unload);
}

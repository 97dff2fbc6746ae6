/* Normalization and tokenization, in the five languages. */
#include "unit.h"

#include "pa_map.h"
#include "pa_text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Joined into a buffer of every size from none to more than enough: what
 * pa_text_fold gives, cut as snprintf cuts, and its whole length. */
static void test_join_into_buffer(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof fold_cases / sizeof *fold_cases; i++) {
        const char *in = fold_cases[i].input, *want = fold_cases[i].folded;
        pa_tokens t;
        assert_int_equal(pa_text_tokenize(in, strlen(in), &t), 0);
        for (size_t size = 0; size <= strlen(want) + 2; size++) {
            char out[64];
            memset(out, '#', sizeof out);
            EXPECT_INT(in, "joined length", (long)pa_text_join_folded_to(&t, out, size),
                       (long)strlen(want));
            if (size == 0) {
                EXPECT_INT(in, "untouched", out[0], '#');
                continue;
            }
            char cut[64];
            snprintf(cut, size, "%s", want);
            EXPECT_STR(in, "joined", out, cut);
        }
        pa_tokens_free(&t);
    }
}

/* 1 when two token lists hold the same tokens, each with the hash of its
 * folded form, which the maps of words are looked up with. */
static int same_tokens(const pa_tokens *a, const pa_tokens *b)
{
    if (a->count != b->count)
        return 0;
    for (size_t i = 0; i < a->count; i++)
        if (strcmp(a->items[i].surface, b->items[i].surface) ||
            strcmp(a->items[i].folded, b->items[i].folded) ||
            a->items[i].chars != b->items[i].chars || a->items[i].script != b->items[i].script ||
            a->items[i].hash != pa_map_hash(a->items[i].folded) ||
            b->items[i].hash != pa_map_hash(b->items[i].folded))
            return 0;
    return 1;
}

/* One tokenizer over every case, long and short texts in turn, and its
 * tokens copied into an arena: the same tokens as a list of their own. */
static void test_tokenizer_reuse(void **state)
{
    (void)state;
    pa_tokenizer z;
    pa_tokenizer_init(&z);
    pa_arena *arena = pa_arena_new();
    for (int round = 0; round < 2; round++) {
        for (size_t i = 0; i < sizeof fold_cases / sizeof *fold_cases; i++) {
            const char *in =
                fold_cases[round ? sizeof fold_cases / sizeof *fold_cases - 1 - i : i].input;
            pa_tokens alone, copy;
            assert_int_equal(pa_text_tokenize(in, strlen(in), &alone), 0);
            assert_int_equal(pa_tokenizer_run(&z, in, strlen(in)), 0);
            EXPECT_INT(in, "same tokens", same_tokens(&z.tokens, &alone), 1);
            pa_tokens_copy(&z.tokens, arena, &copy);
            EXPECT_INT(in, "same copy", same_tokens(&copy, &alone), 1);
            pa_tokens_free(&alone);
        }
    }
    EXPECT_INT("invalid", "run", pa_tokenizer_run(&z, "a\xff", 2), -1);
    EXPECT_INT("invalid", "count", (long)z.tokens.count, 0);
    pa_arena_free(arena);
    pa_tokenizer_clear(&z);
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

/* Fails unless both tokenizations of text are the same, token by token. */
static void expect_same_tokens(const char *label, const char *text, size_t len)
{
    pa_tokens fast, slow;
    int rf = pa_text_tokenize(text, len, &fast);
    int rs = pa_text_tokenize_by_utf8proc(text, len, &slow);
    EXPECT_INT(label, "status", rf, rs);
    EXPECT_INT(label, "tokens", fast.count, slow.count);
    for (size_t i = 0; i < fast.count && i < slow.count; i++) {
        EXPECT_STR(label, "surface", fast.items[i].surface, slow.items[i].surface);
        EXPECT_STR(label, "folded", fast.items[i].folded, slow.items[i].folded);
        EXPECT_INT(label, "chars", fast.items[i].chars, slow.items[i].chars);
        EXPECT_INT(label, "script", fast.items[i].script, slow.items[i].script);
        EXPECT_INT(label, "hash", fast.items[i].hash == pa_map_hash(fast.items[i].folded), 1);
        EXPECT_INT(label, "hash", slow.items[i].hash == pa_map_hash(slow.items[i].folded), 1);
    }
    pa_tokens_free(&fast);
    pa_tokens_free(&slow);
}

static size_t put_cp(uint32_t c, char *out)
{
    if (c < 0x80) {
        out[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        out[0] = (char)(0xC0 | (c >> 6));
        out[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    }
    out[0] = (char)(0xE0 | (c >> 12));
    out[1] = (char)(0x80 | ((c >> 6) & 0x3F));
    out[2] = (char)(0x80 | (c & 0x3F));
    return 3;
}

/* The table of common code points folds as utf8proc does: each code point
 * of the Latin, Arabic and punctuation blocks alone and between letters,
 * then random text mixing them with marks, which utf8proc folds in context. */
static void test_table_same_as_utf8proc(void **state)
{
    (void)state;
    static const uint32_t blocks[][2] = {
        {0x0001, 0x036F}, {0x0600, 0x06FF}, {0x1E00, 0x1EFF}, {0x2000, 0x206F}, {0xFB50, 0xFB60}};
    for (size_t b = 0; b < sizeof blocks / sizeof *blocks; b++) {
        for (uint32_t c = blocks[b][0]; c <= blocks[b][1]; c++) {
            char text[16], label[32];
            size_t n = put_cp('a', text);
            n += put_cp(c, text + n);
            n += put_cp('b', text + n);
            snprintf(label, sizeof label, "U+%04X", (unsigned)c);
            expect_same_tokens(label, text + 1, n - 2);
            expect_same_tokens(label, text, n);
        }
    }
    static const uint32_t pool[] = {'A',    'z',    ' ',    '\'',   '-',    '9',    0x00C9, 0x00DF,
                                    0x0130, 0x0141, 0x0142, 0x0153, 0x01C4, 0x0301, 0x0308, 0x0627,
                                    0x0623, 0x0654, 0x064E, 0x0640, 0x0629, 0x0661, 0x06CC, 0x2019,
                                    0x00A0, 0x200D, 0x1EA0, 0x017F, 0x0149, 0x00AD};
    unsigned seed = 20261202;
    for (int round = 0; round < 20000; round++) {
        char text[64];
        size_t n = 0, len = (size_t)(rand_r(&seed) % 8);
        for (size_t i = 0; i < len; i++)
            n += put_cp(pool[rand_r(&seed) % (sizeof pool / sizeof *pool)], text + n);
        text[n] = '\0';
        expect_same_tokens(text, text, n);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fold),
        cmocka_unit_test(test_join_into_buffer),
        cmocka_unit_test(test_tokenizer_reuse),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_surface_keeps_accents),
        cmocka_unit_test(test_distance),
        cmocka_unit_test(test_table_same_as_utf8proc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

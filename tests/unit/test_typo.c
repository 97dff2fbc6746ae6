/* The edit-neighbourhood index: what it finds is exactly what comparing the
 * word with every listed word finds, in the list's order. */
#include "unit.h"

#include "pa_text.h"
#include "pa_typo.h"

#include <stdio.h>
#include <stdlib.h>

static const char *const words[] = {
    "sopot",
    "sopocie",
    "frankenthal",
    "viana",
    "castelo",
    "jumelage",
    "jumelages",
    "partenaire",
    "partenariat",
    "was",
    "wall",
    "dass",
    "das",
    "współpraca",
    "współpracy",
    "miasto",
    "miasta",
    "تعاون",
    "توأمة",
    "مدينة",
    "geminação",
    "geminacao",
    "cooperação",
    "ab",
    "",
    "a",
    "jebel",
    "djebel",
    "partnerschaftsvereinbarungen",
    "städtepartnerschaftskomitees", /* longer than the indexed length */
};
enum { N_WORDS = sizeof words / sizeof words[0] };

/* Each row: a query, the most edits, the words expected in the list's order
 * with their distances ("word:distance", NULL-terminated). */
static const struct {
    const char *query;
    int max;
    const char *expect[6];
} rows[] = {
    {"sopot", 0, {"sopot:0", NULL}},
    {"soppot", 1, {"sopot:1", NULL}},
    {"sopto", 1, {"sopot:1", NULL}}, /* a swap is one edit */
    {"sopocei", 2, {"sopocie:1", NULL}},
    {"frankentall", 2, {"frankenthal:2", NULL}},
    {"frankentall", 1, {NULL}},
    {"wass", 1, {"was:1", "dass:1", NULL}},
    {"jumelage", 1, {"jumelage:0", "jumelages:1", NULL}},
    {"wspolpraca", 2, {"współpraca:2", NULL}}, /* accents are letters too */
    {"miastu", 1, {"miasto:1", "miasta:1", NULL}},
    {"تعاوون", 1, {"تعاون:1", NULL}},
    {"توامة", 1, {"توأمة:1", NULL}},
    {"geminacão", 1, {"geminação:1", "geminacao:1", NULL}},
    {"ba", 2, {"was:2", "das:2", "ab:1", ":2", "a:1", NULL}}, /* "": two deletions */
    {"partnerschaftsvereinbarung", 2, {"partnerschaftsvereinbarungen:2", NULL}},
    {"stadtepartnerschaftskomitees", 2, {"städtepartnerschaftskomitees:1", NULL}},
    {"stadtepartnerschaftskomit", 2, {NULL}}, /* a long word's length still counts */
    {"xyzzy", 2, {NULL}},
    {"", 1, {":0", "a:1", NULL}},
};

static void check_row(size_t r, const pa_typo_index *ix)
{
    char label[64];
    snprintf(label, sizeof label, "row %zu (%s)", r, rows[r].query);
    pa_typo_match got[PA_TYPO_MAX_MATCHES];
    size_t n = pa_typo_find(ix, rows[r].query, rows[r].max, got, PA_TYPO_MAX_MATCHES);
    size_t want = 0;
    while (rows[r].expect[want])
        want++;
    EXPECT_INT(label, "matches", n, want);
    for (size_t i = 0; i < n && i < want; i++) {
        char text[96];
        snprintf(text, sizeof text, "%s:%d", words[got[i].word], got[i].distance);
        EXPECT_STR(label, "match", text, rows[r].expect[i]);
    }
}

static void test_rows(void **state)
{
    (void)state;
    pa_typo_index *ix = pa_typo_build(words, N_WORDS, PA_TYPO_MAX_EDITS);
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++)
        check_row(r, ix);
    pa_typo_free(ix);
}

/* A random word over a small alphabet (ASCII and two-byte letters), so that
 * random words are often a few edits apart. */
static void random_word(unsigned *seed, char *out, size_t size)
{
    static const char *const letters[] = {"a", "b", "c", "ł", "ó", "e"};
    size_t len = (size_t)(rand_r(seed) % 12), at = 0;
    for (size_t i = 0; i < len && at + 3 < size; i++) {
        const char *l = letters[rand_r(seed) % 6];
        size_t n = strlen(l);
        memcpy(out + at, l, n);
        at += n;
    }
    out[at] = '\0';
}

/* Against the scan it replaces: every word within max edits, in order, for
 * an index of two edits and one of one (which answers at most one); built
 * in one pass, and with so little room for the entries on their way that
 * they are laid out a few buckets at a time (a part alone beyond it too). */
static void test_same_as_scan(void **state)
{
    (void)state;
    static const size_t pending_room[] = {PA_TYPO_PENDING_MAX_BYTES, 4096, 1};
    enum { LIST = 400, QUERIES = 2000, WORD = 40 };
    static char storage[LIST][WORD];
    const char *list[LIST];
    unsigned seed = 20261202;
    for (size_t i = 0; i < LIST; i++) {
        random_word(&seed, storage[i], WORD);
        list[i] = storage[i];
    }
    for (size_t build = 0; build < PA_TYPO_MAX_EDITS * sizeof pending_room / sizeof *pending_room;
         build++) {
        int edits = 1 + (int)(build % PA_TYPO_MAX_EDITS);
        size_t room = pending_room[build / PA_TYPO_MAX_EDITS];
        pa_typo_index *ix = pa_typo_build_within(list, LIST, edits, room);
        for (int q = 0; q < QUERIES; q++) {
            char query[WORD];
            random_word(&seed, query, sizeof query);
            int asked = q % (PA_TYPO_MAX_EDITS + 1), max = asked < edits ? asked : edits;
            pa_typo_match got[LIST];
            size_t n = pa_typo_find(ix, query, asked, got, LIST);
            size_t k = 0;
            char label[128];
            snprintf(label, sizeof label, "index of %d edits (room %zu), query \"%s\", max %d",
                     edits, room, query, asked);
            for (size_t i = 0; i < LIST; i++) {
                int d = pa_text_distance(query, list[i], max);
                if (d > max)
                    continue;
                if (k >= n) {
                    EXPECT_STR(label, "missing", list[i], "(found)");
                    break;
                }
                EXPECT_INT(label, "word", got[k].word, i);
                EXPECT_INT(label, "distance", got[k].distance, d);
                k++;
            }
            EXPECT_INT(label, "count", n, k);
        }
        pa_typo_free(ix);
    }
}

static void test_empty_list(void **state)
{
    (void)state;
    pa_typo_index *ix = pa_typo_build(NULL, 0, 1);
    pa_typo_match got[4];
    EXPECT_INT("empty", "matches", pa_typo_find(ix, "sopot", 2, got, 4), 0);
    pa_typo_free(ix);
    pa_typo_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows),
        cmocka_unit_test(test_same_as_scan),
        cmocka_unit_test(test_empty_list),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* pa_diag and pa_diag_catalog: the problems a loader reports, their codes,
 * lines and messages, written in the staff's language from the catalogs of
 * locales/staff/. */
#include "unit.h"

#include "pa_diag.h"
#include "pa_diag_catalog.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static const struct {
    const char *key, *args;
} texts[] = {
#define PA_X(key, args) {key, args},
    PA_DIAG_TERMS(PA_X)
#undef PA_X
};

static pa_diag_catalog *bundled(const char *lang)
{
    char path[1024], err[PA_DIAG_CATALOG_ERROR_MAX];
    snprintf(path, sizeof path, "%s/locales/staff/check.%s.json", PASSERELLE_SOURCE_DIR, lang);
    pa_diag_catalog *cat = pa_diag_catalog_load(path, err);
    if (!cat) {
        print_error("%s: %s\n", path, err);
        fail();
    }
    return cat;
}

static void test_code_names(void **state)
{
    (void)state;
    for (int a = 0; a < PA_DIAG_CODE_END; a++) {
        const char *name = pa_diag_code_name(a);
        assert_true(strlen(name) > 0);
        for (const char *p = name; *p; p++) /* stable, tool-friendly names */
            assert_true((*p >= 'a' && *p <= 'z') || *p == '_');
        for (int b = a + 1; b < PA_DIAG_CODE_END; b++)
            assert_string_not_equal(name, pa_diag_code_name(b));
    }
    EXPECT_STR("out of range", "name", pa_diag_code_name(PA_DIAG_CODE_END), "");
    EXPECT_STR("unknown_key", "name", pa_diag_code_name(PA_DIAG_UNKNOWN_KEY), "unknown_key");
    /* every message has a unique id and a code */
    for (int a = 0; a < PA_DM_END; a++) {
        assert_true(strlen(pa_diag_msg_id(a)) > 0);
        assert_true(pa_diag_msg_code(a) < PA_DIAG_CODE_END);
        for (int b = a + 1; b < PA_DM_END; b++)
            assert_string_not_equal(pa_diag_msg_id(a), pa_diag_msg_id(b));
    }
    EXPECT_INT("out of range", "code", pa_diag_msg_code(PA_DM_END), PA_DIAG_CODE_END);
    EXPECT_INT("duplicate_id", "code", pa_diag_msg_code(PA_DM_DUPLICATE_ID), PA_DIAG_DUPLICATE_ID);
}

/* 1 when the word name is in the space-separated list. */
static int listed(const char *list, const char *name, size_t n)
{
    for (const char *p = list; *p;) {
        size_t k = strcspn(p, " ");
        if (k == n && !strncmp(p, name, n))
            return 1;
        p += k + (p[k] == ' ');
    }
    return 0;
}

/* Every {placeholder} of text is one of the names of allowed (or, for a
 * term, of any message: it is written inside one). */
static void check_placeholders(const char *lang, const char *key, const char *text,
                               const char *allowed, int any_message)
{
    for (const char *p = strchr(text, '{'); p; p = strchr(p + 1, '{')) {
        size_t n = 0;
        while ((p[1 + n] >= 'a' && p[1 + n] <= 'z') || p[1 + n] == '_')
            n++;
        if (n == 0 || p[1 + n] != '}')
            continue; /* JSON shown in the text: {"ae": "ä"} */
        int ok = listed(allowed, p + 1, n);
        for (int m = 0; any_message && !ok && m < PA_DM_END; m++)
            ok = listed(pa_diag_msg_args(m), p + 1, n);
        if (!ok) {
            print_error("%s: %s: unknown placeholder {%.*s}\n", lang, key, (int)n, p + 1);
            fail();
        }
    }
}

/* Both catalogs have a text for every message and every other text, with
 * no placeholder the message does not give: nothing falls back to an id. */
static void test_catalogs_complete(void **state)
{
    (void)state;
    const char *langs[] = {"fr", "en"};
    for (size_t l = 0; l < 2; l++) {
        pa_diag_catalog *cat = bundled(langs[l]);
        for (int m = 0; m < PA_DM_END; m++) {
            const char *text = pa_diag_catalog_text(cat, pa_diag_msg_id(m));
            if (!text) {
                print_error("%s: no text for message %s\n", langs[l], pa_diag_msg_id(m));
                fail();
            }
            check_placeholders(langs[l], pa_diag_msg_id(m), text, pa_diag_msg_args(m), 0);
        }
        for (size_t t = 0; t < sizeof texts / sizeof *texts; t++) {
            const char *text = pa_diag_catalog_text(cat, texts[t].key);
            if (!text) {
                print_error("%s: no text for %s\n", langs[l], texts[t].key);
                fail();
            }
            check_placeholders(langs[l], texts[t].key, text, texts[t].args, 1);
        }
        pa_diag_catalog_free(cat);
    }
}

typedef struct {
    pa_diag_severity severity;
    pa_diag_msg msg;
    const char *source;
    int line, column;
    pa_diag_arg args[4];
    size_t n_args;
    const char *fr, *en, *raw; /* the line in French, in English, without catalog */
} row;

static const row rows[] = {
    {PA_DIAG_ERROR,
     PA_DM_UNKNOWN_KEY,
     "intents/a.json",
     4,
     3,
     {PA_TEXT("key", "lable"), PA_TEXT("allowed", "id, label")},
     2,
     "intents/a.json:4:3: clé inconnue \"lable\" (clés possibles ici : id, label) : corrigez son "
     "orthographe, ou retirez-la",
     "intents/a.json:4:3: unknown key \"lable\" (allowed here: id, label)",
     "intents/a.json:4:3: unknown_key (key=\"lable\", allowed=\"id, label\")"},
    {PA_DIAG_WARNING,
     PA_DM_CONFUSABLE,
     "intents/b.json",
     12,
     7,
     {PA_TEXT("example", "salut à tous"), PA_TEXT("other", "salut tous"),
      PA_TEXT("intent", "demo.hello"), PA_TEXT("where", "intents/h.json:11:7")},
     4,
     "intents/b.json:12:7: attention : l’exemple « salut à tous » ressemble presque mot pour mot "
     "à « salut tous », de l’intention demo.hello (intents/h.json:11:7) : le chatbot risque de "
     "confondre les deux intentions ; déplacez ou reformulez l’un des deux",
     "intents/b.json:12:7: warning: example \"salut à tous\" is nearly the same as \"salut tous\" "
     "of intent \"demo.hello\" (intents/h.json:11:7); the two intents may be confused",
     "intents/b.json:12:7: warning: confusable (example=\"salut à tous\", other=\"salut tous\", "
     "intent=\"demo.hello\", where=\"intents/h.json:11:7\")"},
    {PA_DIAG_ERROR,
     PA_DM_CANNOT_READ,
     "locales",
     0,
     0,
     {{0}},
     0,
     "locales: impossible de lire ce fichier : vérifiez qu’il existe et que vous avez le droit de "
     "le lire",
     "locales: cannot read the file",
     "locales: cannot_read"},
    /* a term, and a number */
    {PA_DIAG_ERROR,
     PA_DM_TEXT_TOO_LONG,
     "f.json",
     20,
     11,
     {PA_TERM("what", "term.answer"), PA_NUM("chars", 832), PA_NUM("max", 800)},
     3,
     "f.json:20:11: la réponse compte 832 caractères, pour une limite de 800 : raccourcissez ce "
     "texte",
     "f.json:20:11: the answer is 832 characters long; the limit is 800",
     "f.json:20:11: text.too_long (what=term.answer, chars=\"832\", max=\"800\")"},
    /* a term whose own text has a placeholder of the message */
    {PA_DIAG_ERROR,
     PA_DM_SYNTAX_EXPECTED_BRACKET,
     "f.json",
     43,
     48,
     {PA_TERM("near", "near.token"), PA_TEXT("token", "\"dans")},
     2,
     "f.json:43:48: il manque un ] (près de « \"dans ») : ajoutez la virgule qui manque sans "
     "doute à la fin de la ligne précédente, ou fermez la liste par ]",
     "f.json:43:48: ']' expected near '\"dans'",
     "f.json:43:48: syntax.expected_bracket (near=near.token, token=\"\"dans\")"},
    /* a text that shows JSON keeps its braces */
    {PA_DIAG_ERROR,
     PA_DM_WRONG_TYPE,
     "l.json",
     9,
     5,
     {PA_TEXT("key", "respell"), PA_TERM("type", "type.respell_table")},
     2,
     "l.json:9:5: \"respell\" doit être un groupe comme {\"ae\": \"ä\"}",
     "l.json:9:5: \"respell\" must be an object such as {\"ae\": \"ä\"}",
     "l.json:9:5: wrong_type (key=\"respell\", type=type.respell_table)"},
    {PA_DIAG_ERROR,
     PA_DM_NO_INTENT_FILES,
     NULL,
     0,
     0,
     {{0}},
     0,
     ": aucun fichier d’intention (*.json) dans ce dossier : vérifiez le nom du dossier donné à "
     "--intents",
     ": no intent files (*.json) in this folder",
     ": no_intent_files"},
};

static void test_report_and_format(void **state)
{
    (void)state;
    pa_diag_catalog *fr = bundled("fr"), *en = bundled("en");
    pa_diag d;
    pa_diag_init(&d);
    size_t n = sizeof rows / sizeof *rows;
    for (size_t i = 0; i < n; i++)
        pa_diag_report(&d, rows[i].severity, rows[i].msg, rows[i].source, rows[i].line,
                       rows[i].column, rows[i].args, rows[i].n_args);
    EXPECT_INT("count", "items", d.count, n);
    EXPECT_INT("count", "errors", d.errors, n - 1);
    EXPECT_INT("count", "warnings", d.warnings, 1);
    for (size_t i = 0; i < n; i++) {
        char line[PA_DIAG_SOURCE_MAX + PA_DIAG_TEXT_MAX + 32];
        const char *id = pa_diag_msg_id(rows[i].msg);
        pa_diag_format(&d.items[i], fr, line, sizeof line);
        EXPECT_STR(id, "fr", line, rows[i].fr);
        pa_diag_format(&d.items[i], en, line, sizeof line);
        EXPECT_STR(id, "en", line, rows[i].en);
        pa_diag_format(&d.items[i], NULL, line, sizeof line);
        EXPECT_STR(id, "without catalog", line, rows[i].raw);
        EXPECT_INT(id, "code", d.items[i].code, pa_diag_msg_code(rows[i].msg));
    }
    /* printed in the order added, one per line */
    char *printed = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&printed, &size);
    pa_diag_print(&d, en, out);
    fclose(out);
    char want[4096] = "";
    for (size_t i = 0; i < n; i++)
        snprintf(want + strlen(want), sizeof want - strlen(want), "%s\n", rows[i].en);
    EXPECT_STR("print", "text", printed, want);
    free(printed);
    pa_diag_clear(&d);
    EXPECT_INT("clear", "items", d.count, 0);
    EXPECT_INT("clear", "errors", d.errors, 0);
    pa_diag_catalog_free(fr);
    pa_diag_catalog_free(en);
}

/* jansson's parse errors become the messages that explain them. */
static const struct {
    const char *json;
    pa_diag_msg msg;
    const char *en;
} json_rows[] = {
    {"{\"a\": [\"x\" \"y\"]}", PA_DM_SYNTAX_EXPECTED_BRACKET, "f:1:14: ']' expected near '\"y\"'"},
    {"{\"a\": 1 \"b\": 2}", PA_DM_SYNTAX_EXPECTED_BRACE, "f:1:11: '}' expected near '\"b\"'"},
    {"{\"a\" 1}", PA_DM_SYNTAX_EXPECTED_COLON, "f:1:6: ':' expected near '1'"},
    {"{\"a\": 1,}", PA_DM_SYNTAX_EXPECTED_KEY, "f:1:9: string or '}' expected near '}'"},
    {"", PA_DM_SYNTAX_EXPECTED_OBJECT, "f:1:1: '[' or '{' expected near end of file"},
    {"{} x", PA_DM_SYNTAX_EXPECTED_END, "f:1:4: end of file expected near 'x'"},
    {"{\"a\": [1,]}", PA_DM_SYNTAX_UNEXPECTED_TOKEN, "f:1:10: unexpected token near ']'"},
    {"{\"a\": 'x'}", PA_DM_SYNTAX_INVALID_TOKEN, "f:1:7: invalid token near '''"},
    {"{\"a\": \"x\n\"}", PA_DM_SYNTAX_NEWLINE, "f:1:8: unexpected newline near '\"x'"},
    {"{\"a\": \"x\ty\"}", PA_DM_SYNTAX_CONTROL, "f:1:8: control character 0x9 near '\"x'"},
    {"{\"a\": \"\\s\"}", PA_DM_SYNTAX_ESCAPE, "f:1:9: invalid escape near '\"\\s'"},
    {"{\"a\": \"\\u0000\"}", PA_DM_SYNTAX_NUL, "f:1:14: \\u0000 is not allowed near '\"\\u0000\"'"},
    {"{\"a\": \"\xff\"}", PA_DM_SYNTAX_ENCODING, "f:1:7: unable to decode byte 0xff near '\"'"},
    {"{\"a\": 1, \"a\": 2}", PA_DM_SYNTAX_DUPLICATE_KEY,
     "f:1:12: duplicate object key near '\"a\"'"},
    {"{\"a\": [1", PA_DM_SYNTAX_EXPECTED_BRACKET, "f:1:8: ']' expected near end of file"},
};

static void test_json_errors(void **state)
{
    (void)state;
    pa_diag_catalog *en = bundled("en"), *fr = bundled("fr");
    for (size_t i = 0; i < sizeof json_rows / sizeof *json_rows; i++) {
        json_error_t err;
        json_t *v = json_loads(json_rows[i].json, JSON_REJECT_DUPLICATES, &err);
        assert_null(v);
        pa_diag d;
        pa_diag_init(&d);
        pa_diag_json_error(&d, "f", 0, &err);
        EXPECT_INT(json_rows[i].json, "count", d.count, 1);
        EXPECT_INT(json_rows[i].json, "message", d.items[0].msg, json_rows[i].msg);
        EXPECT_INT(json_rows[i].json, "code", d.items[0].code, PA_DIAG_SYNTAX);
        char line[PA_DIAG_SOURCE_MAX + PA_DIAG_TEXT_MAX + 32];
        pa_diag_format(&d.items[0], en, line, sizeof line);
        EXPECT_STR(json_rows[i].json, "en", line, json_rows[i].en);
        /* the French says the same place, in French */
        pa_diag_format(&d.items[0], fr, line, sizeof line);
        assert_true(!strncmp(line, json_rows[i].en, strcspn(json_rows[i].en, " ")));
        assert_null(strstr(line, "expected"));
        pa_diag_clear(&d);
    }
    /* a line of a file read line by line keeps its number */
    json_error_t err;
    assert_null(json_loads("{\"a\" 1}", 0, &err));
    pa_diag d;
    pa_diag_init(&d);
    pa_diag_json_error(&d, "set.jsonl", 41, &err);
    EXPECT_INT("line offset", "line", d.items[0].line, 42);
    pa_diag_clear(&d);
    pa_diag_catalog_free(en);
    pa_diag_catalog_free(fr);
}

/* Long values are cut on a character's boundary, never overflowed; a NULL
 * list takes nothing. */
static void test_limits(void **state)
{
    (void)state;
    char long_text[PA_DIAG_ARG_VALUE_MAX * 2 + 1];
    for (size_t i = 0; i + 2 < sizeof long_text; i += 2)
        memcpy(long_text + i, "é", 2); /* 2 bytes each: the cut falls inside one */
    long_text[sizeof long_text - 1] = '\0';
    long_text[sizeof long_text - 2] = 'x';
    pa_diag d;
    pa_diag_init(&d);
    for (int i = 0; i < 100; i++) /* past the first growth */
        pa_diag_report(&d, PA_DIAG_ERROR, PA_DM_UNKNOWN_KEY, "f", i + 1, 1,
                       PA_DIAG_ARGS(PA_TEXT("key", long_text), PA_TEXT("allowed", "id")));
    EXPECT_INT("many", "count", d.count, 100);
    EXPECT_INT("many", "last line", d.items[99].line, 100);
    size_t kept = strlen(d.items[0].args[0].value);
    assert_true(kept < PA_DIAG_ARG_VALUE_MAX && kept >= PA_DIAG_ARG_VALUE_MAX - 2);
    EXPECT_INT("cut", "even", kept % 2, 0); /* whole characters only */
    char small[16];
    pa_diag_message(&d.items[0], NULL, small, sizeof small);
    EXPECT_STR("small buffer", "text", small, "unknown_key (ke");
    pa_diag_clear(&d);
    pa_diag_report(NULL, PA_DIAG_ERROR, PA_DM_CANNOT_READ, "f", 1, 1, NULL, 0);
    pa_diag_clear(NULL);
}

/* --lang, else LC_ALL, LC_MESSAGES, LANG in this order; French by default. */
static const struct {
    const char *flag, *lc_all, *lc_messages, *lang, *want;
} lang_rows[] = {
    {NULL, NULL, NULL, NULL, "fr"},
    {NULL, NULL, NULL, "en_US.UTF-8", "en"},
    {NULL, NULL, NULL, "fr_FR.UTF-8", "fr"},
    {NULL, NULL, NULL, "C.UTF-8", "fr"},
    {NULL, NULL, "en_GB.UTF-8", "fr_FR.UTF-8", "en"},
    {NULL, "fr_FR.UTF-8", "en_GB.UTF-8", "en_US.UTF-8", "fr"},
    {NULL, "", "", "en", "en"}, /* empty variables do not count */
    {NULL, "de_DE.UTF-8", NULL, "en_US.UTF-8", "fr"},
    {"en", "fr_FR.UTF-8", NULL, NULL, "en"},
    {"fr", NULL, NULL, "en_US.UTF-8", "fr"},
    {"de", NULL, NULL, NULL, NULL},
    {"", NULL, NULL, NULL, NULL},
};

static void test_staff_lang(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof lang_rows / sizeof *lang_rows; i++) {
        char row_name[128];
        snprintf(row_name, sizeof row_name, "flag %s, LC_ALL %s, LC_MESSAGES %s, LANG %s",
                 lang_rows[i].flag ? lang_rows[i].flag : "-",
                 lang_rows[i].lc_all ? lang_rows[i].lc_all : "-",
                 lang_rows[i].lc_messages ? lang_rows[i].lc_messages : "-",
                 lang_rows[i].lang ? lang_rows[i].lang : "-");
        EXPECT_STR(row_name, "language",
                   pa_diag_staff_lang(lang_rows[i].flag, lang_rows[i].lc_all,
                                      lang_rows[i].lc_messages, lang_rows[i].lang),
                   lang_rows[i].want);
    }
}

/* A catalog that cannot be used is refused with its reason; the messages are
 * then written by their ids, and a catalog lacking a text does the same for
 * that one only. */
static void test_broken_catalogs(void **state)
{
    (void)state;
    static const struct {
        const char *content, *reason;
    } broken[] = {
        {NULL, "unable to open"},
        {"{\"cannot_read\": \"x\",", "1:"},
        {"[\"cannot_read\"]", "not one JSON object"},
        {"{\"cannot_read\": 3}", "\"cannot_read\" is not a text"},
    };
    char dir[] = "/tmp/test_diag.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[64];
    snprintf(path, sizeof path, "%s/check.fr.json", dir);
    for (size_t i = 0; i < sizeof broken / sizeof *broken; i++) {
        unlink(path);
        if (broken[i].content) {
            FILE *f = fopen(path, "w");
            fputs(broken[i].content, f);
            fclose(f);
        }
        char err[PA_DIAG_CATALOG_ERROR_MAX] = "";
        assert_null(pa_diag_catalog_load(path, err));
        if (!strstr(err, broken[i].reason)) {
            print_error("%s: reason \"%s\", expected it to say \"%s\"\n",
                        broken[i].content ? broken[i].content : "(no file)", err, broken[i].reason);
            fail();
        }
    }
    FILE *f = fopen(path, "w");
    fputs("{\"$comment\": \"notes\", \"cannot_read\": \"illisible\"}", f);
    fclose(f);
    pa_diag_catalog *cat = pa_diag_catalog_load(path, NULL);
    assert_non_null(cat);
    EXPECT_STR("note", "text", pa_diag_catalog_text(cat, "$comment"), NULL);
    pa_diag d;
    pa_diag_init(&d);
    pa_diag_report(&d, PA_DIAG_ERROR, PA_DM_CANNOT_READ, "a", 0, 0, NULL, 0);
    pa_diag_report(&d, PA_DIAG_WARNING, PA_DM_MISSING_KEY, "b", 1, 2,
                   PA_DIAG_ARGS(PA_TEXT("key", "id")));
    char line[256];
    pa_diag_format(&d.items[0], cat, line, sizeof line);
    EXPECT_STR("present", "line", line, "a: illisible");
    pa_diag_format(&d.items[1], cat, line, sizeof line);
    EXPECT_STR("absent", "line", line, "b:1:2: warning: missing_key (key=\"id\")");
    pa_diag_clear(&d);
    pa_diag_catalog_free(cat);
    pa_diag_catalog_free(NULL);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_code_names),
        cmocka_unit_test(test_catalogs_complete),
        cmocka_unit_test(test_report_and_format),
        cmocka_unit_test(test_json_errors),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_staff_lang),
        cmocka_unit_test(test_broken_catalogs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

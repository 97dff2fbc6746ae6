/* A reload builds only the languages an edit touched (pa_index_build's
 * reuse): one edit per row on a copy of the fixture knowledge, then the
 * snapshot built reusing the one before it must answer every question of
 * three evaluation sets exactly as a snapshot built from nothing, and have
 * built no more languages than the edit touched.
 *
 * The snapshot reused is freed before any question is asked, and the
 * languages shared are held only through pa_index_languages, as the reload
 * thread holds them: a shared part freed too early is a use after free that
 * the sanitizers see. */
#include "unit.h"

#include "pa_dialog.h"
#include "pa_match.h"
#include "pa_snapshot.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct {
    const char *what;
    const char *edit; /* a shell command run in the copy's folder; "" for none */
    size_t rebuilt;   /* languages the reload must build */
} row;

static const row rows[] = {
    {"nothing changed", "", 0},
    {"an answer reworded",
     "sed -i 's/est l’une des trois villes jumelles/est une des trois villes jumelles/' "
     "intents/partner/sopot.json",
     0},
    {"a French example added",
     "sed -i 's/\"parle-moi de frankenthal\",/\"parle-moi de frankenthal\", \"raconte-moi "
     "frankenthal\",/' intents/partner/frankenthal.json",
     1},
    {"a Polish stopword added",
     "sed -i '0,/\"stopwords\": \\[/s//\"stopwords\": [ \"zaiste\",/' "
     "locales/pl.json",
     1},
    {"a name variant added",
     "sed -i '0,/\"frankental\",/s//\"frankental\", \"frankentall\",/' intents/names.json", 5},
    {"an intent removed", "rm intents/twinning/history.json", 5},
};

typedef struct {
    char *text, *hint;
} question;

static char dir[64];
static question *questions;
static size_t n_questions;

static void run(const char *cmd)
{
    assert_int_equal(system(cmd), 0);
}

static void read_set(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/tests/eval/%s", PASSERELLE_SOURCE_DIR, name);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[8192];
    while (fgets(line, sizeof line, f)) {
        json_t *q = json_loads(line, 0, NULL);
        assert_non_null(q);
        const char *hint = json_string_value(json_object_get(q, "hint"));
        questions = realloc(questions, (n_questions + 1) * sizeof *questions);
        assert_non_null(questions);
        questions[n_questions].text = strdup(json_string_value(json_object_get(q, "text")));
        questions[n_questions++].hint = hint ? strdup(hint) : NULL;
        json_decref(q);
    }
    fclose(f);
}

static int set_up(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/passerelle-reuse-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "cp -R '%s/tests/fixtures/knowledge/intents' "
             "'%s/tests/fixtures/knowledge/locales' '%s/'",
             PASSERELLE_SOURCE_DIR, PASSERELLE_SOURCE_DIR, dir);
    if (system(cmd) != 0)
        return -1;
    read_set("tuning.jsonl");
    read_set("unrelated-dev.jsonl");
    read_set("hinted.jsonl");
    return 0;
}

static int tear_down(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    for (size_t i = 0; i < n_questions; i++) {
        free(questions[i].text);
        free(questions[i].hint);
    }
    free(questions);
    return system(cmd) == 0 ? 0 : -1;
}

static pa_snapshot *load(const pa_index *reuse)
{
    char intents[128], locales[128];
    snprintf(intents, sizeof intents, "%s/intents", dir);
    snprintf(locales, sizeof locales, "%s/locales", dir);
    pa_snapshot *s = pa_snapshot_load_reusing(intents, locales, NULL, reuse);
    assert_non_null(s);
    return s;
}

/* Fails unless both snapshots give every question the same reply. */
static void expect_same_replies(const char *what, const pa_snapshot *a, const pa_snapshot *b)
{
    for (size_t i = 0; i < n_questions; i++) {
        const question *q = &questions[i];
        pa_session sa, sb;
        pa_session_init(&sa);
        pa_session_init(&sb);
        pa_reply ra, rb;
        size_t len = strlen(q->text);
        EXPECT_INT(q->text, what, pa_dialog_ask(a, &sa, q->text, len, q->hint, &ra),
                   pa_dialog_ask(b, &sb, q->text, len, q->hint, &rb));
        EXPECT_INT(q->text, "kind", ra.kind, rb.kind);
        EXPECT_INT(q->text, "lang", ra.lang, rb.lang);
        EXPECT_INT(q->text, "intent", ra.intent, rb.intent);
        EXPECT_INT(q->text, "same confidence", ra.confidence == rb.confidence, 1);
        EXPECT_STR(q->text, "text", ra.text, rb.text);
        EXPECT_INT(q->text, "suggestions", ra.n_suggestions, rb.n_suggestions);
        for (size_t s = 0; s < ra.n_suggestions && s < rb.n_suggestions; s++)
            EXPECT_INT(q->text, "suggestion", ra.suggestions[s], rb.suggestions[s]);
        EXPECT_INT(q->text, "candidates", ra.match.n_top, rb.match.n_top);
        for (size_t c = 0; c < ra.match.n_top && c < rb.match.n_top; c++) {
            EXPECT_INT(q->text, "candidate", ra.match.top[c].intent, rb.match.top[c].intent);
            EXPECT_INT(q->text, "same score", ra.match.top[c].score == rb.match.top[c].score, 1);
        }
    }
}

static void test_reload_builds_what_changed(void **state)
{
    (void)state;
    pa_snapshot *before = load(NULL);
    size_t n_langs = before->k.n_locales;
    for (size_t r = 0; r < sizeof rows / sizeof *rows; r++) {
        char cmd[1024];
        if (*rows[r].edit) {
            snprintf(cmd, sizeof cmd, "cd '%s' && %s", dir, rows[r].edit);
            run(cmd);
        }
        pa_index *held = pa_index_languages(before->index);
        pa_snapshot_free(before);
        pa_snapshot *reloaded = load(held);
        pa_index_free(held);
        pa_snapshot *fresh = load(NULL);
        EXPECT_INT(rows[r].what, "languages rebuilt", n_langs - pa_index_reused(reloaded->index),
                   rows[r].rebuilt);
        EXPECT_INT(rows[r].what, "built from nothing", pa_index_reused(fresh->index), 0);
        expect_same_replies(rows[r].what, reloaded, fresh);
        pa_snapshot_free(fresh);
        before = reloaded;
    }
    pa_snapshot_free(before);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_reload_builds_what_changed, set_up, tear_down),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

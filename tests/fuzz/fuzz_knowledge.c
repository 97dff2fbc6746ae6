/* Fuzzes the knowledge loader with the content of one intent file, beside
 * the check fixtures' names, greeting intent and locales: what staff type in
 * an editor. Each knowledge
 * that loads is loaded a second time reusing the languages of the one
 * before (what a reload does after an edit): the two must give the same
 * replies, the languages shared or not. */
#include "pa_dialog.h"
#include "pa_match.h"
#include "pa_snapshot.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define LOCALES PASSERELLE_SOURCE_DIR "/tests/check/base/locales"

static char dir[64];
static char file[128];
static pa_index *held; /* the languages of the last knowledge that loaded */

/* Asked of both snapshots: words of the fixtures' intents and others. */
static const char *const questions[] = {
    "sopot",        "c'est quoi le jumelage ?",
    "Partnerstadt", "wo liegt Sopot",
    "bonjour",      "merci beaucoup",
    "frankental",   "la météo à Sopot",
    "Colombes ?",   "comment participer aux échanges",
};

/* Aborts unless a and b reply the same to every question. */
static void expect_same_replies(const pa_snapshot *a, const pa_snapshot *b)
{
    for (size_t i = 0; i < sizeof questions / sizeof *questions; i++) {
        pa_session sa, sb;
        pa_session_init(&sa);
        pa_session_init(&sb);
        pa_reply ra, rb;
        size_t len = strlen(questions[i]);
        if (pa_dialog_ask(a, &sa, questions[i], len, NULL, &ra) !=
                pa_dialog_ask(b, &sb, questions[i], len, NULL, &rb) ||
            ra.kind != rb.kind || ra.intent != rb.intent || ra.lang != rb.lang ||
            ra.confidence != rb.confidence)
            abort(); /* a language shared that its inputs no longer give */
    }
}

/* Copies the check fixtures' intents/NAME into the fuzzed folder. */
static void copy_fixture(const char *name)
{
    char from[512], to[128], buf[4096];
    snprintf(from, sizeof from, "%s/tests/check/base/intents/%s", PASSERELLE_SOURCE_DIR, name);
    snprintf(to, sizeof to, "%s/%s", dir, strrchr(name, '/') ? strrchr(name, '/') + 1 : name);
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    if (!in || !out)
        abort();
    for (size_t n; (n = fread(buf, 1, sizeof buf, in)) > 0;)
        fwrite(buf, 1, n, out);
    fclose(in);
    fclose(out);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    snprintf(dir, sizeof dir, "/tmp/passerelle-fuzz-XXXXXX");
    if (!mkdtemp(dir))
        abort();
    copy_fixture("names.json");
    copy_fixture("demo/hello.json");
    snprintf(file, sizeof file, "%s/intent.json", dir);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *f = fopen(file, "wb");
    if (!f)
        return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    pa_diag diag;
    pa_diag_init(&diag);
    pa_snapshot *s = pa_snapshot_load(dir, LOCALES, &diag);
    if (!s && diag.errors == 0)
        abort(); /* a refused file must say why */
    if (s && held) {
        pa_snapshot *reloaded = pa_snapshot_load_reusing(dir, LOCALES, NULL, held);
        if (!reloaded)
            abort(); /* the same files loaded a moment ago */
        expect_same_replies(s, reloaded);
        pa_snapshot_free(reloaded);
    }
    if (s) {
        pa_index_free(held);
        held = pa_index_languages(s->index);
    }
    pa_snapshot_free(s);
    pa_diag_clear(&diag);
    return 0;
}

/* pa_knowledge: the intent, name and locale files, loaded into one immutable
 * snapshot.
 *
 * Layout on disk (see intents/README.md for the staff guide):
 *   intents/names.json        names and their variants, shared by all intents
 *   intents/<topic>/<id>.json one intent: examples, answers, labels, follow-ups
 *   locales/<code>.json       one language: name, direction, processing
 *                             settings, system messages, widget labels
 * Files named *schema.json are JSON Schemas for editors and are skipped.
 *
 * pa_snapshot_load reads and validates everything, then builds the language
 * identifier and the matching index, and returns the whole as one snapshot that
 * never changes afterwards. Servers share it between requests by reference
 * count: a reload builds a new snapshot beside the old one and swaps pointers,
 * so a question always sees one consistent version of the knowledge. */
#ifndef PA_KNOWLEDGE_H
#define PA_KNOWLEDGE_H

#include "pa_arena.h"
#include "pa_diag.h"

#include <stddef.h>

/* Limits on what staff may write; check reports any file beyond them. */
enum {
    PA_ANSWER_MAX_CHARS = 800,  /* one answer (variant), in characters */
    PA_EXAMPLE_MAX_CHARS = 300, /* one training example */
    PA_LABEL_MAX_CHARS = 60,    /* a suggestion button */
    PA_LANG_MAX = 16,           /* languages in one snapshot */
};

/* The intent that says what the bot can answer: offered as a button in the
 * welcome and after a fallback, when the knowledge has it. */
#define PA_HELP_INTENT "bot.help"

typedef struct {
    const char *key;
    const char *value;
} pa_kv;

typedef struct {
    const char *code; /* "fr": the file name without .json */
    const char *name; /* the language's own name: "Français" */
    int rtl;          /* 1 when the text runs right to left */
    int order;        /* position in language lists */
    const char *stemmer;
    int decompound;         /* split compounds into known words (German) */
    pa_kv *accent_suffixes; /* unaccented ending → accented ending, before stemming */
    pa_kv *respell;         /* letter sequences typed for a letter: "ae" for "ä" */
    size_t n_respell;
    const char **strip_prefixes; /* articles and clitics removed before stemming */
    size_t n_strip_prefixes;
    size_t n_accent_suffixes;
    const char **stopwords; /* folded */
    size_t n_stopwords;
    pa_kv *messages, *errors, *labels;
    size_t n_messages, n_errors, n_labels;
    const char *source;
    int table_line[3], table_column[3]; /* of messages, errors, labels */
} pa_locale;

/* The parts of an intent in one language. */
typedef struct {
    const char **examples;
    int *example_lines, *example_columns; /* where each example stands in source */
    size_t n_examples;
    const char **answers; /* variants of one answer; at least one */
    size_t n_answers;
    const char *label; /* short text for a suggestion button */
} pa_intent_lang;

typedef struct {
    const char *id;
    const char *source;
    const char *about;     /* id of the name this intent describes, or NULL */
    int fallback;          /* examples of questions the bot does not answer */
    pa_intent_lang *langs; /* indexed like pa_snapshot.locales */
    size_t *suggestions;   /* indices into pa_snapshot.intents */
    size_t n_suggestions;
} pa_intent;

/* One declared name variant, as a sequence of folded tokens. */
typedef struct {
    const char **tokens;
    size_t *token_chars; /* length of each token in code points */
    size_t n_tokens;
    const char *text; /* as written in names.json */
    unsigned langs;   /* bit l set when declared for locale l ("all": every bit) */
} pa_variant;

typedef struct {
    const char *id;
    pa_variant *variants;
    size_t n_variants;
} pa_name;

struct pa_index;
struct pa_langid;

typedef struct pa_snapshot {
    pa_arena *arena;
    pa_locale *locales; /* sorted by order, then code */
    size_t n_locales;
    pa_intent *intents; /* sorted by id */
    size_t n_intents;
    size_t n_answerable; /* intents with answers: all but the fallback ones */
    pa_name *names;
    size_t n_names;
    struct pa_index *index;
    struct pa_langid *langid;
    char version[17]; /* hex digest of every file read: changes when any file does */
    size_t files;
    int refcount;
} pa_snapshot;

/* Loads and validates the knowledge. Every problem is added to diag (which
 * may be NULL) as path:line:column (pa_match_warn_confusables adds the
 * warnings about confusable examples).
 * Returns a snapshot with a reference count of 1, or NULL when any error was
 * found. */
pa_snapshot *pa_snapshot_load(const char *intents_dir, const char *locales_dir, pa_diag *diag);
/* Takes one more reference; returns s. */
pa_snapshot *pa_snapshot_ref(pa_snapshot *s);
/* Drops one reference and frees the snapshot with the last. Accepts NULL. */
void pa_snapshot_unref(pa_snapshot *s);

/* Index of the locale with this code, or -1. */
int pa_snapshot_lang(const pa_snapshot *s, const char *code);
/* Index of the intent with this id (binary search), or -1. */
int pa_snapshot_intent(const pa_snapshot *s, const char *id);
/* Looks a key up in one of a locale's tables; returns NULL when absent. */
const char *pa_kv_get(const pa_kv *kv, size_t n, const char *key);

/* Returns the whole knowledge as the JSON text of `passerelle export`
 * (malloc'd, caller frees), or NULL when memory runs out. */
char *pa_snapshot_export(const pa_snapshot *s);

#endif

/* pa_knowledge: the intent, name and locale files, read and validated.
 *
 * Layout on disk (docs/editing-intents.md is the guide for staff):
 *   intents/names.json        names and their variants, shared by all intents
 *   intents/other-languages.json  common words of languages the bot does not
 *                             speak, to tell a resident which ones it speaks
 *   intents/<topic>/<id>.json one intent: examples, answers, labels, follow-ups
 *   locales/<code>.json       one language: name, direction, processing
 *                             settings, system messages, widget labels
 * Files named *schema.json are JSON Schemas for editors and are skipped.
 *
 * pa_knowledge_load parses every file with jansson and checks it, reporting
 * each problem as path:line:column with a code (pa_diag), and returns the
 * whole as plain data in one arena. It builds nothing from it: pa_snapshot
 * assembles the language model and the index around it and owns it. */
#ifndef PA_KNOWLEDGE_H
#define PA_KNOWLEDGE_H

#include "pa_arena.h"
#include "pa_diag.h"
#include "pa_map.h"
#include "pa_messages.h"
#include "pa_text.h"

#include <stddef.h>

/* Limits on what staff may write; check reports any file beyond them. */
enum {
    PA_ANSWER_MAX_CHARS = 800,  /* one answer (variant) or system message, in characters */
    PA_EXAMPLE_MAX_CHARS = 300, /* one training example */
    PA_LABEL_MAX_CHARS = 60,    /* a suggestion button, a language's name */
    PA_VARIANT_MAX_CHARS = 80,  /* one written form of a name */
    PA_STOPWORD_MAX_CHARS = 40, /* one stopword */
    PA_PREFIX_MAX_CHARS = 10,   /* one prefix stripped before stemming */
    PA_LANG_MAX = 16,           /* languages in one knowledge */
    PA_WORD_MAX = 128,          /* bytes of the longest word matched; longer ones are noise */
    PA_INTENT_ID_MAX = 63,      /* bytes of an intent id: a conversation keeps one */
};

/* The files at the top of intents/ that are not intents. */
#define PA_NAMES_FILE           "names.json"
#define PA_PLACES_FILE          "places.json"
#define PA_OTHER_LANGUAGES_FILE "other-languages.json"

/* The intent that says what the bot can answer: offered as a button in the
 * welcome and after a fallback, when the knowledge has it. */
#define PA_HELP_INTENT "bot.help"

/* The intent that says how to take part and whom to contact: check warns
 * when it gives no way to reach a person. */
#define PA_CONTACT_INTENT "contact"

/* Links one intent may give, beside its e-mail address and phone number:
 * more would not fit a phone's screen under the answer. */
enum { PA_LINKS_MAX = 4 };

/* A web page an answer leads to, with its label in each language. */
typedef struct {
    const char *url;     /* https://..., checked by pa_link_valid_url */
    const char **labels; /* indexed like pa_knowledge.locales */
} pa_link;

/* The ways an answer leads somewhere: links, an e-mail address, a phone
 * number ("links", "email", "phone" of an intent file; empty values mean
 * "not given yet"). The widget shows each as a real link. */
typedef struct {
    pa_link *links;
    size_t n_links;
    const char *email;     /* NULL when none */
    const char *phone;     /* as staff wrote it, "+33 1 23 45 67 89"; NULL when none */
    const char *phone_tel; /* what a tel: link dials, "+33123456789" */
    int line, column;      /* where to fill them in, for check's warnings */
} pa_links;

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
    size_t n_accent_suffixes;
    pa_kv *respell; /* letter sequences typed for a letter: "ae" for "ä" */
    size_t n_respell;
    const char **strip_prefixes; /* articles and clitics removed before stemming, folded */
    size_t n_strip_prefixes;
    const char **stopwords; /* folded */
    size_t n_stopwords;
    /* Short replies that say yes, no or ok ("tak", "não"), folded: they tell
     * no language (pa_langid), as a greeting or a thanks does not. */
    const char **acknowledgements;
    size_t n_acknowledgements;
    /* What the locale knows of a folded word, one lookup for all: the
     * index + 1 of its abbreviation shifted by 1, and PA_LOCALE_STOPWORD */
    pa_map words;
    /* Chat abbreviations and the words they stand for ("qd": "quand"):
     * examples and questions are read with those words. */
    pa_kv *abbreviations;
    size_t n_abbreviations;
    pa_tokens *abbreviation_tokens; /* per abbreviation, its words (malloc'd) */
    pa_kv *messages, *errors, *labels;
    size_t n_messages, n_errors, n_labels;
    const char *message_text[PA_MSG_END]; /* the system messages, by pa_message */
    const char *error_text[PA_PROTO_END]; /* the error messages, by code */
    /* other_language followed by every locale's name in itself: the reply
     * to a question in a language the bot does not speak */
    const char *languages_text;
    const char *source;
    int table_line[3], table_column[3]; /* of messages, errors, labels */
} pa_locale;

/* The parts of an intent in one language. */
typedef struct {
    const char **examples;
    int *example_lines, *example_columns; /* where each example stands in source */
    /* each example tokenized, once, when loaded, in the arena: the builders
     * of the names, the language models and the index read these */
    pa_tokens *example_tokens;
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
    int alone;             /* answers only a message that is essentially this (a greeting) */
    pa_intent_lang *langs; /* indexed like pa_knowledge.locales */
    size_t *suggestions;   /* indices into pa_knowledge.intents */
    size_t n_suggestions;
    pa_links links; /* sent with its answer; a fallback intent's go with the fallback */
} pa_intent;

/* One declared name variant, as a sequence of folded tokens. */
typedef struct {
    const char **tokens;
    size_t *token_chars; /* length of each token in code points */
    size_t n_tokens;
    const char *text; /* as written in names.json */
    unsigned langs;   /* bit l set when declared for locale l ("all": every bit) */
    /* 1 for a variant of names.json's "regions": the country or region of a
     * partner ("Pologne" for Sopot), which names the partner only when no
     * other town is named */
    int region;
} pa_variant;

typedef struct {
    const char *id;
    pa_variant *variants;
    size_t n_variants;
    /* 1 for a town of places.json: not Colombes, not a partner; a question
     * about such a town alone is not one the knowledge answers */
    int elsewhere;
    /* 1 for a name of names.json that places.json lists as "home": Colombes
     * itself; a question naming it is about Colombes, whatever else it names */
    int home;
} pa_name;

/* A language the bot does not speak, by its common words. */
typedef struct {
    const char *code;   /* "en" */
    const char **words; /* folded */
    size_t n_words;
} pa_other_language;

typedef struct {
    pa_arena *arena;    /* owns everything below */
    pa_locale *locales; /* sorted by order, then code */
    size_t n_locales;
    pa_intent *intents; /* sorted by id */
    size_t n_intents;
    size_t n_answerable; /* intents with answers: all but the fallback ones */
    pa_name *names;
    size_t n_names;
    pa_other_language *other_languages;
    size_t n_other_languages;
    char version[17];   /* hex digest of every file read: changes when any file does */
    int fallback_links; /* the fallback intent whose links go with the fallback reply; -1 */
    size_t files;
} pa_knowledge;

/* Reads and checks the knowledge into *k. Every problem is added to diag
 * (which may be NULL) as path:line:column with its code. Returns 0, or -1
 * when any error was found (*k is then empty). Free with pa_knowledge_clear. */
int pa_knowledge_load(pa_knowledge *k, const char *intents_dir, const char *locales_dir,
                      pa_diag *diag);
/* Frees what *k holds. Accepts an empty (zeroed) one. */
void pa_knowledge_clear(pa_knowledge *k);

/* Index of the locale with this code, or -1. */
int pa_knowledge_lang(const pa_knowledge *k, const char *code);
/* Index of the intent with this id (binary search), or -1. */
int pa_knowledge_intent(const pa_knowledge *k, const char *id);
/* Looks a key up in one of a locale's tables; returns NULL when absent. */
const char *pa_kv_get(const pa_kv *kv, size_t n, const char *key);
/* 1 when the token is a word matching should weigh for this locale: not one
 * of its stopwords, not a lone letter (a digit counts), not overlong. */
int pa_locale_is_content_word(const pa_locale *loc, const pa_token *t);

/* The words the token abbreviates in this language ("qd" → "quand"), or NULL
 * when it is no abbreviation of the locale. Owned by the locale. */
const pa_tokens *pa_locale_abbreviation(const pa_locale *loc, const pa_token *t);

/* The same two questions from one lookup, for a reader asking both of every
 * token: pa_locale_word tells what the locale knows of the token (0:
 * nothing), the two others read the answer. */
enum { PA_LOCALE_STOPWORD = 1 };
long pa_locale_word(const pa_locale *loc, const pa_token *t);
int pa_locale_is_content(const pa_token *t, long word);
const pa_tokens *pa_locale_abbreviation_of(const pa_locale *loc, long word);
/* A hint that pa_locale_word will soon be asked of t: issued for every word
 * of a message first, the lookups then wait on the memory together. */
void pa_locale_prefetch(const pa_locale *loc, const pa_token *t);

/* Returns the whole knowledge as the JSON text of `passerelle export`
 * (malloc'd, caller frees). */
char *pa_knowledge_export(const pa_knowledge *k);

#endif

/* pa_diag: problems found while loading knowledge files or question sets.
 *
 * Modelled on jansson's json_error_t, but a loader keeps going after the first
 * problem so that `passerelle check` can list them all: each problem is one
 * pa_diag_item with the file, 1-based line and column (0 when the problem is
 * about the file as a whole), a code, a message id and the message's
 * arguments. The code says what kind of problem it is, like jansson's
 * json_error_code: tests and tools compare codes. The sentence is written
 * only when the item is printed, from the message id and its arguments, with
 * a catalog of the staff's language (pa_diag_catalog: French or English, in
 * locales/staff/): no sentence is written in C, and the same list can be
 * shown in either language. */
#ifndef PA_DIAG_H
#define PA_DIAG_H

#include <jansson.h>
#include <stdio.h>

typedef struct pa_diag_catalog pa_diag_catalog;

enum {
    PA_DIAG_SOURCE_MAX = 512,    /* bytes of a file's path */
    PA_DIAG_ARGS_MAX = 6,        /* arguments of one message */
    PA_DIAG_ARG_NAME_MAX = 16,   /* bytes of an argument's name */
    PA_DIAG_ARG_VALUE_MAX = 240, /* bytes of an argument's value; longer ones are cut */
    PA_DIAG_TEXT_MAX = 1024,     /* bytes of one written message */
};

typedef enum { PA_DIAG_ERROR, PA_DIAG_WARNING } pa_diag_severity;

/* Every kind of problem, with its stable name (shown by `check --json`). */
#define PA_DIAG_CODES(X)                                                                           \
    X(CANNOT_READ, "cannot_read")             /* a file or folder cannot be read */                \
    X(SYNTAX, "syntax")                       /* not JSON */                                       \
    X(NOT_OBJECT, "not_object")               /* the file is JSON but not one object */            \
    X(UNKNOWN_KEY, "unknown_key")             /* a key the format does not have */                 \
    X(MISSING_KEY, "missing_key")             /* a required key is absent */                       \
    X(WRONG_TYPE, "wrong_type")               /* a value of the wrong JSON type */                 \
    X(BAD_VALUE, "bad_value")                 /* the right type, but not an allowed value */       \
    X(EMPTY_TEXT, "empty_text")               /* a text without any word */                        \
    X(TEXT_TOO_LONG, "text_too_long")         /* a text over its limit */                          \
    X(NUL_IN_TEXT, "nul_in_text")             /* a text with a NUL character */                    \
    X(UNKNOWN_LANGUAGE, "unknown_language")   /* no locale file has this code */                   \
    X(MISSING_LANGUAGE, "missing_language")   /* a language without its part */                    \
    X(MISSING_MESSAGE, "missing_message")     /* a locale lacks a message the server needs */      \
    X(LOCALES_DIFFER, "locales_differ")       /* a locale lacks a key another one has */           \
    X(TOO_MANY_LOCALES, "too_many_locales")   /* more locale files than a snapshot holds */        \
    X(NO_FILES, "no_files")                   /* a folder without any file to load */              \
    X(INVALID_ID, "invalid_id")               /* not a valid intent id */                          \
    X(DUPLICATE_ID, "duplicate_id")           /* two intents with one id */                        \
    X(DUPLICATE_EXAMPLE, "duplicate_example") /* an example given twice */                         \
    X(DUPLICATE_VARIANT, "duplicate_variant") /* a variant of two names */                         \
    X(UNKNOWN_NAME, "unknown_name")           /* "about" names no declared name */                 \
    X(UNKNOWN_INTENT, "unknown_intent")       /* a follow-up or label naming no intent */          \
    X(FALLBACK_MISUSE, "fallback_misuse") /* a fallback intent with answers, or as follow-up */    \
    X(CONFUSABLE, "confusable")           /* two intents' examples nearly the same */              \
    X(ELSEWHERE, "elsewhere")             /* an example about another town only */                 \
    X(BAD_LINK, "bad_link")               /* a web address, e-mail or phone number malformed */    \
    X(NO_CONTACT, "no_contact")           /* the contact intent or the fallback reaches nobody */

typedef enum {
#define PA_X(sym, name) PA_DIAG_##sym,
    PA_DIAG_CODES(PA_X)
#undef PA_X
        PA_DIAG_CODE_END
} pa_diag_code;

/* Every message: its symbol, its id (the key of its text in the catalogs),
 * its code, and the names of its arguments (the {placeholders} its texts may
 * use). A unit test checks that both catalogs have every id, with no other
 * placeholder than these. */
#define PA_DIAG_MESSAGES(X)                                                                        \
    X(CANNOT_READ, "cannot_read", CANNOT_READ, "")                                                 \
    X(NOT_OBJECT, "not_object", NOT_OBJECT, "")                                                    \
    X(NO_INTENT_FILES, "no_intent_files", NO_FILES, "")                                            \
    X(NO_LOCALE_FILES, "no_locale_files", NO_FILES, "")                                            \
    X(TOO_MANY_LOCALES, "too_many_locales", TOO_MANY_LOCALES, "count max")                         \
    X(SYNTAX_EXPECTED_BRACKET, "syntax.expected_bracket", SYNTAX, "near token")                    \
    X(SYNTAX_EXPECTED_BRACE, "syntax.expected_brace", SYNTAX, "near token")                        \
    X(SYNTAX_EXPECTED_COLON, "syntax.expected_colon", SYNTAX, "near token")                        \
    X(SYNTAX_EXPECTED_KEY, "syntax.expected_key", SYNTAX, "near token")                            \
    X(SYNTAX_EXPECTED_OBJECT, "syntax.expected_object", SYNTAX, "near token")                      \
    X(SYNTAX_EXPECTED_END, "syntax.expected_end", SYNTAX, "near token")                            \
    X(SYNTAX_UNEXPECTED_TOKEN, "syntax.unexpected_token", SYNTAX, "near token")                    \
    X(SYNTAX_INVALID_TOKEN, "syntax.invalid_token", SYNTAX, "near token")                          \
    X(SYNTAX_NEWLINE, "syntax.newline", SYNTAX, "near token")                                      \
    X(SYNTAX_CONTROL, "syntax.control", SYNTAX, "byte near token")                                 \
    X(SYNTAX_ESCAPE, "syntax.escape", SYNTAX, "near token")                                        \
    X(SYNTAX_UNICODE, "syntax.unicode", SYNTAX, "near token")                                      \
    X(SYNTAX_NUL, "syntax.nul", SYNTAX, "near token")                                              \
    X(SYNTAX_ENCODING, "syntax.encoding", SYNTAX, "byte near token")                               \
    X(SYNTAX_DUPLICATE_KEY, "syntax.duplicate_key", SYNTAX, "near token")                          \
    X(SYNTAX_PREMATURE_END, "syntax.premature_end", SYNTAX, "near token")                          \
    X(SYNTAX_NUMBER, "syntax.number", SYNTAX, "near token")                                        \
    X(SYNTAX_DEPTH, "syntax.depth", SYNTAX, "near token")                                          \
    X(SYNTAX_OTHER, "syntax.other", SYNTAX, "detail")                                              \
    X(UNKNOWN_KEY, "unknown_key", UNKNOWN_KEY, "key allowed")                                      \
    X(MISSING_KEY, "missing_key", MISSING_KEY, "key")                                              \
    X(WRONG_TYPE, "wrong_type", WRONG_TYPE, "key type")                                            \
    X(TEXT_WRONG_TYPE, "text.wrong_type", WRONG_TYPE, "what")                                      \
    X(TEXT_NUL, "text.nul", NUL_IN_TEXT, "what")                                                   \
    X(TEXT_EMPTY, "text.empty", EMPTY_TEXT, "what")                                                \
    X(TEXT_TOO_LONG, "text.too_long", TEXT_TOO_LONG, "what chars max")                             \
    X(LOCALE_CODE, "locale.code", BAD_VALUE, "expected")                                           \
    X(LOCALE_DIR, "locale.dir", BAD_VALUE, "")                                                     \
    X(LOCALE_STEMMER, "locale.stemmer", BAD_VALUE, "stemmer light none")                           \
    X(LOCALE_ABBREVIATION, "locale.abbreviation", BAD_VALUE, "key")                                \
    X(LOCALE_MISSING_MESSAGE, "locale.missing_message", MISSING_MESSAGE, "key")                    \
    X(LOCALE_MISSING_ERROR, "locale.missing_error", MISSING_MESSAGE, "key")                        \
    X(LOCALE_DIFFER, "locale.differ", LOCALES_DIFFER, "table key other")                           \
    X(NAME_NOT_OBJECT, "names.not_object", WRONG_TYPE, "")                                         \
    X(NAME_UNKNOWN_LANGUAGE, "names.unknown_language", UNKNOWN_LANGUAGE, "lang")                   \
    X(NAME_NOT_LIST, "names.not_list", WRONG_TYPE, "")                                             \
    X(NAME_DUPLICATE_VARIANT, "names.duplicate_variant", DUPLICATE_VARIANT, "variant name")        \
    X(PLACE_IS_NAME, "places.is_name", DUPLICATE_ID, "id")                                         \
    X(PLACE_UNKNOWN_HOME, "places.unknown_home", UNKNOWN_NAME, "name")                             \
    X(REGION_UNKNOWN_NAME, "names.region_unknown", UNKNOWN_NAME, "id")                             \
    X(OTHER_SPOKEN, "languages.spoken", BAD_VALUE, "lang")                                         \
    X(OTHER_NOT_LIST, "languages.not_list", WRONG_TYPE, "")                                        \
    X(MISSING_EXAMPLES, "intent.missing_examples", MISSING_LANGUAGE, "lang")                       \
    X(EXAMPLES_NOT_LIST, "intent.examples_not_list", WRONG_TYPE, "")                               \
    X(EXAMPLE_REPEATED, "intent.example_repeated", DUPLICATE_EXAMPLE, "where")                     \
    X(EXAMPLE_ELSEWHERE, "intent.example_elsewhere", DUPLICATE_EXAMPLE, "intent where")            \
    X(INTENT_UNKNOWN_LANGUAGE, "intent.unknown_language", UNKNOWN_LANGUAGE, "lang")                \
    X(MISSING_ANSWER, "intent.missing_answer", MISSING_LANGUAGE, "lang")                           \
    X(MISSING_LABEL, "intent.missing_label", MISSING_LANGUAGE, "lang")                             \
    X(INVALID_ID, "intent.invalid_id", INVALID_ID, "id max")                                       \
    X(DUPLICATE_ID, "intent.duplicate_id", DUPLICATE_ID, "id where")                               \
    X(UNKNOWN_NAME, "intent.unknown_name", UNKNOWN_NAME, "name")                                   \
    X(FALLBACK_EXTRA, "intent.fallback_extra", FALLBACK_MISUSE, "")                                \
    X(FOLLOW_UP_TYPE, "intent.follow_up_type", WRONG_TYPE, "")                                     \
    X(FOLLOW_UP_FALLBACK, "intent.follow_up_fallback", FALLBACK_MISUSE, "id")                      \
    X(FOLLOW_UP_UNKNOWN, "intent.follow_up_unknown", UNKNOWN_INTENT, "id")                         \
    X(FOLLOW_UP_SELF, "intent.follow_up_self", BAD_VALUE, "id")                                    \
    X(CONFUSABLE, "confusable", CONFUSABLE, "example other intent where")                          \
    X(EXAMPLE_OTHER_TOWN, "intent.example_other_town", ELSEWHERE, "example")                       \
    X(LINK_NOT_OBJECT, "contact.link_not_object", WRONG_TYPE, "")                                  \
    X(TOO_MANY_LINKS, "contact.too_many_links", BAD_VALUE, "max")                                  \
    X(BAD_URL, "contact.bad_url", BAD_LINK, "url")                                                 \
    X(BAD_EMAIL, "contact.bad_email", BAD_LINK, "")                                                \
    X(BAD_PHONE, "contact.bad_phone", BAD_LINK, "")                                                \
    X(CONTACT_TWICE, "contact.fallback_twice", BAD_VALUE, "intent where")                          \
    X(CONTACT_UNREACHABLE, "contact.unreachable", NO_CONTACT, "intent")                            \
    X(FALLBACK_UNREACHABLE, "contact.fallback_unreachable", NO_CONTACT, "")                        \
    X(EVAL_CANNOT_OPEN, "eval.cannot_open", CANNOT_READ, "")                                       \
    X(EVAL_TEXT_TYPE, "eval.text_type", WRONG_TYPE, "")                                            \
    X(EVAL_EXPECT_TYPE, "eval.expect_type", WRONG_TYPE, "")                                        \
    X(EVAL_TEXT_INVALID, "eval.text_invalid", BAD_VALUE, "")                                       \
    X(EVAL_CONTEXT_INVALID, "eval.context_invalid", BAD_VALUE, "")                                 \
    X(EVAL_KIND_INVALID, "eval.kind_invalid", BAD_VALUE, "")                                       \
    X(EVAL_LANG_UNKNOWN, "eval.lang_unknown", UNKNOWN_LANGUAGE, "")                                \
    X(EVAL_HINT_UNKNOWN, "eval.hint_unknown", UNKNOWN_LANGUAGE, "")                                \
    X(EVAL_EXPECT_UNKNOWN, "eval.expect_unknown", UNKNOWN_INTENT, "")

/* The other texts of a catalog, with the {placeholders} each may use: the
 * summary line of check; the warning marker; terms, which arguments of kind
 * TERM name (what a text is, what type a value must have, where a syntax
 * error was noticed), and which may use the placeholders of the message
 * they are in. */
#define PA_DIAG_TERMS(X)                                                                           \
    X("summary.ok", "intents languages examples names warnings")                                   \
    X("summary.failed", "errors warnings")                                                         \
    X("severity.warning", "")                                                                      \
    X("term.example", "")                                                                          \
    X("term.answer", "")                                                                           \
    X("term.answer_variant", "")                                                                   \
    X("term.label", "")                                                                            \
    X("term.stopword", "")                                                                         \
    X("term.acknowledgement", "")                                                                  \
    X("term.prefix", "")                                                                           \
    X("term.accent_ending", "")                                                                    \
    X("term.respelling", "")                                                                       \
    X("term.abbreviation", "")                                                                     \
    X("term.language_name", "")                                                                    \
    X("term.message", "")                                                                          \
    X("term.error_message", "")                                                                    \
    X("term.widget_label", "")                                                                     \
    X("term.name_variant", "")                                                                     \
    X("term.word", "")                                                                             \
    X("term.link_label", "")                                                                       \
    X("type.string", "")                                                                           \
    X("type.object", "")                                                                           \
    X("type.list", "")                                                                             \
    X("type.boolean", "")                                                                          \
    X("type.integer", "")                                                                          \
    X("type.intent_ids", "")                                                                       \
    X("type.prefixes", "")                                                                         \
    X("type.accent_table", "")                                                                     \
    X("type.respell_table", "")                                                                    \
    X("type.abbreviation_table", "")                                                               \
    X("type.direction", "")                                                                        \
    X("type.links", "")                                                                            \
    X("type.link", "")                                                                             \
    X("near.token", "token")                                                                       \
    X("near.end", "")                                                                              \
    X("near.none", "")

typedef enum {
#define PA_X(sym, id, code, args) PA_DM_##sym,
    PA_DIAG_MESSAGES(PA_X)
#undef PA_X
        PA_DM_END
} pa_diag_msg;

/* One argument as a caller gives it: text from the files (TEXT), a number
 * (NUMBER), or a term, the key of a catalog text such as "term.example"
 * (TERM). Build them with PA_TEXT, PA_NUM, PA_TERM and pass a list with
 * PA_DIAG_ARGS(...). */
typedef enum { PA_DIAG_ARG_TEXT, PA_DIAG_ARG_NUMBER, PA_DIAG_ARG_TERM } pa_diag_arg_kind;

typedef struct {
    const char *name;
    const char *value; /* TEXT and TERM; NULL reads as "" */
    long long number;  /* NUMBER */
    pa_diag_arg_kind kind;
} pa_diag_arg;

#define PA_TEXT(n, v) ((pa_diag_arg){(n), (v), 0, PA_DIAG_ARG_TEXT})
#define PA_NUM(n, v)  ((pa_diag_arg){(n), NULL, (long long)(v), PA_DIAG_ARG_NUMBER})
#define PA_TERM(n, v) ((pa_diag_arg){(n), (v), 0, PA_DIAG_ARG_TERM})
/* The array and count arguments of pa_diag_report, from a list of args. */
#define PA_DIAG_ARGS(...)                                                                          \
    (const pa_diag_arg[]){__VA_ARGS__},                                                            \
        (sizeof((const pa_diag_arg[]){__VA_ARGS__}) / sizeof(pa_diag_arg))

/* An argument as an item keeps it: numbers are written in digits. */
typedef struct {
    char name[PA_DIAG_ARG_NAME_MAX];
    char value[PA_DIAG_ARG_VALUE_MAX];
    int term; /* 1 when value is the key of a catalog text */
} pa_diag_item_arg;

typedef struct {
    pa_diag_severity severity;
    pa_diag_code code;
    pa_diag_msg msg;
    char source[PA_DIAG_SOURCE_MAX];
    int line, column;
    pa_diag_item_arg args[PA_DIAG_ARGS_MAX];
    size_t n_args;
} pa_diag_item;

typedef struct {
    pa_diag_item *items;
    size_t count, capacity;
    size_t errors, warnings;
} pa_diag;

/* The stable name of a code ("unknown_key"); "" for a value out of range. */
const char *pa_diag_code_name(pa_diag_code code);
/* A message's id ("intent.duplicate_id"), code and argument names (separated
 * by spaces); "", PA_DIAG_CODE_END and "" for a value out of range. */
const char *pa_diag_msg_id(pa_diag_msg msg);
pa_diag_code pa_diag_msg_code(pa_diag_msg msg);
const char *pa_diag_msg_args(pa_diag_msg msg);
/* 1 when key is one of PA_DIAG_TERMS. */
int pa_diag_is_term(const char *key);

/* Starts an empty list; release with pa_diag_clear. */
void pa_diag_init(pa_diag *d);
/* Frees the items; the list can be reused. Accepts NULL. */
void pa_diag_clear(pa_diag *d);
/* Appends a problem: message msg (its code comes with it) with n_args
 * arguments, each a name the message declares (checked by assert: a wrong
 * name, or a TERM that is not one of PA_DIAG_TERMS, is a bug of the caller).
 * d may be NULL (the problem is then only
 * counted by the caller's return value). Values are copied, cut to
 * PA_DIAG_ARG_VALUE_MAX bytes at a character's boundary; arguments past
 * PA_DIAG_ARGS_MAX are dropped. */
void pa_diag_report(pa_diag *d, pa_diag_severity sev, pa_diag_msg msg, const char *source, int line,
                    int column, const pa_diag_arg *args, size_t n_args);
/* Appends a copy of every item of from to d (which may be NULL), with its
 * counts. */
void pa_diag_append(pa_diag *d, const pa_diag *from);
/* Copies an argument into the form an item keeps (numbers in digits, values
 * cut at PA_DIAG_ARG_VALUE_MAX bytes on a character's boundary). */
void pa_diag_store_arg(const pa_diag_arg *arg, pa_diag_item_arg *out);
/* Appends jansson's parse error err for the file source as a SYNTAX problem
 * with the message that says what jansson found (a bracket expected, a
 * newline in a text...), so that the staff's language can explain it; a
 * message jansson adds later becomes syntax.other with its English text.
 * line_offset is added to err's line (0 for a whole file; a line's number
 * minus 1 for a file read line by line). */
void pa_diag_json_error(pa_diag *d, const char *source, int line_offset, const json_error_t *err);

/* Writes the item's message (without place or severity) into buf: its
 * catalog text with each {name} replaced by the argument's value (a term by
 * its catalog text); with a NULL catalog, or when the catalog lacks the
 * message, its id followed by its arguments: `intent.duplicate_id
 * (id="demo.hello", where="intents/demo/hello.json:3:9")`. Cut to size. */
void pa_diag_message(const pa_diag_item *item, const pa_diag_catalog *cat, char *buf, size_t size);
/* Formats one item as "path:line:column: [warning: ]message" (no newline)
 * into buf; the warning marker is the catalog's "severity.warning". */
void pa_diag_format(const pa_diag_item *item, const pa_diag_catalog *cat, char *buf, size_t size);
/* Writes one such line per item, in the order added. */
void pa_diag_print(const pa_diag *d, const pa_diag_catalog *cat, FILE *out);

#endif

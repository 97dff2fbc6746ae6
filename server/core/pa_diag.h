/* pa_diag: problems found while loading knowledge files or question sets.
 *
 * Modelled on jansson's json_error_t, but a loader keeps going after the first
 * problem so that `passerelle check` can list them all: each problem is one
 * pa_diag_item with the file, 1-based line and column (0 when the problem is
 * about the file as a whole), a code and a message. The code says what kind
 * of problem it is, like jansson's json_error_code: tests compare codes, not
 * sentences, and a message can be written anew (in another language, for
 * staff) from the code without parsing English. */
#ifndef PA_DIAG_H
#define PA_DIAG_H

#include <stdio.h>

enum { PA_DIAG_SOURCE_MAX = 512, PA_DIAG_TEXT_MAX = 320 };

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
    X(CONFUSABLE, "confusable")           /* two intents' examples nearly the same */

typedef enum {
#define PA_X(sym, name) PA_DIAG_##sym,
    PA_DIAG_CODES(PA_X)
#undef PA_X
        PA_DIAG_CODE_END
} pa_diag_code;

typedef struct {
    pa_diag_severity severity;
    pa_diag_code code;
    char source[PA_DIAG_SOURCE_MAX];
    int line, column;
    char text[PA_DIAG_TEXT_MAX];
} pa_diag_item;

typedef struct {
    pa_diag_item *items;
    size_t count, capacity;
    size_t errors, warnings;
} pa_diag;

/* The stable name of a code ("unknown_key"); "" for a value out of range. */
const char *pa_diag_code_name(pa_diag_code code);

/* Starts an empty list; release with pa_diag_clear. */
void pa_diag_init(pa_diag *d);
/* Frees the items; the list can be reused. Accepts NULL. */
void pa_diag_clear(pa_diag *d);
/* Appends a problem. d may be NULL (the problem is then only counted by the
 * caller's return value). The message is printf-formatted and truncated to
 * PA_DIAG_TEXT_MAX. */
void pa_diag_add(pa_diag *d, pa_diag_severity sev, pa_diag_code code, const char *source, int line,
                 int column, const char *fmt, ...) __attribute__((format(printf, 7, 8)));
/* Writes "path:line:column: [warning: ]message" lines, in the order added. */
void pa_diag_print(const pa_diag *d, FILE *out);
/* Formats one item as such a line (no newline) into buf. */
void pa_diag_format(const pa_diag_item *item, char *buf, size_t size);

#endif

/* pa_text: Unicode normalization and tokenization (utf8proc).
 *
 * Every piece of text the matcher sees, question or training example, goes
 * through the same two steps, so they compare equal whatever the user typed:
 *
 *   surface form  NFKC + case folding. Keeps accents: "łódź", "straße"→"strasse".
 *                 Used for language identification, where accents are evidence.
 *   folded form   the surface form without marks and with the letters that
 *                 carry no decomposition mapped by hand (ł→l, ø→o, đ→d, œ→oe),
 *                 Arabic normalized (tashkeel and tatweel removed, أ إ آ ٱ→ا,
 *                 ى→ي, ة→ه, ؤ→و, ئ→ي, Persian letters to Arabic ones,
 *                 Arabic-Indic digits to ASCII). Used for matching.
 *
 * Tokens are maximal runs of letters, digits and marks; everything else,
 * apostrophes and hyphens included, separates them, so "l'échange" gives
 * "l" + "echange" and "Gueule Tapée-Fass" three tokens (multi-word names are
 * matched on token sequences by pa_names). */
#ifndef PA_TEXT_H
#define PA_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "pa_arena.h"

typedef enum { PA_SCRIPT_OTHER, PA_SCRIPT_LATIN, PA_SCRIPT_ARABIC } pa_script;

typedef struct {
    char *surface;  /* NUL-terminated, in the pa_tokens' strings */
    char *folded;   /* NUL-terminated, in the pa_tokens' strings */
    uint32_t chars; /* length of folded in code points */
    pa_script script;
    /* pa_map_hash(folded), computed once by the tokenizer: the maps of
     * words are looked up with it (pa_map_get_hashed), each token in
     * several, in the examples at load and in every question */
    uint64_t hash;
} pa_token;

typedef struct {
    pa_token *items;
    size_t count;
    char *strings; /* every token's strings, one allocation */
} pa_tokens;

/* Splits len bytes of UTF-8 text into tokens. Returns 0 and fills *out (free
 * it with pa_tokens_free), or -1 when the text is not valid UTF-8 (*out is
 * then empty). */
int pa_text_tokenize(const char *text, size_t len, pa_tokens *out);
/* The same, with every code point folded by utf8proc in context. The
 * tokenizer folds the common code points from a table computed once with
 * utf8proc instead; this is what tests compare it with. */
int pa_text_tokenize_by_utf8proc(const char *text, size_t len, pa_tokens *out);
/* Room for tokenizing, reused from one text to the next: tokenizing with
 * it allocates only while texts need more room than it has held. Zero it
 * with pa_tokenizer_init; free what it holds with pa_tokenizer_clear. */
typedef struct {
    pa_tokens tokens; /* the last text's tokens, in the room below */
    size_t cap;       /* of tokens.items and at */
    char *strings, *light;
    size_t strings_cap, light_cap;
    size_t *at; /* per token, where its two strings go while they grow */
} pa_tokenizer;

void pa_tokenizer_init(pa_tokenizer *z);
/* Frees the room. Accepts NULL. */
void pa_tokenizer_clear(pa_tokenizer *z);
/* Tokenizes as pa_text_tokenize, into z->tokens, which stay valid until
 * the next call with z (do not free them: z owns them). Returns 0, or -1
 * when the text is not valid UTF-8 (z->tokens is then empty). */
int pa_tokenizer_run(pa_tokenizer *z, const char *text, size_t len);
/* Copies src into arena, its arrays exactly sized, as dst: for lists kept
 * as long as the arena (the examples' tokens a knowledge keeps). Never
 * free dst with pa_tokens_free: the arena owns it. */
void pa_tokens_copy(const pa_tokens *src, pa_arena *arena, pa_tokens *dst);
/* Frees the tokens' strings and array. Accepts NULL and empty lists. */
void pa_tokens_free(pa_tokens *t);

/* Returns the folded form of len bytes of UTF-8 (tokens joined by one space),
 * malloc'd (caller frees), or NULL on invalid UTF-8. Two texts that differ only
 * by case, accents, punctuation or spacing fold to the same string. */
char *pa_text_fold(const char *text, size_t len);

/* The folded forms of the tokens joined by one space (what pa_text_fold
 * gives for the text they came from), malloc'd (caller frees). */
char *pa_text_join_folded(const pa_tokens *t);
/* The same into out, as snprintf does: writes at most size - 1 bytes and a
 * NUL (when size > 0), and returns the length of the whole, so that a
 * return of size or more says it was cut. Allocates nothing. */
size_t pa_text_join_folded_to(const pa_tokens *t, char *out, size_t size);

/* 1 when the text has at least one letter or digit (what "empty" means for
 * a question, an example or an answer), else 0; 0 for invalid UTF-8 too. */
int pa_text_has_words(const char *s, size_t len);

/* 1 when s[0..len) is valid UTF-8 without NUL bytes, else 0. */
int pa_text_is_valid(const char *s, size_t len);
/* Number of code points in valid UTF-8 text. */
size_t pa_text_chars(const char *s, size_t len);

/* Code points of each string that the distances read; the rest is ignored. */
#define PA_TEXT_DISTANCE_MAX_CHARS 64

/* Optimal-string-alignment distance (insertions, deletions, substitutions and
 * transpositions of adjacent characters) between two UTF-8 strings, counted in
 * code points. Stops early: returns max + 1 as soon as the distance exceeds max. */
int pa_text_distance(const char *a, const char *b, int max);
/* The same between two strings already decoded into code points. */
int pa_text_distance_cp(const uint32_t *x, size_t m, const uint32_t *y, size_t n, int max);

/* Copies s into out, at most size - 1 bytes and a NUL (size > 0), like
 * snprintf(out, size, "%s", s) without the formatting; returns out. */
char *pa_text_copy(char *out, size_t size, const char *s);

/* Decodes UTF-8 into at most cap code points; returns how many were written. */
size_t pa_text_decode(const char *s, uint32_t *out, size_t cap);

#endif

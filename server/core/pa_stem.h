/* pa_stem: word stemming, one algorithm per language.
 *
 * French, German, Portuguese and Arabic use the Snowball stemmers of
 * libstemmer; Polish has none there and uses the light suffix stripper of
 * pa_stem_pl.c (see that file for why). Input words are in surface form
 * (case-folded, accents kept), because the Snowball algorithms read endings
 * such as -ção or -ée by their accents; the matcher folds the stems.
 *
 * A pa_stemmer keeps scratch state: use one per thread. The matcher keeps
 * one per language and thread. */
#ifndef PA_STEM_H
#define PA_STEM_H

#include <stddef.h>

typedef struct pa_stemmer pa_stemmer;

/* Name of the built-in Polish algorithm, usable in locale files. */
#define PA_STEM_POLISH_LIGHT "polish_light"
/* Name of the algorithm that leaves words as they are. */
#define PA_STEM_NONE "none"

/* 1 when algorithm names a stemmer this build has, else 0. */
int pa_stemmer_exists(const char *algorithm);
/* Returns a stemmer for algorithm, or NULL when it is unknown. Free it with pa_stemmer_free. */
pa_stemmer *pa_stemmer_new(const char *algorithm);
/* Accepts NULL. */
void pa_stemmer_free(pa_stemmer *st);
/* Stems the NUL-terminated word. Returns the stem, valid until the next
 * call on the same stemmer (owned by it), never NULL: a word too long to stem
 * is returned as it is. */
const char *pa_stemmer_stem(pa_stemmer *st, const char *word);

/* The Polish light stemmer alone: writes the stem of word into out (at most
 * size bytes, NUL-terminated). Exposed for tests. */
void pa_stem_polish(const char *word, char *out, size_t size);

#endif

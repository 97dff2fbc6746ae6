/* pa_names: finding the declared names in a question.
 *
 * intents/names.json declares each name once with its written forms: case
 * forms ("Sopocie"), transliterations ("سوبوت"), countries ("Pologne"), in
 * one language or all. A question's tokens are compared with them as token
 * sequences, so "Viana do Castelo" is one name, allowing:
 *   - typos in longer names (1 edit from five letters, 2 from eight), but
 *     never for a word the knowledge uses elsewhere ("allemand" is a word,
 *     not a misspelt "Allemagne");
 *   - the Arabic proclitics و ف ب ل ك and the article ال before a name.
 * Each variant is indexed by its first token, so a question's tokens meet
 * only the variants that can start there.
 *
 * Built once per snapshot, below language identification (a name declared
 * for several languages says nothing of the language) and matching (a name
 * is one feature, whatever form was written). */
#ifndef PA_NAMES_H
#define PA_NAMES_H

#include "pa_knowledge.h"

typedef struct pa_name_index pa_name_index;

/* Indexes the names of k (which must outlive it). Free with pa_names_free
 * (accepts NULL). */
pa_name_index *pa_names_build(const pa_knowledge *k);
void pa_names_free(pa_name_index *idx);

/* What decides where an index finds names in a text, so that what was
 * built from the names found (pa_match's languages) can be kept across a
 * reload: pa_names_digest fingerprints the names and their variants, and
 * pa_names_token_digest what the index makes of one token on its own (a
 * word of the examples, never a misspelt name; the first token of
 * variants). Two indexes with equal digests find the same names in texts
 * whose tokens have equal folded forms and token digests. */
uint64_t pa_names_digest(const pa_name_index *idx);
uint64_t pa_names_token_digest(const pa_name_index *idx, const pa_token *t);

/* Tokens of a text whose name spans need no allocation: a question's. */
enum { PA_NAME_SPANS_INLINE = 48 };

/* Where the names stand in a question's tokens. Up to PA_NAME_SPANS_INLINE
 * tokens, the arrays point into the struct itself: pass it by address,
 * never copy it. */
typedef struct {
    int *name_of;          /* per token: the index of the name it is part of, or -1 */
    unsigned *langs;       /* per token in a name: the languages its variant was declared for */
    unsigned char *region; /* per token in a name: 1 when its variant is a region's */
    size_t count;          /* tokens */
    size_t found;          /* names found */
    int inline_name_of[PA_NAME_SPANS_INLINE];
    unsigned inline_langs[PA_NAME_SPANS_INLINE];
    unsigned char inline_region[PA_NAME_SPANS_INLINE];
} pa_name_spans;

/* Finds the names in t into *out (free with pa_name_spans_free, which
 * frees only what a longer text needed). Typos are accepted only when
 * allow_typos is set: the index builder, still learning what is a word,
 * asks for exact names. */
void pa_names_find(const pa_knowledge *k, const pa_name_index *idx, const pa_tokens *t,
                   int allow_typos, pa_name_spans *out);
void pa_name_spans_free(pa_name_spans *spans);

/* 1 when the names (n indices into k->names) include a town of places.json
 * and neither Colombes (a "home" name) nor a name some intent is about (a
 * partner): the question is then about that other town. A partner named
 * only by its country or region (region_only[i] set; region_only may be
 * NULL) does not count: "hat Nanterre eine Partnerstadt in Deutschland?"
 * asks about Nanterre. */
int pa_names_elsewhere_only(const pa_knowledge *k, const int *names, const int *region_only,
                            size_t n);

/* 1 when token i belongs to a name declared for several languages (Sopot,
 * Colombes): it then tells nothing of the question's language. A form
 * declared for one ("Sopocie" is Polish) is read like any other word. */
int pa_name_spans_neutral(const pa_name_spans *spans, size_t i);

/* Writes the distinct names of the question into out, in order of first
 * appearance, at most max of them; returns how many. When region_only is
 * not NULL, region_only[i] is set to 1 when out[i] was named only by
 * region variants. */
size_t pa_name_spans_distinct(const pa_name_spans *spans, int *out, int *region_only, size_t max);

#endif

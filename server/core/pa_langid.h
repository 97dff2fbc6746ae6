/* pa_langid: which language a short chat message is written in.
 *
 * Learnt at load time from the knowledge itself (examples, answers, labels
 * and stopwords of each locale), so adding a language needs no code:
 *   - script: a message in Arabic letters is only compared with languages
 *     whose knowledge is written in Arabic letters, and likewise for Latin;
 *   - character 1- to 3-grams of the surface forms (accents kept: ł, ß, ã
 *     are strong evidence), naive Bayes with add-one smoothing;
 *   - whole words: a word seen in one language's knowledge and not in the
 *     others (stopwords especially) weighs more than its letters.
 * Name tokens (Sopot, Colombes) are skipped by the caller: they say nothing
 * about the language. */
#ifndef PA_LANGID_H
#define PA_LANGID_H

#include "pa_knowledge.h"
#include "pa_text.h"

typedef struct pa_langid pa_langid;

/* Builds the model from the knowledge (locales and intents). Free it with
 * pa_langid_free (accepts NULL). */
pa_langid *pa_langid_build(const pa_knowledge *k);
void pa_langid_free(pa_langid *m);

typedef struct {
    int lang;     /* locale index of the best language, or -1 */
    int evidence; /* number of tokens that were scored */
} pa_langid_result;

/* Scores the tokens not marked in skip (skip may be NULL; skip[i] != 0 skips
 * token i). prior_bonus, when not NULL, holds one log-score per locale added
 * before deciding (the widget's hint, the conversation's language). */
pa_langid_result pa_langid_detect(const pa_langid *m, const pa_tokens *tokens,
                                  const unsigned char *skip, const double *prior_bonus);

#endif

/* pa_match: from a question's tokens to ranked intents.
 *
 * Built once per snapshot, one index per language:
 *   features   stems of the content words of the training examples (stopwords
 *              from the locale removed), German compounds also split into
 *              their known parts, and one feature per declared name ("#sopot")
 *              whatever variant or case form was written;
 *   weights    idf over intents: a stem found in few intents says more;
 *   postings   feature → examples and feature → intents, so a question costs
 *              in proportion to its words, not to the size of the knowledge.
 *
 * A question is analysed the same way. A word the index does not know is
 * first split (compounds), then corrected against the vocabulary of the
 * language (1 edit for 4-6 letters, 2 from 7, counting transpositions, and
 * a substitution that is no plausible slip of the hand as two: pa_slip); if
 * still unknown it counts against every intent, in proportion to its length:
 * "the weather in Sopot" names Sopot but asks about something the knowledge
 * lacks, and must not get Sopot's description.
 *
 * The score of an intent, in [0, 1], is the geometric mean of
 *   coverage  the weighted share of the question's words the intent knows, and
 *   closeness its nearest example's overlap with the question (the mean of
 *             weighted Dice and of how much of the example the question holds),
 * lowered when the words the knowledge lacks (or knows only from questions
 * it does not answer, for an intent about a partner) outweigh those the
 * intent knows: the question asks an aspect the knowledge lacks.
 * Questions the bot must not answer are learnt too: intents marked
 * "fallback" hold examples of them (weather, transport, opening hours...),
 * and when one of those ranks first the reply is the fallback. */
#ifndef PA_MATCH_H
#define PA_MATCH_H

#include "pa_diag.h"
#include "pa_knowledge.h"
#include "pa_names.h"
#include "pa_text.h"

enum { PA_MATCH_TOP = 3, PA_MATCH_MAX_NAMES = 8 };

/* Below this score the question gets the fallback. */
#define PA_MATCH_THRESHOLD 0.45
/* When the first two are within this distance: "did you mean". */
#define PA_MATCH_CLOSE 0.02
/* An answer whose score the examples of what the bot does not answer come
 * this near to is not given: the question is as much like those (the
 * weather, the beaches, the hotels of a partner town) as like the answer. */
#define PA_MATCH_OUTSIDE_CLOSE 0.05

typedef struct pa_index pa_index;

/* Languages indexed at once, each by a thread of its own: a knowledge many
 * times the bundled one takes seconds a language. */
enum { PA_INDEX_THREADS = 2 };

/* Builds the index of k, whose names idx finds; both must outlive it. Free
 * it with pa_index_free. Uses up to PA_INDEX_THREADS threads (this one
 * included), all joined before it returns; builds in this thread alone when
 * no other can be started.
 *
 * A language built from the same inputs as one of reuse (the same locale,
 * examples in the same intents' places, and names found the same way:
 * pa_names_digest) shares what reuse built for it instead of building its
 * own: a reload after an edit to one language's examples builds that
 * language alone, beside the one in service. reuse may be NULL, and may be
 * freed before the index built (what is shared is counted). */
pa_index *pa_index_build(const pa_knowledge *k, const pa_name_index *names, const pa_index *reuse);
/* A hold on idx's languages alone, to build the next index with (as
 * reuse): it needs neither idx nor its knowledge, which may then be freed.
 * Free it with pa_index_free. Fingerprints the languages of an index built
 * without reuse, on up to PA_INDEX_THREADS threads: a few milliseconds for
 * the bundled knowledge, a fraction of its load. */
pa_index *pa_index_languages(const pa_index *idx);
/* How many of idx's languages were shared with the index it was built
 * with, rather than built. */
size_t pa_index_reused(const pa_index *idx);
/* Warns (into diag) of each example that names a town of places.json and
 * neither Colombes nor a partner: only that exact wording is answered. In
 * the intents' order; the languages read on up to PA_INDEX_THREADS threads. */
void pa_match_warn_elsewhere(const pa_index *idx, pa_diag *diag);
/* Adds a warning to diag for each pair of examples of different intents that
 * analyse to nearly the same features: the confusable pairs staff should
 * look at, in the languages' order. Reads only the pairs that share a rare
 * feature, the languages on up to PA_INDEX_THREADS threads; `passerelle
 * check` runs it, not the server. */
void pa_match_warn_confusables(const pa_index *idx, pa_diag *diag);
/* Accepts NULL. */
void pa_index_free(pa_index *idx);

typedef struct {
    int intent; /* index into pa_knowledge.intents */
    double score;
    /* share of the question's weight the intent's examples know, in [0, 1],
     * every unknown word weighed in full (not spread as in the score) */
    double coverage;
} pa_candidate;

typedef struct {
    pa_candidate top[PA_MATCH_TOP]; /* best first; n_top may be 0 */
    size_t n_top;
    int names[PA_MATCH_MAX_NAMES];       /* distinct names in the question, in order */
    int region_only[PA_MATCH_MAX_NAMES]; /* 1: names[i] named by its country or region only */
    size_t n_names;
    size_t content_words, unknown_words, corrected_words;
    int exact;        /* 1 when the question is one of the examples, as written */
    int from_context; /* 1 when the subject is the conversation's, not named */
} pa_match_result;

/* Writes into out (size bytes) the feature that a word of language lang
 * becomes: prefixes stripped, accents restored, stemmed, folded. Exposed so
 * that tests can check which forms conflate. Returns out. */
const char *pa_match_feature(const pa_index *idx, int lang, const char *word, char *out,
                             size_t size);

/* Ranks the intents for tokens read in language lang (a locale index), with
 * the names pa_names_find found in them. context_name, when not -1, is the
 * name the conversation is about: a question that names none is read as if
 * it named that one ("depuis quand ?" after a question about Sopot). */
void pa_match_rank(const pa_index *idx, int lang, const pa_tokens *t, const pa_name_spans *names,
                   int context_name, pa_match_result *out);

#endif

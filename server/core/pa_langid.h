/* pa_langid: which language a short chat message is written in, and how
 * clearly.
 *
 * Learnt at load time from the knowledge itself (examples, answers and
 * stopwords of each locale), so adding a language needs no code:
 *   - script: a message's tokens in Arabic letters are compared only with
 *     the languages whose knowledge has Arabic letters, and likewise for
 *     Latin; a language may write in both (Arabic also in Latin letters, the
 *     chat alphabet of the Maghreb, when its examples have such text);
 *   - character 1- to 3-grams of the surface forms (accents kept: ł, ß, ã
 *     are evidence), naive Bayes with add-one smoothing, per script;
 *   - whole words: a word seen in one language's knowledge weighs more than
 *     its letters.
 * Besides the best guess, it says how clearly the text is written in one
 * language: tokens that only one language has (as words, or by a letter
 * that only it uses), and tokens listed as words of a language the bot does
 * not speak (intents/other-languages.json), against the words it knows. Names
 * declared for several languages (Sopot, Colombes) say nothing and are left
 * out; a form declared for one ("Sopocie") counts for that one. */
#ifndef PA_LANGID_H
#define PA_LANGID_H

#include "pa_knowledge.h"
#include "pa_text.h"

/* Tokens only one language has that make a text clearly written in it even
 * when another language has one too; alone, one suffices. */
enum { PA_LANGID_CLEAR_TOKENS = 2 };

typedef struct pa_langid pa_langid;

/* Builds the model from the knowledge, which must outlive it (the model
 * borrows the words of its examples). Free it with pa_langid_free (accepts
 * NULL). */
pa_langid *pa_langid_build(const pa_knowledge *k);
void pa_langid_free(pa_langid *m);

typedef struct {
    int lang; /* best language among those writing the message's script, or -1 */
    /* the same among the languages written mainly in that script (Arabic
     * is written in Latin letters too, but mainly not): what letters alone
     * can tell, when no word of the message is known */
    int lang_native;
    int evidence;     /* tokens scored for it */
    pa_script script; /* the script most of the message's letters are in */
    /* The language with the most tokens that only it has, when it has more
     * than any other and either PA_LANGID_CLEAR_TOKENS of them or the only
     * ones; else -1. Acknowledgements ("danke") are not such tokens. */
    int clear;
    int distinct[PA_LANG_MAX]; /* tokens only language l has */
    int known;   /* tokens that are words of a language the bot speaks, and not listed below */
    int foreign; /* tokens listed as words of a language it does not speak */
    /* tokens in letters of neither the Latin nor the Arabic script, the
     * knowledge's (Cyrillic, Greek, Chinese...), against those in them */
    int unwritten, written;
    int shared; /* of the known: tokens listed too, as words its languages share ("in", "do") */
} pa_langid_result;

/* Reads the tokens. name_langs, when not NULL, holds per token the languages
 * (a bit per locale) of the name variant the token belongs to, 0 for a token
 * outside names: a name of one language (or of one written mainly in the
 * token's letters) counts for it, a name of every language is left out, and
 * a variant several such languages list is read as words ("villes
 * jumelles"). */
pa_langid_result pa_langid_detect(const pa_langid *m, const pa_tokens *tokens,
                                  const unsigned *name_langs);

/* 1 when language l has knowledge written in script s. */
int pa_langid_writes(const pa_langid *m, int l, pa_script s);

#endif

#include "pa_stem.h"

#include "pa_alloc.h"
#include "pa_text.h"

#include <libstemmer.h>
#include <stdlib.h>
#include <string.h>

enum { PA_STEM_MAX = 256 };

struct pa_stemmer {
    struct sb_stemmer *snowball; /* NULL for the built-in algorithms */
    int polish;
    pa_tokenizer tokenizer;       /* Polish: to fold the word */
    char folded[2 * PA_STEM_MAX]; /* Polish: the word folded, when it fits */
    char out[PA_STEM_MAX];
};

int pa_stemmer_exists(const char *algorithm)
{
    if (!strcmp(algorithm, PA_STEM_POLISH_LIGHT) || !strcmp(algorithm, PA_STEM_NONE))
        return 1;
    for (const char **name = sb_stemmer_list(); *name; name++)
        if (!strcmp(*name, algorithm))
            return 1;
    return 0;
}

pa_stemmer *pa_stemmer_new(const char *algorithm)
{
    if (!pa_stemmer_exists(algorithm))
        return NULL;
    pa_stemmer *st = pa_xcalloc(1, sizeof *st);
    if (!strcmp(algorithm, PA_STEM_POLISH_LIGHT)) {
        st->polish = 1;
    } else if (strcmp(algorithm, PA_STEM_NONE)) {
        /* the algorithm exists, so only memory can be missing */
        st->snowball = sb_stemmer_new(algorithm, "UTF_8");
        if (!st->snowball)
            pa_out_of_memory(sizeof *st);
    }
    return st;
}

void pa_stemmer_free(pa_stemmer *st)
{
    if (!st)
        return;
    if (st->snowball)
        sb_stemmer_delete(st->snowball);
    pa_tokenizer_clear(&st->tokenizer);
    free(st);
}

const char *pa_stemmer_stem(pa_stemmer *st, const char *word)
{
    size_t len = strlen(word);
    if (len >= PA_STEM_MAX)
        return word;
    if (st->polish) { /* its endings are written without diacritics */
        const char *folded = word;
        char *own = NULL;
        if (pa_tokenizer_run(&st->tokenizer, word, len) == 0) {
            const pa_tokens *t = &st->tokenizer.tokens;
            if (pa_text_join_folded_to(t, st->folded, sizeof st->folded) < sizeof st->folded)
                folded = st->folded;
            else
                folded = own = pa_text_join_folded(t);
        }
        pa_stem_polish(folded, st->out, sizeof st->out);
        free(own);
        return st->out;
    }
    if (!st->snowball)
        return word;
    const sb_symbol *s = sb_stemmer_stem(st->snowball, (const sb_symbol *)word, (int)len);
    if (!s)
        pa_out_of_memory(len);
    int n = sb_stemmer_length(st->snowball);
    memcpy(st->out, s, (size_t)n);
    st->out[n] = '\0';
    return st->out;
}

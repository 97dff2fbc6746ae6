#include "pa_snapshot.h"

#include "pa_alloc.h"
#include "pa_langid.h"
#include "pa_match.h"
#include "pa_names.h"

#include <stdlib.h>

pa_snapshot *pa_snapshot_load(const char *intents_dir, const char *locales_dir, pa_diag *diag)
{
    pa_snapshot *s = pa_xcalloc(1, sizeof *s);
    if (pa_knowledge_load(&s->k, intents_dir, locales_dir, diag) != 0) {
        free(s);
        return NULL;
    }
    s->names = pa_names_build(&s->k);
    s->langid = pa_langid_build(&s->k);
    s->index = pa_index_build(&s->k, s->names);
    return s;
}

void pa_snapshot_free(pa_snapshot *s)
{
    if (!s)
        return;
    pa_index_free(s->index);
    pa_langid_free(s->langid);
    pa_names_free(s->names);
    pa_knowledge_clear(&s->k);
    free(s);
}

int pa_snapshot_lang(const pa_snapshot *s, const char *code)
{
    return pa_knowledge_lang(&s->k, code);
}

int pa_snapshot_intent(const pa_snapshot *s, const char *id)
{
    return pa_knowledge_intent(&s->k, id);
}

#include "pa_snapshot.h"

#include "pa_alloc.h"
#include "pa_langid.h"
#include "pa_match.h"
#include "pa_names.h"

#include <pthread.h>
#include <stdlib.h>

/* The language model learns from the knowledge alone: it is built in a
 * thread of its own while the names and the index are. POSIX threads, not
 * C11's: ThreadSanitizer follows only threads started through
 * pthread_create, and glibc's thrd_create goes round it. */
typedef struct {
    const pa_knowledge *k;
    pa_langid *model;
} langid_job;

static void *build_langid(void *arg)
{
    langid_job *job = arg;
    job->model = pa_langid_build(job->k);
    return NULL;
}

static pa_snapshot *load(const char *intents_dir, const char *locales_dir, pa_diag *diag,
                         const struct pa_index *reuse, int with_langid)
{
    pa_snapshot *s = pa_xcalloc(1, sizeof *s);
    if (pa_knowledge_load(&s->k, intents_dir, locales_dir, diag) != 0) {
        free(s);
        return NULL;
    }
    langid_job job = {&s->k, NULL};
    pthread_t thread;
    int threaded = with_langid && pthread_create(&thread, NULL, build_langid, &job) == 0;
    s->names = pa_names_build(&s->k);
    s->index = pa_index_build(&s->k, s->names, reuse);
    if (threaded)
        pthread_join(thread, NULL);
    else if (with_langid)
        build_langid(&job);
    s->langid = job.model;
    return s;
}

pa_snapshot *pa_snapshot_load(const char *intents_dir, const char *locales_dir, pa_diag *diag)
{
    return load(intents_dir, locales_dir, diag, NULL, 1);
}

pa_snapshot *pa_snapshot_load_reusing(const char *intents_dir, const char *locales_dir,
                                      pa_diag *diag, const struct pa_index *reuse)
{
    return load(intents_dir, locales_dir, diag, reuse, 1);
}

pa_snapshot *pa_snapshot_load_to_check(const char *intents_dir, const char *locales_dir,
                                       pa_diag *diag)
{
    return load(intents_dir, locales_dir, diag, NULL, 0);
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

/* pa_snapshot: the knowledge with what is built from it, as one immutable
 * value.
 *
 * pa_snapshot_load reads and checks the files (pa_knowledge), then builds
 * around them the name index (pa_names), the language identifier
 * (pa_langid) and the matching index (pa_match), and returns the whole. It
 * never changes afterwards: a reload builds a new snapshot beside the old
 * one and swaps the pointer once no turn uses the old one, so a question
 * always sees one consistent version of the knowledge. The two may share the
 * matching index of the languages the edit did not touch
 * (pa_snapshot_load_reusing): shared parts are immutable and counted. */
#ifndef PA_SNAPSHOT_H
#define PA_SNAPSHOT_H

#include "pa_knowledge.h"

struct pa_name_index;
struct pa_langid;
struct pa_index;

typedef struct pa_snapshot {
    pa_knowledge k;              /* the files as read */
    struct pa_name_index *names; /* built from k */
    struct pa_langid *langid;    /* built from k */
    struct pa_index *index;      /* built from k and names */
} pa_snapshot;

/* Loads, checks and builds the knowledge. Every problem is added to diag
 * (which may be NULL) as path:line:column with its code. Returns a snapshot
 * (free it with pa_snapshot_free), or NULL when any error was found. The
 * builds run in a few threads of their own (the language identifier beside
 * the index, whose languages are built PA_INDEX_THREADS at a time), all
 * joined before it returns. */
pa_snapshot *pa_snapshot_load(const char *intents_dir, const char *locales_dir, pa_diag *diag);
/* The same, sharing with reuse (NULL: none) the matching index of every
 * language whose inputs did not change (pa_index_build): a reload builds
 * only what an edit touched. reuse is typically pa_index_languages of the
 * snapshot in service. */
pa_snapshot *pa_snapshot_load_reusing(const char *intents_dir, const char *locales_dir,
                                      pa_diag *diag, const struct pa_index *reuse);
/* The same without the language identifier (langid is NULL), which no check
 * reads: what `passerelle check` builds, a core less busy. Such a snapshot
 * cannot answer questions. */
pa_snapshot *pa_snapshot_load_to_check(const char *intents_dir, const char *locales_dir,
                                       pa_diag *diag);
/* Frees the snapshot and all it holds. Accepts NULL. */
void pa_snapshot_free(pa_snapshot *s);

/* Index of the locale with this code, or -1. */
int pa_snapshot_lang(const pa_snapshot *s, const char *code);
/* Index of the intent with this id, or -1. */
int pa_snapshot_intent(const pa_snapshot *s, const char *id);

#endif

/* pa_dialog: the reply to a question, in the context of a conversation.
 *
 * Fed a question (or a clicked suggestion) and the conversation's small
 * state, returns the reply: its language, intent, confidence, text and
 * follow-up suggestions. It assumes a valid request: pa_turn, which every
 * caller goes through, checks requests first and turns replies into frames. */
#ifndef PA_DIALOG_H
#define PA_DIALOG_H

#include "pa_langid.h"
#include "pa_match.h"
#include "pa_snapshot.h"

#include <stddef.h>

enum { PA_REPLY_MAX_SUGGESTIONS = 4 };

/* What a connection remembers between turns; its size is what an idle
 * connection costs, so it stays a handful of integers. */
typedef struct {
    int lang;       /* locale index of the conversation, -1 before the first turn */
    unsigned turns; /* rotates answer variants */
    /* id of the previous answer's intent, "" when none: an id, not an index,
     * so that a reload adding or removing intents keeps the context right */
    char last_intent[PA_INTENT_ID_MAX + 1];
} pa_session;

typedef enum {
    PA_REPLY_ANSWER,    /* intent found */
    PA_REPLY_FALLBACK,  /* nothing matched well enough */
    PA_REPLY_CLARIFY,   /* two intents too close to choose: "did you mean" */
    PA_REPLY_LANGUAGES, /* written in a language the bot does not speak: which it speaks */
    PA_REPLY_KIND_END
} pa_reply_kind;

/* The name of a kind in frames and reports ("answer", "fallback", "clarify",
 * "languages"); "" out of range. */
const char *pa_reply_kind_name(pa_reply_kind kind);

typedef struct {
    pa_reply_kind kind;
    int lang;                                     /* locale index of the reply */
    int intent;                                   /* intent index, -1 for fallback and clarify */
    double confidence;                            /* score of the best intent, in [0, 1] */
    const char *text;                             /* borrowed from the snapshot */
    size_t suggestions[PA_REPLY_MAX_SUGGESTIONS]; /* intent indices */
    size_t n_suggestions;
    int lang_detected;       /* 1 when the language was read from the text */
    pa_match_result match;   /* the ranking behind the reply, for eval and logs */
    pa_langid_result langid; /* what the words said of the language */
} pa_reply;

/* Starts a conversation. */
void pa_session_init(pa_session *session);

/* Answers text (len bytes). hint is the language chosen in the widget (a
 * locale code) or NULL. Updates the session. Returns 0, or -1 when the text is
 * not valid UTF-8 (pa_turn checks requests before they get here). */
int pa_dialog_ask(const pa_snapshot *s, pa_session *session, const char *text, size_t len,
                  const char *hint, pa_reply *reply);

/* Answers a click on a suggestion: the intent's answer in the language of
 * hint, else of the conversation. intent is an index into s->k.intents. */
void pa_dialog_choose(const pa_snapshot *s, pa_session *session, int intent, const char *hint,
                      pa_reply *reply);

/* Language for a turn whose text says nothing: the hint, else the
 * conversation's language, else the first locale. */
int pa_dialog_default_lang(const pa_snapshot *s, const pa_session *session, const char *hint);

#endif

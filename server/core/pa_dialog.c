#include "pa_dialog.h"

#include "pa_alloc.h"

#include "pa_langid.h"
#include "pa_names.h"
#include "pa_text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Log-score bonuses that break ties in language identification: the widget's
 * selection first, then the language the conversation has been in. They only
 * decide when the text itself hardly speaks (a bare name, one short word). */
static const double HINT_BONUS = 0.35;
static const double SESSION_BONUS = 0.2;

void pa_session_init(pa_session *session)
{
    session->lang = -1;
    session->turns = 0;
    session->last_intent[0] = '\0';
}

int pa_dialog_default_lang(const pa_snapshot *s, const pa_session *session, const char *hint)
{
    int l = hint ? pa_snapshot_lang(s, hint) : -1;
    if (l < 0 && session)
        l = session->lang;
    return l >= 0 ? l : 0;
}

static const char *message(const pa_snapshot *s, int lang, pa_message m)
{
    return s->k.locales[lang].message_text[m]; /* the loader made sure it is there */
}

static void add_suggestion(pa_reply *r, size_t intent)
{
    for (size_t i = 0; i < r->n_suggestions; i++)
        if (r->suggestions[i] == intent)
            return;
    if (r->n_suggestions < PA_REPLY_MAX_SUGGESTIONS)
        r->suggestions[r->n_suggestions++] = intent;
}

/* Keeps the intent answered (-1: none) for the next turn. */
static void remember(const pa_snapshot *s, pa_session *session, int intent)
{
    snprintf(session->last_intent, sizeof session->last_intent, "%s",
             intent >= 0 ? s->k.intents[intent].id : "");
}

/* The intent answered last, in this snapshot, or -1 (none, or gone since). */
static int previous_intent(const pa_snapshot *s, const pa_session *session)
{
    return session->last_intent[0] ? pa_snapshot_intent(s, session->last_intent) : -1;
}

static void answer_with(const pa_snapshot *s, pa_session *session, int intent, pa_reply *r)
{
    const pa_intent *in = &s->k.intents[intent];
    const pa_intent_lang *il = &in->langs[r->lang];
    r->kind = PA_REPLY_ANSWER;
    r->intent = intent;
    r->text = il->answers[session->turns % il->n_answers];
    for (size_t i = 0; i < in->n_suggestions; i++)
        add_suggestion(r, in->suggestions[i]);
    remember(s, session, intent);
}

/* Picks the language of the question from its words, falling back on the
 * hint and the conversation when they say nothing. */
static int detect_lang(const pa_snapshot *s, const pa_session *session, const pa_tokens *t,
                       const pa_name_spans *names, const char *hint, int *detected)
{
    double bonus[PA_LANG_MAX] = {0};
    int h = hint ? pa_snapshot_lang(s, hint) : -1;
    if (h >= 0)
        bonus[h] += HINT_BONUS;
    if (session->lang >= 0)
        bonus[session->lang] += SESSION_BONUS;
    unsigned char *skip = pa_xcalloc(t->count + 1, 1);
    for (size_t i = 0; i < t->count; i++)
        skip[i] = (unsigned char)pa_name_spans_neutral(names, i);
    pa_langid_result r = pa_langid_detect(s->langid, t, skip, bonus);
    free(skip);
    *detected = r.evidence > 0 && r.lang >= 0;
    return r.lang >= 0 ? r.lang : pa_dialog_default_lang(s, session, hint);
}

/* The intent that plays the role of `previous` for another name: after
 * "Tell me about Frankenthal", "and Sopot?" means Sopot's own intent. */
static int same_role_for_name(const pa_snapshot *s, int previous, int name)
{
    if (previous < 0 || !s->k.intents[previous].about)
        return -1;
    const char *id = s->k.intents[previous].id;
    size_t family = strcspn(id, ".");
    for (size_t i = 0; i < s->k.n_intents; i++) {
        const pa_intent *in = &s->k.intents[i];
        if (in->about && !strcmp(in->about, s->k.names[name].id) && !strncmp(in->id, id, family) &&
            in->id[family] == '.')
            return (int)i;
    }
    return -1;
}

static void decide(const pa_snapshot *s, pa_session *session, pa_reply *r)
{
    const pa_match_result *m = &r->match;
    double top = m->n_top ? m->top[0].score : 0;
    /* The confidence is that of the best intent with an answer, also when a
     * fallback intent ranked first: it says how near an answer came. */
    r->confidence = 0;
    for (size_t i = 0; i < m->n_top && r->confidence == 0; i++)
        if (!s->k.intents[m->top[i].intent].fallback)
            r->confidence = m->top[i].score;
    int outside = m->n_top && s->k.intents[m->top[0].intent].fallback;
    if (top < PA_MATCH_THRESHOLD || outside) {
        /* A short follow-up that only names another partner ("et Sopot ?") */
        int follow = !outside && m->n_names == 1 && m->unknown_words == 0
                         ? same_role_for_name(s, previous_intent(s, session), m->names[0])
                         : -1;
        if (follow >= 0) {
            answer_with(s, session, follow, r);
            return;
        }
        r->kind = PA_REPLY_FALLBACK;
        r->intent = -1;
        r->text = message(s, r->lang, PA_MSG_FALLBACK);
        int help = pa_snapshot_intent(s, PA_HELP_INTENT);
        if (help >= 0)
            add_suggestion(r, (size_t)help);
        remember(s, session, -1);
        return;
    }
    if (m->n_top > 1 && top - m->top[1].score < PA_MATCH_CLOSE &&
        !s->k.intents[m->top[1].intent].fallback) {
        r->kind = PA_REPLY_CLARIFY;
        r->intent = -1;
        r->text = message(s, r->lang, PA_MSG_DID_YOU_MEAN);
        add_suggestion(r, (size_t)m->top[0].intent);
        add_suggestion(r, (size_t)m->top[1].intent);
        return;
    }
    answer_with(s, session, m->top[0].intent, r);
}

int pa_dialog_ask(const pa_snapshot *s, pa_session *session, const char *text, size_t len,
                  const char *hint, pa_reply *reply)
{
    memset(reply, 0, sizeof *reply);
    reply->intent = -1;
    pa_tokens t;
    if (pa_text_tokenize(text, len, &t) != 0)
        return -1;
    pa_name_spans names;
    pa_names_find(&s->k, s->names, &t, 1, &names);
    reply->lang = detect_lang(s, session, &t, &names, hint, &reply->lang_detected);
    pa_match_rank(s->index, reply->lang, &t, &names, &reply->match);
    pa_name_spans_free(&names);
    pa_tokens_free(&t);
    decide(s, session, reply);
    session->lang = reply->lang;
    session->turns++;
    return 0;
}

void pa_dialog_choose(const pa_snapshot *s, pa_session *session, int intent, const char *hint,
                      pa_reply *reply)
{
    memset(reply, 0, sizeof *reply);
    reply->lang = pa_dialog_default_lang(s, session, hint);
    reply->confidence = 1.0;
    answer_with(s, session, intent, reply);
    session->lang = reply->lang;
    session->turns++;
}

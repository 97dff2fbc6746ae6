#include "pa_dialog.h"

#include "pa_alloc.h"

#include "pa_langid.h"
#include "pa_names.h"
#include "pa_text.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>

const char *pa_reply_kind_name(pa_reply_kind kind)
{
    static const char *const names[] = {"answer", "fallback", "clarify", "languages"};
    return kind >= 0 && kind < PA_REPLY_KIND_END ? names[kind] : "";
}

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

/* An "alone" intent yields to an intent with content scoring at least this
 * share of its own score: the message then asks something besides. */
static const double ALONE_YIELD = 0.75;
/* The share of a message's weight an "alone" intent must know to answer it
 * (pa_candidate.coverage): what is left is what the message is about. */
static const double ALONE_MIN_COVERAGE = 0.5;
/* Words of a language the bot does not speak outweigh the words that
 * language shares with the bot's ones when this many times more. */
static const int OTHER_LANGUAGE_SHARED_RATIO = 2;
/* See asks_outside. */
static const double FOLLOW_UP_OUTSIDE_SHARE = 0.5;

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

/* The one language with knowledge in this script, or -1 when several or
 * none have it. */
static int only_writer(const pa_snapshot *s, pa_script script)
{
    int writer = -1;
    for (size_t l = 0; l < s->k.n_locales; l++) {
        if (!pa_langid_writes(s->langid, (int)l, script))
            continue;
        if (writer >= 0)
            return -1;
        writer = (int)l;
    }
    return writer;
}

/* The language of the reply. The language the resident chose (the hint),
 * else the conversation's, holds unless the text is clearly written in
 * another (pa_langid's clear tokens) or in letters only another writes
 * (Arabic letters in the French widget): a name, a number, an "ok" or a
 * word several languages share never switches it. Without either, the
 * identifier's guess stands. *from_text tells whether the text decided. */
static int reply_lang(const pa_snapshot *s, const pa_session *session, const pa_langid_result *r,
                      const char *hint, int *from_text)
{
    int preferred = hint ? pa_snapshot_lang(s, hint) : -1;
    if (preferred < 0)
        preferred = session->lang;
    int writer = only_writer(s, r->script);
    *from_text = 1;
    if (r->clear >= 0)
        return r->clear;
    if (preferred >= 0 && writer >= 0 && !pa_langid_writes(s->langid, preferred, r->script))
        return writer;
    if (preferred >= 0) {
        *from_text = 0;
        return preferred;
    }
    /* with no word any language has, the letters' statistics: "Kartoffel
     * Kartoffel" is German, not Arabic in Latin letters */
    if (r->lang >= 0 && r->evidence > 0)
        return r->known == 0 && r->lang_native >= 0 ? r->lang_native : r->lang;
    *from_text = 0;
    return pa_dialog_default_lang(s, session, hint);
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

/* 1 when the question names a name that some intent is about (a partner
 * city): it then asks about that, not only greets or thanks. */
static int names_a_subject(const pa_snapshot *s, const pa_match_result *m)
{
    for (size_t i = 0; i < m->n_names; i++)
        for (size_t j = 0; j < s->k.n_intents; j++)
            if (s->k.intents[j].about && !strcmp(s->k.intents[j].about, s->k.names[m->names[i]].id))
                return 1;
    return 0;
}

/* The candidates that may answer. An intent marked "alone" (a greeting, a
 * thanks) answers only a message that is essentially that: not one that
 * names a partner ("Wie spät ist es in Sopot?" is no goodbye), not one
 * where an intent with content also passes the threshold ("Salam, c'est
 * quoi le jumelage ?" is about twinning), and not one whose words it knows
 * less than half of ("dis au revoir à ma mère par SMS" is an errand, "wann
 * ist der nächste Vollmond" no goodbye). Keeps the order; returns how many
 * are left. */
static size_t eligible(const pa_snapshot *s, const pa_match_result *m, pa_candidate *out)
{
    int subject = names_a_subject(s, m);
    double content = 0, alone = 0; /* best scores of each kind */
    for (size_t i = 0; i < m->n_top; i++) {
        const pa_intent *in = &s->k.intents[m->top[i].intent];
        if (in->alone)
            alone = fmax(alone, m->top[i].score);
        else if (!in->fallback)
            content = fmax(content, m->top[i].score);
    }
    int yields = subject || (content >= PA_MATCH_THRESHOLD && content >= ALONE_YIELD * alone);
    size_t n = 0;
    for (size_t i = 0; i < m->n_top; i++)
        if (!s->k.intents[m->top[i].intent].alone ||
            (!yields && m->top[i].coverage >= ALONE_MIN_COVERAGE))
            out[n++] = m->top[i];
    return n;
}

static void fall_back(const pa_snapshot *s, pa_session *session, pa_reply *r)
{
    r->kind = PA_REPLY_FALLBACK;
    r->intent = -1;
    r->text = message(s, r->lang, PA_MSG_FALLBACK);
    int help = pa_snapshot_intent(s, PA_HELP_INTENT);
    if (help >= 0)
        add_suggestion(r, (size_t)help);
    remember(s, session, -1);
}

/* 1 when the question names a town of places.json, and neither Colombes
 * nor a partner: it is about that town ("mit welchen Städten ist Berlin
 * verschwistert?"), which the knowledge says nothing of, however well its
 * words match. */
/* 1 when the examples of what the bot does not answer come within
 * PA_MATCH_OUTSIDE_CLOSE of the best answer ("Gibt es in Frankenthal ein
 * Schwimmbad?" is as much a question about swimming pools as about
 * Frankenthal). Not for a follow-up, whose subject the conversation gave:
 * its few words say little either way. */
static int nearly_outside(const pa_snapshot *s, const pa_match_result *m, const pa_candidate *top,
                          size_t n_top)
{
    return n_top > 1 && s->k.intents[top[1].intent].fallback && !m->exact && !m->from_context &&
           top[0].score - top[1].score < PA_MATCH_OUTSIDE_CLOSE;
}

static int about_elsewhere(const pa_snapshot *s, const pa_match_result *m)
{
    /* an example written by staff is theirs to answer (check warns of it) */
    return !m->exact && pa_names_elsewhere_only(&s->k, m->names, m->region_only, m->n_names);
}

static void decide(const pa_snapshot *s, pa_session *session, pa_reply *r)
{
    const pa_match_result *m = &r->match;
    pa_candidate top[PA_MATCH_TOP];
    size_t n_top = eligible(s, m, top);
    /* The confidence is that of the best intent with an answer, also when a
     * fallback intent ranked first: it says how near an answer came. */
    r->confidence = 0;
    for (size_t i = 0; i < n_top && r->confidence == 0; i++)
        if (!s->k.intents[top[i].intent].fallback)
            r->confidence = top[i].score;
    double best = n_top ? top[0].score : 0;
    int outside = (n_top && s->k.intents[top[0].intent].fallback) || about_elsewhere(s, m) ||
                  nearly_outside(s, m, top, n_top);
    if (best < PA_MATCH_THRESHOLD || outside) {
        /* A short follow-up that only names another partner ("et Sopot ?") */
        int follow = !outside && m->n_names == 1 && m->unknown_words == 0
                         ? same_role_for_name(s, previous_intent(s, session), m->names[0])
                         : -1;
        if (follow >= 0)
            answer_with(s, session, follow, r);
        else
            fall_back(s, session, r);
        return;
    }
    if (n_top > 1 && best - top[1].score < PA_MATCH_CLOSE &&
        !s->k.intents[top[1].intent].fallback) {
        r->kind = PA_REPLY_CLARIFY;
        r->intent = -1;
        r->text = message(s, r->lang, PA_MSG_DID_YOU_MEAN);
        add_suggestion(r, (size_t)top[0].intent);
        add_suggestion(r, (size_t)top[1].intent);
        return;
    }
    answer_with(s, session, top[0].intent, r);
}

/* A question in a language the bot does not speak: say which it speaks, in
 * the conversation's language. Either most of it is in letters none of its
 * languages writes, or it has more words of that language than words only
 * the bot's languages have, and more than half as many as the words both
 * share: "who do i contact about ..." has "do", "i", "in" of Polish too,
 * "Y a-t-il un train direct" only one English word among French ones. */
static int in_other_language(const pa_langid_result *lr)
{
    if (lr->unwritten > lr->written) /* "спасибо", "谢谢": letters none of them writes */
        return 1;
    return lr->clear < 0 && lr->foreign > 0 && lr->foreign > lr->known - lr->shared &&
           OTHER_LANGUAGE_SHARED_RATIO * lr->foreign > lr->shared;
}

static void name_languages(const pa_snapshot *s, pa_session *session, pa_reply *r)
{
    r->kind = PA_REPLY_LANGUAGES;
    r->intent = -1;
    r->text = s->k.locales[r->lang].languages_text;
    remember(s, session, -1);
}

static double top_score(const pa_match_result *m)
{
    return m->n_top ? m->top[0].score : 0;
}

/* 1 when the best candidate would be answered: an intent with an answer,
 * above the threshold. */
static int top_answers(const pa_snapshot *s, const pa_match_result *m)
{
    return m->n_top && top_score(m) >= PA_MATCH_THRESHOLD &&
           !s->k.intents[m->top[0].intent].fallback;
}

/* Ranks the intents in the language the text is written in, and in the
 * reply's when they differ: "danke" in the French widget is understood in
 * German and answered in French. The better ranking wins. */
static void rank(const pa_snapshot *s, const pa_tokens *t, const pa_name_spans *names,
                 const pa_langid_result *lr, pa_reply *r)
{
    pa_match_rank(s->index, r->lang, t, names, -1, &r->match);
    int written = lr->clear >= 0 ? lr->clear : lr->evidence > 0 ? lr->lang : -1;
    if (written < 0 || written == r->lang)
        return;
    pa_match_result other;
    pa_match_rank(s->index, written, t, names, -1, &other);
    if (other.n_top && other.top[0].score > top_score(&r->match))
        r->match = other;
}

/* The name the previous answer was about, or -1. */
static int conversation_subject(const pa_snapshot *s, const pa_session *session)
{
    int previous = previous_intent(s, session);
    const char *about = previous >= 0 ? s->k.intents[previous].about : NULL;
    for (size_t i = 0; about && i < s->k.n_names; i++)
        if (!strcmp(s->k.names[i].id, about))
            return (int)i;
    return -1;
}

/* 1 when the question's own words, without the conversation's subject,
 * rank first what the bot does not answer, with at least
 * FOLLOW_UP_OUTSIDE_SHARE of the score an answer needs: "comment y aller ?"
 * is a question of transport wherever it goes. One word the fallback
 * examples share ("où") ranks them first with less. */
static int asks_outside(const pa_snapshot *s, const pa_match_result *plain)
{
    return plain->n_top && s->k.intents[plain->top[0].intent].fallback &&
           plain->top[0].score >= FOLLOW_UP_OUTSIDE_SHARE * PA_MATCH_THRESHOLD;
}

/* Keeps only the intent about the subject when it would be answered too:
 * after Sopot, "seit wann?" asks since when Sopot is a partner, though the
 * same words ask for the history of twinning in general. */
static void prefer_subject(const pa_snapshot *s, int subject, pa_match_result *m)
{
    for (size_t i = 0; i < m->n_top; i++) {
        const pa_intent *in = &s->k.intents[m->top[i].intent];
        if (!in->about || strcmp(in->about, s->k.names[subject].id) ||
            m->top[i].score < PA_MATCH_THRESHOLD)
            continue;
        m->top[0] = m->top[i]; /* the conversation settles it: nothing to clarify */
        m->n_top = 1;
        return;
    }
}

/* A question naming nothing, after an answer about a partner, may ask more
 * about it ("depuis quand ?", "منذ متى؟"): read it again as if it named the
 * partner, and keep that reading whenever it answers. Its few words fit a
 * general intent too ("seit wann?" is how the history of twinning is asked),
 * but the conversation says which. A question about a topic names it (the
 * twinning, the cooperation are names) and is read as it stands. What the
 * knowledge lacks ("comment y aller ?") still falls back (asks_outside). */
static void follow_subject(const pa_snapshot *s, const pa_session *session, const pa_tokens *t,
                           const pa_name_spans *names, pa_reply *r)
{
    int subject = conversation_subject(s, session);
    if (subject < 0 || r->match.n_names > 0 || asks_outside(s, &r->match))
        return;
    pa_match_result with;
    pa_match_rank(s->index, r->lang, t, names, subject, &with);
    prefer_subject(s, subject, &with);
    if (top_answers(s, &with))
        r->match = with;
}

/* Each thread tokenizes its questions in room of its own, kept from one
 * question to the next and freed when the thread ends. */
static tss_t tokenizer_key;
static once_flag tokenizer_once = ONCE_FLAG_INIT;

static void free_tokenizer(void *p)
{
    pa_tokenizer_clear(p);
    free(p);
}

static void make_tokenizer_key(void)
{
    if (tss_create(&tokenizer_key, free_tokenizer) != thrd_success)
        pa_out_of_memory(sizeof tokenizer_key);
}

static pa_tokenizer *thread_tokenizer(void)
{
    call_once(&tokenizer_once, make_tokenizer_key);
    pa_tokenizer *z = tss_get(tokenizer_key);
    if (!z) {
        z = pa_xmalloc(sizeof *z);
        pa_tokenizer_init(z);
        if (tss_set(tokenizer_key, z) != thrd_success)
            pa_out_of_memory(sizeof *z);
    }
    return z;
}

int pa_dialog_ask(const pa_snapshot *s, pa_session *session, const char *text, size_t len,
                  const char *hint, pa_reply *reply)
{
    memset(reply, 0, sizeof *reply);
    reply->intent = -1;
    pa_tokenizer *z = thread_tokenizer();
    if (pa_tokenizer_run(z, text, len) != 0)
        return -1;
    const pa_tokens *t = &z->tokens; /* valid until this thread's next question */
    pa_name_spans names;
    pa_names_find(&s->k, s->names, t, 1, &names);
    pa_langid_result lr = pa_langid_detect(s->langid, t, names.langs);
    reply->langid = lr;
    if (in_other_language(&lr)) {
        reply->lang = pa_dialog_default_lang(s, session, hint); /* the text says no language */
        name_languages(s, session, reply);
    } else {
        reply->lang = reply_lang(s, session, &lr, hint, &reply->lang_detected);
        rank(s, t, &names, &lr, reply);
        follow_subject(s, session, t, &names, reply);
        decide(s, session, reply);
    }
    pa_name_spans_free(&names);
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

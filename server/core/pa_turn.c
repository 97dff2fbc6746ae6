#include "pa_turn.h"

#include <stdlib.h>
#include <string.h>

pa_turn_limits pa_turn_limits_default(void)
{
    return (pa_turn_limits){.max_text_chars = PA_TEXT_MAX_CHARS};
}

static const char *hint_of(const pa_request *req)
{
    return req->lang[0] ? req->lang : NULL;
}

static void refuse(const pa_snapshot *s, const pa_session *session, pa_proto_error code,
                   pa_turn *out)
{
    out->error = code;
    out->lang = pa_dialog_default_lang(s, session, hint_of(&out->request));
}

/* A click must name an intent that has an answer: the fallback intents hold
 * only examples of what the bot does not answer. */
static int answerable_intent(const pa_snapshot *s, const char *id)
{
    int intent = pa_snapshot_intent(s, id);
    return intent >= 0 && !s->k.intents[intent].fallback ? intent : -1;
}

/* Answers out->request, already checked. */
static void answer(const pa_snapshot *s, pa_session *session, pa_turn *out)
{
    const pa_request *req = &out->request;
    if (req->intent) {
        int intent = answerable_intent(s, req->intent);
        if (intent < 0) {
            refuse(s, session, PA_PROTO_UNKNOWN_INTENT, out);
            return;
        }
        pa_dialog_choose(s, session, intent, hint_of(req), &out->reply);
    } else if (pa_dialog_ask(s, session, req->text, req->text_len, hint_of(req), &out->reply) !=
               0) {
        refuse(s, session, PA_PROTO_BAD_ENCODING, out); /* pa_request_check let it through */
        return;
    }
    out->error = PA_PROTO_OK;
    out->lang = out->reply.lang;
}

/* A vote on an answer: counted and logged by the caller, never a question,
 * and nothing of the conversation changes. The intent must be one the bot
 * answers with, so that nobody can make up what staff count. */
static void take_feedback(const pa_snapshot *s, pa_session *session, pa_turn *t)
{
    int intent = answerable_intent(s, t->request.intent);
    if (intent < 0) {
        refuse(s, session, PA_PROTO_UNKNOWN_INTENT, t);
        return;
    }
    t->feedback_intent = intent;
    t->lang = pa_dialog_default_lang(s, session, hint_of(&t->request));
}

void pa_turn_read(const pa_turn_limits *limits, const char *data, size_t len, pa_turn *out)
{
    memset(out, 0, sizeof *out);
    if (data)
        out->error = pa_protocol_parse(data, len, limits->max_text_chars, &out->request);
}

void pa_turn_answer(const pa_snapshot *s, pa_session *session, pa_proto_error refused, pa_turn *t)
{
    pa_proto_error code = refused != PA_PROTO_OK ? refused : t->error;
    if (code != PA_PROTO_OK) {
        t->request.ping = 0; /* a refused keep-alive gets the error frame */
        t->request.feedback = 0;
        refuse(s, session, code, t);
    } else if (t->request.ping) {
        t->lang = pa_dialog_default_lang(s, session, hint_of(&t->request));
    } else if (t->request.feedback) {
        take_feedback(s, session, t);
    } else {
        answer(s, session, t);
    }
}

void pa_turn_frame(const pa_snapshot *s, pa_session *session, const pa_turn_limits *limits,
                   const char *data, size_t len, pa_proto_error refused, pa_turn *out)
{
    pa_turn_read(limits, data, len, out);
    pa_turn_answer(s, session, refused, out);
}

void pa_turn_request(const pa_snapshot *s, pa_session *session, const pa_turn_limits *limits,
                     pa_request *req, pa_turn *out)
{
    memset(out, 0, sizeof *out);
    out->request = *req;
    memset(req, 0, sizeof *req);
    pa_proto_error code = pa_request_check(&out->request, limits->max_text_chars);
    if (code != PA_PROTO_OK)
        refuse(s, session, code, out);
    else
        answer(s, session, out);
}

char *pa_turn_render(const pa_snapshot *s, const pa_turn *t)
{
    if (t->error != PA_PROTO_OK)
        return pa_protocol_error_json(s, t->lang, t->error, t->request.id);
    if (t->request.ping)
        return pa_protocol_pong_json(t->request.id);
    if (t->request.feedback)
        return pa_protocol_feedback_json(t->request.id);
    return pa_protocol_answer_context_json(s, &t->reply, t->request.id, t->context);
}

/* The language a conversation opens in: the page's, when known. */
static int open_lang(const pa_snapshot *s, pa_session *session, const char *lang_code)
{
    int lang = lang_code ? pa_snapshot_lang(s, lang_code) : -1;
    if (lang >= 0)
        session->lang = lang;
    return pa_dialog_default_lang(s, session, NULL);
}

char *pa_turn_welcome(const pa_snapshot *s, pa_session *session, const char *lang_code)
{
    return pa_protocol_welcome_json(s, open_lang(s, session, lang_code));
}

char *pa_turn_open(const pa_snapshot *s, pa_session *session, const pa_turn_limits *limits,
                   const char *lang_code)
{
    return pa_protocol_welcome_limits_json(s, open_lang(s, session, lang_code),
                                           limits->max_text_chars, limits->idle_timeout_s);
}

void pa_turn_clear(pa_turn *t)
{
    pa_request_clear(&t->request);
    free(t->context);
    t->context = NULL;
}

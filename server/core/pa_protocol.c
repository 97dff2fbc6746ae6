#include "pa_protocol.h"

#include "pa_alloc.h"
#include "pa_text.h"

#include <stdlib.h>
#include <string.h>

void pa_request_clear(pa_request *req)
{
    free(req->text);
    free(req->intent);
    free(req->context);
    json_decref(req->id);
    memset(req, 0, sizeof *req);
}

/* The context token of an ask, when it is a string of a plausible length.
 * Anything else is ignored, not refused: a token is the server's own, and a
 * damaged one must cost the resident nothing but the context. */
static void read_context(json_t *root, pa_request *req)
{
    json_t *context = json_object_get(root, "context");
    if (json_is_string(context) && json_string_length(context) <= PA_CONTEXT_TOKEN_MAX &&
        strlen(json_string_value(context)) == json_string_length(context))
        req->context = pa_xstrdup(json_string_value(context));
}

/* A resident's vote on an answer: {"type":"feedback","intent":..,"useful":true}.
 * Whether the intent exists is the turn's to say, against the snapshot. */
static pa_proto_error read_feedback(json_t *root, pa_request *req)
{
    json_t *intent = json_object_get(root, "intent");
    json_t *useful = json_object_get(root, "useful");
    if (!json_is_string(intent) || !json_is_boolean(useful))
        return PA_PROTO_BAD_FIELD;
    req->feedback = 1;
    req->useful = json_is_true(useful);
    req->intent = pa_xstrdup(json_string_value(intent));
    return PA_PROTO_OK;
}

pa_proto_error pa_protocol_parse(const char *data, size_t len, size_t max_chars, pa_request *req)
{
    memset(req, 0, sizeof *req);
    if (!pa_text_is_valid(data, len))
        return PA_PROTO_BAD_ENCODING;
    json_error_t err;
    json_t *root = json_loadb(data, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
    if (!root)
        return PA_PROTO_BAD_JSON;
    pa_proto_error code = PA_PROTO_OK;
    if (!json_is_object(root)) {
        code = PA_PROTO_NOT_OBJECT;
        goto done;
    }
    json_t *id = json_object_get(root, "id");
    if (id && (json_is_string(id) || json_is_integer(id)))
        req->id = json_incref(id);
    else if (id && !json_is_null(id)) {
        code = PA_PROTO_BAD_FIELD;
        goto done;
    }
    json_t *lang = json_object_get(root, "lang");
    if (lang && !json_is_null(lang)) {
        if (!json_is_string(lang)) {
            code = PA_PROTO_BAD_FIELD;
            goto done;
        }
        snprintf(req->lang, sizeof req->lang, "%s", json_string_value(lang));
    }
    json_t *type = json_object_get(root, "type");
    if (json_is_string(type) && !strcmp(json_string_value(type), "ping")) {
        req->ping = 1; /* a keep-alive: nothing more to read */
        goto done;
    }
    if (json_is_string(type) && !strcmp(json_string_value(type), "feedback")) {
        code = read_feedback(root, req);
        goto done;
    }
    if (!json_is_string(type) || strcmp(json_string_value(type), "ask")) {
        code = PA_PROTO_UNKNOWN_TYPE;
        goto done;
    }
    read_context(root, req);
    json_t *intent = json_object_get(root, "intent");
    json_t *text = json_object_get(root, "text");
    if (intent && !json_is_null(intent)) {
        if (!json_is_string(intent)) {
            code = PA_PROTO_BAD_FIELD;
            goto done;
        }
        req->intent = pa_xstrdup(json_string_value(intent));
        goto done;
    }
    if (text && !json_is_null(text) && !json_is_string(text)) {
        code = PA_PROTO_BAD_FIELD;
        goto done;
    }
    if (json_is_string(text)) {
        req->text_len = json_string_length(text);
        /* all len bytes, past an escaped NUL, for pa_request_check to refuse */
        req->text = pa_xstrndup(json_string_value(text), req->text_len);
    }
    code = pa_request_check(req, max_chars);
done:
    json_decref(root);
    return code;
}

void pa_request_init_question(pa_request *req, const char *text, size_t len, const char *hint)
{
    memset(req, 0, sizeof *req);
    req->text = pa_xstrndup(text, len);
    req->text_len = len;
    if (hint)
        snprintf(req->lang, sizeof req->lang, "%s", hint);
}

pa_proto_error pa_request_check(const pa_request *req, size_t max_chars)
{
    if (req->intent)
        return PA_PROTO_OK;
    if (!req->text)
        return PA_PROTO_MISSING_TEXT;
    if (!pa_text_is_valid(req->text, req->text_len))
        return PA_PROTO_BAD_ENCODING; /* an escaped NUL, or bytes that are not UTF-8 */
    if (!pa_text_has_words(req->text, req->text_len))
        return PA_PROTO_MISSING_TEXT;
    if (pa_text_chars(req->text, req->text_len) > max_chars)
        return PA_PROTO_TEXT_TOO_LONG;
    return PA_PROTO_OK;
}

/* One entry of "links": {"kind": "url"|"email"|"phone", "href": ..., "label": ...}. */
static json_t *link_entry(const char *kind, const char *scheme, const char *target,
                          const char *label)
{
    size_t n = strlen(scheme) + strlen(target) + 1;
    char *href = pa_xmalloc(n);
    snprintf(href, n, "%s%s", scheme, target);
    json_t *o = json_pack("{s:s, s:s, s:s}", "kind", kind, "href", href, "label", label);
    free(href);
    return o;
}

/* Where the reply leads (docs/protocol.md, "links"): the links, e-mail
 * address and phone number of the answer's intent, or those of the fallback
 * for a fallback reply, in that order; NULL when there are none. */
static json_t *link_list(const pa_snapshot *s, const pa_reply *r)
{
    const pa_knowledge *k = &s->k;
    const pa_links *ln = NULL;
    if (r->kind == PA_REPLY_ANSWER && r->intent >= 0)
        ln = &k->intents[r->intent].links;
    else if (r->kind == PA_REPLY_FALLBACK && k->fallback_links >= 0)
        ln = &k->intents[k->fallback_links].links;
    if (!ln || !(ln->n_links || ln->email || ln->phone))
        return NULL;
    json_t *list = json_array();
    for (size_t i = 0; i < ln->n_links; i++)
        json_array_append_new(
            list, link_entry("url", "", ln->links[i].url, ln->links[i].labels[r->lang]));
    if (ln->email)
        json_array_append_new(list, link_entry("email", "mailto:", ln->email, ln->email));
    if (ln->phone)
        json_array_append_new(list, link_entry("phone", "tel:", ln->phone_tel, ln->phone));
    return list;
}

static json_t *suggestion_list(const pa_snapshot *s, int lang, const size_t *ids, size_t n)
{
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        const pa_intent *in = &s->k.intents[ids[i]];
        json_t *o = json_object();
        json_object_set_new(o, "intent", json_string(in->id));
        json_object_set_new(o, "label", json_string(in->langs[lang].label));
        json_array_append_new(list, o);
    }
    return list;
}

static char *dump(json_t *o)
{
    /* reals with few digits: a confidence of 0.66, not 0.66000000000000003 */
    char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
    json_decref(o);
    return text; /* never NULL: jansson allocates with pa_xmalloc */
}

static json_t *kv_object(const pa_kv *kv, size_t n)
{
    json_t *o = json_object();
    for (size_t i = 0; i < n; i++)
        json_object_set_new(o, kv[i].key, json_string(kv[i].value));
    return o;
}

/* The welcome frame as an object, for the two builders below. */
static json_t *welcome_object(const pa_snapshot *s, int lang)
{
    const pa_locale *loc = &s->k.locales[lang];
    json_t *o = json_object();
    json_object_set_new(o, "type", json_string("welcome"));
    json_object_set_new(o, "lang", json_string(loc->code));
    json_object_set_new(o, "text", json_string(loc->message_text[PA_MSG_WELCOME]));
    size_t start[PA_REPLY_MAX_SUGGESTIONS];
    size_t n = 0;
    int help = pa_snapshot_intent(s, PA_HELP_INTENT);
    if (help >= 0) {
        start[n++] = (size_t)help;
        for (size_t i = 0; i < s->k.intents[help].n_suggestions && n < PA_REPLY_MAX_SUGGESTIONS;
             i++)
            start[n++] = s->k.intents[help].suggestions[i];
    }
    json_object_set_new(o, "suggestions", suggestion_list(s, lang, start, n));
    json_t *langs = json_array();
    for (size_t l = 0; l < s->k.n_locales; l++) {
        const pa_locale *x = &s->k.locales[l];
        json_t *e = json_object();
        json_object_set_new(e, "code", json_string(x->code));
        json_object_set_new(e, "name", json_string(x->name));
        json_object_set_new(e, "dir", json_string(x->rtl ? "rtl" : "ltr"));
        json_object_set_new(e, "welcome", json_string(x->message_text[PA_MSG_WELCOME]));
        json_object_set_new(e, "labels", kv_object(x->labels, x->n_labels));
        /* the same starting topics in each language, so that the widget can switch
           the greeting's language before anything is asked without losing them */
        json_object_set_new(e, "suggestions", suggestion_list(s, (int)l, start, n));
        json_array_append_new(langs, e);
    }
    json_object_set_new(o, "languages", langs);
    json_object_set_new(o, "version", json_string(s->k.version));
    return o;
}

char *pa_protocol_welcome_json(const pa_snapshot *s, int lang)
{
    return dump(welcome_object(s, lang));
}

char *pa_protocol_welcome_limits_json(const pa_snapshot *s, int lang, size_t max_text,
                                      unsigned idle_timeout_s)
{
    json_t *o = welcome_object(s, lang);
    json_object_set_new(o, "max_text", json_integer((json_int_t)max_text));
    if (idle_timeout_s)
        json_object_set_new(o, "idle_timeout_s", json_integer(idle_timeout_s));
    return dump(o);
}

char *pa_protocol_answer_json(const pa_snapshot *s, const pa_reply *r, json_t *id)
{
    return pa_protocol_answer_context_json(s, r, id, NULL);
}

char *pa_protocol_answer_context_json(const pa_snapshot *s, const pa_reply *r, json_t *id,
                                      const char *context)
{
    json_t *o = json_object();
    json_object_set_new(o, "type", json_string("answer"));
    if (id)
        json_object_set(o, "id", id);
    json_object_set_new(o, "lang", json_string(s->k.locales[r->lang].code));
    json_object_set_new(o, "intent",
                        r->intent >= 0 ? json_string(s->k.intents[r->intent].id) : json_null());
    /* two decimals: finer digits would promise a precision the score lacks */
    json_object_set_new(o, "confidence",
                        json_real((double)(long)(r->confidence * 100 + 0.5) / 100));
    json_object_set_new(o, "text", json_string(r->text ? r->text : ""));
    json_object_set_new(o, "suggestions",
                        suggestion_list(s, r->lang, r->suggestions, r->n_suggestions));
    json_object_set_new(o, "kind", json_string(pa_reply_kind_name(r->kind)));
    json_t *links = link_list(s, r);
    if (links)
        json_object_set_new(o, "links", links);
    if (context)
        json_object_set_new(o, "context", json_string(context));
    return dump(o);
}

char *pa_protocol_error_json(const pa_snapshot *s, int lang, pa_proto_error code, json_t *id)
{
    const pa_locale *loc = &s->k.locales[lang];
    const char *name = pa_protocol_error_name(code);
    const char *msg = loc->error_text[code]; /* the loader made sure it is there */
    json_t *o = json_object();
    json_object_set_new(o, "type", json_string("error"));
    if (id)
        json_object_set(o, "id", id);
    json_object_set_new(o, "code", json_string(name));
    json_object_set_new(o, "message", json_string(msg));
    json_object_set_new(o, "lang", json_string(loc->code));
    return dump(o);
}

char *pa_protocol_feedback_json(json_t *id)
{
    json_t *o = json_object();
    json_object_set_new(o, "type", json_string("feedback"));
    if (id)
        json_object_set(o, "id", id);
    json_object_set_new(o, "ok", json_true());
    return dump(o);
}

char *pa_protocol_pong_json(json_t *id)
{
    json_t *o = json_object();
    json_object_set_new(o, "type", json_string("pong"));
    if (id)
        json_object_set(o, "id", id);
    return dump(o);
}

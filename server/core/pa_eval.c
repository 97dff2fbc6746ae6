#include "pa_eval.h"

#include "pa_turn.h"

#include <stdio.h>
#include <sys/types.h>
#include <stdlib.h>
#include <string.h>

static void bump(json_t *obj, const char *key, json_int_t by)
{
    json_t *v = json_object_get(obj, key);
    json_object_set_new(obj, key, json_integer((v ? json_integer_value(v) : 0) + by));
}

static json_t *child(json_t *parent, const char *key)
{
    json_t *c = json_object_get(parent, key);
    if (!c) {
        c = json_object();
        json_object_set_new(parent, key, c);
    }
    return c;
}

static void ratio(json_t *o, const char *num, const char *den, const char *out)
{
    json_int_t d = json_integer_value(json_object_get(o, den));
    json_int_t n = json_integer_value(json_object_get(o, num));
    json_object_set_new(o, out, d ? json_real((double)n / (double)d) : json_null());
}

static int expects(json_t *expect, const char *got)
{
    size_t i;
    json_t *v;
    json_array_foreach(expect, i, v)
    {
        if (json_is_null(v) && !got)
            return 1;
        if (json_is_string(v) && got && !strcmp(json_string_value(v), got))
            return 1;
    }
    return 0;
}

static pa_proto_error question_error(json_t *text, size_t max_chars)
{
    pa_request req;
    pa_request_init_question(&req, json_string_value(text), json_string_length(text), NULL);
    pa_proto_error code = pa_request_check(&req, max_chars);
    pa_request_clear(&req);
    return code;
}

static int known_kind(const char *name)
{
    for (int k = 0; k < PA_REPLY_KIND_END; k++)
        if (!strcmp(name, pa_reply_kind_name(k)))
            return 1;
    return 0;
}

/* What is wrong with one line of the set (a message of pa_diag, which
 * carries its code), or PA_DM_END when nothing is. */
static pa_diag_msg line_problem(json_t *q, const pa_snapshot *s)
{
    json_t *text = json_object_get(q, "text"), *lang = json_object_get(q, "lang");
    json_t *expect = json_object_get(q, "expect");
    pa_turn_limits limits = pa_turn_limits_default();
    if (!json_is_string(text))
        return PA_DM_EVAL_TEXT_TYPE;
    if (!json_is_array(expect) || json_array_size(expect) == 0)
        return PA_DM_EVAL_EXPECT_TYPE;
    if (question_error(text, limits.max_text_chars) != PA_PROTO_OK)
        return PA_DM_EVAL_TEXT_INVALID;
    json_t *context = json_object_get(q, "context");
    if (context &&
        (!json_is_string(context) || question_error(context, limits.max_text_chars) != PA_PROTO_OK))
        return PA_DM_EVAL_CONTEXT_INVALID;
    json_t *kind = json_object_get(q, "kind");
    if (kind && (!json_is_string(kind) || !known_kind(json_string_value(kind))))
        return PA_DM_EVAL_KIND_INVALID;
    if (!json_is_string(lang) || pa_snapshot_lang(s, json_string_value(lang)) < 0)
        return PA_DM_EVAL_LANG_UNKNOWN;
    json_t *hint = json_object_get(q, "hint");
    if (hint && (!json_is_string(hint) || pa_snapshot_lang(s, json_string_value(hint)) < 0))
        return PA_DM_EVAL_HINT_UNKNOWN;
    for (size_t i = 0; i < json_array_size(expect); i++) {
        json_t *v = json_array_get(expect, i);
        if (!json_is_null(v) &&
            (!json_is_string(v) || pa_snapshot_intent(s, json_string_value(v)) < 0))
            return PA_DM_EVAL_EXPECT_UNKNOWN;
    }
    return PA_DM_END;
}

static int validate_line(json_t *q, const pa_snapshot *s, const char *path, int line, pa_diag *diag)
{
    pa_diag_msg problem = line_problem(q, s);
    if (problem != PA_DM_END)
        pa_diag_report(diag, PA_DIAG_ERROR, problem, path, line, 1, NULL, 0);
    return problem != PA_DM_END ? -1 : 0;
}

/* Asks the line's question as the widget would: with its hint, after its
 * context question in the same conversation when it has one. */
static pa_reply ask_line(const pa_snapshot *s, json_t *q)
{
    const char *hint = json_string_value(json_object_get(q, "hint"));
    json_t *context = json_object_get(q, "context");
    pa_session session;
    pa_session_init(&session);
    pa_turn_limits limits = pa_turn_limits_default();
    pa_turn turn;
    for (int step = json_is_string(context) ? 0 : 1; step < 2; step++) {
        json_t *text = step == 0 ? context : json_object_get(q, "text");
        pa_request req;
        pa_request_init_question(&req, json_string_value(text), json_string_length(text), hint);
        pa_turn_request(s, &session, &limits, &req, &turn);
        pa_turn_clear(&turn);
    }
    return turn.reply; /* validate_line made sure each is a question */
}

/* The reply is right: an expected intent (or the fallback), of the
 * expected kind when the line names one. */
static int reply_is_right(const pa_snapshot *s, json_t *q, const pa_reply *r)
{
    const char *kind = json_string_value(json_object_get(q, "kind"));
    const char *got = r->intent >= 0 ? s->k.intents[r->intent].id : NULL;
    return expects(json_object_get(q, "expect"), got) &&
           (!kind || !strcmp(kind, pa_reply_kind_name(r->kind)));
}

static void count_scope(json_t *report, json_t *q, json_t *per_lang, int in_scope, int ok)
{
    if (in_scope) {
        bump(child(report, "in_scope"), "total", 1);
        bump(child(report, "in_scope"), "correct", ok);
        bump(per_lang, "in_scope", 1);
        bump(per_lang, "correct", ok);
        json_t *per_intent =
            child(child(report, "intents"),
                  json_string_value(json_array_get(json_object_get(q, "expect"), 0)));
        bump(per_intent, "total", 1);
        bump(per_intent, "correct", ok);
    } else {
        bump(child(report, "out_of_scope"), "total", 1);
        bump(child(report, "out_of_scope"), "rejected", ok);
        bump(per_lang, "out_of_scope", 1);
        bump(per_lang, "rejected", ok);
    }
}

/* How often the best intent with an answer is right, by tenth of
 * confidence: what the fallback threshold is chosen from. */
static void count_band(const pa_snapshot *s, json_t *report, json_t *expect, const pa_reply *r)
{
    int best = -1;
    for (size_t i = 0; i < r->match.n_top && best < 0; i++)
        if (!s->k.intents[r->match.top[i].intent].fallback)
            best = r->match.top[i].intent;
    char band[8];
    int tenth = (int)(r->confidence * 10);
    snprintf(band, sizeof band, "%.1f", (tenth > 9 ? 9 : tenth) / 10.0);
    json_t *b = child(child(report, "confidence_bands"), band);
    bump(b, "questions", 1);
    bump(b, "best_is_right", best >= 0 && expects(expect, s->k.intents[best].id));
    bump(b, "answered", r->kind == PA_REPLY_ANSWER);
    bump(b, "answered_right",
         r->kind == PA_REPLY_ANSWER && r->intent >= 0 &&
             expects(expect, s->k.intents[r->intent].id));
}

/* What the bot replied to line q, as the report lists it. */
static json_t *reply_entry(const pa_snapshot *s, json_t *q, const pa_reply *r)
{
    json_t *miss = json_object();
    json_object_set(miss, "id", json_object_get(q, "id"));
    json_object_set(miss, "lang", json_object_get(q, "lang"));
    json_object_set(miss, "text", json_object_get(q, "text"));
    json_object_set(miss, "expect", json_object_get(q, "expect"));
    json_object_set_new(miss, "got",
                        r->intent >= 0 ? json_string(s->k.intents[r->intent].id) : json_null());
    json_object_set_new(miss, "got_kind", json_string(pa_reply_kind_name(r->kind)));
    json_object_set_new(miss, "got_lang", json_string(s->k.locales[r->lang].code));
    json_object_set_new(miss, "confidence", json_real(r->confidence));
    return miss;
}

static void score_one(const pa_snapshot *s, json_t *q, json_t *report)
{
    const char *lang = json_string_value(json_object_get(q, "lang"));
    json_t *expect = json_object_get(q, "expect");
    const pa_reply r = ask_line(s, q);
    int ok = reply_is_right(s, q, &r);
    int lang_ok = !strcmp(lang, s->k.locales[r.lang].code);
    json_t *per_lang = child(child(report, "languages"), lang);
    bump(report, "questions", 1);
    count_scope(report, q, per_lang, !expects(expect, NULL), ok);
    count_band(s, report, expect, &r);
    if (r.kind == PA_REPLY_CLARIFY) { /* "did you mean": counted wrong, reported apart */
        int offered = 0;
        for (size_t i = 0; i < r.n_suggestions; i++)
            offered |= expects(expect, s->k.intents[r.suggestions[i]].id);
        bump(child(report, "did_you_mean"), "total", 1);
        bump(child(report, "did_you_mean"), "expected_offered", offered);
    }
    bump(child(report, "language_id"), "total", 1);
    bump(child(report, "language_id"), "correct", lang_ok);
    /* A question made only of place names ("Sopot?") carries no language:
     * the widget's selection decides it, so it is counted apart. */
    bump(child(report, "language_id"), "from_text", r.lang_detected);
    bump(child(report, "language_id"), "from_text_correct", r.lang_detected && lang_ok);
    bump(per_lang, "language_id", lang_ok);
    /* every reply, so that two builds can be compared line by line */
    json_t *entry = reply_entry(s, q, &r);
    if (!ok || !lang_ok)
        json_array_append(json_object_get(report, "misses"), entry);
    json_array_append_new(json_object_get(report, "replies"), entry);
}

static void finish(json_t *report)
{
    ratio(child(report, "in_scope"), "correct", "total", "accuracy");
    ratio(child(report, "out_of_scope"), "rejected", "total", "rejection");
    ratio(child(report, "language_id"), "correct", "total", "accuracy");
    ratio(child(report, "language_id"), "from_text_correct", "from_text", "accuracy_from_text");
    const char *key;
    json_t *v;
    json_object_foreach(child(report, "languages"), key, v)
    {
        ratio(v, "correct", "in_scope", "accuracy");
        ratio(v, "rejected", "out_of_scope", "rejection");
        json_int_t total = json_integer_value(json_object_get(v, "in_scope")) +
                           json_integer_value(json_object_get(v, "out_of_scope"));
        json_int_t ok = json_integer_value(json_object_get(v, "language_id"));
        json_object_set_new(v, "language_id",
                            total ? json_real((double)ok / (double)total) : json_null());
    }
    json_object_foreach(child(report, "intents"), key, v) ratio(v, "correct", "total", "accuracy");
    json_object_foreach(child(report, "confidence_bands"), key, v)
    {
        ratio(v, "best_is_right", "questions", "best_right_rate");
        ratio(v, "answered_right", "answered", "answer_precision");
    }
}

json_t *pa_eval_run(const pa_snapshot *s, const char *path, pa_diag *diag)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        pa_diag_report(diag, PA_DIAG_ERROR, PA_DM_EVAL_CANNOT_OPEN, path, 0, 0, NULL, 0);
        return NULL;
    }
    json_t *report = json_object();
    json_object_set_new(report, "questions", json_integer(0));
    json_object_set_new(report, "misses", json_array());
    json_object_set_new(report, "replies", json_array());
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int lineno = 0, failed = 0;
    while ((n = getline(&line, &cap, f)) >= 0) {
        lineno++;
        if (n == 0 || line[0] == '\n' || line[0] == '#')
            continue;
        json_error_t err;
        json_t *q = json_loadb(line, (size_t)n, 0, &err);
        if (!q) {
            pa_diag_json_error(diag, path, lineno - 1, &err);
            failed = 1;
            continue;
        }
        if (validate_line(q, s, path, lineno, diag) == 0)
            score_one(s, q, report);
        else
            failed = 1;
        json_decref(q);
    }
    free(line);
    fclose(f);
    if (failed) {
        json_decref(report);
        return NULL;
    }
    finish(report);
    return report;
}

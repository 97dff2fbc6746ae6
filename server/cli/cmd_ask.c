#include "cli.h"

#include "pa_dialog.h"
#include "pa_protocol.h"
#include "pa_text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: passerelle ask [--lang CODE] [--explain] [--intents DIR] [--locales DIR] TEXT...\n"
    "\n"
    "Answers one question and prints the JSON object the WebSocket would send.\n"
    "--lang gives the language hint (the language selected in the widget); the\n"
    "reply is in the language the question is written in when that can be told.\n"
    "--explain also prints, on stderr, the intents ranked and what the words\n"
    "became (names found, unknown and corrected words).\n";

/* Why this reply: the ranked intents and what the words became. For staff
 * who wonder why a question got the answer it got. */
static void print_explanation(const pa_snapshot *s, const pa_reply *r)
{
    const pa_match_result *m = &r->match;
    fprintf(stderr, "language: %s (%s)\n", s->locales[r->lang].code,
            r->lang_detected ? "from the words" : "from the hint or the default");
    for (size_t i = 0; i < m->n_top; i++) {
        const pa_intent *in = &s->intents[m->top[i].intent];
        fprintf(stderr, "candidate %zu: %s %.3f%s\n", i + 1, in->id, m->top[i].score,
                in->fallback ? " (examples of what the bot does not answer)" : "");
    }
    for (size_t i = 0; i < m->n_names; i++)
        fprintf(stderr, "name: %s\n", s->names[m->names[i]].id);
    fprintf(stderr, "content words: %zu, unknown: %zu, corrected: %zu; threshold %.2f\n",
            m->content_words, m->unknown_words, m->corrected_words, PA_MATCH_THRESHOLD);
}

int cmd_ask(int argc, char **argv)
{
    cli_paths p;
    cli_default_paths(&p);
    const char *lang = NULL;
    int explain = 0;
    const cli_option extra[] = {
        {"lang", &lang, NULL}, {"explain", NULL, &explain}, {NULL, NULL, NULL}};
    int first, rc = cli_parse(argc, argv, help, &p, extra, 1, -1, &first);
    if (rc != CLI_OK)
        return rc < 0 ? CLI_OK : rc;
    size_t len = 0;
    for (int i = first; i < argc; i++)
        len += strlen(argv[i]) + 1;
    char *text = calloc(len + 1, 1);
    for (int i = first; i < argc; i++) {
        if (i > first)
            strcat(text, " ");
        strcat(text, argv[i]);
    }
    pa_snapshot *s = cli_load(&p);
    if (!s) {
        free(text);
        return CLI_FAILED;
    }
    char *out = NULL;
    if (!pa_text_is_valid(text, strlen(text))) {
        out = pa_protocol_error_json(s, pa_dialog_default_lang(s, NULL, lang),
                                     PA_PROTO_BAD_ENCODING, NULL);
        rc = CLI_FAILED;
    } else if (!pa_text_has_words(text, strlen(text))) {
        out = pa_protocol_error_json(s, pa_dialog_default_lang(s, NULL, lang),
                                     PA_PROTO_MISSING_TEXT, NULL);
        rc = CLI_FAILED;
    } else if (pa_text_chars(text, strlen(text)) > PA_TEXT_MAX_CHARS) {
        out = pa_protocol_error_json(s, pa_dialog_default_lang(s, NULL, lang),
                                     PA_PROTO_TEXT_TOO_LONG, NULL);
        rc = CLI_FAILED;
    } else {
        pa_session session;
        pa_session_init(&session);
        pa_reply r;
        if (pa_dialog_ask(s, &session, text, strlen(text), lang, &r) == 0)
            out = pa_protocol_answer_json(s, &r, NULL);
        if (explain)
            print_explanation(s, &r);
    }
    if (out)
        printf("%s\n", out);
    else
        rc = CLI_FAILED;
    free(out);
    free(text);
    pa_snapshot_unref(s);
    return rc;
}

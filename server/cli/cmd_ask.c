#include "cli.h"

#include "pa_alloc.h"
#include "pa_turn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: passerelle ask [--lang CODE] [--explain] [--max-text CHARS] [--intents DIR]\n"
    "                      [--locales DIR] TEXT...\n"
    "\n"
    "Answers one question and prints the JSON object the WebSocket would send.\n"
    "--lang gives the language hint (the language selected in the widget); the\n"
    "reply is in the language the question is written in when that can be told.\n"
    "--explain also prints, on stderr, the intents ranked and what the words\n"
    "became (names found, unknown and corrected words).\n"
    "--max-text is the longest question accepted, as for serve (default 1000).\n"
    "Exit status: 0 for a reply, 1 for an error frame or unloadable knowledge.\n";

/* Why this reply: the ranked intents and what the words became. For staff
 * who wonder why a question got the answer it got. */
static void print_explanation(const pa_snapshot *s, const pa_reply *r)
{
    const pa_match_result *m = &r->match;
    fprintf(stderr, "language: %s (%s)\n", s->k.locales[r->lang].code,
            r->lang_detected ? "from the words" : "from the hint or the default");
    const pa_langid_result *lr = &r->langid;
    fprintf(stderr, "words: %d known, %d of languages the bot does not speak; clearly %s;",
            lr->known, lr->foreign, lr->clear >= 0 ? s->k.locales[lr->clear].code : "none");
    for (size_t l = 0; l < s->k.n_locales; l++)
        if (lr->distinct[l])
            fprintf(stderr, " %s only: %d", s->k.locales[l].code, lr->distinct[l]);
    fputc('\n', stderr);
    for (size_t i = 0; i < m->n_top; i++) {
        const pa_intent *in = &s->k.intents[m->top[i].intent];
        fprintf(stderr, "candidate %zu: %s %.3f%s\n", i + 1, in->id, m->top[i].score,
                in->fallback ? " (examples of what the bot does not answer)" : "");
    }
    for (size_t i = 0; i < m->n_names; i++)
        fprintf(stderr, "name: %s\n", s->k.names[m->names[i]].id);
    fprintf(stderr, "content words: %zu, unknown: %zu, corrected: %zu; threshold %.2f\n",
            m->content_words, m->unknown_words, m->corrected_words, PA_MATCH_THRESHOLD);
}

/* The question: the arguments joined by spaces. */
static char *join_args(int argc, char **argv, int first)
{
    size_t len = 0;
    for (int i = first; i < argc; i++)
        len += strlen(argv[i]) + 1;
    char *text = pa_xcalloc(len + 1, 1);
    for (int i = first; i < argc; i++) {
        if (i > first)
            strcat(text, " ");
        strcat(text, argv[i]);
    }
    return text;
}

int cmd_ask(int argc, char **argv)
{
    cli_paths p;
    cli_default_paths(&p);
    const char *lang = NULL, *max_text = NULL;
    int explain = 0;
    const cli_option extra[] = {{"lang", &lang, NULL},
                                {"explain", NULL, &explain},
                                {"max-text", &max_text, NULL},
                                {NULL, NULL, NULL}};
    int first, rc = cli_parse(argc, argv, help, &p, extra, 1, -1, &first);
    if (rc != CLI_OK)
        return rc < 0 ? CLI_OK : rc;
    pa_turn_limits limits = pa_turn_limits_default();
    if (cli_max_text(max_text, &limits.max_text_chars) != 0) {
        fputs(help, stderr);
        return CLI_USAGE;
    }
    pa_snapshot *s = cli_load(&p);
    if (!s)
        return CLI_FAILED;
    char *text = join_args(argc, argv, first);
    pa_request req;
    pa_request_init_question(&req, text, strlen(text), lang);
    free(text);
    pa_session session;
    pa_session_init(&session);
    pa_turn t;
    pa_turn_request(s, &session, &limits, &req, &t);
    char *out = pa_turn_render(s, &t);
    printf("%s\n", out);
    if (explain && t.error == PA_PROTO_OK)
        print_explanation(s, &t.reply);
    rc = t.error == PA_PROTO_OK ? CLI_OK : CLI_FAILED;
    free(out);
    pa_turn_clear(&t);
    pa_snapshot_free(s);
    return rc;
}

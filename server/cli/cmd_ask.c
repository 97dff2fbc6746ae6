#include "cli.h"

#include "pa_dialog.h"
#include "pa_protocol.h"
#include "pa_text.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: passerelle ask [--lang CODE] [--intents DIR] [--locales DIR] TEXT...\n"
    "\n"
    "Answers one question and prints the JSON object the WebSocket would send.\n"
    "--lang gives the language hint (the language selected in the widget); the\n"
    "reply is in the language the question is written in when that can be told.\n";

int cmd_ask(int argc, char **argv)
{
    cli_paths p;
    cli_default_paths(&p);
    const char *lang = NULL;
    static const struct option opts[] = {{"lang", required_argument, 0, 'L'},
                                         {"intents", required_argument, 0, 'i'},
                                         {"locales", required_argument, 0, 'l'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'L': lang = optarg; break;
        case 'i': p.intents_dir = optarg; break;
        case 'l': p.locales_dir = optarg; break;
        case 'h': fputs(help, stdout); return CLI_OK;
        default: fputs(help, stderr); return CLI_USAGE;
        }
    }
    if (optind >= argc) {
        fputs(help, stderr);
        return CLI_USAGE;
    }
    size_t len = 0;
    for (int i = optind; i < argc; i++)
        len += strlen(argv[i]) + 1;
    char *text = calloc(len + 1, 1);
    for (int i = optind; i < argc; i++) {
        if (i > optind)
            strcat(text, " ");
        strcat(text, argv[i]);
    }
    pa_snapshot *s = cli_load(&p);
    if (!s) {
        free(text);
        return CLI_FAILED;
    }
    int rc = CLI_OK;
    char *out = NULL;
    if (!pa_text_is_valid(text, strlen(text))) {
        out = pa_protocol_error_json(s, pa_dialog_default_lang(s, NULL, lang),
                                     PA_PROTO_BAD_ENCODING, NULL);
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

#include "cli.h"

#include "pa_protocol.h"
#include "pa_server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: passerelle serve [--listen ADDR:PORT] [--intents DIR] [--locales DIR] [--web DIR]\n"
    "                        [--max-text CHARS]\n"
    "\n"
    "Runs the chat server: the page and widget at /, the WebSocket at /ws,\n"
    "/healthz and /metrics. Defaults: 127.0.0.1:8080 and the bundled folders.\n"
    "Each option can also be set in the environment: PASSERELLE_LISTEN,\n"
    "PASSERELLE_INTENTS, PASSERELLE_LOCALES, PASSERELLE_WEB, PASSERELLE_MAX_TEXT.\n"
    "Edits to the intent and locale files are picked up while running (checked\n"
    "every 2 seconds, or at once on SIGHUP); a broken edit is reported and the\n"
    "previous knowledge keeps serving. SIGINT or SIGTERM stops the server.\n";

int cmd_serve(int argc, char **argv)
{
    cli_paths p;
    cli_default_paths(&p);
    pa_server_config cfg = {0};
    cfg.listen = getenv("PASSERELLE_LISTEN") ? getenv("PASSERELLE_LISTEN") : "127.0.0.1:8080";
    cfg.max_text_chars = PA_TEXT_MAX_CHARS;
    const char *max_text = getenv("PASSERELLE_MAX_TEXT");
    const cli_option extra[] = {{"listen", &cfg.listen, NULL},
                                {"web", &p.web_dir, NULL},
                                {"max-text", &max_text, NULL},
                                {NULL, NULL, NULL}};
    int first, rc = cli_parse(argc, argv, help, &p, extra, 0, 0, &first);
    if (rc != CLI_OK)
        return rc < 0 ? CLI_OK : rc;
    if (cli_max_text(max_text, &cfg.max_text_chars) != 0) {
        fputs(help, stderr);
        return CLI_USAGE;
    }
    cfg.intents_dir = p.intents_dir;
    cfg.locales_dir = p.locales_dir;
    cfg.web_dir = p.web_dir;
    cfg.version = PASSERELLE_VERSION;
    return pa_server_run(&cfg) == 0 ? CLI_OK : CLI_FAILED;
}

/* passerelle: the chatbot of the international action of Colombes. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    {"serve", cmd_serve, "run the chat server (WebSocket /ws, the widget at /)"},
    {"check", cmd_check, "validate the intent and locale files"},
    {"ask", cmd_ask, "answer one question on the command line"},
    {"export", cmd_export, "print the loaded knowledge as JSON"},
    {"eval", cmd_eval, "score a labelled question set"},
    {"report", cmd_report, "what residents asked, from the staff log (for staff)"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: passerelle COMMAND [OPTIONS]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        fprintf(out, "  %-7s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n'passerelle COMMAND --help' describes each command.\n"
                 "options: --help, --version\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return CLI_OK;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("passerelle %s\n", PASSERELLE_VERSION);
        return CLI_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "passerelle: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return CLI_USAGE;
}

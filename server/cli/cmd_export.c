#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

static const char help[] =
    "usage: passerelle export [--intents DIR] [--locales DIR]\n"
    "\n"
    "Prints the loaded knowledge as JSON: {\"languages\": [...], \"intents\": [{\"id\",\n"
    "\"examples\": {lang: [...]}, \"answers\": {lang: text or [variants]}, ...}]}.\n";

int cmd_export(int argc, char **argv)
{
    cli_paths p;
    cli_default_paths(&p);
    static const struct option opts[] = {{"intents", required_argument, 0, 'i'},
                                         {"locales", required_argument, 0, 'l'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'i': p.intents_dir = optarg; break;
        case 'l': p.locales_dir = optarg; break;
        case 'h': fputs(help, stdout); return CLI_OK;
        default: fputs(help, stderr); return CLI_USAGE;
        }
    }
    if (optind != argc) {
        fputs(help, stderr);
        return CLI_USAGE;
    }
    pa_snapshot *s = cli_load(&p);
    if (!s)
        return CLI_FAILED;
    char *json = pa_snapshot_export(s);
    int rc = json ? CLI_OK : CLI_FAILED;
    if (json)
        printf("%s\n", json);
    free(json);
    pa_snapshot_unref(s);
    return rc;
}

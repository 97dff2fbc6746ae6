#include "cli.h"

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
    int first, rc = cli_parse(argc, argv, help, &p, NULL, 0, 0, &first);
    if (rc != CLI_OK)
        return rc < 0 ? CLI_OK : rc;
    pa_snapshot *s = cli_load(&p);
    if (!s)
        return CLI_FAILED;
    char *json = pa_knowledge_export(&s->k);
    rc = json ? CLI_OK : CLI_FAILED;
    if (json)
        printf("%s\n", json);
    free(json);
    pa_snapshot_free(s);
    return rc;
}

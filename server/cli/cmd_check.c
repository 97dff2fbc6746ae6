#include "cli.h"

#include "pa_match.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: passerelle check [--json] [--intents DIR] [--locales DIR]\n"
    "\n"
    "Validates the intent, name and locale files. Prints each problem as\n"
    "path:line:column: message. Warnings (examples of two intents that are\n"
    "nearly the same) are printed too but do not fail the check.\n"
    "--json prints the problems as one JSON array instead, each with its\n"
    "source, line, column, severity, code and message, for editors and tools.\n"
    "Exit status: 0 when valid, 1 when there are errors, 2 on a usage error.\n";

/* The problems as a JSON array, one object each, in the order found. */
static void print_json(const pa_diag *diag)
{
    json_t *list = json_array();
    for (size_t i = 0; i < diag->count; i++) {
        const pa_diag_item *it = &diag->items[i];
        json_array_append_new(list,
                              json_pack("{s:s, s:i, s:i, s:s, s:s, s:s}", "source", it->source,
                                        "line", it->line, "column", it->column, "severity",
                                        it->severity == PA_DIAG_ERROR ? "error" : "warning", "code",
                                        pa_diag_code_name(it->code), "message", it->text));
    }
    char *text = json_dumps(list, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    printf("%s\n", text);
    free(text);
    json_decref(list);
}

int cmd_check(int argc, char **argv)
{
    cli_paths p;
    cli_default_paths(&p);
    int as_json = 0;
    const cli_option extra[] = {{"json", NULL, &as_json}, {NULL, NULL, NULL}};
    int first, rc = cli_parse(argc, argv, help, &p, extra, 0, 0, &first);
    if (rc != CLI_OK)
        return rc < 0 ? CLI_OK : rc;
    pa_diag diag;
    pa_diag_init(&diag);
    pa_snapshot *s = pa_snapshot_load(p.intents_dir, p.locales_dir, &diag);
    if (s)
        pa_match_warn_confusables(s->index, &diag);
    if (as_json)
        print_json(&diag);
    else
        pa_diag_print(&diag, stdout);
    if (s) {
        size_t examples = 0, intents = s->k.n_answerable;
        for (size_t i = 0; i < s->k.n_intents; i++) {
            for (size_t l = 0; l < s->k.n_locales; l++)
                examples += s->k.intents[i].langs[l].n_examples;
        }
        fprintf(stderr, "ok: %zu intents, %zu languages, %zu examples, %zu names, %zu warnings\n",
                intents, s->k.n_locales, examples, s->k.n_names, diag.warnings);
    } else {
        fprintf(stderr, "%zu errors, %zu warnings\n", diag.errors, diag.warnings);
    }
    pa_diag_clear(&diag);
    rc = s ? CLI_OK : CLI_FAILED;
    pa_snapshot_free(s);
    return rc;
}

#include "cli.h"

#include "pa_match.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: passerelle check [--json] [--lang fr|en] [--intents DIR] [--locales DIR]\n"
    "\n"
    "Validates the intent, name and locale files. Prints each problem as\n"
    "path:line:column: message. Warnings (examples of two intents that are\n"
    "nearly the same, a contact intent that reaches nobody) are printed too\n"
    "but do not fail the check.\n"
    "Messages are in French, or in English with --lang en or when the\n"
    "environment's locale (LC_ALL, else LC_MESSAGES, else LANG) starts with\n"
    "\"en\"; --lang fr forces French. Their texts are in locales/staff/.\n"
    "--json prints the problems as one JSON array instead, each with its\n"
    "source, line, column, severity, code, message (in that language),\n"
    "message_id and args, for editors and tools.\n"
    "Exit status: 0 when valid, 1 when there are errors, 2 on a usage error.\n";

/* The arguments of an item as a JSON object: name -> value (a term: its key). */
static json_t *args_json(const pa_diag_item *it)
{
    json_t *args = json_object();
    for (size_t i = 0; i < it->n_args; i++)
        json_object_set_new(args, it->args[i].name, json_string(it->args[i].value));
    return args;
}

/* The problems as a JSON array, one object each, in the order found. */
static void print_json(const pa_diag *diag, const pa_diag_catalog *cat)
{
    json_t *list = json_array();
    for (size_t i = 0; i < diag->count; i++) {
        const pa_diag_item *it = &diag->items[i];
        char message[PA_DIAG_TEXT_MAX];
        pa_diag_message(it, cat, message, sizeof message);
        json_array_append_new(
            list, json_pack("{s:s, s:i, s:i, s:s, s:s, s:s, s:s, s:o}", "source", it->source,
                            "line", it->line, "column", it->column, "severity",
                            it->severity == PA_DIAG_ERROR ? "error" : "warning", "code",
                            pa_diag_code_name(it->code), "message", message, "message_id",
                            pa_diag_msg_id(it->msg), "args", args_json(it)));
    }
    char *text = json_dumps(list, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    printf("%s\n", text);
    free(text);
    json_decref(list);
}

/* The last line, on stderr: what was loaded, or how many problems. */
static void print_summary(const pa_snapshot *s, const pa_diag *diag, const pa_diag_catalog *cat)
{
    char line[PA_DIAG_TEXT_MAX];
    if (s) {
        size_t examples = 0;
        for (size_t i = 0; i < s->k.n_intents; i++) {
            for (size_t l = 0; l < s->k.n_locales; l++)
                examples += s->k.intents[i].langs[l].n_examples;
        }
        pa_diag_catalog_format(
            cat, "summary.ok",
            PA_DIAG_ARGS(PA_NUM("intents", s->k.n_answerable), PA_NUM("languages", s->k.n_locales),
                         PA_NUM("examples", examples), PA_NUM("names", s->k.n_names),
                         PA_NUM("warnings", diag->warnings)),
            line, sizeof line);
    } else {
        pa_diag_catalog_format(
            cat, "summary.failed",
            PA_DIAG_ARGS(PA_NUM("errors", diag->errors), PA_NUM("warnings", diag->warnings)), line,
            sizeof line);
    }
    fprintf(stderr, "%s\n", line);
}

int cmd_check(int argc, char **argv)
{
    cli_paths p;
    cli_default_paths(&p);
    int as_json = 0;
    const char *lang_flag = NULL;
    const cli_option extra[] = {
        {"json", NULL, &as_json}, {"lang", &lang_flag, NULL}, {NULL, NULL, NULL}};
    int first, rc = cli_parse(argc, argv, help, &p, extra, 0, 0, &first);
    if (rc != CLI_OK)
        return rc < 0 ? CLI_OK : rc;
    const char *lang = cli_staff_lang(lang_flag);
    if (!lang) {
        fprintf(stderr, "passerelle: --lang: '%s' is not one of: %s\n", lang_flag,
                PA_DIAG_STAFF_LANGS);
        fputs(help, stderr);
        return CLI_USAGE;
    }
    pa_diag_catalog *cat = cli_staff_catalog(lang);
    pa_diag diag;
    pa_diag_init(&diag);
    pa_snapshot *s = pa_snapshot_load_to_check(p.intents_dir, p.locales_dir, &diag);
    if (s) {
        pa_match_warn_confusables(s->index, &diag);
        pa_match_warn_elsewhere(s->index, &diag);
    }
    if (as_json)
        print_json(&diag, cat);
    else
        pa_diag_print(&diag, cat, stdout);
    print_summary(s, &diag, cat);
    pa_diag_clear(&diag);
    pa_diag_catalog_free(cat);
    rc = s ? CLI_OK : CLI_FAILED;
    pa_snapshot_free(s);
    return rc;
}

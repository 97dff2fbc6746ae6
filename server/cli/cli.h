/* The command-line interface: one main, one function per subcommand. */
#ifndef PA_CLI_H
#define PA_CLI_H

#include "pa_diag_catalog.h"
#include "pa_snapshot.h"

/* Exit codes, as interfaces.md documents them. */
enum { CLI_OK = 0, CLI_FAILED = 1, CLI_USAGE = 2 };

#include <limits.h>

typedef struct {
    const char *intents_dir;
    const char *locales_dir;
    const char *web_dir;
    char defaults[3][PATH_MAX + 16]; /* what the defaults point into */
} cli_paths;

/* Fills the default folders: the environment (PASSERELLE_INTENTS,
 * PASSERELLE_LOCALES, PASSERELLE_WEB), else those installed beside the
 * program (../share/passerelle), else those of the source tree. */
void cli_default_paths(cli_paths *p);
/* The same without the environment: those installed, else the source tree. */
void cli_bundled_paths(cli_paths *p);
/* Loads the knowledge, printing every problem to stderr (in the staff's
 * language, cli_staff_catalog). Returns NULL on failure. */
pa_snapshot *cli_load(const cli_paths *p);

/* The catalog of the messages of check in lang ("fr", "en"): the file
 * locales/staff/check.<lang>.json of the bundled folders (those installed
 * beside the program, else the source tree's; never --locales, which names
 * the knowledge being checked). When it cannot be read, says so once on
 * stderr and returns NULL: messages are then shown by their id and
 * arguments. Free with pa_diag_catalog_free. */
pa_diag_catalog *cli_staff_catalog(const char *lang);
/* The staff language of the environment (LC_ALL, LC_MESSAGES, LANG), or of
 * flag when not NULL: pa_diag_staff_lang. NULL for a flag that is not a
 * staff language. */
const char *cli_staff_lang(const char *flag);
/* Prints the problems of diag to out in the staff language of the
 * environment (nothing when there are none). */
void cli_print_diag(const pa_diag *diag, FILE *out);

/* An option of one command besides --intents, --locales and --help, which
 * every command shares: a string (value set) or a flag (flag set to 1). */
typedef struct {
    const char *name;
    const char **value;
    int *flag;
} cli_option;

/* Parses argv: the shared options into paths (which holds the defaults),
 * the command's own from extra (terminated by a {NULL} entry). Positional
 * arguments are left in argv[*first..argc). Returns CLI_OK to go on,
 * CLI_USAGE after printing help to stderr on a bad option or when the
 * number of positional arguments is outside [min_args, max_args] (max -1:
 * no limit), or -1 when --help printed the help (the command then exits 0). */
int cli_parse(int argc, char **argv, const char *help, cli_paths *paths, const cli_option *extra,
              int min_args, int max_args, int *first);

/* Reads a --max-text value (a whole number of characters, at least 1) into
 * *chars; NULL leaves *chars as it is. Returns 0, or -1 when the value is not
 * such a number. */
int cli_max_text(const char *value, size_t *chars);

int cmd_serve(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_ask(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_report(int argc, char **argv);

#endif

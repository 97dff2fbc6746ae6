/* The command-line interface: one main, one function per subcommand. */
#ifndef PA_CLI_H
#define PA_CLI_H

#include "pa_knowledge.h"

/* Exit codes, as interfaces.md documents them. */
enum { CLI_OK = 0, CLI_FAILED = 1, CLI_USAGE = 2 };

typedef struct {
    const char *intents_dir;
    const char *locales_dir;
    const char *web_dir;
} cli_paths;

/* Fills the default folders: the environment (PASSERELLE_INTENTS,
 * PASSERELLE_LOCALES, PASSERELLE_WEB), else those installed beside the
 * program (../share/passerelle), else those of the source tree. */
void cli_default_paths(cli_paths *p);
/* Loads the knowledge, printing every problem to stderr. Returns NULL on
 * failure. */
pa_snapshot *cli_load(const cli_paths *p);

int cmd_serve(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_ask(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_eval(int argc, char **argv);

#endif

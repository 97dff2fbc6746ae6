#include "cli.h"

#include "pa_config.h"
#include "pa_server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: passerelle serve [--config FILE] [--listen ADDR:PORT] [--admin-listen ADDR:PORT]\n"
    "                        [--intents DIR] [--locales DIR] [--web DIR] [--max-text CHARS]\n"
    "                        [--SETTING VALUE]... [--print-config]\n"
    "\n"
    "Runs the chat server: the page and widget at /, the WebSocket at /ws on\n"
    "--listen (default 127.0.0.1:8080); /healthz and /metrics on --admin-listen\n"
    "(default 127.0.0.1:8081). Every setting (limits, timeouts, trusted proxies,\n"
    "allowed origins...) can be given in a configuration file (--config FILE or\n"
    "PASSERELLE_CONFIG), in the environment (PASSERELLE_<SETTING>, e.g.\n"
    "PASSERELLE_IDLE_TIMEOUT) or as a flag (--idle-timeout 120); flags win over\n"
    "the environment, which wins over the file. --print-config prints every\n"
    "setting in effect, with its meaning, as a configuration file, and exits;\n"
    "docs/operations.md explains each.\n"
    "Edits to the intent and locale files are picked up while running (checked\n"
    "every 2 seconds, or at once on SIGHUP); a broken edit is reported and the\n"
    "previous knowledge keeps serving. SIGINT or SIGTERM stops the server, after\n"
    "answering the questions already asked.\n"
    "Questions, votes and messages to staff are events of the staff log\n"
    "(--staff-log FILE; default: stderr), emails, phone numbers and long numbers\n"
    "masked; the server removes events older than --staff-log-retention days (90).\n";

enum { SERVE_SETTINGS_MAX = 128 };

/* The flags of every setting but --intents and --locales, which cli_parse
 * reads for every command. */
static size_t setting_options(cli_option *opts, const char **values, const char **config,
                              int *print)
{
    size_t n = 0;
    for (size_t i = 0; pa_config_key(i) && i < SERVE_SETTINGS_MAX; i++) {
        const char *key = pa_config_key(i);
        if (strcmp(key, "intents") && strcmp(key, "locales"))
            opts[n++] = (cli_option){key, &values[i], NULL};
    }
    opts[n++] = (cli_option){"config", config, NULL};
    opts[n++] = (cli_option){"print-config", NULL, print};
    opts[n] = (cli_option){NULL, NULL, NULL};
    return n;
}

static const char *env(const char *name)
{
    return getenv(name);
}

/* Defaults, then the file, the environment, the flags. */
static int configure(pa_config *cfg, const char *config_path, const cli_paths *flags,
                     const char **values)
{
    char err[PA_CONFIG_ERROR_MAX];
    cli_paths bundled;
    cli_bundled_paths(&bundled);
    pa_config_defaults(cfg, bundled.intents_dir, bundled.locales_dir, bundled.web_dir);
    if (!config_path || !*config_path)
        config_path = getenv("PASSERELLE_CONFIG");
    int rc = config_path && *config_path ? pa_config_load_file(cfg, config_path, err) : 0;
    if (rc == 0)
        rc = pa_config_load_env(cfg, env, err);
    for (size_t i = 0; rc == 0 && pa_config_key(i) && i < SERVE_SETTINGS_MAX; i++) {
        char where[80];
        snprintf(where, sizeof where, "--%s", pa_config_key(i));
        if (values[i])
            rc = pa_config_set(cfg, pa_config_key(i), values[i], where, err);
    }
    if (rc == 0 && flags->intents_dir)
        rc = pa_config_set(cfg, "intents", flags->intents_dir, "--intents", err);
    if (rc == 0 && flags->locales_dir)
        rc = pa_config_set(cfg, "locales", flags->locales_dir, "--locales", err);
    if (rc == 0)
        rc = pa_config_check(cfg, err);
    if (rc != 0)
        fprintf(stderr, "passerelle: %s\n", err);
    return rc;
}

int cmd_serve(int argc, char **argv)
{
    const char *values[SERVE_SETTINGS_MAX] = {0};
    const char *config_path = NULL;
    int print = 0;
    cli_option opts[SERVE_SETTINGS_MAX + 3];
    setting_options(opts, values, &config_path, &print);
    cli_paths flags;
    memset(&flags, 0, sizeof flags);
    int first, rc = cli_parse(argc, argv, help, &flags, opts, 0, 0, &first);
    if (rc != CLI_OK)
        return rc < 0 ? CLI_OK : rc;
    pa_config cfg;
    if (configure(&cfg, config_path, &flags, values) != 0) {
        pa_config_clear(&cfg);
        fputs("'passerelle serve --help' and docs/operations.md describe the settings.\n", stderr);
        return CLI_USAGE;
    }
    if (print) {
        pa_config_print(&cfg, stdout);
        pa_config_clear(&cfg);
        return CLI_OK;
    }
    rc = pa_server_run(&cfg, PASSERELLE_VERSION) == 0 ? CLI_OK : CLI_FAILED;
    pa_config_clear(&cfg);
    return rc;
}

#include "cli.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The data folder: installed beside the binary, else the source tree. */
static const char *data_root(void)
{
    static char root[PATH_MAX + 32];
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash)
            *slash = '\0';
        char probe[PATH_MAX + 64];
        snprintf(probe, sizeof probe, "%s/../share/passerelle/intents", exe);
        if (is_dir(probe)) {
            snprintf(root, sizeof root, "%s/../share/passerelle", exe);
            return root;
        }
    }
    char probe[PATH_MAX];
    snprintf(probe, sizeof probe, "%s/intents", PASSERELLE_SOURCE_DIR);
    return is_dir(probe) ? PASSERELLE_SOURCE_DIR : PASSERELLE_DATADIR;
}

static const char *env_or(const char *name, const char *root, const char *sub, char *buf,
                          size_t size)
{
    const char *v = name ? getenv(name) : NULL;
    if (v && *v)
        return v;
    snprintf(buf, size, "%s/%s", root, sub);
    return buf;
}

static void fill_paths(cli_paths *p, int use_env)
{
    const char *root = data_root();
    size_t size = sizeof p->defaults[0];
    p->intents_dir =
        env_or(use_env ? "PASSERELLE_INTENTS" : NULL, root, "intents", p->defaults[0], size);
    p->locales_dir =
        env_or(use_env ? "PASSERELLE_LOCALES" : NULL, root, "locales", p->defaults[1], size);
    p->web_dir = env_or(use_env ? "PASSERELLE_WEB" : NULL, root, "web", p->defaults[2], size);
}

void cli_default_paths(cli_paths *p)
{
    fill_paths(p, 1);
}

void cli_bundled_paths(cli_paths *p)
{
    fill_paths(p, 0);
}

const char *cli_staff_lang(const char *flag)
{
    return pa_diag_staff_lang(flag, getenv("LC_ALL"), getenv("LC_MESSAGES"), getenv("LANG"));
}

pa_diag_catalog *cli_staff_catalog(const char *lang)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/locales/staff/check.%s.json", data_root(), lang);
    char err[PA_DIAG_CATALOG_ERROR_MAX];
    pa_diag_catalog *cat = pa_diag_catalog_load(path, err);
    /* No catalog to say it in the staff's language: both languages, once. */
    if (!cat)
        fprintf(stderr,
                "passerelle: catalogue des messages illisible, messages affichés par leur "
                "identifiant / cannot read the message catalog, messages shown by their id: "
                "%s: %s\n",
                path, err);
    return cat;
}

void cli_print_diag(const pa_diag *diag, FILE *out)
{
    if (diag->count == 0)
        return;
    pa_diag_catalog *cat = cli_staff_catalog(cli_staff_lang(NULL));
    pa_diag_print(diag, cat, out);
    pa_diag_catalog_free(cat);
}

pa_snapshot *cli_load(const cli_paths *p)
{
    pa_diag diag;
    pa_diag_init(&diag);
    pa_snapshot *s = pa_snapshot_load(p->intents_dir, p->locales_dir, &diag);
    if (!s) {
        cli_print_diag(&diag, stderr);
        fprintf(stderr, "passerelle: the knowledge has errors; 'passerelle check' lists them\n");
    }
    pa_diag_clear(&diag);
    return s;
}

enum { CLI_MAX_OPTIONS = 128 }; /* serve has one option per setting */

int cli_parse(int argc, char **argv, const char *help, cli_paths *paths, const cli_option *extra,
              int min_args, int max_args, int *first)
{
    struct option opts[CLI_MAX_OPTIONS + 4] = {{"intents", required_argument, 0, 'i'},
                                               {"locales", required_argument, 0, 'l'},
                                               {"help", no_argument, 0, 'h'}};
    int n = 3;
    for (int k = 0; extra && extra[k].name && n < CLI_MAX_OPTIONS; k++, n++)
        opts[n] = (struct option){extra[k].name, extra[k].value ? required_argument : no_argument,
                                  0, 256 + k};
    opts[n] = (struct option){0, 0, 0, 0};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'i') {
            paths->intents_dir = optarg;
        } else if (c == 'l') {
            paths->locales_dir = optarg;
        } else if (c == 'h') {
            fputs(help, stdout);
            return -1;
        } else if (c >= 256) {
            const cli_option *o = &extra[c - 256];
            if (o->value)
                *o->value = optarg;
            else
                *o->flag = 1;
        } else {
            fputs(help, stderr);
            return CLI_USAGE;
        }
    }
    int args = argc - optind;
    if (args < min_args || (max_args >= 0 && args > max_args)) {
        fputs(help, stderr);
        return CLI_USAGE;
    }
    *first = optind;
    return CLI_OK;
}

int cli_max_text(const char *value, size_t *chars)
{
    if (!value)
        return 0;
    char *end;
    unsigned long long n = strtoull(value, &end, 10);
    if (end == value || *end || n == 0 || value[0] == '-')
        return -1;
    *chars = (size_t)n;
    return 0;
}

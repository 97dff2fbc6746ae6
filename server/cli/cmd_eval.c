#include "cli.h"

#include "pa_eval.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: passerelle eval [--json] [--min-accuracy X] [--min-language-accuracy X]\n"
    "                       [--min-rejection X] [--min-language-rejection X]\n"
    "                       [--min-langid X] [--min-reply-language X]\n"
    "                       [--intents DIR] [--locales DIR] FILE.jsonl\n"
    "\n"
    "Scores a labelled question set, one JSON object a line:\n"
    "  {\"id\": \"fr-001\", \"lang\": \"fr\", \"text\": \"...\", \"expect\": [\"partner.sopot\"]}\n"
    "([null] in expect: the fallback is expected; \"lang\" is the language the\n"
    "reply must be in). Optional: \"hint\" (the widget's language), \"context\"\n"
    "(a question asked before in the same conversation), \"kind\" (the reply's\n"
    "kind: answer, fallback, clarify or languages). Prints accuracy on in-scope\n"
    "questions overall, per language and per intent, the rejection rate of\n"
    "out-of-scope questions, the reply language, how often the best intent is\n"
    "right per band of confidence, and every miss.\n"
    "--json prints the report as JSON. With the --min-* options (fractions in\n"
    "[0, 1]) the exit status is 1 when a figure falls below its minimum;\n"
    "--min-langid applies to the questions whose words tell their language\n"
    "(a bare place name takes the widget's language in the product),\n"
    "--min-reply-language to all.\n";

static double num(json_t *o, const char *a, const char *b)
{
    json_t *v = json_object_get(json_object_get(o, a), b);
    return json_is_number(v) ? json_number_value(v) : 0;
}

/* How often the best intent is right, per tenth of confidence: where the
 * fallback threshold belongs. */
static void print_bands(json_t *r)
{
    printf("\nconfidence   questions  best intent right  answered  answers right\n");
    json_t *bands = json_object_get(r, "confidence_bands");
    for (int tenth = 0; tenth < 10; tenth++) {
        char key[8];
        snprintf(key, sizeof key, "%.1f", tenth / 10.0);
        json_t *v = json_object_get(bands, key);
        if (!v)
            continue;
        json_t *rate = json_object_get(v, "best_right_rate");
        json_t *prec = json_object_get(v, "answer_precision");
        printf("  %s-      %6lld      %5.1f %%        %6lld     %5.1f %%\n", key,
               (long long)json_integer_value(json_object_get(v, "questions")),
               json_is_number(rate) ? 100 * json_number_value(rate) : 0,
               (long long)json_integer_value(json_object_get(v, "answered")),
               json_is_number(prec) ? 100 * json_number_value(prec) : 0);
    }
}

static void print_report(json_t *r)
{
    printf("in scope:      %5.1f %%  (%lld/%lld)\n", 100 * num(r, "in_scope", "accuracy"),
           (long long)num(r, "in_scope", "correct"), (long long)num(r, "in_scope", "total"));
    printf("out of scope:  %5.1f %%  rejected (%lld/%lld)\n",
           100 * num(r, "out_of_scope", "rejection"), (long long)num(r, "out_of_scope", "rejected"),
           (long long)num(r, "out_of_scope", "total"));
    printf("language id:   %5.1f %%  (%lld/%lld) of the questions whose words tell the language\n",
           100 * num(r, "language_id", "accuracy_from_text"),
           (long long)num(r, "language_id", "from_text_correct"),
           (long long)num(r, "language_id", "from_text"));
    printf("reply language %5.1f %%  (%lld/%lld) of all, with the hints the set gives\n",
           100 * num(r, "language_id", "accuracy"), (long long)num(r, "language_id", "correct"),
           (long long)num(r, "language_id", "total"));
    if (num(r, "did_you_mean", "total") > 0)
        printf("did you mean:  %lld replies offered two intents, counted as misses "
               "(the expected one among them: %lld)\n",
               (long long)num(r, "did_you_mean", "total"),
               (long long)num(r, "did_you_mean", "expected_offered"));
    printf("\nper language   in-scope  rejection  language-id\n");
    const char *key;
    json_t *v;
    json_object_foreach(json_object_get(r, "languages"), key, v)
    {
        printf("  %-10s   %5.1f %%    %5.1f %%      %5.1f %%\n", key,
               100 * json_number_value(json_object_get(v, "accuracy")),
               100 * json_number_value(json_object_get(v, "rejection")),
               100 * json_number_value(json_object_get(v, "language_id")));
    }
    print_bands(r);
    printf("\nper intent\n");
    json_object_foreach(json_object_get(r, "intents"), key, v)
    {
        printf("  %-36s %5.1f %%  (%lld/%lld)\n", key,
               100 * json_number_value(json_object_get(v, "accuracy")),
               (long long)json_integer_value(json_object_get(v, "correct")),
               (long long)json_integer_value(json_object_get(v, "total")));
    }
    size_t i;
    json_array_foreach(json_object_get(r, "misses"), i, v)
    {
        if (i == 0)
            printf("\nmisses (id, text, expected → got [language], confidence)\n");
        char *expect = json_dumps(json_object_get(v, "expect"), JSON_COMPACT);
        json_t *got = json_object_get(v, "got");
        printf("  %s  %s\n      %s → %s [%s → %s]  %.2f\n",
               json_string_value(json_object_get(v, "id")),
               json_string_value(json_object_get(v, "text")), expect,
               json_is_string(got) ? json_string_value(got) : "null",
               json_string_value(json_object_get(v, "lang")),
               json_string_value(json_object_get(v, "got_lang")),
               json_number_value(json_object_get(v, "confidence")));
        free(expect);
    }
}

/* Returns 1 when any figure is below the minimum asked for. */
static int below_minimums(json_t *r, const double *min)
{
    int failed = 0;
    struct {
        double value;
        const char *what;
    } checks[] = {{num(r, "in_scope", "accuracy"), "in-scope accuracy"},
                  {num(r, "out_of_scope", "rejection"), "out-of-scope rejection"},
                  {num(r, "language_id", "accuracy_from_text"),
                   "language identification (questions whose words tell the language)"},
                  {num(r, "language_id", "accuracy"), "reply language"}};
    const int overall[] = {0, 1, 2, 5}; /* the minimum of each check, in min[] */
    for (int i = 0; i < 4; i++) {
        int m = overall[i];
        if (min[m] >= 0 && checks[i].value < min[m]) {
            fprintf(stderr, "eval: %s %.3f is below the minimum %.3f\n", checks[i].what,
                    checks[i].value, min[m]);
            failed = 1;
        }
    }
    const char *key;
    json_t *v;
    json_object_foreach(json_object_get(r, "languages"), key, v)
    {
        json_t *acc = json_object_get(v, "accuracy"), *rej = json_object_get(v, "rejection");
        if (min[3] >= 0 && json_is_number(acc) && json_number_value(acc) < min[3]) {
            fprintf(stderr, "eval: in-scope accuracy in %s %.3f is below the minimum %.3f\n", key,
                    json_number_value(acc), min[3]);
            failed = 1;
        }
        if (min[4] >= 0 && json_is_number(rej) && json_number_value(rej) < min[4]) {
            fprintf(stderr, "eval: out-of-scope rejection in %s %.3f is below the minimum %.3f\n",
                    key, json_number_value(rej), min[4]);
            failed = 1;
        }
    }
    return failed;
}

int cmd_eval(int argc, char **argv)
{
    cli_paths p;
    cli_default_paths(&p);
    int as_json = 0;
    const char *minimum[6] = {NULL, NULL, NULL, NULL, NULL, NULL};
    const cli_option extra[] = {{"json", NULL, &as_json},
                                {"min-accuracy", &minimum[0], NULL},
                                {"min-rejection", &minimum[1], NULL},
                                {"min-langid", &minimum[2], NULL},
                                {"min-language-accuracy", &minimum[3], NULL},
                                {"min-language-rejection", &minimum[4], NULL},
                                {"min-reply-language", &minimum[5], NULL},
                                {NULL, NULL, NULL}};
    int first, rc = cli_parse(argc, argv, help, &p, extra, 1, 1, &first);
    if (rc != CLI_OK)
        return rc < 0 ? CLI_OK : rc;
    /* accuracy, rejection, language identification, per-language accuracy and
     * rejection, reply language */
    double min[6];
    for (int i = 0; i < 6; i++)
        min[i] = minimum[i] ? atof(minimum[i]) : -1;
    pa_snapshot *s = cli_load(&p);
    if (!s)
        return CLI_FAILED;
    pa_diag diag;
    pa_diag_init(&diag);
    json_t *report = pa_eval_run(s, argv[first], &diag);
    cli_print_diag(&diag, stderr);
    pa_diag_clear(&diag);
    rc = CLI_FAILED;
    if (report) {
        if (as_json) {
            char *text = json_dumps(report, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
            printf("%s\n", text);
            free(text);
        } else {
            print_report(report);
        }
        rc = below_minimums(report, min) ? CLI_FAILED : CLI_OK;
        json_decref(report);
    }
    pa_snapshot_free(s);
    return rc;
}

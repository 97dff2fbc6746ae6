/* pa_eval: scores the knowledge on a labelled question set.
 *
 * The set is JSON Lines, one question a line (interfaces.md):
 *   {"id": "fr-001", "lang": "fr", "text": "...", "expect": ["partner.sopot"]}
 * where expect lists the acceptable intents and [null] means the fallback is
 * expected. Each question is asked in a fresh conversation, without hint, so
 * that language identification is measured too. */
#ifndef PA_EVAL_H
#define PA_EVAL_H

#include "pa_diag.h"
#include "pa_snapshot.h"

#include <jansson.h>

/* Runs the set at path. Returns the report as a new JSON object (caller
 * decrefs):
 *   {"questions", "in_scope": {"total","correct","accuracy"},
 *    "out_of_scope": {"total","rejected","rejection"},
 *    "language_id": {"total","correct","accuracy",
 *                    "from_text","from_text_correct","accuracy_from_text"},
 *      (from_text: the questions whose words tell their language; the others
 *       name only places, and take the widget's language in the product)
 *    "did_you_mean": {"total","expected_offered"} (replies offering two intents:
 *      counted as misses above; expected_offered: the expected one was offered),
 *    "languages": {code: {"in_scope","correct","accuracy","out_of_scope","rejected"}},
 *    "intents": {id: {"total","correct","accuracy"}},
 *    "misses": [{"id","lang","text","expect","got","got_kind","got_lang","confidence"}],
 *    "replies": [the same for every line, right or wrong: two builds' replies
 *                can be compared line by line]}
 * or NULL when the file cannot be read or a line is malformed: the problem is
 * added to diag as path:line:column. */
json_t *pa_eval_run(const pa_snapshot *s, const char *path, pa_diag *diag);

#endif

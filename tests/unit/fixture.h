/* The knowledge the unit tests run on: frozen copies in tests/fixtures/, so
 * that no edit of the bundled intents/ can fail a unit test. */
#ifndef PA_TEST_FIXTURE_H
#define PA_TEST_FIXTURE_H

#include "pa_snapshot.h"

#include <stdio.h>

#define FIXTURE_KNOWLEDGE PASSERELLE_SOURCE_DIR "/tests/fixtures/knowledge"
#define FIXTURE_TURN      PASSERELLE_SOURCE_DIR "/tests/fixtures/turn"

/* Loads dir/intents and dir/locales, printing any problem to stderr.
 * Returns the snapshot, or NULL. */
static inline pa_snapshot *load_fixture(const char *dir)
{
    char intents[512], locales[512];
    snprintf(intents, sizeof intents, "%s/intents", dir);
    snprintf(locales, sizeof locales, "%s/locales", dir);
    pa_diag diag;
    pa_diag_init(&diag);
    pa_snapshot *s = pa_snapshot_load(intents, locales, &diag);
    pa_diag_print(&diag, NULL, stderr);
    pa_diag_clear(&diag);
    return s;
}

#endif

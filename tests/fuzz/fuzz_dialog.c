/* Fuzzes the whole understanding chain with question text: normalization,
 * names, language identification, matching, on the bundled knowledge. Two
 * turns per input, so that follow-up handling is exercised too. */
#include "pa_dialog.h"
#include "pa_protocol.h"
#include "pa_text.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static pa_snapshot *snapshot;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    snapshot =
        pa_snapshot_load(PASSERELLE_SOURCE_DIR "/intents", PASSERELLE_SOURCE_DIR "/locales", NULL);
    if (!snapshot)
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    if (!pa_text_is_valid(text, size) || pa_text_chars(text, size) > PA_TEXT_MAX_CHARS)
        return 0; /* the protocol layer refuses these before the dialog sees them */
    pa_session session;
    pa_session_init(&session);
    pa_reply r;
    for (int turn = 0; turn < 2; turn++)
        if (pa_dialog_ask(snapshot, &session, text, size, turn ? "ar" : NULL, &r) == 0 &&
            (r.confidence < 0 || r.confidence > 1 || !r.text))
            abort();
    return 0;
}

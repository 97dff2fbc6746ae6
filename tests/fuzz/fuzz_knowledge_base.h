/* The bundled knowledge, loaded once for a fuzzer that asks questions of it. */
#ifndef PA_FUZZ_KNOWLEDGE_BASE_H
#define PA_FUZZ_KNOWLEDGE_BASE_H

#include "pa_snapshot.h"

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

#endif

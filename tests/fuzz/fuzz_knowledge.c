/* Fuzzes the knowledge loader with the content of one intent file, beside
 * the check fixtures' locales: what staff type in an editor. */
#include "pa_snapshot.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];
static char file[128];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    snprintf(dir, sizeof dir, "/tmp/passerelle-fuzz-XXXXXX");
    if (!mkdtemp(dir))
        abort();
    snprintf(file, sizeof file, "%s/intent.json", dir);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *f = fopen(file, "wb");
    if (!f)
        return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    pa_diag diag;
    pa_diag_init(&diag);
    pa_snapshot *s =
        pa_snapshot_load(dir, PASSERELLE_SOURCE_DIR "/tests/check/base/locales", &diag);
    if (!s && diag.errors == 0)
        abort(); /* a refused file must say why */
    pa_snapshot_free(s);
    pa_diag_clear(&diag);
    return 0;
}

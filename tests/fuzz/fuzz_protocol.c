/* Fuzzes what a WebSocket peer may send, as the server takes it: any bytes
 * as one frame, read and answered by pa_turn_frame on the bundled knowledge,
 * then rendered as the frame the server would send back. */
#include "fuzz_knowledge_base.h"
#include "pa_turn.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pa_turn_limits limits = pa_turn_limits_default();
    pa_session session;
    pa_session_init(&session);
    pa_turn t;
    pa_turn_frame(snapshot, &session, &limits, (const char *)data, size, PA_PROTO_OK, &t);
    if (t.error >= PA_PROTO_END || t.lang < 0 || (size_t)t.lang >= snapshot->k.n_locales)
        abort();
    free(pa_turn_render(snapshot, &t));
    pa_turn_clear(&t);
    return 0;
}

/* Fuzzes the whole understanding chain with question text: validation,
 * normalization, names, language identification, matching and the reply
 * frame, on the bundled knowledge. Two turns per input, so that follow-up
 * handling is exercised too. */
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
    for (int turn = 0; turn < 2; turn++) {
        pa_request req;
        pa_request_init_question(&req, (const char *)data, size, turn ? "ar" : NULL);
        pa_turn t;
        pa_turn_request(snapshot, &session, &limits, &req, &t);
        if (t.error == PA_PROTO_OK &&
            (t.reply.confidence < 0 || t.reply.confidence > 1 || !t.reply.text))
            abort();
        free(pa_turn_render(snapshot, &t));
        pa_turn_clear(&t);
    }
    return 0;
}

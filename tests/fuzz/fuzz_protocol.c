/* Fuzzes the parsing of client frames: any bytes a WebSocket peer may send. */
#include "pa_protocol.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pa_request req;
    pa_protocol_parse((const char *)data, size, PA_TEXT_MAX_CHARS, &req);
    pa_request_clear(&req);
    return 0;
}

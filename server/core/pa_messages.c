#include "pa_messages.h"

static const char *const message_keys[] = {
#define PA_X(sym, name) name,
    PA_SYSTEM_MESSAGES(PA_X)
#undef PA_X
};

static const char *const error_names[] = {"",
#define PA_X(sym, name) name,
                                          PA_PROTOCOL_ERRORS(PA_X)
#undef PA_X
};

const char *pa_message_key(pa_message m)
{
    return m >= 0 && m < PA_MSG_END ? message_keys[m] : "";
}

const char *pa_protocol_error_name(pa_proto_error code)
{
    return code > PA_PROTO_OK && code < PA_PROTO_END ? error_names[code] : "";
}

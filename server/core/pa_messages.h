/* pa_messages: what the server says in its own words.
 *
 * The system messages and the error codes of the protocol are keys that
 * every locale file gives a text for (its "messages" and "errors" tables).
 * Both lists are X-macro tables here, in a header that depends on nothing:
 * the knowledge loader requires every key of every locale, and the dialog
 * and the protocol look them up by the same enums, so no key can be used
 * without `passerelle check` demanding it, and adding one is one line. */
#ifndef PA_MESSAGES_H
#define PA_MESSAGES_H

/* System messages: locale "messages". */
#define PA_SYSTEM_MESSAGES(X)                                                                      \
    X(WELCOME, "welcome")               /* the greeting sent when a conversation opens */          \
    X(FALLBACK, "fallback")             /* the reply when nothing in the knowledge fits */         \
    X(DID_YOU_MEAN, "did_you_mean")     /* the reply offering two close intents */                 \
    X(OTHER_LANGUAGE, "other_language") /* to a question in a language the bot does not speak,     \
                                           before the list of those it speaks */                   \
    X(CONTACT_ACK, "contact_ack")       /* a message to staff is safely kept for delivery */

typedef enum {
#define PA_X(sym, name) PA_MSG_##sym,
    PA_SYSTEM_MESSAGES(PA_X)
#undef PA_X
        PA_MSG_END
} pa_message;

/* Error codes of the WebSocket protocol: locale "errors". */
#define PA_PROTOCOL_ERRORS(X)                                                                      \
    X(BAD_JSON, "bad_json")             /* the frame is not JSON */                                \
    X(NOT_OBJECT, "not_object")         /* JSON, but not an object */                              \
    X(UNKNOWN_TYPE, "unknown_type")     /* "type" missing or not a known message */                \
    X(MISSING_TEXT, "missing_text")     /* an ask with no text (and no intent) */                  \
    X(TEXT_TOO_LONG, "text_too_long")   /* text over the configured limit */                       \
    X(BAD_FIELD, "bad_field")           /* a field of the wrong type */                            \
    X(UNKNOWN_INTENT, "unknown_intent") /* a suggestion click naming no intent */                  \
    X(BAD_ENCODING, "bad_encoding")     /* binary frame or invalid UTF-8 */                        \
    X(RATE_LIMITED, "rate_limited")     /* too many messages in a short time */                    \
    X(BAD_REPLY_TO, "bad_reply_to")     /* a contact's reply_to is no e-mail nor phone number */   \
    X(BAD_KEY, "bad_key")               /* a contact without a valid idempotency key */            \
    X(CONTACT_UNAVAILABLE, "contact_unavailable") /* messages to staff cannot be taken now */      \
    X(CONTACT_LIMIT, "contact_limit") /* more messages to staff than one connection may send */

typedef enum {
    PA_PROTO_OK = 0,
#define PA_X(sym, name) PA_PROTO_##sym,
    PA_PROTOCOL_ERRORS(PA_X)
#undef PA_X
        PA_PROTO_END
} pa_proto_error;

#define PA_PROTO_FIRST_ERROR PA_PROTO_BAD_JSON

/* The key of a system message ("fallback"); "" out of range. */
const char *pa_message_key(pa_message m);
/* Wire name of an error code ("bad_json"), also its key in locale "errors";
 * "" for PA_PROTO_OK and out of range. */
const char *pa_protocol_error_name(pa_proto_error code);

#endif

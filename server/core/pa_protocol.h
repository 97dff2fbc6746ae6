/* pa_protocol: the JSON messages of the WebSocket interface (docs/protocol.md).
 *
 * Reads a client's frame into a pa_request and writes the server's frames;
 * pa_turn uses both, so nothing else needs to know JSON. The error codes
 * (pa_proto_error) are the X-macro table of pa_messages.h, which the locale
 * check reads too. */
#ifndef PA_PROTOCOL_H
#define PA_PROTOCOL_H

#include "pa_dialog.h"
#include "pa_messages.h"
#include "pa_snapshot.h"

#include <jansson.h>
#include <stddef.h>

/* Default limit on the length of a question, in characters. */
enum { PA_TEXT_MAX_CHARS = 1000 };

enum { PA_LANG_CODE_MAX = 16 }; /* a language hint's bytes, with the NUL */

/* The longest conversation-context token a client may send back, in bytes;
 * a longer one is not one the server made, and is ignored. */
enum { PA_CONTEXT_TOKEN_MAX = 512 };

typedef struct {
    char *text;                  /* the question, or NULL for a suggestion click; malloc'd */
    size_t text_len;             /* bytes of text: a JSON "\u0000" can make it differ from strlen */
    char *intent;                /* the clicked intent id, or NULL; malloc'd */
    char lang[PA_LANG_CODE_MAX]; /* the language hint, "" when none */
    json_t *id;                  /* the client's id to echo (a new reference), or NULL */
    int ping;                    /* 1 for {"type":"ping"}: a keep-alive, not a question */
    int feedback;                /* 1 for {"type":"feedback"}: a vote on intent's answer */
    int useful;                  /* the vote: 1 useful, 0 not */
    char *context;               /* the "context" token the client sent back, or NULL; malloc'd */
} pa_request;

/* Parses one frame of len bytes and checks it with pa_request_check. Fills
 * *req (release with pa_request_clear, also after an error: the id and the
 * hint may have been read) and returns PA_PROTO_OK, or the code of the first
 * problem found. max_chars is the limit on the question's length. A
 * {"type":"ping"} frame (a keep-alive) sets req->ping and is PA_PROTO_OK, with
 * only its id and hint read. A {"type":"feedback"} frame sets req->feedback,
 * req->intent and req->useful; PA_PROTO_BAD_FIELD when its intent is not a
 * string or useful not a boolean (the turn checks that the intent exists). */
pa_proto_error pa_protocol_parse(const char *data, size_t len, size_t max_chars, pa_request *req);

/* Fills *req with a question typed elsewhere (the command line): a copy of
 * len bytes of text and, when not NULL, the language hint. Release with
 * pa_request_clear. */
void pa_request_init_question(pa_request *req, const char *text, size_t len, const char *hint);

/* What a question must be, whoever read it: a text (unless it is a click)
 * of valid UTF-8 without NUL, with at least one word, of at most max_chars
 * characters. Returns PA_PROTO_OK or the code of the first problem. */
pa_proto_error pa_request_check(const pa_request *req, size_t max_chars);

/* Frees what the request holds and empties it. */
void pa_request_clear(pa_request *req);

/* The builders return the frame as compact JSON text, malloc'd (the caller
 * frees). */

/* {"type":"welcome","lang":..,"text":..,"suggestions":[..],"languages":[..]} */
char *pa_protocol_welcome_json(const pa_snapshot *s, int lang);
/* The same welcome with the limits the server announces to its clients:
 * "max_text" (the longest question, in characters) and, when idle_timeout_s
 * is not 0, "idle_timeout_s" (the seconds after which a connection that sent
 * nothing is closed: the widget pings more often than that). */
char *pa_protocol_welcome_limits_json(const pa_snapshot *s, int lang, size_t max_text,
                                      unsigned idle_timeout_s);
/* {"type":"feedback","ok":true}, the reply to a vote, with its id when it
 * had one (id may be NULL). */
char *pa_protocol_feedback_json(json_t *id);
/* {"type":"pong"} with the id of the ping when it had one (id may be NULL). */
char *pa_protocol_pong_json(json_t *id);
/* {"type":"answer",...} for a reply of pa_dialog; id may be NULL. */
char *pa_protocol_answer_json(const pa_snapshot *s, const pa_reply *r, json_t *id);
/* The same with "context": the token the client sends back with its next
 * question (a server's pa_token; NULL: none, the field is left out). */
char *pa_protocol_answer_context_json(const pa_snapshot *s, const pa_reply *r, json_t *id,
                                      const char *context);
/* {"type":"error","code":..,"message":<localized>,"lang":..}; id may be NULL. */
char *pa_protocol_error_json(const pa_snapshot *s, int lang, pa_proto_error code, json_t *id);

#endif

/* pa_turn: one exchange of a conversation, from a request to its reply.
 *
 * Every way a question comes in (a WebSocket frame, `passerelle ask`,
 * `passerelle eval`, the fuzzers) goes through here, so that what makes a
 * request acceptable, which intent a suggestion click names, and whether the
 * reply is an answer, a clarification, the fallback or an error frame is
 * decided once. Like hiredis' reader it never touches a socket: the caller
 * hands in bytes or a request and sends back what pa_turn_render returns.
 *
 * A turn never fails: every request gets a frame, an error frame when the
 * request is refused (running out of memory aborts, see pa_alloc.h). */
#ifndef PA_TURN_H
#define PA_TURN_H

#include "pa_dialog.h"
#include "pa_protocol.h"

/* The limits a server applies to what clients send. */
typedef struct {
    size_t max_text_chars;   /* longest question, in characters */
    unsigned idle_timeout_s; /* announced in the welcome; 0: none announced */
} pa_turn_limits;

/* The limits with their default values. */
pa_turn_limits pa_turn_limits_default(void);

typedef struct {
    pa_request request;   /* as read: id, hint, text (for logs); freed by pa_turn_clear */
    pa_proto_error error; /* PA_PROTO_OK: reply holds the answer, fallback or clarification */
    int lang;             /* locale index of the frame */
    pa_reply reply;       /* valid when error is PA_PROTO_OK and request.ping, .feedback are 0 */
    int feedback_intent;  /* a vote (request.feedback) accepted: the intent's index */
    /* the conversation-context token the answer frame carries, or NULL: set
     * by a server (pa_token) between pa_turn_answer and pa_turn_render, and
     * freed by pa_turn_clear */
    char *context;
} pa_turn;

/* Reads one client frame of len bytes and answers it. refused is
 * PA_PROTO_OK, or a refusal the transport has already decided
 * (PA_PROTO_RATE_LIMITED, PA_PROTO_TEXT_TOO_LONG for a frame over the size
 * limit, PA_PROTO_BAD_ENCODING for a binary frame): the frame, when data is
 * not NULL, is then read only for the id to echo and the language hint.
 * Updates the session. Release *out with pa_turn_clear. */
void pa_turn_frame(const pa_snapshot *s, pa_session *session, const pa_turn_limits *limits,
                   const char *data, size_t len, pa_proto_error refused, pa_turn *out);

/* pa_turn_frame in two steps, for a caller that decides a refusal from what
 * the frame is (a server does not count keep-alives against the rate limit).
 * pa_turn_read reads the frame (data may be NULL: nothing to read) into *out
 * without answering: out->error is the problem found, out->request.ping is 1
 * for a keep-alive. pa_turn_answer then answers it as pa_turn_frame would,
 * with refused, when not PA_PROTO_OK, taking precedence over what was read.
 * A keep-alive that is not refused gets a pong; a vote (request.feedback) on
 * an intent with an answer gets {"type":"feedback","ok":true} and its index
 * in feedback_intent, on any other unknown_intent. */
void pa_turn_read(const pa_turn_limits *limits, const char *data, size_t len, pa_turn *out);
void pa_turn_answer(const pa_snapshot *s, pa_session *session, pa_proto_error refused, pa_turn *t);

/* Checks and answers a request built by the caller (pa_request_init_question),
 * which the turn takes over: the caller must not clear it. Updates the
 * session. Release *out with pa_turn_clear. */
void pa_turn_request(const pa_snapshot *s, pa_session *session, const pa_turn_limits *limits,
                     pa_request *req, pa_turn *out);

/* The frame that carries the turn's reply, error or pong, as compact JSON,
 * malloc'd (the caller frees). */
char *pa_turn_render(const pa_snapshot *s, const pa_turn *t);

/* Opens a conversation: lang_code is the language the page asked for
 * ("?lang=" of the WebSocket URL) or NULL; a known one becomes the session's
 * language. Returns the welcome frame, malloc'd (the caller frees). */
char *pa_turn_welcome(const pa_snapshot *s, pa_session *session, const char *lang_code);
/* The same, announcing the limits a server applies (pa_protocol_welcome_limits_json):
 * what a server sends when a connection opens. */
char *pa_turn_open(const pa_snapshot *s, pa_session *session, const pa_turn_limits *limits,
                   const char *lang_code);

/* Frees what the turn holds. Accepts a turn that was never filled only when
 * zeroed. */
void pa_turn_clear(pa_turn *t);

#endif

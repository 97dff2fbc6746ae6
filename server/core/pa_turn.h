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
    size_t max_text_chars; /* longest question, in characters */
} pa_turn_limits;

/* The limits with their default values. */
pa_turn_limits pa_turn_limits_default(void);

typedef struct {
    pa_request request;   /* as read: id, hint, text (for logs); freed by pa_turn_clear */
    pa_proto_error error; /* PA_PROTO_OK: reply holds the answer, fallback or clarification */
    int lang;             /* locale index of the frame */
    pa_reply reply;       /* valid when error is PA_PROTO_OK */
} pa_turn;

/* Reads one client frame of len bytes and answers it. refused is
 * PA_PROTO_OK, or a refusal the transport has already decided
 * (PA_PROTO_RATE_LIMITED, PA_PROTO_TEXT_TOO_LONG for a frame over the size
 * limit, PA_PROTO_BAD_ENCODING for a binary frame): the frame, when data is
 * not NULL, is then read only for the id to echo and the language hint.
 * Updates the session. Release *out with pa_turn_clear. */
void pa_turn_frame(const pa_snapshot *s, pa_session *session, const pa_turn_limits *limits,
                   const char *data, size_t len, pa_proto_error refused, pa_turn *out);

/* Checks and answers a request built by the caller (pa_request_init_question),
 * which the turn takes over: the caller must not clear it. Updates the
 * session. Release *out with pa_turn_clear. */
void pa_turn_request(const pa_snapshot *s, pa_session *session, const pa_turn_limits *limits,
                     pa_request *req, pa_turn *out);

/* The frame that carries the turn's reply or error, as compact JSON,
 * malloc'd (the caller frees). */
char *pa_turn_render(const pa_snapshot *s, const pa_turn *t);

/* Opens a conversation: lang_code is the language the page asked for
 * ("?lang=" of the WebSocket URL) or NULL; a known one becomes the session's
 * language. Returns the welcome frame, malloc'd (the caller frees). */
char *pa_turn_welcome(const pa_snapshot *s, pa_session *session, const char *lang_code);

/* Frees what the turn holds. Accepts a turn that was never filled only when
 * zeroed. */
void pa_turn_clear(pa_turn *t);

#endif

/* pa_context: the part of a conversation a client may carry between
 * servers.
 *
 * Replicas behind a load balancer share nothing, so a resident whose
 * connection moves to another replica would lose the conversation: its
 * language and the intent a follow-up ("depuis quand ?") refers to. The
 * server therefore hands the client this small text, sealed (the shell's
 * pa_token authenticates and dates it), and the client sends it back with
 * its next question. Here only what goes in and how it is read back: by
 * language code and intent id, never by index, so that a replica with other
 * knowledge (a reload in between) reads what it can and drops the rest.
 *
 * The text is "<lang code>\t<intent id>\t<turns>", either field possibly
 * empty. It holds nothing the resident typed. */
#ifndef PA_CONTEXT_H
#define PA_CONTEXT_H

#include "pa_dialog.h"
#include "pa_snapshot.h"

#include <stddef.h>

enum {
    PA_CONTEXT_LANG_MAX = 15, /* bytes of a language code carried; longer ones are not codes */
    /* the longest context text, with its NUL: two tabs, a turn count, the NUL */
    PA_CONTEXT_TEXT_MAX = PA_CONTEXT_LANG_MAX + PA_INTENT_ID_MAX + 16,
};

/* Writes the session's context into buf (size bytes, at least
 * PA_CONTEXT_TEXT_MAX) and returns its length, or 0 when the session holds
 * nothing worth carrying (no language and no previous intent yet). */
size_t pa_context_write(const pa_snapshot *s, const pa_session *session, char *buf, size_t size);

/* Reads a context written by pa_context_write (len bytes, no NUL needed)
 * into *session: the language when s has it, the previous intent when s has
 * it, the turn count. Returns 0, or -1 when the text is not a context (the
 * session is then unchanged). */
int pa_context_read(const pa_snapshot *s, const char *text, size_t len, pa_session *session);

/* 1 when the session has seen no question yet: a context a client brings is
 * only taken then, at the start of a connection, so that it never moves a
 * running conversation back. */
int pa_context_session_is_new(const pa_session *session);

#endif

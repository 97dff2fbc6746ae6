/* pa_mail: a resident's message as the mail staff receive (RFC 5322).
 *
 * The mail is written for the international-action service, in its
 * language (French; English on request): its words come from
 * locales/staff/handoff.<lang>.json, never from C strings. Subject and body
 * are UTF-8 (an encoded-word subject, a base64 body), so an Arabic or
 * Polish message arrives as typed; the Message-ID is made from the
 * message's idempotency key, so that a mail system that keeps the ids it saw
 * drops a second copy; Reply-To is the resident's address when they left
 * one. No I/O but pa_mail_texts_load. */
#ifndef PA_MAIL_H
#define PA_MAIL_H

#include <jansson.h>
#include <stddef.h>
#include <time.h>

typedef struct pa_mail_texts pa_mail_texts;

/* Reads locales_dir/staff/handoff.<lang>.json and checks that it has every
 * text the mail needs. Returns the texts (free with pa_mail_texts_free), or
 * NULL with the reason in err. */
pa_mail_texts *pa_mail_texts_load(const char *locales_dir, const char *lang, char *err,
                                  size_t err_size);
void pa_mail_texts_free(pa_mail_texts *t);

/* The addresses of the mail: from is one address, to one or more separated
 * by commas or spaces (as in the settings handoff-mail-from and -to). */
typedef struct {
    const char *from, *to;
} pa_mail_addresses;

/* The whole message (headers and body, CRLF line ends, no dot-stuffing:
 * libcurl does it) for a spool record (pa_contact_record), dated now.
 * Malloc'd (the caller frees); NULL when the record lacks its key or text. */
char *pa_mail_message(const pa_mail_texts *t, const pa_mail_addresses *a, const json_t *record,
                      time_t now);

/* A header "Name: value" for a UTF-8 value: as it is when it is printable
 * ASCII, else as RFC 2047 encoded-words (base64), cut between characters and
 * folded so that no line passes 78 characters. Malloc'd, no final CRLF. */
char *pa_mail_header(const char *name, const char *value);

/* The addresses of a list ("a@x.fr, b@y.fr"), each malloc'd, in a malloc'd
 * array of *n (free each, then the array). */
char **pa_mail_split_addresses(const char *list, size_t *n);

#endif

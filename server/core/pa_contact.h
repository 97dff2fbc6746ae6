/* pa_contact: a resident's message to the city's staff, {"type":"contact"}
 * (docs/protocol.md, "Writing to a person").
 *
 * When the bot cannot answer, the widget lets the resident write to the
 * international-action service. This module reads and checks such a frame
 * (the same rules as a question for the text: valid UTF-8, at least one
 * word, at most the question limit; an optional e-mail address or phone
 * number to reply to; the client's idempotency key; what the resident saw
 * of the conversation, capped), turns it into the record a server keeps
 * until it is delivered, and writes the frames of the exchange. It keeps
 * nothing and touches no file: the shell (pa_handoff, pa_spool,
 * pa_delivery) stores and delivers what it returns. */
#ifndef PA_CONTACT_H
#define PA_CONTACT_H

#include "pa_protocol.h"
#include "pa_snapshot.h"

#include <jansson.h>
#include <stddef.h>
#include <time.h>

enum {
    PA_CONTACT_KEY_MAX = 64,          /* characters of an idempotency key ([A-Za-z0-9_-]) */
    PA_CONTACT_EMAIL_MAX = 254,       /* bytes of an e-mail address (RFC 5321's path, less <>) */
    PA_CONTACT_EMAIL_LOCAL_MAX = 64,  /* bytes before its @ */
    PA_CONTACT_PHONE_CHARS_MAX = 32,  /* characters of a phone number as typed */
    PA_CONTACT_PHONE_DIGITS_MIN = 6,  /* a local number without its area code... */
    PA_CONTACT_PHONE_DIGITS_MAX = 15, /* ...to E.164's longest international one */
    PA_CONTACT_ENTRIES_DEFAULT = 10,  /* conversation lines kept by default (the last ones) */
    PA_CONTACT_ENTRY_CHARS_DEFAULT = 300, /* characters kept of each, by default */
};

/* What a server accepts in a contact frame. */
typedef struct {
    size_t max_text_chars;  /* the message, like a question (text_too_long beyond) */
    size_t max_entries;     /* conversation lines kept: the last ones; 0: none kept */
    size_t max_entry_chars; /* characters kept of each line; longer ones are cut */
} pa_contact_limits;

/* The limits with their default values (the question limit of pa_protocol). */
pa_contact_limits pa_contact_limits_default(void);

typedef enum { PA_REPLY_TO_NONE, PA_REPLY_TO_EMAIL, PA_REPLY_TO_PHONE } pa_reply_to_kind;

/* One line of what the resident saw before writing. */
typedef struct {
    int from_bot; /* 0: the resident wrote it; 1: the bot */
    char *text;   /* malloc'd, valid UTF-8, cut to max_entry_chars */
} pa_contact_line;

typedef struct {
    char *text;      /* the message, malloc'd; NULL until read */
    size_t text_len; /* bytes */
    char *reply_to;  /* as typed, spaces around it removed; NULL: none given */
    pa_reply_to_kind reply_to_kind;
    char key[PA_CONTACT_KEY_MAX + 1]; /* the client's idempotency key */
    char lang[PA_LANG_CODE_MAX];      /* the language hint, "" when none */
    json_t *id;                       /* the client's id to echo (a new reference), or NULL */
    pa_contact_line *lines;           /* the conversation kept, oldest first; malloc'd */
    size_t n_lines;
    size_t omitted_lines; /* older lines left out by max_entries */
} pa_contact;

/* 1 when the len bytes are a JSON object whose "type" is "contact", else 0:
 * what a server asks of a frame pa_protocol_parse found of an unknown type. */
int pa_contact_is_frame(const char *data, size_t len);

/* Reads and checks a contact frame of len bytes into *out (release with
 * pa_contact_clear, also after an error: the id and the hint may have been
 * read, for the error frame). Returns PA_PROTO_OK or the first problem:
 * bad_encoding, bad_json, not_object, unknown_type (not a contact),
 * bad_field (a field of the wrong type, a malformed conversation),
 * missing_text, text_too_long, bad_reply_to, bad_key. A conversation longer
 * than the limits is cut, not refused. */
pa_proto_error pa_contact_parse(const char *data, size_t len, const pa_contact_limits *limits,
                                pa_contact *out);

/* Frees what the contact holds and empties it. Accepts a zeroed one. */
void pa_contact_clear(pa_contact *c);

/* What len bytes given as a reply contact are: an e-mail address
 * (local@domain.tld, no spaces nor the characters that would let it end a
 * mail header), a phone number (6 to 15 digits, Latin or Arabic-Indic, with
 * spaces, dots, dashes, slashes, parentheses and a leading +), or neither
 * (PA_REPLY_TO_NONE). */
pa_reply_to_kind pa_contact_reply_to_kind(const char *s, size_t len);
/* "email", "phone", or NULL for PA_REPLY_TO_NONE. */
const char *pa_reply_to_kind_name(pa_reply_to_kind kind);
/* 1 when len bytes are a valid idempotency key, else 0. */
int pa_contact_key_valid(const char *s, size_t len);

/* The message as a server keeps it until it is delivered (version 1 of the
 * spool's record, docs/operations.md): key, received (UTC, ISO 8601), lang
 * (the code given), text, reply_to and reply_to_kind (null when none),
 * conversation [{"from":"resident"|"bot","text":..}], conversation_omitted.
 * A new reference (the caller decrefs). */
json_t *pa_contact_record(const pa_contact *c, const char *lang_code, time_t received);

/* {"type":"contact_ack","id":..,"lang":..,"key":..,"text":<the locale's
 * contact_ack message>}; id may be NULL. Malloc'd (the caller frees). */
char *pa_contact_ack_json(const pa_snapshot *s, int lang, const char *key, json_t *id);

/* What a server that takes contact messages announces in its welcome frame. */
typedef struct {
    unsigned retention_days;             /* the longest a message is kept undelivered */
    size_t max_entries, max_entry_chars; /* the conversation it keeps */
} pa_contact_offer;

/* Adds "contact":{"retention_days":..,"conversation_entries":..,
 * "conversation_chars":..} to the welcome frame (compact JSON text, an
 * object, malloc'd), which it takes over; returns the new frame, malloc'd. */
char *pa_contact_announce(char *welcome, const pa_contact_offer *offer);

#endif

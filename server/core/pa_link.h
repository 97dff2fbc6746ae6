/* pa_link: the web addresses, e-mail addresses and phone numbers staff give
 * in intent files ("links", "email", "phone"), checked before any resident
 * is sent to them.
 *
 * The widget makes each a real link (https:, mailto:, tel:), so a value must
 * be one a browser and a phone read the same way staff meant it: a full
 * https address without spaces, an e-mail address of the usual shape, a
 * phone number in international form that dials from any country. Pure
 * functions on NUL-terminated strings; nothing is allocated. */
#ifndef PA_LINK_H
#define PA_LINK_H

#include <stddef.h>

enum {
    PA_URL_MAX_CHARS = 300,   /* a link's address, in bytes (ASCII) */
    PA_EMAIL_MAX_CHARS = 254, /* an e-mail address (RFC 5321's path, less <>) */
    PA_EMAIL_LOCAL_MAX = 64,  /* its part before the @ */
    PA_PHONE_MAX_CHARS = 32,  /* a phone number as written, separators included */
    PA_PHONE_DIGITS_MIN = 8,  /* country code and number: the shortest dialable... */
    PA_PHONE_DIGITS_MAX = 15, /* ...and E.164's longest */
    PA_PHONE_TEL_MAX = 20,    /* bytes of "+" and the digits, with the NUL */
};

/* 1 when s is an https address: "https://", a host name of letters, digits,
 * dashes and dots (with a dot, no user@ part), an optional port, then an
 * optional path, query and fragment of the characters RFC 3986 allows (%
 * followed by two hex digits), at most PA_URL_MAX_CHARS bytes; else 0. */
int pa_link_valid_url(const char *s);

/* 1 when s is an e-mail address: a local part of letters, digits and
 * !#$%&'*+/=?^_`{|}~.- (no dot first, last or twice in a row), "@", a
 * domain of at least two labels of letters, digits and dashes (none first
 * or last in a label), its last label of letters only; at most
 * PA_EMAIL_MAX_CHARS bytes. Else 0. */
int pa_link_valid_email(const char *s);

/* When s is a phone number in international form, "+" then the country code
 * and the number (its first digit not 0), 8 to 15 digits in all, in groups
 * separated by single spaces, dots or dashes ("+33 1 23 45 67 89"), writes
 * "+" and the digits ("+33123456789", what a tel: link dials) into out and
 * returns 0. Else returns -1 (out then holds ""). size is out's size, at
 * least PA_PHONE_TEL_MAX. */
int pa_link_phone_tel(const char *s, char *out, size_t size);

#endif

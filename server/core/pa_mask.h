/* pa_mask: personal data out of a text, before it reaches any log.
 *
 * Residents type their email address, their phone number or an account
 * number into the chat, and the questions the bot could not answer are kept
 * for staff. Everything written about a question therefore goes through
 * pa_mask first, which returns a copy where
 *
 *   emails        name@domain.tld, also with ＠, "(at)" or "[at]" and
 *                 "(dot)" → [email]
 *   phone numbers as residents of France, Germany, Poland, Portugal,
 *                 Tunisia and Senegal write them: +33 6 12 34 56 78,
 *                 0033 6…, 06 12 34 56 78, 06.12.34.56.78, (0621) 12345,
 *                 601-234-567, 912 345 678, +216 20 123 456, 77 123 45 67;
 *                 any "+" or "00" international number of 8 to 15 digits;
 *                 with spaces, dots, dashes, slashes or parentheses between
 *                 the groups, in ASCII, Arabic-Indic (٠-٩) or Eastern
 *                 Arabic-Indic (۰-۹) digits → [phone]
 *   other numbers a run of at least min_digits digits (spaces, dots or
 *                 dashes between its groups allowed: card, IBAN, ID and
 *                 social-security numbers) → [number]
 *
 * and nothing else changes. What must stay stays: years ("depuis 1992"),
 * ranges of years ("1992-2004"), dates ("12.05.2023", "2023-05-12"),
 * postal codes, counts ("8 km", "35 000 habitants") and Arabizi, where
 * digits are letters ("7abibi", "ma3a").
 *
 * A pure function of the core: no state, no I/O; safe from any thread. */
#ifndef PA_MASK_H
#define PA_MASK_H

#include <stddef.h>

/* A run of digits at least this long is masked as [number] by default: it
 * spares years (4), postal codes (5) and dates (8, recognized as such), and
 * catches card (16), IBAN (20+), social-security (13-15) and national ID
 * numbers (9-11). The setting `mask-digits` changes it. */
enum { PA_MASK_DIGITS_DEFAULT = 8 };

typedef struct {
    size_t min_digits; /* digits from which a run is a [number]; 0: PA_MASK_DIGITS_DEFAULT */
} pa_mask_config;

/* What a call replaced, for tests and counters. */
typedef struct {
    size_t emails, phones, numbers;
} pa_mask_counts;

/* Returns a masked copy of len bytes of text, NUL-terminated, malloc'd (the
 * caller frees). cfg may be NULL (the defaults); counts, when not NULL, is
 * filled. Never fails: bytes that are not UTF-8, and NUL bytes, become
 * U+FFFD, so the result is always valid UTF-8, fit for a JSON string. */
char *pa_mask(const char *text, size_t len, const pa_mask_config *cfg, pa_mask_counts *counts);

#endif

/* A light stemmer for Polish.
 *
 * Why not something bigger: Snowball has no Polish algorithm, and the full
 * morphological analysers (Morfologik, hunspell-pl's affix rules) bring a
 * dictionary of millions of forms to recognise a few hundred words of
 * knowledge. Chat questions about our topics inflect mostly by their endings:
 * case endings of nouns and adjectives (miasto, miasta, miastach, miastami;
 * partnerski, partnerskie, partnerskich) and verb person endings. Stripping
 * the longest known ending, while keeping a stem of at least three letters,
 * conflates those forms. Stem alternations it cannot undo (miasto/mieście,
 * Sopot/Sopocie) are handled elsewhere: place names by the declared name
 * variants, other words by the typo corrector, which accepts one edit.
 *
 * Works on folded text (no diacritics: ą→a, ó→o, ł→l), like every stemmer
 * here; tests/unit/test_stem.c lists the forms it must conflate. */
#include "pa_stem.h"

#include <string.h>

/* Longest first: the first ending that fits wins. */
static const char *const endings[] = {
    "owych", "owymi", "owego", "owemu", "iejsz", "owej", "owym", "owie", "iach", "iami", "iego",
    "iemu",  "ecie",  "acie",  "owac",  "ach",   "ami",  "ego",  "emu",  "ich",  "ych",  "ymi",
    "imi",   "owi",   "owa",   "owe",   "owy",   "iej",  "asz",  "esz",  "isz",  "emy",  "imy",
    "amy",   "aja",   "eja",   "ala",   "alo",   "ali",  "aly",  "ela",  "elo",  "eli",  "ila",
    "ilo",   "ili",   "iom",   "iow",   "ej",    "ym",   "im",   "ie",   "ia",   "ii",   "ji",
    "ja",    "je",    "iu",    "om",    "ow",    "em",   "mi",   "ac",   "ec",   "ic",   "al",
    "el",    "il",    "my",    "a",     "e",     "i",    "o",    "u",    "y",
};

enum { PA_STEM_PL_MIN = 3 };

static size_t utf8_chars(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += ((unsigned char)s[i] & 0xC0) != 0x80;
    return n;
}

void pa_stem_polish(const char *word, char *out, size_t size)
{
    size_t len = strlen(word);
    size_t keep = len;
    for (size_t i = 0; i < sizeof endings / sizeof *endings; i++) {
        size_t n = strlen(endings[i]);
        if (n < len && !memcmp(word + len - n, endings[i], n) &&
            utf8_chars(word, len - n) >= PA_STEM_PL_MIN) {
            keep = len - n;
            break;
        }
    }
    if (keep >= size)
        keep = size - 1;
    memcpy(out, word, keep);
    out[keep] = '\0';
}

/* pa_typo: finds the words of a fixed list within a few edits of a word.
 *
 * The typo corrector and the name finder ask, for each word a question has
 * and the knowledge lacks, which known words are within one or two edits
 * (optimal string alignment: insertions, deletions, substitutions and swaps
 * of adjacent letters, counted in code points). Comparing the word with the
 * whole list costs what the list costs; this index costs what the word's
 * neighbourhood costs.
 *
 * How: two words within d edits become the same string once at most d code
 * points are deleted from each (a substitution is one deletion on each side,
 * a swap too). At build, every string made from a listed word by deleting
 * up to the index's edits (1 or 2) code points is hashed into a table; a
 * query hashes its own deletions, looks them up, and verifies each candidate
 * with the real distance. An index of two edits holds about L²/2 entries
 * for a word of L letters, one of one edit L + 1. Hash collisions and near misses are thus weeded
 * out: the result is exactly the listed words within the distance asked, as a scan would find them.
 *
 * An index is immutable once built and may be queried from several threads. */
#ifndef PA_TYPO_H
#define PA_TYPO_H

#include <stddef.h>
#include <stdint.h>

/* The most edits an index answers for. Two covers the correctors' rules
 * (one edit from four or five letters, two from seven or eight). */
#define PA_TYPO_MAX_EDITS 2
/* Words longer than this, in code points, are compared by scanning: their
 * deletions would be many, and such words are rare. */
#define PA_TYPO_MAX_INDEXED_CHARS 24
/* The most matches a query returns. */
#define PA_TYPO_MAX_MATCHES 256

typedef struct pa_typo_index pa_typo_index;

/* One listed word near the query: its position in the list and its distance. */
typedef struct {
    uint32_t word;
    int distance;
} pa_typo_match;

/* Indexes the n words (valid UTF-8, borrowed: they must outlive the index)
 * for queries of up to max_edits (1 or PA_TYPO_MAX_EDITS; other values are
 * brought into that range). Returns the index (free it with pa_typo_free);
 * aborts only when memory runs out, like the rest of the core's builders. */
pa_typo_index *pa_typo_build(const char *const *words, size_t n, int max_edits);
/* The entries on their way to the index take 12 bytes each, more than in
 * it: beyond this many bytes they are laid out a range of buckets at a
 * time, each range a pass over the words' deletions again, so that building
 * a large index (a reload, beside the knowledge in service) does not hold
 * twice its size. pa_typo_build_within builds with another bound; the
 * index is the same whatever the bound. */
#define PA_TYPO_PENDING_MAX_BYTES ((size_t)16 << 20)
pa_typo_index *pa_typo_build_within(const char *const *words, size_t n, int max_edits,
                                    size_t pending_max_bytes);
/* Accepts NULL. */
void pa_typo_free(pa_typo_index *ix);

/* Writes into out the listed words within max_edits (at most the index's;
 * more is treated as that) of word, in the order of the list, and returns
 * how many (at most cap). word is valid UTF-8. */
size_t pa_typo_find(const pa_typo_index *ix, const char *word, int max_edits, pa_typo_match *out,
                    size_t cap);

#endif

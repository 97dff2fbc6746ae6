/* pa_jsonpos: where each value of a JSON text stands, for error messages.
 *
 * jansson reports positions for syntax errors only; once a file has parsed,
 * its values no longer know where they came from. The knowledge loader needs
 * them to point staff at the offending value ("intents/x.json:12:9: ..."), so
 * after jansson has accepted a text this scanner walks it once more and records
 * the line and column of every value, and of every object key, by JSON Pointer
 * (RFC 6901: "/examples/fr/3"). Columns count code points, as jansson's do. */
#ifndef PA_JSONPOS_H
#define PA_JSONPOS_H

#include "pa_map.h"

#include <stddef.h>

typedef struct {
    char *pointer;
    int line, column;         /* of the value */
    int key_line, key_column; /* of the member's key; 0 for array items and the root */
} pa_jsonpos_entry;

typedef struct {
    pa_jsonpos_entry *entries;
    size_t count, capacity;
    pa_map index; /* pointer -> its first entry: the loader looks up every example */
} pa_jsonpos;

/* Scans a JSON text that jansson has already accepted. Returns 0, or -1 on
 * malformed input (the table then holds what was scanned).
 * Free with pa_jsonpos_free. */
int pa_jsonpos_scan(pa_jsonpos *pos, const char *text, size_t len);
void pa_jsonpos_free(pa_jsonpos *pos);
/* Finds the (first) entry for pointer, or NULL. */
const pa_jsonpos_entry *pa_jsonpos_find(const pa_jsonpos *pos, const char *pointer);
/* Appends "/" and the escaped key to a pointer held in buf of size bytes. */
void pa_jsonpos_append_key(char *buf, size_t size, const char *key);
void pa_jsonpos_append_index(char *buf, size_t size, size_t index);

#endif

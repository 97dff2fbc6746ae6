/* pa_diag: problems found while loading knowledge files.
 *
 * Modelled on jansson's json_error_t, but a loader keeps going after the first
 * problem so that `passerelle check` can list them all: each problem is one
 * pa_diag_item with the file, 1-based line and column (0 when the problem is
 * about the file as a whole) and a message. */
#ifndef PA_DIAG_H
#define PA_DIAG_H

#include <stdio.h>

enum { PA_DIAG_SOURCE_MAX = 512, PA_DIAG_TEXT_MAX = 320 };

typedef enum { PA_DIAG_ERROR, PA_DIAG_WARNING } pa_diag_severity;

typedef struct {
    pa_diag_severity severity;
    char source[PA_DIAG_SOURCE_MAX];
    int line, column;
    char text[PA_DIAG_TEXT_MAX];
} pa_diag_item;

typedef struct {
    pa_diag_item *items;
    size_t count, capacity;
    size_t errors, warnings;
} pa_diag;

/* Starts an empty list; release with pa_diag_clear. */
void pa_diag_init(pa_diag *d);
/* Frees the items; the list can be reused. Accepts NULL. */
void pa_diag_clear(pa_diag *d);
/* Appends a problem. d may be NULL (the problem is then only counted by the
 * caller's return value). The message is printf-formatted and truncated to
 * PA_DIAG_TEXT_MAX. */
void pa_diag_add(pa_diag *d, pa_diag_severity sev, const char *source, int line, int column,
                 const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* Writes "path:line:column: [warning: ]message" lines, in the order added. */
void pa_diag_print(const pa_diag *d, FILE *out);
/* Formats item i as one line (no newline) into buf. */
void pa_diag_format(const pa_diag_item *item, char *buf, size_t size);

#endif

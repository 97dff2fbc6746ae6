/* The two top-level fields of a reply frame the load generator and the echo
 * server need ("type" and "id"), found without parsing the whole object: at
 * tens of thousands of frames a second a full JSON parse in the measuring
 * tools would cost as much as the servers they measure. */
#ifndef BENCH_SCAN_H
#define BENCH_SCAN_H

#include <stddef.h>

typedef struct {
    const char *type; /* the value of "type", without its quotes; NULL if absent */
    size_t type_len;
    const char *id; /* the raw value of "id" (a number, or a string with its quotes) */
    size_t id_len;
} bench_head;

/* Fills head from the JSON object in p[0..n). Strings are skipped whole, so
 * a key inside a text or a nested object is never taken. */
void bench_scan_head(const char *p, size_t n, bench_head *head);

/* 1 when the "type" found is the string t. */
int bench_type_is(const bench_head *head, const char *t);

#endif

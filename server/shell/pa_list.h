/* pa_list: the items of a list setting ("10.0.0.1, 10.0.0.2 ::1"),
 * separated by commas or white space, as the configuration writes them. */
#ifndef PA_LIST_H
#define PA_LIST_H

#include <stddef.h>

static inline int pa_list_separator(char c)
{
    return c == ' ' || c == ',' || c == '\t' || c == '\n';
}

/* Moves *p to the next item and returns its length; 0 at the end. */
static inline size_t pa_list_next(const char **p)
{
    while (**p && pa_list_separator(**p))
        (*p)++;
    size_t len = 0;
    while ((*p)[len] && !pa_list_separator((*p)[len]))
        len++;
    return len;
}

#endif

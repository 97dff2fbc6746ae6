#include "pa_context.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t pa_context_write(const pa_snapshot *s, const pa_session *session, char *buf, size_t size)
{
    const char *lang = session->lang >= 0 && (size_t)session->lang < s->k.n_locales
                           ? s->k.locales[session->lang].code
                           : "";
    if (!*lang && !session->last_intent[0])
        return 0;
    int n = snprintf(buf, size, "%s\t%s\t%u", lang, session->last_intent, session->turns);
    return n > 0 && (size_t)n < size ? (size_t)n : 0;
}

/* Copies the field of text that ends at the next tab (or at end) into out,
 * of size bytes; returns where the next field starts, or NULL when the field
 * does not fit or no tab follows while one must. */
static const char *read_field(const char *p, const char *end, int last, char *out, size_t size)
{
    const char *tab = memchr(p, '\t', (size_t)(end - p));
    if (!tab && !last)
        return NULL;
    const char *stop = tab ? tab : end;
    size_t n = (size_t)(stop - p);
    if (n >= size || memchr(p, '\0', n))
        return NULL;
    memcpy(out, p, n);
    out[n] = '\0';
    return tab ? tab + 1 : end;
}

int pa_context_read(const pa_snapshot *s, const char *text, size_t len, pa_session *session)
{
    char lang[PA_CONTEXT_LANG_MAX + 1], intent[PA_INTENT_ID_MAX + 1], turns[12];
    const char *end = text + len, *p = text;
    if (!(p = read_field(p, end, 0, lang, sizeof lang)) ||
        !(p = read_field(p, end, 0, intent, sizeof intent)) ||
        !(p = read_field(p, end, 1, turns, sizeof turns)) || p != end)
        return -1;
    char *after;
    unsigned long n = strtoul(turns, &after, 10);
    if (!turns[0] || *after || n > 1000000)
        return -1;
    int l = lang[0] ? pa_snapshot_lang(s, lang) : -1;
    if (l >= 0)
        session->lang = l;
    if (intent[0] && pa_snapshot_intent(s, intent) >= 0)
        snprintf(session->last_intent, sizeof session->last_intent, "%s", intent);
    session->turns = (unsigned)n;
    return 0;
}

int pa_context_session_is_new(const pa_session *session)
{
    return session->turns == 0 && !session->last_intent[0];
}

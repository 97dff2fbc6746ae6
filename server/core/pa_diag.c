#include "pa_diag.h"

#include "pa_alloc.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static const char *const code_names[] = {
#define PA_X(sym, name) name,
    PA_DIAG_CODES(PA_X)
#undef PA_X
};

const char *pa_diag_code_name(pa_diag_code code)
{
    return code >= 0 && code < PA_DIAG_CODE_END ? code_names[code] : "";
}

void pa_diag_init(pa_diag *d)
{
    memset(d, 0, sizeof *d);
}

void pa_diag_clear(pa_diag *d)
{
    if (!d)
        return;
    free(d->items);
    pa_diag_init(d);
}

void pa_diag_add(pa_diag *d, pa_diag_severity sev, pa_diag_code code, const char *source, int line,
                 int column, const char *fmt, ...)
{
    if (!d)
        return;
    if (d->count == d->capacity) {
        d->capacity = d->capacity ? d->capacity * 2 : 16;
        d->items = pa_xrealloc(d->items, d->capacity * sizeof *d->items);
    }
    pa_diag_item *it = &d->items[d->count++];
    it->severity = sev;
    it->code = code;
    snprintf(it->source, sizeof it->source, "%s", source ? source : "");
    it->line = line;
    it->column = column;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(it->text, sizeof it->text, fmt, ap);
    va_end(ap);
    if (sev == PA_DIAG_ERROR)
        d->errors++;
    else
        d->warnings++;
}

void pa_diag_format(const pa_diag_item *it, char *buf, size_t size)
{
    const char *sev = it->severity == PA_DIAG_WARNING ? "warning: " : "";
    if (it->line > 0)
        snprintf(buf, size, "%s:%d:%d: %s%s", it->source, it->line, it->column, sev, it->text);
    else
        snprintf(buf, size, "%s: %s%s", it->source, sev, it->text);
}

void pa_diag_print(const pa_diag *d, FILE *out)
{
    char line[PA_DIAG_SOURCE_MAX + PA_DIAG_TEXT_MAX + 64];
    for (size_t i = 0; i < d->count; i++) {
        pa_diag_format(&d->items[i], line, sizeof line);
        fprintf(out, "%s\n", line);
    }
}

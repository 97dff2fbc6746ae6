/* pa_diag_catalog: the texts of pa_diag's messages in one staff language.
 *
 * City staff read `passerelle check` in French, or in English on request.
 * The texts live in JSON files beside the resident locales, in
 * locales/staff/check.<lang>.json: one object whose members map a message id
 * ("intent.duplicate_id") or a term ("term.example", PA_DIAG_TERMS) to its
 * text, with named placeholders ("l’identifiant \"{id}\" est déjà pris").
 * Members whose key starts with "$" are notes for translators and skipped.
 * pa_diag formats items with a catalog when they are printed. */
#ifndef PA_DIAG_CATALOG_H
#define PA_DIAG_CATALOG_H

#include "pa_diag.h"

enum {
    PA_DIAG_CATALOG_ERROR_MAX = 320, /* bytes of the reason a catalog was refused */
    PA_DIAG_LANG_MAX = 8,            /* bytes of a staff language code, with the NUL */
};

/* The staff languages: the catalogs shipped, French first (the default). */
#define PA_DIAG_STAFF_LANGS   "fr en"
#define PA_DIAG_STAFF_DEFAULT "fr"

/* Reads the catalog at path. Returns it (free with pa_diag_catalog_free), or
 * NULL when the file cannot be read, is not JSON, is not one object, or has
 * a member that is not a text: err (may be NULL) then says why, in English
 * (there is no catalog to say it otherwise). */
pa_diag_catalog *pa_diag_catalog_load(const char *path, char err[PA_DIAG_CATALOG_ERROR_MAX]);
/* Frees a catalog. Accepts NULL. */
void pa_diag_catalog_free(pa_diag_catalog *cat);
/* The text of key, borrowed from the catalog, or NULL when the catalog (which
 * may be NULL) has none. */
const char *pa_diag_catalog_text(const pa_diag_catalog *cat, const char *key);

/* Writes the text of key into buf (size bytes, cut at a character's
 * boundary) with each {name} replaced by the value of the argument of that
 * name, a term (pa_diag_item_arg.term) by its own text, itself so expanded.
 * Braces that hold no argument's name stay as they are: a text may show
 * JSON, {"ae": "ä"}. With a NULL catalog, or one without key: key followed
 * by the arguments, `intent.duplicate_id (id="demo.hello", where="...")`. */
void pa_diag_catalog_write(const pa_diag_catalog *cat, const char *key,
                           const pa_diag_item_arg *args, size_t n, char *buf, size_t size);
/* The same with arguments as callers give them (PA_DIAG_ARGS(PA_NUM(...))),
 * at most PA_DIAG_ARGS_MAX. */
void pa_diag_catalog_format(const pa_diag_catalog *cat, const char *key, const pa_diag_arg *args,
                            size_t n, char *buf, size_t size);

/* The staff language: flag when it is given (the command's --lang; returns
 * NULL when it is not one of PA_DIAG_STAFF_LANGS), else the first non-empty
 * of the locale variables lc_all, lc_messages, lang (LC_ALL, LC_MESSAGES,
 * LANG, as POSIX orders them): "en" when it starts with "en", else "fr".
 * Returns a static string. */
const char *pa_diag_staff_lang(const char *flag, const char *lc_all, const char *lc_messages,
                               const char *lang);

#endif

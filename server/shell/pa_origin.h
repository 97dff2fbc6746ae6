/* pa_origin: which web pages may open the chat.
 *
 * A browser tells the server, in the Origin header of the WebSocket upgrade,
 * the site of the page that opens the connection; without a check, any site
 * could put the bot on its pages and spend the city's service. The server
 * accepts its own origin (the page it serves itself, the demo) and the
 * origins the operator lists ("https://www.colombes.fr"), and refuses the
 * rest, "null" (sandboxed frames, file: pages) included.
 *
 * A request without Origin does not come from a web page (browsers always
 * send it on WebSocket upgrades): it is let through, as a command-line
 * client could send any Origin it likes anyway. Pure functions. */
#ifndef PA_ORIGIN_H
#define PA_ORIGIN_H

#include <stddef.h>

enum { PA_ORIGIN_MAX = 256 }; /* bytes of an origin compared */

/* The allowed origins, normalized ("https://www.colombes.fr", with a port
 * only when not the scheme's default); malloc'd. any: "*" was listed. */
typedef struct {
    char **items;
    size_t count;
    int any;
} pa_origin_list;

/* Parses origins separated by spaces or commas: "scheme://host[:port]", or
 * "*" for any. Returns 0, or -1 and copies the item in error into err (size
 * bytes). Clear with pa_origin_list_clear. */
int pa_origin_list_parse(const char *text, pa_origin_list *out, char *err, size_t size);
void pa_origin_list_clear(pa_origin_list *list);

/* 1 when a page of origin may open a connection sent with Host header host:
 * origin is NULL (no header), the server's own (its host and port are those
 * of host), or in the list; else 0. */
int pa_origin_allowed(const pa_origin_list *list, const char *origin, const char *host);

#endif

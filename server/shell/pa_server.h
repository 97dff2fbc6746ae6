/* pa_server: the libwebsockets transport of the server.
 *
 * Turns socket events into pa_service calls and their results into frames;
 * it decides nothing about languages, answers or limits. Everything it keeps
 * lives in one value allocated by pa_server_run (no file-level state), so
 * that several contexts could later run side by side, one per core. */
#ifndef PA_SERVER_H
#define PA_SERVER_H

#include <stddef.h>

typedef struct {
    const char *listen; /* "ADDR:PORT"; "[v6]:PORT" for IPv6 */
    const char *intents_dir;
    const char *locales_dir;
    const char *web_dir;
    size_t max_text_chars; /* longest question accepted */
    const char *version;   /* of the program, for /healthz and /metrics */
} pa_server_config;

/* Loads the knowledge, listens, and serves until SIGINT or SIGTERM, then
 * sends a close frame (1001, going away) to every client and returns 0 within
 * a few seconds. Returns -1 when the knowledge cannot be loaded or the
 * address cannot be bound; the reason is printed to stderr. */
int pa_server_run(const pa_server_config *cfg);

#endif

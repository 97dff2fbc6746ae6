/* pa_server: the libwebsockets transport of the server.
 *
 * Turns socket events into pa_service calls and carries out what they
 * return; it decides nothing about languages, answers or limits. Two
 * listeners: the public one (the page, the widget, the WebSocket /ws) and
 * the admin one (/healthz, /metrics), each a vhost of one lws context.
 * Everything it keeps lives in one value allocated by pa_server_run (no
 * file-level state), so that several contexts could later run side by
 * side, one per core. */
#ifndef PA_SERVER_H
#define PA_SERVER_H

#include "pa_config.h"

/* Loads the knowledge, listens, and serves until SIGINT or SIGTERM; then
 * stops accepting, answers the questions already received, sends every
 * client a close frame (1001, going away) within cfg->shutdown_timeout_ms,
 * and returns 0. Returns -1 when the knowledge cannot be loaded or an
 * address cannot be bound; the reason is printed to stderr. version is the
 * program's, for /healthz and /metrics. cfg must have passed
 * pa_config_check. */
int pa_server_run(const pa_config *cfg, const char *version);

#endif

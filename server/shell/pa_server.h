/* pa_server: the libwebsockets transport of the server.
 *
 * Turns socket events into pa_service calls and carries out what they
 * return; it decides nothing about languages, answers or limits. Two
 * listeners: the public one (the page, the widget, the WebSocket /ws) and
 * the admin one (/healthz, /metrics), each a vhost of an lws context.
 *
 * It runs the setting workers' number of service threads, each with its own
 * lws context and its own public listener on the same port (SO_REUSEPORT),
 * and its own view of one pa_service, which they share (pa_service.h says
 * what); worker 0 runs on the calling thread and also holds the admin
 * listener. Nothing is kept at file level. */
#ifndef PA_SERVER_H
#define PA_SERVER_H

#include "pa_config.h"

/* Loads the knowledge, listens, and serves until SIGINT or SIGTERM; then
 * every worker stops accepting, answers the questions already received,
 * sends every client a close frame (1001, going away) within
 * cfg->shutdown_timeout_ms, and once all are done it returns 0. Returns -1 when the knowledge
 * cannot be loaded or an address cannot be bound; the reason is printed to stderr. version is the
 * program's, for /healthz and /metrics. cfg must have passed
 * pa_config_check. */
int pa_server_run(const pa_config *cfg, const char *version);

#endif

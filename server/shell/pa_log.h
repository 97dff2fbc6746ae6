/* pa_log: the server's log lines, rate-limited.
 *
 * Everything the server writes while serving (reload results, unanswered
 * questions, refused connections, libwebsockets' own errors) goes through
 * here, to stderr (the journal under systemd). Clients decide how much of
 * that there is: a thousand connections asking what the bot cannot answer,
 * or an accept loop failing, would otherwise write megabytes a second. So
 * the lines pass a token bucket, and what it drops is counted and said in
 * the next line that passes ("N log lines dropped").
 *
 * One process-wide log (stderr is process-wide too), safe from any thread.
 * Before pa_log_configure, nothing is limited. */
#ifndef PA_LOG_H
#define PA_LOG_H

#include <stdint.h>

/* Lines the log lets through at once, then per second. */
void pa_log_configure(double burst, double per_second);

/* Writes one line (fmt and its arguments; the newline is added) when the
 * bucket has a token, else counts it as dropped. Returns 1 when written. */
__attribute__((format(printf, 1, 2))) int pa_log(const char *fmt, ...);

/* Lines dropped since the start, for /metrics. */
uint64_t pa_log_dropped(void);

#endif

/* pa_events: the staff event log.
 *
 * What the server tells city staff about its conversations, one JSON
 * object per line (UTF-8), appended to the file of the setting `staff-log`,
 * or written to stderr (through pa_log, rate-limited) when it is empty:
 *
 *   {"ts":"2026-12-02T04:10:15Z","event":"answered","lang":"fr","intent":"partner.sopot","confidence":0.91}
 *   {"ts":"2026-12-02T04:10:20Z","event":"unanswered","lang":"pl","text":"<masked>","nearest":"partner.sopot","score":0.31}
 *   {"ts":"2026-12-02T04:11:02Z","event":"clarification","lang":"de","text":"<masked>","choices":["..",".."]}
 *   {"ts":"2026-12-02T04:12:40Z","event":"feedback","lang":"fr","intent":"partner.sopot","useful":false}
 *   {"ts":"2026-12-02T04:13:00Z","event":"handoff","lang":"ar","state":"queued"}
 *
 * `ts` is UTC to the second. The writer adds `ts` and `event`, and the one
 * field that may hold what a resident typed, `text`, goes through pa_mask
 * before it is written: no other module needs to remember it. Other string
 * fields are written as given, so callers put no personal data in them.
 * Readers ignore events and fields they do not know (the format grows).
 *
 * Privacy by construction: events older than `staff-log-retention` days
 * are removed from the file by the server itself, when it opens the log and
 * then every hour, on a thread of its own (never the service thread). The
 * pass copies the lines to keep to a temporary file beside the log, fsyncs
 * it and renames it over the log, so that a crash at any moment leaves
 * either the old file or the new one, never half of one; lines that are not
 * JSON objects with a readable `ts` are dropped too.
 *
 * pa_events_write is safe from any thread: the service thread writes the
 * events of questions, the handoff worker those of its deliveries. Each line
 * is one write(2) to a file opened O_APPEND, so lines never interleave. */
#ifndef PA_EVENTS_H
#define PA_EVENTS_H

#include "pa_mask.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

enum {
    PA_EVENTS_RETENTION_DAYS_DEFAULT = 90, /* the setting's default */
    PA_EVENTS_RETENTION_PERIOD_S = 3600,   /* how often the retention pass runs */
    PA_EVENTS_FILE_MODE = 0640,            /* staff read it through the group, nobody else */
};

typedef struct {
    const char *path;        /* the log file; NULL or "": stderr (no retention there) */
    unsigned retention_days; /* events older than this are removed; 0: the default */
    /* how often the retention pass runs, in milliseconds; 0: every
     * PA_EVENTS_RETENTION_PERIOD_S; -1: never by itself (tests call
     * pa_events_retain) */
    int64_t retention_period_ms;
    pa_mask_config mask; /* how `text` fields are masked */
} pa_events_config;

typedef struct pa_events pa_events;

/* Opens the log: creates the file (mode PA_EVENTS_FILE_MODE) or opens it to
 * append, and starts the retention thread, which runs a first pass at once.
 * Strings of cfg are copied. Returns the log, or NULL with the reason in
 * err (size bytes) when the file cannot be opened or the thread started.
 * Close with pa_events_close. */
pa_events *pa_events_open(const pa_events_config *cfg, char *err, size_t size);

/* Stops the retention thread (waiting for a pass under way) and closes the
 * file. Accepts NULL. */
void pa_events_close(pa_events *ev);

/* Writes one event: {"ts": now, "event": event, ...fields}, fields in their
 * order, `text` masked. fields is borrowed (may be NULL: no other field);
 * keys "ts" and "event" in it are ignored. Accepts ev NULL (no log: nothing
 * is written). A line that cannot be written is counted
 * (pa_events_failures) and said in the rate-limited log; the caller goes on.
 * From any thread. */
void pa_events_write(pa_events *ev, const char *event, json_t *fields);

/* The same at a given time (for tests and replays). */
void pa_events_write_at(pa_events *ev, time_t ts, const char *event, json_t *fields);

/* What a retention pass did. */
typedef struct {
    size_t kept, expired, unreadable; /* lines */
} pa_events_retention;

/* Runs one retention pass now, on the calling thread, as of now (seconds
 * since the epoch): removes the events older than the retention and the
 * lines that are not events. Rewrites the file only when there is something
 * to remove. Returns 0 and fills *out (may be NULL), or -1 when the file
 * could not be rewritten (the old one is then left whole; the reason is
 * logged). Nothing to do, and 0, for a log on stderr. */
int pa_events_retain(pa_events *ev, time_t now, pa_events_retention *out);

/* Lines that could not be written since the log was opened. */
uint64_t pa_events_failures(pa_events *ev);

#endif

/* pa_spool: the durable outbox of residents' messages to staff.
 *
 * One folder (setting handoff-spool) holds every message from the moment it
 * is acknowledged to the resident until staff have it:
 *
 *   tmp/         a record being written (left-overs are removed on open)
 *   new/KEY.json a message waiting for delivery (the record of pa_contact,
 *                plus its delivery state)
 *   done/KEY.json a small marker once it is delivered: key, state, time;
 *                no personal data. Kept for the dedupe window, so that the
 *                widget re-sending after a reconnect is recognised.
 *   dead/KEY.json a message that failed handoff-max-attempts times, kept
 *                for staff to read until the retention ends
 *   lock         held (flock) while a server uses the folder
 *
 * The client's idempotency key names the files, so a second message with
 * the same key is a duplicate wherever the first one is. A record is written
 * to tmp/, synced, linked into new/ (which fails if the key is there), and
 * the folder synced: once pa_spool_put returns PA_SPOOL_QUEUED the message
 * survives a crash or a power cut, and only then is it acknowledged.
 *
 * Files and folders are the caller's thread's business: a spool is used by
 * one thread at a time (the delivery worker); another server on the same
 * folder is refused by the lock. Errors are reported as -1 or
 * PA_SPOOL_FAILED, with errno set; the caller logs them. Nothing here logs
 * a record's content. */
#ifndef PA_SPOOL_H
#define PA_SPOOL_H

#include <jansson.h>
#include <stddef.h>
#include <time.h>

typedef struct pa_spool pa_spool;

/* Where a key stands. */
typedef enum {
    PA_SPOOL_UNKNOWN,   /* no message with this key */
    PA_SPOOL_WAITING,   /* in new/ */
    PA_SPOOL_DELIVERED, /* a marker in done/ */
    PA_SPOOL_DEAD,      /* in dead/ */
} pa_spool_state;

typedef enum {
    PA_SPOOL_QUEUED,    /* written and synced into new/ */
    PA_SPOOL_DUPLICATE, /* a message with this key is waiting, delivered or dead */
    PA_SPOOL_FULL,      /* no room: the caller said so */
    PA_SPOOL_FAILED,    /* the disk refused; errno says why */
} pa_spool_put_result;

/* Opens the spool in dir, creating it (mode 0700) and its folders when
 * missing; takes its lock; removes what tmp/ holds (writes a crash
 * interrupted) and the bodies of messages whose delivery marker was written
 * just before a crash. Returns the spool, or NULL with the reason in err
 * (another server holds the lock; the folder cannot be made). Close with
 * pa_spool_close. */
pa_spool *pa_spool_open(const char *dir, char *err, size_t err_size);
/* Releases the lock and frees the spool. Accepts NULL. */
void pa_spool_close(pa_spool *sp);

/* 1 when key can name a file of the spool (pa_contact_key_valid). */
int pa_spool_key_valid(const char *key);

pa_spool_state pa_spool_lookup(const pa_spool *sp, const char *key);

/* Keeps a new message: the record (a JSON object) is written as
 * new/KEY.json, durably, unless the key is known (PA_SPOOL_DUPLICATE, nothing
 * written) or room is 0 (PA_SPOOL_FULL). Files are readable by the server's
 * user only: they hold personal data. */
pa_spool_put_result pa_spool_put(pa_spool *sp, const char *key, const json_t *record, int room);

/* Replaces the waiting record of key (its delivery state changed), durably.
 * Returns 0, or -1 (errno) when it cannot be written or is not waiting. */
int pa_spool_rewrite(pa_spool *sp, const char *key, const json_t *record);

/* The waiting record of key, a new reference, or NULL when it is not
 * waiting or cannot be read. */
json_t *pa_spool_load(const pa_spool *sp, const char *key);

/* The keys of the waiting messages, sorted; malloc'd array of malloc'd
 * strings (free with pa_spool_keys_free). Returns their number. */
size_t pa_spool_waiting(const pa_spool *sp, char ***keys);
void pa_spool_keys_free(char **keys, size_t n);
/* Messages in dead/ now. */
size_t pa_spool_dead_count(const pa_spool *sp);

/* Delivered at now: writes the marker done/KEY.json (synced), then deletes
 * the body: the personal data goes as soon as staff have it. Returns 0 or
 * -1. A crash in between leaves both; the next pa_spool_open deletes the
 * body. */
int pa_spool_delivered(pa_spool *sp, const char *key, time_t now);
/* Moves a waiting message to dead/ (durably). Returns 0 or -1. */
int pa_spool_dead(pa_spool *sp, const char *key);
/* Deletes a waiting message's body, leaving a marker ("expired") in done/,
 * so the key stays known. Returns 0 or -1. */
int pa_spool_discard(pa_spool *sp, const char *key, time_t now);

/* What pa_spool_purge removed. */
typedef struct {
    size_t markers; /* done/ markers older than the dedupe window */
    size_t dead;    /* dead/ bodies received before the retention */
} pa_spool_purged;

/* Removes the done/ markers written more than marker_age_s ago, and the
 * dead/ messages received more than body_age_s ago (waiting ones are the
 * caller's: pa_spool_discard). Returns what it removed. */
pa_spool_purged pa_spool_purge(pa_spool *sp, time_t now, double body_age_s, double marker_age_s);

/* The time in the field name of a record ("received": UTC, ISO 8601), or
 * -1 when it has none. */
time_t pa_spool_time(const json_t *record, const char *name);

#endif

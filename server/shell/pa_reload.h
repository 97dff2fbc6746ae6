/* pa_reload: notices edits to the knowledge files.
 *
 * Staff edit intent and locale files while the server runs. Rather than
 * depend on inotify (absent on some file systems, e.g. network shares), the
 * server polls a fingerprint of the folders: every file's path, size and
 * modification time, hashed. A changed fingerprint triggers a reload. */
#ifndef PA_RELOAD_H
#define PA_RELOAD_H

#include <stdint.h>

/* Returns the fingerprint of every file below the two folders (recursively). */
uint64_t pa_reload_fingerprint(const char *intents_dir, const char *locales_dir);

#endif

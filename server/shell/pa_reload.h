/* pa_reload: notices edits to the knowledge files.
 *
 * Staff edit intent and locale files while the server runs. Rather than
 * depend on inotify (absent on some file systems, e.g. network shares), the
 * server polls a fingerprint of the folders, on its reload thread: every
 * file's path and content, hashed. A changed fingerprint, once it has stayed
 * the same for the debounce time, triggers a reload. The content, not the
 * modification time: a bare touch, a copy of the same files, or an editor
 * that saves without changes reloads nothing. */
#ifndef PA_RELOAD_H
#define PA_RELOAD_H

#include <stdint.h>

/* Returns the fingerprint of every file below the two folders (recursively):
 * names and contents. Reads every file: call it off the service thread. */
uint64_t pa_reload_fingerprint(const char *intents_dir, const char *locales_dir);

#endif

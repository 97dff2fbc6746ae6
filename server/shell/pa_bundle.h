/* pa_bundle: a knowledge bundle, unpacked safely into a folder.
 *
 * Staff publish the knowledge once, as an archive of the two folders
 * (`tar czf knowledge.tar.gz intents locales`), and every replica follows it
 * (pa_fetcher). The archive comes over the network, so it is read as
 * untrusted input, with libarchive: only folders and regular files, only
 * below intents/ and locales/, no absolute path, no "..", no link, no device,
 * and named limits on the number of files and their sizes. Anything else
 * refuses the whole bundle: half a knowledge is never installed. */
#ifndef PA_BUNDLE_H
#define PA_BUNDLE_H

#include <stddef.h>

enum {
    PA_BUNDLE_FILES_MAX = 2000,                   /* files in one bundle */
    PA_BUNDLE_FILE_BYTES_MAX = 4 * 1024 * 1024,   /* one file, unpacked */
    PA_BUNDLE_TOTAL_BYTES_MAX = 64 * 1024 * 1024, /* every file, unpacked */
    PA_BUNDLE_ERROR_MAX = 512,
};

/* Unpacks the len bytes of a tar archive (gzip-compressed or not) at data
 * into dir, which must exist and be empty. Returns 0, or -1 with the reason
 * in err ("locales/../x.json: a name may not contain \"..\""); dir may then
 * hold part of the files, for the caller to remove. */
int pa_bundle_unpack(const void *data, size_t len, const char *dir, char *err, size_t err_size);

/* Removes dir and everything below it (no link is followed). Returns 0, or
 * -1 when something could not be removed. */
int pa_bundle_remove_tree(const char *dir);

#endif

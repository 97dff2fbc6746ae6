/* pa_token: conversation contexts sealed for the client to carry.
 *
 * A token is the context text of pa_context, dated and authenticated with
 * HMAC-SHA256 under a secret the replicas of one deployment share (setting
 * context-secret-file), so that any replica can read what another wrote and
 * nobody else can forge one. It is not encrypted: it holds a language code,
 * an intent id and a turn count, nothing the resident typed.
 *
 *   token = base64url(version | issued-at | context) "." base64url(tag)
 *
 * where issued-at is 8 bytes big-endian (Unix seconds) and tag the first
 * PA_TOKEN_TAG_BYTES of the HMAC. A token older than the time to live, dated
 * in the future beyond PA_TOKEN_CLOCK_SKEW_S, sealed under another secret or
 * damaged is refused, and the caller simply goes on without the context.
 *
 * The secret file holds one secret per line (at least PA_TOKEN_SECRET_MIN
 * bytes each; blank lines and lines starting with # are skipped): the first
 * seals, every one opens, so a secret is rotated by adding the new one on
 * top, and removing the old one a time to live later. */
#ifndef PA_TOKEN_H
#define PA_TOKEN_H

#include <stddef.h>
#include <stdint.h>

enum {
    PA_TOKEN_SECRET_MIN = 32,   /* bytes of a secret: 256 bits, for HMAC-SHA256 */
    PA_TOKEN_SECRET_MAX = 1024, /* bytes of one line of the secret file */
    PA_TOKEN_SECRETS_MAX = 8,   /* secrets read from the file: the current, then older ones */
    PA_TOKEN_TAG_BYTES = 16,    /* of the HMAC kept in a token: 128 bits */
    PA_TOKEN_CLOCK_SKEW_S = 300 /* replicas' clocks may differ by this much */
};

typedef struct pa_token_keys pa_token_keys;

/* Reads the secrets of the file at path; NULL path: one random secret,
 * which only this process knows (tokens then survive a reconnect to the same
 * server, not a move to another). Returns the keys (free with
 * pa_token_keys_free), or NULL with the reason in err ("PATH:LINE: ...")
 * when the file cannot be read or holds no usable secret. */
pa_token_keys *pa_token_keys_load(const char *path, char *err, size_t err_size);
void pa_token_keys_free(pa_token_keys *keys); /* accepts NULL */

/* Seals len bytes of context, issued at now_s. Returns the token,
 * malloc'd (the caller frees). */
char *pa_token_seal(const pa_token_keys *keys, const char *context, size_t len, int64_t now_s);

/* Opens a token. Returns the length of its context, copied with a NUL into
 * out (size bytes), or -1 when the token is forged, damaged, foreign,
 * expired (older than ttl_s at now_s), or its context does not fit. */
int pa_token_open(const pa_token_keys *keys, const char *token, int64_t now_s, int64_t ttl_s,
                  char *out, size_t size);

#endif

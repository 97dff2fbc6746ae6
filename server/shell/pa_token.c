#include "pa_token.h"

#include "pa_alloc.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    TOKEN_VERSION = 1,
    HEADER_BYTES = 1 + 8, /* version, issued-at */
    BODY_MAX = 1024,      /* bytes of a decoded body: far more than any context */
};

/* Bound to every tag, so that a tag made by another use of the same secret
 * can never pass for a context's. */
static const char DOMAIN[] = "passerelle-context";

struct pa_token_keys {
    unsigned char secret[PA_TOKEN_SECRETS_MAX][PA_TOKEN_SECRET_MAX];
    size_t len[PA_TOKEN_SECRETS_MAX];
    size_t count;
};

/* ---- base64url without padding (RFC 4648 section 5) ---------------------- */

static char *b64url_encode(const unsigned char *in, size_t len, char *out)
{
    int n = EVP_EncodeBlock((unsigned char *)out, in, (int)len);
    while (n > 0 && out[n - 1] == '=')
        n--;
    out[n] = '\0';
    for (char *p = out; *p; p++)
        *p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
    return out;
}

/* Decodes len characters of text into out (size bytes); returns the bytes
 * decoded, or -1 when the text is not base64url or does not fit. */
static int b64url_decode(const char *text, size_t len, unsigned char *out, size_t size)
{
    if (len % 4 == 1 || len > (size / 3) * 4)
        return -1;
    char buf[(BODY_MAX / 3 + 1) * 4 + 4];
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (c == '-')
            c = '+';
        else if (c == '_')
            c = '/';
        else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
            return -1;
        buf[n++] = c;
    }
    size_t pad = (4 - n % 4) % 4;
    for (size_t i = 0; i < pad; i++)
        buf[n++] = '=';
    if (n / 4 * 3 > size)
        return -1;
    int got = EVP_DecodeBlock(out, (const unsigned char *)buf, (int)n);
    return got < 0 ? -1 : got - (int)pad; /* EVP_DecodeBlock counts the padding as zeros */
}

/* ---- keys ---------------------------------------------------------------- */

static void set_err(char *err, size_t size, const char *path, int line, const char *what)
{
    if (line > 0)
        snprintf(err, size, "%s:%d: %s", path, line, what);
    else
        snprintf(err, size, "%s: %s", path, what);
}

/* Adds the secret of one line (without its newline) unless it is blank or a
 * comment; returns -1 when it is too short. */
static int add_line(pa_token_keys *k, char *line)
{
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t'))
        line[--n] = '\0';
    char *p = line;
    while (*p == ' ' || *p == '\t')
        p++, n--;
    if (!*p || *p == '#')
        return 0;
    if (n < PA_TOKEN_SECRET_MIN)
        return -1;
    if (k->count < PA_TOKEN_SECRETS_MAX) {
        memcpy(k->secret[k->count], p, n);
        k->len[k->count++] = n;
    }
    return 0;
}

static int read_secret_file(pa_token_keys *k, const char *path, char *err, size_t err_size)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        set_err(err, err_size, path, 0, strerror(errno));
        return -1;
    }
    char line[PA_TOKEN_SECRET_MAX + 2];
    int number = 0, rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        number++;
        size_t n = strlen(line);
        if (n && line[n - 1] == '\n')
            line[--n] = '\0';
        else if (!feof(f))
            rc = -1,
            set_err(err, err_size, path, number, "the line is longer than a secret may be");
        if (rc == 0 && add_line(k, line) != 0) {
            char what[96];
            snprintf(what, sizeof what, "a secret must have at least %d characters",
                     PA_TOKEN_SECRET_MIN);
            set_err(err, err_size, path, number, what);
            rc = -1;
        }
    }
    fclose(f);
    if (rc == 0 && k->count == 0) {
        set_err(err, err_size, path, 0, "no secret in the file (one per line)");
        rc = -1;
    }
    return rc;
}

pa_token_keys *pa_token_keys_load(const char *path, char *err, size_t err_size)
{
    pa_token_keys *k = pa_xcalloc(1, sizeof *k);
    if (!path) {
        k->len[0] = PA_TOKEN_SECRET_MIN;
        k->count = 1;
        if (RAND_bytes(k->secret[0], PA_TOKEN_SECRET_MIN) == 1)
            return k;
        snprintf(err, err_size, "no random bytes for a context secret");
    } else if (read_secret_file(k, path, err, err_size) == 0) {
        return k;
    }
    pa_token_keys_free(k);
    return NULL;
}

void pa_token_keys_free(pa_token_keys *keys)
{
    if (keys)
        OPENSSL_cleanse(keys, sizeof *keys);
    free(keys);
}

/* ---- sealing and opening -------------------------------------------------- */

static void tag_of(const pa_token_keys *k, size_t key, const unsigned char *body, size_t len,
                   unsigned char tag[EVP_MAX_MD_SIZE])
{
    unsigned char msg[sizeof DOMAIN + BODY_MAX];
    memcpy(msg, DOMAIN, sizeof DOMAIN); /* with its NUL, as a separator */
    memcpy(msg + sizeof DOMAIN, body, len);
    unsigned int n = 0;
    HMAC(EVP_sha256(), k->secret[key], (int)k->len[key], msg, sizeof DOMAIN + len, tag, &n);
}

char *pa_token_seal(const pa_token_keys *keys, const char *context, size_t len, int64_t now_s)
{
    if (len > BODY_MAX - HEADER_BYTES)
        len = 0; /* cannot happen with pa_context's texts; an empty context is harmless */
    unsigned char body[BODY_MAX];
    body[0] = TOKEN_VERSION;
    for (int i = 0; i < 8; i++)
        body[1 + i] = (unsigned char)((uint64_t)now_s >> (56 - 8 * i));
    memcpy(body + HEADER_BYTES, context, len);
    unsigned char tag[EVP_MAX_MD_SIZE];
    tag_of(keys, 0, body, HEADER_BYTES + len, tag);
    char *token = pa_xmalloc((HEADER_BYTES + len + 2) / 3 * 4 + 1 + 32 + 1);
    b64url_encode(body, HEADER_BYTES + len, token);
    strcat(token, ".");
    b64url_encode(tag, PA_TOKEN_TAG_BYTES, token + strlen(token));
    return token;
}

static int tag_matches(const pa_token_keys *k, const unsigned char *body, size_t len,
                       const unsigned char *tag)
{
    for (size_t i = 0; i < k->count; i++) {
        unsigned char want[EVP_MAX_MD_SIZE];
        tag_of(k, i, body, len, want);
        if (CRYPTO_memcmp(want, tag, PA_TOKEN_TAG_BYTES) == 0)
            return 1;
    }
    return 0;
}

/* 1 when token is exactly what sealing body and tag writes: base64 leaves
 * spare bits in its last character, and a token whose spare bits differ
 * would otherwise open too, making two tokens of one. */
static int is_canonical(const char *token, const unsigned char *body, size_t len,
                        const unsigned char *tag)
{
    char again[(BODY_MAX + 2) / 3 * 4 + 1 + 32 + 1];
    b64url_encode(body, len, again);
    strcat(again, ".");
    b64url_encode(tag, PA_TOKEN_TAG_BYTES, again + strlen(again));
    return strcmp(again, token) == 0;
}

int pa_token_open(const pa_token_keys *keys, const char *token, int64_t now_s, int64_t ttl_s,
                  char *out, size_t size)
{
    const char *dot = strchr(token, '.');
    if (!dot)
        return -1;
    unsigned char body[BODY_MAX], tag[PA_TOKEN_TAG_BYTES + 3];
    int n = b64url_decode(token, (size_t)(dot - token), body, sizeof body);
    int t = b64url_decode(dot + 1, strlen(dot + 1), tag, sizeof tag);
    if (n < HEADER_BYTES || t != PA_TOKEN_TAG_BYTES || body[0] != TOKEN_VERSION ||
        !is_canonical(token, body, (size_t)n, tag) || !tag_matches(keys, body, (size_t)n, tag))
        return -1;
    uint64_t issued = 0;
    for (int i = 0; i < 8; i++)
        issued = issued << 8 | body[1 + i];
    int64_t age = now_s - (int64_t)issued;
    if ((int64_t)issued < 0 || age > ttl_s || age < -PA_TOKEN_CLOCK_SKEW_S)
        return -1;
    size_t len = (size_t)n - HEADER_BYTES;
    if (len >= size)
        return -1;
    memcpy(out, body + HEADER_BYTES, len);
    out[len] = '\0';
    return (int)len;
}

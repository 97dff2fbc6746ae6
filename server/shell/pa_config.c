#include "pa_config.h"

#include "pa_addr.h"
#include "pa_alloc.h"
#include "pa_handoff.h"
#include "pa_origin.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { PA_CONFIG_LINE_MAX = 4096 }; /* a longer line in a file is an error */

typedef enum { T_STRING, T_ADDRESS, T_COUNT, T_RATE, T_SECONDS, T_FORWARDED } value_type;

typedef struct {
    const char *key;
    value_type type;
    size_t offset;
    const char *dflt; /* NULL: given to pa_config_defaults */
    double min, max;  /* numbers only */
    const char *value_name;
    const char *help;
} setting;

#define AT(field) offsetof(pa_config, field)

/* Every setting, in the order --print-config and docs/operations.md give them. */
static const setting settings[] = {
    {"listen", T_ADDRESS, AT(listen), "127.0.0.1:8080", 0, 0, "ADDR:PORT",
     "the public listener: the page, the widget and the WebSocket /ws"},
    {"admin-listen", T_ADDRESS, AT(admin_listen), "127.0.0.1:8081", 0, 0, "ADDR:PORT",
     "the admin listener: /healthz and /metrics (keep it off the public network)"},
    {"intents", T_STRING, AT(intents_dir), NULL, 0, 0, "DIR", "the intent files"},
    {"locales", T_STRING, AT(locales_dir), NULL, 0, 0, "DIR", "the locale files"},
    {"web", T_STRING, AT(web_dir), NULL, 0, 0, "DIR", "the page and the widget served at /"},
    {"workers", T_COUNT, AT(workers), "0", 0, PA_WORKERS_MAX, "N",
     "service threads, each with its own listener on the same port (0: one per CPU online)"},
    {"max-connections", T_COUNT, AT(max_connections), "10000", 1, 1000000, "N",
     "TCP connections the public listener holds at once (HTTP and WebSocket)"},
    {"max-connections-per-address", T_COUNT, AT(max_per_address), "64", 1, 1000000, "N",
     "connections one client address may hold at once"},
    {"admin-max-connections", T_COUNT, AT(admin_max_connections), "16", 1, 10000, "N",
     "connections the admin listener holds at once"},
    {"rate-burst", T_RATE, AT(rate_burst), "8", 1, 1e6, "N",
     "questions a connection may send at once..."},
    {"rate-per-second", T_RATE, AT(rate_per_second), "1", 0.001, 1e6, "N",
     "...and then per second"},
    {"address-rate-burst", T_RATE, AT(address_burst), "40", 1, 1e6, "N",
     "questions one client address may send at once, all its connections together..."},
    {"address-rate-per-second", T_RATE, AT(address_per_second), "10", 0.001, 1e6, "N",
     "...and then per second"},
    {"ipv6-prefix", T_COUNT, AT(ipv6_prefix), "64", 16, 128, "BITS",
     "an IPv6 client counts as its network of this many bits"},
    {"trusted-proxies", T_STRING, AT(trusted_proxies), "", 0, 0, "NETWORKS",
     "reverse proxies whose forwarding header names the client (\"127.0.0.1 ::1\")"},
    {"forwarded-header", T_FORWARDED, AT(forwarded_header), "x-forwarded-for", 0, 0,
     "x-forwarded-for|forwarded", "the header the trusted proxies name the client in"},
    {"allowed-origins", T_STRING, AT(allowed_origins), "", 0, 0, "ORIGINS",
     "pages of other sites that may open the chat (\"https://www.colombes.fr\"); "
     "the server's own pages always may"},
    {"idle-timeout", T_SECONDS, AT(idle_timeout_ms), "120", 3, 86400, "SECONDS",
     "a WebSocket that sent nothing (not even the widget's ping) for this long is closed"},
    {"handshake-timeout", T_SECONDS, AT(handshake_timeout_ms), "10", 1, 300, "SECONDS",
     "a request's headers must have arrived within this time"},
    {"frame-timeout", T_SECONDS, AT(frame_timeout_ms), "10", 1, 300, "SECONDS",
     "a message must have arrived whole within this time of its first byte"},
    {"max-text", T_COUNT, AT(max_text), "1000", 1, 100000, "CHARS",
     "the longest question, in characters"},
    {"max-frame-bytes", T_COUNT, AT(max_frame_bytes), "8192", 256, 16777216, "BYTES",
     "the longest message kept; longer ones are read and refused (text_too_long)"},
    {"max-header-bytes", T_COUNT, AT(max_header_bytes), "8192", 1024, 65536, "BYTES",
     "the longest request headers; longer ones get 431"},
    {"rx-buffer-bytes", T_COUNT, AT(rx_buffer_bytes), "512", 128, 65536, "BYTES",
     "each WebSocket's receive buffer; a longer message arrives in several pieces"},
    {"max-queued-frames", T_COUNT, AT(max_queued_frames), "8", 2, 1024, "N",
     "replies waiting for a client that does not read, before its reading pauses"},
    {"shutdown-timeout", T_SECONDS, AT(shutdown_timeout_ms), "10", 0, 600, "SECONDS",
     "on SIGTERM, the time left to answer the questions received before closing"},
    {"reload-interval", T_SECONDS, AT(reload_interval_ms), "2", 0.1, 3600, "SECONDS",
     "how often the knowledge files are looked at for edits"},
    {"reload-debounce", T_SECONDS, AT(reload_debounce_ms), "1", 0, 60, "SECONDS",
     "an edit is loaded once the files have not changed for this long"},
    {"knowledge-url", T_STRING, AT(knowledge_url), "", 0, 0, "URL",
     "follow a knowledge bundle (tar.gz of intents/ and locales/) at this URL instead"},
    {"knowledge-cache", T_STRING, AT(knowledge_cache), "", 0, 0, "DIR",
     "where bundles from knowledge-url are unpacked and kept, to start without the URL"},
    {"knowledge-poll", T_SECONDS, AT(knowledge_poll_ms), "30", 1, 86400, "SECONDS",
     "how often knowledge-url is asked whether the bundle changed"},
    {"knowledge-timeout", T_SECONDS, AT(knowledge_timeout_ms), "20", 1, 600, "SECONDS",
     "the longest one request to knowledge-url may take"},
    {"knowledge-ca-file", T_STRING, AT(knowledge_ca_file), "", 0, 0, "FILE",
     "certificates to trust for knowledge-url instead of the system's"},
    {"knowledge-max-bytes", T_COUNT, AT(knowledge_max_bytes), "16777216", 1024, 1073741824, "BYTES",
     "the largest bundle downloaded"},
    {"context-secret-file", T_STRING, AT(context_secret_file), "", 0, 0, "FILE",
     "secrets that seal conversation contexts, shared by all replicas (empty: a random one)"},
    {"context-ttl", T_SECONDS, AT(context_ttl_ms), "1800", 60, 86400, "SECONDS",
     "a conversation's context older than this is not restored on another connection"},
    {"staff-log", T_STRING, AT(staff_log), "", 0, 0, "FILE",
     "the staff event log (JSON lines, personal data masked); empty: on stderr"},
    {"staff-log-retention", T_COUNT, AT(staff_log_retention_days), "90", 1, 3650, "DAYS",
     "events older than this are removed from the staff log, by the server itself"},
    {"mask-digits", T_COUNT, AT(mask_digits), "8", 5, 64, "N",
     "a run of this many digits or more is masked as [number] in the staff log"},
    {"handoff-spool", T_STRING, AT(handoff_spool), "", 0, 0, "DIR",
     "the durable outbox of residents' messages to staff (empty: the widget offers none)"},
    {"handoff-smtp-url", T_STRING, AT(handoff_smtp_url), "", 0, 0, "URL",
     "the mail server messages to staff go through (smtp://host:587 or smtps://host:465)"},
    {"handoff-mail-from", T_STRING, AT(handoff_mail_from), "", 0, 0, "ADDRESS",
     "the sender of the mails to staff (passerelle@colombes.fr)"},
    {"handoff-mail-to", T_STRING, AT(handoff_mail_to), "", 0, 0, "ADDRESSES",
     "who receives the mails: one or more addresses, separated by commas"},
    {"handoff-smtp-credentials-file", T_STRING, AT(handoff_smtp_credentials_file), "", 0, 0, "FILE",
     "the mail server's user name and password, one per line (empty: no login)"},
    {"handoff-webhook-url", T_STRING, AT(handoff_webhook_url), "", 0, 0, "URL",
     "an HTTPS address each message is also POSTed to, as JSON (empty: none)"},
    {"handoff-webhook-secret-file", T_STRING, AT(handoff_webhook_secret_file), "", 0, 0, "FILE",
     "a secret that signs each webhook request (X-Passerelle-Signature; empty: unsigned)"},
    {"handoff-ca-file", T_STRING, AT(handoff_ca_file), "", 0, 0, "FILE",
     "certificates to trust for the mail server and the webhook instead of the system's"},
    {"handoff-staff-lang", T_STRING, AT(handoff_staff_lang), "fr", 0, 0, "fr|en",
     "the language of the mails to staff (locales/staff/handoff.LANG.json)"},
    {"handoff-max-attempts", T_COUNT, AT(handoff_max_attempts), "30", 1, 1000, "N",
     "failed attempts before a message goes to dead/ and is reported (30: about a day)"},
    {"handoff-retry-base", T_SECONDS, AT(handoff_retry_base_ms), "30", 0.1, 86400, "SECONDS",
     "the wait after a failed attempt, doubling after each (with jitter)..."},
    {"handoff-retry-max", T_SECONDS, AT(handoff_retry_max_ms), "3600", 0.1, 86400, "SECONDS",
     "...up to this"},
    {"handoff-timeout", T_SECONDS, AT(handoff_timeout_ms), "30", 1, 600, "SECONDS",
     "the longest one delivery (mail or webhook) may take"},
    {"handoff-connect-timeout", T_SECONDS, AT(handoff_connect_timeout_ms), "10", 0.1, 300,
     "SECONDS", "the longest a connection to the mail server or the webhook may take"},
    {"handoff-retention", T_COUNT, AT(handoff_retention_days), "30", 1, 3650, "DAYS",
     "a message not delivered after this long is deleted (the widget tells residents)"},
    {"handoff-dedupe-window", T_COUNT, AT(handoff_dedupe_days), "7", 1, 3650, "DAYS",
     "how long a delivered message's key is remembered, so that a re-sent copy is not delivered"},
    {"handoff-spool-max", T_COUNT, AT(handoff_spool_max), "1000", 1, 1000000, "N",
     "messages waiting at most; beyond, new ones are refused (contact_unavailable)"},
    {"handoff-stuck-after", T_SECONDS, AT(handoff_stuck_after_ms), "3600", 1, 31536000, "SECONDS",
     "/healthz reports the outbox stuck when its oldest message waits longer"},
    {"handoff-max-per-connection", T_COUNT, AT(handoff_max_per_connection), "3", 1, 1000, "N",
     "messages to staff one connection may send (contact_limit beyond)"},
    {"handoff-conversation-entries", T_COUNT, AT(handoff_conversation_entries), "10", 0, 200, "N",
     "lines of the conversation kept with a message (the last ones)"},
    {"handoff-conversation-chars", T_COUNT, AT(handoff_conversation_chars), "300", 10, 10000,
     "CHARS", "characters kept of each of those lines"},
    {"log-burst", T_RATE, AT(log_burst), "200", 1, 1e6, "N", "log lines written at once..."},
    {"log-lines-per-second", T_RATE, AT(log_per_second), "20", 0.001, 1e6, "N",
     "...and then per second; the others are counted and dropped"},
};

#define N_SETTINGS (sizeof settings / sizeof *settings)

static const setting *find(const char *key)
{
    for (size_t i = 0; i < N_SETTINGS; i++)
        if (!strcmp(settings[i].key, key))
            return &settings[i];
    return NULL;
}

const char *pa_config_key(size_t i)
{
    return i < N_SETTINGS ? settings[i].key : NULL;
}

const char *pa_config_value_name(size_t i)
{
    return i < N_SETTINGS ? settings[i].value_name : NULL;
}

void pa_config_env_name(size_t i, char *out, size_t size)
{
    size_t n = (size_t)snprintf(out, size, "PASSERELLE_%s", i < N_SETTINGS ? settings[i].key : "");
    for (size_t k = 11; k < n && k < size; k++)
        out[k] = out[k] == '-' ? '_' : (char)toupper((unsigned char)out[k]);
}

/* ---- values --------------------------------------------------------------- */

static void *field(pa_config *c, const setting *s)
{
    return (char *)c + s->offset;
}

static int parse_number(const setting *s, const char *text, double *out)
{
    char *end;
    errno = 0;
    double v = s->type == T_COUNT ? (double)strtoull(text, &end, 10) : strtod(text, &end);
    if (end == text || *end || errno || !isfinite(v) || text[0] == '-' || text[0] == '+' ||
        isspace((unsigned char)text[0]))
        return -1;
    *out = v;
    return 0;
}

/* "key: " unless where names the setting already ("--idle-timeout"). */
static const char *key_of(const setting *s, const char *where, char *buf, size_t size)
{
    if (where[0] == '-' && where[1] == '-' && !strcmp(where + 2, s->key))
        return "";
    snprintf(buf, size, "%s: ", s->key);
    return buf;
}

static int range_error(const setting *s, const char *text, const char *where, char *err)
{
    const char *what = s->type == T_COUNT     ? "a whole number"
                       : s->type == T_SECONDS ? "a number of seconds"
                                              : "a number";
    char key[64];
    snprintf(err, PA_CONFIG_ERROR_MAX, "%s: %s'%s' is not %s from %.15g to %.15g", where,
             key_of(s, where, key, sizeof key), text, what, s->min, s->max);
    return -1;
}

static int set_value(pa_config *c, const setting *s, const char *text, const char *where, char *err)
{
    double v;
    switch (s->type) {
    case T_STRING:
    case T_ADDRESS:
        free(*(char **)field(c, s));
        *(char **)field(c, s) = pa_xstrdup(text);
        return 0;
    case T_FORWARDED:
        if (!strcmp(text, "x-forwarded-for") || !strcmp(text, "forwarded")) {
            *(pa_forwarded_header *)field(c, s) =
                text[0] == 'x' ? PA_FORWARDED_HEADER_XFF : PA_FORWARDED_HEADER_RFC7239;
            return 0;
        }
        char key[64];
        snprintf(err, PA_CONFIG_ERROR_MAX, "%s: %s'%s' is neither x-forwarded-for nor forwarded",
                 where, key_of(s, where, key, sizeof key), text);
        return -1;
    case T_COUNT:
    case T_RATE:
    case T_SECONDS:
        if (parse_number(s, text, &v) != 0 || v < s->min || v > s->max)
            return range_error(s, text, where, err);
        if (s->type == T_COUNT)
            *(uint64_t *)field(c, s) = (uint64_t)v;
        else if (s->type == T_RATE)
            *(double *)field(c, s) = v;
        else
            *(int64_t *)field(c, s) = (int64_t)llround(v * 1000);
        return 0;
    }
    return -1;
}

int pa_config_set(pa_config *c, const char *key, const char *text, const char *where,
                  char err[PA_CONFIG_ERROR_MAX])
{
    const setting *s = find(key);
    if (!s) {
        snprintf(err, PA_CONFIG_ERROR_MAX, "%s: unknown setting '%s'", where, key);
        return -1;
    }
    return set_value(c, s, text, where, err);
}

void pa_config_defaults(pa_config *c, const char *intents, const char *locales, const char *web)
{
    memset(c, 0, sizeof *c);
    char err[PA_CONFIG_ERROR_MAX];
    for (size_t i = 0; i < N_SETTINGS; i++) {
        const setting *s = &settings[i];
        const char *v = s->dflt                        ? s->dflt
                        : s->offset == AT(intents_dir) ? intents
                        : s->offset == AT(locales_dir) ? locales
                                                       : web;
        if (set_value(c, s, v ? v : "", "default", err) != 0)
            abort(); /* a default the table itself refuses: a bug */
    }
}

void pa_config_clear(pa_config *c)
{
    for (size_t i = 0; i < N_SETTINGS; i++)
        if (settings[i].type == T_STRING || settings[i].type == T_ADDRESS)
            free(*(char **)field(c, &settings[i]));
    memset(c, 0, sizeof *c);
}

/* ---- the file and the environment ---------------------------------------- */

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *end = s + strlen(s);
    while (end > s && isspace((unsigned char)end[-1]))
        *--end = '\0';
    return s;
}

/* Cuts a comment: '#' at the start or after a space. */
static void cut_comment(char *line)
{
    for (char *p = line; *p; p++)
        if (*p == '#' && (p == line || isspace((unsigned char)p[-1]))) {
            *p = '\0';
            return;
        }
}

static int load_line(pa_config *c, char *line, const char *where, int *seen, int lineno, char *err)
{
    cut_comment(line);
    char *text = trim(line);
    if (!*text)
        return 0;
    char *eq = strchr(text, '=');
    if (!eq) {
        snprintf(err, PA_CONFIG_ERROR_MAX, "%s: expected 'key = value', got '%s'", where, text);
        return -1;
    }
    *eq = '\0';
    char *key = trim(text), *value = trim(eq + 1);
    const setting *s = find(key);
    if (s && seen[s - settings]) {
        snprintf(err, PA_CONFIG_ERROR_MAX, "%s: %s is already set on line %d", where, key,
                 seen[s - settings]);
        return -1;
    }
    if (pa_config_set(c, key, value, where, err) != 0)
        return -1;
    seen[s - settings] = lineno;
    return 0;
}

int pa_config_load_file(pa_config *c, const char *path, char err[PA_CONFIG_ERROR_MAX])
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, PA_CONFIG_ERROR_MAX, "%s: cannot read: %s", path, strerror(errno));
        return -1;
    }
    int seen[N_SETTINGS] = {0};
    char line[PA_CONFIG_LINE_MAX];
    int lineno = 0, rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        lineno++;
        char where[PA_CONFIG_ERROR_MAX / 2];
        snprintf(where, sizeof where, "%s:%d", path, lineno);
        if (!strchr(line, '\n') && !feof(f)) {
            snprintf(err, PA_CONFIG_ERROR_MAX, "%s: line longer than %d bytes", where,
                     PA_CONFIG_LINE_MAX - 2);
            rc = -1;
        } else {
            rc = load_line(c, line, where, seen, lineno, err);
        }
    }
    fclose(f);
    return rc;
}

int pa_config_load_env(pa_config *c, const char *(*getenv_fn)(const char *name),
                       char err[PA_CONFIG_ERROR_MAX])
{
    for (size_t i = 0; i < N_SETTINGS; i++) {
        char name[64];
        pa_config_env_name(i, name, sizeof name);
        const char *v = getenv_fn(name);
        if (v && *v && set_value(c, &settings[i], v, name, err) != 0)
            return -1;
    }
    return 0;
}

/* ---- the whole ------------------------------------------------------------ */

unsigned pa_config_workers(uint64_t asked, long online)
{
    uint64_t n = asked ? asked : online > 0 ? (uint64_t)online : 1;
    return n > PA_WORKERS_MAX ? PA_WORKERS_MAX : (unsigned)n;
}

int pa_config_split_address(const char *listen, char *host, size_t size, int *port)
{
    const char *colon = strrchr(listen, ':');
    if (!colon || colon == listen)
        return -1;
    size_t n = (size_t)(colon - listen);
    if (listen[0] == '[' && colon[-1] == ']') { /* [::1]:8080 */
        listen++;
        n -= 2;
    }
    if (n == 0 || n >= size || !colon[1])
        return -1;
    memcpy(host, listen, n);
    host[n] = '\0';
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if (*end || p < 0 || p > 65535 || !isdigit((unsigned char)colon[1]))
        return -1;
    *port = (int)p;
    return 0;
}

static int check_address(const char *key, const char *value, char *err)
{
    char host[256];
    int port;
    if (pa_config_split_address(value, host, sizeof host, &port) == 0)
        return 0;
    snprintf(err, PA_CONFIG_ERROR_MAX,
             "%s: '%s' is not ADDR:PORT (\"127.0.0.1:8080\", \"[::1]:8080\")", key, value);
    return -1;
}

static int check_lists(const pa_config *c, char *err)
{
    char bad[256];
    pa_cidr_list proxies;
    if (pa_cidr_list_parse(c->trusted_proxies, &proxies, bad, sizeof bad) != 0) {
        snprintf(err, PA_CONFIG_ERROR_MAX,
                 "trusted-proxies: '%s' is not an address or a network (\"10.0.0.0/8\")", bad);
        return -1;
    }
    pa_cidr_list_clear(&proxies);
    pa_origin_list origins;
    if (pa_origin_list_parse(c->allowed_origins, &origins, bad, sizeof bad) != 0) {
        snprintf(err, PA_CONFIG_ERROR_MAX,
                 "allowed-origins: '%s' is not an origin (\"https://www.colombes.fr\") nor '*'",
                 bad);
        return -1;
    }
    pa_origin_list_clear(&origins);
    return 0;
}

int pa_config_check(const pa_config *c, char err[PA_CONFIG_ERROR_MAX])
{
    if (check_address("listen", c->listen, err) ||
        check_address("admin-listen", c->admin_listen, err))
        return -1;
    if (!strcmp(c->listen, c->admin_listen)) {
        snprintf(err, PA_CONFIG_ERROR_MAX,
                 "admin-listen: '%s' is the public listener's address too; they must differ",
                 c->admin_listen);
        return -1;
    }
    if (check_lists(c, err) != 0)
        return -1;
    if (*c->knowledge_url && !*c->knowledge_cache) {
        snprintf(err, PA_CONFIG_ERROR_MAX,
                 "knowledge-url needs knowledge-cache: a folder where the bundles are unpacked");
        return -1;
    }
    if (pa_handoff_check_config(c, err) != 0)
        return -1;
    /* a question of max-text characters, each escaped as \uXXXX, in its frame */
    uint64_t need = c->max_text * 6 + 1024;
    if (c->max_frame_bytes < need) {
        snprintf(err, PA_CONFIG_ERROR_MAX,
                 "max-frame-bytes: %llu is too small for max-text %llu: a question of that many "
                 "characters may take %llu bytes (6 per character and 1024 for the rest)",
                 (unsigned long long)c->max_frame_bytes, (unsigned long long)c->max_text,
                 (unsigned long long)need);
        return -1;
    }
    return 0;
}

/* ---- printing ------------------------------------------------------------- */

static void print_value(const pa_config *c, const setting *s, FILE *out)
{
    const void *f = (const char *)c + s->offset;
    switch (s->type) {
    case T_STRING:
    case T_ADDRESS: fprintf(out, "%s", *(char *const *)f); break;
    case T_FORWARDED:
        fprintf(out, "%s",
                *(const pa_forwarded_header *)f == PA_FORWARDED_HEADER_XFF ? "x-forwarded-for"
                                                                           : "forwarded");
        break;
    case T_COUNT: fprintf(out, "%llu", (unsigned long long)*(const uint64_t *)f); break;
    case T_RATE: fprintf(out, "%g", *(const double *)f); break;
    case T_SECONDS: fprintf(out, "%g", (double)*(const int64_t *)f / 1000); break;
    }
}

void pa_config_print(const pa_config *c, FILE *out)
{
    fprintf(out, "# passerelle serve: the configuration in effect (docs/operations.md)\n");
    for (size_t i = 0; i < N_SETTINGS; i++) {
        const setting *s = &settings[i];
        char env[64];
        pa_config_env_name(i, env, sizeof env);
        fprintf(out, "\n# %s (%s; --%s, %s)\n%s = ", s->help, s->value_name, s->key, env, s->key);
        print_value(c, s, out);
        fputc('\n', out);
    }
}

/* pa_config: every setting of `passerelle serve`, from a file, the
 * environment and the command line.
 *
 * One table names each setting once: its key in the configuration file
 * ("idle-timeout = 120"), its flag (--idle-timeout 120), its environment
 * variable (PASSERELLE_IDLE_TIMEOUT), its type, default, bounds and a line
 * of help. Later sources win: the defaults, then the file (--config FILE,
 * or PASSERELLE_CONFIG), then the environment, then the flags. Each value
 * is checked as it is read, and the whole by pa_config_check; errors name
 * where the value came from ("passerelle.conf:12: idle-timeout: ...").
 *
 * docs/operations.md describes every key; `passerelle serve
 * --print-config` prints the configuration in effect as a file. */
#ifndef PA_CONFIG_H
#define PA_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum { PA_CONFIG_ERROR_MAX = 512 };

/* The most service threads (setting workers) one process runs: beyond a
 * machine's cores they only add contexts and memory; more cores are for
 * replicas (docs/deployment.md). */
enum { PA_WORKERS_MAX = 256 };

typedef enum { PA_FORWARDED_HEADER_XFF, PA_FORWARDED_HEADER_RFC7239 } pa_forwarded_header;

/* Strings are malloc'd and owned by the configuration; times are in
 * milliseconds, sizes in bytes, texts in characters. */
typedef struct {
    char *listen, *admin_listen;              /* "ADDR:PORT", "[v6]:PORT" */
    char *intents_dir, *locales_dir;          /* the knowledge */
    char *web_dir;                            /* the page and the widget */
    uint64_t workers;                         /* service threads; 0: one per CPU online */
    uint64_t max_connections;                 /* TCP connections on the public listener */
    uint64_t max_per_address;                 /* of them, from one client address */
    uint64_t admin_max_connections;           /* on the admin listener */
    double rate_burst, rate_per_second;       /* questions per connection */
    double address_burst, address_per_second; /* questions per client address */
    uint64_t ipv6_prefix;                     /* bits that make an IPv6 "address" */
    char *trusted_proxies;                    /* networks whose forwarding header is believed */
    pa_forwarded_header forwarded_header;
    char *allowed_origins;                 /* pages of other sites that may open the chat */
    int64_t idle_timeout_ms;               /* a WebSocket without a message is closed */
    int64_t handshake_timeout_ms;          /* request headers must be complete by then */
    int64_t frame_timeout_ms;              /* a message must be complete by then once begun */
    uint64_t max_text;                     /* characters of a question */
    uint64_t max_frame_bytes;              /* bytes of a message */
    uint64_t max_header_bytes;             /* bytes of a request's headers */
    uint64_t max_queued_frames;            /* replies waiting per connection */
    uint64_t rx_buffer_bytes;              /* each WebSocket's receive buffer */
    int64_t shutdown_timeout_ms;           /* the drain on SIGTERM */
    int64_t reload_interval_ms;            /* how often the files are looked at */
    int64_t reload_debounce_ms;            /* how long an edit must settle */
    char *knowledge_url, *knowledge_cache; /* a bundle to follow, and where it is kept */
    int64_t knowledge_poll_ms, knowledge_timeout_ms;
    char *knowledge_ca_file;
    uint64_t knowledge_max_bytes;
    char *context_secret_file; /* secrets sealing conversation contexts; "": random */
    int64_t context_ttl_ms;    /* how long a context stays good */

    /* the staff event log */
    char *staff_log;                   /* the file; "": stderr */
    uint64_t staff_log_retention_days; /* events older than this are removed */
    uint64_t mask_digits;              /* digits from which a run is masked as [number] */

    /* messages to staff (pa_handoff; docs/operations.md, "Messages to staff") */
    char *handoff_spool;                       /* the durable outbox; "": no messages taken */
    char *handoff_smtp_url;                    /* smtp:// or smtps://; "": no mail */
    char *handoff_mail_from, *handoff_mail_to; /* one address; one or more */
    char *handoff_smtp_credentials_file;       /* user and password lines; "": no login */
    char *handoff_webhook_url;                 /* https://; "": no webhook */
    char *handoff_webhook_secret_file;         /* signs the webhook's requests; "": unsigned */
    char *handoff_ca_file;                     /* a private CA's certificates; "": the system's */
    char *handoff_staff_lang;                  /* the language of the mail to staff */
    uint64_t handoff_max_attempts;             /* failed attempts before dead/ */
    int64_t handoff_retry_base_ms, handoff_retry_max_ms; /* backoff after a failure */
    int64_t handoff_timeout_ms, handoff_connect_timeout_ms;
    uint64_t handoff_retention_days;       /* bodies are deleted after this, whatever */
    uint64_t handoff_dedupe_days;          /* delivery markers are kept this long */
    uint64_t handoff_spool_max;            /* messages waiting at most */
    int64_t handoff_stuck_after_ms;        /* /healthz says stuck past this age */
    uint64_t handoff_max_per_connection;   /* messages one connection may send */
    uint64_t handoff_conversation_entries; /* conversation lines kept with a message */
    uint64_t handoff_conversation_chars;   /* characters kept of each line */
    double log_burst, log_per_second;
} pa_config;

/* Sets every setting to its default; the folders to the given ones (the
 * bundled knowledge). Clear with pa_config_clear. */
void pa_config_defaults(pa_config *c, const char *intents, const char *locales, const char *web);
void pa_config_clear(pa_config *c);

/* Sets the setting named key (as in the file: "idle-timeout") from text.
 * where says where the value comes from, for the error message. Returns 0,
 * or -1 with the reason in err. */
int pa_config_set(pa_config *c, const char *key, const char *text, const char *where,
                  char err[PA_CONFIG_ERROR_MAX]);
/* Reads a configuration file: "key = value" lines, '#' comments, blank
 * lines. Returns 0, or -1 with the first problem in err (file:line: ...). */
int pa_config_load_file(pa_config *c, const char *path, char err[PA_CONFIG_ERROR_MAX]);
/* Applies every PASSERELLE_* variable of the table that getenv_fn finds
 * (getenv, or a test's own). Returns 0, or -1 with the first problem. */
int pa_config_load_env(pa_config *c, const char *(*getenv_fn)(const char *name),
                       char err[PA_CONFIG_ERROR_MAX]);
/* Checks the settings together (addresses, lists, one limit against
 * another). Returns 0, or -1 with the first problem in err. */
int pa_config_check(const pa_config *c, char err[PA_CONFIG_ERROR_MAX]);

/* Writes the settings in effect as a configuration file, each with its help. */
void pa_config_print(const pa_config *c, FILE *out);

/* The keys, in table order, for the command line and the documentation;
 * NULL after the last. Each has a short description of its value. */
const char *pa_config_key(size_t i);
const char *pa_config_value_name(size_t i);
/* The environment variable of key i ("PASSERELLE_IDLE_TIMEOUT"). */
void pa_config_env_name(size_t i, char *out, size_t size);

/* The number of service threads the setting workers asks for: the setting
 * (asked), or online (the CPUs online, sysconf(_SC_NPROCESSORS_ONLN)) when it
 * is 0; always from 1 to PA_WORKERS_MAX (online below 1, a failed sysconf,
 * counts as 1). */
unsigned pa_config_workers(uint64_t asked, long online);

/* Splits "ADDR:PORT" or "[v6]:PORT" into host and port. Returns 0 or -1. */
int pa_config_split_address(const char *listen, char *host, size_t size, int *port);

#endif

/* A WebSocket load generator for Passerelle and the servers it is compared with:
 *
 *   build/benchmark/loadgen --url ws://127.0.0.1:8080/ws --set tests/eval/questions.jsonl
 *       [--connections 50] [--in-flight 1] [--seconds 10] [--warmup 2] [--threads 1]
 *       [--origin URL|none] [--hint-from-lang] [--tsv]
 *
 * Each connection keeps --in-flight `ask` frames outstanding: a reply frame
 * carrying the id of one of its questions frees the slot and the next question
 * goes out at once. Only a reply of type "answer" whose id is one this
 * connection asked counts as an answer; its latency runs from the write of the
 * question to the last byte of the reply. --in-flight 0 opens the connections
 * and holds them idle (for memory figures). Prints answers per second, the
 * latency's mean, median, p99 and maximum, and the errors, for the measured
 * window only (after --warmup). One process; each thread runs its own lws
 * context over its share of the connections. */
#include "bench_scan.h"

#include <errno.h>
#include <jansson.h>
#include <libwebsockets.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define MAX_THREADS     64
#define MAX_IN_FLIGHT   64
#define MAX_FRAME       (1024 * 1024) /* a reply longer than this is an error */
#define MAX_ASK         8192          /* Passerelle's default max-frame-bytes */
#define MAX_QUESTIONS   100000
#define CONNECT_WINDOW  64 /* handshakes a thread has under way at once: no SYN flood */
#define CONNECT_LIMIT_S 60 /* the connection phase gives up after this */
#define ID_TAIL         32 /* `,"id":`, a 64-bit number and `}` after a question */

enum { PHASE_CONNECT, PHASE_WARMUP, PHASE_MEASURE, PHASE_DONE };
enum { CONN_IDLE, CONN_CONNECTING, CONN_OPEN, CONN_OVER };

typedef struct {
    char address[256], host_header[300], path[512], origin[320];
    int port, connections, in_flight, threads, tsv, hint_from_lang;
    double seconds, warmup;
    const char *set;
} options;

/* One question, as the start of its ask frame: `{"type":"ask",...,"id":`. */
typedef struct {
    char *prefix;
    size_t len;
} question;

typedef struct {
    uint64_t id; /* 0: free */
    int64_t sent_ns;
} slot;

struct worker;

typedef struct {
    struct worker *w;
    struct lws *wsi;
    int state, to_send, outstanding;
    unsigned next_q;
    uint64_t next_id;
    slot slots[MAX_IN_FLIGHT];
    char *rx; /* fragments of a reply, only when it comes in several */
    size_t rx_len, rx_cap;
    unsigned char tx[LWS_PRE + MAX_ASK + ID_TAIL];
} conn;

typedef struct {
    uint64_t answers, error_frames, unmatched, oversize, lost;
    uint32_t *lat_100ns; /* latencies of the answers, in units of 100 ns */
    size_t n_lat, cap_lat;
} stats;

typedef struct worker {
    struct lws_context *ctx;
    conn *conns;
    int n, next_connect, connecting;
    int asking; /* the connection phase is over: questions may go out */
    pthread_t thread;
    stats st;
    atomic_int opened, failed, closed;
} worker;

static options opt = {.connections = 50,
                      .in_flight = 1,
                      .threads = 1,
                      .seconds = 10,
                      .warmup = 2,
                      .origin = "default"};
static question *questions;
static size_t n_questions;
static atomic_int phase = PHASE_CONNECT;
static double cpu_measured_s; /* the loadgen's own CPU time (all threads) in the window */

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- the question set ---------------------------------------------------- */

static int add_question(json_t *line)
{
    const char *text = json_string_value(json_object_get(line, "text"));
    json_t *hint = json_object_get(line, "hint");
    if (!json_is_string(hint) && opt.hint_from_lang)
        hint = json_object_get(line, "lang");
    if (!text)
        return -1;
    json_t *ask = json_pack("{s:s, s:s}", "type", "ask", "text", text);
    if (json_is_string(hint))
        json_object_set(ask, "lang", hint);
    char *dump = json_dumps(ask, JSON_COMPACT);
    json_decref(ask);
    if (!dump || strlen(dump) > MAX_ASK) {
        free(dump);
        return -1;
    }
    size_t len = strlen(dump); /* `{...}`: the closing brace becomes `,"id":` */
    question *q = &questions[n_questions];
    if (!(q->prefix = malloc(len + 8))) {
        free(dump);
        return -1;
    }
    n_questions++;
    memcpy(q->prefix, dump, len - 1);
    memcpy(q->prefix + len - 1, ",\"id\":", 7);
    q->len = len - 1 + 6;
    free(dump);
    return 0;
}

static int load_set(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "loadgen: %s: %s\n", path, strerror(errno));
        return -1;
    }
    questions = calloc(MAX_QUESTIONS, sizeof *questions);
    if (!questions) {
        fclose(f);
        return -1;
    }
    char line[65536];
    int lineno = 0;
    while (fgets(line, sizeof line, f) && n_questions < MAX_QUESTIONS) {
        lineno++;
        json_t *j = json_loads(line, 0, NULL);
        if (j && add_question(j) != 0)
            fprintf(stderr, "loadgen: %s:%d: no \"text\", or too long: skipped\n", path, lineno);
        json_decref(j);
    }
    fclose(f);
    if (!n_questions)
        fprintf(stderr, "loadgen: %s holds no question\n", path);
    return n_questions ? 0 : -1;
}

/* ---- one connection ------------------------------------------------------- */

static void record_latency(stats *st, int64_t ns)
{
    if (st->n_lat == st->cap_lat) {
        size_t cap = st->cap_lat ? 2 * st->cap_lat : 65536;
        uint32_t *grown = realloc(st->lat_100ns, cap * sizeof *grown);
        if (!grown)
            return;
        st->lat_100ns = grown;
        st->cap_lat = cap;
    }
    int64_t units = ns / 100;
    st->lat_100ns[st->n_lat++] = units > UINT32_MAX ? UINT32_MAX : (uint32_t)units;
}

static slot *find_slot(conn *c, uint64_t id)
{
    for (int i = 0; i < opt.in_flight; i++)
        if (c->slots[i].id == id)
            return &c->slots[i];
    return NULL;
}

/* The id of a reply, as we wrote it (a decimal number); 0 when it is not one of ours. */
static uint64_t reply_id(const bench_head *h)
{
    uint64_t id = 0;
    for (size_t i = 0; h->id && i < h->id_len; i++) {
        if (h->id[i] < '0' || h->id[i] > '9')
            return 0;
        id = id * 10 + (uint64_t)(h->id[i] - '0');
    }
    return id;
}

static void on_reply(conn *c, const char *p, size_t n)
{
    bench_head h;
    bench_scan_head(p, n, &h);
    if (bench_type_is(&h, "welcome") || bench_type_is(&h, "pong"))
        return;
    int measuring = atomic_load_explicit(&phase, memory_order_relaxed) == PHASE_MEASURE;
    uint64_t id = reply_id(&h);
    slot *s = id ? find_slot(c, id) : NULL;
    if (!s) {
        c->w->st.unmatched += (uint64_t)measuring;
        return;
    }
    int64_t latency = now_ns() - s->sent_ns;
    s->id = 0;
    c->outstanding--;
    if (measuring && bench_type_is(&h, "answer")) {
        c->w->st.answers++;
        record_latency(&c->w->st, latency);
    } else if (measuring) {
        c->w->st.error_frames++; /* rate_limited, busy...: replied, but not an answer */
    }
    c->to_send++;
    lws_callback_on_writable(c->wsi);
}

static void on_fragment(conn *c, const char *in, size_t len, int last)
{
    if (last && !c->rx_len) { /* the usual case: the whole reply at once, no copy */
        on_reply(c, in, len);
        return;
    }
    if (c->rx_len + len > MAX_FRAME) {
        c->w->st.oversize++;
        c->rx_len = 0;
        return;
    }
    if (c->rx_len + len > c->rx_cap) {
        size_t cap = c->rx_len + len > 2 * c->rx_cap ? c->rx_len + len : 2 * c->rx_cap;
        char *grown = realloc(c->rx, cap);
        if (!grown)
            return;
        c->rx = grown;
        c->rx_cap = cap;
    }
    memcpy(c->rx + c->rx_len, in, len);
    c->rx_len += len;
    if (last) {
        on_reply(c, c->rx, c->rx_len);
        c->rx_len = 0;
    }
}

static int send_question(conn *c)
{
    slot *s = find_slot(c, 0);
    if (!s || !n_questions)
        return 0;
    const question *q = &questions[c->next_q++ % n_questions];
    unsigned char *p = c->tx + LWS_PRE;
    memcpy(p, q->prefix, q->len);
    uint64_t id = ++c->next_id;
    size_t room = sizeof c->tx - LWS_PRE - q->len;
    size_t len =
        q->len + (size_t)snprintf((char *)p + q->len, room, "%llu}", (unsigned long long)id);
    s->id = id;
    s->sent_ns = now_ns();
    if (lws_write(c->wsi, p, len, LWS_WRITE_TEXT) < (int)len)
        return -1;
    c->to_send--;
    c->outstanding++;
    if (c->to_send > 0)
        lws_callback_on_writable(c->wsi);
    return 0;
}

/* ---- a thread and its context --------------------------------------------- */

/* A handshake that failed, reported once whether lws says so at once or later. */
static void connect_failed(conn *c)
{
    if (c->state != CONN_CONNECTING)
        return;
    c->state = CONN_OVER;
    c->w->connecting--;
    atomic_fetch_add(&c->w->failed, 1);
}

static void connect_one(worker *w, conn *c)
{
    struct lws_client_connect_info ci;
    memset(&ci, 0, sizeof ci);
    ci.context = w->ctx;
    ci.address = opt.address;
    ci.port = opt.port;
    ci.path = opt.path;
    ci.host = opt.host_header;
    ci.origin = opt.origin[0] ? opt.origin : NULL;
    ci.local_protocol_name = "loadgen";
    ci.userdata = c;
    ci.pwsi = &c->wsi;
    c->state = CONN_CONNECTING;
    w->connecting++;
    if (!lws_client_connect_via_info(&ci))
        connect_failed(c);
}

/* Starts handshakes while fewer than CONNECT_WINDOW are under way. */
static void connect_more(worker *w)
{
    while (w->connecting < CONNECT_WINDOW && w->next_connect < w->n)
        connect_one(w, &w->conns[w->next_connect++]);
}

static void on_closed(conn *c)
{
    worker *w = c->w;
    if (c->state == CONN_OPEN && atomic_load(&phase) != PHASE_DONE) {
        atomic_fetch_add(&w->closed, 1);
        w->st.lost += (uint64_t)c->outstanding;
    }
    c->state = CONN_OVER;
    c->wsi = NULL;
}

static void on_established(struct lws *wsi, conn *c)
{
    c->w->connecting--;
    c->state = CONN_OPEN;
    atomic_fetch_add(&c->w->opened, 1);
    c->to_send = opt.in_flight;
    if (c->to_send && c->w->asking)
        lws_callback_on_writable(wsi);
    connect_more(c->w);
}

/* Questions go out only once every connection is open (or failed): a server
 * busy answering the first ones would otherwise be slow to accept the last,
 * and the run would measure fewer connections than asked. The main thread
 * wakes each context (lws_cancel_service) when that phase ends. */
static void start_asking(worker *w)
{
    if (w->asking || atomic_load(&phase) == PHASE_CONNECT)
        return;
    w->asking = 1;
    for (int i = 0; i < w->n; i++)
        if (w->conns[i].state == CONN_OPEN && w->conns[i].to_send)
            lws_callback_on_writable(w->conns[i].wsi);
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len)
{
    conn *c = user;
    if (reason == LWS_CALLBACK_EVENT_WAIT_CANCELLED) {
        start_asking(lws_context_user(lws_get_context(wsi)));
        return 0;
    }
    if (!c) /* the context's other events: no connection of ours */
        return 0;
    switch (reason) {
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        if (atomic_load(&c->w->failed) == 0) /* the first reason is enough to see why */
            fprintf(stderr, "loadgen: a connection failed: %.*s\n", in ? (int)len : 7,
                    in ? (const char *)in : "unknown");
        connect_failed(c);
        connect_more(c->w);
        return 0;
    case LWS_CALLBACK_CLIENT_ESTABLISHED: on_established(wsi, c); return 0;
    case LWS_CALLBACK_CLIENT_RECEIVE:
        on_fragment(c, in, len, lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi));
        return 0;
    case LWS_CALLBACK_CLIENT_WRITEABLE:
        if (c->to_send > 0 && c->w->asking && atomic_load(&phase) != PHASE_DONE)
            return send_question(c);
        return 0;
    case LWS_CALLBACK_CLIENT_CLOSED: on_closed(c); return 0;
    default: return 0;
    }
}

static const struct lws_protocols protocols[] = {
    {"loadgen", callback, 0, 0, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static void *run_worker(void *arg)
{
    worker *w = arg;
    connect_more(w);
    while (atomic_load(&phase) != PHASE_DONE)
        lws_service(w->ctx, 0);
    return NULL;
}

static int start_worker(worker *w, int first, int n, conn *all)
{
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = protocols;
    info.gid = -1;
    info.uid = -1;
    info.user = w;
    /* lws sizes its descriptor table by this: its own connections, plus room
     * for the context's pipe and the process's other files. */
    info.fd_limit_per_thread = (unsigned)(n + 64);
    info.timeout_secs = CONNECT_LIMIT_S;
    w->ctx = lws_create_context(&info);
    if (!w->ctx)
        return -1;
    w->conns = all + first;
    w->n = n;
    /* Connections start at scattered questions (7919 is a prime): they do not
     * ask the same question at the same time. */
    for (int i = 0; i < n; i++) {
        w->conns[i].w = w;
        w->conns[i].next_q =
            (unsigned)((size_t)(first + i) * 7919u % (n_questions ? n_questions : 1));
    }
    return pthread_create(&w->thread, NULL, run_worker, w) == 0 ? 0 : -1;
}

/* ---- figures -------------------------------------------------------------- */

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static void merge(worker *ws, int n, stats *all, int *opened, int *failed, int *closed)
{
    memset(all, 0, sizeof *all);
    *opened = *failed = *closed = 0;
    for (int i = 0; i < n; i++) {
        stats *s = &ws[i].st;
        all->answers += s->answers;
        all->error_frames += s->error_frames;
        all->unmatched += s->unmatched;
        all->oversize += s->oversize;
        all->lost += s->lost;
        all->n_lat += s->n_lat;
        *opened += atomic_load(&ws[i].opened);
        *failed += atomic_load(&ws[i].failed);
        *closed += atomic_load(&ws[i].closed);
    }
    all->lat_100ns = malloc((all->n_lat ? all->n_lat : 1) * sizeof *all->lat_100ns);
    size_t k = 0;
    for (int i = 0; i < n; i++) {
        if (ws[i].st.n_lat)
            memcpy(all->lat_100ns + k, ws[i].st.lat_100ns, ws[i].st.n_lat * sizeof(uint32_t));
        k += ws[i].st.n_lat;
    }
    qsort(all->lat_100ns, all->n_lat, sizeof(uint32_t), cmp_u32);
}

static double pct_ms(const stats *s, double p)
{
    if (!s->n_lat)
        return 0;
    size_t i = (size_t)(p * (double)s->n_lat);
    return s->lat_100ns[i < s->n_lat ? i : s->n_lat - 1] / 1e4;
}

typedef struct {
    stats s;
    int opened, failed, closed, late;
    uint64_t errors;
    double rate, mean_ms, measured_s;
} figures;

static void summarize(worker *ws, double measured_s, figures *f)
{
    merge(ws, opt.threads, &f->s, &f->opened, &f->failed, &f->closed);
    double sum = 0;
    for (size_t i = 0; i < f->s.n_lat; i++)
        sum += f->s.lat_100ns[i];
    f->mean_ms = f->s.n_lat ? sum / (double)f->s.n_lat / 1e4 : 0;
    f->late = opt.connections - f->opened - f->failed; /* handshakes still under way at the end */
    if (f->late < 0)
        f->late = 0;
    f->errors = f->s.error_frames + f->s.unmatched + f->s.oversize + f->s.lost +
                (uint64_t)(f->failed + f->closed + f->late);
    f->measured_s = measured_s;
    f->rate = measured_s > 0 ? (double)f->s.answers / measured_s : 0;
}

static void print_tsv(const figures *f)
{
    printf("answers_per_s\tmean_ms\tp50_ms\tp99_ms\tmax_ms\tanswers\terrors\tconnected\t"
           "loadgen_cpu\n");
    printf("%.1f\t%.3f\t%.3f\t%.3f\t%.3f\t%llu\t%llu\t%d\t%.2f\n", f->rate, f->mean_ms,
           pct_ms(&f->s, 0.5), pct_ms(&f->s, 0.99), pct_ms(&f->s, 1.0),
           (unsigned long long)f->s.answers, (unsigned long long)f->errors, f->opened,
           cpu_measured_s / f->measured_s);
}

static void print_text(const figures *f)
{
    const stats *s = &f->s;
    printf("loadgen: ws://%s%s, %d connections x %d in flight, %d thread(s), %.1f s measured "
           "after %.1f s of warm-up\n",
           opt.host_header, opt.path, opt.connections, opt.in_flight, opt.threads, f->measured_s,
           opt.warmup);
    printf("connections: %d opened, %d failed, %d closed by the server\n", f->opened, f->failed,
           f->closed);
    printf("answers: %llu, %.1f per second\n", (unsigned long long)s->answers, f->rate);
    printf("latency: mean %.3f ms, median %.3f ms, p99 %.3f ms, max %.3f ms\n", f->mean_ms,
           pct_ms(s, 0.5), pct_ms(s, 0.99), pct_ms(s, 1.0));
    printf("loadgen itself: %.2f CPUs busy, %.1f us of CPU per answer\n",
           cpu_measured_s / f->measured_s,
           s->answers ? cpu_measured_s * 1e6 / (double)s->answers : 0);
    printf("errors: %llu (error replies %llu, replies to no question of ours %llu, oversize %llu, "
           "questions lost with their connection %llu, connections failed %d, never opened %d, "
           "closed %d)\n",
           (unsigned long long)f->errors, (unsigned long long)s->error_frames,
           (unsigned long long)s->unmatched, (unsigned long long)s->oversize,
           (unsigned long long)s->lost, f->failed, f->late, f->closed);
}

static void report(worker *ws, double measured_s)
{
    figures f;
    summarize(ws, measured_s, &f);
    if (opt.tsv)
        print_tsv(&f);
    else
        print_text(&f);
    free(f.s.lat_100ns);
}

/* ---- the run -------------------------------------------------------------- */

static void sleep_s(double s)
{
    if (s <= 0)
        return;
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* Waits until every connection opened or failed (at most CONNECT_LIMIT_S). */
static void wait_connected(worker *ws)
{
    int64_t deadline = now_ns() + (int64_t)CONNECT_LIMIT_S * 1000000000;
    int done = 0;
    while (now_ns() < deadline) {
        done = 0;
        for (int i = 0; i < opt.threads; i++)
            done += atomic_load(&ws[i].opened) + atomic_load(&ws[i].failed);
        if (done >= opt.connections)
            break;
        sleep_s(0.01);
    }
    int opened = 0;
    for (int i = 0; i < opt.threads; i++)
        opened += atomic_load(&ws[i].opened);
    fprintf(stderr, "loadgen: %d of %d connected\n", opened, opt.connections);
}

static double run(worker *ws, conn *conns)
{
    int per = opt.connections / opt.threads, extra = opt.connections % opt.threads, first = 0;
    for (int i = 0; i < opt.threads; i++) {
        int n = per + (i < extra);
        if (start_worker(&ws[i], first, n, conns) != 0) {
            fprintf(stderr, "loadgen: cannot start thread %d\n", i);
            exit(1);
        }
        first += n;
    }
    wait_connected(ws);
    atomic_store(&phase, PHASE_WARMUP);
    for (int i = 0; i < opt.threads; i++)
        lws_cancel_service(ws[i].ctx); /* start_asking() */
    sleep_s(opt.warmup);
    int64_t start = now_ns();
    double cpu0 = cpu_s();
    atomic_store(&phase, PHASE_MEASURE);
    sleep_s(opt.seconds);
    atomic_store(&phase, PHASE_DONE);
    int64_t end = now_ns();
    cpu_measured_s = cpu_s() - cpu0;
    for (int i = 0; i < opt.threads; i++)
        lws_cancel_service(ws[i].ctx); /* wakes its loop to see PHASE_DONE */
    for (int i = 0; i < opt.threads; i++)
        pthread_join(ws[i].thread, NULL);
    return (double)(end - start) / 1e9;
}

/* ---- options -------------------------------------------------------------- */

static int usage(int code)
{
    fprintf(code ? stderr : stdout,
            "usage: loadgen --url ws://HOST:PORT/PATH --set FILE.jsonl [--connections N]\n"
            "               [--in-flight K] [--seconds S] [--warmup S] [--threads T]\n"
            "               [--origin URL|none] [--hint-from-lang] [--tsv]\n"
            "Each of N connections keeps K ask frames (questions of FILE.jsonl: \"text\", and\n"
            "\"hint\" sent as the ask's lang) outstanding for S seconds after S of warm-up,\n"
            "and prints answers per second, latency mean/median/p99/max and errors.\n"
            "--in-flight 0 holds the connections idle. --origin (http:// only) defaults to\n"
            "http://HOST:PORT, the server's own page; none sends no Origin. --hint-from-lang\n"
            "sends each line's \"lang\" as the hint when it has no \"hint\". --tsv: a header\n"
            "line and a line of figures, tab-separated.\n");
    return code;
}

static int parse_url(const char *url)
{
    const char *prot, *addr, *path;
    static char copy[1024];
    snprintf(copy, sizeof copy, "%s", url);
    if (lws_parse_uri(copy, &prot, &addr, &opt.port, &path) || strcmp(prot, "ws")) {
        fprintf(stderr, "loadgen: --url must be ws://HOST:PORT/PATH\n");
        return -1;
    }
    snprintf(opt.address, sizeof opt.address, "%s", addr);
    snprintf(opt.path, sizeof opt.path, "/%s", path);
    snprintf(opt.host_header, sizeof opt.host_header, "%s:%d", addr, opt.port);
    return 0;
}

/* Reads one "--name VALUE" option; -1 when name is not one. */
static int parse_option(const char *a, const char *v, const char **url)
{
    if (!strcmp(a, "--url"))
        *url = v;
    else if (!strcmp(a, "--set"))
        opt.set = v;
    else if (!strcmp(a, "--connections"))
        opt.connections = atoi(v);
    else if (!strcmp(a, "--in-flight"))
        opt.in_flight = atoi(v);
    else if (!strcmp(a, "--threads"))
        opt.threads = atoi(v);
    else if (!strcmp(a, "--seconds"))
        opt.seconds = atof(v);
    else if (!strcmp(a, "--warmup"))
        opt.warmup = atof(v);
    else if (!strcmp(a, "--origin"))
        snprintf(opt.origin, sizeof opt.origin, "%s", strcmp(v, "none") ? v : "");
    else
        return -1;
    return 0;
}

static int parse_args(int argc, char **argv)
{
    const char *url = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help"))
            exit(usage(0));
        else if (!strcmp(argv[i], "--tsv"))
            opt.tsv = 1;
        else if (!strcmp(argv[i], "--hint-from-lang"))
            opt.hint_from_lang = 1;
        else if (i + 1 >= argc || parse_option(argv[i], argv[i + 1], &url) != 0)
            return usage(2);
        else
            i++;
    }
    if (!url || (!opt.set && opt.in_flight > 0) || opt.connections < 1 || opt.in_flight < 0 ||
        opt.in_flight > MAX_IN_FLIGHT || opt.threads < 1 || opt.threads > MAX_THREADS ||
        opt.seconds <= 0 || opt.warmup < 0)
        return usage(2);
    if (opt.threads > opt.connections)
        opt.threads = opt.connections;
    if (parse_url(url) != 0)
        return 2;
    /* libwebsockets 4.1 writes the Origin header as "http://" and what it is
     * given: the scheme is left out here. */
    if (!strcmp(opt.origin, "default"))
        snprintf(opt.origin, sizeof opt.origin, "%s", opt.host_header);
    else if (!strncmp(opt.origin, "http://", 7))
        memmove(opt.origin, opt.origin + 7, strlen(opt.origin + 7) + 1);
    else if (opt.origin[0] && !strncmp(opt.origin, "https://", 8)) {
        fprintf(stderr, "loadgen: libwebsockets can only send an http:// Origin\n");
        return 2;
    }
    return 0;
}

int main(int argc, char **argv)
{
    int rc = parse_args(argc, argv);
    if (rc)
        return rc;
    if (opt.set && load_set(opt.set) != 0)
        return 1;
    signal(SIGPIPE, SIG_IGN);
    lws_set_log_level(LLL_ERR, NULL);
    worker *ws = calloc((size_t)opt.threads, sizeof *ws);
    conn *conns = calloc((size_t)opt.connections, sizeof *conns);
    if (!ws || !conns)
        return 1;
    double measured = run(ws, conns);
    report(ws, measured);
    for (int i = 0; i < opt.threads; i++) {
        lws_context_destroy(ws[i].ctx);
        free(ws[i].st.lat_100ns);
    }
    for (int i = 0; i < opt.connections; i++)
        free(conns[i].rx);
    for (size_t i = 0; i < n_questions; i++)
        free(questions[i].prefix);
    free(questions);
    free(conns);
    free(ws);
    return 0;
}

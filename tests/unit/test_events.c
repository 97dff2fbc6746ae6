/* pa_events: the staff event log. Lines are JSON events with their time,
 * texts masked; the retention pass keeps only recent events (and drops what
 * is not an event) by a rename, also while other threads write; the
 * retention thread runs by itself; on stderr the lines stay whole JSON. */
#include "unit.h"

#include "pa_events.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { DAY = 86400, WRITERS = 4, EVENTS_PER_WRITER = 300 };

/* A resident's question with an email and two phone numbers in it. */
static const char QUESTION[] = "Pouvez-vous m'écrire à jan.kowalski@wp.pl ou appeler le "
                               "06 12 34 56 78 / +48 601 234 567 ?";

typedef struct {
    char dir[64], path[128];
} world;

static int setup(void **state)
{
    world *w = calloc(1, sizeof *w);
    snprintf(w->dir, sizeof w->dir, "/tmp/pa-events-XXXXXX");
    if (!mkdtemp(w->dir))
        return -1;
    snprintf(w->path, sizeof w->path, "%s/staff.jsonl", w->dir);
    umask(022);
    *state = w;
    return 0;
}

static int teardown(void **state)
{
    world *w = *state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", w->dir);
    int rc = system(cmd);
    free(w);
    return rc == 0 ? 0 : -1;
}

/* The file's lines, each parsed (NULL where a line is not JSON). */
typedef struct {
    json_t *items[4096];
    size_t n;
} lines;

static void read_lines(const char *path, lines *out)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) > 0 && out->n < 4096) {
        assert_int_equal(line[n - 1], '\n');
        out->items[out->n++] = json_loadb(line, (size_t)n, 0, NULL);
    }
    free(line);
    fclose(f);
}

static void free_lines(lines *l)
{
    for (size_t i = 0; i < l->n; i++)
        json_decref(l->items[i]);
}

static const char *str(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static void ts_text(time_t t, char *out, size_t size)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static pa_events *open_log(const char *path, int64_t period_ms)
{
    pa_events_config cfg = {.path = path, .retention_days = 90, .retention_period_ms = period_ms};
    char err[256] = "";
    pa_events *ev = pa_events_open(&cfg, err, sizeof err);
    if (!ev)
        fail_msg("pa_events_open: %s", err);
    return ev;
}

/* ---- the lines ------------------------------------------------------------ */

static void test_lines(void **state)
{
    world *w = *state;
    pa_events *ev = open_log(w->path, -1);
    time_t now = time(NULL);
    json_t *f =
        json_pack("{s:s, s:s, s:f}", "lang", "fr", "intent", "partner.sopot", "confidence", 0.91);
    pa_events_write_at(ev, now, "answered", f);
    json_decref(f);
    f = json_pack("{s:s, s:s, s:s, s:f, s:s}", "lang", "pl", "text", QUESTION, "nearest",
                  "partner.sopot", "score", 0.31, "ts", "1970-01-01T00:00:00Z");
    pa_events_write_at(ev, now, "unanswered", f);
    json_decref(f);
    f = json_pack("{s:s, s:i}", "lang", "de", "text", 42); /* not a string: not written */
    pa_events_write(ev, "clarification", f);
    json_decref(f);
    pa_events_write(ev, "handoff", NULL);
    pa_events_close(ev);

    struct stat st;
    assert_int_equal(stat(w->path, &st), 0);
    EXPECT_INT("file", "mode", st.st_mode & 0777, 0640);
    lines l;
    read_lines(w->path, &l);
    assert_int_equal(l.n, 4);
    char ts[32];
    ts_text(now, ts, sizeof ts);
    static const char *const events[] = {"answered", "unanswered", "clarification", "handoff"};
    for (size_t i = 0; i < l.n; i++) {
        assert_non_null(l.items[i]);
        EXPECT_STR(events[i], "event", str(l.items[i], "event"), events[i]);
        const char *t = str(l.items[i], "ts");
        assert_non_null(t);
        EXPECT_INT(events[i], "ts length", strlen(t), 20);
        if (i < 2)
            EXPECT_STR(events[i], "ts", t, ts); /* the caller's "ts" is not taken */
    }
    /* ts and event first, then the fields in their order; short reals */
    FILE *fp = fopen(w->path, "r");
    char first[4096] = "";
    assert_non_null(fgets(first, sizeof first, fp));
    fclose(fp);
    first[strcspn(first, "\n")] = '\0';
    char want[160];
    snprintf(want, sizeof want,
             "{\"ts\":\"%s\",\"event\":\"answered\",\"lang\":\"fr\",\"intent\":\"partner.sopot\","
             "\"confidence\":0.91}",
             ts);
    EXPECT_STR("answered", "line", first, want);
    EXPECT_STR("unanswered", "text", str(l.items[1], "text"),
               "Pouvez-vous m'écrire à [email] ou appeler le [phone] / [phone] ?");
    EXPECT_STR("unanswered", "nearest", str(l.items[1], "nearest"), "partner.sopot");
    assert_true(json_is_null(json_object_get(l.items[2], "text")));
    free_lines(&l);
    /* nothing personal anywhere in the file */
    fp = fopen(w->path, "r");
    char buf[4096];
    size_t n = fread(buf, 1, sizeof buf - 1, fp);
    fclose(fp);
    buf[n] = '\0';
    assert_null(strstr(buf, "kowalski"));
    assert_null(strstr(buf, "34 56"));
    assert_null(strstr(buf, "601"));
}

/* ---- retention ----------------------------------------------------------- */

/* Old events, recent ones, and lines that are no events, as a file left by
 * an earlier run. Returns how many recent events it holds. */
static size_t write_history(const char *path, time_t now)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    size_t recent = 0;
    static const int ages[] = {400, 120, 91, 30, 89, 2, 95, 0}; /* days */
    for (size_t i = 0; i < sizeof ages / sizeof *ages; i++) {
        char ts[32];
        ts_text(now - (time_t)ages[i] * DAY - 60, ts, sizeof ts);
        fprintf(f, "{\"ts\":\"%s\",\"event\":\"answered\",\"lang\":\"fr\",\"age\":%d}\n", ts,
                ages[i]);
        recent += ages[i] < 90;
    }
    fputs("not json at all\n", f);
    fputs("{\"event\":\"answered\"}\n", f);                      /* no ts */
    fputs("{\"ts\":\"yesterday\",\"event\":\"answered\"}\n", f); /* no time */
    fputs("[\"ts\",\"2026-01-01T00:00:00Z\"]\n", f);             /* not an object */
    fclose(f);
    return recent;
}

static void expect_recent(const char *path, size_t want, const char *row)
{
    lines l;
    read_lines(path, &l);
    EXPECT_INT(row, "lines", l.n, want);
    for (size_t i = 0; i < l.n; i++) {
        assert_non_null(l.items[i]);
        json_t *age = json_object_get(l.items[i], "age");
        if (age)
            assert_true(json_integer_value(age) < 90);
    }
    free_lines(&l);
}

static void test_retention(void **state)
{
    world *w = *state;
    time_t now = time(NULL);
    size_t recent = write_history(w->path, now);
    pa_events *ev = open_log(w->path, -1);
    pa_events_write_at(ev, now, "feedback", NULL); /* written before the pass */
    pa_events_retention st;
    assert_int_equal(pa_events_retain(ev, now, &st), 0);
    EXPECT_INT("pass", "expired", st.expired, 4);
    EXPECT_INT("pass", "unreadable", st.unreadable, 4);
    EXPECT_INT("pass", "kept", st.kept, recent + 1);
    expect_recent(w->path, recent + 1, "after the pass");
    /* the writer follows the new file */
    pa_events_write_at(ev, now, "feedback", NULL);
    expect_recent(w->path, recent + 2, "after a write");
    char tmp[160];
    snprintf(tmp, sizeof tmp, "%s.retention-tmp", w->path);
    assert_int_equal(access(tmp, F_OK), -1);
    /* nothing more to remove: the file is left as it is */
    struct stat before, after;
    stat(w->path, &before);
    assert_int_equal(pa_events_retain(ev, now, &st), 0);
    EXPECT_INT("second pass", "expired", st.expired + st.unreadable, 0);
    stat(w->path, &after);
    EXPECT_INT("second pass", "same inode", after.st_ino, before.st_ino);
    /* 90 days later, all of it is gone */
    assert_int_equal(pa_events_retain(ev, now + 91 * DAY, &st), 0);
    EXPECT_INT("91 days later", "kept", st.kept, 0);
    expect_recent(w->path, 0, "91 days later");
    pa_events_close(ev);
}

/* The server's own pass, at start, without anyone calling it. */
static void test_retention_thread(void **state)
{
    world *w = *state;
    size_t recent = write_history(w->path, time(NULL));
    pa_events *ev = open_log(w->path, 100);
    lines l;
    for (int tries = 0; tries < 100; tries++) {
        read_lines(w->path, &l);
        size_t n = l.n;
        free_lines(&l);
        if (n == recent)
            break;
        struct timespec ts = {0, 20 * 1000000};
        nanosleep(&ts, NULL);
    }
    expect_recent(w->path, recent, "retention thread");
    pa_events_close(ev);
}

/* Writers on several threads while passes rewrite the file: no line lost,
 * none torn. */
typedef struct {
    pa_events *ev;
    int id;
} writer;

static void *write_many(void *arg)
{
    writer *wr = arg;
    for (int i = 0; i < EVENTS_PER_WRITER; i++) {
        json_t *f = json_pack("{s:i, s:i, s:s}", "writer", wr->id, "n", i, "text", QUESTION);
        pa_events_write(wr->ev, "unanswered", f);
        json_decref(f);
    }
    return NULL;
}

static void test_concurrent(void **state)
{
    world *w = *state;
    size_t recent = write_history(w->path, time(NULL));
    pa_events *ev = open_log(w->path, -1);
    pthread_t threads[WRITERS];
    writer writers[WRITERS];
    for (int i = 0; i < WRITERS; i++) {
        writers[i] = (writer){ev, i};
        pthread_create(&threads[i], NULL, write_many, &writers[i]);
    }
    size_t removed = 0;
    for (int pass = 0; pass < 20; pass++) {
        pa_events_retention st;
        assert_int_equal(pa_events_retain(ev, time(NULL), &st), 0);
        removed += st.expired + st.unreadable;
    }
    for (int i = 0; i < WRITERS; i++)
        pthread_join(threads[i], NULL);
    pa_events_close(ev);
    EXPECT_INT("passes", "removed", removed, 8);
    lines l;
    read_lines(w->path, &l);
    EXPECT_INT("after", "lines", l.n, recent + WRITERS * EVENTS_PER_WRITER);
    int seen[WRITERS][EVENTS_PER_WRITER] = {{0}};
    for (size_t i = 0; i < l.n; i++) {
        assert_non_null(l.items[i]);
        json_t *id = json_object_get(l.items[i], "writer");
        if (id)
            seen[json_integer_value(id)][json_integer_value(json_object_get(l.items[i], "n"))]++;
    }
    for (int i = 0; i < WRITERS; i++)
        for (int k = 0; k < EVENTS_PER_WRITER; k++)
            EXPECT_INT("writer's event", "copies", seen[i][k], 1);
    free_lines(&l);
}

/* ---- stderr -------------------------------------------------------------- */

static void test_stderr(void **state)
{
    world *w = *state;
    fflush(stderr);
    int saved = dup(2);
    FILE *capture = freopen(w->path, "w", stderr);
    assert_non_null(capture);
    pa_events *ev = open_log("", -1);
    json_t *f = json_pack("{s:s, s:s}", "lang", "fr", "text", QUESTION);
    pa_events_write(ev, "unanswered", f);
    json_decref(f);
    /* a long question: the line stays one JSON object */
    char long_text[6000] = "";
    while (strlen(long_text) + sizeof QUESTION < sizeof long_text)
        strcat(long_text, QUESTION);
    f = json_pack("{s:s, s:s}", "lang", "ar", "text", long_text);
    pa_events_write(ev, "unanswered", f);
    json_decref(f);
    assert_int_equal(pa_events_retain(ev, time(NULL), NULL), 0); /* nothing to do */
    pa_events_close(ev);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    lines l;
    read_lines(w->path, &l);
    assert_int_equal(l.n, 2);
    for (size_t i = 0; i < 2; i++) {
        assert_non_null(l.items[i]);
        const char *text = str(l.items[i], "text");
        assert_non_null(text);
        assert_null(strstr(text, "kowalski"));
        assert_non_null(strstr(text, "[email]"));
    }
    assert_true(strlen(str(l.items[1], "text")) < 2000);
    free_lines(&l);
}

static void test_unwritable(void **state)
{
    (void)state;
    pa_events_config cfg = {.path = "/nonexistent-folder/staff.jsonl"};
    char err[256] = "";
    assert_null(pa_events_open(&cfg, err, sizeof err));
    assert_non_null(strstr(err, "/nonexistent-folder/staff.jsonl"));
    pa_events_write(NULL, "answered", NULL); /* no log: nothing, no crash */
    pa_events_close(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retention, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retention_thread, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stderr, setup, teardown),
        cmocka_unit_test(test_unwritable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The spool of messages to staff (pa_spool): a temporary folder per test,
 * the caller's clock for ages. What is checked is what a crash, a
 * duplicate, a delivery or the retention leaves on disk. */
#include "unit.h"

#include "pa_spool.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static const time_t T0 = 1796184000; /* 2026-12-02T04:00:00Z: "now" of the tests */
static const double DAY = 86400;

typedef struct {
    char dir[64];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/pa-spool-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    *state = f;
    return 0;
}

static void remove_tree(const char *path)
{
    DIR *d = opendir(path);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            char child[512];
            snprintf(child, sizeof child, "%s/%s", path, e->d_name);
            remove_tree(child);
        }
        closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

static int teardown(void **state)
{
    fixture *f = *state;
    remove_tree(f->dir);
    free(f);
    return 0;
}

/* A record as pa_contact_record makes it, received `age` seconds before T0. */
static json_t *record(const char *key, double age, const char *text)
{
    char at[32];
    time_t t = T0 - (time_t)age;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:s}", "version", 1, "key", key, "received",
                     at, "lang", "ar", "text", text, "reply_to", "+216 71 234 567", "reply_to_kind",
                     "phone");
}

static void path_of(const fixture *f, const char *folder, const char *name, char *out, size_t size)
{
    snprintf(out, size, "%s/%s/%s", f->dir, folder, name);
}

static int file_exists(const fixture *f, const char *folder, const char *name)
{
    char p[256];
    path_of(f, folder, name, p, sizeof p);
    return access(p, F_OK) == 0;
}

static size_t count_files(const fixture *f, const char *folder)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", f->dir, folder);
    DIR *d = opendir(p);
    size_t n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

static char *read_file(const fixture *f, const char *folder, const char *name)
{
    char p[256];
    path_of(f, folder, name, p, sizeof p);
    FILE *fp = fopen(p, "rb");
    if (!fp)
        return NULL;
    char *buf = calloc(1, 65536);
    size_t n = fread(buf, 1, 65535, fp);
    buf[n] = '\0';
    fclose(fp);
    return buf;
}

static void write_file(const fixture *f, const char *folder, const char *name, const char *text)
{
    char p[256];
    path_of(f, folder, name, p, sizeof p);
    FILE *fp = fopen(p, "wb");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static pa_spool *open_spool(const fixture *f)
{
    char err[256] = "";
    pa_spool *sp = pa_spool_open(f->dir, err, sizeof err);
    if (!sp)
        print_error("pa_spool_open: %s\n", err);
    assert_non_null(sp);
    return sp;
}

/* A message is written whole, readable by the server's user only, and
 * nothing stays in tmp/. */
static void test_put(void **state)
{
    fixture *f = *state;
    pa_spool *sp = open_spool(f);
    json_t *r = record("k-1", 0, "مرحبا");
    EXPECT_INT("put", "result", pa_spool_put(sp, "k-1", r, 1), PA_SPOOL_QUEUED);
    EXPECT_INT("put", "state", pa_spool_lookup(sp, "k-1"), PA_SPOOL_WAITING);
    EXPECT_INT("put", "files in tmp/", count_files(f, "tmp"), 0);
    char p[256];
    struct stat st;
    path_of(f, "new", "k-1.json", p, sizeof p);
    assert_int_equal(stat(p, &st), 0);
    EXPECT_INT("put", "mode", st.st_mode & 0777, 0600);
    json_t *back = pa_spool_load(sp, "k-1");
    assert_true(json_equal(back, r));
    json_decref(back);
    json_decref(r);
    pa_spool_close(sp);
}

/* Keys name files: anything that could leave the folder, or is not what the
 * protocol allows, is refused before any file is made. */
static void test_keys(void **state)
{
    fixture *f = *state;
    static const struct {
        const char *key;
        int valid;
    } rows[] = {
        {"0b6c1f7e-4a9d-4c2e-9f1a-2d5b8e7c3a10", 1},
        {"abc_DEF-123", 1},
        {"x", 1},
        {"", 0},
        {"a/b", 0},
        {"../new/x", 0},
        {".hidden", 0},
        {"with space", 0},
        {"é", 0},
        {"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk", 0}, /* 65 */
    };
    pa_spool *sp = open_spool(f);
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        json_t *r = record(rows[i].key, 0, "text");
        EXPECT_INT(rows[i].key, "valid", pa_spool_key_valid(rows[i].key), rows[i].valid);
        EXPECT_INT(rows[i].key, "put", pa_spool_put(sp, rows[i].key, r, 1),
                   rows[i].valid ? PA_SPOOL_QUEUED : PA_SPOOL_FAILED);
        json_decref(r);
    }
    EXPECT_INT("keys", "files in new/", count_files(f, "new"), 3);
    pa_spool_close(sp);
}

/* The same key again, wherever the first message is, is a duplicate: never a
 * second file, never a replaced one, even when the spool is full. */
static void test_duplicates(void **state)
{
    fixture *f = *state;
    pa_spool *sp = open_spool(f);
    json_t *first = record("dup", 0, "first"), *second = record("dup", 0, "second");
    EXPECT_INT("waiting", "put", pa_spool_put(sp, "dup", first, 1), PA_SPOOL_QUEUED);
    EXPECT_INT("waiting", "again", pa_spool_put(sp, "dup", second, 1), PA_SPOOL_DUPLICATE);
    EXPECT_INT("waiting, full", "again", pa_spool_put(sp, "dup", second, 0), PA_SPOOL_DUPLICATE);
    json_t *kept = pa_spool_load(sp, "dup");
    EXPECT_STR("waiting", "text kept", json_string_value(json_object_get(kept, "text")), "first");
    json_decref(kept);
    EXPECT_INT("full", "a new key", pa_spool_put(sp, "other", second, 0), PA_SPOOL_FULL);
    EXPECT_INT("full", "state", pa_spool_lookup(sp, "other"), PA_SPOOL_UNKNOWN);

    assert_int_equal(pa_spool_delivered(sp, "dup", T0), 0);
    EXPECT_INT("delivered", "state", pa_spool_lookup(sp, "dup"), PA_SPOOL_DELIVERED);
    EXPECT_INT("delivered", "again", pa_spool_put(sp, "dup", second, 1), PA_SPOOL_DUPLICATE);
    EXPECT_INT("delivered", "files in new/", count_files(f, "new"), 0);

    EXPECT_INT("dead", "put", pa_spool_put(sp, "dead1", first, 1), PA_SPOOL_QUEUED);
    assert_int_equal(pa_spool_dead(sp, "dead1"), 0);
    EXPECT_INT("dead", "state", pa_spool_lookup(sp, "dead1"), PA_SPOOL_DEAD);
    EXPECT_INT("dead", "again", pa_spool_put(sp, "dead1", second, 1), PA_SPOOL_DUPLICATE);
    EXPECT_INT("dead", "count", pa_spool_dead_count(sp), 1);
    json_decref(first);
    json_decref(second);
    pa_spool_close(sp);
}

/* Once delivered, the personal data is gone: the marker holds the key, the
 * state and the time, nothing of the message. */
static void test_delivered_marker(void **state)
{
    fixture *f = *state;
    pa_spool *sp = open_spool(f);
    json_t *r = record("m1", 0, "Bonjour, je voudrais participer");
    pa_spool_put(sp, "m1", r, 1);
    assert_int_equal(pa_spool_delivered(sp, "m1", T0), 0);
    assert_false(file_exists(f, "new", "m1.json"));
    char *marker = read_file(f, "done", "m1.json");
    assert_non_null(marker);
    json_t *m = json_loads(marker, 0, NULL);
    EXPECT_INT("marker", "fields", json_object_size(m), 3);
    EXPECT_STR("marker", "state", json_string_value(json_object_get(m, "state")), "delivered");
    EXPECT_STR("marker", "at", json_string_value(json_object_get(m, "at")), "2026-12-02T04:00:00Z");
    assert_null(strstr(marker, "Bonjour"));
    assert_null(strstr(marker, "+216"));
    EXPECT_INT("twice", "delivered", pa_spool_delivered(sp, "m1", T0), -1);
    assert_int_equal(pa_spool_discard(sp, "nothing", T0), -1);
    json_decref(m);
    free(marker);
    json_decref(r);
    pa_spool_close(sp);
}

/* The delivery state is rewritten in place; the record read back is it. */
static void test_rewrite(void **state)
{
    fixture *f = *state;
    pa_spool *sp = open_spool(f);
    json_t *r = record("r1", 0, "text");
    pa_spool_put(sp, "r1", r, 1);
    json_object_set_new(r, "delivery", json_pack("{s:i}", "attempts", 2));
    assert_int_equal(pa_spool_rewrite(sp, "r1", r), 0);
    json_t *back = pa_spool_load(sp, "r1");
    EXPECT_INT("rewrite", "attempts",
               json_integer_value(json_object_get(json_object_get(back, "delivery"), "attempts")),
               2);
    EXPECT_INT("rewrite", "files in tmp/", count_files(f, "tmp"), 0);
    EXPECT_INT("rewrite", "of a key not waiting", pa_spool_rewrite(sp, "absent", r), -1);
    json_decref(back);
    json_decref(r);
    pa_spool_close(sp);
}

/* A restart: what a crash left in tmp/ goes, a body whose delivery marker
 * was written goes, the messages waiting are listed in order. */
static void test_reopen_after_crash(void **state)
{
    fixture *f = *state;
    pa_spool *sp = open_spool(f);
    static const char *const keys[] = {"c", "a", "b"};
    for (size_t i = 0; i < 3; i++) {
        json_t *r = record(keys[i], 0, "text");
        pa_spool_put(sp, keys[i], r, 1);
        json_decref(r);
    }
    pa_spool_close(sp);
    write_file(f, "tmp", "half.tmp", "{\"version\":1,\"te");
    write_file(f, "done", "b.json", "{\"key\":\"b\",\"state\":\"delivered\",\"at\":\"x\"}");
    sp = open_spool(f);
    EXPECT_INT("reopen", "files in tmp/", count_files(f, "tmp"), 0);
    assert_false(file_exists(f, "new", "b.json"));
    char **waiting;
    size_t n = pa_spool_waiting(sp, &waiting);
    EXPECT_INT("reopen", "waiting", n, 2);
    EXPECT_STR("reopen", "first", waiting[0], "a");
    EXPECT_STR("reopen", "second", waiting[1], "c");
    pa_spool_keys_free(waiting, n);
    pa_spool_close(sp);
}

/* Two servers on one folder would deliver each message twice: the second is
 * refused, and says why. */
static void test_lock(void **state)
{
    fixture *f = *state;
    pa_spool *sp = open_spool(f);
    char err[256] = "";
    assert_null(pa_spool_open(f->dir, err, sizeof err));
    assert_non_null(strstr(err, "another passerelle"));
    pa_spool_close(sp);
    pa_spool *again = open_spool(f); /* the lock goes with the first */
    pa_spool_close(again);
}

/* Retention: dead bodies older than it go, markers older than the dedupe
 * window go; younger ones stay. Ages are the caller's clock. */
static void test_purge(void **state)
{
    fixture *f = *state;
    static const struct {
        const char *key;
        double age_days; /* of its reception */
        int dead_removed;
    } rows[] = {
        {"d-29", 29, 0},
        {"d-31", 31, 1},
        {"d-400", 400, 1},
    };
    pa_spool *sp = open_spool(f);
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        json_t *r = record(rows[i].key, rows[i].age_days * DAY, "text");
        pa_spool_put(sp, rows[i].key, r, 1);
        pa_spool_dead(sp, rows[i].key);
        json_decref(r);
    }
    json_t *waiting = record("w-100", 100 * DAY, "text");
    pa_spool_put(sp, "w-100", waiting, 1); /* waiting messages are the caller's to discard */
    pa_spool_put(sp, "delivered", waiting, 1);
    pa_spool_delivered(sp, "delivered", time(NULL)); /* the marker's age: its file's */
    json_decref(waiting);

    pa_spool_purged p = pa_spool_purge(sp, T0, 30 * DAY, 7 * DAY);
    EXPECT_INT("purge", "dead removed", p.dead, 2);
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        char name[64];
        snprintf(name, sizeof name, "%s.json", rows[i].key);
        EXPECT_INT(rows[i].key, "still in dead/", file_exists(f, "dead", name),
                   !rows[i].dead_removed);
    }
    assert_true(file_exists(f, "new", "w-100.json"));
    EXPECT_INT("purge", "dead count", pa_spool_dead_count(sp), 1);

    p = pa_spool_purge(sp, time(NULL) + 6 * (time_t)DAY, 30 * DAY, 7 * DAY);
    EXPECT_INT("marker of 6 days", "removed", p.markers, 0);
    p = pa_spool_purge(sp, time(NULL) + 8 * (time_t)DAY, 30 * DAY, 7 * DAY);
    EXPECT_INT("marker of 8 days", "removed", p.markers, 1);
    EXPECT_INT("after the window", "state", pa_spool_lookup(sp, "delivered"), PA_SPOOL_UNKNOWN);

    assert_int_equal(pa_spool_discard(sp, "w-100", T0), 0);
    assert_false(file_exists(f, "new", "w-100.json"));
    char *marker = read_file(f, "done", "w-100.json");
    assert_non_null(strstr(marker, "\"expired\""));
    free(marker);
    pa_spool_close(sp);
}

static void test_time(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        time_t want;
    } rows[] = {
        {"2026-12-02T04:00:00Z", 1796184000},
        {"1970-01-01T00:00:00Z", 0},
        {"yesterday", -1},
        {"", -1},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        json_t *r = json_pack("{s:s}", "received", rows[i].text);
        EXPECT_INT(rows[i].text, "time", pa_spool_time(r, "received"), rows[i].want);
        json_decref(r);
    }
    json_t *none = json_object();
    EXPECT_INT("no field", "time", pa_spool_time(none, "received"), -1);
    json_decref(none);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_put, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delivered_marker, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rewrite, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reopen_after_crash, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lock, setup, teardown),
        cmocka_unit_test_setup_teardown(test_purge, setup, teardown),
        cmocka_unit_test(test_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

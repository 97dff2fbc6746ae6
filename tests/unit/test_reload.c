/* The fingerprint that tells the server the knowledge files changed: a
 * temporary knowledge tree, one edit per row, the fingerprint before and
 * after.
 *
 * Every modification time of the tree is set by the test (files when they
 * are written, folders before each fingerprint), so that the rows do not
 * depend on the clock's granularity and each one shows the effect of its own
 * edit only. */
#include "unit.h"

#include "pa_reload.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const time_t T0 = 1700000000; /* every file's and folder's time, unless a row changes it */

static char root[64], intents[128], locales[128];

static void path_of(char *out, size_t size, const char *rel)
{
    snprintf(out, size, "%s/%s", root, rel);
}

static void set_time(const char *path, time_t t)
{
    struct timespec times[2] = {{t, 0}, {t, 0}};
    assert_int_equal(utimensat(AT_FDCWD, path, times, 0), 0);
}

/* Writes a file (relative to root) and sets its modification time to t. */
static void put(const char *rel, const char *content, time_t t)
{
    char path[256];
    path_of(path, sizeof path, rel);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(content, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
    set_time(path, t);
}

static void make_dir(const char *rel)
{
    char path[256];
    path_of(path, sizeof path, rel);
    assert_int_equal(mkdir(path, 0700), 0);
}

static void remove_file(const char *rel)
{
    char path[256];
    path_of(path, sizeof path, rel);
    assert_int_equal(unlink(path), 0);
}

static void rename_file(const char *from, const char *to)
{
    char a[256], b[256];
    path_of(a, sizeof a, from);
    path_of(b, sizeof b, to);
    assert_int_equal(rename(a, b), 0);
}

/* Sets the time of every folder below path (and of path) to T0, leaving the
 * files' own. Removes the whole tree instead when remove is set. */
static void walk_tree(const char *path, int remove)
{
    DIR *d = opendir(path);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char sub[512];
        snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
        struct stat st;
        assert_int_equal(lstat(sub, &st), 0);
        if (S_ISDIR(st.st_mode))
            walk_tree(sub, remove);
        else if (remove)
            assert_int_equal(unlink(sub), 0);
    }
    closedir(d);
    if (remove)
        assert_int_equal(rmdir(path), 0);
    else
        set_time(path, T0);
}

/* Removes path and everything below it, without failing the test: for the
 * clean-up after a failed row. */
static void remove_quietly(const char *path)
{
    DIR *d = opendir(path);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            char sub[512];
            snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
            remove_quietly(sub);
        }
        closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

static uint64_t fingerprint(void)
{
    walk_tree(root, 0);
    return pa_reload_fingerprint(intents, locales);
}

/* The knowledge every row starts from, in sub-folders like the real one. */
static void make_tree(void)
{
    make_dir("intents");
    make_dir("intents/partner");
    make_dir("intents/partner/deep");
    make_dir("intents/twinning");
    make_dir("locales");
    put("intents/names.json", "{\"names\": {}}\n", T0);
    put("intents/partner/sopot.json", "{\"id\": \"partner.sopot\"}\n", T0);
    put("intents/partner/deep/frankenthal.json", "{\"id\": \"partner.frankenthal\"}\n", T0);
    put("intents/twinning/partners.json", "{\"id\": \"twinning.partners\"}\n", T0);
    put("intents/twinning/definition.json", "{\"id\": \"twinning.definition\"}\n", T0);
    put("locales/fr.json", "{\"code\": \"fr\"}\n", T0);
    put("locales/pl.json", "{\"code\": \"pl\"}\n", T0);
}

/* The same tree, made in the reverse order. */
static void make_tree_reversed(void)
{
    make_dir("locales");
    put("locales/pl.json", "{\"code\": \"pl\"}\n", T0);
    put("locales/fr.json", "{\"code\": \"fr\"}\n", T0);
    make_dir("intents");
    make_dir("intents/twinning");
    put("intents/twinning/definition.json", "{\"id\": \"twinning.definition\"}\n", T0);
    put("intents/twinning/partners.json", "{\"id\": \"twinning.partners\"}\n", T0);
    make_dir("intents/partner");
    make_dir("intents/partner/deep");
    put("intents/partner/deep/frankenthal.json", "{\"id\": \"partner.frankenthal\"}\n", T0);
    put("intents/partner/sopot.json", "{\"id\": \"partner.sopot\"}\n", T0);
    put("intents/names.json", "{\"names\": {}}\n", T0);
}

static void clear_tree(void)
{
    char path[256];
    path_of(path, sizeof path, "intents");
    walk_tree(path, 1);
    path_of(path, sizeof path, "locales");
    walk_tree(path, 1);
}

static void nothing(void) {}

static void same_content_again(void)
{
    put("intents/partner/sopot.json", "{\"id\": \"partner.sopot\"}\n", T0);
}

static void edit_same_size(void)
{
    put("intents/partner/sopot.json", "{\"id\": \"partner.sopof\"}\n", T0 + 1);
}

static void edit_other_size(void)
{
    put("intents/partner/sopot.json", "{\"id\": \"partner.sopot\", \"about\": \"sopot\"}\n", T0);
}

static void touch_only(void)
{
    char path[256];
    path_of(path, sizeof path, "intents/partner/sopot.json");
    set_time(path, T0 + 60);
}

static void add_file(void)
{
    put("intents/partner/viana_do_castelo.json", "{\"id\": \"partner.viana_do_castelo\"}\n", T0);
}

static void add_empty_file(void)
{
    put("intents/twinning/history.json", "", T0);
}

static void add_empty_folder(void)
{
    make_dir("intents/events");
}

static void add_folder(void)
{
    make_dir("intents/cooperation");
    put("intents/cooperation/themes.json", "{\"id\": \"cooperation.themes\"}\n", T0);
}

static void remove_one(void)
{
    remove_file("intents/twinning/partners.json");
}

static void rename_one(void)
{
    rename_file("intents/partner/sopot.json", "intents/partner/sopot2.json");
}

static void move_to_other_folder(void)
{
    rename_file("intents/partner/sopot.json", "intents/twinning/sopot.json");
}

static void edit_deep(void)
{
    put("intents/partner/deep/frankenthal.json", "{\"id\": \"partner.frankenthal\" }\n", T0);
}

static void edit_locale(void)
{
    put("locales/pl.json", "{\"code\": \"pl\", \"name\": \"Polski\"}\n", T0);
}

static void add_locale(void)
{
    put("locales/de.json", "{\"code\": \"de\"}\n", T0);
}

static void rebuild_reversed(void)
{
    clear_tree();
    make_tree_reversed();
}

static void rebuild_same(void)
{
    clear_tree();
    make_tree();
}

static const struct {
    const char *what;
    void (*edit)(void);
    int changes;
} rows[] = {
    {"nothing changes", nothing, 0},
    {"the same content written again, same time", same_content_again, 0},
    {"the tree made again, same order", rebuild_same, 0},
    {"the tree made again, reverse order", rebuild_reversed, 0},
    {"a file's content changes (same size, new time)", edit_same_size, 1},
    {"a file's size changes (same time)", edit_other_size, 1},
    {"a file's modification time changes, not its content", touch_only, 0},
    {"a file is added", add_file, 1},
    {"an empty file is added", add_empty_file, 1},
    {"a folder with a file is added", add_folder, 1},
    {"an empty folder is added", add_empty_folder, 1},
    {"a file is removed", remove_one, 1},
    {"a file is renamed", rename_one, 1},
    {"a file moves to another folder", move_to_other_folder, 1},
    {"a file two folders down changes", edit_deep, 1},
    {"a locale changes", edit_locale, 1},
    {"a locale is added", add_locale, 1},
};

static void test_rows(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        make_tree();
        uint64_t before = fingerprint();
        EXPECT_U64(rows[i].what, "fingerprint read twice", fingerprint(), before);
        rows[i].edit();
        uint64_t after = fingerprint();
        if ((after != before) != rows[i].changes) {
            print_error("%s: fingerprint 0x%016" PRIx64 " before, 0x%016" PRIx64
                        " after: expected %s\n",
                        rows[i].what, before, after, rows[i].changes ? "a change" : "no change");
            fail();
        }
        clear_tree();
    }
}

/* Which folder is which counts: the same two folders given the other way
 * round fingerprint differently. */
static void test_folders_not_swapped(void **state)
{
    (void)state;
    make_tree();
    walk_tree(root, 0);
    uint64_t normal = pa_reload_fingerprint(intents, locales);
    uint64_t swapped = pa_reload_fingerprint(locales, intents);
    EXPECT_U64("same call", "fingerprint", pa_reload_fingerprint(intents, locales), normal);
    if (normal == swapped) {
        print_error("folders swapped: fingerprint 0x%016" PRIx64 " both ways\n", normal);
        fail();
    }
    clear_tree();
}

static int setup(void **state)
{
    (void)state;
    /* tmpfs lists a folder in the order its entries were made (ext4 in hash
     * order), which makes the reverse-order row a real test: prefer it. */
    snprintf(root, sizeof root, "/dev/shm/pa-reload-XXXXXX");
    if (!mkdtemp(root)) {
        snprintf(root, sizeof root, "/tmp/pa-reload-XXXXXX");
        if (!mkdtemp(root))
            return -1;
    }
    snprintf(intents, sizeof intents, "%s/intents", root);
    snprintf(locales, sizeof locales, "%s/locales", root);
    return 0;
}

/* After each test, passed or failed: an empty root again. */
static int clean(void **state)
{
    (void)state;
    remove_quietly(intents);
    remove_quietly(locales);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    remove_quietly(root);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_rows, clean),
        cmocka_unit_test_teardown(test_folders_not_swapped, clean),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

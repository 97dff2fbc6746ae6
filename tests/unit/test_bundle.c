/* Knowledge bundles unpacked (pa_bundle): one archive per row, written here
 * with libarchive, and what unpacking it gives: the files, or the reason it
 * is refused. Every refusal is checked to have written nothing outside the
 * target folder. */
#include "unit.h"

#include "pa_bundle.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* One entry of a test archive. */
typedef struct {
    const char *name;
    mode_t type;         /* AE_IFREG, AE_IFDIR, AE_IFLNK, AE_IFCHR */
    const char *content; /* a regular file's; a link's target */
    size_t size;         /* 0: strlen(content) */
    int hardlink;        /* a hard link to content */
} entry;

enum { ENTRIES_MAX = 6 };

typedef struct {
    const char *what;
    int gzip;
    entry entries[ENTRIES_MAX];
    const char *error; /* NULL: unpacks; else the start of the reason */
} row;

static char *big; /* PA_BUNDLE_FILE_BYTES_MAX + 1 bytes of JSON-ish text */

static void add_entry(struct archive *a, const entry *e)
{
    struct archive_entry *ae = archive_entry_new();
    archive_entry_set_pathname(ae, e->name);
    archive_entry_set_perm(ae, 0644);
    if (e->hardlink) {
        archive_entry_set_filetype(ae, AE_IFREG);
        archive_entry_set_hardlink(ae, e->content);
        archive_write_header(a, ae);
    } else if (e->type == AE_IFLNK) {
        archive_entry_set_filetype(ae, AE_IFLNK);
        archive_entry_set_symlink(ae, e->content);
        archive_write_header(a, ae);
    } else {
        const char *content = e->content ? e->content : "";
        size_t size = e->size ? e->size : strlen(content);
        archive_entry_set_filetype(ae, e->type);
        archive_entry_set_size(ae, e->type == AE_IFREG ? (la_int64_t)size : 0);
        archive_write_header(a, ae);
        if (e->type == AE_IFREG)
            archive_write_data(a, e->size ? big : content, size);
    }
    archive_entry_free(ae);
}

/* The archive of a row, in memory: *len bytes, malloc'd. */
static void *archive_of(const row *r, size_t *len)
{
    size_t cap = PA_BUNDLE_FILE_BYTES_MAX * 2 + 65536;
    void *buf = malloc(cap);
    struct archive *a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    if (r->gzip)
        archive_write_add_filter_gzip(a);
    archive_write_set_bytes_in_last_block(a, 1);
    assert_int_equal(archive_write_open_memory(a, buf, cap, len), ARCHIVE_OK);
    for (size_t i = 0; i < ENTRIES_MAX && r->entries[i].name; i++)
        add_entry(a, &r->entries[i]);
    archive_write_close(a);
    archive_write_free(a);
    return buf;
}

static const row rows[] = {
    {"a knowledge, gzip-compressed",
     1,
     {{"intents/", AE_IFDIR, NULL, 0, 0},
      {"intents/partner/sopot.json", AE_IFREG, "{\"id\": \"partner.sopot\"}", 0, 0},
      {"./locales/fr.json", AE_IFREG, "{\"code\": \"fr\"}", 0, 0}},
     NULL},
    {"an uncompressed tar", 0, {{"locales/de.json", AE_IFREG, "{}", 0, 0}}, NULL},
    {"a name going up",
     1,
     {{"intents/../../escaped.json", AE_IFREG, "{}", 0, 0}},
     "intents/../../escaped.json: a name may not contain"},
    {"an absolute name",
     1,
     {{"/tmp/escaped.json", AE_IFREG, "{}", 0, 0}},
     "/tmp/escaped.json: an absolute name"},
    {"outside the two folders",
     1,
     {{"etc/passwd", AE_IFREG, "x", 0, 0}},
     "etc/passwd: outside intents/ and locales/"},
    {"a symbolic link",
     1,
     {{"intents/", AE_IFDIR, NULL, 0, 0}, {"intents/link", AE_IFLNK, "/etc", 0, 0}},
     "intents/link: only folders and regular files"},
    {"a link then a file through it",
     1,
     {{"intents/up", AE_IFLNK, "..", 0, 0}, {"intents/up/escaped.json", AE_IFREG, "{}", 0, 0}},
     "intents/up: only folders and regular files"},
    {"a hard link",
     1,
     {{"intents/a.json", AE_IFREG, "{}", 0, 0},
      {"intents/b.json", AE_IFREG, "intents/a.json", 0, 1}},
     "intents/b.json: only folders and regular files"},
    {"a device",
     1,
     {{"intents/null", AE_IFCHR, NULL, 0, 0}},
     "intents/null: only folders and regular files"},
    {"one file twice",
     1,
     {{"intents/a.json", AE_IFREG, "{}", 0, 0}, {"intents/a.json", AE_IFREG, "{}", 0, 0}},
     "intents/a.json: given twice"},
    {"a file too large",
     1,
     {{"intents/huge.json", AE_IFREG, NULL, PA_BUNDLE_FILE_BYTES_MAX + 1, 0}},
     "intents/huge.json: larger than a knowledge file may be"},
    {"an empty archive", 1, {{NULL, 0, NULL, 0, 0}}, "bundle: no file in the bundle"},
};

static int exists(const char *dir, const char *rel)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    struct stat st;
    return lstat(path, &st) == 0;
}

static void test_rows(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        const row *r = &rows[i];
        char top[64], dir[96], err[PA_BUNDLE_ERROR_MAX] = "";
        snprintf(top, sizeof top, "/tmp/pa-bundle-XXXXXX");
        assert_non_null(mkdtemp(top));
        snprintf(dir, sizeof dir, "%s/in", top);
        assert_int_equal(mkdir(dir, 0755), 0);
        size_t len = 0;
        void *data = archive_of(r, &len);
        int rc = pa_bundle_unpack(data, len, dir, err, sizeof err);
        free(data);
        if (!r->error) {
            EXPECT_STR(r->what, "error", err, "");
            EXPECT_INT(r->what, "result", rc, 0);
            for (size_t e = 0; e < ENTRIES_MAX && r->entries[e].name; e++) {
                const char *name = r->entries[e].name;
                if (!strncmp(name, "./", 2))
                    name += 2;
                EXPECT_INT(name, "unpacked", exists(dir, name), 1);
            }
        } else {
            EXPECT_INT(r->what, "result", rc, -1);
            if (strncmp(err, r->error, strlen(r->error))) {
                print_error("%s: error \"%s\", expected it to start with \"%s\"\n", r->what, err,
                            r->error);
                fail();
            }
            EXPECT_INT(r->what, "escaped beside the folder", exists(top, "escaped.json"), 0);
            EXPECT_INT(r->what, "escaped in /tmp", exists("/tmp", "escaped.json"), 0);
        }
        assert_int_equal(pa_bundle_remove_tree(top), 0);
        EXPECT_INT(r->what, "removed", exists(top, ""), 0);
    }
}

/* Bytes that are not an archive at all. */
static void test_not_an_archive(void **state)
{
    (void)state;
    char dir[64], err[PA_BUNDLE_ERROR_MAX] = "";
    snprintf(dir, sizeof dir, "/tmp/pa-bundle-XXXXXX");
    assert_non_null(mkdtemp(dir));
    static const char text[] = "<html>404 Not Found</html>";
    assert_int_equal(pa_bundle_unpack(text, sizeof text - 1, dir, err, sizeof err), -1);
    assert_true(strncmp(err, "bundle: ", 8) == 0);
    assert_int_equal(pa_bundle_remove_tree(dir), 0);
}

int main(void)
{
    big = malloc(PA_BUNDLE_FILE_BYTES_MAX + 1);
    memset(big, ' ', PA_BUNDLE_FILE_BYTES_MAX + 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows),
        cmocka_unit_test(test_not_an_archive),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    free(big);
    return rc;
}

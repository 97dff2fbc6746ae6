#include "pa_bundle.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int fail(char *err, size_t size, const char *name, const char *what)
{
    snprintf(err, size, "%s: %s", name && *name ? name : "bundle", what);
    return -1;
}

static int in_knowledge(const char *name)
{
    return !strncmp(name, "intents/", 8) || !strncmp(name, "locales/", 8) ||
           !strcmp(name, "intents") || !strcmp(name, "locales");
}

/* The entry's name without a leading "./", or NULL when it may not be
 * unpacked: absolute, with a "..", "." or empty component, or outside the
 * two knowledge folders. Sets *why. */
static const char *checked_name(const char *name, const char **why)
{
    while (name[0] == '.' && name[1] == '/')
        name += 2;
    if (name[0] == '/') {
        *why = "an absolute name";
        return NULL;
    }
    if (!in_knowledge(name)) {
        *why = "outside intents/ and locales/";
        return NULL;
    }
    for (const char *p = name; *p;) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        int last = !slash || !slash[1]; /* "intents/" ends in its slash */
        if ((n == 2 && !strncmp(p, "..", 2)) || (n == 1 && *p == '.') || (n == 0 && !last)) {
            *why = "a name may not contain \"..\", \".\" or \"//\"";
            return NULL;
        }
        p += n + (slash ? 1 : 0);
    }
    return name;
}

/* Makes dir/one, dir/one/two... for each folder of rel (and rel itself when
 * it names a folder), refusing to pass through anything that is not a
 * folder: a bundle cannot make a link that a later entry would follow. */
static int make_folders(const char *dir, const char *rel, int rel_is_folder)
{
    char path[4096];
    int n = snprintf(path, sizeof path, "%s/%s", dir, rel);
    if (n < 0 || (size_t)n >= sizeof path)
        return -1;
    size_t start = strlen(dir) + 1;
    for (size_t i = start;; i++) {
        int end = path[i] == '\0';
        if (path[i] != '/' && !(end && rel_is_folder)) {
            if (end)
                return 0;
            continue;
        }
        char saved = path[i];
        path[i] = '\0';
        struct stat st;
        int ok = (mkdir(path, 0755) == 0 || errno == EEXIST) && lstat(path, &st) == 0 &&
                 S_ISDIR(st.st_mode);
        path[i] = saved;
        if (!ok)
            return -1;
        if (end)
            return 0;
    }
}

static int write_entry(struct archive *a, const char *dir, const char *name, size_t *total,
                       char *err, size_t err_size)
{
    if (make_folders(dir, name, 0) != 0)
        return fail(err, err_size, name, "its folder cannot be made");
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0)
        return fail(err, err_size, name, errno == EEXIST ? "given twice" : strerror(errno));
    size_t size = 0;
    char buf[16384];
    la_ssize_t n;
    int rc = 0;
    while (rc == 0 && (n = archive_read_data(a, buf, sizeof buf)) > 0) {
        size += (size_t)n;
        *total += (size_t)n;
        if (size > PA_BUNDLE_FILE_BYTES_MAX)
            rc = fail(err, err_size, name, "larger than a knowledge file may be");
        else if (*total > PA_BUNDLE_TOTAL_BYTES_MAX)
            rc = fail(err, err_size, name, "the bundle is larger than a knowledge may be");
        else if (write(fd, buf, (size_t)n) != n)
            rc = fail(err, err_size, name, strerror(errno));
    }
    if (rc == 0 && n < 0)
        rc = fail(err, err_size, name, archive_error_string(a));
    if (close(fd) != 0 && rc == 0)
        rc = fail(err, err_size, name, strerror(errno));
    return rc;
}

static int unpack_entries(struct archive *a, const char *dir, char *err, size_t err_size)
{
    struct archive_entry *e;
    size_t files = 0, total = 0;
    int r;
    while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
        const char *raw = archive_entry_pathname(e), *why = NULL;
        const char *name = raw ? checked_name(raw, &why) : NULL;
        if (!name)
            return fail(err, err_size, raw, why ? why : "an entry without a name");
        mode_t type = archive_entry_filetype(e);
        if (type == AE_IFDIR) {
            if (make_folders(dir, name, 1) != 0)
                return fail(err, err_size, name, "the folder cannot be made");
            continue;
        }
        if (type != AE_IFREG || archive_entry_hardlink(e))
            return fail(err, err_size, name, "only folders and regular files may be in a bundle");
        if (++files > PA_BUNDLE_FILES_MAX)
            return fail(err, err_size, name, "more files than a bundle may hold");
        if (write_entry(a, dir, name, &total, err, err_size) != 0)
            return -1;
    }
    if (r != ARCHIVE_EOF)
        return fail(err, err_size, NULL, archive_error_string(a));
    if (files == 0)
        return fail(err, err_size, NULL, "no file in the bundle");
    return 0;
}

int pa_bundle_unpack(const void *data, size_t len, const char *dir, char *err, size_t err_size)
{
    struct archive *a = archive_read_new();
    archive_read_support_filter_gzip(a);
    archive_read_support_filter_none(a);
    archive_read_support_format_tar(a);
    int rc;
    if (archive_read_open_memory(a, data, len) != ARCHIVE_OK)
        rc = fail(err, err_size, NULL, archive_error_string(a));
    else
        rc = unpack_entries(a, dir, err, err_size);
    archive_read_free(a);
    return rc;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

int pa_bundle_remove_tree(const char *dir)
{
    struct stat st;
    if (lstat(dir, &st) != 0)
        return errno == ENOENT ? 0 : -1;
    return nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

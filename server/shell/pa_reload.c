#include "pa_reload.h"

#include "pa_alloc.h"
#include "pa_map.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum {
    PA_RELOAD_DEPTH_MAX = 8, /* folders below the knowledge's own that are looked at */
    PA_RELOAD_CHUNK = 16384, /* bytes read at a time */
};

/* Hashes a file's bytes, and its length so that two files cannot trade
 * bytes across their boundary unnoticed. An unreadable file hashes as its
 * error, so that its becoming readable is a change. */
static uint64_t hash_content(const char *path, uint64_t h)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return pa_hash_bytes(h, "?", 1);
    char chunk[PA_RELOAD_CHUNK];
    uint64_t total = 0;
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        h = pa_hash_bytes(h, chunk, n);
        total += n;
    }
    fclose(f);
    return pa_hash_bytes(h, &total, sizeof total);
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Hashes entries in name order so that the fingerprint does not depend on
 * the order readdir happens to return. */
static uint64_t walk(const char *dir, uint64_t h, int depth)
{
    DIR *d = opendir(dir);
    if (!d || depth > PA_RELOAD_DEPTH_MAX) {
        if (d)
            closedir(d);
        return h;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 32;
            names = pa_xrealloc(names, cap * sizeof *names);
        }
        names[n++] = pa_xstrdup(e->d_name);
    }
    closedir(d);
    if (n) /* qsort wants an array, even of nothing */
        qsort(names, n, sizeof *names, cmp_name);
    for (size_t i = 0; i < n; i++) {
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        struct stat st;
        if (stat(path, &st) == 0) {
            h = pa_hash_bytes(h, path, strlen(path));
            if (S_ISDIR(st.st_mode))
                h = walk(path, h, depth + 1);
            else if (S_ISREG(st.st_mode))
                h = hash_content(path, h);
        }
        free(names[i]);
    }
    free(names);
    return h;
}

uint64_t pa_reload_fingerprint(const char *intents_dir, const char *locales_dir)
{
    uint64_t h = 14695981039346656037ULL;
    h = walk(intents_dir, h, 0);
    return walk(locales_dir, h, 0);
}

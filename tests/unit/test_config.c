/* The settings of `passerelle serve` (pa_config): values and their errors,
 * the file, the environment, the checks across settings, and that
 * docs/operations.md describes every key with its default. */
#include "unit.h"

#include "pa_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void defaults(pa_config *c)
{
    pa_config_defaults(c, "/k/intents", "/k/locales", "/k/web");
}

static void test_defaults(void **state)
{
    (void)state;
    pa_config c;
    defaults(&c);
    EXPECT_STR("defaults", "listen", c.listen, "127.0.0.1:8080");
    EXPECT_STR("defaults", "admin-listen", c.admin_listen, "127.0.0.1:8081");
    EXPECT_STR("defaults", "intents", c.intents_dir, "/k/intents");
    EXPECT_INT("defaults", "max-connections", c.max_connections, 10000);
    EXPECT_INT("defaults", "idle-timeout", c.idle_timeout_ms, 120000);
    EXPECT_INT("defaults", "max-text", c.max_text, 1000);
    char err[PA_CONFIG_ERROR_MAX];
    EXPECT_INT("defaults", "check", pa_config_check(&c, err), 0);
    pa_config_clear(&c);
}

static const struct {
    const char *key, *value;
    int ok;
    const char *error; /* part of the message */
} values[] = {
    {"idle-timeout", "30", 1, NULL},
    {"idle-timeout", "2.5", 0, "'2.5' is not a number of seconds from 3 to 86400"},
    {"idle-timeout", "0.5e2", 1, NULL},
    {"idle-timeout", "abc", 0, "not a number of seconds"},
    {"idle-timeout", "", 0, "not a number"},
    {"reload-debounce", "0.25", 1, NULL},
    {"max-connections", "1.5", 0, "not a whole number"},
    {"max-connections", "-3", 0, "not a whole number"},
    {"max-connections", "0", 0, "from 1 to 1000000"},
    {"max-connections", "99999999999999999999999", 0, "not a whole number"},
    {"rate-per-second", "0.5", 1, NULL},
    {"rate-per-second", "nan", 0, "not a number"},
    {"forwarded-header", "forwarded", 1, NULL},
    {"forwarded-header", "X-Real-IP", 0, "neither x-forwarded-for nor forwarded"},
    {"max-conections", "5", 0, "unknown setting 'max-conections'"},
    {"trusted-proxies", "10.0.0.0/8 ::1", 1, NULL},
};

static void test_values(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof values / sizeof *values; i++) {
        pa_config c;
        defaults(&c);
        char err[PA_CONFIG_ERROR_MAX] = "";
        int rc = pa_config_set(&c, values[i].key, values[i].value, "test", err);
        EXPECT_INT(values[i].value, values[i].key, rc, values[i].ok ? 0 : -1);
        if (!values[i].ok && !strstr(err, values[i].error)) {
            print_error("%s = %s: message \"%s\" lacks \"%s\"\n", values[i].key, values[i].value,
                        err, values[i].error);
            fail();
        }
        pa_config_clear(&c);
    }
}

static const struct {
    const char *key, *value, *error;
} checks[] = {
    {"listen", "8080", "listen: '8080' is not ADDR:PORT"},
    {"admin-listen", "127.0.0.1:8080", "must differ"},
    {"admin-listen", "[::1]:99999", "is not ADDR:PORT"},
    {"trusted-proxies", "10.0.0.0/8 proxy.example", "trusted-proxies: 'proxy.example'"},
    {"allowed-origins", "www.colombes.fr", "allowed-origins: 'www.colombes.fr'"},
    {"max-text", "5000", "max-frame-bytes: 8192 is too small for max-text 5000"},
};

static void test_checks(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof checks / sizeof *checks; i++) {
        pa_config c;
        defaults(&c);
        char err[PA_CONFIG_ERROR_MAX] = "";
        assert_int_equal(pa_config_set(&c, checks[i].key, checks[i].value, "test", err), 0);
        EXPECT_INT(checks[i].value, "check", pa_config_check(&c, err), -1);
        if (!strstr(err, checks[i].error)) {
            print_error("%s = %s: message \"%s\" lacks \"%s\"\n", checks[i].key, checks[i].value,
                        err, checks[i].error);
            fail();
        }
        pa_config_clear(&c);
    }
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_file(void **state)
{
    (void)state;
    char path[] = "/tmp/pa-config-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    pa_config c;
    char err[PA_CONFIG_ERROR_MAX];
    write_file(path, "# Passerelle\n\nlisten = 0.0.0.0:80   # public\n"
                     "allowed-origins = https://www.colombes.fr https://colombes.fr\n"
                     "  idle-timeout=45\n");
    defaults(&c);
    assert_int_equal(pa_config_load_file(&c, path, err), 0);
    EXPECT_STR(path, "listen", c.listen, "0.0.0.0:80");
    EXPECT_STR(path, "allowed-origins", c.allowed_origins,
               "https://www.colombes.fr https://colombes.fr");
    EXPECT_INT(path, "idle-timeout", c.idle_timeout_ms, 45000);
    pa_config_clear(&c);

    static const struct {
        const char *text, *error;
    } bad[] = {
        {"listen 0.0.0.0:80\n", ":1: expected 'key = value'"},
        {"\nidle-timeout = 45\nidle-timeout = 50\n", ":3: idle-timeout is already set on line 2"},
        {"max-connections = many\n", ":1: max-connections: 'many' is not a whole number"},
        {"colour = blue\n", ":1: unknown setting 'colour'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        write_file(path, bad[i].text);
        defaults(&c);
        EXPECT_INT(bad[i].text, "load", pa_config_load_file(&c, path, err), -1);
        if (!strstr(err, path) || !strstr(err, bad[i].error)) {
            print_error("%s: message \"%s\" lacks \"%s\"\n", bad[i].text, err, bad[i].error);
            fail();
        }
        pa_config_clear(&c);
    }
    unlink(path);
    defaults(&c);
    EXPECT_INT("missing file", "load", pa_config_load_file(&c, path, err), -1);
    pa_config_clear(&c);
}

static const char *fake_env(const char *name)
{
    if (!strcmp(name, "PASSERELLE_MAX_CONNECTIONS_PER_ADDRESS"))
        return "12";
    if (!strcmp(name, "PASSERELLE_LISTEN"))
        return "[::]:8080";
    return NULL;
}

static void test_env(void **state)
{
    (void)state;
    char name[64];
    pa_config_env_name(0, name, sizeof name);
    EXPECT_STR("env name", "listen", name, "PASSERELLE_LISTEN");
    pa_config c;
    char err[PA_CONFIG_ERROR_MAX];
    defaults(&c);
    assert_int_equal(pa_config_load_env(&c, fake_env, err), 0);
    EXPECT_INT("env", "per address", c.max_per_address, 12);
    EXPECT_STR("env", "listen", c.listen, "[::]:8080");
    assert_int_equal(pa_config_check(&c, err), 0);
    pa_config_clear(&c);
}

/* The operator's guide lists every key, with the default --print-config
 * shows. */
static void test_documented(void **state)
{
    (void)state;
    FILE *f = fopen(PASSERELLE_SOURCE_DIR "/docs/operations.md", "r");
    assert_non_null(f);
    static char doc[1 << 17];
    size_t n = fread(doc, 1, sizeof doc - 1, f);
    fclose(f);
    doc[n] = '\0';
    pa_config c;
    defaults(&c);
    char *printed = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&printed, &size);
    pa_config_print(&c, out);
    fclose(out);
    for (size_t i = 0; pa_config_key(i); i++) {
        char row[128], line[128];
        snprintf(row, sizeof row, "| `%s` |", pa_config_key(i));
        if (!strstr(doc, row)) {
            print_error("docs/operations.md has no row \"%s\"\n", row);
            fail();
        }
        /* the default, as printed, is in the row */
        snprintf(line, sizeof line, "\n%s = ", pa_config_key(i));
        const char *p = strstr(printed, line);
        assert_non_null(p);
        p += strlen(line);
        char value[64];
        size_t len = strcspn(p, "\n");
        snprintf(value, sizeof value, "`%.*s`", (int)len, p);
        const char *r = strstr(doc, row), *end = strchr(r, '\n');
        if (len && strncmp(pa_config_key(i), "intents", 7) &&
            strncmp(pa_config_key(i), "locales", 7) && strcmp(pa_config_key(i), "web") &&
            (!strstr(r, value) || strstr(r, value) > end)) {
            print_error("docs/operations.md: the row of %s lacks its default %s\n",
                        pa_config_key(i), value);
            fail();
        }
    }
    free(printed);
    pa_config_clear(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults), cmocka_unit_test(test_values),
        cmocka_unit_test(test_checks),   cmocka_unit_test(test_file),
        cmocka_unit_test(test_env),      cmocka_unit_test(test_documented),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* pa_link: which web addresses, e-mail addresses and phone numbers an intent
 * file may give residents. Values are test data (example.org, fictitious
 * numbers), not the city's. */
#include "unit.h"

#include "pa_link.h"

static const struct {
    const char *url;
    int valid;
} urls[] = {
    {"https://www.example.org", 1},
    {"https://www.example.org/", 1},
    {"https://example.org/a/b-c_d.html?x=1&y=%C3%A9#top", 1},
    {"https://www.example.org:8443/page", 1},
    {"https://sub.domain.example.org/~staff/(info)", 1},
    {"http://www.example.org", 0},          /* not https */
    {"https:/www.example.org", 0},          /* scheme cut short */
    {"www.example.org", 0},                 /* no scheme */
    {"https://", 0},                        /* no host */
    {"https://localhost/", 0},              /* a host name with one label */
    {"https://www.example.org/a b", 0},     /* a space */
    {"https://www.example.org/é", 0},       /* not percent-encoded */
    {"https://www.example.org/%zz", 0},     /* a broken escape */
    {"https://user@www.example.org/", 0},   /* credentials before the host */
    {"https://www.exa_mple.org/", 0},       /* not a host name character */
    {"https://-example.org/", 0},           /* a label starting with a dash */
    {"https://www..example.org/", 0},       /* an empty label */
    {"https://www.example.org:/", 0},       /* a port without digits */
    {"https://www.example.org:123456/", 0}, /* a port too long */
    {"https://www.example.org/\"x\"", 0},   /* a quote */
    {"https://www.example.org/<x>", 0},     /* angle brackets */
    {"javascript:alert(1)", 0},
    {"", 0},
};

static void test_urls(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof urls / sizeof *urls; i++)
        EXPECT_INT(urls[i].url, "valid", pa_link_valid_url(urls[i].url), urls[i].valid);
    char long_url[PA_URL_MAX_CHARS + 2] = "https://www.example.org/";
    memset(long_url + strlen(long_url), 'a', sizeof long_url - 1 - strlen(long_url));
    long_url[sizeof long_url - 1] = '\0';
    EXPECT_INT("one byte too long", "valid", pa_link_valid_url(long_url), 0);
    long_url[sizeof long_url - 2] = '\0';
    EXPECT_INT("as long as allowed", "valid", pa_link_valid_url(long_url), 1);
}

static const struct {
    const char *email;
    int valid;
} emails[] = {
    {"international@example.org", 1},
    {"relations.internationales@mairie.example.org", 1},
    {"a+b_c-d@example-city.org", 1},
    {"x@example.fr", 1},
    {"international@example", 0},     /* one label */
    {"international@example.o", 0},   /* a one-letter top-level domain */
    {"international@example.123", 0}, /* a numeric top-level domain */
    {"@example.org", 0},              /* no local part */
    {"international@", 0},            /* no domain */
    {"international.example.org", 0}, /* no @ */
    {"a@b@example.org", 0},           /* two @ */
    {".a@example.org", 0},            /* a dot first */
    {"a.@example.org", 0},            /* a dot last */
    {"a..b@example.org", 0},          /* two dots */
    {"a b@example.org", 0},           /* a space */
    {"accueil@exa mple.org", 0},      /* a space in the domain */
    {"mailto:a@example.org", 0},      /* the scheme is added by the server */
    {"élise@example.org", 0},         /* not ASCII */
    {"a@-example.org", 0},            /* a label starting with a dash */
    {"", 0},
};

static void test_emails(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof emails / sizeof *emails; i++)
        EXPECT_INT(emails[i].email, "valid", pa_link_valid_email(emails[i].email), emails[i].valid);
}

static const struct {
    const char *phone, *tel; /* NULL: refused */
} phones[] = {
    {"+33 1 23 45 67 89", "+33123456789"},
    {"+33123456789", "+33123456789"},
    {"+33.1.23.45.67.89", "+33123456789"},
    {"+49-6233-000000", "+496233000000"},
    {"+216 72 000 000", "+21672000000"},
    {"+1 555 0100", "+15550100"},
    {"01 23 45 67 89", NULL},             /* national form: no country code */
    {"+33 (0)1 23 45 67 89", NULL},       /* the trunk 0 in brackets */
    {"+0 123 456 789", NULL},             /* no country code starts with 0 */
    {"+33  1 23 45 67 89", NULL},         /* two separators in a row */
    {"+33 1 23 45 67 89 ", NULL},         /* a separator last */
    {"+ 33 1 23 45 67 89", NULL},         /* a separator first */
    {"+33 1 23", NULL},                   /* too few digits */
    {"+33 1 23 45 67 89 01 23 45", NULL}, /* too many digits */
    {"+33 1 23 45 67 8a", NULL},          /* a letter */
    {"tel:+33123456789", NULL},           /* the scheme is added by the server */
    {"", NULL},
};

static void test_phones(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof phones / sizeof *phones; i++) {
        char tel[PA_PHONE_TEL_MAX];
        int rc = pa_link_phone_tel(phones[i].phone, tel, sizeof tel);
        EXPECT_INT(phones[i].phone, "accepted", rc == 0, phones[i].tel != NULL);
        EXPECT_STR(phones[i].phone, "tel", tel, phones[i].tel ? phones[i].tel : "");
    }
    char small[4];
    EXPECT_INT("small buffer", "rc", pa_link_phone_tel("+33123456789", small, sizeof small), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_urls),
        cmocka_unit_test(test_emails),
        cmocka_unit_test(test_phones),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

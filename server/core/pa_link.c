#include "pa_link.h"

#include <string.h>

/* Locale-free character classes: the strings are UTF-8, and only ASCII is
 * allowed in what these functions accept. */
static int is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_hex(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Labels of letters, digits and dashes (none first or last), separated by
 * single dots, at least two, the last one of letters only (a top-level
 * domain), between s and end. */
static int valid_domain(const char *s, const char *end)
{
    int labels = 0, tld_letters = 1;
    const char *label = s;
    for (const char *p = s; p <= end; p++) {
        if (p == end || *p == '.') {
            if (p == label || label[0] == '-' || p[-1] == '-')
                return 0;
            labels++;
            if (p < end) {
                label = p + 1;
                tld_letters = 1;
            }
            continue;
        }
        if (!is_alpha(*p) && !is_digit(*p) && *p != '-')
            return 0;
        if (!is_alpha(*p))
            tld_letters = 0;
    }
    return labels >= 2 && tld_letters && end - label >= 2;
}

/* RFC 3986's characters of a path, query or fragment, but for '%', which
 * must start an escape. */
static int is_url_char(char c)
{
    return is_alpha(c) || is_digit(c) || (c && strchr("-._~!$&'()*+,;=:@/?#", c) != NULL);
}

int pa_link_valid_url(const char *s)
{
    static const char scheme[] = "https://";
    size_t n = strlen(s);
    if (n > PA_URL_MAX_CHARS || strncmp(s, scheme, sizeof scheme - 1))
        return 0;
    const char *host = s + sizeof scheme - 1;
    const char *end = host + strcspn(host, ":/?#");
    if (!valid_domain(host, end))
        return 0;
    const char *p = end;
    if (*p == ':') { /* a port: digits only */
        const char *digits = ++p;
        while (is_digit(*p))
            p++;
        if (p == digits || p - digits > 5 || (*p && *p != '/' && *p != '?' && *p != '#'))
            return 0;
    }
    for (; *p; p++) {
        if (*p == '%') {
            if (!is_hex(p[1]) || !is_hex(p[2]))
                return 0;
            p += 2;
        } else if (!is_url_char(*p)) {
            return 0;
        }
    }
    return 1;
}

int pa_link_valid_email(const char *s)
{
    size_t n = strlen(s);
    const char *at = strchr(s, '@');
    if (n > PA_EMAIL_MAX_CHARS || !at || at == s || at - s > PA_EMAIL_LOCAL_MAX ||
        strchr(at + 1, '@'))
        return 0;
    for (const char *p = s; p < at; p++) {
        int dot = *p == '.';
        if (dot && (p == s || p + 1 == at || p[1] == '.'))
            return 0;
        if (!dot && !is_alpha(*p) && !is_digit(*p) && !strchr("!#$%&'*+/=?^_`{|}~-", *p))
            return 0;
    }
    return valid_domain(at + 1, s + n);
}

int pa_link_phone_tel(const char *s, char *out, size_t size)
{
    size_t k = 0;
    if (size < PA_PHONE_TEL_MAX)
        return -1;
    out[0] = '\0';
    if (strlen(s) > PA_PHONE_MAX_CHARS || s[0] != '+' || !is_digit(s[1]) || s[1] == '0')
        return -1;
    out[k++] = '+';
    for (const char *p = s + 1; *p; p++) {
        if (is_digit(*p)) {
            if (k - 1 == PA_PHONE_DIGITS_MAX) {
                out[0] = '\0';
                return -1;
            }
            out[k++] = *p;
        } else if (!strchr(" .-", *p) || !is_digit(p[-1]) || !is_digit(p[1])) {
            out[0] = '\0'; /* a separator stands between two digits, alone */
            return -1;
        }
    }
    out[k] = '\0';
    if (k - 1 < PA_PHONE_DIGITS_MIN) {
        out[0] = '\0';
        return -1;
    }
    return 0;
}

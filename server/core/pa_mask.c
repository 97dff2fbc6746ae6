#include "pa_mask.h"

#include "pa_alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

/* How much of a run of digits is remembered to classify it: phone numbers
 * and dates are far shorter, and a longer run is a [number] whatever it is. */
enum { RUN_DIGITS_MAX = 64, RUN_GROUPS_MAX = 32 };

/* International numbers (ITU E.164) have at most 15 digits after the "+";
 * the shortest of the six countries' (Tunisia's: +216 and 8) has 11. */
enum { INTL_DIGITS_MIN = 8, INTL_DIGITS_MAX = 15 };

/* A national number with its trunk "0": French ones have 10 digits, German
 * ones 7 to 12 ("0621 12345", "030 12345678"). */
enum { TRUNK_DIGITS_MIN = 7, TRUNK_DIGITS_MAX = 12 };

static const char TOKEN_EMAIL[] = "[email]";
static const char TOKEN_PHONE[] = "[phone]";
static const char TOKEN_NUMBER[] = "[number]";

typedef enum { KEEP, PHONE, NUMBER } run_kind;

/* ---- characters ------------------------------------------------------------ */

/* The value of a decimal digit in ASCII, Arabic-Indic, Eastern Arabic-Indic
 * (Persian, Urdu) or fullwidth form; -1 for anything else. */
static int digit(int32_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 0x0660 && c <= 0x0669)
        return c - 0x0660;
    if (c >= 0x06F0 && c <= 0x06F9)
        return c - 0x06F0;
    if (c >= 0xFF10 && c <= 0xFF19)
        return c - 0xFF10;
    return -1;
}

static int is_letter(int32_t c)
{
    utf8proc_category_t k = utf8proc_category(c);
    return (k >= UTF8PROC_CATEGORY_LU && k <= UTF8PROC_CATEGORY_LO) ||
           (k >= UTF8PROC_CATEGORY_MN && k <= UTF8PROC_CATEGORY_ME);
}

/* Letters, marks and digits of any script. */
static int is_alnum(int32_t c)
{
    return is_letter(c) || digit(c) >= 0 ||
           utf8proc_category(c) == UTF8PROC_CATEGORY_ND; /* other scripts' digits */
}

/* What may stand in the name part of an address (RFC 5322's atext, and
 * letters of any script). */
static int is_local(int32_t c)
{
    return is_alnum(c) || (c < 0x80 && c > 0x20 && strchr("._%+-!#$&*/=?^`{|}~", (int)c));
}

static int is_domain(int32_t c)
{
    return is_alnum(c) || c == '-';
}

static int lower(int32_t c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* Between the groups of one number: a space (also the no-break ones French
 * typography puts in numbers), a dot, a dash, a slash, Arabic's decimal
 * and thousands separators, and the invisible direction marks that
 * right-to-left text puts around digits. */
static int is_group_separator(int32_t c)
{
    switch (c) {
    case ' ':
    case '.':
    case '-':
    case '/':
    case 0x00A0: /* no-break space */
    case 0x2007: /* figure space */
    case 0x2009: /* thin space */
    case 0x202F: /* narrow no-break space */
    case 0x2010: /* hyphen */
    case 0x2011: /* non-breaking hyphen */
    case 0x2012: /* figure dash */
    case 0x2013: /* en dash: "1992–2004" */
    case 0x066B: /* Arabic decimal separator */
    case 0x066C: /* Arabic thousands separator */
    case 0x200E: /* left-to-right mark */
    case 0x200F: /* right-to-left mark */ return 1;
    default: return 0;
    }
}

/* ---- the text as code points, and the copy ------------------------------- */

typedef struct {
    int32_t *cp;
    size_t n;
} chars;

/* Decodes text; bytes that are not UTF-8, and NULs, become U+FFFD. */
static void decode(const char *text, size_t len, chars *out)
{
    out->cp = pa_xmalloc((len + 1) * sizeof *out->cp);
    out->n = 0;
    for (size_t i = 0; i < len;) {
        utf8proc_int32_t c;
        utf8proc_ssize_t k =
            utf8proc_iterate((const utf8proc_uint8_t *)text + i, (utf8proc_ssize_t)(len - i), &c);
        if (k <= 0 || c == 0) {
            c = 0xFFFD;
            k = 1;
        }
        out->cp[out->n++] = c;
        i += (size_t)k;
    }
}

typedef struct {
    char *s;
    size_t len, cap;
} out_buf;

static void put(out_buf *o, const char *p, size_t n)
{
    if (o->len + n + 1 > o->cap) {
        while (o->len + n + 1 > o->cap)
            o->cap = o->cap ? o->cap * 2 : 64;
        o->s = pa_xrealloc(o->s, o->cap);
    }
    memcpy(o->s + o->len, p, n);
    o->len += n;
    o->s[o->len] = '\0';
}

static void put_chars(out_buf *o, const chars *t, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++) {
        utf8proc_uint8_t b[4];
        put(o, (const char *)b, (size_t)utf8proc_encode_char(t->cp[i], b));
    }
}

/* ---- emails ------------------------------------------------------------------ */

/* Matches the ASCII word w (lower case) at i, case-insensitively. */
static int word_at(const chars *t, size_t i, const char *w)
{
    for (size_t k = 0; w[k]; k++)
        if (i + k >= t->n || lower(t->cp[i + k]) != w[k])
            return 0;
    return 1;
}

/* A spelled-out sign, "(at)" or "[dot]", at i, with one optional space on
 * either side: returns the code points it takes, 0 when there is none. */
static size_t spelled(const chars *t, size_t i, const char *word)
{
    size_t p = i + (i < t->n && t->cp[i] == ' ');
    static const char *const brackets[] = {"()", "[]", "{}"};
    for (size_t b = 0; b < 3; b++) {
        size_t w = strlen(word);
        if (p < t->n && t->cp[p] == brackets[b][0] && word_at(t, p + 1, word) && p + 1 + w < t->n &&
            t->cp[p + 1 + w] == brackets[b][1]) {
            size_t end = p + 2 + w;
            return end - i + (end + 1 < t->n && t->cp[end] == ' ' && is_domain(t->cp[end + 1]));
        }
    }
    return 0;
}

/* The at sign after a name ending at i: '@', fullwidth '＠', "(at)". */
static size_t at_sign(const chars *t, size_t i)
{
    if (i < t->n && (t->cp[i] == '@' || t->cp[i] == 0xFF20))
        return 1;
    return spelled(t, i, "at");
}

static size_t dot_sign(const chars *t, size_t i)
{
    if (i + 1 < t->n && t->cp[i] == '.' && is_domain(t->cp[i + 1]))
        return 1;
    return spelled(t, i, "dot");
}

/* A domain from i: labels joined by dots, the last of at least two letters
 * ("colombes.fr", "wp.pl"). Returns where it ends, or 0 when there is none. */
static size_t domain_end(const chars *t, size_t i)
{
    size_t p = i, labels = 0, end = 0, tld = 0, tld_letters = 0;
    for (;;) {
        size_t start = p, letters = 0;
        while (p < t->n && is_domain(t->cp[p]))
            letters += is_letter(t->cp[p++]) != 0;
        if (p == start)
            break;
        labels++;
        end = p;
        tld = p - start;
        tld_letters = letters;
        size_t d = dot_sign(t, p);
        if (!d)
            break;
        p += d;
    }
    return labels >= 2 && tld >= 2 && tld_letters == tld ? end : 0;
}

/* An address starting at i (the first character of its name part): returns
 * where it ends, or 0. *name_end says where the name part ended, so that the
 * caller tries no other start inside it. */
static size_t email_end(const chars *t, size_t i, size_t *name_end)
{
    size_t p = i;
    while (p < t->n && is_local(t->cp[p]))
        p++;
    *name_end = p;
    size_t at = at_sign(t, p);
    return at ? domain_end(t, p + at) : 0;
}

/* ---- numbers ----------------------------------------------------------------- */

typedef struct {
    size_t start, end;           /* the code points to replace */
    char d[RUN_DIGITS_MAX + 1];  /* its first digits, in ASCII */
    size_t n;                    /* how many digits in all */
    size_t glen[RUN_GROUPS_MAX]; /* digits per group (the first ones) */
    int32_t sep[RUN_GROUPS_MAX]; /* what stands before group g > 0 */
    size_t groups;               /* how many groups in all */
    int plus;                    /* written with a "+" in front */
} digit_run;

/* Does a number start at i: a digit, "+" and a digit, "(" and either? */
static int run_starts(const chars *t, size_t i)
{
    size_t p = i;
    if (p < t->n && t->cp[p] == '(')
        p++;
    if (p < t->n && t->cp[p] == '+')
        p++;
    return p < t->n && digit(t->cp[p]) >= 0;
}

static void add_group(digit_run *r, size_t len, int32_t sep)
{
    if (r->groups < RUN_GROUPS_MAX) {
        r->glen[r->groups] = len;
        r->sep[r->groups] = sep;
    }
    r->groups++;
}

/* The digits of one group from *p. Returns how many. */
static size_t read_group(const chars *t, size_t *p, digit_run *r)
{
    size_t count = 0;
    for (int v; *p < t->n && (v = digit(t->cp[*p])) >= 0; (*p)++, count++) {
        if (r->n < RUN_DIGITS_MAX)
            r->d[r->n] = (char)('0' + v);
        r->n++;
    }
    r->d[r->n < RUN_DIGITS_MAX ? r->n : RUN_DIGITS_MAX] = '\0';
    return count;
}

/* Reads the number that starts at i (run_starts said so): groups of
 * digits joined by one separator, or by a parenthesis ("(0621) 12345",
 * "+33 (0)6 12..."), with one "+" in front. */
static void read_run(const chars *t, size_t i, digit_run *r)
{
    memset(r, 0, sizeof *r);
    size_t p = i, close_at = 0;
    int open = 0, closed = 0;
    if (t->cp[p] == '(') {
        open = 1;
        p++;
    }
    if (t->cp[p] == '+') {
        r->plus = 1;
        p++;
    }
    int32_t sep = 0;
    for (;;) {
        add_group(r, read_group(t, &p, r), sep);
        r->end = p;
        size_t k = p;
        sep = 0;
        if (open && k < t->n && t->cp[k] == ')') {
            open = 0;
            closed = 1;
            sep = ')';
            close_at = k;
            r->end = ++k;
        }
        if (k < t->n && is_group_separator(t->cp[k])) {
            if (!sep)
                sep = t->cp[k];
            k++;
        }
        if (!open && k + 1 < t->n && t->cp[k] == '(' && digit(t->cp[k + 1]) >= 0) {
            open = 1;
            sep = '(';
            k++;
        }
        if (k == p || k >= t->n || digit(t->cp[k]) < 0)
            break;
        p = k;
    }
    /* an opening parenthesis that nothing closed is not part of the number;
     * nor are two around the whole, "(+48 601 234 567)": they stay around
     * what replaces it */
    r->start = t->cp[i] == '(' && (!closed || close_at == p) ? i + 1 : i;
    if (t->cp[i] == '(' && closed && close_at == p)
        r->end = p;
}

/* A parenthesis between two groups ("(0621) 12345"), not only around the
 * whole ("(1992-2004)"): only phone numbers are written so. */
static int inner_parens(const digit_run *r)
{
    for (size_t g = 1; g < r->groups && g < RUN_GROUPS_MAX; g++)
        if (r->sep[g] == '(' || r->sep[g] == ')')
            return 1;
    return 0;
}

static int date_separator(int32_t c)
{
    return c == '.' || c == '/' || c == '-';
}

/* The value of group g, from the digits kept; -1 for a group of more than
 * four digits, which is no part of a year or a date (and would overflow). */
static int group_value(const digit_run *r, size_t g)
{
    if (r->glen[g] > 4)
        return -1;
    size_t at = 0;
    for (size_t k = 0; k < g; k++)
        at += r->glen[k];
    int v = 0;
    for (size_t k = 0; k < r->glen[g] && at + k < RUN_DIGITS_MAX; k++)
        v = v * 10 + (r->d[at + k] - '0');
    return v;
}

static int is_year(const digit_run *r, size_t g)
{
    int v = group_value(r, g);
    return r->glen[g] == 4 && v >= 1000 && v <= 2199;
}

static int in_range(int v, int lo, int hi)
{
    return v >= lo && v <= hi;
}

/* "12.05.2023", "1/5/23", "2023-05-12": three groups, one separator. */
static int is_date(const digit_run *r)
{
    if (r->groups != 3 || r->plus || r->sep[1] != r->sep[2] || !date_separator(r->sep[1]))
        return 0;
    const size_t *l = r->glen;
    if (l[0] == 4)
        return is_year(r, 0) && l[1] <= 2 && l[2] <= 2 && in_range(group_value(r, 1), 1, 12) &&
               in_range(group_value(r, 2), 1, 31);
    return l[0] <= 2 && l[1] <= 2 && (l[2] == 2 || is_year(r, 2)) &&
           in_range(group_value(r, 0), 1, 31) && in_range(group_value(r, 1), 1, 31);
}

/* "1992-2004", "1958 1959": two years. */
static int is_year_range(const digit_run *r)
{
    return r->groups == 2 && !r->plus && !inner_parens(r) && is_year(r, 0) && is_year(r, 1);
}

/* "12 000 000", "2.500.000": a round amount in thousands. */
static int is_round_amount(const digit_run *r)
{
    if (r->groups < 2 || r->groups > RUN_GROUPS_MAX || r->plus || r->glen[0] > 3 ||
        r->n > RUN_DIGITS_MAX || strcmp(r->d + r->n - 3, "000"))
        return 0;
    for (size_t g = 1; g < r->groups; g++)
        if (r->glen[g] != 3 || r->sep[g] != r->sep[1])
            return 0;
    switch (r->sep[1]) {
    case ' ':
    case '.':
    case 0x00A0:
    case 0x2007:
    case 0x2009:
    case 0x202F:
    case 0x066C: return 1;
    default: return 0;
    }
}

/* Written as phone numbers are: at least three groups of two or three. */
static int phone_grouping(const digit_run *r)
{
    if (r->groups < 3 || r->groups > RUN_GROUPS_MAX)
        return 0;
    for (size_t g = 0; g < r->groups; g++)
        if (r->glen[g] < 2 || r->glen[g] > 3)
            return 0;
    return 1;
}

static int is_phone(const digit_run *r)
{
    const char *d = r->d;
    if (r->plus)
        return r->n >= INTL_DIGITS_MIN && r->n <= INTL_DIGITS_MAX;
    if (d[0] == '0' && d[1] == '0') /* 0033..., 0049...: "+" spelled 00 */
        return r->n >= INTL_DIGITS_MIN + 2 && r->n <= INTL_DIGITS_MAX + 2;
    if (d[0] == '0')
        return r->n >= TRUNK_DIGITS_MIN && r->n <= TRUNK_DIGITS_MAX;
    /* without a prefix: Polish, Portuguese and Senegalese numbers have 9
     * digits, Tunisian ones 8 (mobiles from 2, 4, 5 or 9, fixed from 3 or 7) */
    if (r->n == 9)
        return phone_grouping(r) || (r->groups == 1 && strchr("56789", d[0]));
    if (r->n == 8)
        return (phone_grouping(r) || r->groups == 1) && strchr("234579", d[0]);
    return 0;
}

static run_kind classify(const digit_run *r, size_t min_digits)
{
    if (is_date(r) || is_year_range(r) || is_round_amount(r))
        return KEEP;
    if (is_phone(r))
        return PHONE;
    return r->n >= min_digits ? NUMBER : KEEP;
}

/* ---- the whole --------------------------------------------------------------- */

char *pa_mask(const char *text, size_t len, const pa_mask_config *cfg, pa_mask_counts *counts)
{
    size_t min_digits = cfg && cfg->min_digits ? cfg->min_digits : PA_MASK_DIGITS_DEFAULT;
    pa_mask_counts c = {0, 0, 0};
    chars t;
    decode(text, len, &t);
    out_buf o = {0};
    put(&o, "", 0);
    size_t i = 0, no_email_before = 0;
    while (i < t.n) {
        /* an address, tried once per run of name characters */
        if (i >= no_email_before && is_local(t.cp[i])) {
            size_t end = email_end(&t, i, &no_email_before);
            if (end) {
                put(&o, TOKEN_EMAIL, sizeof TOKEN_EMAIL - 1);
                c.emails++;
                i = end;
                continue;
            }
        }
        if (run_starts(&t, i)) {
            digit_run r;
            read_run(&t, i, &r);
            run_kind kind = classify(&r, min_digits);
            if (kind == KEEP) {
                put_chars(&o, &t, i, r.end);
            } else {
                put_chars(&o, &t, i, r.start);
                if (kind == PHONE)
                    put(&o, TOKEN_PHONE, sizeof TOKEN_PHONE - 1);
                else
                    put(&o, TOKEN_NUMBER, sizeof TOKEN_NUMBER - 1);
                c.phones += kind == PHONE;
                c.numbers += kind == NUMBER;
            }
            i = r.end;
            continue;
        }
        put_chars(&o, &t, i, i + 1);
        i++;
    }
    free(t.cp);
    if (counts)
        *counts = c;
    return o.s;
}

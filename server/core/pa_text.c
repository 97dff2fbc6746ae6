#include "pa_text.h"

#include "pa_alloc.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

/* A growable byte buffer, local to this file. */
typedef struct {
    char *data;
    size_t len, cap;
} buf;

static void buf_put(buf *b, const void *p, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        while (cap < b->len + n + 1)
            cap *= 2;
        b->data = pa_xrealloc(b->data, cap);
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static void buf_put_cp(buf *b, utf8proc_int32_t cp)
{
    utf8proc_uint8_t tmp[4];
    utf8proc_ssize_t n = utf8proc_encode_char(cp, tmp);
    buf_put(b, tmp, (size_t)n);
}

int pa_text_is_valid(const char *s, size_t len)
{
    const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
    size_t i = 0;
    while (i < len) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t n = utf8proc_iterate(p + i, (utf8proc_ssize_t)(len - i), &cp);
        if (n <= 0 || cp == 0)
            return 0;
        i += (size_t)n;
    }
    return 1;
}

size_t pa_text_chars(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            n++;
    return n;
}

size_t pa_text_decode(const char *s, uint32_t *out, size_t cap)
{
    const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
    size_t n = 0;
    while (*p && n < cap) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t k = utf8proc_iterate(p, -1, &cp);
        if (k <= 0)
            break;
        out[n++] = (uint32_t)cp;
        p += k;
    }
    return n;
}

static pa_script script_of(utf8proc_int32_t cp)
{
    if ((cp >= 0x0600 && cp <= 0x06FF) || (cp >= 0x0750 && cp <= 0x077F) ||
        (cp >= 0xFB50 && cp <= 0xFDFF) || (cp >= 0xFE70 && cp <= 0xFEFF))
        return PA_SCRIPT_ARABIC;
    if (cp < 0x0250 || (cp >= 0x1E00 && cp <= 0x1EFF))
        return PA_SCRIPT_LATIN;
    return PA_SCRIPT_OTHER;
}

static int is_token_char(utf8proc_int32_t cp)
{
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ME:
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO: return 1;
    default: return 0;
    }
}

/* Letters that survive decomposition and mark stripping but that users type
 * as plain letters anyway, and the Arabic spelling variants people use
 * interchangeably. Returns the replacement text, "" to drop, NULL to keep. */
static const char *fold_special(utf8proc_int32_t cp)
{
    switch (cp) {
    case 0x0142: return "l";        /* ł */
    case 0x00F8: return "o";        /* ø */
    case 0x0111: return "d";        /* đ */
    case 0x00F0: return "d";        /* ð */
    case 0x0127: return "h";        /* ħ */
    case 0x0131: return "i";        /* dotless ı */
    case 0x0167: return "t";        /* ŧ */
    case 0x00E6: return "ae";       /* æ */
    case 0x0153: return "oe";       /* œ */
    case 0x00FE: return "th";       /* þ */
    case 0x0640: return "";         /* tatweel: only stretches a word */
    case 0x0671: return "\xD8\xA7"; /* alef wasla → alef */
    case 0x0649: return "\xD9\x8A"; /* alef maqsura → yeh */
    case 0x06CC: return "\xD9\x8A"; /* Farsi yeh → yeh */
    case 0x0629: return "\xD9\x87"; /* teh marbuta → heh */
    case 0x06A9: return "\xD9\x83"; /* keheh → kaf */
    case 0x06AF: return "\xD9\x83"; /* gaf → kaf */
    case 0x067E: return "\xD8\xA8"; /* peh → beh */
    case 0x0686: return "\xD8\xAC"; /* tcheh → jeem */
    case 0x0698: return "\xD8\xB2"; /* jeh → zain */
    case 0x06A4: return "\xD9\x81"; /* veh → feh */
    default: break;
    }
    return NULL;
}

static utf8proc_int32_t fold_digit(utf8proc_int32_t cp)
{
    if (cp >= 0x0660 && cp <= 0x0669)
        return '0' + (cp - 0x0660);
    if (cp >= 0x06F0 && cp <= 0x06F9)
        return '0' + (cp - 0x06F0);
    return cp;
}

/* utf8proc_map on text already known to be valid UTF-8: it can then fail
 * only for want of memory. */
static utf8proc_ssize_t map_valid(const char *text, size_t len, utf8proc_uint8_t **out,
                                  utf8proc_option_t options)
{
    utf8proc_ssize_t n =
        utf8proc_map((const utf8proc_uint8_t *)text, (utf8proc_ssize_t)len, out, options);
    if (n < 0)
        pa_out_of_memory(len * 4);
    return n;
}

/* Folds one token's surface form (valid UTF-8); returns malloc'd text. */
static char *fold_token(const char *surface, size_t len, size_t *chars)
{
    utf8proc_uint8_t *stripped = NULL;
    utf8proc_ssize_t n = map_valid(surface, len, &stripped,
                                   UTF8PROC_COMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD |
                                       UTF8PROC_STRIPMARK | UTF8PROC_IGNORE);
    buf b = {0};
    buf_put(&b, "", 0);
    size_t count = 0;
    for (utf8proc_ssize_t i = 0; i < n;) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t k = utf8proc_iterate(stripped + i, n - i, &cp);
        if (k <= 0)
            break;
        i += k;
        const char *rep = fold_special(cp);
        if (rep) {
            buf_put(&b, rep, strlen(rep));
            count += pa_text_chars(rep, strlen(rep));
        } else {
            buf_put_cp(&b, fold_digit(cp));
            count++;
        }
    }
    free(stripped);
    *chars = count;
    return b.data;
}

void pa_tokens_free(pa_tokens *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->count; i++) {
        free(t->items[i].surface);
        free(t->items[i].folded);
    }
    free(t->items);
    t->items = NULL;
    t->count = 0;
}

static void push_token(pa_tokens *t, size_t *cap, const char *s, size_t len, pa_script script)
{
    if (t->count == *cap) {
        *cap = *cap ? *cap * 2 : 16;
        t->items = pa_xrealloc(t->items, *cap * sizeof *t->items);
    }
    pa_token *tok = &t->items[t->count];
    size_t chars = 0;
    tok->folded = fold_token(s, len, &chars);
    if (chars == 0) { /* a token made only of marks or tatweel */
        free(tok->folded);
        return;
    }
    tok->surface = pa_xstrndup(s, len);
    tok->chars = chars;
    tok->script = script;
    t->count++;
}

int pa_text_tokenize(const char *text, size_t len, pa_tokens *out)
{
    out->items = NULL;
    out->count = 0;
    if (!pa_text_is_valid(text, len))
        return -1;
    utf8proc_uint8_t *light = NULL;
    utf8proc_ssize_t n =
        map_valid(text, len, &light,
                  UTF8PROC_COMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD | UTF8PROC_IGNORE);
    size_t cap = 0;
    utf8proc_ssize_t start = -1;
    pa_script script = PA_SCRIPT_OTHER;
    for (utf8proc_ssize_t i = 0; i <= n;) {
        utf8proc_int32_t cp = 0;
        utf8proc_ssize_t k = 1;
        if (i < n)
            k = utf8proc_iterate(light + i, n - i, &cp);
        int inside = i < n && k > 0 && is_token_char(cp);
        if (inside && start < 0) {
            start = i;
            script = script_of(cp);
        } else if (inside && script == PA_SCRIPT_OTHER) {
            script = script_of(cp);
        } else if (!inside && start >= 0) {
            push_token(out, &cap, (const char *)light + start, (size_t)(i - start), script);
            start = -1;
        }
        i += k > 0 ? k : 1;
    }
    free(light);
    return 0;
}

char *pa_text_fold(const char *text, size_t len)
{
    pa_tokens t;
    if (pa_text_tokenize(text, len, &t) != 0)
        return NULL;
    buf b = {0};
    buf_put(&b, "", 0);
    for (size_t i = 0; i < t.count; i++) {
        if (i)
            buf_put(&b, " ", 1);
        buf_put(&b, t.items[i].folded, strlen(t.items[i].folded));
    }
    pa_tokens_free(&t);
    return b.data;
}

int pa_text_has_words(const char *s, size_t len)
{
    char *folded = pa_text_fold(s, len);
    int words = folded && *folded;
    free(folded);
    return words;
}

int pa_text_distance_cp(const uint32_t *x, size_t m, const uint32_t *y, size_t n, int max)
{
    if (m > PA_TEXT_DISTANCE_MAX_CHARS)
        m = PA_TEXT_DISTANCE_MAX_CHARS;
    if (n > PA_TEXT_DISTANCE_MAX_CHARS)
        n = PA_TEXT_DISTANCE_MAX_CHARS;
    if ((m > n ? m - n : n - m) > (size_t)max)
        return max + 1;
    /* three rows: two back for transpositions */
    int rows[3][PA_TEXT_DISTANCE_MAX_CHARS + 1];
    int *prev2 = rows[0], *prev = rows[1], *cur = rows[2];
    for (size_t j = 0; j <= n; j++)
        prev[j] = (int)j;
    for (size_t i = 1; i <= m; i++) {
        cur[0] = (int)i;
        int best = cur[0];
        for (size_t j = 1; j <= n; j++) {
            int cost = x[i - 1] != y[j - 1];
            int v = prev[j] + 1;
            if (cur[j - 1] + 1 < v)
                v = cur[j - 1] + 1;
            if (prev[j - 1] + cost < v)
                v = prev[j - 1] + cost;
            if (i > 1 && j > 1 && x[i - 1] == y[j - 2] && x[i - 2] == y[j - 1] &&
                prev2[j - 2] + 1 < v)
                v = prev2[j - 2] + 1;
            cur[j] = v;
            if (v < best)
                best = v;
        }
        if (best > max)
            return max + 1;
        int *t = prev2;
        prev2 = prev;
        prev = cur;
        cur = t;
    }
    return prev[n] > max ? max + 1 : prev[n];
}

int pa_text_distance(const char *a, const char *b, int max)
{
    uint32_t x[PA_TEXT_DISTANCE_MAX_CHARS], y[PA_TEXT_DISTANCE_MAX_CHARS];
    size_t m = pa_text_decode(a, x, PA_TEXT_DISTANCE_MAX_CHARS);
    size_t n = pa_text_decode(b, y, PA_TEXT_DISTANCE_MAX_CHARS);
    return pa_text_distance_cp(x, m, y, n, max);
}

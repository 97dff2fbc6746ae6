#include "pa_text.h"

#include "pa_alloc.h"
#include "pa_map.h"
#include "pa_osa.h"

#include <stdlib.h>
#include <string.h>
#include <threads.h>
#include <utf8proc.h>

/* A growable byte buffer, local to this file. */
typedef struct {
    char *data;
    size_t len, cap;
} buf;

static void buf_grow(buf *b, size_t need)
{
    size_t cap = b->cap ? b->cap * 2 : 64;
    while (cap < need)
        cap *= 2;
    b->data = pa_xrealloc(b->data, cap);
    b->cap = cap;
}

/* Called for each code point folded: the common case stays short. */
static inline void buf_put(buf *b, const void *p, size_t n)
{
    if (b->len + n + 1 > b->cap)
        buf_grow(b, b->len + n + 1);
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

char *pa_text_copy(char *out, size_t size, const char *s)
{
    size_t n = strlen(s);
    if (n >= size)
        n = size - 1;
    memcpy(out, s, n);
    out[n] = '\0';
    return out;
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

static int is_ascii(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] >= 0x80)
            return 0;
    return 1;
}

/* Folds one token's surface form (valid UTF-8) with utf8proc; returns
 * malloc'd text. */
static char *fold_token_slow(const char *surface, size_t len, size_t *chars)
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

/* ---- the code points of the five languages, folded once ------------------ */

/* Both folds of a code point standing alone, computed with utf8proc the
 * first time text is folded. Outside marks, neither depends on the
 * neighbouring code points (composition only ever joins a letter and the
 * marks after it), so text made of these code points is folded by looking
 * them up: the common case, at a fraction of utf8proc's cost. */
enum { CP_FOLD_BYTES = 16 };
typedef struct {
    char light[CP_FOLD_BYTES]; /* case-folded, NFKC: the surface form */
    char fold[CP_FOLD_BYTES];  /* the folded form of the code point in surface text */
    unsigned char light_len, fold_len, fold_chars;
    unsigned char known;      /* 0: a mark, or a fold too long: leave it to utf8proc */
    unsigned char token_char; /* is_token_char */
    unsigned char script;     /* script_of */
} cp_fold;

/* Latin (with its extensions and Vietnamese's), Arabic, general punctuation. */
static const struct {
    uint32_t first, last;
} fold_ranges[] = {{0x0000, 0x024F}, {0x0600, 0x06FF}, {0x1E00, 0x1EFF}, {0x2000, 0x206F}};
enum { FOLD_TABLE_SIZE = 0x250 + 0x100 + 0x100 + 0x70 };

static cp_fold fold_table[FOLD_TABLE_SIZE];
static once_flag fold_table_once = ONCE_FLAG_INIT;

static long fold_slot(uint32_t cp)
{
    if (cp < 0x250) /* the first range */
        return (long)cp;
    long base = 0;
    for (size_t r = 0; r < sizeof fold_ranges / sizeof fold_ranges[0]; r++) {
        if (cp >= fold_ranges[r].first && cp <= fold_ranges[r].last)
            return base + (long)(cp - fold_ranges[r].first);
        base += (long)(fold_ranges[r].last - fold_ranges[r].first + 1);
    }
    return -1;
}

static int is_mark(utf8proc_int32_t cp)
{
    utf8proc_category_t c = utf8proc_category(cp);
    return c == UTF8PROC_CATEGORY_MN || c == UTF8PROC_CATEGORY_MC || c == UTF8PROC_CATEGORY_ME;
}

static void fill_fold(uint32_t cp, cp_fold *f)
{
    utf8proc_uint8_t one[4];
    utf8proc_ssize_t n = utf8proc_encode_char((utf8proc_int32_t)cp, one);
    f->known = 0;
    f->token_char = (unsigned char)is_token_char((utf8proc_int32_t)cp);
    f->script = (unsigned char)script_of((utf8proc_int32_t)cp);
    if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF) || is_mark((utf8proc_int32_t)cp))
        return;
    utf8proc_uint8_t *light = NULL;
    utf8proc_ssize_t ln =
        map_valid((const char *)one, (size_t)n, &light,
                  UTF8PROC_COMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD | UTF8PROC_IGNORE);
    size_t chars = 0;
    char *fold = fold_token_slow((const char *)one, (size_t)n, &chars);
    size_t fn = strlen(fold);
    if (ln < CP_FOLD_BYTES && fn < CP_FOLD_BYTES) {
        memcpy(f->light, light, (size_t)ln + 1);
        memcpy(f->fold, fold, fn + 1);
        f->light_len = (unsigned char)ln;
        f->fold_len = (unsigned char)fn;
        f->fold_chars = (unsigned char)chars;
        f->known = 1;
    }
    free(light);
    free(fold);
}

static void build_fold_table(void)
{
    for (size_t r = 0; r < sizeof fold_ranges / sizeof fold_ranges[0]; r++)
        for (uint32_t cp = fold_ranges[r].first; cp <= fold_ranges[r].last; cp++)
            fill_fold(cp, &fold_table[fold_slot(cp)]);
}

/* The table's entry for cp, or NULL when utf8proc must fold it in context. */
static const cp_fold *known_fold(uint32_t cp)
{
    call_once(&fold_table_once, build_fold_table);
    long slot = fold_slot(cp);
    return slot >= 0 && fold_table[slot].known ? &fold_table[slot] : NULL;
}

/* Whether cp is part of a token, and its script, from the table when it
 * has cp (the caller has built it). */
static int token_char_of(uint32_t cp, pa_script *script)
{
    long slot = fold_slot(cp);
    if (slot >= 0) {
        *script = (pa_script)fold_table[slot].script;
        return fold_table[slot].token_char;
    }
    *script = script_of((utf8proc_int32_t)cp);
    return is_token_char((utf8proc_int32_t)cp);
}

/* Decodes the code point at s (valid UTF-8); returns its length in bytes. */
static size_t next_cp(const char *s, uint32_t *cp)
{
    const unsigned char *u = (const unsigned char *)s;
    if (u[0] < 0x80) {
        *cp = u[0];
        return 1;
    }
    if (u[0] < 0xE0) {
        *cp = ((uint32_t)(u[0] & 0x1F) << 6) | (u[1] & 0x3F);
        return 2;
    }
    if (u[0] < 0xF0) {
        *cp = ((uint32_t)(u[0] & 0x0F) << 12) | ((uint32_t)(u[1] & 0x3F) << 6) | (u[2] & 0x3F);
        return 3;
    }
    *cp = ((uint32_t)(u[0] & 0x07) << 18) | ((uint32_t)(u[1] & 0x3F) << 12) |
          ((uint32_t)(u[2] & 0x3F) << 6) | (u[3] & 0x3F);
    return 4;
}

/* Writes the light fold (case-folded, NFKC) of text made of the table's
 * code points into b, from its start; 0 when a code point is not one of
 * the table's (b's content is then undefined), else 1. */
static int fold_known(const char *s, size_t len, buf *b)
{
    b->len = 0;
    buf_put(b, "", 0);
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        i += next_cp(s + i, &cp);
        const cp_fold *f = known_fold(cp);
        if (!f)
            return 0;
        buf_put(b, f->light, f->light_len);
    }
    return 1;
}

/* Appends the folded form of one token's surface form (valid UTF-8, already
 * case-folded by the tokenizer) to b, and its length in code points to
 * *chars. ASCII letters and digits fold to themselves. */
static void fold_into(buf *b, const char *surface, size_t len, int use_table, size_t *chars)
{
    if (use_table && is_ascii(surface, len)) {
        buf_put(b, surface, len);
        *chars = len;
        return;
    }
    size_t start = b->len, count = 0;
    for (size_t i = 0; use_table && i < len;) {
        uint32_t cp;
        i += next_cp(surface + i, &cp);
        const cp_fold *f = known_fold(cp);
        if (!f) { /* one utf8proc must fold in context: it folds the token */
            b->len = start;
            break;
        }
        buf_put(b, f->fold, f->fold_len);
        count += f->fold_chars;
        if (i == len) {
            *chars = count;
            return;
        }
    }
    char *slow = fold_token_slow(surface, len, chars);
    buf_put(b, slow, strlen(slow));
    free(slow);
}

void pa_tokens_copy(const pa_tokens *src, pa_arena *arena, pa_tokens *dst)
{
    size_t end = 0; /* the strings end after the last token's surface */
    for (size_t i = 0; i < src->count; i++) {
        const char *surface = src->items[i].surface;
        size_t at = (size_t)(surface - src->strings) + strlen(surface) + 1;
        if (at > end)
            end = at;
    }
    dst->count = src->count;
    dst->items = pa_arena_alloc(arena, (src->count + 1) * sizeof *dst->items);
    dst->strings = pa_arena_strndup(arena, end ? src->strings : "", end); /* NULs and all */
    for (size_t i = 0; i < src->count; i++) {
        dst->items[i] = src->items[i];
        dst->items[i].surface = dst->strings + (src->items[i].surface - src->strings);
        dst->items[i].folded = dst->strings + (src->items[i].folded - src->strings);
    }
}

void pa_tokens_free(pa_tokens *t)
{
    if (!t)
        return;
    free(t->items);
    free(t->strings);
    t->items = NULL;
    t->strings = NULL;
    t->count = 0;
}

/* The buffers of a pa_tokenizer, as this file works with them. */
typedef struct {
    pa_tokens *out;
    size_t *cap; /* tokens out->items and *at have room for */
    /* per token, where its surface and folded forms will be in strings,
     * which may still move as it grows */
    size_t **at;
    buf strings;
    int use_table;
} token_list;

static void push_token(token_list *l, const char *s, size_t len, pa_script script)
{
    pa_tokens *t = l->out;
    if (t->count == *l->cap) {
        *l->cap = *l->cap ? *l->cap * 2 : 16;
        t->items = pa_xrealloc(t->items, *l->cap * sizeof *t->items);
        *l->at = pa_xrealloc(*l->at, *l->cap * 2 * sizeof **l->at);
    }
    size_t folded = l->strings.len, chars = 0;
    fold_into(&l->strings, s, len, l->use_table, &chars);
    if (chars == 0) { /* a token made only of marks or tatweel */
        l->strings.len = folded;
        return;
    }
    buf_put(&l->strings, "", 1); /* the NUL ends the folded form */
    size_t surface = l->strings.len;
    buf_put(&l->strings, s, len);
    buf_put(&l->strings, "", 1);
    (*l->at)[2 * t->count] = surface;
    (*l->at)[2 * t->count + 1] = folded;
    t->items[t->count] = (pa_token){NULL, NULL, (uint32_t)chars, script, 0};
    t->count++;
}

/* Points the tokens at their strings, now that the buffer is final. */
static void finish_tokens(token_list *l)
{
    pa_tokens *t = l->out;
    t->strings = l->strings.data;
    for (size_t i = 0; i < t->count; i++) {
        t->items[i].surface = t->strings + (*l->at)[2 * i];
        t->items[i].folded = t->strings + (*l->at)[2 * i + 1];
        t->items[i].hash = pa_map_hash(t->items[i].folded);
    }
}

/* Case-folds text into light as utf8proc would with the options below;
 * ASCII text only needs its capitals lowered (nothing in ASCII decomposes
 * or is ignorable), and the table knows the other common code points. */
static void case_fold(const char *text, size_t len, int use_table, buf *light)
{
    light->len = 0;
    if (use_table && is_ascii(text, len)) {
        buf_put(light, text, len);
        for (size_t i = 0; i < len; i++)
            if (light->data[i] >= 'A' && light->data[i] <= 'Z')
                light->data[i] += 32;
        return;
    }
    if (use_table && fold_known(text, len, light))
        return;
    utf8proc_uint8_t *mapped = NULL;
    utf8proc_ssize_t n =
        map_valid(text, len, &mapped,
                  UTF8PROC_COMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD | UTF8PROC_IGNORE);
    light->len = 0;
    buf_put(light, mapped, (size_t)n);
    free(mapped);
}

static int tokenize(pa_tokenizer *z, const char *text, size_t len, int use_table)
{
    pa_tokens *out = &z->tokens;
    out->count = 0;
    if (!pa_text_is_valid(text, len))
        return -1;
    buf light = {z->light, 0, z->light_cap};
    case_fold(text, len, use_table, &light);
    z->light = light.data;
    z->light_cap = light.cap;
    token_list list = {out, &z->cap, &z->at, {z->strings, 0, z->strings_cap}, use_table};
    call_once(&fold_table_once, build_fold_table);
    utf8proc_ssize_t start = -1, n = (utf8proc_ssize_t)light.len;
    pa_script script = PA_SCRIPT_OTHER;
    for (utf8proc_ssize_t i = 0; i <= n;) {
        uint32_t cp = 0;
        size_t k = i < n ? next_cp(light.data + i, &cp) : 1; /* light is valid */
        pa_script cp_script = PA_SCRIPT_OTHER;
        int inside = i < n && token_char_of(cp, &cp_script);
        if (inside && start < 0) {
            start = i;
            script = cp_script;
        } else if (inside && script == PA_SCRIPT_OTHER) {
            script = cp_script;
        } else if (!inside && start >= 0) {
            push_token(&list, light.data + start, (size_t)(i - start), script);
            start = -1;
        }
        i += (utf8proc_ssize_t)k;
    }
    finish_tokens(&list);
    z->strings = list.strings.data;
    z->strings_cap = list.strings.cap;
    return 0;
}

void pa_tokenizer_init(pa_tokenizer *z)
{
    memset(z, 0, sizeof *z);
}

void pa_tokenizer_clear(pa_tokenizer *z)
{
    if (!z)
        return;
    free(z->tokens.items);
    free(z->strings);
    free(z->light);
    free(z->at);
    pa_tokenizer_init(z);
}

int pa_tokenizer_run(pa_tokenizer *z, const char *text, size_t len)
{
    return tokenize(z, text, len, 1);
}

/* Tokenizes into a list of its own: the tokenizer's buffers become the
 * list's. */
static int tokenize_alone(const char *text, size_t len, int use_table, pa_tokens *out)
{
    pa_tokenizer z;
    pa_tokenizer_init(&z);
    int rc = tokenize(&z, text, len, use_table);
    free(z.light);
    free(z.at);
    if (rc != 0) {
        free(z.tokens.items);
        free(z.strings);
        memset(out, 0, sizeof *out);
        return -1;
    }
    *out = z.tokens;
    return 0;
}

int pa_text_tokenize(const char *text, size_t len, pa_tokens *out)
{
    return tokenize_alone(text, len, 1, out);
}

int pa_text_tokenize_by_utf8proc(const char *text, size_t len, pa_tokens *out)
{
    return tokenize_alone(text, len, 0, out);
}

size_t pa_text_join_folded_to(const pa_tokens *t, char *out, size_t size)
{
    size_t len = 0;
    for (size_t i = 0; i < t->count; i++) {
        const char *parts[2] = {" ", t->items[i].folded};
        for (size_t p = i ? 0 : 1; p < 2; p++) {
            size_t n = strlen(parts[p]);
            if (len < size)
                memcpy(out + len, parts[p], len + n < size ? n : size - len);
            len += n;
        }
    }
    if (size > 0)
        out[len < size ? len : size - 1] = '\0';
    return len;
}

char *pa_text_join_folded(const pa_tokens *t)
{
    size_t n = pa_text_join_folded_to(t, NULL, 0);
    char *joined = pa_xmalloc(n + 1);
    pa_text_join_folded_to(t, joined, n + 1);
    return joined;
}

char *pa_text_fold(const char *text, size_t len)
{
    pa_tokens t;
    if (pa_text_tokenize(text, len, &t) != 0)
        return NULL;
    char *folded = pa_text_join_folded(&t);
    pa_tokens_free(&t);
    return folded;
}

/* 1 when s (valid UTF-8) surely has a letter or digit: one of ASCII, or a
 * letter of the table that folds to something. 0 means "look closer". */
static int has_plain_letter(const char *s, size_t len)
{
    call_once(&fold_table_once, build_fold_table);
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        i += next_cp(s + i, &cp);
        if (cp < 0x80 && ((cp | 0x20) - 'a' < 26 || cp - '0' < 10))
            return 1;
        long slot = fold_slot(cp);
        if (slot >= 0 && fold_table[slot].known && fold_table[slot].token_char &&
            fold_table[slot].fold_chars > 0)
            return 1;
    }
    return 0;
}

int pa_text_has_words(const char *s, size_t len)
{
    if (!pa_text_is_valid(s, len))
        return 0;
    if (has_plain_letter(s, len))
        return 1;
    char *folded = pa_text_fold(s, len);
    int words = folded && *folded;
    free(folded);
    return words;
}

static int any_substitution(uint32_t a, uint32_t b)
{
    return a != b;
}

int pa_text_distance_cp(const uint32_t *x, size_t m, const uint32_t *y, size_t n, int max)
{
    return pa_osa_distance(x, m, y, n, max, any_substitution);
}

int pa_text_distance(const char *a, const char *b, int max)
{
    uint32_t x[PA_TEXT_DISTANCE_MAX_CHARS], y[PA_TEXT_DISTANCE_MAX_CHARS];
    size_t m = pa_text_decode(a, x, PA_TEXT_DISTANCE_MAX_CHARS);
    size_t n = pa_text_decode(b, y, PA_TEXT_DISTANCE_MAX_CHARS);
    return pa_text_distance_cp(x, m, y, n, max);
}

/* Fuzzes pa_mask with any bytes as a resident's question: the result must
 * be valid UTF-8 without NUL (it goes into JSON), and no run of digits long
 * enough to be a [number] may be left in it. */
#include "pa_mask.h"
#include "pa_text.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* 1 when s holds PA_MASK_DIGITS_DEFAULT ASCII or Arabic-Indic digits in a row. */
static int long_run(const char *s)
{
    size_t run = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        int ascii = *p >= '0' && *p <= '9';
        int arabic = p[0] == 0xD9 && p[1] >= 0xA0 && p[1] <= 0xA9; /* U+0660-0669 */
        run = ascii || arabic ? run + 1 : 0;
        if (run >= PA_MASK_DIGITS_DEFAULT)
            return 1;
        p += arabic ? 2 : 1;
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pa_mask_counts counts;
    char *masked = pa_mask((const char *)data, size, NULL, &counts);
    if (!pa_text_is_valid(masked, strlen(masked)) || long_run(masked))
        abort();
    free(masked);
    return 0;
}

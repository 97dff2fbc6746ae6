/* Fuzzes a message to staff as the server takes it: any bytes as one frame,
 * read by pa_contact_parse with small conversation caps (so that cutting is
 * exercised), then, when accepted, turned into the record the spool keeps
 * and the acknowledgement frame; the record must be JSON again and keep
 * within the caps. */
#include "fuzz_knowledge_base.h"
#include "pa_contact.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pa_contact_limits limits = {.max_text_chars = 200, .max_entries = 3, .max_entry_chars = 5};
    pa_contact c;
    pa_proto_error e = pa_contact_parse((const char *)data, size, &limits, &c);
    if (e >= PA_PROTO_END)
        abort();
    if (e == PA_PROTO_OK) {
        if (c.n_lines > limits.max_entries || !pa_contact_key_valid(c.key, strlen(c.key)))
            abort();
        for (size_t i = 0; i < c.n_lines; i++)
            if (strlen(c.lines[i].text) > limits.max_entry_chars * 4 + 3)
                abort();
        json_t *r = pa_contact_record(&c, "fr", 0);
        char *text = json_dumps(r, JSON_COMPACT);
        json_t *back = json_loads(text, 0, NULL);
        if (!back)
            abort();
        json_decref(back);
        free(text);
        json_decref(r);
        free(pa_contact_ack_json(snapshot, 0, c.key, c.id));
    }
    pa_contact_clear(&c);
    pa_contact_is_frame((const char *)data, size);
    return 0;
}

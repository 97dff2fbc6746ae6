#include "pa_outbox.h"

#include "pa_alloc.h"

#include <stdlib.h>
#include <string.h>

/* One queued frame: LWS_PRE bytes of headroom, then the text. */
typedef struct {
    unsigned char *buf;
    size_t len;
    int64_t asked_us;
} frame;

int pa_outbox_init(pa_outbox *ob, size_t capacity)
{
    memset(ob, 0, sizeof *ob);
    /* the ring keeps one slot free to tell full from empty */
    ob->ring = lws_ring_create(sizeof(frame), capacity + 1, NULL);
    ob->capacity = capacity;
    return ob->ring ? 0 : -1;
}

void pa_outbox_clear(pa_outbox *ob)
{
    if (!ob->ring)
        return;
    const frame *f;
    while ((f = lws_ring_get_element(ob->ring, NULL))) {
        free(f->buf);
        lws_ring_consume(ob->ring, NULL, NULL, 1);
    }
    lws_ring_destroy(ob->ring);
    memset(ob, 0, sizeof *ob);
}

size_t pa_outbox_waiting(const pa_outbox *ob)
{
    return ob->ring ? lws_ring_get_count_waiting_elements(ob->ring, NULL) : 0;
}

int pa_outbox_push(pa_outbox *ob, struct lws *wsi, char *json, int64_t asked_us)
{
    size_t len = strlen(json);
    if (!ob->ring || lws_ring_get_count_free_elements(ob->ring) == 0) {
        free(json);
        return -1;
    }
    frame f = {pa_xmalloc(LWS_PRE + len), len, asked_us};
    memcpy(f.buf + LWS_PRE, json, len);
    free(json);
    lws_ring_insert(ob->ring, &f, 1);
    if (lws_ring_get_count_free_elements(ob->ring) == 0 && !ob->paused) {
        lws_rx_flow_control(wsi, 0);
        ob->paused = 1;
    }
    lws_callback_on_writable(wsi);
    return 0;
}

int pa_outbox_write_next(pa_outbox *ob, struct lws *wsi, int64_t *asked_us)
{
    const frame *f = ob->ring ? lws_ring_get_element(ob->ring, NULL) : NULL;
    *asked_us = f ? f->asked_us : 0;
    if (!f)
        return 0;
    int n = lws_write(wsi, f->buf + LWS_PRE, f->len, LWS_WRITE_TEXT);
    int failed = n < (int)f->len;
    free(f->buf);
    lws_ring_consume(ob->ring, NULL, NULL, 1);
    if (failed)
        return -1;
    size_t waiting = pa_outbox_waiting(ob);
    if (ob->paused && waiting < ob->capacity / 2) {
        lws_rx_flow_control(wsi, 1);
        ob->paused = 0;
        ob->resumed = 1;
    }
    if (waiting)
        lws_callback_on_writable(wsi);
    return 0;
}

/* pa_outbox: the frames waiting to be written to one WebSocket connection.
 *
 * libwebsockets writes only from the WRITEABLE callback, one frame each
 * time, so replies wait here, in an lws_ring of a fixed number of frames.
 * When it fills, reading from the client pauses (lws_rx_flow_control) until
 * half of it has gone out: a client that does not read stops being read. */
#ifndef PA_OUTBOX_H
#define PA_OUTBOX_H

#include <libwebsockets.h>
#include <stdint.h>

typedef struct {
    struct lws_ring *ring; /* of pa_outbox frames; NULL before init */
    size_t capacity;
    int paused;  /* reading is paused because the ring is full */
    int resumed; /* reading was resumed: lws may hold bytes it read meanwhile */
} pa_outbox;

/* Makes room for capacity frames. Returns 0, or -1 when memory runs out. */
int pa_outbox_init(pa_outbox *ob, size_t capacity);
/* Frees the frames still waiting and the ring. Accepts an outbox never
 * initialised, when zeroed. */
void pa_outbox_clear(pa_outbox *ob);
/* Queues json (malloc'd; taken over and freed) for wsi and asks for a
 * WRITEABLE callback. asked_us is when the message it answers arrived (0 for
 * a frame that answers none), handed back when it is written. Returns 0, or
 * -1 when the outbox is full and the frame was dropped. */
int pa_outbox_push(pa_outbox *ob, struct lws *wsi, char *json, int64_t asked_us);
/* Writes the oldest frame; call from the WRITEABLE callback. Sets *asked_us
 * to the frame's asked_us (0 when there was no frame). Returns 0, or -1 when
 * the write failed (the connection should close). */
int pa_outbox_write_next(pa_outbox *ob, struct lws *wsi, int64_t *asked_us);
/* Frames waiting. */
size_t pa_outbox_waiting(const pa_outbox *ob);

#endif

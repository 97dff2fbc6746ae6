/* pa_ratelimit: how many messages a client may send, as a token bucket.
 *
 * A bucket holds up to burst tokens and gains per_second of them each
 * second; each message takes one. Time is passed in by the caller, so the
 * arithmetic is tested without a clock. A server keeps one bucket per
 * connection and one per client address (pa_peers). */
#ifndef PA_RATELIMIT_H
#define PA_RATELIMIT_H

#include <stdint.h>

typedef struct {
    double burst;      /* messages a client may send at once... */
    double per_second; /* ...and then per second */
} pa_rate_config;

/* The defaults per connection: 8 at once, then one a second... */
#define PA_RATE_DEFAULT_BURST      8
#define PA_RATE_DEFAULT_PER_SECOND 1
/* ...and per client address, whatever its number of connections. */
#define PA_RATE_DEFAULT_ADDRESS_BURST      40
#define PA_RATE_DEFAULT_ADDRESS_PER_SECOND 10

typedef struct {
    double tokens;
    int64_t refilled_at; /* microseconds, on the caller's clock */
} pa_rate_bucket;

/* Starts a full bucket at time now_us. */
void pa_rate_start(pa_rate_bucket *b, const pa_rate_config *cfg, int64_t now_us);
/* Takes one token at time now_us. Returns 1 when the message may go on, 0
 * when the client must wait. */
int pa_rate_take(pa_rate_bucket *b, const pa_rate_config *cfg, int64_t now_us);
/* Takes one token from each of two buckets (a connection's and its
 * address'), or from neither: returns 1 when both had one, else 0. */
int pa_rate_take_both(pa_rate_bucket *a, const pa_rate_config *cfg_a, pa_rate_bucket *b,
                      const pa_rate_config *cfg_b, int64_t now_us);
/* Microseconds until the bucket is full again at time now_us (0 when it is):
 * how long an address' state is worth keeping after its last connection. */
int64_t pa_rate_until_full(const pa_rate_bucket *b, const pa_rate_config *cfg, int64_t now_us);

#endif

#include "pa_ratelimit.h"

void pa_rate_start(pa_rate_bucket *b, const pa_rate_config *cfg, int64_t now_us)
{
    b->tokens = cfg->burst;
    b->refilled_at = now_us;
}

int pa_rate_take(pa_rate_bucket *b, const pa_rate_config *cfg, int64_t now_us)
{
    double refill = (double)(now_us - b->refilled_at) / 1e6 * cfg->per_second;
    b->tokens = b->tokens + refill > cfg->burst ? cfg->burst : b->tokens + refill;
    b->refilled_at = now_us;
    if (b->tokens < 1)
        return 0;
    b->tokens -= 1;
    return 1;
}

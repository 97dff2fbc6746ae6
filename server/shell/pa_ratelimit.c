#include "pa_ratelimit.h"

void pa_rate_start(pa_rate_bucket *b, const pa_rate_config *cfg, int64_t now_us)
{
    b->tokens = cfg->burst;
    b->refilled_at = now_us;
}

static void refill(pa_rate_bucket *b, const pa_rate_config *cfg, int64_t now_us)
{
    double refill = (double)(now_us - b->refilled_at) / 1e6 * cfg->per_second;
    b->tokens = b->tokens + refill > cfg->burst ? cfg->burst : b->tokens + refill;
    b->refilled_at = now_us;
}

int pa_rate_take(pa_rate_bucket *b, const pa_rate_config *cfg, int64_t now_us)
{
    refill(b, cfg, now_us);
    if (b->tokens < 1)
        return 0;
    b->tokens -= 1;
    return 1;
}

int pa_rate_take_both(pa_rate_bucket *a, const pa_rate_config *cfg_a, pa_rate_bucket *b,
                      const pa_rate_config *cfg_b, int64_t now_us)
{
    refill(a, cfg_a, now_us);
    refill(b, cfg_b, now_us);
    if (a->tokens < 1 || b->tokens < 1)
        return 0;
    a->tokens -= 1;
    b->tokens -= 1;
    return 1;
}

int64_t pa_rate_until_full(const pa_rate_bucket *b, const pa_rate_config *cfg, int64_t now_us)
{
    double tokens = b->tokens + (double)(now_us - b->refilled_at) / 1e6 * cfg->per_second;
    if (tokens >= cfg->burst || cfg->per_second <= 0)
        return 0;
    return (int64_t)((cfg->burst - tokens) / cfg->per_second * 1e6) + 1;
}

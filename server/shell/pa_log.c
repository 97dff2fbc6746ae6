#include "pa_log.h"

#include "pa_ratelimit.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

enum { PA_LOG_LINE_MAX = 2048 }; /* a longer line is cut */

static struct {
    pthread_mutex_t lock;
    int limited;
    pa_rate_config rate;
    pa_rate_bucket bucket;
    uint64_t dropped, dropped_unsaid; /* since the start; since the last line said so */
} log_state = {.lock = PTHREAD_MUTEX_INITIALIZER};

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void pa_log_configure(double burst, double per_second)
{
    pthread_mutex_lock(&log_state.lock);
    log_state.rate = (pa_rate_config){burst, per_second};
    pa_rate_start(&log_state.bucket, &log_state.rate, now_us());
    log_state.limited = 1;
    pthread_mutex_unlock(&log_state.lock);
}

int pa_log(const char *fmt, ...)
{
    char line[PA_LOG_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&log_state.lock);
    int pass = !log_state.limited || pa_rate_take(&log_state.bucket, &log_state.rate, now_us());
    if (!pass) {
        log_state.dropped++;
        log_state.dropped_unsaid++;
    } else {
        if (log_state.dropped_unsaid)
            fprintf(stderr, "passerelle: %llu log lines dropped (log-lines-per-second)\n",
                    (unsigned long long)log_state.dropped_unsaid);
        log_state.dropped_unsaid = 0;
        fprintf(stderr, "%s\n", line);
    }
    pthread_mutex_unlock(&log_state.lock);
    return pass;
}

uint64_t pa_log_dropped(void)
{
    pthread_mutex_lock(&log_state.lock);
    uint64_t n = log_state.dropped;
    pthread_mutex_unlock(&log_state.lock);
    return n;
}

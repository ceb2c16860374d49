/* reward.c: the interval reward every backend uses (reward.h). */
#include "env/core/reward.h"

#include <math.h>

#include "spaces/spaces.h"

void reward_add_interval(const kisim_config *c, const reward_interval *m, float *info)
{
    const cfg_reward *w = &c->reward;
    double lat = w->latency_percentile == 50   ? m->p50_ms
                 : w->latency_percentile == 95 ? m->p95_ms
                                               : m->p99_ms;
    int r = m->replicas;
    if (m->offered > 0)
        info[INFO_R_LATENCY] +=
            (float)(-w->latency * fmax(0, lat / c->workload.service.slo_ms - 1));
    info[INFO_R_ERRORS] += (float)(-w->errors * m->error_rate);
    info[INFO_R_THROUGHPUT] += (float)(w->throughput * (m->offered > 0 ? m->ok / m->offered : 1.0));
    info[INFO_R_COST] += (float)(-w->cost * r / c->workload.service.max_replicas);
    info[INFO_R_CONTENTION] += (float)(r ? -w->contention * m->contended / r : 0);

    info[INFO_TIME_S] = (float)m->t;
    info[INFO_P50_MS] = (float)m->p50_ms;
    info[INFO_P95_MS] = (float)m->p95_ms;
    info[INFO_P99_MS] = (float)m->p99_ms;
    info[INFO_ERROR_RATE] = (float)m->error_rate;
    info[INFO_OFFERED_RPS] = (float)m->offered_rps;
    info[INFO_SERVED_RPS] = (float)m->served_rps;
    info[INFO_REPLICAS] = (float)r;
    info[INFO_COST] += (float)m->cost;
    info[INFO_CONTENDED_REPLICAS] = r ? (float)m->contended / r : 0;
    info[INFO_NOISY_NODES] = (float)m->noisy_nodes;
}

float reward_total(float *info)
{
    float r = info[INFO_R_LATENCY] + info[INFO_R_ERRORS] + info[INFO_R_THROUGHPUT] +
              info[INFO_R_COST] + info[INFO_R_CONTENTION] + info[INFO_R_INVALID];
    info[INFO_REWARD] = r;
    return r;
}

/* obs.c: the observation parts shared by the backends (obs.h). */
#include "env/core/obs.h"

#include <math.h>
#include <string.h>

#define GIB (1024.0 * 1024.0 * 1024.0)

void obs_orchestrator_features(const node_view *v, double x[KISIM_F])
{
    x[FEAT_CPU_REQUESTED_RATIO] = (double)v->cpu_req_m / (double)v->cpu_alloc_m;
    x[FEAT_MEMORY_REQUESTED_RATIO] = (double)v->mem_req_b / (double)v->mem_alloc_b;
    x[FEAT_PODS_RATIO] = (double)v->pods / v->pods_alloc;
    x[FEAT_GPU_UTILIZATION] = v->gpus_alloc ? (double)v->gpus_req / v->gpus_alloc : 0;
}

void obs_write_pod(float *pod, const pod_view *p)
{
    memset(pod, 0, KISIM_P * sizeof *pod);
    if (!p) return;
    pod[POD_CTX_CPU_REQUEST] = (float)fmin((double)p->cpu_req_m / 1000.0 / POD_CPU_REQUEST_MAX, 1);
    pod[POD_CTX_MEMORY_REQUEST] =
        (float)fmin((double)p->mem_req_b / GIB / POD_MEMORY_REQUEST_MAX, 1);
    pod[POD_CTX_GPU_REQUEST] = (float)fmin(p->gpus / POD_GPU_REQUEST_MAX, 1);
    pod[POD_CTX_CLASS_LATENCY_SENSITIVE + p->cls] = 1;
    pod[POD_CTX_PRIORITY] = p->is_replica ? 1.0f : 0.5f;
    pod[POD_CTX_GANG_SIZE] = (float)(1 / POD_GANG_SIZE_MAX);
    pod[POD_CTX_IS_REPLICA] = p->is_replica != 0;
}

void obs_write_service(float *svc, const kisim_config *c, const obs_service *m)
{
    double timeout = c->workload.service.timeout_ms;
    double fleet = c->workload.service.max_replicas * 1000.0 / c->workload.service.base_service_ms;
    svc[SVC_REPLICAS] = (float)m->replicas / c->workload.service.max_replicas;
    svc[SVC_OFFERED_LOAD] = (float)fmin(m->offered_rps / fleet, 1);
    svc[SVC_P50] = (float)(m->p50_ms / timeout);
    svc[SVC_P95] = (float)(m->p95_ms / timeout);
    svc[SVC_P99] = (float)(m->p99_ms / timeout);
    svc[SVC_ERROR_RATE] = (float)m->error_rate;
    svc[SVC_CPU_UTILIZATION] = (float)fmin(m->utilization, 1);
    svc[SVC_PROGRESS] = (float)(m->t / c->env.horizon_s);
}

void obs_write_masks(float *obs, const env_spaces *sp, const uint8_t *mask, const kisim_config *c)
{
    for (int i = 0; i < sp->n_max; i++)
        obs[sp->off_node_mask + i] = mask[i];
    for (int f = 0; f < KISIM_F; f++)
        obs[sp->off_availability + f] = !c->cluster.unavailable[f];
}

/* sim_telemetry.c: what a collector would measure on each sim node, and the observation.
 *
 * Features are derived from the true state (raw units, the order of common/features.h), then
 * observed with Gaussian noise (a share of each feature's range) and a lag of lag_steps samples.
 * The sim takes one sample per decision interval into a ring of window + lag samples per node,
 * stored normalised and twice (slot k and k + ring_len), so that any window of the ring is one
 * contiguous run and writing the observation is one copy per node. */
#include <math.h>
#include <string.h>

#include "env/sim_internal.h"

/* Cache misses of a node whose working sets fit in its LLC. */
#define BASE_L3_MISS 0.05
/* Mean I/O wait of an idle disk, ms. */
#define BASE_IO_WAIT_MS 0.5

static inline double dmin(double a, double b)
{
    return a < b ? a : b;
}

/* The four features the orchestrator knows exactly: requests and pods of the node. */
static void orchestrator_features(const sim_node *n, double x[KISIM_F])
{
    x[FEAT_CPU_REQUESTED_RATIO] = (double)n->view.cpu_req_m / (double)n->view.cpu_alloc_m;
    x[FEAT_MEMORY_REQUESTED_RATIO] = (double)n->view.mem_req_b / (double)n->view.mem_alloc_b;
    x[FEAT_PODS_RATIO] = (double)n->view.pods / n->view.pods_alloc;
    x[FEAT_GPU_UTILIZATION] = n->view.gpus_alloc ? (double)n->view.gpus_req / n->view.gpus_alloc : 0;
}

void sim__node_features(const sim *s, int node, double x[KISIM_F])
{
    const sim_node *n = &s->nodes[node];
    const cfg_node_type *ty = n->type;
    const sim_usage *u = &n->use;
    double cpu_demand = u->cpu / ty->cores;
    double llc_over = u->llc_mb > ty->llc_mb ? 1 - ty->llc_mb / u->llc_mb : 0;
    double disk_rho = dmin(u->iops / ty->disk_iops, 0.98);
    double net_demand = u->kpps / ty->net_kpps;
    x[FEAT_CPU_UTILIZATION] = dmin(cpu_demand, 1);
    x[FEAT_CPU_THROTTLE_RATE] = cpu_demand > 1 ? 1 - 1 / cpu_demand : 0;
    x[FEAT_MEMORY_UTILIZATION] = dmin(u->mem_gib / ty->memory_gib, 1);
    x[FEAT_MEMORY_BANDWIDTH_GBPS] = dmin(u->membw, ty->membw_gbps);
    x[FEAT_L3_CACHE_MISS_RATE] = BASE_L3_MISS + (1 - BASE_L3_MISS) * llc_over;
    x[FEAT_L3_CACHE_OCCUPANCY_MB] = dmin(u->llc_mb, ty->llc_mb);
    x[FEAT_DISK_IO_WAIT_MS] = BASE_IO_WAIT_MS / (1 - disk_rho);
    x[FEAT_DISK_IOPS] = dmin(u->iops, ty->disk_iops);
    x[FEAT_NETWORK_RX_PACKETS_SEC] = 500.0 * dmin(u->kpps, ty->net_kpps); /* half of kpps */
    x[FEAT_NETWORK_TX_PACKETS_SEC] = 500.0 * dmin(u->kpps, ty->net_kpps);
    x[FEAT_NETWORK_DROP_RATE] = net_demand > 1 ? 1 - 1 / net_demand : 0;
    orchestrator_features(n, x);
}

/* Normalisation constants as floats, from the feature table. */
static const float feat_lo[KISIM_F] = {
#define FEAT_LO(id, name, unit, lo, hi, src) (float)(lo),
    KISIM_NODE_FEATURES(FEAT_LO)
#undef FEAT_LO
};
static const float feat_scale[KISIM_F] = {
#define FEAT_SCALE(id, name, unit, lo, hi, src) (float)(1.0 / ((hi) - (lo))),
    KISIM_NODE_FEATURES(FEAT_SCALE)
#undef FEAT_SCALE
};

static inline float clamp01(float v)
{
    return v < 0 ? 0 : v > 1 ? 1 : v;
}

/* Writes one noisy, normalised sample of every node into ring slot `slot`. Orchestrator
 * features are exact (the API server knows its requests); measured ones are noisy. */
static void sample_into(sim *s, int slot)
{
    float noise = (float)s->cfg.cluster.telemetry.noise;
    const uint8_t *unavailable = s->cfg.cluster.unavailable;
    for (int i = 0; i < s->n_nodes; i++) {
        double x[KISIM_F];
        sim__node_features(s, i, x);
        float *dst = s->ring + ((size_t)i * 2 * s->ring_len + slot) * KISIM_F;
        float *twin = dst + (size_t)s->ring_len * KISIM_F;
        uint64_t bits = 0;
        for (int f = 0; f < KISIM_F; f++) {
            float v = ((float)x[f] - feat_lo[f]) * feat_scale[f];
            if (f < KISIM_F_MEASURED) {
                /* One 64-bit draw gives five 12-bit indices into the normal table. */
                if (f % 5 == 0) bits = rng_next(&s->rng);
                v += noise * rng__normal_table[bits & 4095];
                bits >>= 12;
            }
            dst[f] = twin[f] = unavailable[f] ? 0 : clamp01(v);
        }
    }
}

void sim__sample(sim *s)
{
    s->ring_head = (s->ring_head + 1) % s->ring_len;
    sample_into(s, s->ring_head);
}

void sim__fill_window(sim *s)
{
    memset(s->ring, 0, (size_t)s->n_max * 2 * s->ring_len * KISIM_F * sizeof *s->ring);
    for (int k = 0; k < s->ring_len; k++) sample_into(s, k);
    s->ring_head = s->ring_len - 1;
}

void sim__node_mask(const sim *s, uint8_t *m);

static void write_orchestrator(const sim *s, int node, float *dst)
{
    double x[KISIM_F];
    orchestrator_features(&s->nodes[node], x);
    for (int f = KISIM_F_MEASURED; f < KISIM_F; f++)
        dst[f] = s->cfg.cluster.unavailable[f] ? 0 : clamp01(((float)x[f] - feat_lo[f]) * feat_scale[f]);
}

static void write_pod(const sim *s, float *pod)
{
    const sim_pod *p = &s->pending;
    memset(pod, 0, KISIM_P * sizeof *pod);
    if (!s->has_pending) return;
    pod[POD_CTX_CPU_REQUEST] = (float)fmin(p->cpu_req / POD_CPU_REQUEST_MAX, 1);
    pod[POD_CTX_MEMORY_REQUEST] = (float)fmin(p->mem_req_gib / POD_MEMORY_REQUEST_MAX, 1);
    pod[POD_CTX_GPU_REQUEST] = (float)fmin(p->gpus / POD_GPU_REQUEST_MAX, 1);
    pod[POD_CTX_CLASS_LATENCY_SENSITIVE + p->cls] = 1;
    pod[POD_CTX_PRIORITY] = p->kind == SIM_POD_SERVICE ? 1.0f : 0.5f;
    pod[POD_CTX_GANG_SIZE] = (float)(1 / POD_GANG_SIZE_MAX);
    pod[POD_CTX_IS_REPLICA] = p->kind == SIM_POD_SERVICE;
}

static void write_service(const sim *s, float *svc)
{
    const kisim_config *c = &s->cfg;
    double timeout = c->workload.service.timeout_ms;
    double fleet = c->workload.service.max_replicas * 1000.0 / c->workload.service.base_service_ms;
    svc[SVC_REPLICAS] = (float)s->replicas_wanted / c->workload.service.max_replicas;
    svc[SVC_OFFERED_LOAD] = (float)fmin(s->offered_rps / fleet, 1);
    svc[SVC_P50] = (float)(s->p50 / timeout);
    svc[SVC_P95] = (float)(s->p95 / timeout);
    svc[SVC_P99] = (float)(s->p99 / timeout);
    svc[SVC_ERROR_RATE] = (float)s->error_rate;
    svc[SVC_CPU_UTILIZATION] = (float)fmin(s->utilization, 1);
    svc[SVC_PROGRESS] = (float)(s->t / c->env.horizon_s);
}

void sim_observe(const sim *s, float *obs, uint8_t *mask)
{
    env_spaces sp;
    spaces_init(&sp, s->n_max, s->window);
    int lag = s->cfg.cluster.telemetry.lag_steps, T = s->window;
    float *nodes = obs + sp.off_nodes;
    for (int i = 0; i < s->n_nodes; i++) {
        /* The window ends `lag` samples before the newest; the doubled ring makes it one
         * contiguous run, oldest first. */
        int start = ((s->ring_head - lag - (T - 1)) % s->ring_len + s->ring_len) % s->ring_len;
        const float *ring = s->ring + ((size_t)i * 2 * s->ring_len + start) * KISIM_F;
        memcpy(nodes + (size_t)i * T * KISIM_F, ring, (size_t)T * KISIM_F * sizeof *nodes);
        /* The orchestrator knows its own requests without lag: the newest sample shows the
         * pods placed since it was taken. */
        write_orchestrator(s, i, nodes + ((size_t)i * T + T - 1) * KISIM_F);
    }
    memset(nodes + (size_t)s->n_nodes * T * KISIM_F, 0,
           (size_t)(s->n_max - s->n_nodes) * T * KISIM_F * sizeof *nodes);
    write_pod(s, obs + sp.off_pod);
    write_service(s, obs + sp.off_service);
    sim__node_mask(s, mask);
    for (int i = 0; i < s->n_max; i++) obs[sp.off_node_mask + i] = mask[i];
    for (int f = 0; f < KISIM_F; f++)
        obs[sp.off_availability + f] = !s->cfg.cluster.unavailable[f];
}

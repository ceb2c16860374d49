/* sim_telemetry.c: what a collector would measure on each sim node, as the telemetry ring the
 * observation reads (env/core/backend.c writes the observation from it).
 *
 * Features are derived from the true state (raw units, the order of common/features.h), then
 * observed with Gaussian noise (a share of each feature's range) and a lag of lag_steps samples.
 * The sim takes one sample per decision interval into the ring of window + lag samples per node
 * (backend.h), stored normalised and twice, so that writing a window is one copy per node. */
#include <math.h>
#include <string.h>

#include "env/core/obs.h"
#include "env/sim/sim_internal.h"

/* Cache misses of a node whose working sets fit in its LLC. */
#define BASE_L3_MISS 0.05
/* Mean I/O wait of an idle disk, ms. */
#define BASE_IO_WAIT_MS 0.5

static inline double dmin(double a, double b)
{
    return a < b ? a : b;
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
    obs_orchestrator_features(&n->view, x);
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
    for (int i = 0; i < s->base.n_nodes; i++) {
        double x[KISIM_F];
        sim__node_features(s, i, x);
        float *dst = s->base.ring + ((size_t)i * 2 * s->base.ring_len + slot) * KISIM_F;
        float *twin = dst + (size_t)s->base.ring_len * KISIM_F;
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
    s->base.ring_head = (s->base.ring_head + 1) % s->base.ring_len;
    sample_into(s, s->base.ring_head);
}

void sim__fill_window(sim *s)
{
    memset(s->base.ring, 0,
           (size_t)s->base.n_max * 2 * s->base.ring_len * KISIM_F * sizeof *s->base.ring);
    for (int k = 0; k < s->base.ring_len; k++)
        sample_into(s, k);
    s->base.ring_head = s->base.ring_len - 1;
}

/* The orchestrator knows its own requests without lag: these replace the newest sample's. */
void sim__orchestrator(const void *env, int node, float *sample)
{
    const sim *s = env;
    double x[KISIM_F];
    obs_orchestrator_features(&s->nodes[node].view, x);
    for (int f = KISIM_F_MEASURED; f < KISIM_F; f++)
        sample[f] =
            s->cfg.cluster.unavailable[f] ? 0 : clamp01(((float)x[f] - feat_lo[f]) * feat_scale[f]);
}

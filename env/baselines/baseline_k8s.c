/* baseline_k8s.c: the per-node formulas of the request- and load-based baselines, as the
 * Kubernetes scheduler and the scheduler-plugins trimaran plugin compute them (int64 where they
 * use int64, so scores match kube-scheduler's to the unit). The scorers built on them, and their
 * table, are in scorer.c. */
#include <math.h>
#include <stddef.h>

#include "common/features.h"
#include "env/baselines/baseline_impl.h"

/* TargetLoadPacking's defaults (trimaran): target utilisation 40%, a pod without a CPU limit is
 * predicted to use 1.5 x its request, and one with neither a limit nor a request 1 core. */
#define TLP_TARGET 40.0
#define TLP_REQUEST_MULTIPLIER 1.5
#define TLP_DEFAULT_CPU_M 1000

/* NodeResourcesFit counts pods without requests at the non-zero defaults (useRequested false);
 * node_view's sums already follow that convention. */
static int64_t fit_cpu(const node_view *n, const pod_view *p)
{
    return n->cpu_req_m + (p->cpu_req_m ? p->cpu_req_m : BASELINE__DEFAULT_CPU_M);
}

static int64_t fit_mem(const node_view *n, const pod_view *p)
{
    return n->mem_req_b + (p->mem_req_b ? p->mem_req_b : BASELINE__DEFAULT_MEM_B);
}

static int64_t least_requested(int64_t requested, int64_t capacity)
{
    if (capacity == 0 || requested > capacity) return 0;
    return (capacity - requested) * 100 / capacity;
}

/* Requests can exceed capacity only through the non-zero defaults; kube clamps them. */
static int64_t most_requested(int64_t requested, int64_t capacity)
{
    if (capacity == 0) return 0;
    if (requested > capacity) requested = capacity;
    return requested * 100 / capacity;
}

/* Weighted mean over cpu and memory, weights 1 and 1, integer division as in kube. */
int64_t baseline__least_allocated(const node_view *n, const pod_view *p)
{
    int64_t cpu = least_requested(fit_cpu(n, p), n->cpu_alloc_m);
    int64_t mem = least_requested(fit_mem(n, p), n->mem_alloc_b);
    return (cpu + mem) / 2;
}

int64_t baseline__most_allocated(const node_view *n, const pod_view *p)
{
    int64_t cpu = most_requested(fit_cpu(n, p), n->cpu_alloc_m);
    int64_t mem = most_requested(fit_mem(n, p), n->mem_alloc_b);
    return (cpu + mem) / 2;
}

/* BalancedAllocation uses the pod's raw requests (useRequested true) and skips best-effort pods
 * (no requests at all: the plugin returns Skip, contributing 0 everywhere); a resource with no
 * allocatable is left out, and with one fraction left the deviation is 0. */
int64_t baseline__balanced_allocation(const node_view *n, const pod_view *p)
{
    if (p->cpu_req_m == 0 && p->mem_req_b == 0) return 0;
    const int64_t req[2] = {n->cpu_req_m + p->cpu_req_m, n->mem_req_b + p->mem_req_b};
    const int64_t alloc[2] = {n->cpu_alloc_m, n->mem_alloc_b};
    double frac[2];
    int nf = 0;
    for (int r = 0; r < 2; r++) {
        if (alloc[r] == 0) continue;
        double f = (double)req[r] / (double)alloc[r];
        frac[nf++] = f > 1 ? 1 : f;
    }
    double std = nf == 2 ? fabs((frac[0] - frac[1]) / 2) : 0;
    return (int64_t)((1 - std) * 100);
}

/* kube-scheduler sums the two plugins' scores with weight 1 each (0..200); the scorer interface
 * wants 0..100, so this is that total / 2.0, which keeps kube's argmax and ties exactly. */
double baseline__k8s_default(const node_view *n, const pod_view *p)
{
    return (double)(baseline__least_allocated(n, p) + baseline__balanced_allocation(n, p)) / 2.0;
}

/* trimaran's PredictUtilisation: the limit, else 1.5 x the request (rounded to a millicore as
 * trimaran does), else the default request. */
static int64_t tlp_pod_cpu_m(const pod_view *p)
{
    if (p->cpu_limit_m) return p->cpu_limit_m;
    if (p->cpu_req_m) return llround((double)p->cpu_req_m * TLP_REQUEST_MULTIPLIER);
    return TLP_DEFAULT_CPU_M;
}

/* The node's used CPU is the mean cpu_utilization over the telemetry window (trimaran reads the
 * load watcher's windowed average); utilisation is a ratio of allocatable, which stands in for
 * trimaran's node capacity. Go's math.Round and C's llround both round half away from zero. */
int64_t baseline__target_load_packing(const sched_view *v, int i)
{
    const node_view *n = &v->nodes[i];
    const float *w = v->obs_nodes + (size_t)i * (size_t)v->window * KISIM_F; /* [T, F] */
    double util = 0;
    for (int t = 0; t < v->window; t++) {
        float x = w[(size_t)t * KISIM_F + FEAT_CPU_UTILIZATION];
        util += feature_denormalize(FEAT_CPU_UTILIZATION, x);
    }
    util /= v->window;

    double cap = (double)n->cpu_alloc_m;
    double used = util * cap;
    double u = cap > 0 ? 100 * (used + (double)tlp_pod_cpu_m(v->pod)) / cap : 0;
    if (u > TLP_TARGET) {
        if (u > 100) return 0;
        return llround(TLP_TARGET * (100 - u) / (100 - TLP_TARGET));
    }
    return llround((100 - TLP_TARGET) * u / TLP_TARGET + TLP_TARGET);
}

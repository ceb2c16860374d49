/* sim.c: the sim backend's lifecycle, pods and decisions. A step places the pending pod, applies
 * the replica delta, then advances whole intervals (sim_service.c) until a pod is pending again.
 * Pod templates below are the model's numbers; env/MODEL.md says where they come from. */
#include "env/sim/sim_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"

/* Requests and typical actual use of a background pod, per class (bg_class order). Each pod's
 * actual use is this times a uniform factor in [0.6, 1.4]. */
static const struct {
    double cpu_req, mem_req;
    sim_usage use;
} bg_templates[BG_CLASSES] = {
    [BG_CPU_BOUND] = {1.0, 1.0, {0.9, 0.8, 2.0, 0.5, 20, 1.0}},
    [BG_MEMORY_BOUND] = {0.5, 4.0, {0.5, 3.5, 10.0, 4.0, 20, 1.0}},
    [BG_IO_BOUND] = {0.5, 1.0, {0.3, 0.8, 1.0, 0.3, 3000, 5.0}},
    [BG_BATCH] = {2.0, 4.0, {1.8, 3.0, 6.0, 2.0, 200, 2.0}},
};

/* A noisy neighbour requests 100m CPU and 128 MiB, like a small sidecar, and thrashes one
 * resource: the key resource is a share of the node's capacity times the config's intensity. */
#define NOISY_CPU_REQ 0.1
#define NOISY_MEM_REQ 0.125

static void noisy_use(const cfg_node_type *ty, int kind, double intensity, sim_usage *u)
{
    memset(u, 0, sizeof *u);
    u->mem_gib = 0.5;
    switch (kind) {
    case NOISY_CACHE: /* stress-ng --cache: a working set twice the LLC */
        *u = (sim_usage){1.0, 0.5, 2.0 * ty->llc_mb * intensity, 0.2 * ty->membw_gbps, 0, 0};
        break;
    case NOISY_MEMBW: /* stress-ng --stream: streams through memory */
        *u = (sim_usage){1.0, 1.0, 0.5 * ty->llc_mb, 0.85 * ty->membw_gbps * intensity, 0, 0};
        break;
    case NOISY_CPU: /* stress-ng --cpu 0: one busy thread per core */
        *u = (sim_usage){ty->cores * intensity, 0.5, 1.0, 0.5, 0, 0};
        break;
    case NOISY_DISK: /* stress-ng --hdd / fio */
        *u = (sim_usage){0.5, 0.5, 1.0, 0.5, 0.9 * ty->disk_iops * intensity, 0};
        break;
    case NOISY_NETWORK: /* a packet flood */
        *u = (sim_usage){0.5, 0.5, 1.0, 0.5, 0, 0.9 * ty->net_kpps * intensity};
        break;
    }
}

static void usage_add(sim_usage *a, const sim_usage *b, double sign)
{
    a->cpu += sign * b->cpu;
    a->mem_gib += sign * b->mem_gib;
    a->llc_mb += sign * b->llc_mb;
    a->membw += sign * b->membw;
    a->iops += sign * b->iops;
    a->kpps += sign * b->kpps;
}

#define MIB (1024LL * 1024LL)
#define GIB (1024LL * MIB)

static void requests_add(node_view *v, const sim_pod *p, int sign)
{
    v->cpu_req_m += sign * llround(p->cpu_req * 1000.0);
    v->mem_req_b += sign * llround(p->mem_req_gib * (double)GIB);
    v->pods += sign;
    v->gpus_req += sign * p->gpus;
}

int sim__fits(const sim *s, const sim_pod *p, int node)
{
    const node_view *v = &s->nodes[node].view;
    return v->cpu_req_m + llround(p->cpu_req * 1000.0) <= v->cpu_alloc_m &&
           v->mem_req_b + llround(p->mem_req_gib * (double)GIB) <= v->mem_alloc_b &&
           v->pods + 1 <= v->pods_alloc && v->gpus_req + p->gpus <= v->gpus_alloc;
}

int sim__add_pod(sim *s, const sim_pod *p)
{
    if (s->n_pods == s->cap_pods) {
        int cap = s->cap_pods ? 2 * s->cap_pods : 64;
        sim_pod *np = realloc(s->pods, (size_t)cap * sizeof *np);
        if (!np) return kisim_seterr(KISIM_ENOMEM, "sim: out of memory for %d pods", cap);
        s->pods = np;
        s->cap_pods = cap;
    }
    s->pods[s->n_pods++] = *p;
    sim_node *n = &s->nodes[p->node];
    requests_add(&n->view, p, +1);
    usage_add(&n->use, &p->use, +1);
    n->noisy += p->kind == SIM_POD_NOISY;
    n->replicas += p->kind == SIM_POD_SERVICE;
    return 0;
}

void sim__remove_pod(sim *s, int i)
{
    sim_pod *p = &s->pods[i];
    sim_node *n = &s->nodes[p->node];
    requests_add(&n->view, p, -1);
    usage_add(&n->use, &p->use, -1);
    n->noisy -= p->kind == SIM_POD_NOISY;
    n->replicas -= p->kind == SIM_POD_SERVICE;
    s->pods[i] = s->pods[--s->n_pods];
}

/* What a replica serving `served_rps` and keeping `cpu_busy` cores busy uses. */
void sim__replica_use(const sim *s, double served_rps, double cpu_busy, sim_usage *u)
{
    const kisim_config *c = &s->cfg;
    u->cpu = cpu_busy;
    u->mem_gib = 0.8 * c->workload.service.memory_gib;
    u->llc_mb = c->workload.service.working_set_mb;
    u->membw = served_rps / 1000.0 * c->workload.service.membw_gbps_per_krps;
    u->iops = 0.01 * served_rps;         /* access log writes */
    u->kpps = 4.0 * served_rps / 1000.0; /* request and response, two packets each way */
}

static void make_replica(const sim *s, sim_pod *p)
{
    memset(p, 0, sizeof *p);
    p->kind = SIM_POD_SERVICE;
    p->cls = POD_LATENCY_SENSITIVE;
    p->expires_at = INFINITY;
    p->cpu_req = s->cfg.workload.service.cpu_request;
    p->mem_req_gib = s->cfg.workload.service.memory_gib;
    p->node = -1;
}

static void make_background(sim *s, sim_pod *p)
{
    int c = rng_weighted(&s->rng, s->cfg.workload.background.mix, BG_CLASSES);
    double f = 0.6 + 0.8 * rng_uniform(&s->rng);
    memset(p, 0, sizeof *p);
    p->kind = SIM_POD_BACKGROUND;
    p->cls = (pod_class)(POD_CPU_BOUND + c);
    p->cpu_req = bg_templates[c].cpu_req;
    p->mem_req_gib = bg_templates[c].mem_req;
    p->use = bg_templates[c].use;
    p->use.cpu *= f;
    p->use.mem_gib *= f;
    p->use.llc_mb *= f;
    p->use.membw *= f;
    p->use.iops *= f;
    p->use.kpps *= f;
    p->expires_at =
        s->base.t + rng_exponential(&s->rng, s->cfg.workload.background.mean_lifetime_s);
    p->node = -1;
}

/* Places p on a uniformly random node it fits on; 0 if placed, 1 if it fits nowhere. */
static int place_random(sim *s, sim_pod *p)
{
    int start = (int)rng_below(&s->rng, (uint32_t)s->base.n_nodes);
    for (int k = 0; k < s->base.n_nodes; k++) {
        int node = (start + k) % s->base.n_nodes;
        if (sim__fits(s, p, node)) {
            p->node = node;
            p->placed_at = s->base.t;
            return sim__add_pod(s, p) ? -1 : 0;
        }
    }
    return 1;
}

static void spawn_noisy(sim *s, double lifetime)
{
    sim_pod p;
    memset(&p, 0, sizeof p);
    p.kind = SIM_POD_NOISY;
    p.cls = POD_BATCH;
    p.noisy_kind = rng_weighted(&s->rng, s->cfg.cluster.noisy.kinds, NOISY_KINDS);
    p.cpu_req = NOISY_CPU_REQ;
    p.mem_req_gib = NOISY_MEM_REQ;
    p.expires_at = s->base.t + lifetime;
    int node = (int)rng_below(&s->rng, (uint32_t)s->base.n_nodes);
    if (!sim__fits(s, &p, node)) return; /* a full node turns the tenant away */
    noisy_use(s->nodes[node].type, p.noisy_kind, s->cfg.cluster.noisy.intensity, &p.use);
    p.node = node;
    p.placed_at = s->base.t;
    sim__add_pod(s, &p);
}

/* Noisy-neighbour arrivals per second, cluster-wide. */
static double noisy_rate(const sim *s)
{
    return s->cfg.cluster.noisy.per_node_hour * s->base.n_nodes / 3600.0;
}

/* Noisy neighbours arrive as a Poisson process until time `until`. */
void sim__noisy_arrivals(sim *s, double until);
void sim__noisy_arrivals(sim *s, double until)
{
    double rate = noisy_rate(s);
    if (rate <= 0) return;
    while (s->next_noisy_t < until) {
        spawn_noisy(s, rng_exponential(&s->rng, s->cfg.cluster.noisy.mean_lifetime_s));
        s->next_noisy_t += rng_exponential(&s->rng, 1.0 / rate);
    }
}

/* Background and noisy pods whose time is up leave. */
void sim__departures(sim *s);
void sim__departures(sim *s)
{
    for (int i = s->n_pods - 1; i >= 0; i--)
        if (s->pods[i].expires_at <= s->base.t) sim__remove_pod(s, i);
}

/* The sim's side of the decision sequencing (decision.h). */
static void make_pending(void *env, int replica)
{
    sim *s = env;
    if (replica)
        make_replica(s, &s->pending);
    else
        make_background(s, &s->pending);
}

static int replica_rank(const void *env, int i, int *node_replicas, double *placed_at)
{
    const sim *s = env;
    const sim_pod *p = &s->pods[i];
    if (p->kind != SIM_POD_SERVICE) return 0;
    *node_replicas = s->nodes[p->node].replicas;
    *placed_at = p->placed_at;
    return 1;
}

static void sim_free(void *env)
{
    sim *s = env;
    if (!s) return;
    backend_free(&s->base);
    load_free(&s->load);
    free(s->nodes);
    free(s->pods);
    free(s->comp_w);
    free(s->comp_theta);
    free(s);
}

static int sim_init(backend **out, const kisim_config *cfg)
{
    *out = NULL;
    sim *s = calloc(1, sizeof *s);
    if (!s) return kisim_seterr(KISIM_ENOMEM, "sim: out of memory");
    s->cfg = *cfg;
    int err =
        backend_init(&s->base, &sim_backend, s, &s->rng, &s->cfg, cfg->cluster.telemetry.lag_steps);
    s->nodes = calloc((size_t)s->base.n_max, sizeof *s->nodes);
    if (!err && !s->nodes) err = kisim_seterr(KISIM_ENOMEM, "sim: out of memory");
    if (!err) err = load_init(&s->load, &s->cfg.load);
    if (err) {
        sim_free(s);
        return err;
    }
    for (int i = 0; i < s->base.n_nodes; i++)
        s->nodes[i].type = cfg_node_type_of(&s->cfg, i);
    *out = &s->base;
    return 0;
}

static void reset_nodes(sim *s)
{
    for (int i = 0; i < s->base.n_nodes; i++) {
        sim_node *n = &s->nodes[i];
        const cfg_node_type *ty = n->type;
        memset(n, 0, sizeof *n);
        n->type = ty;
        n->view.cpu_alloc_m = llround(ty->cores * 1000.0);
        n->view.mem_alloc_b = llround(ty->memory_gib * (double)GIB);
        n->view.pods_alloc = ty->max_pods;
        n->view.gpus_alloc = ty->gpus;
    }
}

/* Starts an episode from `seed`: the same seed gives the same episode, byte for byte. */
static int sim_reset(void *env, uint64_t seed)
{
    sim *s = env;
    rng_seed(&s->rng, seed);
    reset_nodes(s);
    s->n_pods = 0;
    s->n_comp = 0;
    s->ep_at_cap = 0;

    /* A cluster already in use: background pods where they fit, and noisy neighbours drawn
     * from the arrival process's stationary state (Poisson count, memoryless lifetimes). */
    const kisim_config *c = &s->cfg;
    for (int i = 0; i < c->workload.background.initial_pods; i++) {
        sim_pod p;
        make_background(s, &p);
        if (place_random(s, &p) < 0) return KISIM_ENOMEM;
    }
    double mean_noisy = noisy_rate(s) * c->cluster.noisy.mean_lifetime_s;
    double u = rng_uniform(&s->rng), pk = exp(-mean_noisy), cdf = pk;
    for (int k = 0; u > cdf && k < 10000; k++) { /* Poisson draw by inversion */
        spawn_noisy(s, rng_exponential(&s->rng, c->cluster.noisy.mean_lifetime_s));
        pk *= mean_noisy / (k + 1);
        cdf += pk;
    }
    s->next_noisy_t = noisy_rate(s) > 0 ? rng_exponential(&s->rng, 1.0 / noisy_rate(s)) : INFINITY;
    sim__fill_window(s);
    return 0;
}

static int pending_fits(const void *env, int node)
{
    const sim *s = env;
    return sim__fits(s, &s->pending, node);
}

static void pending_view(const void *env, pod_view *v)
{
    const sim_pod *p = &((const sim *)env)->pending;
    *v = (pod_view){
        llround(p->cpu_req * 1000.0), llround(p->mem_req_gib * (double)GIB), 0, p->gpus, p->cls,
        p->kind == SIM_POD_SERVICE};
}

static int place_pending(void *env, int node)
{
    sim *s = env;
    sim_pod p = s->pending;
    p.node = node;
    p.placed_at = s->base.t;
    p.expires_at = p.kind == SIM_POD_SERVICE ? INFINITY : p.expires_at;
    return sim__add_pod(s, &p);
}

static int pod_count(const void *env)
{
    return ((const sim *)env)->n_pods;
}

static void remove_pod(void *env, int i)
{
    sim__remove_pod(env, i);
}

static const node_view *node_of(const void *env, int node)
{
    return &((const sim *)env)->nodes[node].view;
}

/* Service-time inflation (>= 1) a latency-sensitive replica sees on `node` in the true state,
 * with the pending pod added there when `with_pending` is set. */
static double ls_inflation(const void *env, int node, int with_pending)
{
    const sim *s = env;
    const sim_node *n = &s->nodes[node];
    sim_usage u = n->use;
    if (with_pending && s->base.dec.has_pending) {
        sim_usage add = s->pending.use;
        if (s->pending.kind == SIM_POD_SERVICE) {
            /* A new replica takes its share of the load offered now. */
            double per = load_rate(&s->load, (long)s->base.t) / (s->base.dec.replicas_placed + 1);
            sim__replica_use(s, per, per * s->cfg.workload.service.base_service_ms / 1000, &add);
        }
        usage_add(&u, &add, +1);
    }
    return sim__inflation(s, &u, n->type, NULL);
}

static int replicas_on(const void *env, int node)
{
    return ((const sim *)env)->nodes[node].replicas;
}

static int noisy_on(const void *env, int node)
{
    return ((const sim *)env)->nodes[node].noisy;
}

const backend_ops sim_backend = {
    .name = "sim",
    .init = sim_init,
    .free = sim_free,
    .reset = sim_reset,
    .fits = pending_fits,
    .pending_view = pending_view,
    .place = place_pending,
    .n_pods = pod_count,
    .remove = remove_pod,
    .node = node_of,
    .orchestrator = sim__orchestrator,
    .episode_info = sim__episode_info,
    .make_pending = make_pending,
    .advance = sim__advance,
    .replica_rank = replica_rank,
    .ls_inflation = ls_inflation,
    .replicas_on = replicas_on,
    .noisy_on = noisy_on,
};

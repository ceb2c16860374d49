/* sim_service.c: one decision interval of the service. The load splits evenly over the
 * replicas (kube-proxy's balancing); each replica is an M/M/1 queue whose service time is the
 * base time times its node's contention inflation; its requests' latencies join the episode's
 * mixture (queue.h). Then pods leave and noisy neighbours arrive, and telemetry is sampled. */
#include <math.h>
#include <stdlib.h>

#include "common/err.h"
#include "env/sim/queue.h"
#include "env/sim/sim_internal.h"

/* A saturated replica serves at most this share of its capacity; the rest of its load times
 * out. Keeps the sojourn rate mu - lambda away from 0. */
#define RHO_MAX 0.99
/* Weight of the run-queue delay of a fully busy CPU, relative to the fair-share term. */
#define CPU_RUNQUEUE 0.5

void sim__noisy_arrivals(sim *s, double until);
void sim__departures(sim *s);

/* Pressure of a shared resource at utilisation rho: rho^4, clipped at rho = 1. Queueing at a
 * memory controller, a disk or a NIC is negligible at moderate load and grows steeply as the
 * resource saturates (0.3 -> 0.008, 0.6 -> 0.13, 0.9 -> 0.66, 1 -> 1). */
static double pressure(double rho)
{
    if (rho > 1) rho = 1;
    double r2 = rho * rho;
    return r2 * r2;
}

double sim__inflation(const sim *s, const sim_usage *u, const cfg_node_type *ty, double *stall)
{
    const double *k = s->cfg.workload.service.sensitivity;
    double cpu = u->cpu / ty->cores;
    double llc = u->llc_mb > ty->llc_mb ? 1 - ty->llc_mb / u->llc_mb : 0; /* missed share */
    /* Memory stalls keep the CPU busy: they count towards the replica's CPU time. */
    double st = k[CONT_LLC] * llc + k[CONT_MEMBW] * pressure(u->membw / ty->membw_gbps);
    /* Waiting for the CPU, a disk or the network does not. The CPU term has a run-queue part
     * (wake-up delays grow as the cores fill up) and, beyond full, the fair-share slowdown. */
    double wait = k[CONT_CPU] * (CPU_RUNQUEUE * pressure(cpu) + (cpu > 1 ? cpu - 1 : 0)) +
                  k[CONT_DISK] * pressure(u->iops / ty->disk_iops) +
                  k[CONT_NETWORK] * pressure(u->kpps / ty->net_kpps);
    if (stall) *stall = st;
    return 1 + st + wait;
}

static int reserve_components(sim *s, int more)
{
    if (s->n_comp + more <= s->cap_comp) return 0;
    int cap = s->cap_comp ? s->cap_comp : 256;
    while (cap < s->n_comp + more)
        cap *= 2;
    double *w = realloc(s->comp_w, (size_t)cap * sizeof *w);
    if (w) s->comp_w = w;
    double *th = realloc(s->comp_theta, (size_t)cap * sizeof *th);
    if (th) s->comp_theta = th;
    if (!w || !th) return kisim_seterr(KISIM_ENOMEM, "sim: out of memory for latency history");
    s->cap_comp = cap;
    return 0;
}

/* Serves one interval of length dt at offered rate lambda; returns requests that succeeded and
 * sets *at_cap to those that timed out for lack of capacity. */
static double serve(sim *s, double lambda, double dt, double *at_cap, int *contended)
{
    const kisim_config *c = &s->cfg;
    double base = c->workload.service.base_service_ms / 1000.0;
    double timeout = c->workload.service.timeout_ms / 1000.0;
    int r = s->base.dec.replicas_placed;
    double ok = 0, util = 0;
    *at_cap = r ? 0 : lambda * dt;
    *contended = 0;
    for (int i = 0; i < s->n_pods && r; i++) {
        sim_pod *p = &s->pods[i];
        if (p->kind != SIM_POD_SERVICE) continue;
        sim_node *n = &s->nodes[p->node];
        double lam = lambda / r;
        double stall;
        double mu = 1.0 / (base * sim__inflation(s, &n->use, n->type, &stall));
        double served = fmin(lam, RHO_MAX * mu);
        double cpu_busy = served * base * (1 + stall); /* seconds of CPU per second */
        double theta = mu - served;
        s->comp_w[s->n_comp] = served * dt;
        s->comp_theta[s->n_comp++] = theta;
        ok += served * dt * -expm1(-theta * timeout);
        *at_cap += (lam - served) * dt;
        util += cpu_busy;
        *contended += n->noisy > 0;
        /* Its use of the node follows the load it served (felt from the next interval). */
        sim_usage use;
        sim__replica_use(s, served, cpu_busy, &use);
        n->use.cpu += use.cpu - p->use.cpu;
        n->use.llc_mb += use.llc_mb - p->use.llc_mb;
        n->use.membw += use.membw - p->use.membw;
        n->use.iops += use.iops - p->use.iops;
        n->use.kpps += use.kpps - p->use.kpps;
        n->use.mem_gib += use.mem_gib - p->use.mem_gib;
        p->use = use;
    }
    s->base.utilization = r ? util / r / c->workload.service.cpu_request : 0;
    return ok;
}

int sim__advance(void *env, float *info)
{
    sim *s = env;
    const kisim_config *c = &s->cfg;
    double t0 = s->base.t, t1 = fmin(t0 + c->env.decision_interval_s, c->env.horizon_s);
    double dt = t1 - t0;
    int err = reserve_components(s, s->base.dec.replicas_placed);
    if (err) return err;

    double lambda = load_mean_rate(&s->load, t0, t1), offered = lambda * dt, at_cap;
    int first = s->n_comp, contended;
    double ok = serve(s, lambda, dt, &at_cap, &contended);
    double cap = c->workload.service.timeout_ms;
    int nc = s->n_comp - first;
    const double *w = s->comp_w + first, *th = s->comp_theta + first;
    /* Rates are per second; quantiles in milliseconds. */
    s->base.p50 = 1000 * queue_mixture_quantile(w, th, nc, at_cap, cap / 1000, 0.50);
    s->base.p95 = 1000 * queue_mixture_quantile(w, th, nc, at_cap, cap / 1000, 0.95);
    s->base.p99 = 1000 * queue_mixture_quantile(w, th, nc, at_cap, cap / 1000, 0.99);
    s->base.offered_rps = lambda;
    s->base.error_rate = offered > 0 ? fmax(0, (offered - ok) / offered) : 0;
    backend_interval_account(&s->base, offered, ok, dt);
    s->ep_at_cap += at_cap;

    s->base.t = t1;
    sim__departures(s);
    sim__noisy_arrivals(s, t1);
    sim__sample(s);
    backend_interval_reward(&s->base, offered, ok, contended, info);
    return 0;
}

void sim__episode_info(const void *env, float *info)
{
    const sim *s = env;
    double cap = s->cfg.workload.service.timeout_ms / 1000;
    info[INFO_EP_P50_MS] =
        (float)(1000 * queue_mixture_quantile(s->comp_w, s->comp_theta, s->n_comp, s->ep_at_cap,
                                              cap, 0.50));
    info[INFO_EP_P95_MS] =
        (float)(1000 * queue_mixture_quantile(s->comp_w, s->comp_theta, s->n_comp, s->ep_at_cap,
                                              cap, 0.95));
    info[INFO_EP_P99_MS] =
        (float)(1000 * queue_mixture_quantile(s->comp_w, s->comp_theta, s->n_comp, s->ep_at_cap,
                                              cap, 0.99));
    info[INFO_EP_ERROR_RATE] =
        (float)(s->base.ep_offered > 0 ? fmax(0, 1 - s->base.ep_ok / s->base.ep_offered) : 0);
}

/* local_service.c: one decision interval of the local backend, in wall time. Locust (started
 * when an episode's traffic begins, stopped when it ends) loads the replicas; the interval's
 * latency, errors and throughput come from its statistics and go through the sim's reward
 * function (env/core/reward.h). Which Locust source feeds which term is in env/LOCAL.md. */
#include "common/clock.h"
#include "env/local/local_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cli_args.h"
#include "common/err.h"
#include "common/log.h"

/* Starts Locust on the running replicas; the episode's clock starts when it answers. */
static int traffic_start(local *l)
{
    const cfg_local *c = &l->cfg.local;
    snprintf(l->config_path, sizeof l->config_path, "%s/config.json", l->dir);
    snprintf(l->targets_path, sizeof l->targets_path, "%s/targets", l->dir);
    /* Locust reads the effective config (every key present) for its load shape. */
    char *json = cfg_to_json(&l->cfg);
    if (!json) return kisim_seterr(KISIM_ENOMEM, "local: out of memory");
    int err = write_file_atomic(l->config_path, json);
    free(json);
    if (!err) err = write_file_atomic(l->targets_path, "");
    locust_opts o = {.locust_bin = c->locust[0] ? c->locust : NULL,
                     .locustfile = c->locustfile[0] ? c->locustfile : NULL,
                     .config_path = l->config_path,
                     .targets_file = l->targets_path,
                     .web_port = c->locust_web_port,
                     .timeout_s = c->startup_timeout_s};
    if (!err) err = locust_open(&l->lc, &o);
    if (err) return err;
    /* Locust runs in the instance's cgroup too, so a crashed run's cleanup finds it. */
    char rel[PATH_MAX + 16];
    snprintf(rel, sizeof rel, "%s/locust", l->inst_rel);
    err = local_cgroup_make(&l->cg, rel);
    if (!err) err = local_cgroup_move(&l->cg, rel, locust_pid(l->lc));
    if (!err) err = local__update_targets(l);
    if (err) return err;
    l->t0 = clock_mono_s();
    l->req_prev = l->fail_prev = 0;
    return 0;
}

void local__traffic_stop(local *l)
{
    locust_close(l->lc);
    l->lc = NULL;
}

/* CPU time of each replica's cgroup over the interval: its use in cores and the service's
 * utilisation (mean use over the request), as the HPA reads it. */
static void replica_usage(local *l, double dt)
{
    double util = 0;
    int r = 0;
    for (int i = 0; i < l->n_pods; i++) {
        local_pod *p = &l->pods[i];
        if (p->kind != LOCAL_POD_REPLICA) continue;
        char rel[LOCAL_REL_MAX];
        local__pod_cgroup(l, p, rel);
        unsigned long long ns = p->cpu_ns;
        if (local_cgroup_usage_ns(&l->cg, rel, &ns) == 0 && dt > 0) {
            p->demand = (double)(ns - p->cpu_ns) * 1e-9 / dt;
            p->cpu_ns = ns;
        }
        util += p->demand / p->cpu_req;
        r++;
    }
    l->base.utilization = r ? util / r : 0;
}

/* Locust's cumulative per-replica statistics, matched to the running replicas; and the
 * episode's percentiles over all its requests (the Aggregated row). */
static int read_replicas(local *l)
{
    int cap = l->n_pods + 1;
    locust_target_stats *ts = calloc((size_t)cap, sizeof *ts);
    if (!ts) return kisim_seterr(KISIM_ENOMEM, "local: out of memory");
    if (l->cap_rstats < l->n_pods) {
        local_replica_stats *rs = realloc(l->rstats, (size_t)l->n_pods * sizeof *rs);
        if (!rs) {
            free(ts);
            return kisim_seterr(KISIM_ENOMEM, "local: out of memory");
        }
        l->rstats = rs;
        l->cap_rstats = l->n_pods;
    }
    int n = locust_read_targets(l->lc, ts, cap);
    locust_target_stats total;
    int err = n < 0 ? n : locust_read_total(l->lc, &total);
    l->n_rstats = 0;
    for (int i = 0; i < l->n_pods && !err; i++) {
        const local_pod *p = &l->pods[i];
        if (p->kind != LOCAL_POD_REPLICA) continue;
        char addr[32];
        snprintf(addr, sizeof addr, "127.0.0.1:%d", p->port);
        local_replica_stats *r = &l->rstats[l->n_rstats++];
        *r = (local_replica_stats){p->node, p->port, 0, 0, NAN, NAN, NAN};
        for (int k = 0; k < n && k < cap; k++)
            if (!strcmp(ts[k].addr, addr))
                *r = (local_replica_stats){p->node,        p->port,      ts[k].requests,
                                           ts[k].failures, ts[k].p50_ms, ts[k].p95_ms,
                                           ts[k].p99_ms};
    }
    if (!err && total.requests > 0) {
        l->ep_p50 = total.p50_ms;
        l->ep_p95 = total.p95_ms;
        l->ep_p99 = total.p99_ms;
    }
    free(ts);
    return err;
}

static double or_zero(double v)
{
    return isfinite(v) ? v : 0;
}

int local__advance(void *env, float *info)
{
    local *l = env;
    const kisim_config *c = &l->cfg;
    int err = l->lc ? 0 : traffic_start(l);
    if (err) return err;
    double t0 = l->base.t, t1 = fmin(t0 + c->env.decision_interval_s, c->env.horizon_s);
    double dt = t1 - t0;
    err = local__receive_until(l, l->t0 + t1);
    if (err) return err;
    l->base.t = t1;
    locust_stats st;
    err = locust_read(l->lc, &st);
    if (!err) err = read_replicas(l);
    if (err) return err;
    replica_usage(l, dt);

    long dreq = st.requests - l->req_prev, dfail = st.failures - l->fail_prev;
    l->req_prev = st.requests;
    l->fail_prev = st.failures;
    double lambda = load_mean_rate(&l->load, t0, t1), offered = lambda * dt;
    double ok = (double)(dreq - dfail);
    int silent = dreq <= 0 && offered > 0; /* nothing answered: every request timed out */
    double timeout = c->workload.service.timeout_ms;
    l->base.p50 = silent ? timeout : or_zero(st.p50_ms);
    l->base.p95 = silent ? timeout : or_zero(st.p95_ms);
    l->base.p99 = silent ? timeout : or_zero(st.p99_ms);
    l->base.error_rate = dreq > 0 ? (double)dfail / (double)dreq : silent ? 1 : 0;
    l->base.offered_rps = lambda;
    int contended = 0;
    for (int i = 0; i < l->n_pods; i++)
        contended += l->pods[i].kind == LOCAL_POD_REPLICA && l->nodes[l->pods[i].node].noisy > 0;
    backend_interval_account(&l->base, offered, ok, dt);
    l->ep_requests = st.requests;
    l->ep_failures = st.failures;

    /* Batch pods whose time is up leave; the interval's telemetry becomes a sample. */
    for (int i = l->n_pods - 1; i >= 0; i--)
        if (l->pods[i].expires_at <= l->base.t) local__stop_pod(l, i);
    local__sample(l);
    backend_interval_reward(&l->base, offered, ok, contended, info);
    log_debug("local: t %.0f s: %ld requests (%ld failed), p50 %.1f p95 %.1f p99 %.1f ms, "
              "%d replicas, utilisation %.2f",
              l->base.t, dreq, dfail, l->base.p50, l->base.p95, l->base.p99,
              l->base.dec.replicas_placed, l->base.utilization);
    if (l->base.dec.done) {
        /* The episode is over: free the machine until the next reset. */
        local__traffic_stop(l);
        local__stop_all(l);
    }
    return 0;
}

void local__episode_info(const void *env, float *info)
{
    const local *l = env;
    info[INFO_EP_P50_MS] = (float)l->ep_p50;
    info[INFO_EP_P95_MS] = (float)l->ep_p95;
    info[INFO_EP_P99_MS] = (float)l->ep_p99;
    info[INFO_EP_ERROR_RATE] =
        (float)(l->ep_requests > 0 ? (double)l->ep_failures / (double)l->ep_requests : 0);
}

/* local.c: the local backend's lifecycle and decisions. A step places the pending pod (starting
 * its process), applies the replica delta, then runs wall-time intervals (local_service.c) until
 * a pod is pending again; the decision rules are the sim's (env/MODEL.md), the processes real. */
#include "common/clock.h"
#include "env/local/local_internal.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"

#define MIB (1024LL * 1024LL)
#define GIB (1024LL * MIB)
#define RUN_DIR_PREFIX "kisim-local-"

/* ---- the true state, for the oracle ---- */

static int noisy_on(const void *env, int node)
{
    return ((const local *)env)->nodes[node].noisy;
}

static int replicas_on(const void *env, int node)
{
    return ((const local *)env)->nodes[node].replicas;
}

/* Cores a new replica would use: its share of the load offered now, times the CPU time of a
 * request. */
static double replica_demand(const local *l)
{
    double rate = load_rate(&l->load, (long)l->base.t) / (l->base.dec.replicas_placed + 1);
    return rate * l->cfg.workload.service.base_service_ms / 1000.0;
}

/* Service-time inflation a replica would see on node: the CPU demand of the node's pods over
 * its quota (the CFS fair-share slowdown), at least 1; with the pending pod's expected demand
 * added when with_pending. */
static double ls_inflation(const void *env, int node, int with_pending)
{
    const local *l = env;
    const local_node *n = &l->nodes[node];
    double demand = 0;
    for (int i = 0; i < l->n_pods; i++)
        if (l->pods[i].node == node) demand += l->pods[i].demand;
    if (with_pending && l->base.dec.has_pending)
        demand += l->pending.kind == LOCAL_POD_REPLICA ? replica_demand(l) : l->pending.demand;
    double u = demand / n->type->cores;
    return u > 1 ? u : 1;
}

/* The local backend's side of the decision sequencing (decision.h). */
static void make_pending(void *env, int replica)
{
    local *l = env;
    if (replica)
        local__make_replica(l, &l->pending);
    else
        local__make_batch(l, &l->pending);
}
static int replica_rank(const void *env, int i, int *node_replicas, double *placed_at)
{
    const local *l = env;
    const local_pod *p = &l->pods[i];
    if (p->kind != LOCAL_POD_REPLICA) return 0;
    *node_replicas = l->nodes[p->node].replicas;
    *placed_at = p->placed_at;
    return 1;
}

/* ---- lifecycle ---- */

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    remove(path);
    return 0;
}

static void remove_dir(const char *dir)
{
    if (dir[0]) nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Removes RUN_DIR/kisim-local-INSTANCE folders of instances whose owner is gone. */
static void clean_stale_dirs(const char *run_dir)
{
    DIR *d = opendir(run_dir);
    if (!d) return;
    struct dirent *e;
    char path[PATH_MAX];
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, RUN_DIR_PREFIX, strlen(RUN_DIR_PREFIX)) != 0) continue;
        if (!local_cgroup_is_stale(e->d_name + strlen(RUN_DIR_PREFIX))) continue;
        if (snprintf(path, sizeof path, "%s/%s", run_dir, e->d_name) < (int)sizeof path)
            remove_dir(path);
    }
    closedir(d);
}

/* The kisim binary that runs `collect` and `target`: local.kisim, else this program when it is
 * kisim, else $KISIM. Never another program: exec'ing a test binary with kisim's arguments would
 * start it again. */
static int find_programs(local *l)
{
    const cfg_local *c = &l->cfg.local;
    const char *env = getenv("KISIM");
    char self[PATH_MAX] = "";
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    self[n > 0 ? n : 0] = 0;
    const char *base = strrchr(self, '/');
    int self_is_kisim = base && !strcmp(base + 1, "kisim");
    const char *pick = c->kisim[0] ? c->kisim : self_is_kisim ? self : env;
    if (!pick || !pick[0])
        return kisim_seterr(KISIM_ECONFIG,
                            "local: /local/kisim: this program (%s) is not kisim; set /local/kisim "
                            "or $KISIM to the kisim binary (it runs `kisim collect` and `kisim "
                            "target`)",
                            self);
    snprintf(l->kisim, sizeof l->kisim, "%s", pick);
    if (access(l->kisim, X_OK) != 0)
        return kisim_seterr(KISIM_EIO, "local: /local/kisim: %s is not an executable: %s", l->kisim,
                            strerror(errno));
    if (access(c->stress_ng, X_OK) != 0)
        return kisim_seterr(KISIM_EIO,
                            "local: /local/stress_ng: %s is not an executable (%s); install "
                            "Debian's stress-ng package",
                            c->stress_ng, strerror(errno));
    return 0;
}

/* The instance's folders: its cgroup parent and its run folder, after removing stale ones. */
static int make_instance(local *l)
{
    static atomic_int seq;
    const cfg_local *c = &l->cfg.local;
    local_cgroup_instance(l->instance, sizeof l->instance, atomic_fetch_add(&seq, 1));
    int removed = 0;
    int err = local_cgroup_clean_stale(&l->cg, c->cgroup_parent, &removed);
    if (err) return err;
    if (removed)
        log_info("local: removed %d stale instance(s) under %s", removed, c->cgroup_parent);
    clean_stale_dirs(c->run_dir);
    if (snprintf(l->inst_rel, sizeof l->inst_rel, "%s/%s", c->cgroup_parent, l->instance) >=
            (int)sizeof l->inst_rel ||
        snprintf(l->dir, sizeof l->dir, "%s/" RUN_DIR_PREFIX "%s", c->run_dir, l->instance) >=
            (int)sizeof l->dir)
        return kisim_seterr(KISIM_ECONFIG,
                            "local: /local/run_dir or /local/cgroup_parent is too long");
    if (mkdir(l->dir, 0700) != 0)
        return kisim_seterr(KISIM_EIO, "local: /local/run_dir: cannot create %s: %s", l->dir,
                            strerror(errno));
    for (int i = 0; i < l->base.n_nodes; i++) {
        local_node *n = &l->nodes[i];
        snprintf(n->name, sizeof n->name, "n%d", i);
        snprintf(n->cgroup, sizeof n->cgroup, "%s/%s", l->inst_rel, n->name);
        err = local_cgroup_make(&l->cg, n->cgroup);
        if (!err) err = local_cgroup_set_cpu(&l->cg, n->cgroup, n->type->cores);
        if (!err)
            err = local_cgroup_set_memory(&l->cg, n->cgroup,
                                          llround(n->type->memory_gib * (double)GIB));
        if (err) return err;
    }
    return 0;
}

static void local_free(void *env)
{
    local *l = env;
    if (!l) return;
    local__traffic_stop(l);
    local__stop_all(l);
    local__collector_stop(l);
    if (l->inst_rel[0]) {
        int err = local_cgroup_remove(&l->cg, l->inst_rel, 10);
        if (err) log_warn("%s", kisim_errmsg());
        /* The parent goes too when this was its last instance (rmdir fails while it is not). */
        char path[PATH_MAX + CFG_NAME_LEN * 4 + 2];
        for (int r = 0; r < l->cg.n; r++) {
            snprintf(path, sizeof path, "%s/%s", l->cg.root[r], l->cfg.local.cgroup_parent);
            rmdir(path);
        }
    }
    remove_dir(l->dir);
    backend_free(&l->base);
    load_free(&l->load);
    free(l->nodes);
    free(l->acc);
    free(l->acc_n);
    free(l->pods);
    free(l->rstats);
    free(l);
}

/* Checks root, finds the cgroup hierarchies and programs, removes stale groups of crashed runs
 * under the parent, makes the node groups and starts the collector. */
static int local_init(backend **out, const kisim_config *cfg)
{
    *out = NULL;
    if (geteuid() != 0)
        return kisim_seterr(KISIM_EUNSUPPORTED,
                            "local backend: needs root (it creates cgroups and loads the "
                            "collector's eBPF programs); run it as root, or use /env/backend "
                            "\"sim\"");
    local *l = calloc(1, sizeof *l);
    if (!l) return kisim_seterr(KISIM_ENOMEM, "local: out of memory");
    l->cfg = *cfg;
    int err = backend_init(&l->base, &local_backend, l, &l->rng, &l->cfg, 0);
    l->base.measured = l->avail;
    size_t n_max = (size_t)l->base.n_max;
    l->nodes = calloc(n_max, sizeof *l->nodes);
    l->acc = calloc(n_max * KISIM_F, sizeof *l->acc);
    l->acc_n = calloc(n_max * KISIM_F, sizeof *l->acc_n);
    if (!err && (!l->nodes || !l->acc || !l->acc_n))
        err = kisim_seterr(KISIM_ENOMEM, "local: out of memory");
    for (int i = 0; i < l->base.n_nodes && !err; i++)
        l->nodes[i].type = cfg_node_type_of(&l->cfg, i);
    if (!err) err = load_init(&l->load, &l->cfg.load);
    if (!err) err = local_cgroup_open(&l->cg);
    if (!err) err = find_programs(l);
    if (!err) err = make_instance(l);
    if (!err) err = local__collector_start(l);
    if (err) {
        local_free(l);
        return err;
    }
    *out = &l->base;
    return 0;
}

static void reset_nodes(local *l)
{
    for (int i = 0; i < l->base.n_nodes; i++) {
        local_node *n = &l->nodes[i];
        const cfg_node_type *ty = n->type;
        n->view = (node_view){llround(ty->cores * 1000.0),
                              llround(ty->memory_gib * (double)GIB),
                              ty->max_pods,
                              ty->gpus,
                              0,
                              0,
                              0,
                              0};
        n->noisy = n->replicas = 0;
    }
}

/* Starts a noisy neighbour on each of local.noisy.nodes distinct nodes drawn from the rng. */
static int start_noisy(local *l)
{
    int order[CFG_MAX_NODES];
    for (int i = 0; i < l->base.n_nodes; i++)
        order[i] = i;
    for (int k = 0; k < l->cfg.local.noisy.nodes; k++) {
        int j = k + (int)rng_below(&l->rng, (uint32_t)(l->base.n_nodes - k));
        int tmp = order[k];
        order[k] = order[j];
        order[j] = tmp;
        local_pod p = {.kind = LOCAL_POD_NOISY,
                       .node = order[k],
                       .expires_at = INFINITY,
                       .cpu_req = LOCAL_NOISY_CPU_REQ,
                       .mem_req_gib = LOCAL_NOISY_MEM_REQ};
        p.demand = l->cfg.local.noisy.cpu_workers * l->cfg.local.noisy.cpu_load / 100.0;
        int err = local__start_pod(l, &p);
        if (err) return err;
    }
    return 0;
}

/* Places p on a uniformly random node it fits on; 1 if it fits nowhere. */
static int place_random(local *l, local_pod *p)
{
    int start = (int)rng_below(&l->rng, (uint32_t)l->base.n_nodes);
    for (int k = 0; k < l->base.n_nodes; k++) {
        int node = (start + k) % l->base.n_nodes;
        if (local__fits(l, p, node)) {
            p->node = node;
            return local__start_pod(l, p);
        }
    }
    return 1;
}

/* Stops the previous episode's processes, starts the noisy neighbours (on local.noisy.nodes
 * nodes drawn from `seed`) and the initial batch pods, and lets the collector measure them. */
static int local_reset(void *env, uint64_t seed)
{
    local *l = env;
    local__traffic_stop(l);
    local__stop_all(l);
    rng_seed(&l->rng, seed);
    reset_nodes(l);
    l->t0 = 0;
    l->ep_p50 = l->ep_p95 = l->ep_p99 = 0;
    l->ep_requests = l->ep_failures = 0;
    l->n_rstats = 0;
    int err = start_noisy(l);
    for (int i = 0; i < l->cfg.workload.background.initial_pods && err >= 0; i++) {
        local_pod p;
        local__make_batch(l, &p);
        err = place_random(l, &p);
    }
    if (err < 0) return err;
    /* Let the collector measure the cluster as it now is before the first decision: the
     * sums restart, and two collector periods later the window is filled with their mean. */
    memset(l->acc, 0, (size_t)l->base.n_max * KISIM_F * sizeof *l->acc);
    memset(l->acc_n, 0, (size_t)l->base.n_max * KISIM_F * sizeof *l->acc_n);
    err = local__receive_until(l, clock_mono_s() + 2.2 * l->cfg.local.collect_interval_ms / 1000.0);
    if (err) return err;
    local__fill_window(l);
    return 0;
}

/* ---- decisions ---- */

static int pending_fits(const void *env, int node)
{
    const local *l = env;
    return local__fits(l, &l->pending, node);
}

static void pending_view(const void *env, pod_view *v)
{
    local__pod_view(&((const local *)env)->pending, v);
}

/* Starts the pending pod's process on node; a new replica joins Locust's targets. */
static int place_pending(void *env, int node)
{
    local *l = env;
    local_pod p = l->pending;
    p.node = node;
    int err = local__start_pod(l, &p);
    if (!err && p.kind == LOCAL_POD_REPLICA) err = local__update_targets(l);
    return err;
}

static int pod_count(const void *env)
{
    return ((const local *)env)->n_pods;
}

/* A scale-down's victim stops, and Locust stops sending it requests. */
static void remove_pod(void *env, int i)
{
    local__stop_pod(env, i);
    local__update_targets(env);
}

static const node_view *node_of(const void *env, int node)
{
    return &((const local *)env)->nodes[node].view;
}

const backend_ops local_backend = {
    .name = "local",
    .init = local_init,
    .free = local_free,
    .reset = local_reset,
    .fits = pending_fits,
    .pending_view = pending_view,
    .place = place_pending,
    .n_pods = pod_count,
    .remove = remove_pod,
    .node = node_of,
    .orchestrator = local__orchestrator,
    .episode_info = local__episode_info,
    .make_pending = make_pending,
    .advance = local__advance,
    .replica_rank = replica_rank,
    .ls_inflation = ls_inflation,
    .replicas_on = replicas_on,
    .noisy_on = noisy_on,
};

int local_replica_stats_read(local *l, local_replica_stats *out, int cap)
{
    if (!l->n_rstats && l->t0 == 0)
        return kisim_seterr(KISIM_ESTATE, "local: no traffic yet in this episode");
    int n = l->n_rstats < cap ? l->n_rstats : cap;
    memcpy(out, l->rstats, (size_t)n * sizeof *out);
    return l->n_rstats;
}

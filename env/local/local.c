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
#include "env/core/action.h"
#include "env/core/reward.h"

#define MIB (1024LL * 1024LL)
#define GIB (1024LL * MIB)
#define RUN_DIR_PREFIX "kisim-local-"

/* ---- the true state, for the oracle ---- */

int local_noisy_on(const local *l, int node)
{
    return l->nodes[node].noisy;
}

int local_replicas_on(const local *l, int node)
{
    return l->nodes[node].replicas;
}

/* Cores a new replica would use: its share of the load offered now, times the CPU time of a
 * request. */
static double replica_demand(const local *l)
{
    double rate = load_rate(&l->load, (long)l->t) / (l->dec.replicas_placed + 1);
    return rate * l->cfg.workload.service.base_service_ms / 1000.0;
}

double local_ls_inflation(const local *l, int node, int with_pending)
{
    const local_node *n = &l->nodes[node];
    double demand = 0;
    for (int i = 0; i < l->n_pods; i++)
        if (l->pods[i].node == node) demand += l->pods[i].demand;
    if (with_pending && l->dec.has_pending)
        demand += l->pending.kind == LOCAL_POD_REPLICA ? replica_demand(l) : l->pending.demand;
    double u = demand / n->type->cores;
    return u > 1 ? u : 1;
}

static int any_fit(const local *l, const local_pod *p)
{
    for (int n = 0; n < l->n_nodes; n++)
        if (local__fits(l, p, n)) return 1;
    return 0;
}

/* The local backend's side of the decision sequencing (decision.h). */
static int dec_make_pending(void *env, int replica)
{
    local *l = env;
    if (replica)
        local__make_replica(l, &l->pending);
    else
        local__make_batch(l, &l->pending);
    return any_fit(l, &l->pending);
}
static int dec_advance(void *env, float *info)
{
    return local__advance(env, info);
}
static int dec_replica_rank(const void *env, int i, int *node_replicas, double *placed_at)
{
    const local *l = env;
    const local_pod *p = &l->pods[i];
    if (p->kind != LOCAL_POD_REPLICA) return 0;
    *node_replicas = l->nodes[p->node].replicas;
    *placed_at = p->placed_at;
    return 1;
}
static const decision_ops local_decision_ops = {dec_make_pending, dec_advance, dec_replica_rank};

static double truth_inflation(const void *l, int node, int with_pending)
{
    return local_ls_inflation(l, node, with_pending);
}
static int truth_replicas(const void *l, int node)
{
    return local_replicas_on(l, node);
}
static int truth_noisy(const void *l, int node)
{
    return local_noisy_on(l, node);
}

const char *local_node_cgroup(const local *l, int node)
{
    return l->nodes[node].cgroup;
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
    for (int i = 0; i < l->n_nodes; i++) {
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

int local_init(local **out, const kisim_config *cfg)
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
    l->truth = (sched_truth){l, truth_inflation, truth_replicas, truth_noisy};
    l->dec = (decision){.ops = &local_decision_ops,
                        .env = l,
                        .rng = &l->rng,
                        .arrival_prob = l->cfg.workload.background.arrival_prob};
    l->n_nodes = cfg_node_count(cfg);
    l->n_max = cfg->env.max_nodes;
    l->window = cfg->env.window;
    l->ring_len = l->window;
    l->nodes = calloc((size_t)l->n_max, sizeof *l->nodes);
    l->view_nodes = calloc((size_t)l->n_max, sizeof *l->view_nodes);
    l->acc = calloc((size_t)l->n_max * KISIM_F, sizeof *l->acc);
    l->acc_n = calloc((size_t)l->n_max * KISIM_F, sizeof *l->acc_n);
    l->ring = calloc((size_t)l->n_max * 2 * (size_t)l->ring_len * KISIM_F, sizeof *l->ring);
    int err = 0;
    if (!l->nodes || !l->view_nodes || !l->acc || !l->acc_n || !l->ring)
        err = kisim_seterr(KISIM_ENOMEM, "local: out of memory");
    for (int i = 0; i < l->n_nodes && !err; i++)
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
    *out = l;
    return 0;
}

void local_free(local *l)
{
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
    load_free(&l->load);
    free(l->nodes);
    free(l->view_nodes);
    free(l->acc);
    free(l->acc_n);
    free(l->ring);
    free(l->pods);
    free(l->rstats);
    free(l);
}

static void reset_nodes(local *l)
{
    for (int i = 0; i < l->n_nodes; i++) {
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
    int order[4096];
    for (int i = 0; i < l->n_nodes; i++)
        order[i] = i;
    for (int k = 0; k < l->cfg.local.noisy.nodes; k++) {
        int j = k + (int)rng_below(&l->rng, (uint32_t)(l->n_nodes - k));
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
    int start = (int)rng_below(&l->rng, (uint32_t)l->n_nodes);
    for (int k = 0; k < l->n_nodes; k++) {
        int node = (start + k) % l->n_nodes;
        if (local__fits(l, p, node)) {
            p->node = node;
            return local__start_pod(l, p);
        }
    }
    return 1;
}

int local_reset(local *l, uint64_t seed)
{
    local__traffic_stop(l);
    local__stop_all(l);
    rng_seed(&l->rng, seed);
    reset_nodes(l);
    l->t = l->t0 = 0;
    l->dec.done = l->dec.unschedulable = 0;
    l->p50 = l->p95 = l->p99 = l->error_rate = l->offered_rps = l->served_rps = 0;
    l->utilization = l->cost = l->down_s = 0;
    l->ep_offered = l->ep_ok = l->ep_cost = l->ep_replica_s = l->ep_reward = 0;
    l->ep_p50 = l->ep_p95 = l->ep_p99 = 0;
    l->ep_requests = l->ep_failures = 0;
    l->ep_steps = l->ep_replicas_placed = l->ep_replicas_contended = 0;
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
    memset(l->acc, 0, (size_t)l->n_max * KISIM_F * sizeof *l->acc);
    memset(l->acc_n, 0, (size_t)l->n_max * KISIM_F * sizeof *l->acc_n);
    err = local__receive_until(l, clock_mono_s() + 2.2 * l->cfg.local.collect_interval_ms / 1000.0);
    if (err) return err;
    local__fill_window(l);
    l->dec.replicas_placed = 0;
    l->dec.replicas_wanted = l->cfg.workload.service.initial_replicas;
    return decision_next(&l->dec, 0, NULL);
}

/* ---- decisions ---- */

static int bootstrapping(const local *l)
{
    return l->t0 == 0 && l->dec.replicas_placed < l->dec.replicas_wanted;
}

static action_state action_of(const local *l)
{
    const kisim_config *c = &l->cfg;
    return (action_state){l->n_max,
                          l->n_nodes,
                          l->dec.replicas_wanted,
                          c->workload.service.min_replicas,
                          c->workload.service.max_replicas,
                          bootstrapping(l)};
}

void local__node_mask(const local *l, uint8_t *m);
void local__node_mask(const local *l, uint8_t *m)
{
    for (int i = 0; i < l->n_max; i++)
        m[i] =
            l->dec.has_pending && !l->dec.done && i < l->n_nodes && local__fits(l, &l->pending, i);
    action_state st = action_of(l);
    action_scale_mask(&st, m + l->n_max);
}

/* Scale-down: decision_scale_down's victim, if a placed replica goes (Locust then stops
 * sending it requests). */
static void scale_down(local *l)
{
    int victim = decision_scale_down(&l->dec, l->n_pods);
    if (victim >= 0) {
        local__stop_pod(l, victim);
        local__update_targets(l);
    }
}

static int place_pending(local *l, int node, float *info)
{
    local_pod p = l->pending;
    p.node = node;
    info[INFO_PLACED_NODE] = (float)node;
    int err = local__start_pod(l, &p);
    if (err) return err;
    l->dec.has_pending = 0;
    if (p.kind == LOCAL_POD_REPLICA) {
        int contended = l->nodes[node].noisy > 0;
        info[INFO_PLACED_REPLICA] = 1;
        info[INFO_PLACED_CONTENDED] = (float)contended;
        l->ep_replicas_placed++;
        l->ep_replicas_contended += contended;
        l->dec.replicas_placed++;
        err = local__update_targets(l);
    }
    return err;
}

int local_step(local *l, const int32_t action[2], float *reward, uint8_t *terminated,
               uint8_t *truncated, float *info)
{
    if (l->dec.done)
        return kisim_seterr(KISIM_ESTATE, "local: step after the episode ended; reset");
    uint8_t mask[4096 + 3];
    local__node_mask(l, mask);
    memset(info, 0, KISIM_N_INFO * sizeof *info);
    info[INFO_PLACED_NODE] = -1;
    action_state st = action_of(l);
    int invalid = action_check(&st, action, mask);
    if (invalid && l->cfg.env.invalid_action == INVALID_ACTION_ERROR) return invalid;
    int err = 0;
    if (invalid) {
        kisim_clearerr();
        info[INFO_INVALID_ACTION] = 1;
        info[INFO_R_INVALID] = (float)l->cfg.env.invalid_penalty;
        l->dec.has_pending = 0;
    } else {
        err = place_pending(l, action[0], info);
        if (!err && action[1] == 0) scale_down(l);
        if (!err && action[1] == 2) l->dec.replicas_wanted++;
    }
    l->dec.unschedulable = 0;
    if (!err) err = decision_next(&l->dec, !bootstrapping(l), info);
    if (err) return err;
    info[INFO_UNSCHEDULABLE] = (float)l->dec.unschedulable;
    float r = reward_total(info);
    l->ep_reward += r;
    l->ep_steps++;
    *reward = r;
    *terminated = l->dec.done == 1;
    *truncated = l->dec.done == 2;
    if (l->dec.done) local__episode_info(l, info);
    return 0;
}

void local_view(local *l, sched_view *v)
{
    memset(v, 0, sizeof *v);
    for (int i = 0; i < l->n_max; i++) {
        if (i < l->n_nodes)
            l->view_nodes[i] = l->nodes[i].view;
        else
            memset(&l->view_nodes[i], 0, sizeof l->view_nodes[i]);
    }
    local__pod_view(&l->pending, &l->view_pod);
    const kisim_config *c = &l->cfg;
    l->view_service =
        (service_view){l->dec.replicas_wanted,           c->workload.service.min_replicas,
                       c->workload.service.max_replicas, l->utilization,
                       c->workload.service.hpa_target,   c->workload.service.hpa_tolerance};
    v->n_max = l->n_max;
    v->window = l->window;
    v->nodes = l->view_nodes;
    v->pod = &l->view_pod;
    v->service = &l->view_service;
    v->truth = &l->truth;
}

int local_replica_stats_read(local *l, local_replica_stats *out, int cap)
{
    if (!l->n_rstats && l->t0 == 0)
        return kisim_seterr(KISIM_ESTATE, "local: no traffic yet in this episode");
    int n = l->n_rstats < cap ? l->n_rstats : cap;
    memcpy(out, l->rstats, (size_t)n * sizeof *out);
    return l->n_rstats;
}

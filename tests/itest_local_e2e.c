/* itest_local_e2e.c: the local backend end to end on real processes. Two 0.6-CPU node cgroups,
 * one running a stress-ng CPU neighbour that eats more than the node's quota; one replica of
 * `kisim target` is placed on the noisy node and one on the quiet node through the env's own
 * steps; Locust loads both for about a minute. Each replica must serve at least 2,000 requests,
 * and the noisy replica's Locust-measured p95 must be at least 1.5x the quiet one's: the CFS
 * quota the neighbour exhausts throttles the replica beside it (the contention that is truly
 * node-local on this machine, env/LOCAL.md). Afterwards nothing of the run is left: no cgroup,
 * no process. Needs root, cgroups, BTF (the collector), stress-ng and Locust: it says which is
 * missing and skips (exit 77) elsewhere. Runs under its own cgroup parent "kisim-test-e2e-PID". */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <time.h>

#include "common/clock.h"
#include "common/err.h"
#include "env/local/local.h"
#include "env/local/local_cgroup.h"
#include "spaces/spaces.h"
#include "test.h"

/* The noisy node's requested CPU in every sample of its window, oldest first, against the
 * closed form: the neighbour requests 0.1 core of the node's 0.6 (1/6), and step 0 adds a
 * 0.1-core replica (2/6). Before step 0 the window holds the reset's state throughout; before
 * step 1 (no interval has run: the second replica is still bootstrapping) the older sample keeps
 * the reset's 1/6 and only the newest shows 2/6, as the sim's window does. */
static void check_requests_window(const float *obs, const env_spaces *sp, int noisy, int k)
{
    int T = sp->window;
    for (int t = 0; t < T; t++) {
        float got =
            obs[sp->off_nodes + ((size_t)noisy * T + t) * KISIM_F + FEAT_CPU_REQUESTED_RATIO];
        double want = k == 1 && t == T - 1 ? 2.0 / 6 : 1.0 / 6;
        CHECK_MSG(fabs(got - want) < 1e-4,
                  "observation %d, sample %d: cpu_requested_ratio %.4f, "
                  "want %.4f",
                  k, t, got, want);
        got = obs[sp->off_nodes + ((size_t)noisy * T + t) * KISIM_F + FEAT_PODS_RATIO];
        want = k == 1 && t == T - 1 ? 0.2 : 0.1;
        CHECK_MSG(fabs(got - want) < 1e-4, "observation %d, sample %d: pods_ratio %.4f, want %.4f",
                  k, t, got, want);
    }
}

static void test_noisy_replica_is_slower(void)
{
    char parent[64], json[2048];
    snprintf(parent, sizeof parent, "kisim-test-e2e-%d", (int)getpid());
    /* 80 requests/s split round-robin over two replicas for 70 s: about 2,800 each. */
    snprintf(
        json, sizeof json,
        "{\"env\": {\"backend\": \"local\", \"horizon_s\": 70, \"decision_interval_s\": 10,"
        " \"max_nodes\": 4, \"window\": 2},"
        " \"cluster\": {\"node_types\": [{\"name\": \"small\", \"count\": 2, \"cores\": 0.6,"
        " \"memory_gib\": 1, \"max_pods\": 10}]},"
        " \"workload\": {\"service\": {\"base_service_ms\": 1, \"slo_ms\": 50, \"timeout_ms\": "
        "5000,"
        " \"cpu_request\": 0.1, \"memory_gib\": 0.125, \"working_set_mb\": 1, \"min_replicas\": 2,"
        " \"max_replicas\": 2, \"initial_replicas\": 2},"
        " \"background\": {\"initial_pods\": 0, \"arrival_prob\": 0}},"
        " \"load\": {\"pattern\": \"ramp\", \"rate_per_user\": 5,"
        " \"ramp\": {\"start\": 16, \"end\": 16, \"duration_s\": 70}},"
        " \"local\": {\"cgroup_parent\": \"%s\", \"kisim\": \"%s\", \"startup_timeout_s\": 60,"
        " \"noisy\": {\"nodes\": 1, \"cpu_workers\": 2, \"cpu_load\": 100}}}",
        parent, getenv("KISIM"));
    kisim_config cfg;
    int err = cfg_parse(&cfg, json, "itest_local_e2e", "");
    CHECK_MSG(err == 0, "%s", kisim_errmsg());
    if (err) return;
    backend *b = NULL;
    double t_init = clock_mono_s();
    err = local_backend.init(&b, &cfg);
    t_init = clock_mono_s() - t_init;
    CHECK_MSG(err == 0, "local init: %s", kisim_errmsg());
    if (err) return;
    local *l = b->env;
    double t_reset = clock_mono_s();
    err = backend_reset(b, 42);
    t_reset = clock_mono_s() - t_reset;
    CHECK_MSG(err == 0, "local reset: %s", kisim_errmsg());
    int noisy = local_backend.noisy_on(l, 0) ? 0 : 1, quiet = 1 - noisy;
    CHECK_EQ_INT(local_backend.noisy_on(l, noisy), 1);
    CHECK_EQ_INT(local_backend.noisy_on(l, quiet), 0);

    env_spaces sp;
    spaces_init(&sp, cfg.env.max_nodes, cfg.env.window);
    float *obs = calloc((size_t)sp.obs_dim, sizeof *obs), info[KISIM_N_INFO], reward;
    uint8_t mask[4 + 3], term = 0, trunc = 0;
    int steps = 0;
    double t_step[3] = {0};
    for (int k = 0; !err && !term && !trunc; k++, steps++) {
        backend_observe(b, obs, mask);
        if (k < 2) check_requests_window(obs, &sp, noisy, k);
        int32_t a[2] = {k == 0 ? noisy : quiet, 1};
        double t0 = clock_mono_s();
        err = backend_step(b, a, &reward, &term, &trunc, info);
        if (k < 3) t_step[k] = clock_mono_s() - t0;
        CHECK_MSG(err == 0, "step %d: %s", k, kisim_errmsg());
        if (k == 0) CHECK_EQ_INT((int)info[INFO_PLACED_CONTENDED], 1);
        if (k == 1) CHECK_EQ_INT((int)info[INFO_PLACED_CONTENDED], 0);
    }
    CHECK(trunc && !term);
    /* Step 0 starts the first replica; step 1 the second, then Locust and, with no decision
     * left, the whole episode: what it takes beyond the horizon is start-up. */
    fprintf(stderr,
            "timings: init %.2f s, reset %.2f s, first replica %.3f s, second replica + "
            "Locust start + the %.0f s episode %.2f s\n",
            t_init, t_reset, t_step[0], cfg.env.horizon_s, t_step[1]);
    CHECK_NEAR(info[INFO_EP_CONTENDED_SHARE], 0.5, 1e-6);
    CHECK_NEAR(info[INFO_TIME_S], 70, 1e-6);

    local_replica_stats rs[4];
    int n = local_replica_stats_read(l, rs, 4);
    CHECK_EQ_INT(n, 2);
    const local_replica_stats *on_noisy = NULL, *on_quiet = NULL;
    for (int i = 0; i < n && i < 4; i++) {
        if (rs[i].node == noisy) on_noisy = &rs[i];
        if (rs[i].node == quiet) on_quiet = &rs[i];
    }
    CHECK(on_noisy && on_quiet);
    if (on_noisy && on_quiet) {
        fprintf(stderr,
                "noisy replica: %ld requests, p50 %.1f p95 %.1f p99 %.1f ms\n"
                "quiet replica: %ld requests, p50 %.1f p95 %.1f p99 %.1f ms\n"
                "p95 ratio %.2f; episode p99 %.1f ms\n",
                on_noisy->requests, on_noisy->p50_ms, on_noisy->p95_ms, on_noisy->p99_ms,
                on_quiet->requests, on_quiet->p50_ms, on_quiet->p95_ms, on_quiet->p99_ms,
                on_noisy->p95_ms / on_quiet->p95_ms, info[INFO_EP_P99_MS]);
        CHECK_MSG(on_noisy->requests >= 2000, "noisy replica served %ld", on_noisy->requests);
        CHECK_MSG(on_quiet->requests >= 2000, "quiet replica served %ld", on_quiet->requests);
        CHECK_MSG(on_noisy->p95_ms >= 1.5 * on_quiet->p95_ms,
                  "p95 %.1f ms (noisy) vs %.1f ms (quiet)", on_noisy->p95_ms, on_quiet->p95_ms);
    }
    free(obs);
    local_backend.free(l);

    /* Nothing is left: the parent's folder is gone from every hierarchy. */
    local_cgroup cg;
    local_cgroup_open(&cg);
    CHECK(!local_cgroup_exists(&cg, parent));
    local_cgroup_remove(&cg, parent, 5);
}

int main(void)
{
    const char *k = getenv("KISIM");
    if (!k || access(k, X_OK) != 0) {
        fprintf(stderr, "FAIL: KISIM does not name the kisim binary\n");
        return 1;
    }
    const char *what = "the local backend's end-to-end test";
    if (geteuid() != 0) SKIP("no-root", "%s needs root (cgroups, the eBPF collector)", what);
    if (access("/sys/kernel/btf/vmlinux", R_OK) != 0)
        SKIP("no-btf", "%s needs kernel BTF (the collector)", what);
    if (access("/usr/bin/stress-ng", X_OK) != 0)
        SKIP("no-tool", "%s needs /usr/bin/stress-ng", what);
    if (access("/usr/bin/locust", X_OK) != 0) SKIP("no-tool", "%s needs /usr/bin/locust", what);
    local_cgroup cg;
    if (local_cgroup_open(&cg) != 0) SKIP("no-cgroup", "%s: %s", what, kisim_errmsg());
    RUN(test_noisy_replica_is_slower);
    TEST_MAIN_END();
}

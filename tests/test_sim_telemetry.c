/* test_sim_telemetry.c: the observation's telemetry window. One interval per decision moves the
 * window by exactly one sample (oldest first); orchestrator features show the current requests
 * (computed here from the orchestrator's view); unavailable features are 0 with availability 0;
 * node and pod layout match spaces.h. */
#include "common/config.h"
#include "common/err.h"
#include "env/env.h"
#include "test.h"

static const char *json =
    "{\"env\": {\"max_nodes\": 6, \"window\": 4},"
    " \"cluster\": {\"nodes\": 3, \"telemetry\": {\"noise\": 0.05, \"lag_steps\": 2},"
    "   \"unavailable_features\": [\"l3_cache_miss_rate\", \"memory_bandwidth_gbps\"]},"
    " \"workload\": {\"background\": {\"arrival_prob\": 1}}}";

static void test_window_shifts_and_orchestrator_is_current(void)
{
    kisim_config cfg;
    CHECK(cfg_parse(&cfg, json, "t.json", ".") == 0);
    kisim_env *e;
    CHECK(env_init(&e, &cfg) == 0);
    env_spaces sp;
    env_get_spaces(e, &sp);
    CHECK_EQ_INT(sp.obs_dim, 6 * 4 * KISIM_F + KISIM_P + KISIM_S + 6 + KISIM_F);
    float prev[6 * 4 * KISIM_F], obs[1024], info[KISIM_N_INFO], r;
    uint8_t mask[16], term = 0, trunc = 0;
    env_reset(e, 3, obs, mask);
    int shifted = 0;
    double t_prev = 0;
    for (int step = 0; step < 80 && !term && !trunc; step++) {
        memcpy(prev, obs, sizeof prev);
        int32_t a[2] = {0, 1};
        while (!mask[a[0]])
            a[0]++;
        CHECK(env_step(e, a, obs, mask, &r, &term, &trunc, info) == 0);
        int one_interval = info[INFO_TIME_S] - t_prev == 5;
        t_prev = info[INFO_TIME_S];
        sched_view v;
        env_sched_view(e, obs, mask, &v);
        for (int n = 0; n < 6; n++) {
            const float *w = obs + (size_t)n * 4 * KISIM_F, *pw = prev + (size_t)n * 4 * KISIM_F;
            if (n >= 3) { /* absent nodes: all zero, masked */
                for (int k = 0; k < 4 * KISIM_F; k++)
                    CHECK(w[k] == 0);
                CHECK(obs[sp.off_node_mask + n] == 0 && mask[n] == 0);
                continue;
            }
            if (one_interval && info[INFO_TIME_S] > 5)
                for (int k = 0; k < 3; k++)
                    for (int f = 0; f < KISIM_F_MEASURED; f++) {
                        CHECK(w[k * KISIM_F + f] == pw[(k + 1) * KISIM_F + f]);
                        shifted++;
                    }
            const float *newest = w + 3 * KISIM_F;
            const node_view *nv = &v.nodes[n];
            CHECK_NEAR(newest[FEAT_CPU_REQUESTED_RATIO], (double)nv->cpu_req_m / nv->cpu_alloc_m,
                       1e-6);
            CHECK_NEAR(newest[FEAT_MEMORY_REQUESTED_RATIO], (double)nv->mem_req_b / nv->mem_alloc_b,
                       1e-6);
            CHECK_NEAR(newest[FEAT_PODS_RATIO], (double)nv->pods / nv->pods_alloc, 1e-6);
            for (int k = 0; k < 4; k++) {
                CHECK(w[k * KISIM_F + FEAT_L3_CACHE_MISS_RATE] == 0);
                CHECK(w[k * KISIM_F + FEAT_MEMORY_BANDWIDTH_GBPS] == 0);
                for (int f = 0; f < KISIM_F; f++)
                    CHECK(w[k * KISIM_F + f] >= 0 && w[k * KISIM_F + f] <= 1);
            }
            CHECK(obs[sp.off_node_mask + n] == mask[n]);
        }
        for (int f = 0; f < KISIM_F; f++)
            CHECK(obs[sp.off_availability + f] ==
                  (f == FEAT_L3_CACHE_MISS_RATE || f == FEAT_MEMORY_BANDWIDTH_GBPS ? 0 : 1));
        /* Pod context: exactly one class, and is_replica matches the view (after the last
         * step nothing is pending and the pod context is all zero). */
        const float *pod = obs + sp.off_pod;
        if (term || trunc) {
            for (int c = 0; c < KISIM_P; c++)
                CHECK(pod[c] == 0);
            break;
        }
        float classes = 0;
        for (int c = POD_CTX_CLASS_LATENCY_SENSITIVE; c <= POD_CTX_CLASS_BATCH; c++)
            classes += pod[c];
        CHECK(classes == 1);
        CHECK(pod[POD_CTX_IS_REPLICA] == (float)v.pod->is_replica);
        CHECK(pod[POD_CTX_CLASS_LATENCY_SENSITIVE + v.pod->cls] == 1);
    }
    CHECK_MSG(shifted > 500, "only %d shifted samples checked", shifted);
    env_free(e);
}

int main(void)
{
    RUN(test_window_shifts_and_orchestrator_is_current);
    TEST_MAIN_END();
}

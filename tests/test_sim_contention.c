/* test_sim_contention.c: the contention model against its closed forms (env/MODEL.md). For each
 * noisy kind alone, on nodes holding nothing but n noisy neighbours of that kind (no background
 * pods, the service's sensitivity 1 to that kind's resource and 0 to the others), the
 * inflation a replica would see and the telemetry the node shows (no noise, no lag) are
 * computed here from the model's definitions:
 *   cpu:     U/C = n        inflation 1 + 0.5 * 1 + (n - 1)     throttle 1 - 1/n
 *   cache:   W = 2 LLC n    inflation 1 + 1 - 1/(2n)            miss rate 0.05 + 0.95 (1 - 1/(2n))
 *   membw:   rho = 0.85 n   inflation 1 + min(rho, 1)^4         bandwidth min(0.85 n, 1) * 25
 *   disk:    rho = 0.9 n    inflation 1 + min(rho, 1)^4         iops min(0.9 n, 1) * 20000
 *   network: rho = 0.9 n    inflation 1 + min(rho, 1)^4         drop rate max(0, 1 - 1/rho)
 * and 1 (and idle telemetry) for n = 0. */
#include "common/config.h"
#include "common/err.h"
#include "env/env.h"
#include "test.h"

static const char *kinds[] = {"cache", "membw", "cpu", "disk", "network"};

static double expected_inflation(int kind, int n)
{
    if (n == 0) return 1;
    double rho = kind == 1 ? 0.85 * n : 0.9 * n;
    rho = rho > 1 ? 1 : rho;
    switch (kind) {
    case 0:
        return 2 - 1.0 / (2 * n);
    case 2:
        return 1 + 0.5 + (n - 1);
    default:
        return 1 + rho * rho * rho * rho;
    }
}

/* The observation's value of the feature that shows this kind (normalised by its range). */
static void check_telemetry(int kind, int n, const float *w)
{
    double x;
    int f;
    switch (kind) {
    case 0:
        f = FEAT_L3_CACHE_MISS_RATE;
        x = 0.05 + 0.95 * (n ? 1 - 1.0 / (2 * n) : 0);
        break;
    case 1:
        f = FEAT_MEMORY_BANDWIDTH_GBPS;
        x = (0.85 * n > 1 ? 1 : 0.85 * n) * 25;
        break;
    case 2:
        f = FEAT_CPU_THROTTLE_RATE;
        x = n > 1 ? 1 - 1.0 / n : 0;
        break;
    case 3:
        f = FEAT_DISK_IOPS;
        x = (0.9 * n > 1 ? 1 : 0.9 * n) * 20000;
        break;
    default:
        f = FEAT_NETWORK_DROP_RATE;
        x = 0.9 * n > 1 ? 1 - 1 / (0.9 * n) : 0;
        break;
    }
    CHECK_MSG(fabs(w[f] - feature_normalize(f, x)) < 1e-5, "kind %s n %d feature %s: %g vs %g",
              kinds[kind], n, kisim_features[f].name, w[f], feature_normalize(f, x));
}

static void test_each_kind_alone(void)
{
    int seen[5][4] = {{0}};
    for (int kind = 0; kind < 5; kind++) {
        /* Weight 1 for this kind only; sensitivity 1 to its resource only. */
        char w[5][8], k[5][8], json[1024];
        for (int i = 0; i < 5; i++) {
            snprintf(w[i], sizeof w[i], "%d", i == kind);
            snprintf(k[i], sizeof k[i], "%d", i == kind);
        }
        snprintf(json, sizeof json,
                 "{\"env\": {\"max_nodes\": 6},"
                 " \"cluster\": {\"nodes\": 6, \"telemetry\": {\"noise\": 0, \"lag_steps\": 0},"
                 "   \"noisy\": {\"per_node_hour\": 1.5, \"mean_lifetime_s\": 3600,"
                 "     \"kinds\": {\"cache\": %s, \"membw\": %s, \"cpu\": %s, \"disk\": %s, "
                 "\"network\": %s}}},"
                 " \"workload\": {\"service\": {\"sensitivity\": {\"llc\": %s, \"membw\": %s, "
                 "\"cpu\": %s,"
                 "   \"disk\": %s, \"network\": %s}}, \"background\": {\"initial_pods\": 0}}}",
                 w[0], w[1], w[2], w[3], w[4], k[0], k[1], k[2], k[3], k[4]);
        kisim_config cfg;
        int err = cfg_parse(&cfg, json, "t.json", ".");
        CHECK_MSG(err == 0, "%s", kisim_errmsg());
        if (err) continue;
        kisim_env *e;
        CHECK(env_init(&e, &cfg) == 0);
        env_spaces sp;
        env_get_spaces(e, &sp);
        float obs[2048];
        uint8_t mask[16];
        for (uint64_t seed = 0; seed < 40; seed++) {
            env_reset(e, seed, obs, mask);
            sched_view v;
            env_sched_view(e, obs, mask, &v);
            const sched_truth *t = v.truth;
            for (int node = 0; node < 6; node++) {
                int n = t->noisy_on(t->state, node);
                double want = expected_inflation(kind, n);
                CHECK_MSG(fabs(t->ls_inflation(t->state, node, 0) - want) < 1e-9,
                          "kind %s, %d noisy: inflation %.9f, want %.9f", kinds[kind], n,
                          t->ls_inflation(t->state, node, 0), want);
                const float *newest = obs + ((size_t)node * sp.window + sp.window - 1) * KISIM_F;
                check_telemetry(kind, n, newest);
                seen[kind][n > 3 ? 3 : n]++;
            }
        }
        env_free(e);
    }
    for (int kind = 0; kind < 5; kind++)
        CHECK_MSG(seen[kind][0] && seen[kind][1] && seen[kind][2],
                  "kind %s: 0/1/2 noisy seen %d/%d/%d", kinds[kind], seen[kind][0], seen[kind][1],
                  seen[kind][2]);
}

int main(void)
{
    RUN(test_each_kind_alone);
    TEST_MAIN_END();
}

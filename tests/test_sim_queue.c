/* test_sim_queue.c: the whole sim, run with fixed placements, no noisy neighbours or background
 * pods and no contention sensitivity, against the M/M/1 closed form. The sim's latency model is
 * analytic (no request sampling), so the only tolerance is numerical: the mixture quantile's
 * Newton solve (1e-10 relative) and float32 info values (1e-7 relative); we allow 1e-6. */
#include "common/config.h"
#include "common/err.h"
#include "env/env.h"
#include "test.h"

static const char *quiet_cluster =
    "{\"env\": {\"max_nodes\": 4, \"horizon_s\": 600, \"decision_interval_s\": 5, "
    "\"terminate_down_s\": 0},"
    " \"cluster\": {\"nodes\": 2, \"noisy\": {\"per_node_hour\": 0}, \"telemetry\": {\"noise\": "
    "0}},"
    " \"workload\": {\"service\": {\"base_service_ms\": 10, \"timeout_ms\": %g,"
    "   \"min_replicas\": %d, \"max_replicas\": %d, \"initial_replicas\": %d,"
    "   \"sensitivity\": {\"cpu\": 0, \"llc\": 0, \"membw\": 0, \"disk\": 0, \"network\": 0}},"
    "   \"background\": {\"initial_pods\": 0, \"arrival_prob\": 0}},"
    " \"load\": {\"pattern\": \"ramp\", \"rate_per_user\": 1,"
    "   \"ramp\": {\"start\": %d, \"end\": %d, \"duration_s\": 600}}}";

/* Runs one episode placing replica i on node i % 2; returns the final info. */
static int run(double timeout_ms, int replicas, int users, float *info)
{
    char json[2048];
    snprintf(json, sizeof json, quiet_cluster, timeout_ms, replicas, replicas, replicas, users,
             users);
    kisim_config cfg;
    int err = cfg_parse(&cfg, json, "test.json", ".");
    CHECK_MSG(err == 0, "%s", kisim_errmsg());
    if (err) return err;
    kisim_env *e;
    CHECK(env_init(&e, &cfg) == 0);
    env_spaces sp;
    env_get_spaces(e, &sp);
    float obs[4096];
    uint8_t mask[16], term = 0, trunc = 0;
    CHECK((size_t)sp.obs_dim <= sizeof obs / sizeof obs[0]);
    env_reset(e, 7, obs, mask);
    for (int step = 0; !term && !trunc; step++) {
        int32_t a[2] = {step % 2, 1};
        float r;
        err = env_step(e, a, obs, mask, &r, &term, &trunc, info);
        CHECK_MSG(err == 0, "%s", kisim_errmsg());
        if (err) break;
    }
    CHECK(trunc && !term);
    env_free(e);
    return err;
}

static void test_two_replicas_match_mm1(void)
{
    /* 100 rps over 2 replicas of mu = 100/s: each is M/M/1 with lambda = 50, sojourn rate 50. */
    float info[KISIM_N_INFO];
    if (run(1e6, 2, 100, info)) return;
    double rel = 1e-6;
    CHECK_NEAR(info[INFO_EP_P50_MS], 1000 * log(2.0) / 50, rel * 13.9);
    CHECK_NEAR(info[INFO_EP_P95_MS], 1000 * log(20.0) / 50, rel * 60);
    CHECK_NEAR(info[INFO_EP_P99_MS], 1000 * log(100.0) / 50, rel * 92.1);
    CHECK_NEAR(info[INFO_EP_ERROR_RATE], 0, 1e-9);
    CHECK_NEAR(info[INFO_EP_THROUGHPUT_RPS], 100, 1e-3);
    CHECK_NEAR(info[INFO_EP_REPLICA_SECONDS], 2 * 600, 1e-3);
}

static void test_saturated_replica_times_out(void)
{
    /* One replica, mu = 100/s, offered 150/s: it serves 0.99 * 100 = 99/s (the rest times out at
     * once), with sojourn rate 1/s; of those, exp(-1 * 1 s) exceed the 1 s timeout.
     * Successes: 99 * (1 - e^-1) per second; error rate 1 - that / 150; p99 at the cap. */
    float info[KISIM_N_INFO];
    if (run(1000, 1, 150, info)) return;
    double ok = 99 * (1 - exp(-1.0));
    CHECK_NEAR(info[INFO_EP_ERROR_RATE], 1 - ok / 150, 1e-5);
    CHECK_NEAR(info[INFO_EP_THROUGHPUT_RPS], ok, 1e-3);
    CHECK_NEAR(info[INFO_EP_P99_MS], 1000, 0);
}

int main(void)
{
    RUN(test_two_replicas_match_mm1);
    RUN(test_saturated_replica_times_out);
    TEST_MAIN_END();
}

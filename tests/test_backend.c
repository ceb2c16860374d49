/* test_backend.c: the step, observation and accounting every backend shares
 * (env/core/backend.c), run against a fake backend table whose pods, noisy neighbours and
 * interval measurements are set by hand, so every expectation below is worked out from the
 * rules in backend.h (bootstrapping, placement counts, cost, down time, the window's lag), not
 * from a backend. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/err.h"
#include "env/core/backend.h"
#include "test.h"

typedef struct {
    backend base;
    kisim_config cfg;
    rng rng;
    node_view nodes[2];
    int noisy[2], replicas[2];
    int pending_replica;
    int pod_replica[16], pod_node[16], n_pods;
    int advances;
    double error_rate; /* what every interval measures */
} fake;

static int fake_fits(const void *env, int node)
{
    (void)env, (void)node;
    return 1;
}
static void fake_pending_view(const void *env, pod_view *v)
{
    const fake *f = env;
    *v = (pod_view){1000, 1LL << 30, 0, 0, POD_LATENCY_SENSITIVE, f->pending_replica};
}
static int fake_place(void *env, int node)
{
    fake *f = env;
    f->pod_replica[f->n_pods] = f->pending_replica;
    f->pod_node[f->n_pods++] = node;
    f->replicas[node] += f->pending_replica;
    return 0;
}
static int fake_n_pods(const void *env)
{
    return ((const fake *)env)->n_pods;
}
static void fake_remove(void *env, int pod)
{
    (void)env, (void)pod;
}
static const node_view *fake_node(const void *env, int node)
{
    return &((const fake *)env)->nodes[node];
}
static void fake_orchestrator(const void *env, int node, float *sample)
{
    (void)env;
    for (int k = KISIM_F_MEASURED; k < KISIM_F; k++)
        sample[k] = 0.25f + (float)node;
}
static void fake_episode_info(const void *env, float *info)
{
    (void)env;
    info[INFO_EP_P50_MS] = 123;
}
static void fake_make_pending(void *env, int replica)
{
    ((fake *)env)->pending_replica = replica;
}
/* An interval of 10 s: 100 requests offered, error_rate of them fail. */
static int fake_advance(void *env, float *info)
{
    fake *f = env;
    f->advances++;
    f->base.t += 10;
    f->base.error_rate = f->error_rate;
    f->base.offered_rps = 10;
    double ok = 100 * (1 - f->error_rate);
    backend_interval_account(&f->base, 100, ok, 10);
    backend_interval_reward(&f->base, 100, ok, 0, info);
    return 0;
}
static int fake_replica_rank(const void *env, int i, int *node_replicas, double *placed_at)
{
    const fake *f = env;
    if (!f->pod_replica[i]) return 0;
    *node_replicas = f->replicas[f->pod_node[i]];
    *placed_at = i;
    return 1;
}
static double fake_inflation(const void *env, int node, int with_pending)
{
    (void)env, (void)node, (void)with_pending;
    return 1;
}
static int fake_replicas_on(const void *env, int node)
{
    return ((const fake *)env)->replicas[node];
}
static int fake_noisy_on(const void *env, int node)
{
    return ((const fake *)env)->noisy[node];
}
static int fake_reset(void *env, uint64_t seed)
{
    fake *f = env;
    rng_seed(&f->rng, seed);
    return 0;
}

static const backend_ops fake_ops = {
    .name = "fake",
    .reset = fake_reset,
    .fits = fake_fits,
    .pending_view = fake_pending_view,
    .place = fake_place,
    .n_pods = fake_n_pods,
    .remove = fake_remove,
    .node = fake_node,
    .orchestrator = fake_orchestrator,
    .episode_info = fake_episode_info,
    .make_pending = fake_make_pending,
    .advance = fake_advance,
    .replica_rank = fake_replica_rank,
    .ls_inflation = fake_inflation,
    .replicas_on = fake_replicas_on,
    .noisy_on = fake_noisy_on,
};

/* 2 nodes of N_max = 4, a window of 2, 10 s intervals up to 100 s, 2 initial replicas, no
 * background arrivals; a replica-hour costs 36, so 2 replicas for 100 s cost 2. */
static int fake_open(fake *f, int lag)
{
    memset(f, 0, sizeof *f);
    const char *json = "{\"env\": {\"max_nodes\": 4, \"window\": 2, \"horizon_s\": 100,"
                       " \"decision_interval_s\": 10, \"terminate_down_s\": 20},"
                       " \"cluster\": {\"nodes\": 2},"
                       " \"workload\": {\"service\": {\"initial_replicas\": 2, \"min_replicas\": 1,"
                       " \"max_replicas\": 4}, \"background\": {\"arrival_prob\": 0}},"
                       " \"reward\": {\"replica_price_per_hour\": 36}}";
    int err = cfg_parse(&f->cfg, json, "t.json", ".");
    if (!err) err = backend_init(&f->base, &fake_ops, f, &f->rng, &f->cfg, lag);
    if (!err) err = backend_reset(&f->base, 7);
    CHECK_MSG(err == 0, "%s", kisim_errmsg());
    return err;
}

static int step(fake *f, int node, int scale, uint8_t *term, uint8_t *trunc, float *info)
{
    int32_t a[2] = {node, scale};
    float reward;
    return backend_step(&f->base, a, &reward, term, trunc, info);
}

/* The initial replicas are placed without time passing and without scaling; the replica on
 * the noisy node counts as contended; then the episode runs to the horizon. */
static void test_bootstrap_then_horizon(void)
{
    fake f;
    if (fake_open(&f, 0)) return;
    f.noisy[1] = 1;
    uint8_t mask[4 + 3], term = 0, trunc = 0;
    float info[KISIM_N_INFO];
    backend_mask(&f.base, mask);
    const uint8_t want[7] = {1, 1, 0, 0, 0, 1, 0}; /* nodes 0, 1 exist; only "keep" scale */
    CHECK(memcmp(mask, want, sizeof want) == 0);

    CHECK_EQ_INT(step(&f, 1, 1, &term, &trunc, info), 0);
    CHECK_EQ_INT((int)info[INFO_PLACED_REPLICA], 1);
    CHECK_EQ_INT((int)info[INFO_PLACED_CONTENDED], 1);
    CHECK_EQ_INT(f.advances, 0);
    CHECK_EQ_INT(step(&f, 0, 1, &term, &trunc, info), 0);
    CHECK_EQ_INT((int)info[INFO_PLACED_CONTENDED], 0);
    CHECK_EQ_INT(f.advances, 10); /* nothing is pending again before the horizon */
    CHECK(trunc && !term);
    CHECK_NEAR(info[INFO_EP_DONE], 1, 0);
    CHECK_NEAR(info[INFO_EP_LENGTH], 2, 0);
    CHECK_NEAR(info[INFO_EP_CONTENDED_SHARE], 0.5, 0);
    CHECK_NEAR(info[INFO_EP_COST], 2, 1e-6);
    CHECK_NEAR(info[INFO_EP_REPLICA_SECONDS], 200, 1e-6);
    CHECK_NEAR(info[INFO_EP_THROUGHPUT_RPS], 10, 1e-6); /* 1000 ok over 100 s */
    CHECK_NEAR(info[INFO_EP_P50_MS], 123, 0);           /* the backend's own */

    CHECK_EQ_INT(step(&f, 0, 1, &term, &trunc, info), KISIM_ESTATE);
    CHECK_STR_CONTAINS(kisim_errmsg(), "fake: step after the episode ended");
    backend_free(&f.base);
}

/* More than half the requests failing for terminate_down_s (20 s = 2 intervals) ends the
 * episode as terminated. */
static void test_down_terminates(void)
{
    fake f;
    if (fake_open(&f, 0)) return;
    f.error_rate = 0.6;
    uint8_t term = 0, trunc = 0;
    float info[KISIM_N_INFO];
    CHECK_EQ_INT(step(&f, 0, 1, &term, &trunc, info), 0);
    CHECK_EQ_INT(step(&f, 1, 1, &term, &trunc, info), 0);
    CHECK_EQ_INT(f.advances, 2);
    CHECK(term && !trunc);
    CHECK_NEAR(f.base.down_s, 20, 0);
    backend_free(&f.base);
}

/* The window ends `lag` samples before the ring's newest, its newest sample carries the
 * orchestrator's features, nodes past the cluster are zero, and a feature the backend did not
 * measure is unavailable. */
static void test_observation_window(void)
{
    fake f;
    if (fake_open(&f, 1)) return;
    backend *b = &f.base;
    CHECK_EQ_INT(b->ring_len, 3);
    for (int i = 0; i < b->n_nodes; i++)
        for (int k = 0; k < 2 * b->ring_len; k++)
            for (int x = 0; x < KISIM_F; x++)
                b->ring[((size_t)i * 2 * b->ring_len + k) * KISIM_F + x] =
                    (float)(k % b->ring_len) / 10 + (float)i;
    b->ring_head = 2;
    uint8_t measured[KISIM_F] = {0};
    memset(measured, 1, sizeof measured);
    measured[1] = 0;
    b->measured = measured;
    env_spaces sp;
    spaces_init(&sp, b->n_max, b->window);
    float *obs = calloc((size_t)sp.obs_dim, sizeof *obs);
    uint8_t mask[4 + 3];
    backend_observe(b, obs, mask);
    const float *nodes = obs + sp.off_nodes;
    for (int i = 0; i < 2; i++) {
        const float *w = nodes + (size_t)i * 2 * KISIM_F;
        CHECK_NEAR(w[0], 0.0f + (float)i, 0);       /* slot 0 */
        CHECK_NEAR(w[KISIM_F], 0.1f + (float)i, 0); /* slot 1 = head - lag */
        CHECK_NEAR(w[KISIM_F + KISIM_F - 1], 0.25f + (float)i, 0);
    }
    CHECK_NEAR(nodes[2 * 2 * KISIM_F], 0, 0); /* node 2 does not exist */
    CHECK_NEAR(obs[sp.off_availability + 0], 1, 0);
    CHECK_NEAR(obs[sp.off_availability + 1], 0, 0);
    CHECK_NEAR(obs[sp.off_node_mask + 1], 1, 0);
    CHECK_NEAR(obs[sp.off_node_mask + 2], 0, 0);
    CHECK_NEAR(obs[sp.off_pod + POD_CTX_IS_REPLICA], 1, 0); /* an initial replica is pending */
    free(obs);
    backend_free(b);
}

int main(void)
{
    RUN(test_bootstrap_then_horizon);
    RUN(test_down_terminates);
    RUN(test_observation_window);
    TEST_MAIN_END();
}

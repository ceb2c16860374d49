/* test_ppo_model.c: the PPO models as a whole. Their backward against central finite
 * differences of loss = sum_b g_logp[b] log pi(a_b) + g_ent[b] H_b + g_v[b] V_b (on a sample of
 * every tensor's parameters); ppo-cluster's permutation equivariance, its independence from
 * masked nodes, one set of weights scoring any number of nodes, and the node-head-only forward. */
#include "policy/ppo_model.h"

#include "common/rng.h"
#include "gradcheck.h"
#include "spaces/spaces.h"
#include "test.h"

enum { B = 3, N = 5, T = 4 };
static rng r;
static ppo_model model;
static ppo_acts acts;
static float obs[B * 2048];
static uint8_t mask[B * (N + 3)];
static int32_t act[2 * B];
static float g_logp[B], g_ent[B], g_v[B];

static double loss(void *unused)
{
    (void)unused;
    ppo_forward(&model, &acts, obs, model.kind == PPO_MODEL_MLP ? NULL : mask, B, T);
    double l = 0;
    for (int b = 0; b < B; b++)
        l += g_logp[b] * ppo_logprob(&model, &acts, b, act + 2 * b) +
             g_ent[b] * ppo_entropy(&model, &acts, b) + g_v[b] * acts.value[b];
    return l;
}

/* Max pooling has kinks where two nodes tie, the one-sided slopes disagree across one; float
 * losses carry ~1e-6 relative noise, divided by h ~1e-4 absolute: the floor. */
static const gradcheck_opts checker = {.samples = 12,
                                       .h = 1e-2f,
                                       .kink_rel = 0.05,
                                       .kink_abs = 1e-3,
                                       .measure = GRADCHECK_ENTRY,
                                       .floor = 5e-3,
                                       .tol = 3e-2,
                                       .kink_share = 10};

static void check_all_tensors(const char *kind)
{
    memset(model.p.grads, 0, model.p.total * sizeof(float));
    loss(NULL);
    ppo_backward(&model, &acts, act, g_logp, g_ent, g_v);
    gradcheck(&model.p, &r, loss, NULL, &checker, kind);
}

/* One forward that gathers the normaliser's statistics, then frozen; the weights times k so
 * the tanh layers are not all linear. */
static void freeze_and_scale(float k)
{
    loss(NULL);
    model.norm_frozen = 1;
    for (size_t i = 0; i < model.p.total; i++)
        model.p.params[i] *= k;
}

static void random_inputs(int obs_dim)
{
    for (int i = 0; i < B * obs_dim; i++)
        obs[i] = (float)rng_uniform(&r);
    for (int b = 0; b < B; b++) {
        g_logp[b] = (float)(rng_uniform(&r) * 2 - 1);
        g_ent[b] = (float)(rng_uniform(&r) * 2 - 1);
        g_v[b] = (float)(rng_uniform(&r) * 2 - 1);
    }
}

static void test_mlp_gradients(void)
{
    CHECK(ppo_model_init_mlp(&model, 4, 3, 16, 7) == 0);
    CHECK(ppo_acts_alloc(&acts, &model, B, 1) == 0);
    random_inputs(4);
    for (int b = 0; b < B; b++)
        act[2 * b] = b % 3;
    freeze_and_scale(4);
    check_all_tensors("mlp");
    ppo_acts_free(&acts);
    ppo_model_free(&model);
}

/* Cluster observations: random telemetry, with node 3 masked in row 0 and node 4 in row 2. */
static void cluster_inputs(env_spaces *sp)
{
    spaces_init(sp, N, T);
    random_inputs(sp->obs_dim);
    for (int b = 0; b < B; b++) {
        for (int n = 0; n < N + 3; n++)
            mask[b * (N + 3) + n] = 1;
        for (int f = 0; f < KISIM_F; f++)
            obs[b * sp->obs_dim + sp->off_availability + f] = f % 4 != 0;
    }
    mask[0 * (N + 3) + 3] = 0;
    mask[2 * (N + 3) + 4] = 0;
    mask[1 * (N + 3) + N + 0] = 0; /* row 1 cannot scale down */
    act[0] = 1, act[1] = 2, act[2] = 4, act[3] = 1, act[4] = 0, act[5] = 0;
}

/* A ppo-cluster model with its acts on cluster_inputs, frozen and scaled. */
static void cluster_model(env_spaces *sp, int hidden, uint64_t seed)
{
    CHECK(ppo_model_init_cluster(&model, hidden, seed) == 0);
    CHECK(ppo_acts_alloc(&acts, &model, B, N) == 0);
    cluster_inputs(sp);
    freeze_and_scale(3);
}

static void test_cluster_gradients(void)
{
    env_spaces sp;
    cluster_model(&sp, 12, 11);
    check_all_tensors("cluster");
    ppo_acts_free(&acts);
    ppo_model_free(&model);
}

static void test_cluster_structure(void)
{
    env_spaces sp;
    cluster_model(&sp, 16, 5);
    loss(NULL);
    float lp0[B * N], v0[B], ls0[B * 3];
    memcpy(lp0, acts.logp_node, sizeof lp0);
    memcpy(v0, acts.value, sizeof v0);
    memcpy(ls0, acts.logp_scale, sizeof ls0);
    /* A masked node's telemetry does not move anything else. */
    float *node3 = obs + sp.off_nodes + 3 * T * KISIM_F;
    for (int i = 0; i < T * KISIM_F; i++)
        node3[i] = 5.0f * (float)rng_uniform(&r);
    loss(NULL);
    for (int n = 0; n < N; n++)
        if (n != 3) CHECK_NEAR(acts.logp_node[n], lp0[n], 1e-6);
    CHECK_NEAR(acts.value[0], v0[0], 1e-6);
    CHECK_NEAR(acts.logp_scale[1], ls0[1], 1e-6);
    /* Swapping nodes 0 and 2 of row 1 swaps their log-probs; value and scale stay. */
    float *row1 = obs + sp.obs_dim, tmp[T * KISIM_F];
    float *n0 = row1 + sp.off_nodes, *n2 = row1 + sp.off_nodes + 2 * T * KISIM_F;
    memcpy(tmp, n0, sizeof tmp), memcpy(n0, n2, sizeof tmp), memcpy(n2, tmp, sizeof tmp);
    loss(NULL);
    CHECK_NEAR(acts.logp_node[N + 0], lp0[N + 2], 1e-5);
    CHECK_NEAR(acts.logp_node[N + 2], lp0[N + 0], 1e-5);
    CHECK_NEAR(acts.logp_node[N + 1], lp0[N + 1], 1e-5);
    CHECK_NEAR(acts.value[1], v0[1], 1e-5);
    CHECK_NEAR(acts.logp_scale[3 + 1], ls0[3 + 1], 1e-5);
    CHECK(isinf(acts.logp_scale[3 + 0])); /* masked scale action */
    /* The same weights on 40 nodes: row 0's first 5 nodes and 35 masked extra ones give the
     * same log-probs and value as on 5 nodes. */
    ppo_acts big;
    enum { NB = 40 };
    CHECK(ppo_acts_alloc(&big, &model, 1, NB) == 0);
    env_spaces sb;
    spaces_init(&sb, NB, T);
    static float obig[NB * T * KISIM_F + KISIM_P + KISIM_S + NB + KISIM_F];
    uint8_t mbig[NB + 3] = {0};
    memset(obig, 0, sizeof obig);
    CHECK((size_t)sb.obs_dim == sizeof obig / sizeof *obig);
    memcpy(obig + sb.off_nodes, obs + sp.off_nodes, (size_t)N * T * KISIM_F * sizeof(float));
    memcpy(obig + sb.off_pod, obs + sp.off_pod, (KISIM_P + KISIM_S) * sizeof(float));
    memcpy(obig + sb.off_availability, obs + sp.off_availability, KISIM_F * sizeof(float));
    memcpy(mbig, mask, N);
    memcpy(mbig + NB, mask + N, 3);
    loss(NULL); /* row 0 unchanged since node 3 is masked */
    ppo_forward(&model, &big, obig, mbig, 1, T);
    for (int n = 0; n < N; n++)
        if (mask[n]) CHECK_NEAR(big.logp_node[n], acts.logp_node[n], 1e-5);
    CHECK_NEAR(big.value[0], acts.value[0], 1e-5);
    /* Scoring's node-head-only forward (the inference kernels) gives the full forward's node
     * log-probs. */
    float lp_full[NB];
    memcpy(lp_full, big.logp_node, sizeof lp_full);
    memset(big.logp_node, 0, sizeof lp_full);
    ppo_forward_nodes(&model, &big, obig, mbig, 1, T);
    for (int n = 0; n < NB; n++)
        if (mbig[n])
            CHECK_NEAR(big.logp_node[n], lp_full[n], 1e-5); /* other kernels' rounding */
        else
            CHECK(isinf(big.logp_node[n]));
    /* The 40-node buffer refitted to 5 nodes, without a new allocation, gives the 5-node
     * acts' answer for row 0. */
    float *was = big.buf;
    CHECK_EQ_INT(ppo_acts_fit(&big, &model, 1, N), 0);
    CHECK(big.buf == was && big.n == N);
    ppo_forward(&model, &big, obs, mask, 1, T);
    for (int n = 0; n < N; n++)
        if (mask[n]) CHECK_NEAR(big.logp_node[n], acts.logp_node[n], 1e-5);
    CHECK_NEAR(big.value[0], acts.value[0], 1e-5);
    ppo_acts_free(&big);
    ppo_acts_free(&acts);
    ppo_model_free(&model);
}

int main(void)
{
    rng_seed(&r, 99);
    RUN(test_mlp_gradients);
    RUN(test_cluster_gradients);
    RUN(test_cluster_structure);
    TEST_MAIN_END();
}

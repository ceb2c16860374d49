/* test_mlp_scorer.c: the MLP scorer. Backward against central finite differences on every
 * tensor; each node scored alone (another node's features do not move its score); the
 * checkpoint round trip, and an attention checkpoint refused as the wrong kind. */
#include "policy/mlp_scorer.h"

#include <unistd.h>

#include "common/rng.h"
#include "gradcheck.h"
#include "policy/attention.h"
#include "spaces/spaces.h"
#include "test.h"

enum { N = 5, T = 3, F = KISIM_F };
static rng r;
static mlp_scorer model;
static mlp_acts acts;
static float nodes[N * T * F], avail[F], pod[KISIM_P], cw[N], dw[N];

static double loss(void *unused)
{
    (void)unused;
    mlp_scorer_forward(&model, &acts, nodes, N, T, avail, NULL, pod);
    return gradcheck_scorer_loss(acts.score, acts.conf, cw, dw, N);
}

static void setup(void)
{
    for (int i = 0; i < N * T * F; i++)
        nodes[i] = (float)(rng_uniform(&r) * 2 - 1);
    for (int f = 0; f < F; f++)
        avail[f] = f % 4 != 0;
    for (int p = 0; p < KISIM_P; p++)
        pod[p] = (float)rng_uniform(&r);
    for (int i = 0; i < N; i++)
        cw[i] = (float)(rng_uniform(&r) * 2 - 1) * 0.01f, dw[i] = (float)(rng_uniform(&r) * 2 - 1);
}

static void test_gradients(void)
{
    CHECK(mlp_scorer_init(&model, 12, 8, 3) == 0);
    CHECK(mlp_acts_alloc(&acts, &model, N) == 0);
    setup();
    for (size_t i = 0; i < model.p.total; i++)
        model.p.params[i] *= 2;
    memset(model.p.grads, 0, model.p.total * sizeof(float));
    loss(NULL);
    float dl[2 * N];
    gradcheck_scorer_dlogits(dl, acts.score, acts.conf, cw, dw, N);
    mlp_scorer_backward(&model, &acts, dl);
    /* relu kinks make the one-sided slopes disagree */
    const gradcheck_opts o = {.samples = 16,
                              .h = 1e-2f,
                              .kink_rel = 0.02,
                              .kink_abs = 1e-4,
                              .measure = GRADCHECK_TENSOR,
                              .tol = 1e-2,
                              .kink_share = 3};
    gradcheck(&model.p, &r, loss, NULL, &o, "mlp");
    /* scored alone: changing node 0 leaves the others exactly as they were */
    float before[N];
    loss(NULL);
    memcpy(before, acts.score, sizeof before);
    for (int i = 0; i < T * F; i++)
        nodes[i] += 3;
    loss(NULL);
    for (int i = 1; i < N; i++)
        CHECK(acts.score[i] == before[i]);
    CHECK(acts.score[0] != before[0]);
    mlp_acts_free(&acts);
    mlp_scorer_free(&model);
}

static void test_checkpoint(void)
{
    char path[] = "/tmp/kisim_mlp_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    CHECK(mlp_scorer_init(&model, 64, 32, 5) == 0);
    CHECK(mlp_acts_alloc(&acts, &model, N) == 0);
    for (int f = 0; f < F; f++)
        model.in_mean[f] = 0.2f * f, model.in_inv[f] = 2;
    setup();
    loss(NULL);
    float s[N];
    memcpy(s, acts.score, sizeof s);
    CHECK(mlp_scorer_save(&model, path, NULL) == 0);
    mlp_scorer m2;
    CHECK(mlp_scorer_load(&m2, path) == 0);
    mlp_acts a2;
    CHECK(mlp_acts_alloc(&a2, &m2, N) == 0);
    mlp_scorer_forward(&m2, &a2, nodes, N, T, avail, NULL, pod);
    for (int i = 0; i < N; i++)
        CHECK(a2.score[i] == s[i]);
    mlp_acts_free(&a2);
    mlp_scorer_free(&m2);
    att_model am;
    CHECK(att_model_init(&am, 8, 8, 4, 1) == 0);
    CHECK(att_model_save(&am, path, NULL) == 0);
    att_model_free(&am);
    CHECK(mlp_scorer_load(&m2, path) != 0);
    unlink(path);
    mlp_acts_free(&acts);
    mlp_scorer_free(&model);
}

int main(void)
{
    rng_seed(&r, 17);
    RUN(test_gradients);
    RUN(test_checkpoint);
    TEST_MAIN_END();
}

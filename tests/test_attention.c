/* test_attention.c: the attention scorer. Its backward against central finite differences of
 * loss = sum_n c_n score_n + d_n conf_n on a sample of every tensor (self-attention, pod
 * cross-attention, feed-forward, layer norms, head); a masked node's features never move the
 * other nodes' scores; permutation equivariance; one model for any number of nodes; and the
 * checkpoint round trip with its rejections. */
#include "policy/attention.h"

#include <unistd.h>

#include "common/rng.h"
#include "gradcheck.h"
#include "spaces/spaces.h"
#include "test.h"

enum { N = 6, T = 3, F = KISIM_F };
static rng r;
static att_model model;
static att_acts acts;
static float nodes[64 * T * F], avail[F], pod[KISIM_P], cw[N], dw[N];
static uint8_t mask[64];

static void random_cluster(int n)
{
    for (int i = 0; i < n * T * F; i++)
        nodes[i] = (float)(rng_uniform(&r) * 2 - 1);
    for (int f = 0; f < F; f++)
        avail[f] = f % 5 != 0;
    for (int p = 0; p < KISIM_P; p++)
        pod[p] = (float)rng_uniform(&r);
    for (int i = 0; i < n; i++)
        mask[i] = 1;
}

static double loss(void *unused)
{
    (void)unused;
    att_forward(&model, &acts, nodes, N, T, avail, mask, pod);
    return gradcheck_scorer_loss(acts.score, acts.conf, cw, dw, N);
}

/* Relu kinks make the one-sided slopes, or the differences over h and 2h, disagree; a
 * first-layer bias moves every relu of every node, so its samples cross kinks most often. */
static const gradcheck_opts checker = {.samples = 24,
                                       .h = 1e-2f,
                                       .kink_rel = 0.02,
                                       .kink_abs = 1e-4,
                                       .richardson = 1,
                                       .h2_rel = 0.005,
                                       .h2_abs = 1e-5,
                                       .measure = GRADCHECK_TENSOR,
                                       .tol = 2e-2,
                                       .kink_share = 3};

static void test_gradients(void)
{
    CHECK(att_model_init(&model, 8, 12, 6, 5) == 0);
    CHECK(att_acts_alloc(&acts, &model, N) == 0);
    random_cluster(N);
    mask[3] = 0;
    for (int i = 0; i < N; i++)
        cw[i] = (float)(rng_uniform(&r) * 2 - 1) * 0.01f, dw[i] = (float)(rng_uniform(&r) * 2 - 1);
    /* larger weights so that attention is not uniform and the relus are not all on */
    for (size_t i = 0; i < model.p.total; i++)
        model.p.params[i] *= 1.5f;
    for (int t = 0; t < model.p.n; t++) /* sharper attention: larger query/key weights */
        if (strstr(model.p.t[t].name, "qkv.weight") || strstr(model.p.t[t].name, "cross.q.") ||
            strstr(model.p.t[t].name, "cross.kv.weight"))
            for (size_t i = 0; i < model.p.t[t].size; i++)
                model.p.params[model.p.t[t].offset + i] *= 3;
    memset(model.p.grads, 0, model.p.total * sizeof(float));
    loss(NULL);
    float dl[2 * N];
    gradcheck_scorer_dlogits(dl, acts.score, acts.conf, cw, dw, N);
    att_backward(&model, &acts, dl);
    gradcheck(&model.p, &r, loss, NULL, &checker, "attention");
    att_acts_free(&acts);
    att_model_free(&model);
}

static void test_masked_node_is_invisible(void)
{
    CHECK(att_model_init(&model, 32, 64, 16, 9) == 0);
    CHECK(att_acts_alloc(&acts, &model, N) == 0);
    random_cluster(N);
    mask[2] = 0;
    att_forward(&model, &acts, nodes, N, T, avail, mask, pod);
    float before[N];
    memcpy(before, acts.score, sizeof before);
    for (int i = 0; i < T * F; i++)
        nodes[2 * T * F + i] = (float)(rng_uniform(&r) * 40 - 20);
    att_forward(&model, &acts, nodes, N, T, avail, mask, pod);
    for (int i = 0; i < N; i++)
        if (i != 2)
            CHECK_MSG(acts.score[i] == before[i], "node %d: %g -> %g", i, before[i], acts.score[i]);
    CHECK_MSG(fabsf(acts.score[2] - before[2]) > 1e-4f, "the masked node's own score moves");
    /* unmasked, the same change moves the others: the test above is not vacuous */
    mask[2] = 1;
    att_forward(&model, &acts, nodes, N, T, avail, mask, pod);
    float moved = 0;
    for (int i = 0; i < N; i++)
        if (i != 2) moved += fabsf(acts.score[i] - before[i]);
    CHECK_MSG(moved > 1e-3f, "unmasked node 2 moves the others (%g)", moved);
    att_acts_free(&acts);
    att_model_free(&model);
}

static void test_equivariance_and_sizes(void)
{
    CHECK(att_model_init(&model, 32, 64, 16, 3) == 0);
    CHECK(att_acts_alloc(&acts, &model, 64) == 0);
    random_cluster(N);
    att_forward(&model, &acts, nodes, N, T, avail, mask, pod);
    float s[N];
    memcpy(s, acts.score, sizeof s);
    static float perm[N * T * F];
    const int p[N] = {4, 0, 5, 1, 3, 2}; /* new node i is old node p[i] */
    for (int i = 0; i < N; i++)
        memcpy(perm + i * T * F, nodes + p[i] * T * F, sizeof(float) * T * F);
    att_forward(&model, &acts, perm, N, T, avail, mask, pod);
    for (int i = 0; i < N; i++)
        CHECK_NEAR(acts.score[i], s[p[i]], 1e-4);
    /* one node (attention over itself only) and 64 nodes: finite scores in (0, 100) */
    int sizes[2] = {1, 64};
    for (int k = 0; k < 2; k++) {
        random_cluster(sizes[k]);
        att_forward(&model, &acts, nodes, sizes[k], T, avail, mask, pod);
        int ok = 1;
        for (int i = 0; i < sizes[k]; i++)
            ok &= isfinite(acts.score[i]) && acts.score[i] > 0 && acts.score[i] < 100 &&
                  acts.conf[i] > 0 && acts.conf[i] < 1;
        CHECK_MSG(ok, "%d nodes", sizes[k]);
    }
    att_acts_free(&acts);
    att_model_free(&model);
}

static void test_checkpoint(void)
{
    char path[] = "/tmp/kisim_att_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    CHECK(att_model_init(&model, 16, 32, 8, 21) == 0);
    CHECK(att_acts_alloc(&acts, &model, N) == 0);
    for (int f = 0; f < F; f++)
        model.in_mean[f] = 0.1f * f, model.in_inv[f] = 1 + 0.5f * f;
    random_cluster(N);
    att_forward(&model, &acts, nodes, N, T, avail, mask, pod);
    float s[N];
    memcpy(s, acts.score, sizeof s);
    CHECK(att_model_save(&model, path, "{\"epochs\": 3}") == 0);
    att_model loaded;
    CHECK(att_model_load(&loaded, path) == 0);
    att_acts la;
    CHECK(att_acts_alloc(&la, &loaded, N) == 0);
    att_forward(&loaded, &la, nodes, N, T, avail, mask, pod);
    for (int i = 0; i < N; i++)
        CHECK(la.score[i] == s[i]);
    att_acts_free(&la);
    att_model_free(&loaded);
    /* one flipped data byte: the checksum rejects it */
    FILE *fp = fopen(path, "r+b");
    CHECK(fp != NULL);
    if (fp) {
        fseek(fp, -5, SEEK_END);
        int ch = fgetc(fp);
        fseek(fp, -5, SEEK_END);
        fputc(ch ^ 0x40, fp);
        fclose(fp);
    }
    CHECK(att_model_load(&loaded, path) != 0);
    unlink(path);
    att_acts_free(&acts);
    att_model_free(&model);
}

int main(void)
{
    rng_seed(&r, 42);
    RUN(test_gradients);
    RUN(test_masked_node_is_invisible);
    RUN(test_equivariance_and_sizes);
    RUN(test_checkpoint);
    TEST_MAIN_END();
}

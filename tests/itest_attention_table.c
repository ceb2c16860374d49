/* itest_attention_table.c: the seed README's node table as a test of an attention scorer trained
 * on sim outcome labels (the contention label of agent/DATASET.md, not the bootstrap label):
 * events from the quickstart scenario with k8s-default placing, a small scorer (d_model 32)
 * trained on them, then three nodes for a latency-sensitive replica: two quiet ones (CPU 10%,
 * memory 20%, L3 misses 5%) and one at 99% CPU, memory and L3 misses, the other features at
 * their average over the training candidates without a noisy neighbour. The quiet nodes must
 * score above 80, the loaded one below 25. */
#include "policy/attention.h"
#include "scorer_fixture.h"
#include "spaces/spaces.h"
#include "test.h"

static void test_seed_node_table(void)
{
    fit_options o = {.model = "attention",
                     .epochs = 8,
                     .patience = 8,
                     .d_model = 32,
                     .ff = 64,
                     .head_hidden = 16,
                     .lr = 1e-3f,
                     .feature_drop = 0.1f,
                     .label = "contention",
                     .seed = 1};
    scorer_fixture fx;
    CHECK(scorer_fixture_train(&fx, 1200, &o) == 0);
    const ds_set d = fx.d;
    const char *model = fx.model;
    /* The features the table does not give (disk, network, throttling, ...) at their average
     * over the candidate nodes without a noisy neighbour: a typical quiet node's telemetry. (At
     * the mean over all nodes they carry part of the noisy nodes' signature, and the quiet
     * rows become ambiguous.) */
    double quiet[KISIM_F] = {0}, cnt = 0;
    for (int k = 0; k < d.n; k++)
        for (int i = 0; i < d.ev[k].n; i++) {
            const ds_event *e = &d.ev[k];
            if (!e->mask[i] || e->y_contention[i] < 0.5f) continue;
            for (int t = 0; t < e->T; t++)
                for (int f = 0; f < KISIM_F; f++)
                    quiet[f] += e->nodes[((size_t)i * e->T + t) * KISIM_F + f] / e->T;
            cnt++;
        }
    CHECK(cnt > 0);
    att_model m;
    CHECK(att_model_load(&m, model) == 0);
    att_acts a;
    CHECK(att_acts_alloc(&a, &m, 3) == 0);
    enum { T = 10 };
    static float nodes[3 * T * KISIM_F];
    float pod[KISIM_P] = {0}, avail[KISIM_F];
    pod[POD_CTX_CPU_REQUEST] = 0.2f;
    pod[POD_CTX_MEMORY_REQUEST] = 0.2f;
    pod[POD_CTX_CLASS_LATENCY_SENSITIVE] = 1;
    pod[POD_CTX_IS_REPLICA] = 1;
    for (int f = 0; f < KISIM_F; f++)
        avail[f] = 1;
    for (int i = 0; i < 3; i++)
        for (int t = 0; t < T; t++) {
            float *x = nodes + ((size_t)i * T + t) * KISIM_F; /* normalised: 1 = the range's top */
            for (int f = 0; f < KISIM_F; f++)
                x[f] = (float)(quiet[f] / cnt);
            x[FEAT_CPU_UTILIZATION] = i == 2 ? 0.99f : 0.10f;
            x[FEAT_MEMORY_UTILIZATION] = i == 2 ? 0.99f : 0.20f;
            x[FEAT_L3_CACHE_MISS_RATE] = i == 2 ? 0.99f : 0.05f;
        }
    att_forward(&m, &a, nodes, 3, T, avail, NULL, pod);
    fprintf(stderr, "  scores: quiet %.1f, quiet %.1f, loaded %.1f\n", a.score[0], a.score[1],
            a.score[2]);
    CHECK_MSG(a.score[0] > 80 && a.score[1] > 80, "quiet nodes %.1f %.1f", a.score[0], a.score[1]);
    CHECK_MSG(a.score[2] < 25, "loaded node %.1f", a.score[2]);
    att_acts_free(&a);
    att_model_free(&m);
    scorer_fixture_free(&fx);
}

int main(void)
{
    RUN(test_seed_node_table);
    TEST_MAIN_END();
}

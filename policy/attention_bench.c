/* attention_bench.c: `kisim bench scorer`: the attention scorer's inference latency per call
 * (one cluster of n candidate nodes, T = 10 samples) on one thread, after warm-up; p50 and p99
 * over the timed calls. Weights are a fresh initialisation: the time of the networks does not
 * depend on their values. The MLP scorer is timed at 10 nodes, and the XGBoost scorer too when
 * --xgboost FILE names a trained model (tree depth and count set its time). int8 is not
 * implemented yet, so only fp32 rows are printed. */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/verbs.h"
#include "common/err.h"
#include "common/rng.h"
#include "env/spaces.h"
#include "policy/attention.h"
#include "policy/mlp_scorer.h"
#include "policy/xgb_scorer.h"

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct {
    const att_model *att;
    const mlp_scorer *mlp;
    xgb_scorer *xgb;
} bench_model;

/* Times `iters` forwards for n nodes; p50/p99/mean in ms. */
static int measure(const bench_model *bm, int n, int iters, double *p50, double *p99, double *mean)
{
    enum { T = 10 };
    att_acts a;
    mlp_acts ma;
    memset(&a, 0, sizeof a);
    memset(&ma, 0, sizeof ma);
    if (bm->att && att_acts_alloc(&a, bm->att, n)) return -1;
    if (bm->mlp && mlp_acts_alloc(&ma, bm->mlp, n)) return -1;
    float *nodes = malloc((size_t)n * T * KISIM_F * sizeof *nodes), pod[KISIM_P];
    uint8_t *mask = malloc((size_t)n);
    double *t = malloc((size_t)iters * sizeof *t);
    if (!nodes || !mask || !t) return -1;
    rng r;
    rng_seed(&r, 7);
    for (size_t i = 0; i < (size_t)n * T * KISIM_F; i++) nodes[i] = (float)rng_uniform(&r);
    for (int i = 0; i < KISIM_P; i++) pod[i] = (float)rng_uniform(&r);
    for (int i = 0; i < n; i++) mask[i] = 1;
    int warm = iters / 10 > 3 ? iters / 10 : 3;
#define CALL()                                                                                 \
    (bm->att   ? (att_forward(bm->att, &a, nodes, n, T, NULL, mask, pod), 0)                     \
     : bm->mlp ? (mlp_scorer_forward(bm->mlp, &ma, nodes, n, T, NULL, mask, pod), 0)              \
               : xgb_scorer_forward(bm->xgb, nodes, n, T, NULL, pod))
    for (int i = 0; i < warm; i++)
        if (CALL()) return -1;
    double sum = 0;
    for (int i = 0; i < iters; i++) {
        double t0 = now_ms();
        if (CALL()) return -1;
        t[i] = now_ms() - t0;
        sum += t[i];
    }
    qsort(t, (size_t)iters, sizeof *t, cmp_d);
    *p50 = t[iters / 2];
    int k = (int)(0.99 * (iters - 1) + 0.5);
    *p99 = t[k];
    *mean = sum / iters;
    free(nodes);
    free(mask);
    free(t);
    att_acts_free(&a);
    mlp_acts_free(&ma);
    return 0;
}

static void row(int json, int *first, const char *model, int n, double p50, double p99,
                double mean, int it)
{
    if (json)
        printf("%s{\"model\": \"%s\", \"nodes\": %d, \"precision\": \"fp32\", "
               "\"p50_ms\": %.4f, \"p99_ms\": %.4f, \"mean_ms\": %.4f, \"iters\": %d}",
               *first ? "" : ", ", model, n, p50, p99, mean, it);
    else printf("%-10s %6d %9s %9.4f %9.4f %9.4f\n", model, n, "fp32", mean, p50, p99);
    *first = 0;
    fflush(stdout);
}

int bench_scorer_main(int argc, char **argv)
{
    int json = 0, iters = 100;
    const char *xgb_path = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json")) json = 1;
        else if (!strcmp(argv[i], "--xgboost") && i + 1 < argc) xgb_path = argv[++i];
        else if (!strcmp(argv[i], "--iters") && i + 1 < argc) iters = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: kisim bench scorer [--json] [--iters N (default 100)] "
                            "[--xgboost FILE]\n"
                            "  attention scorer (d_model 128, ff 256, 3 blocks, 4 heads) latency per\n"
                            "  call at 10, 100 and 1000 nodes, one thread; 1000 nodes uses N/5 calls;\n"
                            "  the MLP scorer (and a trained XGBoost scorer) at 10 nodes\n");
            return strcmp(argv[i], "--help") ? 2 : 0;
        }
    }
    if (iters < 10) iters = 10;
    openblas_set_num_threads(1);
    att_model m;
    if (att_model_init(&m, 128, 256, 64, 1)) return 1;
    const int sizes[] = {10, 100, 1000};
    if (json) printf("[");
    else printf("%-10s %6s %9s %9s %9s %9s\n", "model", "nodes", "precision", "mean ms", "p50 ms",
                "p99 ms");
    int first = 1, err = 0;
    double p50, p99, mean;
    bench_model bm = {&m, NULL, NULL};
    for (int k = 0; k < 3 && !err; k++) {
        int it = sizes[k] >= 1000 ? iters / 5 : iters;
        err = measure(&bm, sizes[k], it, &p50, &p99, &mean);
        if (!err) row(json, &first, "attention", sizes[k], p50, p99, mean, it);
    }
    mlp_scorer mlp;
    if (!err) err = mlp_scorer_init(&mlp, 64, 32, 1);
    if (!err) {
        bench_model b2 = {NULL, &mlp, NULL};
        err = measure(&b2, 10, iters, &p50, &p99, &mean);
        if (!err) row(json, &first, "mlp", 10, p50, p99, mean, iters);
        mlp_scorer_free(&mlp);
    }
    if (!err && xgb_path) {
        xgb_scorer x;
        err = xgb_scorer_load(&x, xgb_path, 10);
        if (err) fprintf(stderr, "%s\n", kisim_errmsg());
        bench_model b3 = {NULL, NULL, &x};
        if (!err) err = measure(&b3, 10, iters, &p50, &p99, &mean);
        if (!err) row(json, &first, "xgboost", 10, p50, p99, mean, iters);
        if (x.x) xgb_scorer_free(&x);
    }
    if (json) printf("]\n");
    if (err) {
        att_model_free(&m);
        return 1;
    }
    size_t params = m.p.total;
    if (!json) printf("parameters: %zu (%.2f MB fp32)\n", params, params * 4 / 1e6);
    att_model_free(&m);
    return 0;
}

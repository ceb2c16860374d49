/* attention_bench.c: `kisim bench scorer`: the attention scorer's inference latency per call
 * (one cluster of n candidate nodes, T = 10 samples) on one thread, after warm-up; p50 and p99
 * over the timed calls. Weights are a fresh initialisation: the time does not depend on their
 * values. int8 is not implemented yet, so only fp32 rows are printed. */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/verbs.h"
#include "common/rng.h"
#include "env/spaces.h"
#include "policy/attention.h"

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

/* Times `iters` forwards for n nodes; p50/p99/mean in ms. */
static int measure(const att_model *m, int n, int iters, double *p50, double *p99, double *mean)
{
    enum { T = 10 };
    att_acts a;
    if (att_acts_alloc(&a, m, n)) return -1;
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
    for (int i = 0; i < warm; i++) att_forward(m, &a, nodes, n, T, NULL, mask, pod);
    double sum = 0;
    for (int i = 0; i < iters; i++) {
        double t0 = now_ms();
        att_forward(m, &a, nodes, n, T, NULL, mask, pod);
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
    return 0;
}

int bench_scorer_main(int argc, char **argv)
{
    int json = 0, iters = 100;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json")) json = 1;
        else if (!strcmp(argv[i], "--iters") && i + 1 < argc) iters = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: kisim bench scorer [--json] [--iters N (default 100)]\n"
                            "  attention scorer (d_model 128, ff 256, 3 blocks, 4 heads) latency per\n"
                            "  call at 10, 100 and 1000 nodes, one thread; 1000 nodes uses N/5 calls\n");
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
    for (int k = 0; k < 3; k++) {
        double p50, p99, mean;
        int it = sizes[k] >= 1000 ? iters / 5 : iters;
        if (measure(&m, sizes[k], it, &p50, &p99, &mean)) return 1;
        if (json)
            printf("%s{\"model\": \"attention\", \"nodes\": %d, \"precision\": \"fp32\", "
                   "\"p50_ms\": %.4f, \"p99_ms\": %.4f, \"mean_ms\": %.4f, \"iters\": %d}",
                   k ? ", " : "", sizes[k], p50, p99, mean, it);
        else printf("%-10s %6d %9s %9.4f %9.4f %9.4f\n", "attention", sizes[k], "fp32", mean, p50,
                    p99);
        fflush(stdout);
    }
    if (json) printf("]\n");
    size_t params = m.p.total;
    if (!json) printf("parameters: %zu (%.2f MB fp32)\n", params, params * 4 / 1e6);
    att_model_free(&m);
    return 0;
}

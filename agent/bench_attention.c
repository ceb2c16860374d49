/* bench_attention.c: `kisim bench attention`: the attention scorer's inference latency per call
 * (one cluster of n candidate nodes, T = 10 samples) on one thread, after warm-up; p50 and p99
 * over the timed calls, fp32 (att_infer) and int8 (att_int8_forward). Weights are a fresh
 * initialisation unless --model names a trained checkpoint: the time of the networks does not
 * depend on their values. The MLP scorer is timed at 10 nodes, and the XGBoost scorer too when
 * --xgboost FILE names a trained model (tree depth and count set its time). With --data FILE (a
 * `kisim dataset` file) it also prints how far the int8 scores are from the fp32 ones on those
 * events. */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "agent/fit.h"
#include "agent/verbs.h"
#include "common/clock.h"
#include "common/err.h"
#include "common/rng.h"
#include "common/stats.h"
#include "policy/attention.h"
#include "policy/mlp_scorer.h"
#include "policy/nn.h"
#include "policy/xgb_scorer.h"
#include "spaces/spaces.h"

static int p99_index(int count)
{
    return (int)(0.99 * (count - 1) + 0.5);
}

typedef struct {
    const att_model *att;
    const att_int8 *q8;
    const mlp_scorer *mlp;
    xgb_scorer *xgb;
} bench_model;

/* Times `iters` forwards for n nodes; p50/p99/mean in ms. *preempted counts the timed calls
 * during which the kernel switched the thread out involuntarily (another task took the CPU),
 * and *p99_alone is the p99 of the others: on a shared machine the p99 is often the scheduler's
 * time slice, not the scorer's. */
static int measure(const bench_model *bm, int n, int iters, double *p50, double *p99, double *mean,
                   int *preempted, double *p99_alone)
{
    enum { T = 10 };
    att_acts a;
    mlp_acts ma;
    memset(&a, 0, sizeof a);
    memset(&ma, 0, sizeof ma);
    if (bm->att && att_acts_alloc_infer(&a, bm->att, n)) return -1;
    if (bm->q8 && att_acts_alloc_infer(&a, &bm->q8->m, n)) return -1;
    if (bm->mlp && mlp_acts_alloc(&ma, bm->mlp, n)) return -1;
    float *nodes = malloc((size_t)n * T * KISIM_F * sizeof *nodes), pod[KISIM_P];
    uint8_t *mask = malloc((size_t)n);
    double *t = malloc((size_t)iters * sizeof *t), *ta = malloc((size_t)iters * sizeof *ta);
    if (!nodes || !mask || !t || !ta) return -1;
    rng r;
    rng_seed(&r, 7);
    for (size_t i = 0; i < (size_t)n * T * KISIM_F; i++)
        nodes[i] = (float)rng_uniform(&r);
    for (int i = 0; i < KISIM_P; i++)
        pod[i] = (float)rng_uniform(&r);
    for (int i = 0; i < n; i++)
        mask[i] = 1;
    int warm = iters / 10 > 3 ? iters / 10 : 3;
#define CALL()                                                                                     \
    (bm->att   ? (att_infer(bm->att, &a, nodes, n, T, NULL, mask, pod), 0)                         \
     : bm->q8  ? (att_int8_forward(bm->q8, &a, nodes, n, T, NULL, mask, pod), 0)                   \
     : bm->mlp ? (mlp_scorer_forward(bm->mlp, &ma, nodes, n, T, NULL, mask, pod), 0)               \
               : xgb_scorer_forward(bm->xgb, nodes, n, T, NULL, pod))
    for (int i = 0; i < warm; i++)
        if (CALL()) return -1;
    double sum = 0;
    int alone = 0;
    for (int i = 0; i < iters; i++) {
        struct rusage r0, r1; /* read outside the timed span */
        getrusage(RUSAGE_THREAD, &r0);
        double t0 = 1e3 * clock_mono_s();
        if (CALL()) return -1;
        t[i] = 1e3 * clock_mono_s() - t0;
        getrusage(RUSAGE_THREAD, &r1);
        sum += t[i];
        if (r1.ru_nivcsw == r0.ru_nivcsw) ta[alone++] = t[i];
    }
    stats_sort(t, iters);
    stats_sort(ta, alone);
    *p50 = t[iters / 2];
    *p99 = t[p99_index(iters)];
    *mean = sum / iters;
    *preempted = iters - alone;
    *p99_alone = alone ? ta[p99_index(alone)] : NAN;
    free(ta);
    free(nodes);
    free(mask);
    free(t);
    att_acts_free(&a);
    mlp_acts_free(&ma);
    return 0;
}

/* One result: a JSON object or a table line on stdout; how many calls were preempted on stderr
 * (not in the JSON, whose fields are fixed). */
static void row(int json, int *first, const char *model, int n, const char *prec, double p50,
                double p99, double mean, int iters, int preempted, double p99_alone)
{
    if (json)
        printf("%s{\"model\": \"%s\", \"nodes\": %d, \"precision\": \"%s\", "
               "\"p50_ms\": %.4f, \"p99_ms\": %.4f}",
               *first ? "" : ", ", model, n, prec, p50, p99);
    else
        printf("%-10s %6d %9s %9.4f %9.4f %9.4f\n", model, n, prec, mean, p50, p99);
    if (preempted == iters)
        fprintf(stderr, "%s %d nodes %s: all %d timed calls preempted by other tasks\n", model, n,
                prec, iters);
    else if (preempted)
        fprintf(stderr,
                "%s %d nodes %s: %d of %d timed calls preempted by other tasks; p99 of the "
                "rest %.4f ms\n",
                model, n, prec, preempted, iters, p99_alone);
    *first = 0;
    fflush(stdout);
}

/* int8 against fp32 on every event of a dataset: the largest and the mean absolute score
 * difference over the candidates, and how often both pick the same node. */
static int compare_int8(const att_model *m, const att_int8 *q, const char *data)
{
    ds_set d;
    int err = dataset_read(&d, data), maxn = 1, same = 0;
    if (err) return err;
    for (int k = 0; k < d.n; k++)
        maxn = d.ev[k].n > maxn ? d.ev[k].n : maxn;
    att_acts a, b;
    memset(&b, 0, sizeof b);
    err = att_acts_alloc(&a, m, maxn);
    if (!err) err = att_acts_alloc(&b, &q->m, maxn);
    double worst = 0, sum = 0;
    long cnt = 0;
    for (int k = 0; k < d.n && !err; k++) {
        const ds_event *e = &d.ev[k];
        att_forward(m, &a, e->nodes, e->n, e->T, e->avail, e->mask, e->pod);
        att_int8_forward(q, &b, e->nodes, e->n, e->T, e->avail, e->mask, e->pod);
        int ba = -1, bb = -1;
        for (int i = 0; i < e->n; i++) {
            if (!e->mask[i]) continue;
            double diff = fabs((double)a.score[i] - b.score[i]);
            worst = diff > worst ? diff : worst;
            sum += diff, cnt++;
            if (ba < 0 || a.score[i] > a.score[ba]) ba = i;
            if (bb < 0 || b.score[i] > b.score[bb]) bb = i;
        }
        same += ba == bb;
    }
    if (!err)
        fprintf(stderr,
                "int8 vs fp32 on %s: %d events, %ld candidate scores (0..100): max |diff| "
                "%.4f, mean |diff| %.5f; same top node in %.1f%% of events\n",
                data, d.n, cnt, worst, cnt ? sum / cnt : 0, 100.0 * same / d.n);
    att_acts_free(&a);
    att_acts_free(&b);
    dataset_free(&d);
    return err;
}

int bench_attention_main(int argc, char **argv)
{
    int json = 0, iters = 100, err = 0;
    const char *xgb_path = NULL, *model = NULL, *data = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (!strcmp(argv[i], "--xgboost") && i + 1 < argc)
            xgb_path = argv[++i];
        else if (!strcmp(argv[i], "--model") && i + 1 < argc)
            model = argv[++i];
        else if (!strcmp(argv[i], "--data") && i + 1 < argc)
            data = argv[++i];
        else if (!strcmp(argv[i], "--iters") && i + 1 < argc)
            iters = atoi(argv[++i]);
        else {
            FILE *out = strcmp(argv[i], "--help") ? stderr : stdout;
            fprintf(
                out,
                "usage: kisim bench attention [--json] [--iters N (default 100)] [--model FILE]\n"
                "                          [--data FILE] [--xgboost FILE]\n"
                "  attention scorer latency per call at 10, 100 and 1000 nodes, fp32 and int8,\n"
                "  one thread (1000 nodes: N/5 calls); the MLP scorer (and a trained XGBoost\n"
                "  scorer) at 10 nodes. --model: a trained attention-scorer checkpoint (default:\n"
                "  d_model 128, ff 256, head 64, fresh weights); --data: a `kisim dataset` file\n"
                "  on which to report int8 against fp32 scores (needs --model).\n"
                "  --json prints only [{\"model\", \"nodes\", \"precision\", \"p50_ms\", "
                "\"p99_ms\"}...]\n"
                "  stderr: how many timed calls other tasks preempted (the p99 of a shared\n"
                "  machine is often its scheduler's time slice) and the p99 of the rest.\n");
            return out == stdout ? 0 : 2;
        }
    }
    if (data && !model) {
        fprintf(stderr, "bench attention: --data needs --model (a trained attention scorer)\n");
        return 2;
    }
    if (iters < 10) iters = 10;
    openblas_set_num_threads(1);
    att_model m, mq;
    att_int8 q;
    memset(&q, 0, sizeof q);
    err = model ? att_model_load(&m, model) : att_model_init(&m, 128, 256, 64, 1);
    if (!err) err = model ? att_model_load(&mq, model) : att_model_init(&mq, 128, 256, 64, 1);
    if (!err) err = att_int8_from_model(&q, &mq);
    if (err) {
        fprintf(stderr, "%s\n", kisim_errmsg());
        return kisim_exit_code(err);
    }
    size_t params = m.p.total, q8n = q.quantised;
    if (data) err = compare_int8(&m, &q, data);
    const int sizes[] = {10, 100, 1000};
    int opened = !err && json;
    if (!err) {
        if (json)
            printf("[");
        else
            printf("%-10s %6s %9s %9s %9s %9s\n", "model", "nodes", "precision", "mean ms",
                   "p50 ms", "p99 ms");
    }
    int first = 1;
    double p50, p99, mean, alone;
    int pre;
    for (int k = 0; k < 3 && !err; k++)
        for (int prec = 0; prec < 2 && !err; prec++) {
            bench_model bm = {prec ? NULL : &m, prec ? &q : NULL, NULL, NULL};
            int it = sizes[k] >= 1000 ? iters / 5 : iters;
            err = measure(&bm, sizes[k], it, &p50, &p99, &mean, &pre, &alone);
            if (!err)
                row(json, &first, "attention", sizes[k], prec ? "int8" : "fp32", p50, p99, mean, it,
                    pre, alone);
        }
    mlp_scorer mlp;
    if (!err) err = mlp_scorer_init(&mlp, 64, 32, 1);
    if (!err) {
        bench_model b2 = {NULL, NULL, &mlp, NULL};
        err = measure(&b2, 10, iters, &p50, &p99, &mean, &pre, &alone);
        if (!err) row(json, &first, "mlp", 10, "fp32", p50, p99, mean, iters, pre, alone);
        mlp_scorer_free(&mlp);
    }
    if (!err && xgb_path) {
        xgb_scorer x;
        err = xgb_scorer_load(&x, xgb_path, 10);
        bench_model b3 = {NULL, NULL, NULL, &x};
        if (!err) err = measure(&b3, 10, iters, &p50, &p99, &mean, &pre, &alone);
        if (!err) row(json, &first, "xgboost", 10, "fp32", p50, p99, mean, iters, pre, alone);
        if (x.x) xgb_scorer_free(&x);
    }
    if (json && opened) printf("]\n");
    att_model_free(&m);
    att_int8_free(&q);
    if (err) {
        fprintf(stderr, "%s\n", err == -1 ? "bench attention: out of memory" : kisim_errmsg());
        return err == -1 ? 1 : kisim_exit_code(err);
    }
    if (!json)
        printf("attention parameters: %zu (%.2f MB fp32); int8 model: %zu weights as int8, the "
               "rest fp32 (%.2f MB)\n",
               params, params * 4 / 1e6, q8n, (q8n + 4.0 * (params - q8n)) / 1e6);
    int isa = nn_tile_isa();
    fprintf(stderr, "attention inference kernels: %s; OpenBLAS (the MLP scorer): %s kernels\n",
            isa == 4   ? "AVX-512 (x86-64-v4)"
            : isa == 3 ? "AVX2 (x86-64-v3)"
                       : "baseline x86-64",
            openblas_get_corename());
    return 0;
}

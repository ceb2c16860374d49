/* xgb_scorer_none.c: the XGBoost scorer's API in a build without XGBoost (KISIM_WITH_XGBOOST=OFF):
 * creating one fails naming the package, so nothing else is ever called on it. */
#include <math.h>
#include <string.h>

#include "common/optional.h"
#include "policy/xgb_scorer.h"

int xgb_scorer_init(xgb_scorer *m, int cap_n)
{
    (void)cap_n;
    memset(m, 0, sizeof *m);
    return kisim_missing(KISIM_OPT_XGBOOST, "xgboost scorer");
}

void xgb_scorer_free(xgb_scorer *m)
{
    (void)m;
}

void xgb_scorer_inputs(const xgb_scorer *m, float *x, const float *node_window, int T,
                       const float *avail, const float *pod)
{
    (void)m, (void)node_window, (void)T, (void)avail, (void)pod;
    for (int k = 0; k < XGB_IN; k++)
        x[k] = NAN;
}

int xgb_scorer_train(xgb_scorer *m, const float *X, const float *y, const float *w, int rows,
                     const float *Xv, const float *yv, const float *wv, int rows_v, int rounds,
                     int patience, uint64_t seed, int progress, int *best_round, double *best_loss)
{
    (void)m, (void)X, (void)y, (void)w, (void)rows, (void)Xv, (void)yv, (void)wv, (void)rows_v;
    (void)rounds, (void)patience, (void)seed, (void)progress, (void)best_round, (void)best_loss;
    return kisim_missing(KISIM_OPT_XGBOOST, "xgboost scorer");
}

int xgb_scorer_rounds(const xgb_scorer *m)
{
    (void)m;
    return 0;
}

int xgb_scorer_forward(xgb_scorer *m, const float *nodes, int n, int T, const float *avail,
                       const float *pod)
{
    (void)m, (void)nodes, (void)n, (void)T, (void)avail, (void)pod;
    return kisim_missing(KISIM_OPT_XGBOOST, "xgboost scorer");
}

int xgb_scorer_save(const xgb_scorer *m, const char *path, const char *extra)
{
    (void)m, (void)path, (void)extra;
    return kisim_missing(KISIM_OPT_XGBOOST, "xgboost scorer");
}

int xgb_scorer_load(xgb_scorer *m, const char *path, int cap_n)
{
    (void)path, (void)cap_n;
    memset(m, 0, sizeof *m);
    return kisim_missing(KISIM_OPT_XGBOOST, "xgboost scorer");
}

/* xgb_scorer.h: the XGBoost scorer, gradient-boosted trees through the XGBoost C API, on the
 * MLP scorer's 26 inputs per node (15 features, temporal mean, standardised; 11 pod-context
 * values). An unmeasured feature is passed as missing (NaN), which the trees route by their
 * learned default direction. score = 100 p (p the binary:logistic probability), confidence =
 * |2p - 1|. Checkpoints of kind "xgboost-scorer" hold XGBoost's own model bytes (UBJSON) as the
 * uint8 tensor "xgboost.model", plus input.mean / input.inv_std. */
#ifndef KISIM_XGB_SCORER_H
#define KISIM_XGB_SCORER_H

#include <stdint.h>

#include "common/features.h"

#define XGB_IN 26

typedef struct {
    void *booster; /* BoosterHandle */
    float in_mean[KISIM_F], in_inv[KISIM_F];
    int cap_n, n;
    float *x, *score, *conf; /* [cap_n * XGB_IN], [cap_n], [cap_n] */
} xgb_scorer;

int xgb_scorer_init(xgb_scorer *m, int cap_n);
void xgb_scorer_free(xgb_scorer *m);
/* The 26 inputs of one node into x (NaN for unmeasured features). */
void xgb_scorer_inputs(const xgb_scorer *m, float *x, const float *node_window, int T,
                       const float *avail, const float *pod);
/* Trains up to `rounds` boosting rounds on rows [rows, 26] with labels and weights; after each
 * round the weighted log-loss on the validation rows decides: after `patience` rounds without a
 * lower one it stops, and the model keeps the rounds up to the best (XGBoosterSlice). Prints
 * XGBoost's evaluation line per round when progress is set. *best_round (1-based) and *best_loss
 * may be NULL. */
int xgb_scorer_train(xgb_scorer *m, const float *X, const float *y, const float *w, int rows,
                     const float *Xv, const float *yv, const float *wv, int rows_v, int rounds,
                     int patience, uint64_t seed, int progress, int *best_round, double *best_loss);
/* The number of boosting rounds in the model. */
int xgb_scorer_rounds(const xgb_scorer *m);
int xgb_scorer_forward(xgb_scorer *m, const float *nodes, int n, int T, const float *avail,
                       const float *pod);
int xgb_scorer_save(const xgb_scorer *m, const char *path, const char *extra);
int xgb_scorer_load(xgb_scorer *m, const char *path, int cap_n);

#endif

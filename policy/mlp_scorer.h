/* mlp_scorer.h: the seed README's MLP scorer, for comparison with the attention scorer. Each
 * node is scored alone from 26 inputs: its 15 features (temporal mean over the window,
 * standardised by the training statistics, times the availability mask, so an unmeasured
 * feature reads as "at the training mean") and the 11 pod-context values. Two relu layers (64,
 * 32) and a linear output of 2: score = 100 sigmoid(s_0), confidence = sigmoid(s_1). It sees no
 * other node, so the node mask only decides which rows matter. */
#ifndef KISIM_MLP_SCORER_H
#define KISIM_MLP_SCORER_H

#include <stdint.h>

#include "common/features.h"
#include "policy/params.h"

#define MLP_IN 26

typedef struct {
    int H1, H2;
    nn_params p;
    float in_mean[KISIM_F], in_inv[KISIM_F];
} mlp_scorer;

typedef struct {
    int cap_n, n;
    float *buf;
    size_t size;
    float *x, *h1, *h2, *logits, *score, *conf;
} mlp_acts;

int mlp_scorer_init(mlp_scorer *m, int H1, int H2, uint64_t seed);
void mlp_scorer_free(mlp_scorer *m);
int mlp_acts_alloc(mlp_acts *a, const mlp_scorer *m, int cap_n);
void mlp_acts_free(mlp_acts *a);
/* As att_forward (policy/attention.h); mask is accepted for the same signature and unused. */
void mlp_scorer_forward(const mlp_scorer *m, mlp_acts *a, const float *nodes, int n, int T,
                        const float *avail, const uint8_t *mask, const float *pod);
/* dlogits [n, 2]: dLoss/d(score logit, confidence logit); accumulates into m->p.grads. */
void mlp_scorer_backward(mlp_scorer *m, mlp_acts *a, const float *dlogits);

/* Checkpoints of kind "mlp-scorer": tensors by name plus input.mean / input.inv_std;
 * hyperparameters {"h1", "h2", "inputs": 26} plus `extra` under "train". */
int mlp_scorer_save(const mlp_scorer *m, const char *path, const char *extra);
int mlp_scorer_load(mlp_scorer *m, const char *path);

#endif

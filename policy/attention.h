/* attention.h: the attention scorer (KubeAttention; docs/ARCHITECTURE.md, "Models and the
 * policy file").
 *
 * One cluster per call: N candidate nodes, each a telemetry window [T, F], the availability
 * mask [F] (1 = the feature is measured on this machine), the node mask [N] (1 = a candidate)
 * and the pod context [P]. Per node, scores in 0..100 and a confidence in 0..1.
 *
 *   x_n   = [norm(mean_t w_n) * avail, avail]         temporal mean, then the projection: both
 *   h     = x W_p^T + b_p                  [N, D]     are linear, so the order does not matter
 *   3 x   h = LN(h + SelfAttn(h)); h = LN(h + FFN(h)) 4 heads, keys = the masked-in nodes only
 *   c_j   = pod_j * E_j + e_j              [P, D]     one token per pod-context entry
 *   h     = LN(h + CrossAttn(q = h, kv = c))           nodes query the pod's tokens
 *   s     = W_o relu(W_h h + b_h) + b_o    [N, 2]     score = 100 sigmoid(s_0), conf = sigmoid(s_1)
 *
 * The pod is split into tokens because cross-attention over a single pod vector would give
 * every node weight 1 (a softmax over one key): with P tokens the attention actually selects.
 * Masked nodes are never keys, so their features cannot move any other node's score; their own
 * rows are still computed (and ignored). The inputs are standardised by per-feature statistics
 * stored with the model (feature_stats), not learned. */
#ifndef KISIM_ATTENTION_H
#define KISIM_ATTENTION_H

#include <stdint.h>

#include "common/features.h"
#include "policy/ckpt.h"
#include "policy/params.h"

#define ATT_LAYERS 3
#define ATT_HEADS 4
#define ATT_X (2 * KISIM_F)

typedef struct {
    int D, FF, HH; /* model width, feed-forward width, head hidden width */
    nn_params p;
    float in_mean[KISIM_F], in_inv[KISIM_F]; /* standardisation: (v - mean) * inv */
} att_model;

/* Activations of one forward for up to cap_n nodes, and a gradient region of the same layout
 * right after them (backward's scratch). */
typedef struct {
    int cap_n, n;
    float *buf;
    size_t size;
    float *x, *h0, *c; /* inputs, projection, pod tokens */
    float *qkv[ATT_LAYERS], *att[ATT_LAYERS], *o[ATT_LAYERS], *a[ATT_LAYERS], *r1[ATT_LAYERS],
        *h1[ATT_LAYERS], *m1[ATT_LAYERS], *s1[ATT_LAYERS], *f[ATT_LAYERS], *g[ATT_LAYERS],
        *r2[ATT_LAYERS], *h2[ATT_LAYERS], *m2[ATT_LAYERS], *s2[ATT_LAYERS];
    float *cq, *ckv, *catt, *co, *ca, *cr, *ch, *cm, *cs; /* cross-attention */
    float *z, *logits;                                    /* head: [N, HH], [N, 2] */
    float *score, *conf;                                  /* outputs [N] */
    float *maskf;                                         /* [N] the node mask as 0/1 floats */
    uint8_t *qx;   /* int8 path: a linear's input rows, quantised */
    float *qs;     /* and their scales */
    uint8_t *mask; /* [N] */
    float *flash;  /* att_flash_mha's scratch */
    float *lint;   /* nn_linear_infer's scratch */
    int infer;     /* from att_acts_alloc_infer: no att, catt, grads */
} att_acts;

/* D model width (a multiple of ATT_HEADS), FF feed-forward width, HH head width. */
int att_model_init(att_model *m, int D, int FF, int HH, uint64_t seed);
void att_model_free(att_model *m);
int att_acts_alloc(att_acts *a, const att_model *m, int cap_n);
/* Activations for att_infer only: no attention weights (N x N per head and layer) and no
 * gradient region, so memory grows with N, not N^2. On these, att_forward computes as att_infer
 * and att_backward does nothing: training needs att_acts_alloc's. */
int att_acts_alloc_infer(att_acts *a, const att_model *m, int cap_n);
void att_acts_free(att_acts *a);

/* Scores n <= cap_n nodes: nodes [n, T, F], avail [F] (NULL = all measured), mask [n] (NULL =
 * all candidates), pod [P]. Results in a->score, a->conf. */
void att_forward(const att_model *m, att_acts *a, const float *nodes, int n, int T,
                 const float *avail, const uint8_t *mask, const float *pod);
/* The same scores for inference: attention through att_flash_mha (no N x N weights kept, masked
 * keys skipped), equal to att_forward's within float rounding. acts from either alloc. */
void att_infer(const att_model *m, att_acts *a, const float *nodes, int n, int T,
               const float *avail, const uint8_t *mask, const float *pod);
/* Backward of the last forward, accumulating into m->p.grads: dlogits [n, 2] is dLoss/d(the
 * pre-sigmoid score and confidence logits). */
void att_backward(att_model *m, att_acts *a, const float *dlogits);

/* Multi-head attention for inference (attention_flash.c): out [Nq, D] (row stride D) from q (row
 * stride ldq) over Nk keys and values (row stride ldkv); keys with kmask[j] == 0 are left out
 * (kmask NULL: all); a query with no key gets a zero row. scratch: att_flash_floats(Nk, D). */
void att_flash_mha(float *out, const float *q, int ldq, const float *k, const float *v, int ldkv,
                   const float *kmask, int Nq, int Nk, int D, float *scratch);
size_t att_flash_floats(int Nk, int D);

/* int8 inference (attention_int8.c): the linear layers of the 3 blocks and the cross-attention
 * (all but 2% of the weights) as int8 weights [OC, C] with one scale per output channel
 * (s_o = max_c |W_oc| / 127, q = round(W / s_o)), and each input row quantised on the fly with
 * its own scale (s_b = max_c |x_bc| / 127), as PyTorch's dynamic quantisation does; the
 * products accumulate exactly in int32 and y = s_b s_o acc + bias. The input projection (its
 * standardised telemetry has outliers that make a row's int8 step coarse: it alone tripled the
 * largest score difference), the score head, biases, layer norms, pod embedding and softmax
 * stay fp32. */
typedef struct {
    att_model m;                   /* the fp32 model: biases, layer norms, pod embedding */
    int8_t *w;                     /* [m.p.total], int8 weights at their tensors' offsets */
    float *scale;                  /* per output channel, at quant_row[tensor] */
    int32_t *wsum;                 /* per output channel: the sum of its int8 weights */
    int quant_row[NN_MAX_TENSORS]; /* first channel of each quantised tensor; -1 = fp32 */
    size_t quantised;              /* weights held as int8 */
} att_int8;

/* Quantises m into q, which takes m over (m is left empty; att_int8_free frees both). */
int att_int8_from_model(att_int8 *q, att_model *m);
/* An fp32 "attention-scorer" checkpoint, quantised at load. */
int att_int8_load(att_int8 *q, const char *path);
void att_int8_free(att_int8 *q);
/* att_infer with the int8 linear layers; acts from att_acts_alloc(_infer)(&q->m). */
void att_int8_forward(const att_int8 *q, att_acts *a, const float *nodes, int n, int T,
                      const float *avail, const uint8_t *mask, const float *pod);
/* One quantised linear layer (weight tensor index wi, bias wi + 1): out [B, OC] from in [B, C],
 * the input quantised into a->qx. */
void att_int8_linear(const att_int8 *q, att_acts *a, int wi, float *out, const float *in, int B,
                     int C, int OC);

/* Checkpoints of kind "attention-scorer": the parameters (F32, by name), in_mean and in_inv
 * (F32 [F]); hyperparameters {"d_model", "ff", "head_hidden", "layers", "heads"} plus `extra`
 * (a JSON object text or NULL, under "train"); feature_stats {"mean": [...], "inv_std": [...]}
 * by feature name. */
int att_model_save(const att_model *m, const char *path, const char *extra);
int att_model_load(att_model *m, const char *path);
int att_model_from_ckpt(att_model *m, const ckpt *c, const char *path);

#endif

/* nn.h: the neural-network kernels, in the shape of llm.c: each layer is a forward/backward
 * pair, outputs first, inputs const, gradients prefixed d, and backward *accumulates* into its
 * gradients (callers zero them once per step). Matrix products go through OpenBLAS.
 *
 * Dimension letters: B = rows (batch, or batch x nodes), C = input channels, OC = output
 * channels, K = categories, N = nodes per batch row. Weights are [OC, C] row-major (PyTorch's
 * nn.Linear layout), so a checkpoint's tensors read the same in both. */
#ifndef KISIM_NN_H
#define KISIM_NN_H

#include <stddef.h>
#include <stdint.h>

#include "common/rng.h"

/* out[B,OC] = inp[B,C] @ w[OC,C]^T + b[OC] (b may be NULL). */
void nn_linear_forward(float *out, const float *inp, const float *w, const float *b, int B, int C,
                       int OC);
/* dinp[B,C] += dout @ w (dinp may be NULL); dw[OC,C] += dout^T @ inp; db[OC] += sum_B dout. */
void nn_linear_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp,
                        const float *w, int B, int C, int OC);

/* The same product for inference (nn_infer.c), without OpenBLAS; scratch holds
 * nn_linear_infer_floats(B, C, OC) floats (enough for any smaller B, C and OC). */
void nn_linear_infer(float *out, const float *inp, const float *w, const float *b, int B, int C,
                     int OC, float *scratch);
size_t nn_linear_infer_floats(int B, int C, int OC);
/* The instruction set of the inference kernels (nn_infer.c, attention_flash.c; tiles in
 * nn_tile.h): 4 (x86-64-v4: AVX-512), 3 (x86-64-v3: AVX2, FMA) or 1 (baseline), the best the CPU
 * has unless nn_tile_set_isa lowered it (0: no cap). Tests run every variant; set it before any
 * kernel runs, not while one does. */
int nn_tile_isa(void);
void nn_tile_set_isa(int isa);
/* out = LayerNorm(x + y) for inference (y NULL: of x), as nn_layernorm_forward up to rounding,
 * without keeping mean and rstd; out must not overlap x or y. */
void nn_add_layernorm_infer(float *out, const float *x, const float *y, const float *w,
                            const float *b, int B, int C);

/* tanh by a rational approximation (max error ~1e-7, vectorisable; no libm per element). */
void nn_tanh_forward(float *out, const float *inp, size_t n);
/* dinp += dout * (1 - out^2), from the forward's output. */
void nn_tanh_backward(float *dinp, const float *dout, const float *out, size_t n);
void nn_relu_forward(float *out, const float *inp, size_t n);
void nn_relu_backward(float *dinp, const float *dout, const float *out, size_t n);

/* Layer norm over the last dimension C (eps 1e-5); mean and rstd [B] are saved for backward. */
void nn_layernorm_forward(float *out, float *mean, float *rstd, const float *inp, const float *w,
                          const float *b, int B, int C);
void nn_layernorm_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp,
                           const float *w, const float *mean, const float *rstd, int B, int C);

/* Masked log-softmax over K per row: masked entries (mask 0) get -INFINITY and probability 0.
 * mask may be NULL (all allowed). At least one entry per row must be allowed. */
void nn_log_softmax_forward(float *logp, const float *logits, const uint8_t *mask, int B, int K);
/* dlogits += dlogp - p * sum(dlogp) over allowed entries (masked ones get nothing). */
void nn_log_softmax_backward(float *dlogits, const float *dlogp, const float *logp,
                             const uint8_t *mask, int B, int K);
/* Entropy -sum p log p of one row of log-probabilities. */
float nn_entropy(const float *logp, const uint8_t *mask, int K);
/* dlogits += dH * dEntropy/dlogits = dH * (-p_j (log p_j + H)). */
void nn_entropy_backward(float *dlogits, float dH, const float *logp, const uint8_t *mask, int K);
/* Draws an index from exp(logp) with the given rng; masked entries are never drawn. */
int nn_sample(const float *logp, const uint8_t *mask, int K, rng *r);
int nn_argmax(const float *x, const uint8_t *mask, int K);

/* Masked mean and max over the N rows of each batch row: inp [B,N,C] -> mean, max [B,C]; rows
 * with mask 0 are left out (a batch row with none gives zeros). argmax [B,C] is saved. */
void nn_pool_forward(float *mean, float *max, int *argmax, const float *inp, const uint8_t *mask,
                     int B, int N, int C);
void nn_pool_backward(float *dinp, const float *dmean, const float *dmax, const int *argmax,
                      const uint8_t *mask, int B, int N, int C);

/* exp by Cephes' degree-6 polynomial after range reduction by ln 2, vectorisable (no libm per
 * element): relative error below 3e-7 on [-87, 88] (tests/test_nn.c); inputs are clamped to that
 * range (below -87 it returns exp(-87) ~ 1.6e-38, which a softmax after max-subtraction never
 * notices beside its largest term 1). */
float nn_expf(float x);
/* Its core, for a float or a GCC float vector x already clamped (nn.c, nn_tile.h): n = x / ln2
 * rounded by adding and subtracting magic (1.5 * 2^23, or a vector of it), r = x - n ln2 with
 * ln2 split in two for exactness, p = exp(r) by Cephes' polynomial; exp(x) = p * 2^n. */
#define NN_EXP_CORE(p, n, r, x, magic)                                                             \
    do {                                                                                           \
        (n) = ((x)*1.44269504088896341f + (magic)) - (magic);                                      \
        (r) = (x) - (n)*0.693359375f;                                                              \
        (r) = (r) - (n) * -2.12194440e-4f;                                                         \
        (p) = (r)*1.9875691500e-4f + 1.3981999507e-3f;                                             \
        (p) = (p) * (r) + 8.3334519073e-3f;                                                        \
        (p) = (p) * (r) + 4.1665795894e-2f;                                                        \
        (p) = (p) * (r) + 1.6666665459e-1f;                                                        \
        (p) = (p) * (r) + 5.0000001201e-1f;                                                        \
        (p) = (p) * (r) * (r) + (r) + 1.0f;                                                        \
    } while (0)
/* Softmax of each of the `rows` rows of x [rows, cols] in place; columns with colmask[j] == 0
 * get weight exactly 0 (colmask [cols] holds 0/1; NULL: all columns); a row with no allowed column
 * becomes zeros. Uses nn_expf, with AVX2 / AVX-512 clones picked at run time on x86-64. */
void nn_softmax_rows(float *x, int rows, int cols, const float *colmask);

/* Adam (Kingma & Ba) with bias correction; step t counts from 1. */
void nn_adam(float *params, const float *grads, float *m, float *v, size_t n, float lr, float beta1,
             float beta2, float eps, int t);
/* Scales g so that its global L2 norm is at most max_norm; returns the norm before clipping. */
float nn_clip_grad_norm(float *g, size_t n, float max_norm);
/* Orthogonal init (as torch.nn.init.orthogonal_): w [rows, cols] gets orthonormal rows or
 * columns, times gain. */
void nn_orthogonal(float *w, int rows, int cols, float gain, rng *r);

#endif

/* attention.c: the attention scorer's forward and backward (architecture in attention.h).
 * Training (att_forward, att_backward): each linear layer is one sgemm over the N node rows;
 * attention is two sgemms per head (scores and the weighted values) with a masked softmax
 * between them, the weights kept for backward. Inference (att_infer, att_int8_forward): the
 * same network through the kernels of nn_infer.c and attention_flash.c. */
#include "policy/attention.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/bigbuf.h"
#include "common/err.h"
#include "policy/nn.h"
#include "spaces/spaces.h"

/* Tensor indices: the projection, then per block 12, then cross-attention, then the head. */
enum { T_PW, T_PB };
enum {
    B_QKVW,
    B_QKVB,
    B_OW,
    B_OB,
    B_LN1W,
    B_LN1B,
    B_F1W,
    B_F1B,
    B_F2W,
    B_F2B,
    B_LN2W,
    B_LN2B,
    B_N
};
#define BLK(l, k) (2 + (l)*B_N + (k))
#define CR(k) (2 + ATT_LAYERS * B_N + (k))
enum { C_EW, C_EB, C_QW, C_QB, C_KVW, C_KVB, C_OW, C_OB, C_LNW, C_LNB, C_N };
#define HD(k) (CR(C_N) + (k))
enum { H_0W, H_0B, H_1W, H_1B };

#define PW(m, i) nn_param(&(m)->p, (i))
#define PG(m, i) nn_grad(&(m)->p, (i))
#define GRAD(a, ptr) ((ptr) + (a)->size)

static void add(nn_params *p, const char *fmt, int l, int ndim, int d0, int d1)
{
    char n[NN_NAME_LEN];
    snprintf(n, sizeof n, fmt, l);
    nn_params_add(p, n, ndim, d0, d1);
}

int att_model_init(att_model *m, int D, int FF, int HH, uint64_t seed)
{
    memset(m, 0, sizeof *m);
    if (D < ATT_HEADS || D % ATT_HEADS || FF < 1 || HH < 1)
        return kisim_seterr(KISIM_EINPUT,
                            "attention scorer: d_model %d must be a positive "
                            "multiple of %d heads (ff %d, head_hidden %d)",
                            D, ATT_HEADS, FF, HH);
    m->D = D, m->FF = FF, m->HH = HH;
    nn_params *p = &m->p;
    add(p, "proj.weight", 0, 2, D, ATT_X);
    add(p, "proj.bias", 0, 1, D, 0);
    for (int l = 0; l < ATT_LAYERS; l++) {
        add(p, "blocks.%d.attn.qkv.weight", l, 2, 3 * D, D);
        add(p, "blocks.%d.attn.qkv.bias", l, 1, 3 * D, 0);
        add(p, "blocks.%d.attn.out.weight", l, 2, D, D);
        add(p, "blocks.%d.attn.out.bias", l, 1, D, 0);
        add(p, "blocks.%d.ln1.weight", l, 1, D, 0);
        add(p, "blocks.%d.ln1.bias", l, 1, D, 0);
        add(p, "blocks.%d.ff1.weight", l, 2, FF, D);
        add(p, "blocks.%d.ff1.bias", l, 1, FF, 0);
        add(p, "blocks.%d.ff2.weight", l, 2, D, FF);
        add(p, "blocks.%d.ff2.bias", l, 1, D, 0);
        add(p, "blocks.%d.ln2.weight", l, 1, D, 0);
        add(p, "blocks.%d.ln2.bias", l, 1, D, 0);
    }
    add(p, "cross.pod_embed.weight", 0, 2, KISIM_P, D);
    add(p, "cross.pod_embed.bias", 0, 2, KISIM_P, D);
    add(p, "cross.q.weight", 0, 2, D, D);
    add(p, "cross.q.bias", 0, 1, D, 0);
    add(p, "cross.kv.weight", 0, 2, 2 * D, D);
    add(p, "cross.kv.bias", 0, 1, 2 * D, 0);
    add(p, "cross.out.weight", 0, 2, D, D);
    add(p, "cross.out.bias", 0, 1, D, 0);
    add(p, "cross.ln.weight", 0, 1, D, 0);
    add(p, "cross.ln.bias", 0, 1, D, 0);
    add(p, "head.0.weight", 0, 2, HH, D);
    add(p, "head.0.bias", 0, 1, HH, 0);
    add(p, "head.1.weight", 0, 2, 2, HH);
    add(p, "head.1.bias", 0, 1, 2, 0);
    if (p->n != HD(H_1B) + 1) return kisim_seterr(KISIM_EINPUT, "attention scorer: tensor table");
    int err = nn_params_alloc(p);
    if (err) return err;
    rng r;
    rng_seed(&r, seed);
    /* Orthogonal weights, gain 1 (residual stream) or sqrt(2) before a relu; the output head
     * small, so training starts near score 50 everywhere. Layer norms start as identity. */
    for (int i = 0; i < p->n; i++) {
        nn_tensor *t = &p->t[i];
        const char *nm = t->name;
        if (strstr(nm, "ln") && strstr(nm, ".weight")) {
            for (size_t k = 0; k < t->size; k++)
                p->params[t->offset + k] = 1;
        } else if (t->ndim == 2 && strstr(nm, ".weight")) {
            float gain = strstr(nm, "ff1") || !strcmp(nm, "head.0.weight") ? (float)M_SQRT2 : 1;
            if (!strcmp(nm, "head.1.weight")) gain = 0.1f;
            nn_orthogonal(p->params + t->offset, t->shape[0], t->shape[1], gain, &r);
        }
    }
    for (int f = 0; f < KISIM_F; f++)
        m->in_mean[f] = 0, m->in_inv[f] = 1;
    return 0;
}

void att_model_free(att_model *m)
{
    nn_params_free(&m->p);
}

static float *take(att_acts *a, size_t count)
{
    float *p = a->buf ? a->buf + a->size : NULL;
    a->size += count;
    return p;
}

static void layout(att_acts *a, const att_model *m)
{
    size_t N = (size_t)a->cap_n, D = (size_t)m->D, FF = (size_t)m->FF, P = KISIM_P;
    size_t H = ATT_HEADS;
    a->size = 0;
    a->x = take(a, N * ATT_X);
    a->h0 = take(a, N * D);
    a->c = take(a, P * D + P); /* tokens, then the pod context itself */
    for (int l = 0; l < ATT_LAYERS; l++) {
        a->qkv[l] = take(a, N * 3 * D);
        a->att[l] = a->infer ? NULL : take(a, H * N * N);
        a->o[l] = take(a, N * D);
        a->a[l] = take(a, N * D);
        a->r1[l] = take(a, N * D);
        a->h1[l] = take(a, N * D);
        a->m1[l] = take(a, N);
        a->s1[l] = take(a, N);
        a->f[l] = take(a, N * FF);
        a->g[l] = take(a, N * D);
        a->r2[l] = take(a, N * D);
        a->h2[l] = take(a, N * D);
        a->m2[l] = take(a, N);
        a->s2[l] = take(a, N);
    }
    a->cq = take(a, N * D);
    a->ckv = take(a, P * 2 * D);
    a->catt = a->infer ? NULL : take(a, H * N * P);
    a->co = take(a, N * D);
    a->ca = take(a, N * D);
    a->cr = take(a, N * D);
    a->ch = take(a, N * D);
    a->cm = take(a, N);
    a->cs = take(a, N);
    a->z = take(a, N * (size_t)m->HH);
    a->logits = take(a, N * 2);
    a->score = take(a, N);
    a->conf = take(a, N);
    a->maskf = take(a, N);
    size_t rows = N > P ? N : P, cols = ATT_X;
    if ((size_t)m->D > cols) cols = (size_t)m->D;
    if ((size_t)m->FF > cols) cols = (size_t)m->FF;
    if ((size_t)m->HH > cols) cols = (size_t)m->HH;
    a->qx = (uint8_t *)take(a, (rows * cols + 3) / 4);
    a->qs = take(a, rows);
    a->mask = (uint8_t *)take(a, (N + 3) / 4);
    a->flash = take(a, att_flash_floats((int)rows, m->D));
    size_t ocs = 3 * (size_t)m->D > (size_t)m->FF ? 3 * (size_t)m->D : (size_t)m->FF;
    a->lint = take(a, nn_linear_infer_floats((int)rows, (int)cols, (int)(ocs > cols ? ocs : cols)));
}

static int acts_alloc(att_acts *a, const att_model *m, int cap_n, int infer)
{
    memset(a, 0, sizeof *a);
    a->cap_n = cap_n;
    a->infer = infer;
    layout(a, m);
    a->buf = bigbuf_calloc(infer ? a->size : 2 * a->size, sizeof(float));
    if (!a->buf)
        return kisim_seterr(KISIM_ENOMEM, "attention scorer: out of memory for %d nodes", cap_n);
    layout(a, m);
    return 0;
}

int att_acts_alloc(att_acts *a, const att_model *m, int cap_n)
{
    return acts_alloc(a, m, cap_n, 0);
}

int att_acts_alloc_infer(att_acts *a, const att_model *m, int cap_n)
{
    return acts_alloc(a, m, cap_n, 1);
}

void att_acts_free(att_acts *a)
{
    free(a->buf);
    a->buf = NULL;
}

/* Multi-head scaled dot-product attention: out [Nq, D] from q (row stride ldq) over Nk keys and
 * values (row stride ldkv); keys with kmask 0 get weight 0 (kmask NULL: all keys; else 0/1
 * floats). att [heads, Nq, Nk] keeps the weights for backward. The queries go in blocks whose
 * weights fit in the L2 cache (256 KB), so scores, softmax and the weighted values of a block
 * read what the previous step has just written. */
static void mha_forward(float *out, float *att, const float *q, int ldq, const float *k,
                        const float *v, int ldkv, const float *kmask, int Nq, int Nk, int D)
{
    int dh = D / ATT_HEADS, qb = 65536 / Nk;
    float scale = 1.0f / sqrtf((float)dh);
    if (qb < 1) qb = 1;
    for (int h = 0; h < ATT_HEADS; h++)
        for (int i0 = 0; i0 < Nq; i0 += qb) {
            int m = Nq - i0 < qb ? Nq - i0 : qb;
            float *A = att + ((size_t)h * Nq + i0) * Nk;
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, Nk, dh, scale,
                        q + (size_t)i0 * ldq + h * dh, ldq, k + h * dh, ldkv, 0.0f, A, Nk);
            nn_softmax_rows(A, m, Nk, kmask); /* no key at all: a zero row */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, dh, Nk, 1.0f, A, Nk,
                        v + h * dh, ldkv, 0.0f, out + (size_t)i0 * D + h * dh, D);
        }
}

/* Accumulates dq, dk, dv (same strides as q, k, v) from dout; dA [heads, Nq, Nk] is scratch. */
static void mha_backward(float *dq, float *dk, float *dv, float *dA, const float *dout,
                         const float *att, const float *q, int ldq, const float *k, const float *v,
                         int ldkv, int Nq, int Nk, int D)
{
    int dh = D / ATT_HEADS;
    float scale = 1.0f / sqrtf((float)dh);
    for (int h = 0; h < ATT_HEADS; h++) {
        const float *A = att + (size_t)h * Nq * Nk;
        float *dS = dA + (size_t)h * Nq * Nk;
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Nk, dh, Nq, 1.0f, A, Nk, dout + h * dh,
                    D, 1.0f, dv + h * dh, ldkv);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Nq, Nk, dh, 1.0f, dout + h * dh, D,
                    v + h * dh, ldkv, 0.0f, dS, Nk);
        for (int i = 0; i < Nq; i++) { /* softmax backward: dS = A (dA - sum_j A dA) */
            const float *ar = A + (size_t)i * Nk;
            float *dr = dS + (size_t)i * Nk, dot = 0;
            for (int j = 0; j < Nk; j++)
                dot += ar[j] * dr[j];
            for (int j = 0; j < Nk; j++)
                dr[j] = ar[j] * (dr[j] - dot);
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Nq, dh, Nk, scale, dS, Nk,
                    k + h * dh, ldkv, 1.0f, dq + h * dh, ldq);
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Nk, dh, Nq, scale, dS, Nk, q + h * dh,
                    ldq, 1.0f, dk + h * dh, ldkv);
    }
}

static void relu_inplace(float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        x[i] = x[i] > 0 ? x[i] : 0;
}

/* dx *= (y > 0): the gradient through a relu whose output is y, in place. */
static void drelu(float *dx, const float *y, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dx[i] = y[i] > 0 ? dx[i] : 0;
}

static void add_to(float *out, const float *x, const float *y, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = x[i] + y[i];
}

static void acc(float *out, const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] += x[i];
}

static float sigmoidf(float x)
{
    return 1.0f / (1.0f + expf(-x));
}

/* A linear layer, weight tensor wi and bias wi + 1: int8 (q), fp32 for inference (flash) or
 * fp32 over OpenBLAS (training). */
static void lin(const att_model *m, const att_int8 *q, int flash, att_acts *a, int wi, float *out,
                const float *in, int B, int C, int OC)
{
    if (q)
        att_int8_linear(q, a, wi, out, in, B, C, OC);
    else if (flash)
        nn_linear_infer(out, in, PW(m, wi), PW(m, wi + 1), B, C, OC, a->lint);
    else
        nn_linear_forward(out, in, PW(m, wi), PW(m, wi + 1), B, C, OC);
}

/* out = LN(x + y) with layer norm tensor wi; training keeps the sum r, mean and rstd. */
static void add_norm(const att_model *m, int flash, float *out, float *mean, float *rstd, float *r,
                     const float *x, const float *y, int wi, int N)
{
    if (flash) {
        nn_add_layernorm_infer(out, x, y, PW(m, wi), PW(m, wi + 1), N, m->D);
        return;
    }
    add_to(r, x, y, (size_t)N * m->D);
    nn_layernorm_forward(out, mean, rstd, r, PW(m, wi), PW(m, wi + 1), N, m->D);
}

/* flash: attention through att_flash_mha (inference), else mha_forward keeping the weights. */
static void forward(const att_model *m, const att_int8 *q, int flash, att_acts *a,
                    const float *nodes, int n, int T, const float *avail, const uint8_t *mask,
                    const float *pod)
{
    int D = m->D, F = KISIM_F, N = n, P = KISIM_P;
    a->n = n;
    for (int i = 0; i < N; i++) {
        float *x = a->x + (size_t)i * ATT_X;
        for (int f = 0; f < F; f++) {
            float s = 0, av = avail ? avail[f] : 1.0f;
            for (int t = 0; t < T; t++)
                s += nodes[((size_t)i * T + t) * F + f];
            x[f] = (s / T - m->in_mean[f]) * m->in_inv[f] * av;
            x[F + f] = av;
        }
        a->mask[i] = mask ? mask[i] != 0 : 1;
        a->maskf[i] = a->mask[i];
    }
    lin(m, q, flash, a, T_PW, a->h0, a->x, N, ATT_X, D);
    const float *hin = a->h0;
    for (int l = 0; l < ATT_LAYERS; l++) {
        lin(m, q, flash, a, BLK(l, B_QKVW), a->qkv[l], hin, N, D, 3 * D);
        if (flash)
            att_flash_mha(a->o[l], a->qkv[l], 3 * D, a->qkv[l] + D, a->qkv[l] + 2 * D, 3 * D,
                          a->maskf, N, N, D, a->flash);
        else
            mha_forward(a->o[l], a->att[l], a->qkv[l], 3 * D, a->qkv[l] + D, a->qkv[l] + 2 * D,
                        3 * D, a->maskf, N, N, D);
        lin(m, q, flash, a, BLK(l, B_OW), a->a[l], a->o[l], N, D, D);
        add_norm(m, flash, a->h1[l], a->m1[l], a->s1[l], a->r1[l], hin, a->a[l], BLK(l, B_LN1W), N);
        lin(m, q, flash, a, BLK(l, B_F1W), a->f[l], a->h1[l], N, D, m->FF);
        relu_inplace(a->f[l], (size_t)N * m->FF);
        lin(m, q, flash, a, BLK(l, B_F2W), a->g[l], a->f[l], N, m->FF, D);
        add_norm(m, flash, a->h2[l], a->m2[l], a->s2[l], a->r2[l], a->h1[l], a->g[l],
                 BLK(l, B_LN2W), N);
        hin = a->h2[l];
    }
    /* pod tokens: c_j = pod_j E_j + e_j */
    const float *E = PW(m, CR(C_EW)), *e = PW(m, CR(C_EB));
    float *podc = a->c + (size_t)P * D;
    memcpy(podc, pod, (size_t)P * sizeof *podc);
    for (int j = 0; j < P; j++)
        for (int d = 0; d < D; d++)
            a->c[(size_t)j * D + d] = pod[j] * E[(size_t)j * D + d] + e[(size_t)j * D + d];
    lin(m, q, flash, a, CR(C_QW), a->cq, hin, N, D, D);
    lin(m, q, flash, a, CR(C_KVW), a->ckv, a->c, P, D, 2 * D);
    if (flash)
        att_flash_mha(a->co, a->cq, D, a->ckv, a->ckv + D, 2 * D, NULL, N, P, D, a->flash);
    else
        mha_forward(a->co, a->catt, a->cq, D, a->ckv, a->ckv + D, 2 * D, NULL, N, P, D);
    lin(m, q, flash, a, CR(C_OW), a->ca, a->co, N, D, D);
    add_norm(m, flash, a->ch, a->cm, a->cs, a->cr, hin, a->ca, CR(C_LNW), N);
    lin(m, q, flash, a, HD(H_0W), a->z, a->ch, N, D, m->HH);
    relu_inplace(a->z, (size_t)N * m->HH);
    lin(m, q, flash, a, HD(H_1W), a->logits, a->z, N, m->HH, 2);
    for (int i = 0; i < N; i++) {
        a->score[i] = 100.0f * sigmoidf(a->logits[2 * i]);
        a->conf[i] = sigmoidf(a->logits[2 * i + 1]);
    }
}

void att_forward(const att_model *m, att_acts *a, const float *nodes, int n, int T,
                 const float *avail, const uint8_t *mask, const float *pod)
{
    forward(m, NULL, a->infer, a, nodes, n, T, avail, mask, pod); /* no room for the weights */
}

void att_infer(const att_model *m, att_acts *a, const float *nodes, int n, int T,
               const float *avail, const uint8_t *mask, const float *pod)
{
    forward(m, NULL, 1, a, nodes, n, T, avail, mask, pod);
}

void att_int8_forward(const att_int8 *q, att_acts *a, const float *nodes, int n, int T,
                      const float *avail, const uint8_t *mask, const float *pod)
{
    forward(&q->m, q, 1, a, nodes, n, T, avail, mask, pod);
}

void att_backward(att_model *m, att_acts *a, const float *dlogits)
{
    if (a->infer) return; /* no weights kept, no gradient region */
    int D = m->D, N = a->n, P = KISIM_P, FF = m->FF, HH = m->HH;
    size_t ND = (size_t)N * D;
    memset(a->buf + a->size, 0, a->size * sizeof(float));
    const float *hin = a->h2[ATT_LAYERS - 1];
    float *dhin = GRAD(a, a->h2[ATT_LAYERS - 1]);
    /* head */
    float *dz = GRAD(a, a->z), *dch = GRAD(a, a->ch), *dcr = GRAD(a, a->cr);
    nn_linear_backward(dz, PG(m, HD(H_1W)), PG(m, HD(H_1B)), dlogits, a->z, PW(m, HD(H_1W)), N, HH,
                       2);
    drelu(dz, a->z, (size_t)N * HH);
    nn_linear_backward(dch, PG(m, HD(H_0W)), PG(m, HD(H_0B)), dz, a->ch, PW(m, HD(H_0W)), N, D, HH);
    /* cross-attention */
    nn_layernorm_backward(dcr, PG(m, CR(C_LNW)), PG(m, CR(C_LNB)), dch, a->cr, PW(m, CR(C_LNW)),
                          a->cm, a->cs, N, D);
    acc(dhin, dcr, ND);
    float *dco = GRAD(a, a->co), *dcq = GRAD(a, a->cq), *dckv = GRAD(a, a->ckv),
          *dc = GRAD(a, a->c);
    nn_linear_backward(dco, PG(m, CR(C_OW)), PG(m, CR(C_OB)), dcr, a->co, PW(m, CR(C_OW)), N, D, D);
    mha_backward(dcq, dckv, dckv + D, GRAD(a, a->catt), dco, a->catt, a->cq, D, a->ckv, a->ckv + D,
                 2 * D, N, P, D);
    nn_linear_backward(dhin, PG(m, CR(C_QW)), PG(m, CR(C_QB)), dcq, hin, PW(m, CR(C_QW)), N, D, D);
    nn_linear_backward(dc, PG(m, CR(C_KVW)), PG(m, CR(C_KVB)), dckv, a->c, PW(m, CR(C_KVW)), P, D,
                       2 * D);
    const float *podc = a->c + (size_t)P * D;
    float *dE = PG(m, CR(C_EW)), *de = PG(m, CR(C_EB));
    for (int j = 0; j < P; j++)
        for (int d = 0; d < D; d++) {
            dE[(size_t)j * D + d] += dc[(size_t)j * D + d] * podc[j];
            de[(size_t)j * D + d] += dc[(size_t)j * D + d];
        }
    /* blocks, last to first */
    for (int l = ATT_LAYERS - 1; l >= 0; l--) {
        const float *hprev = l ? a->h2[l - 1] : a->h0;
        float *dhprev = GRAD(a, (float *)hprev);
        float *dh2 = GRAD(a, a->h2[l]), *dr2 = GRAD(a, a->r2[l]), *dh1 = GRAD(a, a->h1[l]);
        float *df = GRAD(a, a->f[l]), *dr1 = GRAD(a, a->r1[l]), *dO = GRAD(a, a->o[l]);
        float *dqkv = GRAD(a, a->qkv[l]);
        nn_layernorm_backward(dr2, PG(m, BLK(l, B_LN2W)), PG(m, BLK(l, B_LN2B)), dh2, a->r2[l],
                              PW(m, BLK(l, B_LN2W)), a->m2[l], a->s2[l], N, D);
        acc(dh1, dr2, ND);
        nn_linear_backward(df, PG(m, BLK(l, B_F2W)), PG(m, BLK(l, B_F2B)), dr2, a->f[l],
                           PW(m, BLK(l, B_F2W)), N, FF, D);
        drelu(df, a->f[l], (size_t)N * FF);
        nn_linear_backward(dh1, PG(m, BLK(l, B_F1W)), PG(m, BLK(l, B_F1B)), df, a->h1[l],
                           PW(m, BLK(l, B_F1W)), N, D, FF);
        nn_layernorm_backward(dr1, PG(m, BLK(l, B_LN1W)), PG(m, BLK(l, B_LN1B)), dh1, a->r1[l],
                              PW(m, BLK(l, B_LN1W)), a->m1[l], a->s1[l], N, D);
        acc(dhprev, dr1, ND);
        nn_linear_backward(dO, PG(m, BLK(l, B_OW)), PG(m, BLK(l, B_OB)), dr1, a->o[l],
                           PW(m, BLK(l, B_OW)), N, D, D);
        mha_backward(dqkv, dqkv + D, dqkv + 2 * D, GRAD(a, a->att[l]), dO, a->att[l], a->qkv[l],
                     3 * D, a->qkv[l] + D, a->qkv[l] + 2 * D, 3 * D, N, N, D);
        nn_linear_backward(dhprev, PG(m, BLK(l, B_QKVW)), PG(m, BLK(l, B_QKVB)), dqkv, hprev,
                           PW(m, BLK(l, B_QKVW)), N, D, 3 * D);
    }
    nn_linear_backward(NULL, PG(m, T_PW), PG(m, T_PB), GRAD(a, a->h0), a->x, PW(m, T_PW), N, ATT_X,
                       D);
}

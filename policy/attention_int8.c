/* attention_int8.c: the attention scorer's int8 inference (attention.h): per-output-channel
 * weight quantisation at load, and the quantised linear layer. Inputs are stored as uint8 with an
 * offset of 128 (q + 128), so that sum_c (q_c + 128) w_c - 128 sum_c w_c is the signed product:
 * the u8 x s8 form that AVX-512 VNNI (vpdpbusd) multiplies four at a time. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "policy/attention.h"
#include "policy/nn.h"

/* Round to nearest by adding and subtracting 1.5 * 2^23 (vectorises; |v| <= 127.5 here). */
static inline float round_near(float v)
{
    return (v + 12582912.0f) - 12582912.0f;
}

int att_int8_from_model(att_int8 *q, att_model *m)
{
    memset(q, 0, sizeof *q);
    q->m = *m;
    memset(m, 0, sizeof *m);
    nn_params *p = &q->m.p;
    int rows = 0;
    for (int t = 0; t < p->n; t++) {
        /* the linear layers of the attention blocks and the cross-attention; the input
         * projection (standardised telemetry, whose outliers make a row's int8 step coarse) and
         * the small score head stay fp32 (measured in BENCHMARKS.md) */
        const char *nm = p->t[t].name;
        int quant = p->t[t].ndim == 2 && strstr(nm, ".weight") && !strstr(nm, "pod_embed") &&
                    (!strncmp(nm, "blocks.", 7) || !strncmp(nm, "cross.", 6));
        q->quant_row[t] = quant ? rows : -1;
        rows += quant ? p->t[t].shape[0] : 0;
        q->quantised += quant ? p->t[t].size : 0;
    }
    q->w = calloc(p->total, 1);
    q->scale = malloc((size_t)rows * sizeof *q->scale);
    q->wsum = malloc((size_t)rows * sizeof *q->wsum);
    if (!q->w || !q->scale || !q->wsum) {
        att_int8_free(q);
        return kisim_seterr(KISIM_ENOMEM, "attention scorer: out of memory for int8 weights");
    }
    for (int t = 0; t < p->n; t++) {
        if (q->quant_row[t] < 0) continue;
        int OC = p->t[t].shape[0], C = p->t[t].shape[1];
        for (int o = 0; o < OC; o++) {
            const float *w = p->params + p->t[t].offset + (size_t)o * C;
            int8_t *qw = q->w + p->t[t].offset + (size_t)o * C;
            float amax = 0;
            for (int c = 0; c < C; c++)
                amax = fabsf(w[c]) > amax ? fabsf(w[c]) : amax;
            float s = amax > 0 ? amax / 127.0f : 1.0f, inv = 1.0f / s;
            int32_t sum = 0;
            for (int c = 0; c < C; c++) {
                float r = round_near(w[c] * inv);
                qw[c] = (int8_t)(r > 127 ? 127 : r < -127 ? -127 : r);
                sum += qw[c];
            }
            q->scale[q->quant_row[t] + o] = s;
            q->wsum[q->quant_row[t] + o] = sum;
        }
    }
    return 0;
}

int att_int8_load(att_int8 *q, const char *path)
{
    att_model m;
    int err = att_model_load(&m, path);
    if (err) return err;
    return att_int8_from_model(q, &m);
}

void att_int8_free(att_int8 *q)
{
    att_model_free(&q->m);
    free(q->w);
    free(q->scale);
    free(q->wsum);
    memset(q, 0, sizeof *q);
}

/* Each row of x [B, C] to uint8 (q + 128) with scale max|x| / 127 (a zero row: scale 1, all
 * q 0). The max of |x| runs on the float bits with the sign cleared: as integers they order
 * like the magnitudes, and an integer max vectorises. */
static inline __attribute__((always_inline)) void
quant_rows(uint8_t *restrict xq, float *restrict xs, const float *restrict x, int B, int C)
{
    for (int b = 0; b < B; b++) {
        const float *v = x + (size_t)b * C;
        uint8_t *o = xq + (size_t)b * C;
        int32_t km = 0;
        for (int c = 0; c < C; c++) {
            int32_t k;
            memcpy(&k, v + c, sizeof k);
            k &= 0x7fffffff;
            km = k > km ? k : km;
        }
        float amax;
        memcpy(&amax, &km, sizeof amax);
        float s = amax > 0 ? amax / 127.0f : 1.0f, inv = 1.0f / s;
        for (int c = 0; c < C; c++)
            o[c] = (uint8_t)(int32_t)(round_near(v[c] * inv) + 128.0f);
        xs[b] = s;
    }
}

/* out[b, o] = xs_b s_o (sum_c xq_bc w_oc - 128 wsum_o) + bias_o; the inner sum is the loop GCC
 * turns into vpdpbusd (VNNI) or vpmaddwd (AVX2). */
static inline __attribute__((always_inline)) void
gemm_body(float *restrict out, const uint8_t *restrict xq, const float *restrict xs,
          const int8_t *restrict w, const float *restrict ws, const int32_t *restrict wsum,
          const float *restrict bias, int B, int C, int OC)
{
    for (int b = 0; b < B; b++) {
        const uint8_t *x = xq + (size_t)b * C;
        float *y = out + (size_t)b * OC;
        int o = 0;
        for (; o + 4 <= OC; o += 4) { /* four channels per pass over x: x is loaded once */
            const int8_t *w0 = w + (size_t)o * C, *w1 = w0 + C, *w2 = w1 + C, *w3 = w2 + C;
            int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
            for (int c = 0; c < C; c++) {
                int32_t xc = x[c];
                a0 += xc * w0[c], a1 += xc * w1[c], a2 += xc * w2[c], a3 += xc * w3[c];
            }
            int32_t acc[4] = {a0, a1, a2, a3};
            for (int k = 0; k < 4; k++)
                y[o + k] = (float)(acc[k] - 128 * wsum[o + k]) * (xs[b] * ws[o + k]) + bias[o + k];
        }
        for (; o < OC; o++) {
            const int8_t *wo = w + (size_t)o * C;
            int32_t acc = 0;
            for (int c = 0; c < C; c++)
                acc += (int32_t)x[c] * (int32_t)wo[c];
            y[o] = (float)(acc - 128 * wsum[o]) * (xs[b] * ws[o]) + bias[o];
        }
    }
}

#define Q8_ARGS                                                                                    \
    float *restrict out, uint8_t *restrict xq, float *restrict xs, const float *restrict x,        \
        const int8_t *restrict w, const float *restrict ws, const int32_t *restrict wsum,          \
        const float *restrict bias, int B, int C, int OC
#define Q8_BODY                                                                                    \
    quant_rows(xq, xs, x, B, C);                                                                   \
    gemm_body(out, xq, xs, w, ws, wsum, bias, B, C, OC)

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,prefer-vector-width=512"))) static void
q8_vnni(Q8_ARGS)
{
    Q8_BODY;
}
__attribute__((target("avx2,fma"))) static void q8_avx2(Q8_ARGS)
{
    Q8_BODY;
}
#endif
static void q8_plain(Q8_ARGS)
{
    Q8_BODY;
}

typedef void (*q8_fn)(Q8_ARGS);

static q8_fn pick(void)
{
#if defined(__x86_64__) && defined(__GNUC__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl"))
        return q8_vnni;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return q8_avx2;
#endif
    return q8_plain;
}

void att_int8_linear(const att_int8 *q, att_acts *a, int wi, float *out, const float *in, int B,
                     int C, int OC)
{
    q8_fn fn = pick(); /* a few loads of the CPU model's flags */
    const nn_params *p = &q->m.p;
    int row = q->quant_row[wi];
    if (row < 0) { /* a tensor left in fp32: fp32 inference's kernel */
        nn_linear_infer(out, in, nn_param(p, wi), nn_param(p, wi + 1), B, C, OC, a->lint);
        return;
    }
    fn(out, a->qx, a->qs, in, q->w + p->t[wi].offset, q->scale + row, q->wsum + row,
       p->params + p->t[wi + 1].offset, B, C, OC);
}

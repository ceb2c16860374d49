/* nn.c: the layer kernels (linear over cblas_sgemm, activations, layer norm, masked
 * softmax, pooling) and the optimiser. */
#include "policy/nn.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void nn_linear_forward(float *out, const float *inp, const float *w, const float *b, int B, int C,
                       int OC)
{
    if (b)
        for (int r = 0; r < B; r++)
            memcpy(out + (size_t)r * OC, b, (size_t)OC * sizeof *out);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, OC, C, 1.0f, inp, C, w, C,
                b ? 1.0f : 0.0f, out, OC);
}

void nn_linear_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp,
                        const float *w, int B, int C, int OC)
{
    if (dinp)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, C, OC, 1.0f, dout, OC, w, C, 1.0f,
                    dinp, C);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, OC, C, B, 1.0f, dout, OC, inp, C, 1.0f, dw,
                C);
    if (db)
        for (int r = 0; r < B; r++)
            for (int o = 0; o < OC; o++)
                db[o] += dout[(size_t)r * OC + o];
}

/* Eigen's rational approximation of tanh on [-7.9988, 7.9988] (beyond it tanh is +-1 in
 * float): a degree-13 odd polynomial over a degree-6 even one. */
static inline float fast_tanh(float x)
{
    const float lim = 7.99881172180175781f;
    x = x < -lim ? -lim : x > lim ? lim : x;
    float x2 = x * x;
    float p = -2.76076847742355e-16f;
    p = p * x2 + 2.00018790482477e-13f;
    p = p * x2 + -8.60467152213735e-11f;
    p = p * x2 + 5.12229709037114e-08f;
    p = p * x2 + 1.48572235717979e-05f;
    p = p * x2 + 6.37261928875436e-04f;
    p = p * x2 + 4.89352455891786e-03f;
    p = p * x;
    float q = 1.19825839466702e-06f;
    q = q * x2 + 1.18534705686654e-04f;
    q = q * x2 + 2.26843463243900e-03f;
    q = q * x2 + 4.89352518554385e-03f;
    return p / q;
}

/* Cephes' expf: x = n ln2 + r, |r| <= ln2 / 2 (ln2 split in two for exactness), exp(r) by a
 * degree-6 polynomial, 2^n by building the float's exponent bits. n is rounded by adding and
 * subtracting 1.5 * 2^23, which needs no libm call and so vectorises. */
static inline float exp_poly(float x)
{
    x = x < -87.0f ? -87.0f : x > 88.0f ? 88.0f : x;
    float n, r, p;
    NN_EXP_CORE(p, n, r, x, 12582912.0f);
    uint32_t bits = (uint32_t)((int32_t)n + 127) << 23;
    float two_n;
    memcpy(&two_n, &bits, sizeof two_n);
    return p * two_n;
}

float nn_expf(float x)
{
    return exp_poly(x);
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define NN_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define NN_CLONES
#endif

/* With AVX2/AVX-512 clones: the per-node layers of a 100-node PPO forward spent as long in tanh
 * (SSE, 4 lanes) as in their sgemm. */
NN_CLONES void nn_tanh_forward(float *out, const float *inp, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = fast_tanh(inp[i]);
}

/* A float's bits as an int32 that orders like the float (for the non-NaN floats): the max
 * reduction runs on these, as GCC vectorises an integer max but not a float one. */
static inline int32_t order_key(float v)
{
    int32_t i;
    memcpy(&i, &v, sizeof i);
    return i ^ ((i >> 31) & 0x7fffffff);
}

/* Max, exp and sum over one row, each a loop the compiler vectorises (the sum keeps 16 partial
 * results: GCC does not reorder a float reduction by itself). */
NN_CLONES void nn_softmax_rows(float *x, int rows, int cols, const float *colmask)
{
    enum { L = 16 };
    for (int r = 0; r < rows; r++) {
        float *v = x + (size_t)r * cols, part[L], mx, sum = 0;
        int32_t km = INT32_MIN;
        if (colmask)
            for (int j = 0; j < cols; j++) { /* bitwise select: a float select does not vectorise */
                int32_t mb;
                memcpy(&mb, colmask + j, sizeof mb);
                int32_t sel = -(int32_t)((mb & 0x7fffffff) != 0); /* -1 unless colmask[j] is +-0 */
                int32_t k = (order_key(v[j]) & sel) | (INT32_MIN & ~sel);
                km = k > km ? k : km;
            }
        else
            for (int j = 0; j < cols; j++) {
                int32_t k = order_key(v[j]);
                km = k > km ? k : km;
            }
        if (km == INT32_MIN) { /* no allowed column */
            memset(v, 0, (size_t)cols * sizeof *v);
            continue;
        }
        int32_t bits = km ^ ((km >> 31) & 0x7fffffff); /* the key's own inverse */
        memcpy(&mx, &bits, sizeof mx);
        /* a masked entry above mx is clamped to exp(88), finite, then multiplied by 0 */
        if (colmask)
            for (int j = 0; j < cols; j++)
                v[j] = exp_poly(v[j] - mx) * colmask[j];
        else
            for (int j = 0; j < cols; j++)
                v[j] = exp_poly(v[j] - mx);
        int j = 0;
        for (int k = 0; k < L; k++)
            part[k] = 0;
        for (; j + L <= cols; j += L)
            for (int k = 0; k < L; k++)
                part[k] += v[j + k];
        for (; j < cols; j++)
            sum += v[j];
        for (int k = 0; k < L; k++)
            sum += part[k];
        float inv = 1.0f / sum;
        for (j = 0; j < cols; j++)
            v[j] *= inv;
    }
}

void nn_tanh_backward(float *dinp, const float *dout, const float *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dinp[i] += dout[i] * (1.0f - out[i] * out[i]);
}

void nn_relu_forward(float *out, const float *inp, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = inp[i] > 0 ? inp[i] : 0;
}

void nn_relu_backward(float *dinp, const float *dout, const float *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dinp[i] += out[i] > 0 ? dout[i] : 0;
}

void nn_layernorm_forward(float *out, float *mean, float *rstd, const float *inp, const float *w,
                          const float *b, int B, int C)
{
    for (int r = 0; r < B; r++) {
        const float *x = inp + (size_t)r * C;
        float m = 0, v = 0;
        for (int c = 0; c < C; c++)
            m += x[c];
        m /= C;
        for (int c = 0; c < C; c++)
            v += (x[c] - m) * (x[c] - m);
        float s = 1.0f / sqrtf(v / C + 1e-5f);
        for (int c = 0; c < C; c++)
            out[(size_t)r * C + c] = (x[c] - m) * s * w[c] + b[c];
        mean[r] = m;
        rstd[r] = s;
    }
}

void nn_layernorm_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp,
                           const float *w, const float *mean, const float *rstd, int B, int C)
{
    for (int r = 0; r < B; r++) {
        const float *x = inp + (size_t)r * C, *dy = dout + (size_t)r * C;
        float dnorm_mean = 0, dnorm_norm_mean = 0;
        for (int c = 0; c < C; c++) {
            float norm = (x[c] - mean[r]) * rstd[r], dnorm = w[c] * dy[c];
            dnorm_mean += dnorm;
            dnorm_norm_mean += dnorm * norm;
        }
        dnorm_mean /= C;
        dnorm_norm_mean /= C;
        for (int c = 0; c < C; c++) {
            float norm = (x[c] - mean[r]) * rstd[r], dnorm = w[c] * dy[c];
            db[c] += dy[c];
            dw[c] += norm * dy[c];
            dinp[(size_t)r * C + c] += (dnorm - dnorm_mean - norm * dnorm_norm_mean) * rstd[r];
        }
    }
}

void nn_log_softmax_forward(float *logp, const float *logits, const uint8_t *mask, int B, int K)
{
    for (int r = 0; r < B; r++) {
        const float *z = logits + (size_t)r * K;
        const uint8_t *m = mask ? mask + (size_t)r * K : NULL;
        float *y = logp + (size_t)r * K;
        float mx = -INFINITY, sum = 0;
        for (int k = 0; k < K; k++)
            if ((!m || m[k]) && z[k] > mx) mx = z[k];
        for (int k = 0; k < K; k++)
            if (!m || m[k]) sum += expf(z[k] - mx);
        float lse = mx + logf(sum);
        for (int k = 0; k < K; k++)
            y[k] = (!m || m[k]) ? z[k] - lse : -INFINITY;
    }
}

void nn_log_softmax_backward(float *dlogits, const float *dlogp, const float *logp,
                             const uint8_t *mask, int B, int K)
{
    for (int r = 0; r < B; r++) {
        const uint8_t *m = mask ? mask + (size_t)r * K : NULL;
        const float *g = dlogp + (size_t)r * K, *y = logp + (size_t)r * K;
        float sum = 0;
        for (int k = 0; k < K; k++)
            if (!m || m[k]) sum += g[k];
        for (int k = 0; k < K; k++)
            if (!m || m[k]) dlogits[(size_t)r * K + k] += g[k] - expf(y[k]) * sum;
    }
}

float nn_entropy(const float *logp, const uint8_t *mask, int K)
{
    float h = 0;
    for (int k = 0; k < K; k++)
        if (!mask || mask[k]) h -= expf(logp[k]) * logp[k];
    return h;
}

void nn_entropy_backward(float *dlogits, float dH, const float *logp, const uint8_t *mask, int K)
{
    float h = nn_entropy(logp, mask, K);
    for (int k = 0; k < K; k++)
        if (!mask || mask[k]) dlogits[k] += dH * -expf(logp[k]) * (logp[k] + h);
}

int nn_sample(const float *logp, const uint8_t *mask, int K, rng *r)
{
    float u = (float)rng_uniform(r), cdf = 0;
    int last = -1;
    for (int k = 0; k < K; k++) {
        if (mask && !mask[k]) continue;
        cdf += expf(logp[k]);
        last = k;
        if (u < cdf) return k;
    }
    return last; /* rounding left u above the total */
}

int nn_argmax(const float *x, const uint8_t *mask, int K)
{
    int best = -1;
    for (int k = 0; k < K; k++)
        if ((!mask || mask[k]) && (best < 0 || x[k] > x[best])) best = k;
    return best;
}

void nn_pool_forward(float *mean, float *max, int *argmax, const float *inp, const uint8_t *mask,
                     int B, int N, int C)
{
    for (int b = 0; b < B; b++) {
        float *mn = mean + (size_t)b * C, *mx = max + (size_t)b * C;
        int *am = argmax + (size_t)b * C, count = 0;
        for (int c = 0; c < C; c++)
            mn[c] = 0, mx[c] = -INFINITY, am[c] = -1;
        for (int n = 0; n < N; n++) {
            if (mask && !mask[(size_t)b * N + n]) continue;
            const float *x = inp + ((size_t)b * N + n) * C;
            count++;
            for (int c = 0; c < C; c++) {
                mn[c] += x[c];
                if (x[c] > mx[c]) mx[c] = x[c], am[c] = n;
            }
        }
        for (int c = 0; c < C; c++) {
            mn[c] = count ? mn[c] / count : 0;
            if (!count) mx[c] = 0;
        }
    }
}

void nn_pool_backward(float *dinp, const float *dmean, const float *dmax, const int *argmax,
                      const uint8_t *mask, int B, int N, int C)
{
    for (int b = 0; b < B; b++) {
        int count = 0;
        for (int n = 0; n < N; n++)
            count += !mask || mask[(size_t)b * N + n];
        for (int n = 0; n < N && count; n++) {
            if (mask && !mask[(size_t)b * N + n]) continue;
            float *dx = dinp + ((size_t)b * N + n) * C;
            for (int c = 0; c < C; c++)
                dx[c] += dmean[(size_t)b * C + c] / count;
        }
        for (int c = 0; c < C; c++) {
            int n = argmax[(size_t)b * C + c];
            if (n >= 0) dinp[((size_t)b * N + n) * C + c] += dmax[(size_t)b * C + c];
        }
    }
}

void nn_adam(float *params, const float *grads, float *m, float *v, size_t n, float lr, float beta1,
             float beta2, float eps, int t)
{
    float c1 = 1.0f - powf(beta1, (float)t), c2 = 1.0f - powf(beta2, (float)t);
    for (size_t i = 0; i < n; i++) {
        m[i] = beta1 * m[i] + (1 - beta1) * grads[i];
        v[i] = beta2 * v[i] + (1 - beta2) * grads[i] * grads[i];
        params[i] -= lr * (m[i] / c1) / (sqrtf(v[i] / c2) + eps);
    }
}

float nn_clip_grad_norm(float *g, size_t n, float max_norm)
{
    double ss = 0;
    for (size_t i = 0; i < n; i++)
        ss += (double)g[i] * g[i];
    float norm = (float)sqrt(ss);
    if (norm > max_norm) {
        float s = max_norm / (norm + 1e-6f); /* PyTorch's clip_grad_norm_ */
        for (size_t i = 0; i < n; i++)
            g[i] *= s;
    }
    return norm;
}

static double gaussian(rng *r)
{
    double u1 = rng_uniform(r), u2 = rng_uniform(r);
    return sqrt(-2.0 * log1p(-u1)) * cos(2.0 * M_PI * u2);
}

void nn_orthogonal(float *w, int rows, int cols, float gain, rng *r)
{
    /* Gram-Schmidt on the columns of a tall Gaussian matrix a [big, small]; w gets a or a^T. */
    int tall = rows >= cols, big = tall ? rows : cols, small = tall ? cols : rows;
    double *a = malloc((size_t)big * small * sizeof *a);
    if (!a) return;
    for (size_t i = 0; i < (size_t)big * small; i++)
        a[i] = gaussian(r);
    for (int j = 0; j < small; j++) {
        for (int k = 0; k < j; k++) {
            double dot = 0;
            for (int i = 0; i < big; i++)
                dot += a[(size_t)i * small + j] * a[(size_t)i * small + k];
            for (int i = 0; i < big; i++)
                a[(size_t)i * small + j] -= dot * a[(size_t)i * small + k];
        }
        double norm = 0;
        for (int i = 0; i < big; i++)
            norm += a[(size_t)i * small + j] * a[(size_t)i * small + j];
        norm = sqrt(norm);
        for (int i = 0; i < big; i++)
            a[(size_t)i * small + j] /= norm;
    }
    for (int i = 0; i < big; i++)
        for (int j = 0; j < small; j++) {
            float x = (float)(gain * a[(size_t)i * small + j]);
            if (tall)
                w[(size_t)i * cols + j] = x;
            else
                w[(size_t)j * cols + i] = x;
        }
    free(a);
}

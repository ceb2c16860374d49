/* test_nn.c: every layer's backward against central finite differences of its forward (loss =
 * sum(out * g) for a random g), the optimiser against a step computed by hand, gradient clipping
 * against its definition, orthogonal init against W W^T = gain^2 I, tanh and the polynomial exp
 * against libm, and the vectorised softmax against a double-precision one. */
#include "policy/nn.h"

#include <float.h>

#include "test.h"

static rng r;

static void fill(float *x, size_t n, float scale)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(scale * (2 * rng_uniform(&r) - 1));
}

/* Compares analytic gradient `ana` of `x` against central differences of `loss()`. */
typedef double (*loss_fn)(void);
static void gradcheck(const char *what, float *x, const float *ana, size_t n, loss_fn loss)
{
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        float keep = x[i], h = 1e-2f * (fabsf(keep) > 1 ? fabsf(keep) : 1);
        x[i] = keep + h;
        double up = loss();
        x[i] = keep - h;
        double down = loss();
        x[i] = keep;
        double num = (up - down) / (2.0 * h);
        double err = fabs(num - ana[i]) / (fabs(num) + fabs(ana[i]) + 1e-2);
        if (err > worst) worst = err;
    }
    CHECK_MSG(worst < 2e-2, "%s: worst relative gradient error %.3g", what, worst);
}

/* --- linear --- */
enum { B = 5, C = 7, OC = 4 };
static float lin_x[B * C], lin_w[OC * C], lin_b[OC], lin_g[B * OC];
static double linear_loss(void)
{
    float out[B * OC];
    nn_linear_forward(out, lin_x, lin_w, lin_b, B, C, OC);
    double l = 0;
    for (int i = 0; i < B * OC; i++)
        l += (double)out[i] * lin_g[i];
    return l;
}

static void test_linear(void)
{
    fill(lin_x, B * C, 1), fill(lin_w, OC * C, 1), fill(lin_b, OC, 1), fill(lin_g, B * OC, 1);
    float dx[B * C] = {0}, dw[OC * C] = {0}, db[OC] = {0}, out[B * OC];
    nn_linear_forward(out, lin_x, lin_w, lin_b, B, C, OC);
    /* out[0][0] by hand */
    double o00 = lin_b[0];
    for (int c = 0; c < C; c++)
        o00 += (double)lin_x[c] * lin_w[c];
    CHECK_NEAR(out[0], o00, 1e-5);
    nn_linear_backward(dx, dw, db, lin_g, lin_x, lin_w, B, C, OC);
    gradcheck("linear dinp", lin_x, dx, B * C, linear_loss);
    gradcheck("linear dw", lin_w, dw, OC * C, linear_loss);
    gradcheck("linear db", lin_b, db, OC, linear_loss);
    /* backward accumulates */
    float dx2[B * C];
    memcpy(dx2, dx, sizeof dx);
    nn_linear_backward(dx2, dw, db, lin_g, lin_x, lin_w, B, C, OC);
    CHECK_NEAR(dx2[3], 2 * dx[3], 1e-5);
}

/* --- activations and layer norm --- */
enum { N = 24 };
static float act_x[N], act_g[N], ln_w[6], ln_b[6];
static int act_kind; /* 0 tanh, 1 relu, 2 layernorm (4 rows of 6) */
static double act_loss(void)
{
    float out[N], mean[4], rstd[4];
    if (act_kind == 0)
        nn_tanh_forward(out, act_x, N);
    else if (act_kind == 1)
        nn_relu_forward(out, act_x, N);
    else
        nn_layernorm_forward(out, mean, rstd, act_x, ln_w, ln_b, 4, 6);
    double l = 0;
    for (int i = 0; i < N; i++)
        l += (double)out[i] * act_g[i];
    return l;
}

static void test_activations(void)
{
    fill(act_x, N, 2), fill(act_g, N, 1), fill(ln_w, 6, 1), fill(ln_b, 6, 1);
    for (int i = 0; i < N; i++) /* keep relu away from its kink */
        if (fabsf(act_x[i]) < 0.05f) act_x[i] = 0.3f;
    float out[N], dx[N], mean[4], rstd[4], dw[6] = {0}, db[6] = {0};
    for (act_kind = 0; act_kind < 3; act_kind++) {
        memset(dx, 0, sizeof dx);
        if (act_kind == 0) nn_tanh_forward(out, act_x, N), nn_tanh_backward(dx, act_g, out, N);
        if (act_kind == 1) nn_relu_forward(out, act_x, N), nn_relu_backward(dx, act_g, out, N);
        if (act_kind == 2) {
            nn_layernorm_forward(out, mean, rstd, act_x, ln_w, ln_b, 4, 6);
            nn_layernorm_backward(dx, dw, db, act_g, act_x, ln_w, mean, rstd, 4, 6);
        }
        gradcheck(act_kind == 0   ? "tanh"
                  : act_kind == 1 ? "relu"
                                  : "layernorm dinp",
                  act_x, dx, N, act_loss);
    }
    act_kind = 2;
    gradcheck("layernorm dw", ln_w, dw, 6, act_loss);
    gradcheck("layernorm db", ln_b, db, 6, act_loss);
    /* layer norm output has mean b-weighted 0 and unit variance when w = 1, b = 0 */
    float ones[6] = {1, 1, 1, 1, 1, 1}, zeros[6] = {0};
    nn_layernorm_forward(out, mean, rstd, act_x, ones, zeros, 4, 6);
    double m = 0, v = 0;
    for (int c = 0; c < 6; c++)
        m += out[c];
    for (int c = 0; c < 6; c++)
        v += (out[c] - m / 6) * (out[c] - m / 6);
    CHECK_NEAR(m / 6, 0, 1e-5);
    CHECK_NEAR(v / 6, 1, 1e-3);
}

static void test_tanh_accuracy(void)
{
    double worst = 0;
    for (int i = -200000; i <= 200000; i++) {
        float x = i * 1e-4f, y;
        nn_tanh_forward(&y, &x, 1);
        double e = fabs(y - tanh((double)x));
        if (e > worst) worst = e;
    }
    CHECK_MSG(worst < 5e-7, "tanh max abs error %.3g", worst);
    float big[2] = {50, -50}, out[2];
    nn_tanh_forward(out, big, 2);
    CHECK(out[0] == 1.0f || fabsf(out[0] - 1) < 1e-6f);
    CHECK(out[1] == -1.0f || fabsf(out[1] + 1) < 1e-6f);
}

/* Cephes documents its expf polynomial at 1.7e-7 peak relative error; the reduction and the
 * final scaling add at most one rounding each (~6e-8): 3e-7 (2.5 float ulps) over the whole
 * clamped range, every 1e-4. */
static void test_exp_accuracy(void)
{
    double worst = 0, at = 0;
    for (long i = -870000; i <= 880000; i++) {
        float x = i * 1e-4f;
        double ref = exp((double)x), e = fabs(nn_expf(x) - ref) / ref;
        if (e > worst) worst = e, at = x;
    }
    CHECK_MSG(worst < 3e-7, "exp max relative error %.3g at %g", worst, at);
    CHECK(nn_expf(0) == 1.0f);
    CHECK(nn_expf(-1000) > 0 && nn_expf(-1000) < 2e-38f); /* clamped: finite, tiny */
    CHECK(isfinite(nn_expf(1000)));
}

/* Rows of 1 to 70 columns (the vector loops and their tails), half of the columns masked, one
 * masked entry far above the others (it must not move the row), and a fully masked row. */
static void test_softmax_rows(void)
{
    enum { SC = 70 };
    static float x[3 * SC], mask[SC];
    double worst = 0;
    for (int cols = 1; cols <= SC; cols++) {
        fill(x, (size_t)3 * cols, 20);
        for (int j = 0; j < cols; j++)
            mask[j] = j % 2 == 0;
        if (cols > 3) x[cols + 3] = 1e30f; /* row 1, masked column 3 */
        float keep[3 * SC];
        memcpy(keep, x, sizeof(float) * 3 * cols);
        nn_softmax_rows(x, 2, cols, mask);
        nn_softmax_rows(x + 2 * cols, 1, cols, NULL);
        for (int rr = 0; rr < 3; rr++) {
            const float *in = keep + rr * cols, *out = x + rr * cols;
            const float *m = rr < 2 ? mask : NULL;
            double mx = -INFINITY, sum = 0;
            for (int j = 0; j < cols; j++)
                if (!m || m[j]) mx = fmax(mx, in[j]);
            for (int j = 0; j < cols; j++)
                sum += !m || m[j] ? exp(in[j] - mx) : 0;
            for (int j = 0; j < cols; j++) {
                if (m && !m[j]) {
                    CHECK_MSG(out[j] == 0.0f, "masked column %d of %d: %g", j, cols, out[j]);
                    continue;
                }
                /* bound: exp's 3e-7, the float subtraction in[j] - mx (half an ulp of the
                 * difference, 2^-24 |d|), the sum and the division (2^-24 per column, loosely) */
                double ref = exp(in[j] - mx) / sum;
                double bound = 3e-7 + 6e-8 * (fabs(in[j] - mx) + cols + 2);
                if (ref > 1e-30) worst = fmax(worst, fabs(out[j] - ref) / ref / bound);
            }
        }
    }
    CHECK_MSG(worst <= 1, "softmax relative error %.3g times its bound", worst);
    for (int j = 0; j < 8; j++)
        mask[j] = 0, x[j] = (float)j;
    nn_softmax_rows(x, 1, 8, mask);
    for (int j = 0; j < 8; j++)
        CHECK(x[j] == 0.0f);
}

/* --- masked log-softmax and entropy --- */
enum { SB = 3, SK = 5 };
static float sm_z[SB * SK], sm_g[SB * SK];
static const uint8_t sm_mask[SB * SK] = {1, 1, 0, 1, 1, 0, 0, 1, 0, 0, 1, 1, 1, 1, 1};
static int sm_entropy;
static double sm_loss(void)
{
    float lp[SB * SK];
    nn_log_softmax_forward(lp, sm_z, sm_mask, SB, SK);
    double l = 0;
    for (int b = 0; b < SB; b++) {
        if (sm_entropy)
            l += sm_g[b] * nn_entropy(lp + b * SK, sm_mask + b * SK, SK);
        else
            for (int k = 0; k < SK; k++)
                if (sm_mask[b * SK + k]) l += (double)lp[b * SK + k] * sm_g[b * SK + k];
    }
    return l;
}

static void test_masked_softmax_and_entropy(void)
{
    fill(sm_z, SB * SK, 3), fill(sm_g, SB * SK, 1);
    float lp[SB * SK], dz[SB * SK] = {0};
    nn_log_softmax_forward(lp, sm_z, sm_mask, SB, SK);
    for (int b = 0; b < SB; b++) {
        double sum = 0;
        for (int k = 0; k < SK; k++) {
            if (!sm_mask[b * SK + k])
                CHECK(isinf(lp[b * SK + k]) && lp[b * SK + k] < 0);
            else
                sum += exp(lp[b * SK + k]);
        }
        CHECK_NEAR(sum, 1, 1e-6);
    }
    CHECK_NEAR(lp[SK + 2], 0, 1e-7); /* row 1 has one allowed entry: probability 1 */
    sm_entropy = 0;
    float gm[SB * SK];
    for (int i = 0; i < SB * SK; i++)
        gm[i] = sm_mask[i] ? sm_g[i] : 0;
    nn_log_softmax_backward(dz, gm, lp, sm_mask, SB, SK);
    gradcheck("log_softmax", sm_z, dz, SB * SK, sm_loss);
    sm_entropy = 1;
    memset(dz, 0, sizeof dz);
    for (int b = 0; b < SB; b++)
        nn_entropy_backward(dz + b * SK, sm_g[b], lp + b * SK, sm_mask + b * SK, SK);
    gradcheck("entropy", sm_z, dz, SB * SK, sm_loss);
    /* uniform over 3 allowed: entropy ln 3 */
    float z[4] = {0.5f, 0.5f, 9, 0.5f}, l4[4];
    uint8_t m[4] = {1, 1, 0, 1};
    nn_log_softmax_forward(l4, z, m, 1, 4);
    CHECK_NEAR(nn_entropy(l4, m, 4), log(3.0), 1e-6);
    /* sampling: never masked, frequencies follow p */
    int counts[4] = {0};
    float zz[4] = {0, 1, 5, 2};
    nn_log_softmax_forward(l4, zz, m, 1, 4);
    for (int i = 0; i < 40000; i++)
        counts[nn_sample(l4, m, 4, &r)]++;
    CHECK(counts[2] == 0);
    double p1 = exp(1) / (1 + exp(1) + exp(2));
    CHECK_NEAR(counts[1] / 40000.0, p1, 0.01);
    CHECK(nn_argmax(zz, m, 4) == 3);
}

/* --- pooling --- */
enum { PB = 2, PN = 4, PC = 3 };
static float pool_x[PB * PN * PC], pool_gm[PB * PC], pool_gx[PB * PC];
static const uint8_t pool_mask[PB * PN] = {1, 0, 1, 1, 0, 1, 1, 0};
static double pool_loss(void)
{
    float mean[PB * PC], max[PB * PC];
    int am[PB * PC];
    nn_pool_forward(mean, max, am, pool_x, pool_mask, PB, PN, PC);
    double l = 0;
    for (int i = 0; i < PB * PC; i++)
        l += (double)mean[i] * pool_gm[i] + (double)max[i] * pool_gx[i];
    return l;
}

static void test_pool(void)
{
    fill(pool_x, PB * PN * PC, 1), fill(pool_gm, PB * PC, 1), fill(pool_gx, PB * PC, 1);
    float mean[PB * PC], max[PB * PC], dx[PB * PN * PC] = {0};
    int am[PB * PC];
    nn_pool_forward(mean, max, am, pool_x, pool_mask, PB, PN, PC);
    /* batch 0, channel 1: nodes 0, 2, 3 */
    float a = pool_x[0 * PC + 1], b = pool_x[2 * PC + 1], c = pool_x[3 * PC + 1];
    CHECK_NEAR(mean[1], (a + b + c) / 3, 1e-6);
    CHECK_NEAR(max[1], fmaxf(a, fmaxf(b, c)), 0);
    nn_pool_backward(dx, pool_gm, pool_gx, am, pool_mask, PB, PN, PC);
    gradcheck("pool", pool_x, dx, PB * PN * PC, pool_loss);
    for (int ch = 0; ch < PC; ch++)
        CHECK(dx[1 * PC + ch] == 0); /* masked node: no gradient */
}

static void test_adam_by_hand(void)
{
    /* One parameter, two steps, lr 0.1, betas (0.9, 0.999), eps 1e-5:
     * step 1, g = 2: m = 0.2, v = 0.004; m^ = 2, v^ = 4; p = 1 - 0.1 * 2 / (2 + 1e-5)
     * step 2, g = -1: m = 0.18 - 0.1 = 0.08, v = 0.003996 + 0.001 = 0.004996;
     *   m^ = 0.08 / 0.19, v^ = 0.004996 / 0.001999; p -= 0.1 * m^ / (sqrt(v^) + 1e-5) */
    float p = 1, m = 0, v = 0, g = 2;
    nn_adam(&p, &g, &m, &v, 1, 0.1f, 0.9f, 0.999f, 1e-5f, 1);
    double p1 = 1 - 0.1 * 2 / (2 + 1e-5);
    CHECK_NEAR(p, p1, 1e-6);
    g = -1;
    nn_adam(&p, &g, &m, &v, 1, 0.1f, 0.9f, 0.999f, 1e-5f, 2);
    double mh = 0.08 / 0.19, vh = 0.004996 / (1 - 0.999 * 0.999);
    CHECK_NEAR(p, p1 - 0.1 * mh / (sqrt(vh) + 1e-5), 1e-5);
}

static void test_clip(void)
{
    float g[2] = {3, 4};
    CHECK_NEAR(nn_clip_grad_norm(g, 2, 10), 5, 1e-6);
    CHECK(g[0] == 3 && g[1] == 4);
    CHECK_NEAR(nn_clip_grad_norm(g, 2, 0.5f), 5, 1e-6);
    CHECK_NEAR(g[0], 3 * 0.5 / (5 + 1e-6), 1e-6);
    CHECK_NEAR(sqrt(g[0] * g[0] + g[1] * g[1]), 0.5, 1e-5);
}

static void test_orthogonal(void)
{
    int shapes[3][2] = {{8, 5}, {5, 8}, {6, 6}};
    for (int s = 0; s < 3; s++) {
        int rows = shapes[s][0], cols = shapes[s][1];
        float w[64];
        nn_orthogonal(w, rows, cols, 1.4142135f, &r);
        /* the smaller Gram matrix is gain^2 I */
        int small = rows < cols ? rows : cols;
        for (int i = 0; i < small; i++)
            for (int j = 0; j < small; j++) {
                double dot = 0;
                if (rows >= cols)
                    for (int k = 0; k < rows; k++)
                        dot += w[k * cols + i] * w[k * cols + j];
                else
                    for (int k = 0; k < cols; k++)
                        dot += w[i * cols + k] * w[j * cols + k];
                CHECK_NEAR(dot, i == j ? 2.0 : 0.0, 1e-5);
            }
    }
}

int main(void)
{
    rng_seed(&r, 2024);
    RUN(test_linear);
    RUN(test_activations);
    RUN(test_tanh_accuracy);
    RUN(test_exp_accuracy);
    RUN(test_softmax_rows);
    RUN(test_masked_softmax_and_entropy);
    RUN(test_pool);
    RUN(test_adam_by_hand);
    RUN(test_clip);
    RUN(test_orthogonal);
    TEST_MAIN_END();
}

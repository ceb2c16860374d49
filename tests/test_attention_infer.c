/* test_attention_infer.c: the inference kernels against separate computations. nn_linear_infer
 * and att_flash_mha against textbook double-precision loops (any rows, channels and head width,
 * masked keys, no key at all), and att_infer against att_forward (the training path over
 * OpenBLAS) on random clusters with masked nodes, node counts that are not multiples of the
 * kernels' tiles, and the head widths the tiles treat differently (2, 24, 32, 40); in every
 * instruction-set variant the CPU can run (AVX-512, AVX2, baseline). att_forward and
 * att_backward on inference-only activations: the inference path, and no gradients. */
#include "policy/attention.h"
#include "policy/nn.h"

#include "common/rng.h"
#include "spaces/spaces.h"
#include "test.h"

static rng r;

static float uni(float a)
{
    return (float)(rng_uniform(&r) * 2 - 1) * a;
}

static void test_linear(void)
{
    const int shapes[][3] = {{1, 30, 128}, {10, 128, 384}, {16, 128, 2},  {17, 256, 128},
                             {33, 64, 13}, {100, 5, 7},    {250, 128, 64}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int B = shapes[s][0], C = shapes[s][1], OC = shapes[s][2];
        float *in = malloc(sizeof(float) * B * C), *w = malloc(sizeof(float) * OC * C),
              *b = malloc(sizeof(float) * OC), *out = malloc(sizeof(float) * B * OC),
              *scr = malloc(sizeof(float) * nn_linear_infer_floats(B, C, OC));
        for (int i = 0; i < B * C; i++)
            in[i] = uni(2);
        for (int i = 0; i < OC * C; i++)
            w[i] = uni(1);
        for (int i = 0; i < OC; i++)
            b[i] = uni(1);
        for (int pass = 0; pass < 2; pass++) { /* with and without a bias */
            nn_linear_infer(out, in, w, pass ? NULL : b, B, C, OC, scr);
            double worst = 0;
            for (int i = 0; i < B; i++)
                for (int o = 0; o < OC; o++) {
                    double ref = pass ? 0 : b[o], mag = fabs(ref);
                    for (int c = 0; c < C; c++) {
                        ref += (double)in[i * C + c] * w[o * C + c];
                        mag += fabs((double)in[i * C + c] * w[o * C + c]);
                    }
                    double e = fabs(out[i * OC + o] - ref) / (mag + 1e-30);
                    worst = e > worst ? e : worst;
                }
            /* float accumulation: a few ulps of the sum of magnitudes */
            CHECK_MSG(worst < 1e-6, "B %d C %d OC %d: relative error %.3g", B, C, OC, worst);
        }
        free(in), free(w), free(b), free(out), free(scr);
    }
}

/* Textbook multi-head attention in double: out [Nq, D] */
static void mha_ref(double *out, const float *q, int ldq, const float *k, const float *v, int ldkv,
                    const float *kmask, int Nq, int Nk, int D)
{
    int dh = D / ATT_HEADS;
    double *w = malloc(sizeof(double) * Nk);
    for (int h = 0; h < ATT_HEADS; h++)
        for (int i = 0; i < Nq; i++) {
            double mx = -INFINITY, sum = 0;
            for (int j = 0; j < Nk; j++) {
                double s = 0;
                for (int d = 0; d < dh; d++)
                    s += (double)q[i * ldq + h * dh + d] * k[j * ldkv + h * dh + d];
                w[j] = s / sqrt((double)dh);
                if ((!kmask || kmask[j]) && w[j] > mx) mx = w[j];
            }
            for (int j = 0; j < Nk; j++) {
                w[j] = !kmask || kmask[j] ? exp(w[j] - mx) : 0;
                sum += w[j];
            }
            for (int d = 0; d < dh; d++) {
                double o = 0;
                for (int j = 0; j < Nk; j++)
                    o += w[j] * v[j * ldkv + h * dh + d];
                out[i * D + h * dh + d] = sum > 0 ? o / sum : 0;
            }
        }
    free(w);
}

static void test_flash(void)
{
    const int cases[][3] = {{1, 1, 128},   {7, 7, 8},    {13, 40, 96},
                            {33, 33, 128}, {70, 5, 160}, {100, 100, 128}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        int Nq = cases[c][0], Nk = cases[c][1], D = cases[c][2], ld = 3 * D;
        float *q = malloc(sizeof(float) * Nq * ld), *kv = malloc(sizeof(float) * Nk * ld),
              *mask = malloc(sizeof(float) * Nk), *out = malloc(sizeof(float) * Nq * D),
              *scr = malloc(sizeof(float) * att_flash_floats(Nk, D));
        double *ref = malloc(sizeof(double) * Nq * D);
        for (int i = 0; i < Nq * ld; i++)
            q[i] = uni(3);
        for (int i = 0; i < Nk * ld; i++)
            kv[i] = uni(3);
        for (int m = 0; m < 3; m++) { /* all keys, a random third masked, none left */
            for (int j = 0; j < Nk; j++)
                mask[j] = m == 0 ? 1 : m == 1 ? rng_uniform(&r) > 0.33 : 0;
            const float *km = m ? mask : NULL;
            att_flash_mha(out, q, ld, kv, kv + D, ld, km, Nq, Nk, D, scr);
            mha_ref(ref, q, ld, kv, kv + D, ld, km, Nq, Nk, D);
            double worst = 0;
            for (int i = 0; i < Nq * D; i++) {
                double e = fabs(out[i] - ref[i]);
                worst = e > worst ? e : worst;
            }
            /* values are within [-3, 3]: a weighted mean of them in float */
            CHECK_MSG(worst < 1e-5, "Nq %d Nk %d D %d mask %d: max error %.3g", Nq, Nk, D, m,
                      worst);
        }
        free(q), free(kv), free(mask), free(out), free(scr), free(ref);
    }
}

static void test_infer_equals_forward(void)
{
    enum { T = 3, F = KISIM_F, NMAX = 75 };
    static float nodes[NMAX * T * F], avail[F], pod[KISIM_P];
    static uint8_t mask[NMAX];
    const int widths[][3] = {{8, 12, 6}, {96, 64, 16}, {128, 256, 64}, {160, 64, 32}};
    const int sizes[] = {1, 9, 17, 75};
    for (size_t wi = 0; wi < sizeof widths / sizeof widths[0]; wi++) {
        att_model m;
        att_acts a, b;
        CHECK(att_model_init(&m, widths[wi][0], widths[wi][1], widths[wi][2], 11 + wi) == 0);
        /* larger weights: sharper attention, so that the softmax matters */
        for (size_t i = 0; i < m.p.total; i++)
            m.p.params[i] *= 2;
        CHECK(att_acts_alloc(&a, &m, NMAX) == 0);
        CHECK(att_acts_alloc_infer(&b, &m, NMAX) == 0);
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            int n = sizes[s];
            for (int i = 0; i < n * T * F; i++)
                nodes[i] = uni(2);
            for (int f = 0; f < F; f++)
                avail[f] = f % 7 != 0;
            for (int p = 0; p < KISIM_P; p++)
                pod[p] = (float)rng_uniform(&r);
            for (int i = 0; i < n; i++)
                mask[i] = n == 1 || rng_uniform(&r) > 0.25;
            att_forward(&m, &a, nodes, n, T, avail, mask, pod);
            att_infer(&m, &b, nodes, n, T, avail, mask, pod);
            double ws = 0, wc = 0, spread = 0;
            for (int i = 0; i < n; i++) {
                ws = fmax(ws, fabs(a.score[i] - b.score[i]));
                wc = fmax(wc, fabs(a.conf[i] - b.conf[i]));
                spread = fmax(spread, fabs(a.score[i] - a.score[0]));
            }
            CHECK_MSG(ws < 1e-3 && wc < 1e-5, "d_model %d, %d nodes: score %.3g conf %.3g apart",
                      widths[wi][0], n, ws, wc);
            /* att_forward on inference-only acts takes the same path; backward has nothing */
            float inf0 = b.score[0];
            att_forward(&m, &b, nodes, n, T, avail, mask, pod);
            CHECK(b.score[0] == inf0);
            memset(m.p.grads, 0, m.p.total * sizeof(float));
            float dl[2 * NMAX];
            for (int i = 0; i < 2 * n; i++)
                dl[i] = 1;
            att_backward(&m, &b, dl);
            int zero = 1;
            for (size_t i = 0; i < m.p.total; i++)
                zero &= m.p.grads[i] == 0;
            CHECK_MSG(zero, "att_backward on inference-only acts changed gradients");
            /* not vacuous: the scores differ between nodes by far more than the tolerance */
            if (n > 8)
                CHECK_MSG(spread > 0.1, "d_model %d, %d nodes: spread %.3g", widths[wi][0], n,
                          spread);
        }
        att_acts_free(&a);
        att_acts_free(&b);
        att_model_free(&m);
    }
}

int main(void)
{
    rng_seed(&r, 5);
    /* every instruction-set variant this CPU can run: each has its own tile shapes */
    int best = nn_tile_isa();
    for (int isa = best; isa >= 1; isa = isa == 4 ? 3 : isa - 2) {
        nn_tile_set_isa(isa);
        fprintf(stderr, "instruction set level %d\n", nn_tile_isa());
        RUN(test_linear);
        RUN(test_flash);
        RUN(test_infer_equals_forward);
    }
    nn_tile_set_isa(0);
    CHECK(nn_tile_isa() == best);
    TEST_MAIN_END();
}

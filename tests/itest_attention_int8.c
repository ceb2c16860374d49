/* itest_attention_int8.c: the attention scorer's int8 path against fp32 on realistic inputs (a
 * d_model 128 scorer trained on quickstart events, scored on held-out events), with the error
 * predicted from the quantisation itself, not from the int8 code's output:
 *
 * Each linear layer y = x W^T + b computes, quantised, y + dy with
 *   dy_bo = sum_c x_bc dW_oc + dx_bc W_oc + dx_bc dW_oc,  |dW_oc| <= sw_o / 2, |dx_bc| <= sx_b / 2
 * (sw_o = max_c |W_oc| / 127 per output channel, sx_b = max_c |x_bc| / 127 per input row: round
 * to nearest is off by at most half a step). To first order a node's score logit moves by
 * sum over layers of G . dy, G = d logit / d y from the fp32 backward. So
 *   |d logit| <= sum |G_bo| (sw_o/2 sum_c |x_bc| + sx_b/2 sum_c |W_oc| + C sx_b sw_o / 4)  (worst
 * case) and with independent rounding errors, uniform over their step, its variance is sum G_bo^2
 * (sw_o^2/12 sum_c x_bc^2 + sx_b^2/12 sum_c W_oc^2). The sums run over the layers the int8 model
 * quantises (attention.h: the blocks and the cross-attention; the input projection and the head
 * stay fp32). Checked: every node's logit change within 1.5 x its worst-case bound (the 0.5 covers
 * the second-order terms), and the root-mean-square change over all nodes within a factor 4 of the
 * predicted standard deviation: too small means the weights are not really quantised, too large
 * a wrong scale or rounding. The score (100 sigmoid) moves at most 25 x the logit. */
#include "policy/attention.h"
#include "scorer_fixture.h"
#include "spaces/spaces.h"
#include "test.h"

#define G(a, p) ((p) + (a)->size)

typedef struct {
    char name[64];
    const float *x, *g; /* the layer's input [B, C] and d logit / d output [B, OC] */
    int B, C, OC;
} layer;

static int layers_of(layer *L, const att_model *m, const att_acts *a, const float *dlogits)
{
    int n = 0, N = a->n, D = m->D;
#define ADD(nm, xx, gg, b, c, oc)                                                                  \
    (snprintf(L[n].name, sizeof L[n].name, "%s", nm), L[n].x = (xx), L[n].g = (gg), L[n].B = (b),  \
     L[n].C = (c), L[n].OC = (oc), n++)
    ADD("proj.weight", a->x, G(a, a->h0), N, ATT_X, D);
    char nm[64];
    for (int l = 0; l < ATT_LAYERS; l++) {
        const float *hin = l ? a->h2[l - 1] : a->h0;
        snprintf(nm, sizeof nm, "blocks.%d.attn.qkv.weight", l);
        ADD(nm, hin, G(a, a->qkv[l]), N, D, 3 * D);
        snprintf(nm, sizeof nm, "blocks.%d.attn.out.weight", l);
        ADD(nm, a->o[l], G(a, a->r1[l]), N, D, D); /* r1 = h + out: d out = d r1 */
        snprintf(nm, sizeof nm, "blocks.%d.ff1.weight", l);
        ADD(nm, a->h1[l], G(a, a->f[l]), N, D, m->FF); /* after the relu's backward */
        snprintf(nm, sizeof nm, "blocks.%d.ff2.weight", l);
        ADD(nm, a->f[l], G(a, a->r2[l]), N, m->FF, D);
    }
    ADD("cross.q.weight", a->h2[ATT_LAYERS - 1], G(a, a->cq), N, D, D);
    ADD("cross.kv.weight", a->c, G(a, a->ckv), KISIM_P, D, 2 * D);
    ADD("cross.out.weight", a->co, G(a, a->cr), N, D, D);
    ADD("head.0.weight", a->ch, G(a, a->z), N, D, m->HH);
    ADD("head.1.weight", a->z, dlogits, N, m->HH, 2);
#undef ADD
    return n;
}

static float absmax(const float *v, int n)
{
    float m = 0;
    for (int i = 0; i < n; i++)
        m = fabsf(v[i]) > m ? fabsf(v[i]) : m;
    return m;
}

static void test_int8_error_within_prediction(void)
{
    fit_options o = {.model = "attention",
                     .epochs = 2,
                     .patience = 2,
                     .d_model = 128,
                     .ff = 256,
                     .head_hidden = 64,
                     .lr = 1e-3f,
                     .feature_drop = 0.1f,
                     .label = "contention",
                     .seed = 3};
    scorer_fixture fx;
    CHECK(scorer_fixture_train(&fx, 500, &o) == 0);
    const ds_set d = fx.d;
    const char *model = fx.model;
    att_model m, mq;
    att_int8 q;
    CHECK(att_model_load(&m, model) == 0);
    CHECK(att_model_load(&mq, model) == 0);
    CHECK(att_int8_from_model(&q, &mq) == 0);
    att_acts a, b;
    int N = d.ev[0].n;
    CHECK(att_acts_alloc(&a, &m, N) == 0);
    CHECK(att_acts_alloc(&b, &q.m, N) == 0);
    float *dl = calloc((size_t)2 * N, sizeof *dl);
    layer L[32];
    double sq = 0, var = 0, worst_ratio = 0, max_ds = 0, sum_ds = 0;
    int nodes = 0, events = 0;
    for (int k = 0; k < d.n && events < 30; k++) {
        const ds_event *e = &d.ev[k];
        if (e->episode % 5 != 4) continue; /* validation events */
        events++;
        att_forward(&m, &a, e->nodes, e->n, e->T, e->avail, e->mask, e->pod);
        att_int8_forward(&q, &b, e->nodes, e->n, e->T, e->avail, e->mask, e->pod);
        for (int i = 0; i < e->n; i++) {
            if (!e->mask[i]) continue;
            memset(dl, 0, (size_t)2 * N * sizeof *dl);
            dl[2 * i] = 1; /* d logit_i */
            att_backward(&m, &a, dl);
            int nl = layers_of(L, &m, &a, dl);
            double bound = 0, v = 0;
            for (int t = 0; t < nl; t++) {
                int ti = nn_params_find(&m.p, L[t].name);
                CHECK_MSG(ti >= 0, "%s", L[t].name);
                if (ti < 0 || q.quant_row[ti] < 0) continue; /* layers left in fp32 add nothing */
                const float *W = nn_param(&m.p, ti);
                for (int o2 = 0; o2 < L[t].OC; o2++) {
                    const float *w = W + (size_t)o2 * L[t].C;
                    double sw = absmax(w, L[t].C) / 127.0, w1 = 0, w2 = 0;
                    for (int c = 0; c < L[t].C; c++)
                        w1 += fabsf(w[c]), w2 += (double)w[c] * w[c];
                    for (int r = 0; r < L[t].B; r++) {
                        double g = L[t].g[(size_t)r * L[t].OC + o2];
                        if (g == 0) continue;
                        const float *x = L[t].x + (size_t)r * L[t].C;
                        double sx = absmax(x, L[t].C) / 127.0, x1 = 0, x2 = 0;
                        for (int c = 0; c < L[t].C; c++)
                            x1 += fabsf(x[c]), x2 += (double)x[c] * x[c];
                        bound += fabs(g) * (sw / 2 * x1 + sx / 2 * w1 + L[t].C * sx * sw / 4);
                        v += g * g * (sw * sw / 12 * x2 + sx * sx / 12 * w2);
                    }
                }
            }
            double dlog = (double)b.logits[2 * i] - a.logits[2 * i];
            double ds_ = fabs((double)b.score[i] - a.score[i]);
            if (fabs(dlog) / bound > worst_ratio) worst_ratio = fabs(dlog) / bound;
            sq += dlog * dlog, var += v;
            max_ds = ds_ > max_ds ? ds_ : max_ds;
            sum_ds += ds_;
            nodes++;
        }
    }
    double rms = sqrt(sq / nodes), pred = sqrt(var / nodes);
    fprintf(stderr,
            "  %d events, %d nodes: logit change rms %.3g, predicted %.3g (ratio %.2f); "
            "worst |change| / bound %.3f; score |diff| max %.4f mean %.5f\n",
            events, nodes, rms, pred, rms / pred, worst_ratio, max_ds, sum_ds / nodes);
    CHECK(events >= 20 && nodes >= 100);
    CHECK_MSG(worst_ratio <= 1.5, "a logit moved %.2f x its first-order worst case", worst_ratio);
    CHECK_MSG(rms > pred / 4 && rms < pred * 4, "rms %.3g, predicted %.3g", rms, pred);
    free(dl);
    att_acts_free(&a);
    att_acts_free(&b);
    att_model_free(&m);
    att_int8_free(&q);
    scorer_fixture_free(&fx);
}

int main(void)
{
    RUN(test_int8_error_within_prediction);
    TEST_MAIN_END();
}

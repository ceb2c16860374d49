/* gradcheck.h: the finite-difference gradient check of the model tests (test_attention,
 * test_mlp_scorer, test_ppo_model): a model's backward, already in p->grads, against central
 * differences of the test's loss on a sample of every tensor's entries. Header-only like
 * scorer_fixture.h, so that its CHECKs count in the including test's totals (test.h's counters
 * are static, one pair per file); static inline, as the PPO test uses no scorer helper. */
#ifndef KISIM_GRADCHECK_H
#define KISIM_GRADCHECK_H

#include "common/rng.h"
#include "policy/params.h"
#include "test.h"

/* The loss at the model's current parameters. */
typedef double (*gradcheck_loss)(void *ctx);

typedef enum {
    GRADCHECK_TENSOR, /* |num - ana| / (|num, ana| + 1e-5) of the tensor's samples as vectors */
    GRADCHECK_ENTRY,  /* the worst |num - ana| / (|num| + |ana| + floor) of single samples */
} gradcheck_measure;

typedef struct {
    int samples; /* entries drawn per tensor, rng_below(r, size) each, tensors in table order */
    float h;     /* the step */
    /* At a kink (a relu, a max pooling tie) a step across it bends the loss and a sample says
     * nothing about the gradient: it is skipped when the one-sided slopes differ by more than
     * kink_rel (|fwd| + |bwd|) + kink_abs, */
    double kink_rel, kink_abs;
    /* and with richardson set, also when the central differences over h and 2h differ by more
     * than h2_rel (|d1| + |d2|) + h2_abs; the numeric gradient is then Richardson's
     * extrapolation (4 d1 - d2) / 3 (error O(h^4)) instead of d1. */
    int richardson;
    double h2_rel, h2_abs;
    gradcheck_measure measure;
    double floor;   /* GRADCHECK_ENTRY: keeps the float loss's rounding noise near 0 relative */
    double tol;     /* per tensor, the measure must stay below it */
    int kink_share; /* fewer than one skipped sample per kink_share checked ones */
} gradcheck_opts;

/* The loss with params[i] set to v. */
static inline double gradcheck_at(float *params, size_t i, float v, gradcheck_loss loss, void *ctx)
{
    params[i] = v;
    return loss(ctx);
}

/* The numeric derivative of the loss in params[i] into *num; 0, or 1 at a kink. */
static inline int gradcheck_numeric(float *params, size_t i, gradcheck_loss loss, void *ctx,
                                    const gradcheck_opts *o, double *num)
{
    float keep = params[i], h = o->h;
    double center = loss(ctx);
    double up = gradcheck_at(params, i, keep + h, loss, ctx);
    double down = gradcheck_at(params, i, keep - h, loss, ctx);
    double up2 = o->richardson ? gradcheck_at(params, i, keep + 2 * h, loss, ctx) : 0;
    double down2 = o->richardson ? gradcheck_at(params, i, keep - 2 * h, loss, ctx) : 0;
    params[i] = keep;
    double fwd = (up - center) / h, bwd = (center - down) / h;
    double d1 = (up - down) / (2 * h), d2 = (up2 - down2) / (4 * h);
    if (fabs(fwd - bwd) > o->kink_rel * (fabs(fwd) + fabs(bwd)) + o->kink_abs) return 1;
    if (o->richardson && fabs(d1 - d2) > o->h2_rel * (fabs(d1) + fabs(d2)) + o->h2_abs) return 1;
    *num = o->richardson ? (4 * d1 - d2) / 3 : d1;
    return 0;
}

/* Checks p->grads against the numeric gradient of loss: one CHECK per tensor (its measure below
 * o->tol) and one on the share of kinks; `what` names the model in the messages. */
static inline void gradcheck(const nn_params *p, rng *r, gradcheck_loss loss, void *ctx,
                             const gradcheck_opts *o, const char *what)
{
    int checked = 0, kinks = 0;
    for (int t = 0; t < p->n; t++) {
        const nn_tensor *tt = &p->t[t];
        double diff2 = 0, norm2 = 0, worst = 0;
        for (int k = 0; k < o->samples; k++) {
            size_t i = tt->offset + rng_below(r, (uint32_t)tt->size);
            double num = 0, ana = p->grads[i];
            if (gradcheck_numeric(p->params, i, loss, ctx, o, &num)) {
                kinks++;
                continue;
            }
            checked++;
            diff2 += (num - ana) * (num - ana);
            norm2 += num * num + ana * ana;
            if (o->measure != GRADCHECK_ENTRY) continue;
            double err = fabs(num - ana) / (fabs(num) + fabs(ana) + o->floor);
            if (err > o->tol)
                fprintf(stderr, "  %s[%zu]: numeric %.6g analytic %.6g\n", tt->name, i - tt->offset,
                        num, ana);
            if (err > worst) worst = err;
        }
        /* As a vector, the sampled gradient is not dominated by the rounding noise of its
         * entries near zero (~1e-5 after dividing by h) the way single entries are. */
        double rel = o->measure == GRADCHECK_TENSOR ? sqrt(diff2) / (sqrt(norm2) + 1e-5) : worst;
        CHECK_MSG(rel < o->tol, "%s %s: relative error %.3g of the sampled gradient", what,
                  tt->name, rel);
    }
    CHECK_MSG(kinks * o->kink_share < checked, "%s: %d samples at kinks, %d checked", what, kinks,
              checked);
}

/* The scorers' test loss sum_n c_n score_n + d_n conf_n (score = 100 sigmoid(logit 0), conf =
 * sigmoid(logit 1)), and its gradient with respect to the logits [n, 2] into dl. */
static inline double gradcheck_scorer_loss(const float *score, const float *conf, const float *c,
                                           const float *d, int n)
{
    double l = 0;
    for (int i = 0; i < n; i++)
        l += c[i] * score[i] + d[i] * conf[i];
    return l;
}

static inline void gradcheck_scorer_dlogits(float *dl, const float *score, const float *conf,
                                            const float *c, const float *d, int n)
{
    for (int i = 0; i < n; i++) {
        float s = score[i] / 100;
        dl[2 * i] = c[i] * 100 * s * (1 - s);
        dl[2 * i + 1] = d[i] * conf[i] * (1 - conf[i]);
    }
}

#endif

/* fit.c: training the attention scorer on shadow-mode events (fit.h), and the learned scorer as
 * an eval actor. Loss per candidate node: weighted binary cross-entropy of sigmoid(score logit)
 * against the label (the seed's weights: a good outcome 1.0 with weight 1, a bad one 0.0 with
 * weight 3), plus the confidence head's cross-entropy against 1 - |label - prediction| (the
 * prediction held fixed), weight 0.1. Validation events are whole episodes (episode % 5 == 4). */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/fit.h"
#include "common/err.h"
#include "common/rng.h"
#include "env/baselines/baseline.h"
#include "env/env.h"
#include "policy/attention.h"
#include "policy/mlp_scorer.h"
#include "policy/nn.h"
#include "policy/xgb_scorer.h"
#include "spaces/spaces.h"

/* One learned scorer behind one forward/backward, whatever its kind. */
typedef struct {
    int is_mlp, is_xgb;
    xgb_scorer xgb;
    att_model att;
    att_acts aa;
    mlp_scorer mlp;
    mlp_acts ma;
    nn_params *p;
    float *in_mean, *in_inv, *score, *conf; /* score/conf: the last forward's outputs */
} learned;

static int learned_init(learned *l, const fit_options *o, int maxn)
{
    memset(l, 0, sizeof *l);
    l->is_mlp = !strcmp(o->model, "mlp");
    int err;
    if (l->is_mlp) {
        err = mlp_scorer_init(&l->mlp, 64, 32, o->seed);
        if (!err) err = mlp_acts_alloc(&l->ma, &l->mlp, maxn);
        l->p = &l->mlp.p, l->in_mean = l->mlp.in_mean, l->in_inv = l->mlp.in_inv;
        l->score = l->ma.score, l->conf = l->ma.conf;
    } else {
        err = att_model_init(&l->att, o->d_model, o->ff, o->head_hidden, o->seed);
        if (!err) err = att_acts_alloc(&l->aa, &l->att, maxn);
        l->p = &l->att.p, l->in_mean = l->att.in_mean, l->in_inv = l->att.in_inv;
        l->score = l->aa.score, l->conf = l->aa.conf;
    }
    return err;
}

static void learned_release(learned *l)
{
    if (l->is_xgb) {
        xgb_scorer_free(&l->xgb);
    } else if (l->is_mlp) {
        mlp_acts_free(&l->ma);
        mlp_scorer_free(&l->mlp);
    } else {
        att_acts_free(&l->aa);
        att_model_free(&l->att);
    }
}

static void l_forward(learned *l, const ds_event *e, const float *avail)
{
    if (l->is_xgb) {
        if (xgb_scorer_forward(&l->xgb, e->nodes, e->n, e->T, avail, e->pod) != 0)
            for (int i = 0; i < e->n; i++)
                l->xgb.score[i] = 50, l->xgb.conf[i] = 0; /* neutral */
    } else if (l->is_mlp)
        mlp_scorer_forward(&l->mlp, &l->ma, e->nodes, e->n, e->T, avail, e->mask, e->pod);
    else
        att_forward(&l->att, &l->aa, e->nodes, e->n, e->T, avail, e->mask, e->pod);
}

static void l_backward(learned *l, const float *dl)
{
    if (l->is_mlp)
        mlp_scorer_backward(&l->mlp, &l->ma, dl);
    else
        att_backward(&l->att, &l->aa, dl);
}

static int l_save(const learned *l, const char *path, const char *extra)
{
    if (l->is_xgb) return xgb_scorer_save(&l->xgb, path, extra);
    return l->is_mlp ? mlp_scorer_save(&l->mlp, path, extra) : att_model_save(&l->att, path, extra);
}

static const float *label_of(const ds_event *e, const char *label)
{
    if (!strcmp(label, "latency")) return e->y_latency;
    if (!strcmp(label, "bootstrap")) return e->y_bootstrap;
    return e->y_contention;
}

static int is_val(const ds_event *e)
{
    return e->episode % 5 == 4;
}

/* Per-feature mean and 1/std of the temporal means over the training events' candidates. */
static void input_stats(float *in_mean, float *in_inv, const ds_set *d)
{
    double s[KISIM_F] = {0}, s2[KISIM_F] = {0}, cnt = 0;
    for (int k = 0; k < d->n; k++) {
        const ds_event *e = &d->ev[k];
        if (is_val(e)) continue;
        for (int i = 0; i < e->n; i++) {
            if (!e->mask[i]) continue;
            for (int f = 0; f < KISIM_F; f++) {
                double v = 0;
                for (int t = 0; t < e->T; t++)
                    v += e->nodes[((size_t)i * e->T + t) * KISIM_F + f];
                v /= e->T;
                s[f] += v, s2[f] += v * v;
            }
            cnt++;
        }
    }
    for (int f = 0; f < KISIM_F; f++) {
        double mean = cnt ? s[f] / cnt : 0, var = cnt ? s2[f] / cnt - mean * mean : 1;
        in_mean[f] = (float)mean;
        in_inv[f] = (float)(1.0 / sqrt((var > 0 ? var : 0) + 1e-6));
    }
}

typedef struct {
    float s;
    float y;
} scored;

static int cmp_scored(const void *a, const void *b)
{
    float x = ((const scored *)a)->s, y = ((const scored *)b)->s;
    return (x > y) - (x < y);
}

/* Area under the ROC curve (Mann-Whitney, ties as halves) of scores against y > 0.5. */
static double auc(scored *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_scored);
    double pos = 0, neg = 0, rank_sum = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && v[j].s == v[i].s)
            j++;
        double r = (i + 1 + j) / 2.0; /* average 1-based rank of the tie group */
        for (size_t k = i; k < j; k++)
            if (v[k].y > 0.5f)
                rank_sum += r, pos++;
            else
                neg++;
        i = j;
    }
    if (!pos || !neg) return NAN;
    return (rank_sum - pos * (pos + 1) / 2) / (pos * neg);
}

/* Forward on one event and the loss's logit gradients into dl [n, 2]; returns the weighted
 * score loss summed over candidates, its weight sum in *wsum. */
static double event_loss(learned *a, const ds_event *e, const float *avail, const char *label,
                         float *dl, double *wsum)
{
    l_forward(a, e, avail);
    const float *y = label_of(e, label);
    double l = 0, ws = 0;
    for (int i = 0; i < e->n; i++) {
        dl[2 * i] = dl[2 * i + 1] = 0;
        if (!e->mask[i]) continue;
        float w = y[i] >= 0.5f ? 1.0f : 3.0f, p = a->score[i] / 100, c = a->conf[i];
        float pc = fminf(fmaxf(p, 1e-7f), 1 - 1e-7f);
        l += -w * (y[i] * logf(pc) + (1 - y[i]) * logf(1 - pc));
        ws += w;
        dl[2 * i] = w * (p - y[i]);
        float target = 1 - fabsf(y[i] - p);
        dl[2 * i + 1] = 0.1f * (c - target);
    }
    *wsum = ws;
    return l;
}

static void evaluate(learned *a, const ds_set *d, const char *label, float *dl, scored *buf,
                     double *loss, double *area, double *top1)
{
    double l = 0, ws = 0;
    size_t nb = 0;
    int agree = 0, events = 0;
    for (int k = 0; k < d->n; k++) {
        const ds_event *e = &d->ev[k];
        if (!is_val(e)) continue;
        double w;
        l += event_loss(a, e, e->avail, label, dl, &w);
        ws += w;
        const float *y = label_of(e, label);
        int best = -1;
        for (int i = 0; i < e->n; i++) {
            if (!e->mask[i]) continue;
            buf[nb].s = a->score[i], buf[nb].y = y[i], nb++;
            if (best < 0 || a->score[i] > a->score[best]) best = i;
        }
        agree += best == e->oracle;
        events++;
    }
    *loss = ws ? l / ws : NAN;
    *area = auc(buf, nb);
    *top1 = events ? (double)agree / events : NAN;
}

/* The random feature masking of training: each measured feature of an event is dropped (made
 * unavailable) with probability drop, for all of the event's nodes at once. */
static void drop_features(float *avail, const float *measured, float drop, rng *r)
{
    for (int f = 0; f < KISIM_F; f++)
        avail[f] = measured[f] > 0.5f && f < KISIM_F_MEASURED && rng_uniform(r) < drop
                       ? 0.0f
                       : measured[f];
}

/* The candidates' rows of the training or validation events: inputs, labels, weights. Training
 * rows get the random feature masking (dropped features are missing values to the trees). */
static int xgb_rows(const xgb_scorer *m, const ds_set *d, const fit_options *o, int val, float **X,
                    float **y, float **w, int *rows)
{
    size_t n = 0;
    for (int k = 0; k < d->n; k++)
        if (is_val(&d->ev[k]) == val)
            for (int i = 0; i < d->ev[k].n; i++)
                n += d->ev[k].mask[i];
    *X = malloc((n + 1) * XGB_IN * sizeof(float));
    *y = malloc((n + 1) * sizeof(float));
    *w = malloc((n + 1) * sizeof(float));
    if (!*X || !*y || !*w) return kisim_seterr(KISIM_ENOMEM, "fit-scorer: out of memory");
    rng r;
    rng_seed(&r, o->seed);
    size_t row = 0;
    for (int k = 0; k < d->n; k++) {
        const ds_event *e = &d->ev[k];
        if (is_val(e) != val) continue;
        const float *lab = label_of(e, o->label);
        float avail[KISIM_F];
        if (val)
            memcpy(avail, e->avail, sizeof avail);
        else
            drop_features(avail, e->avail, o->feature_drop, &r);
        for (int i = 0; i < e->n; i++) {
            if (!e->mask[i]) continue;
            xgb_scorer_inputs(m, *X + row * XGB_IN, e->nodes + (size_t)i * e->T * KISIM_F, e->T,
                              avail, e->pod);
            (*y)[row] = lab[i];
            (*w)[row] = lab[i] >= 0.5f ? 1.0f : 3.0f;
            row++;
        }
    }
    *rows = (int)row;
    return 0;
}

/* XGBoost: boosting rounds instead of epochs (--epochs), early stopping on the validation
 * log-loss after --patience rounds without improvement; then the same validation metrics as the
 * networks. */
static int fit_xgboost(const ds_set *d, const fit_options *o, const char *out, int maxn)
{
    learned l;
    memset(&l, 0, sizeof l);
    l.is_xgb = 1;
    int err = xgb_scorer_init(&l.xgb, maxn);
    if (err) return err;
    l.score = l.xgb.score, l.conf = l.xgb.conf;
    input_stats(l.xgb.in_mean, l.xgb.in_inv, d);
    float *X = NULL, *y = NULL, *w = NULL, *Xv = NULL, *yv = NULL, *wv = NULL;
    int rows = 0, rows_v = 0, best_round = 0;
    double best_loss = NAN;
    err = xgb_rows(&l.xgb, d, o, 0, &X, &y, &w, &rows);
    if (!err) err = xgb_rows(&l.xgb, d, o, 1, &Xv, &yv, &wv, &rows_v);
    if (!err)
        err = xgb_scorer_train(&l.xgb, X, y, w, rows, Xv, yv, wv, rows_v, o->epochs, o->patience,
                               o->seed, o->progress, &best_round, &best_loss);
    float *dl = malloc((size_t)maxn * 2 * sizeof *dl);
    scored *buf = malloc(((size_t)rows_v + (size_t)d->n * maxn + 1) * sizeof *buf);
    if (!err && (!dl || !buf)) err = kisim_seterr(KISIM_ENOMEM, "fit-scorer: out of memory");
    double vl = NAN, va = NAN, vt = NAN;
    if (!err) evaluate(&l, d, o->label, dl, buf, &vl, &va, &vt);
    if (!err && o->progress)
        fprintf(stderr,
                "fit-scorer: xgboost best round %d of %d  val loss %.4f  val AUC %.4f  "
                "top-1 vs oracle %.3f\n",
                best_round, o->epochs, vl, va, vt);
    char extra[256];
    snprintf(extra, sizeof extra,
             "{\"label\": \"%s\", \"rounds\": %d, \"val_loss\": %.6g, "
             "\"events\": %d}",
             o->label, best_round, vl, d->n);
    if (!err) err = l_save(&l, out, extra);
    free(X), free(y), free(w), free(Xv), free(yv), free(wv), free(dl), free(buf);
    learned_release(&l);
    return err;
}

int fit_scorer(const ds_set *d, const fit_options *o, const char *out)
{
    int maxn = 1, nval = 0, ntrain = 0;
    size_t rows = 0;
    for (int k = 0; k < d->n; k++) {
        if (d->ev[k].n > maxn) maxn = d->ev[k].n;
        if (is_val(&d->ev[k]))
            nval++, rows += (size_t)d->ev[k].n;
        else
            ntrain++;
    }
    if (!nval || !ntrain)
        return kisim_seterr(KISIM_EINPUT,
                            "fit-scorer: the dataset needs events from at least 5 "
                            "episodes (validation is every fifth episode); it has %d training "
                            "and %d validation events",
                            ntrain, nval);
    openblas_set_num_threads(1); /* deterministic sums: same data and seed, same model */
    if (!strcmp(o->model, "xgboost")) return fit_xgboost(d, o, out, maxn);
    learned a;
    int err = learned_init(&a, o, maxn);
    nn_params *P = a.p;
    float *dl = malloc((size_t)maxn * 2 * sizeof *dl);
    float *best = malloc(P->total * sizeof *best);
    scored *buf = malloc((rows + 1) * sizeof *buf);
    int *order = malloc((size_t)d->n * sizeof *order);
    if (!err && (!dl || !best || !buf || !order))
        err = kisim_seterr(KISIM_ENOMEM, "fit-scorer: out of memory");
    if (err) goto done;
    input_stats(a.in_mean, a.in_inv, d);
    rng r;
    rng_seed(&r, o->seed);
    double best_loss = INFINITY;
    int best_epoch = 0, step = 0, since = 0;
    const int batch = 16;
    for (int epoch = 1; epoch <= o->epochs; epoch++) {
        int n = 0;
        for (int k = 0; k < d->n; k++)
            if (!is_val(&d->ev[k])) order[n++] = k;
        for (int k = n - 1; k > 0; k--) { /* Fisher-Yates */
            int j = (int)rng_below(&r, (uint32_t)(k + 1)), t = order[k];
            order[k] = order[j], order[j] = t;
        }
        double tl = 0, tw = 0;
        memset(P->grads, 0, P->total * sizeof(float));
        double bw = 0;
        for (int k = 0; k < n; k++) {
            const ds_event *e = &d->ev[order[k]];
            float avail[KISIM_F];
            drop_features(avail, e->avail, o->feature_drop, &r);
            double w;
            tl += event_loss(&a, e, avail, o->label, dl, &w);
            tw += w, bw += w;
            l_backward(&a, dl);
            if ((k + 1) % batch == 0 || k == n - 1) {
                float inv = bw > 0 ? (float)(1.0 / bw) : 0;
                for (size_t i = 0; i < P->total; i++)
                    P->grads[i] *= inv;
                nn_clip_grad_norm(P->grads, P->total, 1.0f);
                nn_adam(P->params, P->grads, P->m, P->v, P->total, o->lr, 0.9f, 0.999f, 1e-8f,
                        ++step);
                memset(P->grads, 0, P->total * sizeof(float));
                bw = 0;
            }
        }
        double vl, va, vt;
        evaluate(&a, d, o->label, dl, buf, &vl, &va, &vt);
        if (o->progress)
            fprintf(stderr,
                    "fit-scorer: epoch %d/%d  train loss %.4f  val loss %.4f  val AUC %.4f"
                    "  top-1 vs oracle %.3f%s\n",
                    epoch, o->epochs, tw ? tl / tw : NAN, vl, va, vt,
                    vl < best_loss ? "  (best)" : "");
        if (vl < best_loss) {
            best_loss = vl, best_epoch = epoch, since = 0;
            memcpy(best, P->params, P->total * sizeof *best);
        } else if (++since >= o->patience) {
            if (o->progress) fprintf(stderr, "fit-scorer: no better for %d epochs: stop\n", since);
            break;
        }
    }
    memcpy(P->params, best, P->total * sizeof *best);
    char extra[256];
    snprintf(extra, sizeof extra,
             "{\"label\": \"%s\", \"best_epoch\": %d, \"val_loss\": %.6g, "
             "\"events\": %d}",
             o->label, best_epoch, best_loss, d->n);
    err = l_save(&a, out, extra);
done:
    free(dl);
    free(best);
    free(buf);
    free(order);
    learned_release(&a);
    return err;
}

/* ---- the learned scorer as an eval actor ---- */

typedef struct {
    learned l;
    env_spaces sp;
} learned_state;

static int learned_act(eval_actor *ac, struct kisim_env *e, const float *obs, const uint8_t *mask,
                       int32_t action[2])
{
    learned_state *s = ac->state;
    int N = s->sp.n_max;
    ds_event ev = {.n = N,
                   .T = s->sp.window,
                   .nodes = (float *)(obs + s->sp.off_nodes),
                   .mask = (uint8_t *)mask};
    memcpy(ev.pod, obs + s->sp.off_pod, sizeof ev.pod);
    l_forward(&s->l, &ev, obs + s->sp.off_availability);
    const float *score = s->l.score;
    int best = -1;
    for (int i = 0; i < N; i++)
        if (mask[i] && (best < 0 || score[i] > score[best])) best = i;
    if (best < 0) return kisim_seterr(KISIM_EINPUT, "%s: no node is open for the pod", ac->name);
    sched_view v;
    env_sched_view(e, obs, mask, &v);
    action[0] = best;
    action[1] = hpa_scale_action(v.service, mask + N);
    return 0;
}

static void learned_reset(eval_actor *a, uint64_t seed)
{
    (void)a, (void)seed; /* deterministic: ties go to the lowest index */
}

static void learned_free(eval_actor *ac)
{
    learned_state *s = ac->state;
    if (!s) return;
    learned_release(&s->l);
    free(s);
    ac->state = NULL;
}

int eval_actor_learned(eval_actor *ac, const char *kind, const char *path, const kisim_config *cfg)
{
    memset(ac, 0, sizeof *ac);
    int mlp = !strcmp(kind, "mlp"), xgb = !strcmp(kind, "xgboost");
    if (!mlp && !xgb && strcmp(kind, "attention") != 0)
        return kisim_seterr(KISIM_EUSAGE, "eval: unknown learned scorer \"%s\"", kind);
    learned_state *s = calloc(1, sizeof *s);
    if (!s) return kisim_seterr(KISIM_ENOMEM, "eval: out of memory");
    learned *l = &s->l;
    l->is_mlp = mlp, l->is_xgb = xgb;
    int N = cfg->env.max_nodes;
    int err = xgb   ? xgb_scorer_load(&l->xgb, path, N)
              : mlp ? mlp_scorer_load(&l->mlp, path)
                    : att_model_load(&l->att, path);
    if (err) {
        free(s);
        return err;
    }
    spaces_init(&s->sp, N, cfg->env.window);
    if (!xgb) err = mlp ? mlp_acts_alloc(&l->ma, &l->mlp, N) : att_acts_alloc(&l->aa, &l->att, N);
    if (err) {
        if (mlp)
            mlp_scorer_free(&l->mlp);
        else
            att_model_free(&l->att);
        free(s);
        return err;
    }
    l->score = xgb ? l->xgb.score : mlp ? l->ma.score : l->aa.score;
    l->conf = xgb ? l->xgb.conf : mlp ? l->ma.conf : l->aa.conf;
    snprintf(ac->name, sizeof ac->name, "%s", kind);
    ac->act = learned_act;
    ac->reset = learned_reset;
    ac->free = learned_free;
    ac->state = s;
    return 0;
}

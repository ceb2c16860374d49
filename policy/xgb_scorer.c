/* xgb_scorer.c: the XGBoost scorer (xgb_scorer.h) over the XGBoost C API. */
#include "policy/xgb_scorer.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xgboost/c_api.h>

#include "common/err.h"
#include "policy/ckpt.h"
#include "spaces/spaces.h"

static int xgb_err(const char *what)
{
    return kisim_seterr(KISIM_EINTERNAL, "xgboost scorer: %s: %s", what, XGBGetLastError());
}

int xgb_scorer_init(xgb_scorer *m, int cap_n)
{
    memset(m, 0, sizeof *m);
    m->cap_n = cap_n;
    m->x = malloc((size_t)cap_n * (XGB_IN + 2) * sizeof(float));
    if (!m->x) return kisim_seterr(KISIM_ENOMEM, "xgboost scorer: out of memory");
    m->score = m->x + (size_t)cap_n * XGB_IN;
    m->conf = m->score + cap_n;
    for (int f = 0; f < KISIM_F; f++)
        m->in_mean[f] = 0, m->in_inv[f] = 1;
    return 0;
}

void xgb_scorer_free(xgb_scorer *m)
{
    if (m->booster) XGBoosterFree(m->booster);
    free(m->x);
    memset(m, 0, sizeof *m);
}

void xgb_scorer_inputs(const xgb_scorer *m, float *x, const float *w, int T, const float *avail,
                       const float *pod)
{
    for (int f = 0; f < KISIM_F; f++) {
        float s = 0;
        for (int t = 0; t < T; t++)
            s += w[(size_t)t * KISIM_F + f];
        x[f] = avail && avail[f] < 0.5f ? NAN : (s / T - m->in_mean[f]) * m->in_inv[f];
    }
    memcpy(x + KISIM_F, pod, KISIM_P * sizeof *x);
}

static int matrix(DMatrixHandle *d, const float *X, const float *y, const float *w, int rows)
{
    if (XGDMatrixCreateFromMat(X, (bst_ulong)rows, XGB_IN, NAN, d)) return xgb_err("matrix");
    if (XGDMatrixSetFloatInfo(*d, "label", y, (bst_ulong)rows) ||
        XGDMatrixSetFloatInfo(*d, "weight", w, (bst_ulong)rows))
        return xgb_err("labels");
    return 0;
}

/* The validation log-loss in XGBoost's evaluation line ("[r]\ttrain-logloss:..\tval-logloss:x"). */
static double val_logloss(const char *line)
{
    const char *p = line ? strstr(line, "val-logloss:") : NULL;
    return p ? strtod(p + strlen("val-logloss:"), NULL) : NAN;
}

int xgb_scorer_train(xgb_scorer *m, const float *X, const float *y, const float *w, int rows,
                     const float *Xv, const float *yv, const float *wv, int rows_v, int rounds,
                     int patience, uint64_t seed, int progress, int *best_round, double *best_loss)
{
    DMatrixHandle d[2] = {NULL, NULL};
    int err = matrix(&d[0], X, y, w, rows);
    if (!err) err = matrix(&d[1], Xv, yv, wv, rows_v);
    if (!err && XGBoosterCreate(d, 2, (BoosterHandle *)&m->booster)) err = xgb_err("create");
    char sd[32];
    snprintf(sd, sizeof sd, "%llu", (unsigned long long)(seed % 2147483647ULL));
    /* one thread: deterministic, and the comparison with the other scorers is per core */
    const char *kv[][2] = {{"objective", "binary:logistic"},
                           {"max_depth", "6"},
                           {"eta", "0.3"},
                           {"nthread", "1"},
                           {"eval_metric", "auc"},
                           {"eval_metric", "logloss"},
                           {"seed", sd},
                           {"verbosity", "0"}};
    for (size_t i = 0; i < sizeof kv / sizeof kv[0] && !err; i++)
        if (XGBoosterSetParam(m->booster, kv[i][0], kv[i][1])) err = xgb_err(kv[i][0]);
    const char *names[2] = {"train", "val"};
    double best = INFINITY;
    int best_r = 0, since = 0;
    for (int r = 0; r < rounds && !err; r++) {
        if (XGBoosterUpdateOneIter(m->booster, r, d[0])) err = xgb_err("update");
        const char *line = NULL;
        if (!err && XGBoosterEvalOneIter(m->booster, r, d, names, 2, &line)) err = xgb_err("eval");
        double vl = err ? NAN : val_logloss(line);
        if (!err && isnan(vl))
            err = kisim_seterr(KISIM_EINTERNAL, "xgboost scorer: no val-logloss in \"%s\"", line);
        if (err) break;
        if (progress)
            fprintf(stderr, "fit-scorer: xgboost round %s%s\n", line, vl < best ? "  (best)" : "");
        if (vl < best) {
            best = vl, best_r = r + 1, since = 0;
        } else if (++since >= patience) {
            if (progress) fprintf(stderr, "fit-scorer: no better for %d rounds: stop\n", since);
            break;
        }
    }
    int done = 0;
    if (!err && XGBoosterBoostedRounds(m->booster, &done)) err = xgb_err("rounds");
    if (!err && best_r < done) { /* keep rounds 1..best_r */
        BoosterHandle sliced = NULL;
        if (XGBoosterSlice(m->booster, 0, best_r, 1, &sliced))
            err = xgb_err("slice");
        else {
            XGBoosterFree(m->booster);
            m->booster = sliced;
            if (XGBoosterSetParam(m->booster, "nthread", "1")) err = xgb_err("nthread");
        }
    }
    if (best_round) *best_round = best_r;
    if (best_loss) *best_loss = best;
    for (int i = 0; i < 2; i++)
        if (d[i]) XGDMatrixFree(d[i]);
    return err;
}

int xgb_scorer_rounds(const xgb_scorer *m)
{
    int n = 0;
    return m->booster && !XGBoosterBoostedRounds(m->booster, &n) ? n : 0;
}

int xgb_scorer_forward(xgb_scorer *m, const float *nodes, int n, int T, const float *avail,
                       const float *pod)
{
    m->n = n;
    for (int i = 0; i < n; i++)
        xgb_scorer_inputs(m, m->x + (size_t)i * XGB_IN, nodes + (size_t)i * T * KISIM_F, T, avail,
                          pod);
    DMatrixHandle d;
    if (XGDMatrixCreateFromMat(m->x, (bst_ulong)n, XGB_IN, NAN, &d)) return xgb_err("matrix");
    bst_ulong len = 0;
    const float *p = NULL;
    int err = XGBoosterPredict(m->booster, d, 0, 0, 0, &len, &p) ? xgb_err("predict") : 0;
    for (int i = 0; i < n && !err && (bst_ulong)i < len; i++) {
        m->score[i] = 100.0f * p[i];
        m->conf[i] = fabsf(2 * p[i] - 1);
    }
    XGDMatrixFree(d);
    return err;
}

int xgb_scorer_save(const xgb_scorer *m, const char *path, const char *extra)
{
    bst_ulong len = 0;
    const char *buf = NULL;
    if (XGBoosterSaveModelToBuffer(m->booster, "{\"format\": \"ubj\"}", &len, &buf))
        return xgb_err("save");
    ckpt c;
    memset(&c, 0, sizeof c);
    int64_t n = (int64_t)len;
    int err = ckpt_add(&c, "xgboost.model", CKPT_U8, 1, &n, buf);
    cJSON *h = cJSON_CreateObject();
    cJSON_AddNumberToObject(h, "inputs", XGB_IN);
    cJSON_AddStringToObject(h, "objective", "binary:logistic");
    cJSON_AddNumberToObject(h, "max_depth", 6);
    return ckpt_write_scorer(&c, err, "xgboost-scorer", h, extra, m->in_mean, m->in_inv, path);
}

int xgb_scorer_load(xgb_scorer *m, const char *path, int cap_n)
{
    ckpt c;
    int err = ckpt_read(&c, path, "xgboost-scorer");
    if (err) return err;
    err = xgb_scorer_init(m, cap_n);
    const ckpt_tensor *t = ckpt_find(&c, "xgboost.model");
    const ckpt_tensor *mu = ckpt_find(&c, "input.mean"), *iv = ckpt_find(&c, "input.inv_std");
    if (!err && (!t || t->dtype != CKPT_U8 || !mu || !iv || mu->dtype != CKPT_F32 ||
                 iv->dtype != CKPT_F32 || mu->nbytes != sizeof m->in_mean ||
                 iv->nbytes != sizeof m->in_inv))
        err = kisim_seterr(KISIM_EINPUT,
                           "checkpoint %s: needs a uint8 \"xgboost.model\" and F32 "
                           "[%d] \"input.mean\" and \"input.inv_std\"",
                           path, KISIM_F);
    if (!err) {
        memcpy(m->in_mean, mu->data, sizeof m->in_mean);
        memcpy(m->in_inv, iv->data, sizeof m->in_inv);
        if (XGBoosterCreate(NULL, 0, (BoosterHandle *)&m->booster) ||
            XGBoosterLoadModelFromBuffer(m->booster, t->data, (bst_ulong)t->nbytes))
            err = kisim_seterr(KISIM_EINPUT, "checkpoint %s: XGBoost cannot read its model: %s",
                               path, XGBGetLastError());
        else
            XGBoosterSetParam(m->booster, "nthread", "1");
    }
    if (err) xgb_scorer_free(m);
    ckpt_free(&c);
    return err;
}

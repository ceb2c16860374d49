/* ckpt_scorer.c: what every supervised scorer's checkpoint shares (ckpt.h): the input
 * standardisation tensors and feature_stats, the caller's training record under the
 * hyperparameters' "train" key, and the write. The scorers add only their own tensors and
 * hyperparameters, so the three kinds cannot drift apart in how they store the rest. */
#include <cjson/cJSON.h>
#include <stdlib.h>

#include "common/err.h"
#include "common/features.h"
#include "policy/ckpt.h"

char *ckpt_hyper_json(cJSON *hyper, const char *extra)
{
    cJSON *x = extra ? cJSON_Parse(extra) : NULL;
    if (x) cJSON_AddItemToObject(hyper, "train", x);
    char *s = cJSON_PrintUnformatted(hyper);
    cJSON_Delete(hyper);
    return s;
}

char *ckpt_feature_scale_json(const float *mean_v, const float *inv_v)
{
    cJSON *s = cJSON_CreateObject(), *mean = cJSON_AddObjectToObject(s, "mean");
    cJSON *inv = cJSON_AddObjectToObject(s, "inv_std");
    for (int f = 0; f < KISIM_F; f++) {
        cJSON_AddNumberToObject(mean, kisim_features[f].name, mean_v[f]);
        cJSON_AddNumberToObject(inv, kisim_features[f].name, inv_v[f]);
    }
    char *t = cJSON_PrintUnformatted(s);
    cJSON_Delete(s);
    return t;
}

int ckpt_write_scorer(ckpt *c, int err, const char *kind, cJSON *hyper, const char *extra,
                      const float *mean, const float *inv_std, const char *path)
{
    int64_t nf = KISIM_F;
    if (!err) err = ckpt_add(c, "input.mean", CKPT_F32, 1, &nf, mean);
    if (!err) err = ckpt_add(c, "input.inv_std", CKPT_F32, 1, &nf, inv_std);
    char *hs = ckpt_hyper_json(hyper, extra), *ss = ckpt_feature_scale_json(mean, inv_std);
    if (!err && (!hs || !ss)) err = kisim_seterr(KISIM_ENOMEM, "checkpoint: out of memory");
    if (!err) err = ckpt_set_meta(c, kind, hs, ss);
    if (!err) err = ckpt_write(c, path);
    free(hs);
    free(ss);
    ckpt_free(c);
    return err;
}

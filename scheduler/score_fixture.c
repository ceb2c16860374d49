/* score_fixture.c: checkpoints for tests and benchmarks (score_fixture.h). */
#include "scheduler/score_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/err.h"
#include "common/features.h"
#include "policy/attention.h"
#include "policy/ckpt.h"
#include "policy/ppo_io.h"

static char *full_range_stats(void)
{
    cJSON *o = cJSON_CreateObject();
    for (int f = 0; f < KISIM_F; f++) {
        cJSON *s = cJSON_AddObjectToObject(o, kisim_features[f].name);
        double lo = kisim_features[f].lo, hi = kisim_features[f].hi;
        cJSON_AddNumberToObject(s, "min", lo);
        cJSON_AddNumberToObject(s, "max", hi);
        cJSON_AddNumberToObject(s, "mean", (lo + hi) / 2);
        cJSON_AddNumberToObject(s, "std", (hi - lo) / 4);
    }
    char *t = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return t;
}

int score_fixture_ppo(const char *path, int hidden, uint64_t seed, const char *feature_stats)
{
    ppo_model m;
    ckpt c;
    memset(&c, 0, sizeof c);
    char *hyper = NULL, *stats = feature_stats ? NULL : full_range_stats();
    int err = ppo_model_init_cluster(&m, hidden, seed);
    if (err) return err;
    err = ppo_model_to_ckpt(&m, &c);
    hyper = ppo_model_hyperparameters(&m, NULL);
    if (!err && (!hyper || (!feature_stats && !stats)))
        err = kisim_seterr(KISIM_ENOMEM, "fixture: out of memory");
    if (!err) err = ckpt_set_meta(&c, "ppo-cluster", hyper, feature_stats ? feature_stats : stats);
    if (!err) err = ckpt_write(&c, path);
    ckpt_free(&c);
    ppo_model_free(&m);
    free(hyper);
    free(stats);
    return err;
}

int score_fixture_attention(const char *path, int D, uint64_t seed)
{
    att_model m;
    int err = att_model_init(&m, D, 2 * D, D / 2 > 0 ? D / 2 : 1, seed);
    if (err) return err;
    for (int f = 0; f < KISIM_F; f++)
        m.in_mean[f] = 0.5f, m.in_inv[f] = 4.0f;
    err = att_model_save(&m, path, NULL);
    att_model_free(&m);
    return err;
}

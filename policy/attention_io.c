/* attention_io.c: the attention scorer in the checkpoint format (kind "attention-scorer"). */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "policy/attention.h"

int att_model_save(const att_model *m, const char *path, const char *extra)
{
    ckpt c;
    memset(&c, 0, sizeof c);
    int err = nn_params_to_ckpt(&m->p, &c);
    int64_t nf = KISIM_F;
    if (!err) err = ckpt_add(&c, "input.mean", CKPT_F32, 1, &nf, m->in_mean);
    if (!err) err = ckpt_add(&c, "input.inv_std", CKPT_F32, 1, &nf, m->in_inv);
    cJSON *h = cJSON_CreateObject();
    cJSON_AddNumberToObject(h, "d_model", m->D);
    cJSON_AddNumberToObject(h, "ff", m->FF);
    cJSON_AddNumberToObject(h, "head_hidden", m->HH);
    cJSON_AddNumberToObject(h, "layers", ATT_LAYERS);
    cJSON_AddNumberToObject(h, "heads", ATT_HEADS);
    cJSON *x = extra ? cJSON_Parse(extra) : NULL;
    if (x) cJSON_AddItemToObject(h, "train", x);
    char *hs = cJSON_PrintUnformatted(h), *ss = ckpt_feature_scale_json(m->in_mean, m->in_inv);
    cJSON_Delete(h);
    if (!err) err = ckpt_set_meta(&c, "attention-scorer", hs, ss);
    if (!err) err = ckpt_write(&c, path);
    free(hs);
    free(ss);
    ckpt_free(&c);
    return err;
}

static int hyper(const cJSON *h, const char *key, int *out, const char *path)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(h, key);
    if (!cJSON_IsNumber(v) || v->valuedouble < 1 || v->valuedouble > 1e5)
        return kisim_seterr(KISIM_EINPUT, "checkpoint %s: hyperparameters lack a valid \"%s\"",
                            path, key);
    *out = (int)v->valuedouble;
    return 0;
}

static int load(const ckpt *c, const char *name, size_t count, float *dst, const char *path)
{
    const ckpt_tensor *t = ckpt_find(c, name);
    if (!t) return kisim_seterr(KISIM_EINPUT, "checkpoint %s: tensor \"%s\" is missing", path, name);
    if (t->dtype != CKPT_F32 || t->nbytes != count * sizeof(float))
        return kisim_seterr(KISIM_EINPUT, "checkpoint %s: tensor \"%s\" has dtype %s and %zu "
                            "bytes, expected F32 and %zu", path, name, ckpt_dtype_name(t->dtype),
                            t->nbytes, count * sizeof(float));
    memcpy(dst, t->data, t->nbytes);
    return 0;
}

int att_model_from_ckpt(att_model *m, const ckpt *c, const char *path)
{
    memset(m, 0, sizeof *m);
    if (strcmp(c->model_kind, "attention-scorer") != 0)
        return kisim_seterr(KISIM_EINPUT, "checkpoint %s: wrong model kind: \"%s\", expected "
                            "\"attention-scorer\"", path, c->model_kind);
    cJSON *h = cJSON_Parse(c->hyperparameters);
    int D = 0, FF = 0, HH = 0, L = 0, H = 0;
    int err = hyper(h, "d_model", &D, path);
    if (!err) err = hyper(h, "ff", &FF, path);
    if (!err) err = hyper(h, "head_hidden", &HH, path);
    if (!err) err = hyper(h, "layers", &L, path);
    if (!err) err = hyper(h, "heads", &H, path);
    cJSON_Delete(h);
    if (!err && (L != ATT_LAYERS || H != ATT_HEADS))
        err = kisim_seterr(KISIM_EINPUT, "checkpoint %s: %d layers and %d heads, this build has "
                           "%d and %d", path, L, H, ATT_LAYERS, ATT_HEADS);
    if (err) return err;
    err = att_model_init(m, D, FF, HH, 0);
    for (int i = 0; i < m->p.n && !err; i++)
        err = load(c, m->p.t[i].name, m->p.t[i].size, nn_param(&m->p, i), path);
    if (!err) err = load(c, "input.mean", KISIM_F, m->in_mean, path);
    if (!err) err = load(c, "input.inv_std", KISIM_F, m->in_inv, path);
    if (err) att_model_free(m);
    return err;
}

int att_model_load(att_model *m, const char *path)
{
    ckpt c;
    int err = ckpt_read(&c, path, "attention-scorer");
    if (err) return err;
    err = att_model_from_ckpt(m, &c, path);
    ckpt_free(&c);
    return err;
}

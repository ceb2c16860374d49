/* attention_io.c: the attention scorer in the checkpoint format (kind "attention-scorer"). */
#include <cjson/cJSON.h>
#include <string.h>

#include "common/err.h"
#include "policy/attention.h"

int att_model_save(const att_model *m, const char *path, const char *extra)
{
    ckpt c;
    memset(&c, 0, sizeof c);
    int err = nn_params_to_ckpt(&m->p, &c);
    cJSON *h = cJSON_CreateObject();
    cJSON_AddNumberToObject(h, "d_model", m->D);
    cJSON_AddNumberToObject(h, "ff", m->FF);
    cJSON_AddNumberToObject(h, "head_hidden", m->HH);
    cJSON_AddNumberToObject(h, "layers", ATT_LAYERS);
    cJSON_AddNumberToObject(h, "heads", ATT_HEADS);
    return ckpt_write_scorer(&c, err, "attention-scorer", h, extra, m->in_mean, m->in_inv, path);
}

int att_model_from_ckpt(att_model *m, const ckpt *c, const char *path)
{
    memset(m, 0, sizeof *m);
    if (strcmp(c->model_kind, "attention-scorer") != 0)
        return kisim_seterr(KISIM_EINPUT,
                            "checkpoint %s: wrong model kind: \"%s\", expected "
                            "\"attention-scorer\"",
                            path, c->model_kind);
    int D = 0, FF = 0, HH = 0, L = 0, H = 0;
    int err = ckpt_hyper_int(c, "d_model", 1, 100000, &D, path);
    if (!err) err = ckpt_hyper_int(c, "ff", 1, 100000, &FF, path);
    if (!err) err = ckpt_hyper_int(c, "head_hidden", 1, 100000, &HH, path);
    if (!err) err = ckpt_hyper_int(c, "layers", 1, 100000, &L, path);
    if (!err) err = ckpt_hyper_int(c, "heads", 1, 100000, &H, path);
    if (!err && (L != ATT_LAYERS || H != ATT_HEADS))
        err = kisim_seterr(KISIM_EINPUT,
                           "checkpoint %s: %d layers and %d heads, this build has "
                           "%d and %d",
                           path, L, H, ATT_LAYERS, ATT_HEADS);
    if (err) return err;
    err = att_model_init(m, D, FF, HH, 0);
    if (!err) err = nn_params_from_ckpt(&m->p, c, path);
    if (!err) err = ckpt_copy(c, "input.mean", CKPT_F32, KISIM_F, m->in_mean, path);
    if (!err) err = ckpt_copy(c, "input.inv_std", CKPT_F32, KISIM_F, m->in_inv, path);
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

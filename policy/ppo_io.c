/* ppo_io.c: the PPO models' tensors and hyperparameters in the checkpoint format. */
#include "policy/ppo_io.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"

static int add_norm(ckpt *c, const obsnorm *o, const char *prefix)
{
    char name[CKPT_NAME_LEN];
    int64_t n = o->n, one = 1;
    snprintf(name, sizeof name, "%s.mean", prefix);
    int err = ckpt_add(c, name, CKPT_F64, 1, &n, o->mean);
    snprintf(name, sizeof name, "%s.var", prefix);
    if (!err) err = ckpt_add(c, name, CKPT_F64, 1, &n, o->var);
    snprintf(name, sizeof name, "%s.count", prefix);
    if (!err) err = ckpt_add(c, name, CKPT_F64, 1, &one, &o->count);
    return err;
}

int ppo_model_to_ckpt(const ppo_model *m, ckpt *c)
{
    int err = nn_params_to_ckpt(&m->p, c);
    if (!err) err = add_norm(c, &m->norm, "obs_norm");
    if (!err && m->kind == PPO_MODEL_CLUSTER) err = add_norm(c, &m->norm_ctx, "obs_norm_ctx");
    return err;
}

char *ppo_model_hyperparameters(const ppo_model *m, const char *extra)
{
    cJSON *h = cJSON_CreateObject();
    cJSON_AddNumberToObject(h, "hidden", m->hidden);
    if (m->kind == PPO_MODEL_MLP) {
        cJSON_AddNumberToObject(h, "obs_dim", m->obs_dim);
        cJSON_AddNumberToObject(h, "n_actions", m->n_actions);
    }
    cJSON *x = extra ? cJSON_Parse(extra) : NULL;
    if (x) cJSON_AddItemToObject(h, "train", x);
    char *s = cJSON_PrintUnformatted(h);
    cJSON_Delete(h);
    return s;
}

static int hyper_int(const cJSON *h, const char *key, int *out, const char *path)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(h, key);
    if (!cJSON_IsNumber(v) || v->valuedouble < 1 || v->valuedouble > 1e6)
        return kisim_seterr(KISIM_EINPUT, "checkpoint %s: hyperparameters lack a valid \"%s\"",
                            path, key);
    *out = (int)v->valuedouble;
    return 0;
}

/* Copies tensor `name` (dtype, element count) into dst. */
static int load_tensor(const ckpt *c, const char *name, ckpt_dtype dtype, size_t count,
                       void *dst, const char *path)
{
    const ckpt_tensor *t = ckpt_find(c, name);
    if (!t) return kisim_seterr(KISIM_EINPUT, "checkpoint %s: tensor \"%s\" is missing", path, name);
    if (t->dtype != dtype || t->nbytes != count * ckpt_dtype_size(dtype))
        return kisim_seterr(KISIM_EINPUT,
                            "checkpoint %s: tensor \"%s\" has dtype %s and %zu bytes, expected %s "
                            "and %zu", path, name, ckpt_dtype_name(t->dtype), t->nbytes,
                            ckpt_dtype_name(dtype), count * ckpt_dtype_size(dtype));
    memcpy(dst, t->data, t->nbytes);
    return 0;
}

static int load_norm(const ckpt *c, obsnorm *o, const char *prefix, const char *path)
{
    char name[CKPT_NAME_LEN];
    snprintf(name, sizeof name, "%s.mean", prefix);
    int err = load_tensor(c, name, CKPT_F64, (size_t)o->n, o->mean, path);
    snprintf(name, sizeof name, "%s.var", prefix);
    if (!err) err = load_tensor(c, name, CKPT_F64, (size_t)o->n, o->var, path);
    snprintf(name, sizeof name, "%s.count", prefix);
    if (!err) err = load_tensor(c, name, CKPT_F64, 1, &o->count, path);
    if (!err) obsnorm_sync(o);
    return err;
}

int ppo_model_from_ckpt(ppo_model *m, const ckpt *c, const char *path)
{
    cJSON *h = cJSON_Parse(c->hyperparameters);
    int hidden = 0, obs_dim = 0, n_actions = 0, err = 0;
    int mlp = !strcmp(c->model_kind, "ppo-mlp");
    if (!mlp && strcmp(c->model_kind, "ppo-cluster") != 0)
        err = kisim_seterr(KISIM_EINPUT, "checkpoint %s: wrong model kind: \"%s\", expected a PPO "
                           "policy (\"ppo-cluster\" or \"ppo-mlp\")", path, c->model_kind);
    if (!err) err = hyper_int(h, "hidden", &hidden, path);
    if (!err && mlp) err = hyper_int(h, "obs_dim", &obs_dim, path);
    if (!err && mlp) err = hyper_int(h, "n_actions", &n_actions, path);
    cJSON_Delete(h);
    if (err) return err;
    err = mlp ? ppo_model_init_mlp(m, obs_dim, n_actions, hidden, 0)
              : ppo_model_init_cluster(m, hidden, 0);
    for (int i = 0; i < m->p.n && !err; i++)
        err = load_tensor(c, m->p.t[i].name, CKPT_F32, m->p.t[i].size, nn_param(&m->p, i), path);
    if (!err) err = load_norm(c, &m->norm, "obs_norm", path);
    if (!err && !mlp) err = load_norm(c, &m->norm_ctx, "obs_norm_ctx", path);
    if (err) ppo_model_free(m);
    m->norm_frozen = 1;
    return err;
}

int ppo_model_load(ppo_model *m, const char *path)
{
    ckpt c;
    int err = ckpt_read(&c, path, NULL);
    if (err) return err;
    err = ppo_model_from_ckpt(m, &c, path);
    ckpt_free(&c);
    return err;
}

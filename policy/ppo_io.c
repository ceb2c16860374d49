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
    return ckpt_hyper_json(h, extra);
}

static int load_norm(const ckpt *c, obsnorm *o, const char *prefix, const char *path)
{
    char name[CKPT_NAME_LEN];
    snprintf(name, sizeof name, "%s.mean", prefix);
    int err = ckpt_copy(c, name, CKPT_F64, (size_t)o->n, o->mean, path);
    snprintf(name, sizeof name, "%s.var", prefix);
    if (!err) err = ckpt_copy(c, name, CKPT_F64, (size_t)o->n, o->var, path);
    snprintf(name, sizeof name, "%s.count", prefix);
    if (!err) err = ckpt_copy(c, name, CKPT_F64, 1, &o->count, path);
    if (!err) obsnorm_sync(o);
    return err;
}

int ppo_model_from_ckpt(ppo_model *m, const ckpt *c, const char *path)
{
    int hidden = 0, obs_dim = 0, n_actions = 0, err = 0;
    int mlp = !strcmp(c->model_kind, "ppo-mlp");
    if (!mlp && strcmp(c->model_kind, "ppo-cluster") != 0)
        err = kisim_seterr(KISIM_EINPUT,
                           "checkpoint %s: wrong model kind: \"%s\", expected a PPO "
                           "policy (\"ppo-cluster\" or \"ppo-mlp\")",
                           path, c->model_kind);
    if (!err) err = ckpt_hyper_int(c, "hidden", 1, 1000000, &hidden, path);
    if (!err && mlp) err = ckpt_hyper_int(c, "obs_dim", 1, 1000000, &obs_dim, path);
    if (!err && mlp) err = ckpt_hyper_int(c, "n_actions", 1, 1000000, &n_actions, path);
    if (err) return err;
    err = mlp ? ppo_model_init_mlp(m, obs_dim, n_actions, hidden, 0)
              : ppo_model_init_cluster(m, hidden, 0);
    if (!err) err = nn_params_from_ckpt(&m->p, c, path);
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

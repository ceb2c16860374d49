/* train_state.c: capture and restore of the training state for --resume. */
#include "agent/train_state.h"

#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "policy/ppo_io.h"

#define STATE_FORMAT 1

int train_state_capture(ppo *p, train_state *st, ckpt *c)
{
    st->counters[0] = (uint64_t)p->update;
    st->counters[1] = p->global_step;
    st->counters[2] = (uint64_t)p->adam_t;
    st->counters[3] = STATE_FORMAT;
    int64_t total = (int64_t)p->model.p.total, four = 4, k = p->K;
    int64_t od = (int64_t)p->K * p->envs.obs_dim, md = (int64_t)p->K * p->envs.mask_dim;
    int64_t fs[2] = {4, KISIM_F}, nf = KISIM_F;
    int err = ckpt_add(c, "train.adam_m", CKPT_F32, 1, &total, p->model.p.m);
    if (!err) err = ckpt_add(c, "train.adam_v", CKPT_F32, 1, &total, p->model.p.v);
    if (!err) err = ckpt_add(c, "train.counters", CKPT_U64, 1, &four, st->counters);
    if (!err) err = ckpt_add(c, "train.rng", CKPT_U64, 1, &four, p->rng.s);
    if (!err) err = ckpt_add(c, "train.next_obs", CKPT_F32, 1, &od, p->next_obs);
    if (!err && md) err = ckpt_add(c, "train.next_mask", CKPT_U8, 1, &md, p->next_mask);
    if (!err) err = ckpt_add(c, "train.next_done", CKPT_U8, 1, &k, p->next_done);
    if (!err) err = ckpt_add(c, "train.feature_stats", CKPT_F64, 2, fs, p->fstat);
    if (!err) err = ckpt_add(c, "train.feature_counts", CKPT_F64, 1, &nf, p->fstat_n);
    int64_t one = 1, three = 3;
    if (!err) err = ckpt_add(c, "train.best_score", CKPT_F64, 1, &one, &p->best_score);
    if (!err) err = ckpt_add(c, "train.reward_rms", CKPT_F64, 1, &three, p->rms);
    if (!err) err = ckpt_add(c, "train.reward_return", CKPT_F64, 1, &k, p->disc);
    if (!err) err = p->envs.save(&p->envs, c);
    return err;
}

void train_state_free(train_state *st)
{
    (void)st;
}

static int restore(const ckpt *c, const char *name, void *dst, size_t nbytes, const char *path)
{
    const ckpt_tensor *t = ckpt_find(c, name);
    if (!t || t->nbytes != nbytes)
        return kisim_seterr(KISIM_EINPUT, "checkpoint %s: cannot resume: tensor \"%s\" is %s", path,
                            name, t ? "the wrong size for this config" : "missing");
    memcpy(dst, t->data, nbytes);
    return 0;
}

int train_state_resume(ppo *p, const char *dir)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/last.safetensors", dir);
    ckpt c;
    int err = ckpt_read(&c, path, ppo_model_kind_name(p->model.kind));
    if (err) return err;
    ppo_model loaded;
    memset(&loaded, 0, sizeof loaded);
    err = ppo_model_from_ckpt(&loaded, &c, path);
    if (!err && loaded.p.total != p->model.p.total)
        err = kisim_seterr(KISIM_EINPUT,
                           "checkpoint %s: cannot resume: its model has %zu "
                           "parameters, this config's %zu",
                           path, loaded.p.total, p->model.p.total);
    if (!err) {
        memcpy(p->model.p.params, loaded.p.params, loaded.p.total * sizeof(float));
        memcpy(p->model.norm.mean, loaded.norm.mean, (size_t)loaded.norm.n * sizeof(double));
        memcpy(p->model.norm.var, loaded.norm.var, (size_t)loaded.norm.n * sizeof(double));
        p->model.norm.count = loaded.norm.count;
        if (p->model.kind == PPO_MODEL_CLUSTER) {
            size_t n = (size_t)loaded.norm_ctx.n * sizeof(double);
            memcpy(p->model.norm_ctx.mean, loaded.norm_ctx.mean, n);
            memcpy(p->model.norm_ctx.var, loaded.norm_ctx.var, n);
            p->model.norm_ctx.count = loaded.norm_ctx.count;
            obsnorm_sync(&p->model.norm_ctx);
        }
        obsnorm_sync(&p->model.norm);
    }
    if (loaded.p.params) ppo_model_free(&loaded);
    uint64_t counters[4] = {0};
    size_t total = p->model.p.total * sizeof(float), K = (size_t)p->K;
    size_t od = K * (size_t)p->envs.obs_dim * sizeof(float), md = K * (size_t)p->envs.mask_dim;
    if (!err) err = restore(&c, "train.adam_m", p->model.p.m, total, path);
    if (!err) err = restore(&c, "train.adam_v", p->model.p.v, total, path);
    if (!err) err = restore(&c, "train.counters", counters, sizeof counters, path);
    if (!err && counters[3] != STATE_FORMAT)
        err =
            kisim_seterr(KISIM_EINPUT, "checkpoint %s: cannot resume: unknown state format", path);
    if (!err) err = restore(&c, "train.rng", p->rng.s, sizeof p->rng.s, path);
    if (!err) err = restore(&c, "train.next_done", p->next_done, K, path);
    if (!err) err = restore(&c, "train.feature_stats", p->fstat, sizeof p->fstat, path);
    if (!err) err = restore(&c, "train.feature_counts", p->fstat_n, sizeof p->fstat_n, path);
    if (!err) err = restore(&c, "train.best_score", &p->best_score, sizeof p->best_score, path);
    if (!err) err = restore(&c, "train.reward_rms", p->rms, sizeof p->rms, path);
    if (!err) err = restore(&c, "train.reward_return", p->disc, K * sizeof *p->disc, path);
    /* The envs replay into the live buffers; the saved observation must come out again. */
    if (!err) err = p->envs.load(&p->envs, &c, p->next_obs, p->next_mask, path);
    const ckpt_tensor *saved = ckpt_find(&c, "train.next_obs");
    if (!err && (!saved || saved->nbytes != od || memcmp(saved->data, p->next_obs, od) != 0))
        err = kisim_seterr(KISIM_EINPUT,
                           "checkpoint %s: cannot resume: the envs replayed to a "
                           "different observation (was it written by another version or config?)",
                           path);
    const ckpt_tensor *smask = ckpt_find(&c, "train.next_mask");
    if (!err && md && (!smask || smask->nbytes != md || memcmp(smask->data, p->next_mask, md) != 0))
        err = kisim_seterr(KISIM_EINPUT,
                           "checkpoint %s: cannot resume: the replayed action mask "
                           "differs",
                           path);
    if (!err) {
        p->update = (int)counters[0];
        p->global_step = counters[1];
        p->adam_t = (int)counters[2];
    }
    ckpt_free(&c);
    return err;
}

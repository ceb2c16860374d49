/* train.c: the training driver: updates, metrics, validation, checkpoints, signals. */
#include "agent/train.h"
#include "common/clock.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/policy_actor.h"
#include "agent/ppo.h"
#include "agent/train_logs.h"
#include "agent/train_state.h"
#include "common/cli_args.h"
#include "common/err.h"
#include "common/log.h"
#include "env/cartpole/cartpole.h"
#include "env/env.h"
#include "policy/nn.h"
#include "policy/ppo_io.h"

static atomic_int stop_requested; /* set by the signal handler (lock-free, async-signal-safe) */

static void on_signal(int sig)
{
    (void)sig;
    atomic_store(&stop_requested, 1);
    env_interrupt(); /* a local env's wall-time interval ends at once (its step fails) */
}

static int make_dir(const char *path)
{
    char tmp[CFG_PATH_LEN];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(tmp, 0755) != 0 && errno != EEXIST) break;
        *p = '/';
    }
    if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
        return kisim_seterr(KISIM_EIO, "train: cannot create %s: %s", path, strerror(errno));
    return 0;
}

static void path_in(char *buf, size_t n, const char *dir, const char *name)
{
    snprintf(buf, n, "%s/%s", dir, name);
}

/* Validation: mean episode reward (cluster) or return (CartPole) of the greedy policy. */
static int validate(ppo *p, double *score)
{
    const cfg_train *t = &p->cfg.train;
    if (p->model.kind == PPO_MODEL_MLP) {
        ppo_acts a;
        int err = ppo_acts_alloc(&a, &p->model, 1, 1);
        if (err) return err;
        double total = 0;
        for (int ep = 0; ep < t->eval_episodes; ep++) {
            cartpole c;
            float obs[CARTPOLE_OBS], r;
            uint8_t term = 0, trunc = 0;
            cartpole_reset(&c, t->eval_seed + (uint64_t)ep, obs);
            while (!term && !trunc) {
                ppo_forward(&p->model, &a, obs, NULL, 1, 0);
                cartpole_step(&c, nn_argmax(a.logp_node, NULL, CARTPOLE_ACTIONS), obs, &r, &term,
                              &trunc);
                total += r;
            }
        }
        ppo_acts_free(&a);
        *score = total / t->eval_episodes;
        return 0;
    }
    eval_actor actor;
    eval_result res;
    int err = eval_actor_policy_model(&actor, &p->model, &p->cfg, "policy", 0);
    if (!err) err = eval_run_actor(&p->cfg, &actor, t->eval_episodes, t->eval_seed, NULL, &res);
    eval_actor_free(&actor);
    if (err) return err;
    *score = res.agg[EVAL_reward].mean;
    eval_result_free(&res);
    return 0;
}

static int save_model(ppo *p, const char *path, int with_state)
{
    ckpt c;
    memset(&c, 0, sizeof c);
    char *stats = ppo_feature_stats_json(p), *hyper = NULL, extra[512];
    const cfg_train *t = &p->cfg.train;
    snprintf(extra, sizeof extra,
             "{\"total_steps\":%llu,\"num_envs\":%d,\"num_steps\":%d,\"minibatches\":%d,"
             "\"epochs\":%d,\"lr\":%g,\"gamma\":%g,\"gae_lambda\":%g,\"clip\":%g,\"ent_coef\":%g,"
             "\"vf_coef\":%g,\"max_grad_norm\":%g,\"feature_mask_prob\":%g,\"seed\":%llu,"
             "\"update\":%d,\"global_step\":%llu}",
             (unsigned long long)t->total_steps, t->num_envs, t->num_steps, t->minibatches,
             t->epochs, t->lr, t->gamma, t->gae_lambda, t->clip, t->ent_coef, t->vf_coef,
             t->max_grad_norm, t->feature_mask_prob, (unsigned long long)t->seed, p->update,
             (unsigned long long)p->global_step);
    hyper = ppo_model_hyperparameters(&p->model, extra);
    train_state st;
    int err = ppo_model_to_ckpt(&p->model, &c);
    if (!err && with_state) err = train_state_capture(p, &st, &c);
    if (!err) err = ckpt_set_meta(&c, ppo_model_kind_name(p->model.kind), hyper, stats);
    if (!err) err = ckpt_write(&c, path);
    if (with_state) train_state_free(&st);
    ckpt_free(&c);
    free(stats);
    free(hyper);
    return err;
}

static void write_episodes(FILE *f, const ppo *p)
{
    for (int i = 0; i < p->n_episodes; i++) {
        const float *e = p->episodes + (size_t)i * (1 + EP_N_STATS);
        fprintf(f, "%d,%llu,%d", p->update, (unsigned long long)p->global_step, (int)e[0]);
        for (int s = 0; s < EP_N_STATS; s++)
            fprintf(f, isfinite(e[1 + s]) ? ",%.9g" : ",", e[1 + s]);
        fputc('\n', f);
    }
    fflush(f);
}

static void write_metrics(FILE *f, const double *m)
{
    fputc('{', f);
    for (int i = 0; i < PM_N; i++) {
        if (isfinite(m[i]))
            fprintf(f, "%s\"%s\":%.9g", i ? "," : "", ppo_metric_names[i], m[i]);
        else
            fprintf(f, "%s\"%s\":null", i ? "," : "", ppo_metric_names[i]);
    }
    fputs("}\n", f);
    fflush(f);
}

/* The one-line progress display; a log line every 10 s when stderr is not a terminal. */
static void show_progress(const ppo *p, const double *m, double t0, double *t_last, double ret_avg,
                          double p99_avg)
{
    int tty = isatty(STDERR_FILENO);
    double now = clock_mono_s();
    int last = p->update == p->num_updates;
    if (!last && now - *t_last < (tty ? 0.2 : 10.0)) return;
    *t_last = now;
    double rate = (double)p->global_step / (now - t0);
    double eta = rate > 0 ? (double)(p->num_updates - p->update) * p->batch / rate : 0;
    fprintf(stderr, "%supdate %d/%d  steps %llu  %.0f decisions/s  return %.2f", tty ? "\r" : "",
            p->update, p->num_updates, (unsigned long long)p->global_step, rate, ret_avg);
    if (p->model.kind == PPO_MODEL_CLUSTER) fprintf(stderr, "  p99 %.1f ms", p99_avg);
    fprintf(stderr, "  %s %.0fs%s", last ? "took" : "ETA", last ? now - t0 : eta,
            tty && !last ? "\033[K" : "\n");
    (void)m;
}

int train_run(const kisim_config *cfg, const train_options *opt)
{
    char path[CFG_PATH_LEN + 32];
    ppo p;
    memset(&p, 0, sizeof p);
    FILE *metrics = NULL, *episodes = NULL;
    int err = make_dir(opt->out_dir);
    if (err) return err;
    char *shown = cfg_to_json(cfg);
    path_in(path, sizeof path, opt->out_dir, "config.json");
    err =
        shown ? write_file_atomic(path, shown) : kisim_seterr(KISIM_ENOMEM, "train: out of memory");
    free(shown);
    if (!err) err = ppo_init(&p, cfg);
    if (!err && opt->resume_dir) err = train_state_resume(&p, opt->resume_dir);
    if (err) goto cleanup;
    train_remove_stale_tmp(opt->out_dir);
    path_in(path, sizeof path, opt->out_dir, "metrics.jsonl");
    if (opt->resume_dir)
        err = train_log_open_resumed(path, p.update, 0, &metrics);
    else if (!(metrics = fopen(path, "w")))
        err = kisim_seterr(KISIM_EIO, "train: cannot write %s: %s", path, strerror(errno));
    if (err) goto cleanup;
    path_in(path, sizeof path, opt->out_dir, "episodes.csv");
    if (opt->resume_dir)
        err = train_log_open_resumed(path, p.update, 1, &episodes);
    else if (!(episodes = fopen(path, "w")))
        err = kisim_seterr(KISIM_EIO, "train: cannot write %s: %s", path, strerror(errno));
    if (err) goto cleanup;
    if (!opt->resume_dir) {
        fputs("update,global_step,env", episodes);
        for (int s = 0; s < EP_N_STATS; s++)
            fprintf(episodes, ",%s", ppo_ep_stat_names[s]);
        fputc('\n', episodes);
    }
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    atomic_store(&stop_requested, 0);
    double t0 = clock_mono_s(), t_last = 0, ret_avg = NAN, p99_avg = NAN, m[PM_N];
    int first_update = p.update;
    while (p.update < p.num_updates && !err) {
        err = ppo_iterate(&p, m);
        if (err) break;
        write_metrics(metrics, m);
        write_episodes(episodes, &p);
        if (isfinite(m[PM_EP_RETURN]))
            ret_avg = isfinite(ret_avg) ? 0.9 * ret_avg + 0.1 * m[PM_EP_RETURN] : m[PM_EP_RETURN];
        if (isfinite(m[PM_EP_P99_MS]))
            p99_avg = isfinite(p99_avg) ? 0.9 * p99_avg + 0.1 * m[PM_EP_P99_MS] : m[PM_EP_P99_MS];
        if (opt->progress) show_progress(&p, m, t0, &t_last, ret_avg, p99_avg);
        if (opt->stop_after > 0 && p.update - first_update >= opt->stop_after)
            atomic_store(&stop_requested, 1);
        int end = p.update == p.num_updates || atomic_load(&stop_requested);
        if (p.update % cfg->train.eval_every == 0 || end) {
            double score;
            err = validate(&p, &score);
            if (!err && score > p.best_score) {
                p.best_score = score;
                path_in(path, sizeof path, opt->out_dir, "best.safetensors");
                err = save_model(&p, path, 0);
            }
        }
        if (!err && (p.update % cfg->train.checkpoint_every == 0 || end)) {
            path_in(path, sizeof path, opt->out_dir, "last.safetensors");
            err = save_model(&p, path, 1);
        }
        if (atomic_load(&stop_requested) && p.update < p.num_updates) {
            log_info("train: stopped; saved %s/last.safetensors at update %d of %d (continue with "
                     "--resume %s)",
                     opt->out_dir, p.update, p.num_updates, opt->out_dir);
            break;
        }
    }
cleanup:
    if (metrics) fclose(metrics);
    if (episodes) fclose(episodes);
    ppo_free(&p);
    return err;
}

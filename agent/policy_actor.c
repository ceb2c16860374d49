/* policy_actor.c: PPO policies as evaluation actors. */
#include "agent/policy_actor.h"

#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "policy/nn.h"
#include "policy/ppo_io.h"

typedef struct {
    ppo_model *model;
    int owned;
    ppo_acts acts;
    int window, sample;
    rng rng;
} policy_state;

static int policy_act(eval_actor *a, struct kisim_env *e, const float *obs, const uint8_t *mask,
                      int32_t action[2])
{
    (void)e;
    policy_state *s = a->state;
    ppo_forward(s->model, &s->acts, obs, mask, 1, s->window);
    int N = s->acts.n;
    const float *ln = s->acts.logp_node, *ls = s->acts.logp_scale;
    if (s->sample) {
        action[0] = nn_sample(ln, s->acts.node_mask, N, &s->rng);
        action[1] = nn_sample(ls, s->acts.scale_mask, 3, &s->rng);
    } else {
        action[0] = nn_argmax(ln, s->acts.node_mask, N);
        action[1] = nn_argmax(ls, s->acts.scale_mask, 3);
    }
    if (action[0] < 0) return kisim_seterr(KISIM_EINPUT, "policy: no node is open for the pod");
    return 0;
}

static void policy_reset(eval_actor *a, uint64_t seed)
{
    policy_state *s = a->state;
    rng_seed(&s->rng, seed ^ 0x706f6c6963ULL);
}

static void policy_free(eval_actor *a)
{
    policy_state *s = a->state;
    if (!s) return;
    ppo_acts_free(&s->acts);
    if (s->owned) {
        ppo_model_free(s->model);
        free(s->model);
    }
    free(s);
    a->state = NULL;
}

int eval_actor_policy_model(eval_actor *a, ppo_model *m, const kisim_config *cfg, const char *name,
                            int sample)
{
    memset(a, 0, sizeof *a);
    if (m->kind != PPO_MODEL_CLUSTER)
        return kisim_seterr(KISIM_EINPUT,
                            "policy: a %s model cannot schedule pods; it needs "
                            "\"ppo-cluster\"",
                            ppo_model_kind_name(m->kind));
    policy_state *s = calloc(1, sizeof *s);
    if (!s) return kisim_seterr(KISIM_ENOMEM, "policy: out of memory");
    s->model = m;
    s->window = cfg->env.window;
    s->sample = sample;
    int err = ppo_acts_alloc(&s->acts, m, 1, cfg->env.max_nodes);
    if (err) {
        free(s);
        return err;
    }
    snprintf(a->name, sizeof a->name, "%s", name);
    a->act = policy_act;
    a->reset = policy_reset;
    a->free = policy_free;
    a->state = s;
    return 0;
}

int eval_actor_policy_file(eval_actor *a, const char *path, const kisim_config *cfg, int sample)
{
    memset(a, 0, sizeof *a);
    ppo_model *m = calloc(1, sizeof *m);
    if (!m) return kisim_seterr(KISIM_ENOMEM, "policy: out of memory");
    int err = ppo_model_load(m, path);
    if (!err) err = eval_actor_policy_model(a, m, cfg, "policy", sample);
    if (err) {
        if (m->p.params) ppo_model_free(m);
        free(m);
        return err;
    }
    ((policy_state *)a->state)->owned = 1;
    return 0;
}

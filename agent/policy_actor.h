/* policy_actor.h: a trained PPO policy (ppo-cluster) as an evaluation actor: it places the pod
 * on the node its policy finds most likely and applies the most likely replica delta (or
 * samples both, with `sample`). Used by `kisim eval --policy` and by training's validation. */
#ifndef KISIM_POLICY_ACTOR_H
#define KISIM_POLICY_ACTOR_H

#include "agent/eval.h"
#include "policy/ppo_model.h"

/* Loads the checkpoint at path (kind ppo-cluster); the actor owns the model. */
int eval_actor_policy_file(eval_actor *a, const char *path, const kisim_config *cfg, int sample);
/* Uses model m (borrowed; its normaliser must be frozen) on the config's cluster. */
int eval_actor_policy_model(eval_actor *a, ppo_model *m, const kisim_config *cfg, const char *name,
                            int sample);

#endif

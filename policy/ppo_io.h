/* ppo_io.h: PPO models to and from checkpoints. The tensors are the model's parameters (F32,
 * by their table names) and its observation-normalisation statistics (F64: obs_norm.mean, .var,
 * .count, and obs_norm_ctx.* for ppo-cluster); the hyperparameters metadata records the shapes
 * needed to rebuild the model ({"hidden", "obs_dim", "n_actions"} plus the caller's extras). */
#ifndef KISIM_PPO_IO_H
#define KISIM_PPO_IO_H

#include "policy/ckpt.h"
#include "policy/ppo_model.h"

/* Adds the model's tensors to c (data borrowed from m until ckpt_write). */
int ppo_model_to_ckpt(const ppo_model *m, ckpt *c);
/* The model part of the hyperparameters JSON (malloc'd); `extra` (a JSON object text, or
 * NULL) is merged in under "train". */
char *ppo_model_hyperparameters(const ppo_model *m, const char *extra);
/* Builds m from a checkpoint that ckpt_read accepted (kind "ppo-mlp" or "ppo-cluster").
 * KISIM_EINPUT naming the file when a tensor is missing or has the wrong shape. */
int ppo_model_from_ckpt(ppo_model *m, const ckpt *c, const char *path);
/* ckpt_read + ppo_model_from_ckpt; the normaliser comes back frozen. */
int ppo_model_load(ppo_model *m, const char *path);

#endif

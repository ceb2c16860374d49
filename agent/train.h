/* train.h: `kisim train`: runs the PPO learner (agent/ppo.h) for train.total_steps, writing
 * into the output folder:
 *   config.json        the effective config
 *   metrics.jsonl      one JSON object per update (PPO_METRICS names)
 *   episodes.csv       one row per finished training episode (update, env, PPO_EP_STATS)
 *   last.safetensors   every train.checkpoint_every updates and at the end (with the state
 *                      --resume needs)
 *   best.safetensors   the best policy by validation (train.eval_episodes episodes from
 *                      train.eval_seed, a range disjoint from training and evaluation seeds)
 * SIGINT and SIGTERM stop after the current update with last.safetensors saved. */
#ifndef KISIM_TRAIN_H
#define KISIM_TRAIN_H

#include "common/config.h"

typedef struct {
    const char *out_dir;
    const char *resume_dir; /* NULL: a fresh run */
    int progress;           /* the one-line progress display */
    int stop_after;         /* > 0: stop (with last.safetensors saved) after this many updates
                             * of this invocation, e.g. to share a machine in slices */
} train_options;

int train_run(const kisim_config *cfg, const train_options *opt);

#endif

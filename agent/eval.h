/* eval.h: evaluation of a scorer over held-out episodes, with the seed rules of docs/SEEDS.md
 * and the percentile rule of docs/RESULTS.md.
 *
 * Episode i runs with seed S + i. Training draws episode seeds from env.seed (0) upwards,
 * validation from train.eval_seed = 900000, and evaluation starts at eval.seed = 1000000, so
 * "held-out seeds" is true unless a user moves a range. Latency percentiles are request-weighted
 * over each whole episode (the sim's ep_* info), then averaged over episodes with a 95% t
 * confidence interval. Baselines only place pods; their
 * replica count follows the HPA rule (env/baselines/baseline.h). */
#ifndef KISIM_EVAL_H
#define KISIM_EVAL_H

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>

#include "common/config.h"
#include "common/stats.h"
#include "spaces/spaces.h"

/* X(key, info index, table label, printf format). The keys are the results JSON's names. */
#define EVAL_METRICS(X)                                                                            \
    X(p50_ms, INFO_EP_P50_MS, "p50 ms", "%.1f")                                                    \
    X(p95_ms, INFO_EP_P95_MS, "p95 ms", "%.1f")                                                    \
    X(p99_ms, INFO_EP_P99_MS, "p99 ms", "%.1f")                                                    \
    X(error_rate, INFO_EP_ERROR_RATE, "errors", "%.4f")                                            \
    X(throughput_rps, INFO_EP_THROUGHPUT_RPS, "rps", "%.1f")                                       \
    X(cost, INFO_EP_COST, "cost", "%.4f")                                                          \
    X(contended_share, INFO_EP_CONTENDED_SHARE, "contended", "%.3f")                               \
    X(reward, INFO_EP_REWARD, "reward", "%.1f")                                                    \
    X(replica_seconds, INFO_EP_REPLICA_SECONDS, "replica-s", "%.0f")                               \
    X(decisions, INFO_EP_LENGTH, "decisions", "%.0f")

typedef enum {
#define EVAL_ENUM(key, info, label, fmt) EVAL_##key,
    EVAL_METRICS(EVAL_ENUM)
#undef EVAL_ENUM
        EVAL_N_METRICS
} eval_metric;

extern const char *const eval_metric_keys[EVAL_N_METRICS];

typedef struct {
    char scorer[32];
    int episodes;
    uint64_t seed;
    double *values; /* [episodes][EVAL_N_METRICS], owned */
    stats_summary agg[EVAL_N_METRICS];
} eval_result;

/* Who decides: a baseline scorer with the HPA rule, or a learned policy (agent/policy_actor.h).
 * act() picks the action for the env's current decision from its observation and mask. */
struct kisim_env;
typedef struct eval_actor eval_actor;
struct eval_actor {
    char name[32];
    int (*act)(eval_actor *a, struct kisim_env *e, const float *obs, const uint8_t *mask,
               int32_t action[2]);
    void (*reset)(eval_actor *a, uint64_t seed); /* at each episode start */
    void (*free)(eval_actor *a);
    void *state;
};

/* A baseline: scorer `name` (env/baselines/baseline.h) places, the HPA rule scales. KISIM_EUSAGE
 * for an unknown name. */
int eval_actor_scorer(eval_actor *a, const char *name, uint64_t seed);
void eval_actor_free(eval_actor *a);

typedef struct {
    int progress;          /* print a progress line on stderr */
    FILE *trace;           /* if set, one CSV row per decision (header first: eval_trace_header) */
    int stop_on_interrupt; /* end with KISIM_ESTATE before the next episode once env_interrupt()
                              was called (kisim eval's SIGINT/SIGTERM); train keeps it 0, as its
                              last validation runs after the signal */
} eval_options;

/* Runs `episodes` episodes of the actor from `seed`; opt may be NULL. 0, or a negative
 * kisim_err with the message set. */
int eval_run_actor(const kisim_config *cfg, eval_actor *actor, int episodes, uint64_t seed,
                   const eval_options *opt, eval_result *out);
/* The same for the baseline scorer `name`. */
int eval_run(const kisim_config *cfg, const char *scorer, int episodes, uint64_t seed,
             const eval_options *opt, eval_result *out);
/* The trace CSV's header line: scorer,seed,step,node,scale, then the info names. */
void eval_trace_header(FILE *f);
void eval_result_free(eval_result *r);
/* The results JSON object (docs/RESULTS.md): scorer, episodes, seed, provenance, aggregate,
 * per_episode. */
cJSON *eval_result_json(const eval_result *r, const kisim_config *cfg);

#endif

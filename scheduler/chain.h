/* chain.h: the policy chain (internal to scheduler/): PPO -> attention -> neutral. Each model
 * link has its own worker threads, job queue, circuit breaker and (reloadable) model; a request
 * waits for a link's answer until a deadline and then moves on, abandoning the job, whose late
 * result is dropped by the worker. A healthy link far faster than its deadline runs in the
 * caller's thread instead (chain.c says when). */
#ifndef KISIM_CHAIN_H
#define KISIM_CHAIN_H

#include "scheduler/score.h"
#include "scheduler/score_model.h"

typedef struct chain chain;

/* A refcounted score_input, shared by the jobs of one request. */
typedef struct chain_input chain_input;
chain_input *chain_input_new(int n, int T); /* NULL on OOM; refs = 1 */
score_input *chain_input_get(chain_input *ci);
void chain_input_unref(chain_input *ci);

/* What happened at each link: the fallback reason, or -1 if it answered or was not reached. */
typedef struct {
    score_link link;              /* the link that answered */
    int fallback[SCORE_N_LINKS];  /* score_fallback, or -1 */
    char why[SCORE_N_LINKS][192]; /* refusal or failure message per link */
    char version[SCORE_VERSION_MAX];
} chain_result;

/* Loads the model files (a file that fails is logged; the link stays empty) and starts the
 * workers. */
int chain_open(chain **out, const score_opts *o);
void chain_close(chain *c);
/* Reloads both files; a failure keeps the running model. Returns the first error. */
int chain_reload(chain *c, int *n_ok, int *n_failed);
/* Scores in (n nodes) within budget_ms of the real-time start t0 (CLOCK_MONOTONIC seconds):
 * score [n], conf [n] of the answering link (neutral: 50 and 0). */
void chain_score(chain *c, chain_input *in, double t0, int *score, float *conf, chain_result *res);
/* Fills st's breaker, version and runs_* fields. */
void chain_state(chain *c, score_stats *st);
void chain_set_test_delay(chain *c, score_link link, int ms);

#endif

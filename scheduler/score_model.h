/* score_model.h: the chain's model links (internal to scheduler/): loading a ppo-cluster or
 * attention-scorer checkpoint with its version and refusal data, deciding whether a request is
 * one the model should not answer, and running it. A loaded model is immutable and shared by
 * the link's workers through a reference count, so a reload can swap it under running jobs. */
#ifndef KISIM_SCORE_MODEL_H
#define KISIM_SCORE_MODEL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/attention.h"
#include "policy/ppo_model.h"
#include "scheduler/score.h"

/* The inputs of one request's fresh candidates, shared read-only by the links' jobs. */
typedef struct {
    int n, T;
    float *nodes;         /* [n, T, F] normalised as the observation, 0 where unavailable */
    float *last;          /* [n, F] the newest sample, normalised (reasons, refusal) */
    float *last_raw;      /* [n, F] the newest sample, raw units */
    float avail[KISIM_F]; /* 1 = measured on every candidate */
    float pod[KISIM_P];
} score_input;

typedef struct {
    atomic_int refs; /* shared by the service threads holding it */
    uint64_t id;     /* unique per load, so scratch never mistakes a new model for old */
    score_link link;
    ppo_model ppo;                   /* SCORE_LINK_PPO */
    att_model att;                   /* SCORE_LINK_ATTENTION */
    char version[SCORE_VERSION_MAX]; /* "FILE@crc32" */
    /* PPO: features seen in training (feature_stats) and the raw range accepted for each */
    uint8_t needs[KISIM_F];
    float ok_lo[KISIM_F], ok_hi[KISIM_F];
} score_model;

/* Per-worker activations, reallocated when the model or the node count changes. */
typedef struct {
    uint64_t model_id; /* the model the activations are sized for, 0 = none */
    ppo_acts pa;
    att_acts aa;
    float *obs;
    size_t obs_cap;
} score_scratch;

/* Loads path for link (PPO: kind ppo-cluster; ATTENTION: attention-scorer). refs = 1. Errors
 * name the file and what is wrong (ckpt_read's messages). */
int score_model_load(score_model **out, score_link link, const char *path);
void score_model_ref(score_model *m);
void score_model_unref(score_model *m);

/* 1 if the model refuses the input (msg says why: an unavailable feature it needs, or a value
 * far outside its training statistics), else 0. */
int score_model_refuses(const score_model *m, const score_input *in, char *msg, size_t cap);
/* Scores the input: score [n] 0..100, conf [n] 0..1 (PPO: docs/ARCHITECTURE.md).
 * 0 or an error. */
int score_model_run(const score_model *m, score_scratch *sc, const score_input *in, int *score,
                    float *conf);
void score_scratch_free(score_scratch *sc);

#endif

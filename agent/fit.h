/* fit.h: the supervised scorers' data and training (agent/DATASET.md has the event schema).
 *
 * dataset: runs the environment with a baseline scorer deciding (shadow mode: the learned scorer
 * only watches) and records one event per scheduling decision: the cluster tensor, pod context,
 * availability and node masks, the node chosen, the oracle's choice and per-node outcome labels
 * read from the simulator's hidden state.
 * fit: trains the attention, MLP or XGBoost scorer on such events; eval: a learned scorer as an
 * eval actor. */
#ifndef KISIM_FIT_H
#define KISIM_FIT_H

#include <stdint.h>
#include <stdio.h>

#include "agent/eval.h"
#include "common/config.h"

/* A latency-sensitive replica "keeps its SLO" on a node when the service-time inflation it would
 * see there (sim_ls_inflation with the pod added) is at most this. */
#define DATASET_SLO_INFLATION 1.25

enum { DS_RUNNING, DS_OOM_KILLED, DS_EVICTED }; /* ds_event.outcome */

typedef struct {
    int episode, step, n, T, outcome;
    uint64_t seed;
    float *nodes; /* [n, T, F] */
    float avail[KISIM_F];
    float pod[KISIM_P];
    uint8_t *mask; /* [n] */
    int chosen, oracle;
    float *y_contention, *y_latency, *inflation, *y_bootstrap; /* [n] each */
} ds_event;

typedef struct {
    ds_event *ev;
    int n, cap;
} ds_set;

/* Collects `events` events from episodes seed, seed + 1, ... with the baseline `scorer` placing.
 * Writes them to path (atomically) in the format its name picks (dataset_write). */
int dataset_collect(const kisim_config *cfg, const char *scorer, int events, uint64_t seed,
                    const char *path, int progress);
/* Reads a dataset: the binary shard format when the name ends in ".kds", else JSON lines;
 * errors name the file and line (JSONL) or event (shard). */
int dataset_read(ds_set *d, const char *path);
/* Writes d atomically: ".kds" the binary shard format, else JSON lines (agent/DATASET.md). */
int dataset_write(const ds_set *d, const char *path);
void dataset_free(ds_set *d);
/* An event's arrays for n nodes and T samples (freed by dataset_free). */
int dataset_event_alloc(ds_event *e, int n, int T);
int dataset_is_shard(const char *path);
/* dataset_shard.c: the binary shard format. */
int dataset_shard_write(const ds_set *d, const char *path);
int dataset_shard_read(ds_set *d, const char *path);
/* The formats over memory (the fuzz targets and the files' readers and writers): parse a
 * dataset from an open JSONL stream or a whole shard's bytes, errors naming `path`; format a
 * set as a file's bytes (malloc'd). The writers refuse a non-finite value (KISIM_EINPUT). */
int dataset_jsonl_parse(ds_set *d, FILE *f, const char *path);
int dataset_jsonl_format(const ds_set *d, char **text, size_t *len);
int dataset_shard_parse(ds_set *d, const char *buf, size_t size, const char *path);
int dataset_shard_format(const ds_set *d, char **file, size_t *len);
/* 1 and the first non-finite value's field and index if the event has one. */
int dataset_event_nonfinite(const ds_event *e, const char **field, int *index);
int dataset_check_writable(const ds_set *d);
/* f must not be a directory; with size, a regular file, whose size it gives. */
int dataset_file_check(FILE *f, const char *path, size_t *size);
/* The outcome's name ("running", "oom_killed", "evicted"), and back (-1: unknown). */
const char *dataset_outcome_name(int outcome);
int dataset_outcome_parse(const char *name);

typedef struct {
    const char *model; /* "attention" or "mlp" */
    int epochs, patience, d_model, ff, head_hidden;
    float lr, feature_drop; /* Adam step; probability of masking a measured feature */
    const char *label;      /* "contention" (default), "latency" or "bootstrap" */
    uint64_t seed;
    int progress;
} fit_options;

/* Trains the scorer o->model on d and writes the best validation epoch's model to out. */
int fit_scorer(const ds_set *d, const fit_options *o, const char *out);

/* The learned scorer `kind` (attention or mlp) in `path` as an eval actor: it places, the HPA rule
 * scales. */
int eval_actor_learned(eval_actor *a, const char *kind, const char *path, const kisim_config *cfg);

#endif

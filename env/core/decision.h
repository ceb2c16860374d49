/* decision.h: how every backend sequences its decisions: which pod is pending next (a wanted
 * replica first, else a background arrival), the loop of intervals up to the next decision, and
 * which replica a scale-down removes. The backend keeps the pods and the clock; this keeps the
 * counters those rules read and write, so the sim and the local cluster cannot drift apart. */
#ifndef KISIM_DECISION_H
#define KISIM_DECISION_H

#include "common/rng.h"

/* The backend's side, as small functions of its own struct (env). */
typedef struct {
    /* Makes the backend's pending pod the next wanted replica (replica = 1) or a background
     * arrival (0); returns 1 if that pod fits on some node. */
    int (*make_pending)(void *env, int replica);
    /* Runs one interval, adding its rewards and metrics to info[KISIM_N_INFO] and setting done
     * when the episode ends; 0 or a negative kisim_err. */
    int (*advance)(void *env, float *info);
    /* 1 if pod i is a placed replica, with the replica count of its node and when it was
     * placed (a scale-down's ranking keys); 0 for any other pod. */
    int (*replica_rank)(const void *env, int i, int *node_replicas, double *placed_at);
} decision_ops;

typedef struct {
    const decision_ops *ops; /* static, not owned */
    void *env;               /* the backend that embeds this */
    rng *rng;                /* the backend's RNG (background arrivals) */
    double arrival_prob;     /* background arrivals per interval, in [0, 1] */

    int has_pending;                      /* the backend's pending pod awaits a decision */
    int replicas_placed, replicas_wanted; /* wanted = placed + pending replicas */
    int unschedulable; /* pending pods that fit nowhere, since reset by the caller */
    int done;          /* 0 running, 1 terminated, 2 truncated */
} decision;

/* Chooses the next pending pod of the current interval: a wanted replica first, else a
 * background arrival (drawn with probability arrival_prob); a pod that fits nowhere counts
 * as unschedulable. Returns has_pending (1 if a pod is pending). */
int decision_next_pending(decision *d);
/* Runs whole intervals (at least one when `advance`) until a pod is pending or the episode
 * ends. info may be NULL (a scratch array, at reset). 0 or the backend's negative error. */
int decision_next(decision *d, int advance, float *info);
/* A scale-down: one replica fewer wanted. A pending replica is simply not placed (-1);
 * otherwise returns the index among n_pods of the placed replica to remove, on the node with
 * the most replicas, newest first (the ReplicaSet controller's ranking, simplified), and
 * counts it as removed; the caller removes that pod. -1 if there is none. */
int decision_scale_down(decision *d, int n_pods);

#endif

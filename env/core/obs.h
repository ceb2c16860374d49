/* obs.h: the parts of an observation every backend writes the same way (layout in spaces.h):
 * the pod context from the pending pod as the orchestrator sees it, the service state from the
 * last interval's metrics, and the node mask and feature availability. Each backend writes its
 * own node telemetry window. */
#ifndef KISIM_OBS_H
#define KISIM_OBS_H

#include <stdint.h>

#include "common/config.h"
#include "spaces/spaces.h"
#include "spaces/view.h"

/* The service as the last interval measured it. */
typedef struct {
    int replicas; /* wanted: placed + pending */
    double offered_rps;
    double p50_ms, p95_ms, p99_ms;
    double error_rate;
    double utilization; /* mean replica CPU use over its request */
    double t;           /* seconds since the episode's traffic started */
} obs_service;

/* The four orchestrator features of a node, raw (x[FEAT_CPU_REQUESTED_RATIO ..
 * FEAT_GPU_UTILIZATION]): requested CPU and memory over allocatable, pods over max pods, GPUs
 * requested over GPUs. */
void obs_orchestrator_features(const node_view *v, double x[KISIM_F]);
/* pod[KISIM_P]: the pending pod's context, zeros when p is NULL (nothing pending). */
void obs_write_pod(float *pod, const pod_view *p);
/* svc[KISIM_S]: the service state, normalised as spaces.h says. */
void obs_write_service(float *svc, const kisim_config *c, const obs_service *m);
/* The observation's node mask (from the action mask's first n_max entries) and the
 * availability of each feature (cluster.unavailable_features). */
void obs_write_masks(float *obs, const env_spaces *sp, const uint8_t *mask, const kisim_config *c);

#endif

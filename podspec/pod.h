/* pod.h: the pod context (spaces/spaces.h, P = 11) of a Kubernetes Pod object as
 * kube-scheduler sends it to an extender: requests from the containers, the workload class,
 * priority, gang size and replica flag from the annotations, labels and owner references that
 * scheduler/EXTENDER.md lists. */
#ifndef KISIM_EXTENDER_POD_H
#define KISIM_EXTENDER_POD_H

#include <stdint.h>

#include "spaces/spaces.h"
#include "spaces/view.h"

struct cJSON;

/* Annotations and labels the extender reads (all optional). */
#define EXTENDER_ANN_CLASS "kisim.io/workload-class" /* latency-sensitive|cpu-bound|...|batch */
#define EXTENDER_ANN_PRIORITY "kisim.io/priority"    /* decimal in [0, 1] */
#define EXTENDER_ANN_GANG "kisim.io/gang-size"       /* integer >= 1 */
#define EXTENDER_LABEL_REPLICA "kisim.io/is-replica" /* "true" | "false" */
/* A node annotation "kisim.io/<feature name>" gives an orchestrator feature (features.h ORCH). */
#define EXTENDER_ANN_PREFIX "kisim.io/"

/* The GPU resources read, each compared with the node's allocatable of the same name. */
#define EXTENDER_GPU_KINDS 2
extern const char
    *const extender_gpu_resources[EXTENDER_GPU_KINDS]; /* nvidia.com/gpu, amd.com/gpu */

/* Kubernetes' defaults for a container without a request, as kube-scheduler's scoring uses
 * them (GetNonzeroRequests). */
#define EXTENDER_DEFAULT_CPU_M 100
#define EXTENDER_DEFAULT_MEM_B (200LL * 1024 * 1024)

/* What the pod asks for, as the orchestrator sees it. */
typedef struct {
    int64_t cpu_m; /* effective CPU request, millicores (kube-scheduler's PodRequests rule),
                      a container without one counting EXTENDER_DEFAULT_CPU_M (scoring) */
    int64_t mem_b; /* effective memory request, bytes; EXTENDER_DEFAULT_MEM_B likewise */
    int64_t fit_cpu_m, fit_mem_b; /* the same without those defaults: what NodeResourcesFit
                                     compares with a node's allocatable (filter) */
    int64_t gpus;                 /* nvidia.com/gpu + amd.com/gpu (the pod context's GPU request) */
    int64_t gpus_of[EXTENDER_GPU_KINDS]; /* each of extender_gpu_resources */
    pod_class cls;
    int is_replica;
    int gang_size;
    float priority; /* the pod context's priority, [0, 1] */
} extender_pod;

/* Fills ctx[KISIM_P] (normalised as spaces/spaces.h says) and *info from a v1.Pod JSON object.
 * KISIM_EINPUT with a message naming the field ("Pod.spec.containers[0].resources.requests.cpu:
 * \"x\" is not a Kubernetes quantity") for a malformed Pod or annotation value. */
int extender_pod_context(const struct cJSON *pod, float ctx[KISIM_P], extender_pod *info);

#endif

/* extender_json.h: kube-scheduler's extender wire format (k8s.io/kube-scheduler/extender/v1):
 * ExtenderArgs in, ExtenderFilterResult and HostPriorityList out. Keys are the capitalised Go
 * field names; like Go's decoder, struct fields match case-insensitively. */
#ifndef KISIM_EXTENDER_JSON_H
#define KISIM_EXTENDER_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "common/features.h"
#include "podspec/pod.h"
#include "spaces/spaces.h"

struct cJSON;

/* Orchestrator features (the ORCH rows of features.h), which follow the measured ones. */
#define EXTENDER_N_ORCH (KISIM_F - KISIM_F_MEASURED)

/* One candidate node. */
typedef struct {
    const char *name;         /* points into the request's tree */
    const struct cJSON *item; /* the v1.Node object (Nodes form), else NULL */
    /* From status.allocatable (status.capacity where allocatable lacks it); -1 when unknown
     * (always in the NodeNames form). */
    int64_t alloc_cpu_m, alloc_mem_b, alloc_pods;
    int64_t alloc_gpus[EXTENDER_GPU_KINDS]; /* of each of extender_gpu_resources */
    int64_t cap_mem_b; /* status.capacity.memory (physical memory), -1 when unknown */
    /* Orchestrator features from the node's kisim.io/<feature name> annotations, raw units;
     * orch_avail[j] = 0 where the node has none (the extender cannot see the requests of the
     * pods already on a node, so nothing else provides them). */
    float orch[EXTENDER_N_ORCH];
    uint8_t orch_avail[EXTENDER_N_ORCH];
} extender_node;

/* A parsed ExtenderArgs. */
typedef struct {
    struct cJSON *root;   /* owned: the whole request */
    int by_name;          /* 1: candidates from NodeNames (nodeCacheCapable), 0: Nodes */
    int has_nodes;        /* the request carried a Nodes list (filter echoes Nodes) */
    int n;                /* candidates */
    extender_node *nodes; /* owned [n] */
    float pod[KISIM_P];   /* pod context */
    extender_pod pod_info;
    const char *pod_name, *pod_namespace; /* "" when absent; point into root */
} extender_args;

/* Parses an ExtenderArgs body of len bytes (need not be NUL-terminated). When both NodeNames and
 * Nodes are present, NodeNames gives the candidates and Nodes only their details (by name, in
 * O((names + items) log names); a later item of a name replaces an earlier one). NodeNames or
 * Nodes.items longer than SCORE_MAX_NODES is refused before any per-node work. Returns 0, or
 * KISIM_EINPUT with a message naming the field, or KISIM_ENOMEM. On error *a is empty (free is
 * still safe). */
int extender_json_parse(extender_args *a, const char *body, size_t len);
void extender_json_free(extender_args *a);

/* A HostPriorityList for the candidates, score10[i] in [0, 10]; *out is malloc'ed, NUL-
 * terminated, *len its length. 0 or KISIM_ENOMEM. */
int extender_json_prioritize(char **out, size_t *len, const extender_args *a, const int *score10);

/* An ExtenderFilterResult: the candidates with fail[i] == NULL survive (echoed as NodeNames in
 * the NodeNames form, as the full Node objects in Nodes when the request had Nodes); the others
 * go to FailedAndUnresolvableNodes when unresolvable[i] (preemption cannot help), else
 * FailedNodes, with fail[i] as the message. 0 or KISIM_ENOMEM. */
int extender_json_filter(char **out, size_t *len, const extender_args *a, const char *const *fail,
                         const uint8_t *unresolvable);

/* {"Error":"msg"}: the body of an HTTP error answer (also a valid ExtenderFilterResult).
 * 0 or KISIM_ENOMEM. */
int extender_json_error(char **out, size_t *len, const char *msg);

/* Maps a 0..100 score to kube-scheduler's 0..10 (MaxExtenderPriority): rounds half up, so 0-4
 * -> 0, 5-14 -> 1, ..., 95-100 -> 10, and the neutral 50 -> 5. Out-of-range input is clamped. */
int extender_score10(double score100);

#endif

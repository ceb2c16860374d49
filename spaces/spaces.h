/* spaces.h: the observation, action and info layouts of every backend, defined once.
 *
 * Observation: one flat float32 array per env:
 *   nodes [N_max, T, F] | pod [P] | service [S] | node_mask [N_max] | availability [F]
 * Action: two int32, node in [0, N_max) and scale in {0, 1, 2} meaning -1 / 0 / +1 replica.
 * Action mask: uint8 [N_max + 3], the node mask then the scale mask.
 * Info: float32 [n_info], the named metrics and reward terms of KISIM_INFO below. */
#ifndef KISIM_SPACES_H
#define KISIM_SPACES_H

#include "common/features.h"

/* Pod context (P = 11): X(ID, name). Requests are normalised by the pod-context ranges in
 * spaces.c; the class is one-hot. */
#define KISIM_POD_CONTEXT(X)                                                                       \
    X(CPU_REQUEST, "cpu_request")                                                                  \
    X(MEMORY_REQUEST, "memory_request")                                                            \
    X(GPU_REQUEST, "gpu_request")                                                                  \
    X(CLASS_LATENCY_SENSITIVE, "class_latency_sensitive")                                          \
    X(CLASS_CPU_BOUND, "class_cpu_bound")                                                          \
    X(CLASS_MEMORY_BOUND, "class_memory_bound")                                                    \
    X(CLASS_IO_BOUND, "class_io_bound")                                                            \
    X(CLASS_BATCH, "class_batch")                                                                  \
    X(PRIORITY, "priority")                                                                        \
    X(GANG_SIZE, "gang_size")                                                                      \
    X(IS_REPLICA, "is_replica")

typedef enum {
#define POD_ENUM(id, name) POD_CTX_##id,
    KISIM_POD_CONTEXT(POD_ENUM)
#undef POD_ENUM
        KISIM_P
} pod_context_id;

/* Service state (S = 8). Latencies are divided by the timeout (so they lie in [0, 1]). */
#define KISIM_SERVICE_STATE(X)                                                                     \
    X(REPLICAS, "replicas")         /* replicas / max_replicas */                                  \
    X(OFFERED_LOAD, "offered_load") /* offered rps / fleet capacity at max replicas */             \
    X(P50, "p50")                                                                                  \
    X(P95, "p95")                                                                                  \
    X(P99, "p99")                                                                                  \
    X(ERROR_RATE, "error_rate")                                                                    \
    X(CPU_UTILIZATION, "cpu_utilization") /* mean replica utilisation of its CPU request */        \
    X(PROGRESS, "progress")               /* episode time / horizon */

typedef enum {
#define SVC_ENUM(id, name) SVC_##id,
    KISIM_SERVICE_STATE(SVC_ENUM)
#undef SVC_ENUM
        KISIM_S
} service_state_id;

/* Info: X(ID, name). Reward terms are weighted (they sum to `reward`); metrics are raw units.
 * ep_* are whole-episode values, set on the step that ends an episode (ep_done = 1), 0 else. */
#define KISIM_INFO(X)                                                                              \
    X(REWARD, "reward")                                                                            \
    X(R_LATENCY, "r_latency")                                                                      \
    X(R_ERRORS, "r_errors")                                                                        \
    X(R_THROUGHPUT, "r_throughput")                                                                \
    X(R_COST, "r_cost")                                                                            \
    X(R_CONTENTION, "r_contention")                                                                \
    X(R_INVALID, "r_invalid")                                                                      \
    X(TIME_S, "time_s")                                                                            \
    X(P50_MS, "p50_ms")                                                                            \
    X(P95_MS, "p95_ms")                                                                            \
    X(P99_MS, "p99_ms")                                                                            \
    X(ERROR_RATE, "error_rate")                                                                    \
    X(OFFERED_RPS, "offered_rps")                                                                  \
    X(SERVED_RPS, "served_rps")                                                                    \
    X(REPLICAS, "replicas")                                                                        \
    X(COST, "cost")                             /* this interval's cost, currency units */         \
    X(CONTENDED_REPLICAS, "contended_replicas") /* share of replicas on noisy nodes now */         \
    X(NOISY_NODES, "noisy_nodes")                                                                  \
    X(PLACED_NODE, "placed_node")           /* node of this decision, -1 if none */                \
    X(PLACED_REPLICA, "placed_replica")     /* 1 if it placed a service replica */                 \
    X(PLACED_CONTENDED, "placed_contended") /* 1 if that replica landed on a noisy node */         \
    X(INVALID_ACTION, "invalid_action")                                                            \
    X(UNSCHEDULABLE, "unschedulable") /* pods that fit nowhere since the last step */              \
    X(EP_DONE, "ep_done")                                                                          \
    X(EP_LENGTH, "ep_length") /* decisions */                                                      \
    X(EP_REWARD, "ep_reward")                                                                      \
    X(EP_P50_MS, "ep_p50_ms") /* request-weighted over the episode */                              \
    X(EP_P95_MS, "ep_p95_ms")                                                                      \
    X(EP_P99_MS, "ep_p99_ms")                                                                      \
    X(EP_ERROR_RATE, "ep_error_rate")                                                              \
    X(EP_THROUGHPUT_RPS, "ep_throughput_rps")                                                      \
    X(EP_COST, "ep_cost")                                                                          \
    X(EP_CONTENDED_SHARE, "ep_contended_share") /* replicas placed on noisy / placed */            \
    X(EP_REPLICA_SECONDS, "ep_replica_seconds")

typedef enum {
#define INFO_ENUM(id, name) INFO_##id,
    KISIM_INFO(INFO_ENUM)
#undef INFO_ENUM
        KISIM_N_INFO
} info_id;

extern const char *const pod_context_names[KISIM_P];
extern const char *const service_state_names[KISIM_S];
extern const char *const info_names[KISIM_N_INFO];

/* Normalisation of the pod context's amounts: request / this maximum, clipped to [0, 1]. */
#define POD_CPU_REQUEST_MAX 16.0    /* cores */
#define POD_MEMORY_REQUEST_MAX 64.0 /* GiB */
#define POD_GPU_REQUEST_MAX 8.0
#define POD_GANG_SIZE_MAX 16.0

/* Shapes and offsets of one env's flat arrays. */
typedef struct {
    int n_max;   /* N_max */
    int window;  /* T */
    int obs_dim; /* N_max*T*F + P + S + N_max + F */
    int off_nodes, off_pod, off_service, off_node_mask, off_availability;
    int mask_dim; /* N_max + 3 */
    int n_info;   /* KISIM_N_INFO */
} env_spaces;

void spaces_init(env_spaces *sp, int n_max, int window);

struct cJSON;
/* The spaces description as JSON: the observation's parts (shape, offset), the feature table
 * (name, unit, range, source), pod-context, service and info names, the action (nvec [N_max, 3])
 * and its mask. Sent once by servers and printed by `kisim env spaces`; NULL on OOM. */
struct cJSON *spaces_describe(const env_spaces *sp);

#endif

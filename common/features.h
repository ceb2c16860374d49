/* features.h: the node feature order, defined once. The sim, the collector, the scorers, the
 * dataset files, the wire protocols and the Python client all use this table (the Python client
 * receives the names from the server's `spaces` reply).
 *
 * The first 11 are measured on the node (eBPF collector, or the sim) in the order of the
 * KubeAttention architecture seed; the last four come from the orchestrator. Telemetry frames
 * carry raw units; observations carry (x - lo) / (hi - lo) clipped to [0, 1]. */
#ifndef KISIM_FEATURES_H
#define KISIM_FEATURES_H

/* X(ID, name, unit, lo, hi, source) where source is NODE (measured) or ORCH (orchestrator). */
#define KISIM_NODE_FEATURES(X)                                                                     \
    X(CPU_UTILIZATION, "cpu_utilization", "ratio", 0.0, 1.0, NODE)                                 \
    X(CPU_THROTTLE_RATE, "cpu_throttle_rate", "ratio", 0.0, 1.0, NODE)                             \
    X(MEMORY_UTILIZATION, "memory_utilization", "ratio", 0.0, 1.0, NODE)                           \
    X(MEMORY_BANDWIDTH_GBPS, "memory_bandwidth_gbps", "GB/s", 0.0, 50.0, NODE)                     \
    X(L3_CACHE_MISS_RATE, "l3_cache_miss_rate", "ratio", 0.0, 1.0, NODE)                           \
    X(L3_CACHE_OCCUPANCY_MB, "l3_cache_occupancy_mb", "MB", 0.0, 64.0, NODE)                       \
    X(DISK_IO_WAIT_MS, "disk_io_wait_ms", "ms", 0.0, 50.0, NODE)                                   \
    X(DISK_IOPS, "disk_iops", "1/s", 0.0, 50000.0, NODE)                                           \
    X(NETWORK_RX_PACKETS_SEC, "network_rx_packets_sec", "1/s", 0.0, 500000.0, NODE)                \
    X(NETWORK_TX_PACKETS_SEC, "network_tx_packets_sec", "1/s", 0.0, 500000.0, NODE)                \
    X(NETWORK_DROP_RATE, "network_drop_rate", "ratio", 0.0, 0.1, NODE)                             \
    X(CPU_REQUESTED_RATIO, "cpu_requested_ratio", "ratio", 0.0, 1.0, ORCH)                         \
    X(MEMORY_REQUESTED_RATIO, "memory_requested_ratio", "ratio", 0.0, 1.0, ORCH)                   \
    X(PODS_RATIO, "pods_ratio", "ratio", 0.0, 1.0, ORCH)                                           \
    X(GPU_UTILIZATION, "gpu_utilization", "ratio", 0.0, 1.0, ORCH)

typedef enum {
#define FEAT_ENUM(id, name, unit, lo, hi, src) FEAT_##id,
    KISIM_NODE_FEATURES(FEAT_ENUM)
#undef FEAT_ENUM
        KISIM_F /* number of node features (15) */
} feature_id;

typedef enum { FEAT_SOURCE_NODE, FEAT_SOURCE_ORCH } feature_source;

typedef struct {
    const char *name;
    const char *unit;
    double lo, hi; /* normalisation range, raw units */
    feature_source source;
} feature_info;

extern const feature_info kisim_features[KISIM_F];

/* Number of node-measured features (the first ones in the table). */
#define KISIM_F_MEASURED 11
/* Number of orchestrator features (the last ones: requests, pods, GPU). */
#define KISIM_F_ORCH (KISIM_F - KISIM_F_MEASURED)

/* Index of a feature by name, or -1. */
int feature_index(const char *name);
/* Raw value to observation value: (x - lo) / (hi - lo), clipped to [0, 1]. */
static inline float feature_normalize(int f, double raw)
{
    double v = (raw - kisim_features[f].lo) / (kisim_features[f].hi - kisim_features[f].lo);
    return (float)(v < 0 ? 0 : v > 1 ? 1 : v);
}
/* Observation value back to raw units. */
static inline double feature_denormalize(int f, float v)
{
    return kisim_features[f].lo + (double)v * (kisim_features[f].hi - kisim_features[f].lo);
}
/* The feature order as a JSON array of names (for checkpoints and the wire); static storage. */
const char *feature_order_json(void);

#endif

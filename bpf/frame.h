/* frame.h: a telemetry frame's JSON body and the Prometheus /metrics page, from the units the
 * collector sampled (node.h). */
#ifndef KISIM_BPF_FRAME_H
#define KISIM_BPF_FRAME_H

#include "bpf/collect_bpf.h"
#include "bpf/node.h"

/* {"v":1,"node","ts_ms","features","available","pods"} of one node and its pods (pods without a
 * sample yet are left out). Caller frees; NULL when out of memory. */
char *frame_json(const node_unit *n, node_unit *const *pods, int n_pods, long long ts_ms);
/* The /metrics page: every node's features and availability, each BPF program's run count and
 * time, frames published. Caller frees; NULL when out of memory. */
char *frame_metrics_text(collect *c, node_unit *const *nodes, int n_nodes, long frames);

#endif

/* shadow.h: shadow mode's decision log (internal to scheduler/): one JSON line per decision in
 * the dataset's event schema (agent/DATASET.md), appended to a file. What the service cannot
 * know at decision time is marked so: "oracle" -1, "outcome" "unknown", and of the labels only
 * "bootstrap" (the seed's label, computed from the telemetry). Service fields are added:
 * "ts_ms", "node_names", "scores", "confidence", "link", "version". */
#ifndef KISIM_SHADOW_H
#define KISIM_SHADOW_H

#include <stdint.h>

#include "scheduler/score.h"

typedef struct shadow_log shadow_log;

/* Opens path for appending (created 0644). KISIM_EIO naming the file. */
int shadow_open(shadow_log **out, const char *path);
void shadow_close(shadow_log *l);

/* One decision: n candidates, window T; nodes [n, T, F] normalised (zeros for nodes scored
 * without telemetry), avail [F], mask [n] (1 = scored from telemetry), the computed reply. One
 * write(2) per line, so concurrent writers never interleave. */
int shadow_write(shadow_log *l, const score_request *req, int T, const float *nodes,
                 const float *avail, const uint8_t *mask, const score_reply *computed);

#endif

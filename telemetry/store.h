/* store.h: the scoring service's telemetry store (docs/ARCHITECTURE.md, "Telemetry
 * frames" and "The scoring service"): the last T
 * samples of every node, from collectors' frames (telemetry/frame.h), with the orchestrator's
 * features merged in and the pods each node reported. Samples are stamped with the store's
 * clock when they arrive; a node whose last sample is older than the staleness limit (10 s)
 * is stale and not used. A background thread can receive frames on ZeroMQ SUB sockets.
 * Thread-safe: one writer lock, many readers. */
#ifndef KISIM_TELEM_STORE_H
#define KISIM_TELEM_STORE_H

#include <stdint.h>

#include "common/clock.h"
#include "common/features.h"
#include "telemetry/frame.h"

#define TELEM_MAX_WINDOW 64 /* T: most samples kept per node */

typedef struct telem_store telem_store;

typedef enum { TELEM_FRESH = 0, TELEM_STALE = 1, TELEM_UNKNOWN = 2 } telem_status;

/* window T in 1..64, stale_ms > 0; clock NULL = CLOCK_MONOTONIC. */
int telem_store_open(telem_store **out, int window, int stale_ms, kisim_clock_fn clock,
                     void *clock_arg);
/* Stops the receiver thread (if any) and frees; NULL is fine. */
void telem_store_close(telem_store *st);

/* Appends the frame's sample to its node's ring (creating the node), stamped now, and keeps
 * its pods. Orchestrator features the frame has (available) update the node's known ones. */
int telem_store_put(telem_store *st, const telem_frame *f);
/* Sets a node's orchestrator features (raw, [KISIM_F_ORCH], NaN = unknown, left as it was). */
int telem_store_set_orch(telem_store *st, const char *node, const float *orch);

/* A node's window: win [T, F] raw, oldest first (with fewer than T samples the oldest is
 * repeated), avail [F] (the last frame's availability, plus the orchestrator features known).
 * Returns the node's status; win/avail are written only for TELEM_FRESH and TELEM_STALE.
 * age_ms (may be NULL) gets the age of the last sample. */
telem_status telem_store_get(telem_store *st, const char *node, float *win, uint8_t *avail,
                             int64_t *age_ms);

/* Calls fn for each pod the fresh nodes reported in their last frame (node, pod name, the
 * pod's features and availability), under the read lock: fn must not call back into the store. */
typedef void (*telem_pod_fn)(void *arg, const char *node, const telem_frame_pod *pod);
void telem_store_each_pod(telem_store *st, telem_pod_fn fn, void *arg);
/* Names of the fresh nodes (malloc'd array of malloc'd strings, *n of them); caller frees each
 * and the array. */
int telem_store_fresh_nodes(telem_store *st, char ***names, int *n);

int telem_store_window(const telem_store *st);
void telem_store_counts(telem_store *st, int *nodes, int *stale, uint64_t *frames_ok,
                        uint64_t *frames_bad);

/* Starts the receiver thread: a SUB socket subscribed to "telemetry.", bound to `bind` (may be
 * NULL) and connected to each of connect[0..n). Frames that do not parse, or whose topic does
 * not match their node, are counted bad and logged (at most one line a second). Once. */
int telem_store_listen(telem_store *st, const char *bind, const char *const *connect, int n);
/* The endpoint the SUB socket bound (after listen), "" if none. */
const char *telem_store_endpoint(const telem_store *st);

#endif

/* store.h: the scoring service's telemetry store (docs/ARCHITECTURE.md, "Telemetry
 * frames" and "The scoring service"): the last T
 * samples of every node, from collectors' frames (telemetry/frame.h), with the orchestrator's
 * features merged in and the pods each node reported. A frame is refused when its ts_ms (the
 * collector's wall clock) is older than the staleness limit or more than 5 s ahead of this
 * host's; a sample is dated by its ts_ms, on the store's monotonic clock, so a node whose last
 * sample was measured more than the staleness limit (10 s) ago is stale and not used. The store
 * holds at most 65,536 nodes and 262,144 pods: past either, the least recently seen node (or its
 * pods) make room. A background thread can receive frames on ZeroMQ SUB sockets, optionally as
 * a CURVE server whose collector keys are each bound to node names (telemetry/auth.h).
 * Thread-safe: one writer lock, many readers. */
#ifndef KISIM_TELEM_STORE_H
#define KISIM_TELEM_STORE_H

#include <stdint.h>

#include "common/clock.h"
#include "common/features.h"
#include "telemetry/auth.h"
#include "telemetry/frame.h"

#define TELEM_MAX_WINDOW 64         /* T: most samples kept per node */
#define TELEM_MAX_AHEAD_MS 5000     /* a frame's ts_ms may be this far ahead of the store's wall */
#define TELEM_STORE_MAX_NODES 65536 /* nodes held; a new one past it evicts the least recent */
/* Pods held over all nodes: above Kubernetes' 150,000-pod cluster limit, and 256 nodes of
 * TELEM_FRAME_MAX_PODS; past it the least recently seen nodes' pods are dropped first. */
#define TELEM_STORE_MAX_PODS 262144

typedef struct telem_store telem_store;

typedef enum { TELEM_FRESH = 0, TELEM_STALE = 1, TELEM_UNKNOWN = 2 } telem_status;

/* window T in 1..64, stale_ms > 0; clock NULL = CLOCK_MONOTONIC. */
int telem_store_open(telem_store **out, int window, int stale_ms, kisim_clock_fn clock,
                     void *clock_arg);
/* Stops the receiver thread (if any) and frees; NULL is fine. */
void telem_store_close(telem_store *st);

/* The wall clock that frames' ts_ms are checked against (default CLOCK_REALTIME); tests inject
 * their own. Call before frames arrive. */
void telem_store_set_wall_clock(telem_store *st, kisim_clock_fn wall, void *arg);

/* Appends the frame's sample to its node's ring (creating the node, evicting the least recently
 * seen one when the store is full), dated by its ts_ms, and keeps its pods. Orchestrator
 * features the frame has (available) update the node's known ones. A frame whose ts_ms is older
 * than the staleness limit or more than TELEM_MAX_AHEAD_MS ahead is refused: KISIM_EINPUT naming
 * the node, counted under its reason. Every frame is counted (ok, or its refusal). */
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
/* frames_bad is the sum of every refusal reason. Any pointer may be NULL. */
void telem_store_counts(telem_store *st, int *nodes, int *stale, uint64_t *frames_ok,
                        uint64_t *frames_bad);
/* The store's counters (the scoring service's /metrics). */
typedef struct {
    uint64_t frames_ok;
    uint64_t refused[TELEM_N_REFUSALS]; /* frames, by telem_refusal */
    uint64_t evicted_nodes;             /* least recently seen nodes dropped for a new one */
    uint64_t evicted_pods;              /* pods dropped to keep TELEM_STORE_MAX_PODS */
    uint64_t keys_refused;              /* CURVE handshakes from keys not in the collectors file */
    long pods;                          /* pods held now */
} telem_store_tally;
void telem_store_tally_get(telem_store *st, telem_store_tally *t);

/* Makes the receiver's SUB socket a CURVE server (secret_z85: its 40-character Z85 secret key)
 * that admits only the collectors auth lists, and refuses (counted TELEM_REFUSED_WRONG_NODE) a
 * frame whose node the sending key is not bound to. Takes auth (freed by close, also on error).
 * Before telem_store_listen. */
int telem_store_curve(telem_store *st, const char *secret_z85, telem_auth *auth);

/* Starts the receiver thread: a SUB socket subscribed to "telemetry.", bound to `bind` (may be
 * NULL) and connected to each of connect[0..n). Frames that do not parse, or whose topic does
 * not match their node, are counted bad and logged (at most one line a second). Once. */
int telem_store_listen(telem_store *st, const char *bind, const char *const *connect, int n);
/* The endpoint the SUB socket bound (after listen), "" if none. */
const char *telem_store_endpoint(const telem_store *st);

#endif

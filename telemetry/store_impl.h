/* store_impl.h: the telemetry store's insides, shared by store.c (nodes, rings, the name index
 * and the eviction lists) and store_recv.c (the ZeroMQ receiver thread and its CURVE checks).
 * Not part of the store's interface: include telemetry/store.h instead. */
#ifndef KISIM_TELEM_STORE_IMPL_H
#define KISIM_TELEM_STORE_IMPL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "telemetry/auth.h"
#include "telemetry/store.h"

typedef struct {
    char name[TELEM_FRAME_NAME_MAX + 1];
    uint32_t hash;            /* of name, kept so the index can move entries without rehashing */
    float *ring;              /* [T, F] raw, slot (head + t) % T; owned, reused on eviction */
    int head, count;          /* next slot to write; samples held (<= T) */
    uint8_t avail[KISIM_F];   /* of the last frame */
    float orch[KISIM_F_ORCH]; /* latest known orchestrator features */
    uint8_t orch_known[KISIM_F_ORCH];
    int64_t last_ms;       /* store clock when the last sample was measured; INT64_MIN: none */
    telem_frame_pod *pods; /* of the last frame, owned */
    int n_pods;
    /* Two intrusive lists of node indices, -1 ends: every node, least recently seen first (the
     * next one to evict), and the nodes that hold pods, in the same order (whose pods go first
     * when the store's pod budget is spent). */
    int prev, next, pprev, pnext;
} store_node;

typedef struct {
    int head, tail; /* oldest, newest; -1 when empty */
} store_list;

struct telem_store {
    pthread_rwlock_t lock;
    int T, stale_ms;
    kisim_clock_fn clock, wall;
    void *clock_arg, *wall_arg;
    store_node *nodes; /* [n, cap], owned; every index below n is a live node */
    int n, cap;
    int *table; /* open addressing, linear probing: node index + 1, 0 empty; [table_cap] */
    int table_cap;
    store_list seen, with_pods;
    long total_pods;
    uint64_t frames_ok, refused[TELEM_N_REFUSALS], evicted_nodes, evicted_pods, keys_refused;
    /* receiver */
    void *ctx, *sub, *zap; /* zap: the ZAP handler's REP socket, with CURVE only */
    telem_auth *auth;      /* owned; NULL without CURVE */
    char curve_secret[41];
    pthread_t thread;
    int running;
    atomic_int stop; /* set by close, read by the receiver thread */
    char endpoint[256];
};

/* Frees the nodes, the index and the lock (the end of telem_store_close). */
void telem_store_free_nodes(telem_store *st);
/* Counts a frame refused before it reached telem_store_put (takes the write lock). */
void telem_store_count_refusal(telem_store *st, telem_refusal why);

#endif

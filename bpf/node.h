/* node.h: one unit the collector reports on (a node, or a pod inside a node): where its cgroups
 * are, its previous cumulative counters, and the 15 features of common/features.h computed from
 * two snapshots. A node is the whole machine or a cgroup subtree; its pods are the child cgroups
 * of that subtree. */
#ifndef KISIM_BPF_NODE_H
#define KISIM_BPF_NODE_H

#include <limits.h>

#include "bpf/cgroupfs.h"
#include "bpf/collect_bpf.h"
#include "common/features.h"

#define NODE_FULL_WALK 60
#define NODE_MIN_WALK 5

typedef struct {
    char name[128];
    int whole; /* 1: the whole machine; else the directories below are the subtree's roots */
    char cpu_dir[PATH_MAX], acct_dir[PATH_MAX], mem_dir[PATH_MAX], blk_dir[PATH_MAX]; /* "": none */
    int have_prev;
    double prev_t;
    struct telem_counters prev_task, prev_blk, prev_total;
    cgroupfs_tree bw;   /* the last reading of the cpu hierarchy (throttling); owned */
    unsigned ticks;     /* readings so far (the whole machine re-walks every NODE_FULL_WALK) */
    int walked_count;   /* cgroups in the cpu hierarchy at the last walk (/proc/cgroups) */
    unsigned walked_at; /* ticks at the last walk (0: never) */
    unsigned long long prev_cpu_ns;
    int prev_have_cpu_ns;
    unsigned long long prev_llc_refs, prev_llc_misses;
    double feat[KISIM_F]; /* raw units; meaningful where avail is 1 */
    int avail[KISIM_F];
    int valid; /* feat/avail hold a sample (needs two readings) */
} node_unit;

/* Sets up a unit: rel NULL for the whole machine, else the cgroup path relative to each
 * controller's root ("kisim/node1"). */
void node_unit_init(node_unit *u, const char *name, const char *rel);
/* Reads the cgroup files (CPU time, throttling, memory), sums the snapshot over the unit's subtree
 * and, from the second call on, computes the features of the interval since the previous call.
 * ncpu: the CPUs the unit may use at most (online CPUs for a node, its node's capacity for a pod);
 * a CFS quota lowers it. */
int node_unit_sample(node_unit *u, const collect_snap *s, double ncpu);
/* Frees what the unit owns (not the unit). */
void node_unit_free(node_unit *u);

#endif

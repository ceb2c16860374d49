/* collect_bpf.h: the collector's BPF side seen from user space: open -> load -> attach the
 * programs of collect.bpf.c, and read their counters as one snapshot (whole machine plus one
 * entry per cgroup id). */
#ifndef KISIM_BPF_COLLECT_BPF_H
#define KISIM_BPF_COLLECT_BPF_H

#include "bpf/collect.h"

typedef struct collect collect;

typedef struct {
    unsigned long long id; /* cgroup id (the cgroup directory's inode number) */
    struct telem_counters c;
} collect_cg;

/* One reading of every counter. Owns task and blk (sorted by id). */
typedef struct {
    double t;                    /* CLOCK_MONOTONIC seconds at the reading */
    struct telem_counters total; /* whole machine */
    collect_cg *task;            /* cpu-hierarchy cgroups: tx_pkts */
    int n_task;
    collect_cg *blk; /* blkio-hierarchy cgroups: io_* */
    int n_blk;
    int have_llc; /* the caller filled llc_* from the PMU (pmu.h) */
    unsigned long long llc_refs, llc_misses;
} collect_snap;

/* Opens, loads and attaches every program. cpu_hier is the v1 hierarchy id of the cpu
 * controller, 0 for cgroup v2. Returns 0 or a negative kisim_err (message set). */
int collect_open(collect **out, unsigned cpu_hier);
/* Detaches everything and frees; NULL is safe. */
void collect_close(collect *c);
/* Reads all counters into s (which the caller frees with collect_snap_free). */
int collect_read(collect *c, collect_snap *s);
void collect_snap_free(collect_snap *s);
/* The counters of one cgroup id, or NULL. */
const struct telem_counters *collect_snap_find(const collect_cg *v, int n, unsigned long long id);
/* Each program's name, run count and run time (kernel.bpf_stats_enabled must be 1 for these to
 * grow). Calls fn once per program. */
void collect_prog_stats(collect *c,
                        void (*fn)(void *arg, const char *name, unsigned long long run_cnt,
                                   unsigned long long run_time_ns),
                        void *arg);

#endif

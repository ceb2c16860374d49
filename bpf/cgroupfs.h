/* cgroupfs.h: what the collector reads from cgroup files rather than from BPF: the subtree of a
 * node (its cgroup ids, for summing BPF counters), CPU throttling (cpu.stat), the memory ratio and
 * the CPU capacity. A cgroup's own files are parsed by cgroup/cgroup.h (the CPU time, read by
 * node.c, too). Works on cgroup v1 (one mount per controller) and v2.
 */
#ifndef KISIM_BPF_CGROUPFS_H
#define KISIM_BPF_CGROUPFS_H

/* A cgroup with a CFS quota, or whose bandwidth control has run (cpu.stat nr_periods > 0): only
 * these can be throttled. */
typedef struct {
    unsigned long long ino, periods, throttled;
    char *path; /* owned */
} cgroupfs_bw;

/* A cgroup subtree: every cgroup id (directory inode) under it, and the cpu.stat of those whose
 * bandwidth control ran, sorted by inode. */
typedef struct {
    unsigned long long *ids; /* owned, sorted */
    int n, cap;
    cgroupfs_bw *bw; /* owned, sorted by ino */
    int n_bw, cap_bw;
    int has_cpu_stat; /* 1 if any cpu.stat was read */
} cgroupfs_tree;

/* The v1 hierarchy id of a controller from /proc/cgroups; 0 when it is on the unified (v2)
 * hierarchy; -1 if the kernel does not know the controller. */
int cgroupfs_hier_id(const char *controller);
/* How many cgroups the controller's hierarchy has now (/proc/cgroups), -1 if unknown. */
int cgroupfs_count(const char *controller);
/* The folder under which a controller's cgroups live: /sys/fs/cgroup/<controller> on v1,
 * /sys/fs/cgroup on v2; NULL if neither exists. Static storage. */
const char *cgroupfs_root(const char *controller);
/* Collects dir and every folder below it. 0, or KISIM_EIO if dir cannot be read. */
int cgroupfs_walk(const char *dir, cgroupfs_tree *t);
void cgroupfs_tree_free(cgroupfs_tree *t);
/* Re-reads only the cpu.stat files of t->bw (no walk); cgroups that are gone are dropped. */
void cgroupfs_reread(cgroupfs_tree *t);
/* CFS periods and throttled periods between two readings of a tree, summed over the cgroups in
 * both (a cgroup that appeared or went away in between adds nothing, so there are no jumps). */
void cgroupfs_bw_delta(const cgroupfs_tree *prev, const cgroupfs_tree *now, double *periods,
                       double *throttled);
/* Working set (usage minus inactive file pages, as the kubelet counts it) over the limit, the
 * limit being at most the machine's memory. dir NULL: the whole machine from /proc/meminfo.
 * 0, or KISIM_EIO. */
int cgroupfs_memory(const char *dir, double *ratio);
/* CPUs the cgroup may use: its CFS quota / period, at most ncpu (ncpu when it has no quota). */
double cgroupfs_cpu_capacity(const char *dir, double ncpu);

#endif

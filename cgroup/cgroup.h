/* cgroup.h: reading a cgroup's files, v1 or v2: its CPU quota, the CPU time charged to it, its
 * memory use and limit, and the primitives under them (small kernel files, "KEY VALUE" files).
 * The collector (bpf/cgroupfs.c) and the local backend (env/local/local_cgroup.c) both read
 * through here; writing cgroup files, walking subtrees and finding the mounts stay with them.
 * A folder's version is told by the file it has (cpu.cfs_quota_us or cpu.max, cpuacct.usage or
 * cpu.stat, memory.usage_in_bytes or memory.current), so a caller passes only the folder: on v1
 * the one in the right controller's hierarchy. Numbers are parsed strictly: a file that does not
 * hold what its name says is an error naming it, never a 0. */
#ifndef KISIM_CGROUP_H
#define KISIM_CGROUP_H

#include <stddef.h>

/* A limit that is not set: v2's "max", v1's -1. */
#define CGROUP_UNLIMITED (~0ULL)

/* 1 if /sys/fs/cgroup is the unified (v2) hierarchy, 0 if not (v1 mounts, or none). */
int cgroup_unified(void);

/* The whole of a small kernel file (cgroup and /proc files: one open, read(2) until EOF, no
 * stdio) into buf, NUL-terminated: its length, or -errno. Sets no error message: a missing file
 * is often an answer (a folder without cpu.stat, a process that is gone), and the caller knows
 * which. */
long cgroup_read_file(const char *path, char *buf, size_t size);

/* A file of "KEY VALUE" lines (cpu.stat, memory.stat, /proc/meminfo; VALUE a decimal number,
 * optionally followed by a unit): sets v[i] for each key found whose value is a number. Returns
 * how many it set, or -errno if the file cannot be read (no message, as cgroup_read_file). */
int cgroup_read_keys(const char *path, const char *const *keys, unsigned long long *v, int n);

/* The CFS quota of the cgroup dir in CPUs (quota / period; 0.5 for "50000 100000"), 0 when it has
 * none: v1 cpu.cfs_quota_us and cpu.cfs_period_us, v2 cpu.max. 0; KISIM_EIO naming dir when
 * neither version's file can be read; KISIM_EINPUT naming the file when it holds no quota and
 * period (a period of 0 included). */
int cgroup_cpu_quota(const char *dir, double *cpus);

/* On-CPU time the scheduler has charged to dir and everything below it, in ns: v1 cpuacct.usage
 * (dir in the cpuacct hierarchy), v2 cpu.stat usage_usec. 0; KISIM_EIO naming dir when neither
 * file can be read; KISIM_EINPUT naming the file when it holds no number (usage_usec included). */
int cgroup_cpu_usage(const char *dir, unsigned long long *ns);

/* A cgroup's memory, in bytes. */
typedef struct {
    unsigned long long usage;         /* v1 memory.usage_in_bytes, v2 memory.current */
    unsigned long long inactive_file; /* memory.stat (v1 total_inactive_file); 0 when absent */
    /* v1 memory.stat hierarchical_memory_limit (the least of its own and its ancestors'; about
     * 2^63 when none is set), v2 memory.max (CGROUP_UNLIMITED for "max" or no file, as at the
     * root) */
    unsigned long long limit;
} cgroup_memory;

/* Reads dir's memory (dir in the memory hierarchy on v1). 0; KISIM_EIO naming dir when neither
 * memory.usage_in_bytes nor memory.current can be read; KISIM_EINPUT naming the file when the
 * usage or memory.max is not a number. */
int cgroup_memory_read(const char *dir, cgroup_memory *m);

#endif

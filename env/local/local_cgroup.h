/* local_cgroup.h: the local backend's cgroups and processes. A node is a cgroup with a CPU quota
 * and a memory limit; a pod is a child cgroup holding the processes started in it. Groups live
 * under PARENT/INSTANCE, INSTANCE naming the owning process ("<pid>-<start time>-<seq>"), so a
 * later run can tell a crashed run's groups (owner gone) from a live one's and remove only those.
 * Removing a group kills every process listed in its subtree's cgroup.procs, then removes the
 * folders. cgroup v1 (groups made in the cpu, cpuacct, memory and, when mounted, blkio
 * hierarchies) or v2 (one unified tree), detected at run time. Needs root. */
#ifndef KISIM_LOCAL_CGROUP_H
#define KISIM_LOCAL_CGROUP_H

#include <limits.h>
#include <sys/types.h>

#define LOCAL_CGROUP_ROOTS 4

typedef struct {
    int v2;                                  /* 1: the unified hierarchy */
    int n;                                   /* hierarchies groups are made in */
    char root[LOCAL_CGROUP_ROOTS][PATH_MAX]; /* their mount points (deduplicated) */
    int cpu, acct, mem;                      /* index of the root with cpu.*, cpuacct.*, memory.* */
} local_cgroup;

/* Finds the hierarchies. KISIM_EUNSUPPORTED (naming what is missing) when neither cgroup v2 nor
 * v1 cpu, cpuacct and memory hierarchies are mounted. */
int local_cgroup_open(local_cgroup *cg);
/* Makes the group `rel` (relative to every root, e.g. "kisim/123-456-0/n0") and its missing
 * ancestors; on v2 enables the cpu and memory controllers for its subtree. KISIM_EIO. */
int local_cgroup_make(const local_cgroup *cg, const char *rel);
/* CFS quota: `cores` CPUs per 100 ms period (cores <= 0: no quota). KISIM_EIO. */
int local_cgroup_set_cpu(const local_cgroup *cg, const char *rel, double cores);
/* Memory limit in bytes. KISIM_EIO. */
int local_cgroup_set_memory(const local_cgroup *cg, const char *rel, long long bytes);
/* Reads back the CPU quota in cores (0 when unlimited; cgroup_cpu_quota). KISIM_EIO, or
 * KISIM_EINPUT for a file that holds no quota. */
int local_cgroup_cpu_quota(const local_cgroup *cg, const char *rel, double *cores);
/* Total CPU time the group's processes used, nanoseconds (cgroup_cpu_usage). KISIM_EIO, or
 * KISIM_EINPUT for a file that holds no number. */
int local_cgroup_usage_ns(const local_cgroup *cg, const char *rel, unsigned long long *ns);

/* Starts argv[0] (an absolute path) with argv in the group `rel`: the child writes its pid into
 * cgroup.procs of every hierarchy, starts a new session, gets SIGKILL when this process dies,
 * reads /dev/null and writes to `log` (appended; NULL: /dev/null), closes every other file
 * descriptor and execs. Returns 0 with *pid once the exec succeeded, or KISIM_EIO naming the
 * step that failed (the child is reaped then). */
int local_cgroup_spawn(const local_cgroup *cg, const char *rel, char *const argv[], const char *log,
                       pid_t *pid);
/* Moves a running process (and, on v1, only that process's threads group) into the group `rel`
 * of every hierarchy. KISIM_EIO. */
int local_cgroup_move(const local_cgroup *cg, const char *rel, pid_t pid);
/* 1 if pid is in the group `rel` of every hierarchy, 0 if not. */
int local_cgroup_has_pid(const local_cgroup *cg, const char *rel, pid_t pid);
/* Number of processes in the subtree of `rel` (first hierarchy); 0 when it does not exist. */
int local_cgroup_count_procs(const local_cgroup *cg, const char *rel);
/* 1 if the group exists in any hierarchy. */
int local_cgroup_exists(const local_cgroup *cg, const char *rel);

/* SIGKILLs every process in the subtree of `rel` until none is left (at most timeout_s), then
 * removes its folders, deepest first, in every hierarchy. 0 when nothing is left (also when it
 * never existed); KISIM_EIO naming the group otherwise. */
int local_cgroup_remove(const local_cgroup *cg, const char *rel, double timeout_s);

/* This process's instance name with sequence number seq: "<pid>-<start time>-<seq>". */
void local_cgroup_instance(char *buf, size_t n, int seq);
/* 1 if `name` is an instance name whose owner process no longer runs, 0 otherwise (a live
 * owner, or a folder that is not an instance). */
int local_cgroup_is_stale(const char *name);
/* Removes every stale instance under `parent` (in any hierarchy). *removed (optional) gets how
 * many. 0, or the first removal's error. */
int local_cgroup_clean_stale(const local_cgroup *cg, const char *parent, int *removed);

#endif

/* bench_load.h: the load `kisim bench collect` runs under: a paced loopback UDP sender and its
 * receiver, and back-to-back 4 KiB direct-I/O writers, each a child process (stopped by pid)
 * inside a cgroup the benchmark creates; and the machine's own counts of both. */
#ifndef KISIM_BPF_BENCH_LOAD_H
#define KISIM_BPF_BENCH_LOAD_H

#include <sys/types.h>

#define BENCH_LOAD_MAX_WRITERS 16

typedef struct {
    long pps;        /* UDP datagrams per second over loopback; 0: none */
    long writers;    /* direct-I/O writer processes, each on its own 64 MiB of the file */
    const char *dir; /* folder of the direct-I/O file */
} bench_load_opts;

typedef struct {
    pid_t pid[2 + BENCH_LOAD_MAX_WRITERS]; /* receiver, sender, writers */
    char file[4096];
} bench_load;

/* Creates (make 1) or removes (make 0) cgroup rel in the cpu, cpuacct, memory and blkio
 * hierarchies (once on cgroup v2). */
int bench_load_cgroup(const char *rel, int make);
/* Starts the load with every process in cgroup rel. */
int bench_load_start(bench_load *l, const bench_load_opts *o, const char *rel);
/* Stops the load's processes (SIGKILL by pid) and removes the file. */
void bench_load_stop(bench_load *l);
/* Loopback packets received (/proc/net/dev) and block requests completed on blk-mq disks
 * (/proc/diskstats), cumulative. */
void bench_load_counts(unsigned long long *lo_pkts, unsigned long long *disk_ios);
/* A free TCP port on 127.0.0.1 (bound, read, released). */
int bench_load_free_port(void);

#endif

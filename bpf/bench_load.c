/* bench_load.c: the load of `kisim bench collect` (see bench_load.h): child processes in a
 * benchmark cgroup sending paced loopback UDP and writing 4 KiB blocks with O_DIRECT (in parallel),
 * and the machine's own packet and block request counters to check the load reached its rate. */
#include "bpf/bench_load.h"
#include "common/clock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bpf/cgroupfs.h"
#include "common/err.h"

static const char *const ctrls[] = {"cpu", "cpuacct", "memory", "blkio"};
#define N_CTRLS 4

int bench_load_cgroup(const char *rel, int make)
{
    char path[PATH_MAX], done[N_CTRLS][PATH_MAX];
    for (int i = 0; i < N_CTRLS; i++) {
        const char *root = cgroupfs_root(ctrls[i]);
        done[i][0] = 0;
        if (!root) continue;
        snprintf(path, sizeof path, "%s/%s", root, rel);
        int seen = 0; /* cgroup v2 or co-mounted controllers: one folder */
        for (int j = 0; j < i; j++)
            seen |= !strcmp(done[j], path);
        snprintf(done[i], sizeof done[i], "%s", path);
        if (seen) continue;
        if (make && mkdir(path, 0755) && errno != EEXIST)
            return kisim_seterr(KISIM_EIO, "bench collect: cannot create cgroup %s: %s", path,
                                strerror(errno));
        if (!make) rmdir(path);
    }
    return 0;
}

/* Moves the calling process into cgroup rel of every controller. */
static void enter_cgroup(const char *rel)
{
    char path[PATH_MAX], pid[32];
    snprintf(pid, sizeof pid, "%d", (int)getpid());
    for (int i = 0; i < N_CTRLS; i++) {
        const char *root = cgroupfs_root(ctrls[i]);
        if (!root) continue;
        snprintf(path, sizeof path, "%s/%s/cgroup.procs", root, rel);
        int fd = open(path, O_WRONLY);
        if (fd >= 0 && write(fd, pid, strlen(pid)) < 0)
            fprintf(stderr, "bench collect: %s: %s\n", path, strerror(errno));
        if (fd >= 0) close(fd);
    }
}

static void receiver(int fd)
{
    char buf[2048];
    for (;;)
        if (recv(fd, buf, sizeof buf, 0) < 0 && errno != EINTR) _exit(1);
}

/* Sends what is due every millisecond: pps datagrams of 64 bytes per second on average. */
static void sender(int port, long pps)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a)) _exit(1);
    char msg[64] = {0};
    double t0 = clock_mono_s();
    long long sent = 0;
    for (;;) {
        long long due = (long long)((clock_mono_s() - t0) * (double)pps);
        while (sent < due) {
            send(fd, msg, sizeof msg,
                 0); /* a full receive buffer drops; the rate is still offered */
            sent++;
        }
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
}

/* Back-to-back 4 KiB O_DIRECT writes over the i-th 64 MiB of path. */
static void writer(const char *path, int i)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_DIRECT, 0600);
    void *buf;
    if (fd < 0 || posix_memalign(&buf, 4096, 4096)) _exit(1);
    memset(buf, 0x5a, 4096);
    for (off_t off = 0;; off = (off + 4096) % (64 << 20))
        if (pwrite(fd, buf, 4096, ((off_t)i << 26) + off) < 0 && errno != EINTR) _exit(1);
}

/* A child process in cgroup rel; the packet pair runs at nice -10 so that the offered rate holds
 * on a machine busy with other work (the collector keeps its normal priority). */
static pid_t child(const char *rel, int nice_)
{
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        enter_cgroup(rel);
        if (nice_) setpriority(PRIO_PROCESS, 0, nice_);
    }
    return pid;
}

int bench_load_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t len = sizeof a;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int port = 0;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0) close(fd);
    return port;
}

int bench_load_start(bench_load *l, const bench_load_opts *o, const char *rel)
{
    memset(l, 0, sizeof *l);
    snprintf(l->file, sizeof l->file, "%s/kisim-bench-collect-%d.dat", o->dir, (int)getpid());
    if (o->pps > 0) {
        int fd = socket(AF_INET, SOCK_DGRAM, 0), big = 8 << 20;
        struct sockaddr_in a = {.sin_family = AF_INET};
        socklen_t len = sizeof a;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big) ||
            bind(fd, (struct sockaddr *)&a, sizeof a) ||
            getsockname(fd, (struct sockaddr *)&a, &len)) {
            if (fd >= 0) close(fd);
            return kisim_seterr(KISIM_EIO, "bench collect: cannot open a UDP socket: %s",
                                strerror(errno));
        }
        if ((l->pid[0] = child(rel, -10)) == 0) receiver(fd);
        close(fd);
        if ((l->pid[1] = child(rel, -10)) == 0) sender(ntohs(a.sin_port), o->pps);
    }
    int probe = open(l->file, O_WRONLY | O_CREAT | O_DIRECT, 0600);
    if (probe < 0) {
        bench_load_stop(l);
        return kisim_seterr(KISIM_EIO, "bench collect: --dir %s: cannot open %s with O_DIRECT: %s",
                            o->dir, l->file, strerror(errno));
    }
    close(probe);
    for (int i = 0; i < o->writers && i < BENCH_LOAD_MAX_WRITERS; i++)
        if ((l->pid[2 + i] = child(rel, 0)) == 0) writer(l->file, i);
    return 0;
}

void bench_load_stop(bench_load *l)
{
    for (int i = 0; i < 2 + BENCH_LOAD_MAX_WRITERS; i++)
        if (l->pid[i] > 0) {
            kill(l->pid[i], SIGKILL);
            waitpid(l->pid[i], NULL, 0);
            l->pid[i] = 0;
        }
    if (l->file[0]) unlink(l->file);
}

void bench_load_counts(unsigned long long *lo_pkts, unsigned long long *disk_ios)
{
    char line[512], dev[64];
    unsigned long long v[8];
    *lo_pkts = *disk_ios = 0;
    FILE *f = fopen("/proc/net/dev", "r");
    while (f && fgets(line, sizeof line, f)) {
        char *c = strchr(line, ':');
        if (c && sscanf(line, " %63[^:]", dev) == 1 && !strcmp(dev, "lo") &&
            sscanf(c + 1, "%llu %llu", &v[0], &v[1]) == 2)
            *lo_pkts = v[1];
    }
    if (f) fclose(f);
    f = fopen("/proc/diskstats", "r");
    while (f && fgets(line, sizeof line, f)) {
        unsigned long long rd, wr, x;
        char path[128];
        if (sscanf(line, "%*u %*u %63s %llu %llu %llu %llu %llu", dev, &rd, &x, &x, &x, &wr) != 6)
            continue;
        snprintf(path, sizeof path, "/sys/block/%s/mq", dev);
        struct stat st;
        if (stat(path, &st) == 0) *disk_ios += rd + wr; /* blk-mq whole disks: what block_rq sees */
    }
    if (f) fclose(f);
}

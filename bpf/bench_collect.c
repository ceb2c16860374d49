/* bench_collect.c: `kisim bench collect`: the telemetry collector's total cost at 1 s sampling
 * under load (issue 7's benchmark). Each run starts `kisim collect` (this binary, as a child) on
 * the whole machine and one cgroup node, puts a paced loopback UDP sender and receiver and a
 * direct-I/O writer into that node, and over a steady window reads the collector's CPU time and
 * its BPF programs' own run time and run count (kernel BPF stats, enabled for the run only). */
#include <bpf/bpf.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bpf/bench_load.h"
#include "bpf/cgroupfs.h"
#include "bpf/verbs.h"
#include "common/cli_args.h"
#include "common/clock.h"
#include "common/err.h"
#include "common/stats.h"

#define MAX_PROGS 16
#define MAX_RUNS 64

typedef struct {
    char name[BPF_OBJ_NAME_LEN];
    unsigned long long cnt, ns;
} prog_stat;

typedef struct {
    double t, cpu_s;
    unsigned long long lo_pkts, disk_ios;
    prog_stat p[MAX_PROGS];
    int n;
} probe;

typedef struct { /* one run's results */
    double wall, user_pct, bpf_pct, total_pct, events_s, ns_event, pps, iops;
    prog_stat p[MAX_PROGS]; /* deltas */
    int n;
} run_result;

/* CPU time of every thread of pid (main loop, ZeroMQ's I/O thread, the HTTP thread), in ns from
 * schedstat rather than the 10 ms ticks of /proc/PID/stat. */
static double proc_cpu_s(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    struct dirent *e;
    unsigned long long ns = 0, v;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char p[300];
        snprintf(p, sizeof p, "/proc/%d/task/%s/schedstat", (int)pid, e->d_name);
        FILE *f = fopen(p, "r");
        if (f && fscanf(f, "%llu", &v) == 1) ns += v;
        if (f) fclose(f);
    }
    if (d) closedir(d);
    return (double)ns / 1e9;
}

/* The BPF programs pid holds (prog and link fds name a prog_id in their fdinfo), with their
 * names, run counts and run times from the kernel. */
static int proc_progs(pid_t pid, prog_stat *out)
{
    unsigned ids[MAX_PROGS];
    int n = 0;
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/fdinfo", (int)pid);
    DIR *d = opendir(path);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        char p[300], line[128];
        snprintf(p, sizeof p, "/proc/%d/fdinfo/%s", (int)pid, e->d_name);
        FILE *f = fopen(p, "r");
        unsigned id;
        while (f && fgets(line, sizeof line, f))
            if (sscanf(line, "prog_id: %u", &id) == 1) {
                int j = 0;
                while (j < n && ids[j] != id)
                    j++;
                if (j == n && n < MAX_PROGS) ids[n++] = id;
            }
        if (f) fclose(f);
    }
    if (d) closedir(d);
    int k = 0;
    for (int i = 0; i < n; i++) {
        int fd = bpf_prog_get_fd_by_id(ids[i]);
        struct bpf_prog_info info;
        unsigned len = sizeof info;
        memset(&info, 0, sizeof info);
        if (fd >= 0 && bpf_obj_get_info_by_fd(fd, &info, &len) == 0) {
            snprintf(out[k].name, sizeof out[k].name, "%s", info.name);
            out[k].cnt = info.run_cnt;
            out[k].ns = info.run_time_ns;
            k++;
        }
        if (fd >= 0) close(fd);
    }
    return k;
}

static void take(probe *p, pid_t collector)
{
    p->t = clock_mono_s();
    p->cpu_s = proc_cpu_s(collector);
    p->n = proc_progs(collector, p->p);
    bench_load_counts(&p->lo_pkts, &p->disk_ios);
}

/* Starts `kisim collect` on the whole machine and node n1 (cgroup rel); stderr to errfd. */
static pid_t start_collector(const char *rel, int errfd)
{
    char node[PATH_MAX + 8], pub[64], met[64];
    snprintf(node, sizeof node, "n1=%s", rel);
    snprintf(pub, sizeof pub, "tcp://127.0.0.1:%d", bench_load_free_port());
    snprintf(met, sizeof met, "127.0.0.1:%d", bench_load_free_port());
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(errfd, 1);
        dup2(errfd, 2);
        execl("/proc/self/exe", "kisim", "collect", "--node", "machine", "--node", node,
              "--publish", pub, "--interval-ms", "1000", "--metrics", met, (char *)NULL);
        _exit(127);
    }
    return pid;
}

static void stop_child(pid_t pid, int sig)
{
    if (pid <= 0) return;
    kill(pid, sig);
    waitpid(pid, NULL, 0);
}

static void show_log(int fd)
{
    char buf[2048];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    if (n > 0) {
        buf[n] = 0;
        fprintf(stderr, "%s", buf);
    }
}

/* One run: collector + load, warm-up, a window of `seconds`, everything stopped. */
static int one_run(const bench_load_opts *o, double warmup, double seconds, run_result *r)
{
    int err = 0;
    char rel[64], logpath[] = "/tmp/kisim-bench-collect-XXXXXX";
    snprintf(rel, sizeof rel, "kisim-bench-collect-%d", (int)getpid());
    int logfd = mkstemp(logpath);
    if (logfd < 0)
        return kisim_seterr(KISIM_EIO, "bench collect: cannot create a temp file: %s",
                            strerror(errno));
    unlink(logpath);
    bench_load load;
    pid_t col = -1;
    if ((err = bench_load_cgroup(rel, 1))) goto cleanup;
    col = start_collector(rel, logfd);
    probe a, b;
    double t0 = clock_mono_s();
    do { /* attached once it holds its programs */
        usleep(100000);
        take(&a, col);
    } while (a.n < 3 && clock_mono_s() - t0 < 30 && waitpid(col, NULL, WNOHANG) == 0);
    if (a.n < 3) {
        show_log(logfd);
        err =
            kisim_seterr(KISIM_EIO, "bench collect: the collector did not attach its programs (its "
                                    "messages above)");
        goto cleanup;
    }
    if ((err = bench_load_start(&load, o, rel))) goto cleanup;
    usleep(
        (useconds_t)(warmup * 1e6)); /* the load reaches its rate, the collector its steady state */
    take(&a, col);
    usleep((useconds_t)(seconds * 1e6));
    take(&b, col);
    bench_load_stop(&load);
    if (waitpid(col, NULL, WNOHANG) != 0) {
        show_log(logfd);
        col = -1;
        err = kisim_seterr(KISIM_EIO, "bench collect: the collector exited during the run");
        goto cleanup;
    }
    memset(r, 0, sizeof *r);
    r->wall = b.t - a.t;
    double bpf_ns = 0, events = 0;
    for (int i = 0; i < b.n; i++) {
        prog_stat d = b.p[i];
        for (int j = 0; j < a.n; j++)
            if (!strcmp(a.p[j].name, d.name)) d.cnt -= a.p[j].cnt, d.ns -= a.p[j].ns;
        r->p[r->n++] = d;
        bpf_ns += (double)d.ns;
        events += (double)d.cnt;
    }
    r->user_pct = 100 * (b.cpu_s - a.cpu_s) / r->wall;
    r->bpf_pct = 100 * bpf_ns / 1e9 / r->wall;
    r->total_pct = r->user_pct + r->bpf_pct;
    r->events_s = events / r->wall;
    r->ns_event = events > 0 ? bpf_ns / events : 0;
    r->pps = (double)(b.lo_pkts - a.lo_pkts) / r->wall;
    r->iops = (double)(b.disk_ios - a.disk_ios) / r->wall;
cleanup:
    stop_child(col, SIGINT);
    bench_load_cgroup(rel, 0);
    close(logfd);
    return err;
}

/* The median of field `off` (a double at that offset) over n results. */
static double median_of(const run_result *r, int n, size_t off)
{
    double v[MAX_RUNS];
    for (int i = 0; i < n; i++)
        v[i] = *(const double *)((const char *)&r[i] + off);
    return stats_median(v, n);
}

static void print_medians(const run_result *r, int n)
{
    printf("\nmedians over %d runs:\n", n);
    for (int p = 0; p < r[0].n; p++) {
        double rate[MAX_RUNS], per[MAX_RUNS], pct[MAX_RUNS];
        for (int i = 0; i < n; i++) {
            const prog_stat *s = NULL;
            for (int j = 0; j < r[i].n; j++)
                if (!strcmp(r[i].p[j].name, r[0].p[p].name)) s = &r[i].p[j];
            rate[i] = s ? (double)s->cnt / r[i].wall : 0;
            per[i] = s && s->cnt ? (double)s->ns / (double)s->cnt : 0;
            pct[i] = s ? 100 * (double)s->ns / 1e9 / r[i].wall : 0;
        }
        printf("  BPF %-16s %9.0f runs/s %6.0f ns/run %7.3f%% of a core\n", r[0].p[p].name,
               stats_median(rate, n), stats_median(per, n), stats_median(pct, n));
    }
#define MED(f) median_of(r, n, offsetof(run_result, f))
    printf("  load: %.0f loopback packets/s, %.0f block requests/s\n", MED(pps), MED(iops));
    printf(
        "  user space %.3f%%, BPF %.3f%% (%.0f events/s, %.0f ns/event): total %.3f%% of one core"
        " (target 1%%)\n",
        MED(user_pct), MED(bpf_pct), MED(events_s), MED(ns_event), MED(total_pct));
#undef MED
}

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: kisim bench collect [--runs N] [--seconds S] [--warmup S] [--pps N] [--writers N]\n"
        "                           [--dir DIR]\n\n"
        "The telemetry collector's cost at 1 s sampling under load (needs root, like collect).\n"
        "Each run starts `kisim collect --node machine --node n1=CGROUP` and, inside that cgroup,\n"
        "a loopback UDP sender paced to --pps datagrams/s (default 50000) with its receiver (both "
        "at\n"
        "nice -10, so the rate holds on a busy machine; a run that falls short says so) and\n"
        "--writers processes (default 4) writing 4 KiB blocks back to back with O_DIRECT to a "
        "file\n"
        "in --dir (default /var/tmp), the heavy disk I/O; after --warmup\n"
        "seconds (default 3) it measures --seconds (default 20): the collector's CPU time (all\n"
        "threads) plus its BPF programs' run time (kernel BPF stats, on for the run only), per\n"
        "program and in total as %% of one core, events/s and ns/event. Prints each run and the\n"
        "medians over --runs runs (default 5).\n");
}

int bench_collect_main(int argc, char **argv)
{
    long runs = 5, pps = 50000, writers = 4;
    double seconds = 20, warmup = 3;
    bench_load_opts o = {.dir = "/var/tmp"};
    const args_opt opts[] = {
        ARGS_OPT_LONG("runs", 'r', &runs, 1, MAX_RUNS),
        ARGS_OPT_DOUBLE("seconds", 's', &seconds, 1, 3600),
        ARGS_OPT_DOUBLE("warmup", 'w', &warmup, 0, 600),
        ARGS_OPT_LONG("pps", 'p', &pps, 0, 10000000),
        ARGS_OPT_STR("dir", 'd', &o.dir),
        ARGS_OPT_LONG("writers", 0, &writers, 0, BENCH_LOAD_MAX_WRITERS),
    };
    int err = args_parse("bench collect", argc, argv, opts, ARGS_COUNT(opts));
    if (err > 0) return args_usage(usage, err);
    if (err) return args_fail(err);
    if (optind < argc) {
        fprintf(stderr, "bench collect: unexpected argument \"%s\"\n", argv[optind]);
        return 2;
    }
    o.pps = pps;
    o.writers = writers;
    if (geteuid() != 0) {
        fprintf(stderr, "bench collect: needs root (it loads BPF programs, enables BPF stats and "
                        "creates a cgroup)\n");
        return 1;
    }
    int stats = bpf_enable_stats(BPF_STATS_RUN_TIME); /* on while this fd is open */
    if (stats < 0) {
        fprintf(stderr, "bench collect: cannot enable BPF run-time stats: %s\n", strerror(errno));
        return 1;
    }
    static run_result r[MAX_RUNS];
    printf("kisim bench collect: %ld run(s) of %.0f s after %.0f s warm-up; load %ld loopback UDP "
           "packets/s + %ld direct-I/O 4 KiB writers in %s\n",
           runs, seconds, warmup, pps, writers, o.dir);
    int done = 0;
    for (int i = 0; i < runs && !err; i++) {
        err = one_run(&o, warmup, seconds, &r[i]);
        if (err) break;
        done++;
        printf("run %d: %.0f pkt/s, %.0f I/O/s; user %.3f%% + BPF %.3f%% = %.3f%% of a core; "
               "%.0f events/s, %.0f ns/event%s\n",
               i + 1, r[i].pps, r[i].iops, r[i].user_pct, r[i].bpf_pct, r[i].total_pct,
               r[i].events_s, r[i].ns_event,
               r[i].pps < 0.95 * (double)pps
                   ? " (BELOW the packet rate asked for: the machine is busy)"
                   : "");
        fflush(stdout);
    }
    close(stats);
    if (done) print_medians(r, done);
    return err ? args_fail(err) : 0;
}

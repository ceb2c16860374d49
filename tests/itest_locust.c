/* itest_locust.c: the Locust driver against a real Locust (/usr/bin/locust) and real
 * `kisim target` replicas on 127.0.0.1, bounded to about half a minute:
 * - the driver starts Locust (holding none of this process's descriptors), reads statistics with
 * requests > 0 and latencies no lower than the replica's CPU time per request; Locust's per-target
 * request counts match the counts the replicas themselves report when stopped;
 * - changing the targets moves the load to the new replica and none goes to the old one;
 * - a second driver attaches to the running Locust by URL, and closing it leaves Locust running;
 * - close stops Locust: its pid is gone;
 * - a missing locust binary, a Locust that exits at start-up, one that never answers and one
 *   killed mid-run each give a clear error, within the timeout, and leave no process behind.
 * Skips (exit 77, saying why) if /usr/bin/locust is not installed. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/err.h"
#include "loadgen/locust.h"
#include "test.h"

enum { CPU_US = 2000, USERS = 10, RATE = 4 };

static char dir[64], kisim[4096];

static int gone(pid_t pid)
{
    return kill(pid, 0) != 0 && errno == ESRCH;
}

/* 1 if process pid has path open. */
static int holds_file(pid_t pid, const char *path)
{
    char fd_dir[64], link[352], target[4096];
    snprintf(fd_dir, sizeof fd_dir, "/proc/%d/fd", (int)pid);
    DIR *d = opendir(fd_dir);
    struct dirent *e;
    int found = 0;
    while (d && (e = readdir(d))) {
        snprintf(link, sizeof link, "%s/%s", fd_dir, e->d_name);
        ssize_t n = readlink(link, target, sizeof target - 1);
        if (n > 0) target[n] = '\0';
        found |= n > 0 && !strcmp(target, path);
    }
    if (d) closedir(d);
    return found;
}

typedef struct {
    pid_t pid;
    char addr[32];
    char err_path[128];
} replica;

/* Starts `kisim target --listen 127.0.0.1:0 --cpu-us cpu_us` and reads its address. */
static int replica_start(replica *r, const char *name, int cpu_us)
{
    int fds[2];
    if (pipe(fds) != 0) return -1;
    snprintf(r->err_path, sizeof r->err_path, "%s/%s.err", dir, name);
    r->pid = fork();
    if (r->pid == 0) {
        int e = open(r->err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fds[1], 1);
        dup2(e, 2);
        close(fds[0]);
        char cpu[16];
        snprintf(cpu, sizeof cpu, "%d", cpu_us);
        execl(kisim, kisim, "target", "--listen", "127.0.0.1:0", "--cpu-us", cpu, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    char line[256] = {0};
    FILE *f = fdopen(fds[0], "r");
    int ok = f && fgets(line, sizeof line, f) &&
             sscanf(line, "kisim target: listening on %31s", r->addr) == 1;
    if (f) fclose(f);
    return ok ? 0 : -1;
}

/* Stops a replica with SIGTERM and returns the request count it reports on stderr. */
static long replica_stop(replica *r)
{
    kill(r->pid, SIGTERM);
    int st;
    waitpid(r->pid, &st, 0);
    FILE *f = fopen(r->err_path, "r");
    char line[256];
    long n = -1;
    while (f && fgets(line, sizeof line, f))
        if (strstr(line, "stopping after")) sscanf(strstr(line, "after") + 5, "%ld", &n);
    if (f) fclose(f);
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? n : -2;
}

static long target_requests(locust *l, const char *addr)
{
    locust_target_stats ts[8];
    int n = locust_read_targets(l, ts, 8);
    for (int i = 0; i < n && i < 8; i++)
        if (!strcmp(ts[i].addr, addr)) return ts[i].requests;
    return n < 0 ? -1 : 0;
}

static void test_run(void)
{
    char cfg_path[128], targets[128];
    snprintf(cfg_path, sizeof cfg_path, "%s/load.json", dir);
    snprintf(targets, sizeof targets, "%s/targets", dir);

    replica a, b;
    if (replica_start(&a, "a", CPU_US) || replica_start(&b, "b", CPU_US)) {
        CHECK_MSG(0, "kisim target (%s) did not start", kisim);
        return;
    }
    /* A descriptor the driver's process holds without O_CLOEXEC must not leak into Locust. */
    char probe[128];
    snprintf(probe, sizeof probe, "%s/probe", dir);
    int probe_fd = open(probe, O_WRONLY | O_CREAT, 0644);
    locust *l = NULL;
    double t0 = clock_mono_s();
    int err = locust_open(
        &l, &(locust_opts){.config_path = cfg_path, .targets_file = targets, .timeout_s = 30});
    CHECK_MSG(err == 0, "locust_open: %s", kisim_errmsg());
    if (err) goto cleanup;
    CHECK(probe_fd >= 0 && !holds_file(locust_pid(l), probe));
    close(probe_fd);
    fprintf(stderr, "Locust up in %.1f s at %s (pid %d)\n", clock_mono_s() - t0, locust_url(l),
            (int)locust_pid(l));
    const char *first[] = {a.addr};
    CHECK(locust_set_targets(l, first, 1) == 0);

    /* Wait (bounded) for enough requests and a history row with a p99. */
    locust_stats s = {0};
    double deadline = clock_mono_s() + 30;
    while (clock_mono_s() < deadline) {
        CHECK((err = locust_read(l, &s)) == 0);
        if (err || (s.requests >= 100 && s.p99_ts > 0 && !isnan(s.p99_ms) && !isnan(s.p95_ms)))
            break;
        usleep(300000);
    }
    fprintf(stderr,
            "after %.1f s: %ld requests, %d users, %.1f rps, p50 %.0f p95 %.0f p99 %.0f ms, "
            "fail %.3f, state %s\n",
            clock_mono_s() - t0, s.requests, s.users, s.rps, s.p50_ms, s.p95_ms, s.p99_ms,
            s.fail_ratio, s.state);
    CHECK(s.requests >= 100);
    CHECK_EQ_INT(s.users, USERS);
    CHECK(!strcmp(s.state, "running"));
    CHECK(s.rps > 0 && s.rps < 10 * USERS * RATE);
    CHECK(s.failures == 0 && s.fail_ratio == 0);
    /* Each request costs the replica CPU_US of CPU, so no latency is below it (Locust's ms). */
    CHECK_MSG(s.p50_ms >= CPU_US / 1000.0 && s.p50_ms <= s.p95_ms && s.p95_ms < 5000,
              "p50 %g p95 %g", s.p50_ms, s.p95_ms);
    CHECK_MSG(s.p99_ms >= CPU_US / 1000.0 && s.p99_ms < 5000, "p99 %g", s.p99_ms);
    CHECK(s.p99_ts > s.ts - 60 && s.p99_ts <= s.ts + 1);

    /* A second driver attached by URL sees the same Locust; closing it stops nothing. */
    locust *att = NULL;
    CHECK((err = locust_open(&att, &(locust_opts){.attach_url = locust_url(l), .timeout_s = 10})) ==
          0);
    if (!err) {
        locust_stats s2;
        CHECK(locust_read(att, &s2) == 0 && s2.users == USERS && s2.requests >= s.requests);
        CHECK(isnan(s2.p99_ms) && locust_pid(att) == 0);
        CHECK(locust_read_targets(att, NULL, 0) == KISIM_EUNSUPPORTED);
        locust_close(att);
        CHECK(!gone(locust_pid(l)));
    }

    /* Move the load to b: a's count stops, b's grows. */
    const char *second[] = {b.addr};
    CHECK(locust_set_targets(l, second, 1) == 0);
    usleep(1500000); /* Locust re-reads within 0.25 s; requests in flight finish */
    long a1 = target_requests(l, a.addr), b1 = target_requests(l, b.addr);
    usleep(2500000);
    long a2 = target_requests(l, a.addr), b2 = target_requests(l, b.addr);
    fprintf(stderr, "after the switch: a %ld -> %ld, b %ld -> %ld\n", a1, a2, b1, b2);
    CHECK(a1 > 0 && a2 == a1);
    CHECK(b2 > b1 && b2 > 0);

    pid_t pid = locust_pid(l);
    locust_close(l);
    l = NULL;
    CHECK_MSG(gone(pid), "Locust pid %d still there after locust_close", (int)pid);
    /* Locust's counts (cumulative, from its last CSV rewrite) never exceed what the replicas
     * served, and trail them by at most the requests of about a second. */
    long na = replica_stop(&a), nb = replica_stop(&b);
    a.pid = b.pid = 0;
    fprintf(stderr, "replicas served: a %ld, b %ld\n", na, nb);
    CHECK_MSG(na >= a2 && na <= a2 + 2 * USERS * RATE, "a served %ld, Locust counted %ld", na, a2);
    CHECK_MSG(nb >= b2, "b served %ld, Locust counted %ld", nb, b2);
cleanup:
    locust_close(l);
    if (a.pid > 0) replica_stop(&a);
    if (b.pid > 0) replica_stop(&b);
}

/* A request still unanswered at workload.service.timeout_ms fails, at its timeout, as the sim
 * counts it (env/MODEL.md): a replica that spends 100 ms of CPU on each request behind a 20 ms
 * timeout fails them all (with a fixed 10 s timeout they all succeeded, slowly). */
static void test_timeout(void)
{
    char cfg_path[128], targets[128];
    snprintf(cfg_path, sizeof cfg_path, "%s/timeout.json", dir);
    snprintf(targets, sizeof targets, "%s/targets-timeout", dir);
    FILE *f = fopen(cfg_path, "w");
    if (!f) return;
    fprintf(f, "{\"workload\": {\"service\": {\"slo_ms\": 10, \"timeout_ms\": 20}},\n"
               " \"load\": {\"pattern\": \"ramp\", \"rate_per_user\": 2,\n"
               "  \"ramp\": {\"start\": 1, \"end\": 1, \"duration_s\": 10}}}\n");
    fclose(f);
    replica slow;
    if (replica_start(&slow, "slow", 100000)) {
        CHECK_MSG(0, "kisim target (%s) did not start", kisim);
        return;
    }
    locust *l = NULL;
    int err = locust_open(
        &l, &(locust_opts){.config_path = cfg_path, .targets_file = targets, .timeout_s = 30});
    CHECK_MSG(err == 0, "locust_open: %s", kisim_errmsg());
    const char *only[] = {slow.addr};
    if (!err) CHECK(locust_set_targets(l, only, 1) == 0);
    locust_stats s = {0};
    for (double deadline = clock_mono_s() + 30; !err && clock_mono_s() < deadline && s.requests < 6;
         usleep(300000))
        CHECK((err = locust_read(l, &s)) == 0);
    fprintf(stderr, "20 ms timeout, 100 ms requests: %ld requests, %ld failed\n", s.requests,
            s.failures);
    CHECK(s.requests >= 6);
    CHECK_MSG(s.failures == s.requests, "%ld of %ld requests failed", s.failures, s.requests);
    locust_close(l);
    replica_stop(&slow);
}

/* Each failure is clear, bounded in time, and leaves nothing running. */
static void expect_failure(const char *bin, double timeout_s, int want_err, const char *want_msg)
{
    char cfg_path[128], targets[128];
    snprintf(cfg_path, sizeof cfg_path, "%s/load.json", dir);
    snprintf(targets, sizeof targets, "%s/targets", dir);
    locust *l = (locust *)1;
    double t0 = clock_mono_s();
    int err = locust_open(&l, &(locust_opts){.locust_bin = bin,
                                             .config_path = cfg_path,
                                             .targets_file = targets,
                                             .timeout_s = timeout_s});
    double took = clock_mono_s() - t0;
    fprintf(stderr, "%s: %.1f s: %s\n", bin, took, kisim_errmsg());
    CHECK_EQ_INT(err, want_err);
    CHECK(l == NULL);
    CHECK_STR_CONTAINS(kisim_errmsg(), want_msg);
    CHECK_MSG(took < timeout_s + 5, "took %.1f s", took);
    CHECK(waitpid(-1, NULL, WNOHANG) <= 0); /* no unreaped child */
}

static void test_bad_locusts(void)
{
    expect_failure("/nonexistent/locust", 5, KISIM_EIO, "/nonexistent/locust");
    CHECK_STR_CONTAINS(kisim_errmsg(), "python3-locust");
    expect_failure("/bin/false", 10, KISIM_EIO, "exited with status 1 during start-up");

    char hang[128];
    snprintf(hang, sizeof hang, "%s/hang.sh", dir);
    FILE *f = fopen(hang, "w");
    fprintf(f, "#!/bin/sh\necho pretending to be Locust\nexec sleep 60\n");
    fclose(f);
    chmod(hang, 0755);
    expect_failure(hang, 2, KISIM_ETIMEOUT, "did not answer");
}

/* A Locust killed while the driver uses it: reads fail naming it, nothing hangs. */
static void test_killed(void)
{
    char cfg_path[128], targets[128];
    snprintf(cfg_path, sizeof cfg_path, "%s/load.json", dir);
    snprintf(targets, sizeof targets, "%s/targets", dir);
    locust *l;
    int err = locust_open(
        &l, &(locust_opts){.config_path = cfg_path, .targets_file = targets, .timeout_s = 30});
    CHECK_MSG(err == 0, "locust_open: %s", kisim_errmsg());
    if (err) return;
    pid_t pid = locust_pid(l);
    kill(pid, SIGKILL);
    usleep(300000);
    locust_stats s;
    double t0 = clock_mono_s();
    err = locust_read(l, &s);
    fprintf(stderr, "read after SIGKILL (%.1f s): %s\n", clock_mono_s() - t0, kisim_errmsg());
    CHECK_EQ_INT(err, KISIM_EIO);
    CHECK_STR_CONTAINS(kisim_errmsg(), "killed by signal 9");
    CHECK(locust_pid(l) == 0 && gone(pid));
    locust_close(l);
}

int main(void)
{
    if (access(LOCUST_DEFAULT_BIN, X_OK) != 0)
        SKIP("no-tool", "%s is not installed (Debian's python3-locust)", LOCUST_DEFAULT_BIN);
    /* The kisim binary: $KISIM, else ../kisim beside this test's build folder. */
    const char *k = getenv("KISIM");
    if (k && *k) {
        snprintf(kisim, sizeof kisim, "%s", k);
    } else {
        ssize_t n = readlink("/proc/self/exe", kisim, sizeof kisim - 16);
        if (n < 0) return 1;
        kisim[n] = '\0';
        strcpy(strrchr(kisim, '/'), "/../kisim");
    }
    snprintf(dir, sizeof dir, "/tmp/kisim-itest-locust.XXXXXX");
    if (!mkdtemp(dir)) return 1;
    /* USERS users (a flat ramp), RATE requests per second each. */
    char cfg_path[128];
    snprintf(cfg_path, sizeof cfg_path, "%s/load.json", dir);
    FILE *f = fopen(cfg_path, "w");
    if (!f) return 1;
    fprintf(f,
            "{\"load\": {\"pattern\": \"ramp\", \"rate_per_user\": %d,\n"
            "  \"ramp\": {\"start\": %d, \"end\": %d, \"duration_s\": 10}}}\n",
            RATE, USERS, USERS);
    fclose(f);
    RUN(test_bad_locusts);
    RUN(test_run);
    RUN(test_killed);
    RUN(test_timeout);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    TEST_MAIN_END();
}

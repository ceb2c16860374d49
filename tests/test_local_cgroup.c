/* test_local_cgroup.c: the local backend's cgroup and process layer. Node groups get the CPU
 * quota asked for (read from the cgroup files directly) and it holds (a busy loop uses at most
 * that share of the wall time); a started process is in its group in every hierarchy (checked in
 * /proc/PID/cgroup); a crashed owner's groups, and a process that outlived it, are removed by the
 * next stale cleanup; removal leaves no process and no folder. Needs root and cgroups: it says so
 * and skips (exit 77) elsewhere. Runs under its own parent "kisim-test-cg-<pid>", which no other
 * run uses. */
#include <errno.h>
#include <limits.h>
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
#include "env/local/local_cgroup.h"
#include "test.h"

static local_cgroup cg;
static char parent[64];

/* 1 if /proc/PID/cgroup places pid at path `rel` in the hierarchy of `controller` (v1 lines
 * "ID:cpu,cpuacct:/rel"; v2 "0::/rel"). */
static int proc_in(pid_t pid, const char *controller, const char *rel)
{
    char path[64], line[1024], want[600];
    snprintf(path, sizeof path, "/proc/%d/cgroup", (int)pid);
    snprintf(want, sizeof want, "/%s\n", rel);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    int found = 0;
    while (!found && fgets(line, sizeof line, f)) {
        char *ctl = strchr(line, ':');
        char *where = ctl ? strchr(ctl + 1, ':') : NULL;
        if (!where) continue;
        *where = 0;
        int match = cg.v2 ? ctl[1] == 0 : 0;
        for (char *tok = strtok(ctl + 1, ","); tok && !match; tok = strtok(NULL, ","))
            match = !strcmp(tok, controller);
        found = match && !strcmp(where + 1, want);
    }
    fclose(f);
    return found;
}

static long read_long(const char *dir, const char *rel, const char *file)
{
    char path[PATH_MAX + 600], buf[64] = "";
    snprintf(path, sizeof path, "%s/%s/%s", dir, rel, file);
    FILE *f = fopen(path, "r");
    if (!f) return -2;
    long v = fgets(buf, sizeof buf, f) ? strtol(buf, NULL, 10) : -3;
    fclose(f);
    return v;
}

static int gone(pid_t pid)
{
    int st;
    pid_t w = waitpid(pid, &st, 0);
    return (w == pid && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) ||
           (w < 0 && errno == ECHILD && kill(pid, 0) != 0);
}

static void test_node_quota_and_processes(void)
{
    char inst[64], node[256], pod[300], busy[300];
    local_cgroup_instance(inst, sizeof inst, 0);
    CHECK(!local_cgroup_is_stale(inst)); /* this process is alive */
    snprintf(node, sizeof node, "%s/%s/n0", parent, inst);
    snprintf(pod, sizeof pod, "%s/sleeper", node);
    snprintf(busy, sizeof busy, "%s/busy", node);
    CHECK_EQ_INT(local_cgroup_make(&cg, node), 0);
    CHECK_EQ_INT(local_cgroup_set_cpu(&cg, node, 0.3), 0);
    CHECK_EQ_INT(local_cgroup_set_memory(&cg, node, 256LL << 20), 0);
    CHECK_EQ_INT(local_cgroup_make(&cg, pod), 0);
    CHECK_EQ_INT(local_cgroup_make(&cg, busy), 0);
    /* The quota as the kernel shows it: 30 ms per 100 ms period. */
    if (cg.v2) {
        char path[PATH_MAX + 600], buf[64] = "";
        snprintf(path, sizeof path, "%s/%s/cpu.max", cg.root[0], node);
        FILE *f = fopen(path, "r");
        CHECK(f && fgets(buf, sizeof buf, f));
        if (f) fclose(f);
        CHECK_MSG(!strcmp(buf, "30000 100000\n"), "cpu.max %s", buf);
    } else {
        CHECK_EQ_INT(read_long(cg.root[cg.cpu], node, "cpu.cfs_quota_us"), 30000);
        CHECK_EQ_INT(read_long(cg.root[cg.cpu], node, "cpu.cfs_period_us"), 100000);
        CHECK_EQ_INT(read_long(cg.root[cg.mem], node, "memory.limit_in_bytes"), 256LL << 20);
    }
    double q = 0;
    CHECK_EQ_INT(local_cgroup_cpu_quota(&cg, node, &q), 0);
    CHECK_NEAR(q, 0.3, 1e-9);

    char *sleep_argv[] = {"/bin/sleep", "60", NULL};
    pid_t sleeper = 0, spinner = 0;
    CHECK_EQ_INT(local_cgroup_spawn(&cg, pod, sleep_argv, NULL, &sleeper), 0);
    CHECK(sleeper > 0);
    CHECK(proc_in(sleeper, "cpu", pod));
    CHECK(proc_in(sleeper, "memory", pod));
    if (!cg.v2) CHECK(proc_in(sleeper, "cpuacct", pod));
    CHECK_EQ_INT(local_cgroup_has_pid(&cg, pod, sleeper), 1);
    CHECK_EQ_INT(local_cgroup_has_pid(&cg, busy, sleeper), 0);

    /* A busy loop under a 0.3-CPU quota gets at most 0.3 s of CPU per wall second (plus one
     * period's quota of slack for the edges). */
    char *spin_argv[] = {"/bin/sh", "-c", "while :; do :; done", NULL};
    unsigned long long u0 = 0, u1 = 0;
    CHECK_EQ_INT(local_cgroup_usage_ns(&cg, busy, &u0), 0);
    double t0 = clock_mono_s();
    CHECK_EQ_INT(local_cgroup_spawn(&cg, busy, spin_argv, NULL, &spinner), 0);
    usleep(1500000);
    CHECK_EQ_INT(local_cgroup_usage_ns(&cg, busy, &u1), 0);
    double wall = clock_mono_s() - t0, used = (double)(u1 - u0) * 1e-9;
    CHECK_MSG(used > 0.02 && used <= 0.3 * wall + 0.03, "%.3f s of CPU in %.3f s", used, wall);
    CHECK_EQ_INT(local_cgroup_count_procs(&cg, node), 2);

    /* A program that does not exist: the exec step is named, nothing is left running. */
    char *bad_argv[] = {"/nonexistent/kisim-no-such-program", NULL};
    pid_t bad = 0;
    CHECK_EQ_INT(local_cgroup_spawn(&cg, pod, bad_argv, NULL, &bad), KISIM_EIO);
    CHECK_STR_CONTAINS(kisim_errmsg(), "exec");
    CHECK_EQ_INT(local_cgroup_count_procs(&cg, node), 2);

    char rel[256];
    snprintf(rel, sizeof rel, "%s/%s", parent, inst);
    CHECK_EQ_INT(local_cgroup_remove(&cg, rel, 10), 0);
    CHECK(gone(sleeper));
    CHECK(gone(spinner));
    CHECK(!local_cgroup_exists(&cg, rel));
    for (int r = 0; r < cg.n; r++) {
        char path[PATH_MAX + 300];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", cg.root[r], rel);
        CHECK_MSG(stat(path, &st) != 0, "%s still exists", path);
    }
    /* Removing what does not exist is not an error. */
    CHECK_EQ_INT(local_cgroup_remove(&cg, rel, 1), 0);
}

static void test_stale_instances(void)
{
    CHECK(!local_cgroup_is_stale("not-an-instance"));
    CHECK(!local_cgroup_is_stale("12-x-0"));
    CHECK(local_cgroup_is_stale("999999999-5-0")); /* beyond pid_max: never alive */
    char mine[64];
    local_cgroup_instance(mine, sizeof mine, 7);
    CHECK(!local_cgroup_is_stale(mine));

    /* A crashed owner: a child makes its instance, starts a shell in it whose background sleep
     * outlives the shell's PDEATHSIG, then exits without cleaning up. */
    int pfd[2];
    CHECK(pipe(pfd) == 0);
    pid_t owner = fork();
    if (owner == 0) {
        char inst[64], pod[256];
        local_cgroup_instance(inst, sizeof inst, 0);
        snprintf(pod, sizeof pod, "%s/%s/n1/orphan", parent, inst);
        char *argv[] = {"/bin/sh", "-c", "sleep 60 & echo $! ; wait", NULL};
        pid_t sh = 0;
        int ok =
            local_cgroup_make(&cg, pod) == 0 && local_cgroup_spawn(&cg, pod, argv, NULL, &sh) == 0;
        ssize_t w = write(pfd[1], inst, strlen(inst) + 1);
        (void)w;
        while (ok && local_cgroup_count_procs(&cg, pod) < 2)
            usleep(10000);
        _exit(ok ? 0 : 1);
    }
    close(pfd[1]);
    char inst[64] = "";
    ssize_t got = read(pfd[0], inst, sizeof inst - 1);
    close(pfd[0]);
    int st = 0;
    waitpid(owner, &st, 0);
    CHECK(got > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    char rel[256], pod[300];
    snprintf(rel, sizeof rel, "%s/%s", parent, inst);
    snprintf(pod, sizeof pod, "%s/n1/orphan", rel);
    CHECK(local_cgroup_is_stale(inst));
    /* The sleep survived its owner (the shell died with the owner, the sleep did not). */
    double deadline = clock_mono_s() + 5;
    while (local_cgroup_count_procs(&cg, pod) != 1 && clock_mono_s() < deadline)
        usleep(10000);
    CHECK_EQ_INT(local_cgroup_count_procs(&cg, pod), 1);

    /* A live instance next to it must survive the cleanup. */
    char live[256];
    snprintf(live, sizeof live, "%s/%s/n0", parent, mine);
    CHECK_EQ_INT(local_cgroup_make(&cg, live), 0);
    int removed = -1;
    CHECK_EQ_INT(local_cgroup_clean_stale(&cg, parent, &removed), 0);
    CHECK_EQ_INT(removed, 1);
    CHECK(!local_cgroup_exists(&cg, rel));
    CHECK(local_cgroup_exists(&cg, live));
    char mine_rel[256];
    snprintf(mine_rel, sizeof mine_rel, "%s/%s", parent, mine);
    CHECK_EQ_INT(local_cgroup_remove(&cg, mine_rel, 5), 0);
}

int main(void)
{
    if (geteuid() != 0)
        SKIP("no-root", "creating cgroups and moving processes into them needs root");
    if (local_cgroup_open(&cg) != 0) SKIP("no-cgroup", "%s", kisim_errmsg());
    snprintf(parent, sizeof parent, "kisim-test-cg-%d", (int)getpid());
    RUN(test_node_quota_and_processes);
    RUN(test_stale_instances);
    CHECK_EQ_INT(local_cgroup_remove(&cg, parent, 10), 0);
    TEST_MAIN_END();
}

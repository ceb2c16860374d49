/* local_cgroup.c: cgroups and processes of the local backend (local_cgroup.h). Every function
 * works on all hierarchies at once; v1 and v2 differ only in file names and in v2's
 * subtree_control. What it reads back from a group's files, cgroup/cgroup.c parses. */
#include "env/local/local_cgroup.h"
#include "common/clock.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "common/err.h"

#define CFS_PERIOD_US 100000

static int path_of(char *buf, size_t n, const local_cgroup *cg, int r, const char *rel,
                   const char *file)
{
    int len = snprintf(buf, n, "%s/%s%s%s", cg->root[r], rel, file ? "/" : "", file ? file : "");
    return len < 0 || (size_t)len >= n
               ? kisim_seterr(KISIM_EIO, "local: cgroup path too long: %s/%s", cg->root[r], rel)
               : 0;
}

static int write_text(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -errno;
    ssize_t len = (ssize_t)strlen(text), w = write(fd, text, (size_t)len);
    int e = w == len ? 0 : w < 0 ? -errno : -EIO;
    close(fd);
    return e;
}

/* Adds the mount of a v1 controller; returns its index (an existing one when the controller is
 * co-mounted with one already added), or -1 when it is not mounted. */
static int add_root(local_cgroup *cg, const char *controller)
{
    char path[PATH_MAX], real[PATH_MAX];
    snprintf(path, sizeof path, "/sys/fs/cgroup/%s", controller);
    if (!realpath(path, real)) return -1;
    struct statfs fs;
    if (statfs(real, &fs) != 0) return -1;
    for (int i = 0; i < cg->n; i++)
        if (!strcmp(cg->root[i], real)) return i;
    if (cg->n == LOCAL_CGROUP_ROOTS) return -1;
    snprintf(cg->root[cg->n], sizeof cg->root[cg->n], "%s", real);
    return cg->n++;
}

int local_cgroup_open(local_cgroup *cg)
{
    memset(cg, 0, sizeof *cg);
    if (cgroup_unified()) {
        cg->v2 = 1;
        cg->n = 1;
        snprintf(cg->root[0], sizeof cg->root[0], "/sys/fs/cgroup");
        return 0;
    }
    cg->cpu = add_root(cg, "cpu");
    cg->acct = add_root(cg, "cpuacct");
    cg->mem = add_root(cg, "memory");
    const char *missing = cg->cpu < 0    ? "cpu"
                          : cg->acct < 0 ? "cpuacct"
                          : cg->mem < 0  ? "memory"
                                         : NULL;
    if (missing)
        return kisim_seterr(KISIM_EUNSUPPORTED,
                            "local: no cgroup v2 at /sys/fs/cgroup and no cgroup v1 \"%s\" "
                            "hierarchy under /sys/fs/cgroup: the local backend needs one of them",
                            missing);
    add_root(cg, "blkio"); /* optional: the collector's per-node disk features read it */
    return 0;
}

/* v2: lets the children of the root and of every ancestor of rel use cpu and memory. */
static int enable_controllers(const local_cgroup *cg, const char *rel)
{
    char path[PATH_MAX];
    size_t len = 0; /* the ancestor is rel's first len characters */
    for (;;) {
        char anc[PATH_MAX];
        snprintf(anc, sizeof anc, "%.*s", (int)(len < sizeof anc ? len : sizeof anc - 1), rel);
        if (snprintf(path, sizeof path, "%s/%s%scgroup.subtree_control", cg->root[0], anc,
                     len ? "/" : "") >= (int)sizeof path)
            return kisim_seterr(KISIM_EIO, "local: cgroup path too long: %s", rel);
        int e = write_text(path, "+cpu +memory");
        if (e)
            return kisim_seterr(KISIM_EIO, "local: cannot enable cpu and memory in %s: %s", path,
                                strerror(-e));
        const char *next = strchr(rel + len + (len ? 1 : 0), '/');
        if (!next) return 0;
        len = (size_t)(next - rel);
    }
}

int local_cgroup_make(const local_cgroup *cg, const char *rel)
{
    char path[PATH_MAX];
    for (int r = 0; r < cg->n; r++) {
        int err = path_of(path, sizeof path, cg, r, rel, NULL);
        if (err) return err;
        /* mkdir -p: every component after the root. */
        for (char *p = path + strlen(cg->root[r]) + 1;; p++) {
            p = strchr(p, '/');
            if (p) *p = 0;
            if (mkdir(path, 0755) != 0 && errno != EEXIST)
                return kisim_seterr(KISIM_EIO, "local: cannot create cgroup %s: %s%s", path,
                                    strerror(errno),
                                    errno == EACCES || errno == EPERM ? " (needs root)" : "");
            if (!p) break;
            *p = '/';
        }
    }
    return cg->v2 ? enable_controllers(cg, rel) : 0;
}

static int write_file(const local_cgroup *cg, int r, const char *rel, const char *file,
                      const char *text)
{
    char path[PATH_MAX];
    int err = path_of(path, sizeof path, cg, r, rel, file);
    if (err) return err;
    int e = write_text(path, text);
    return e ? kisim_seterr(KISIM_EIO, "local: cannot write \"%s\" to %s: %s", text, path,
                            strerror(-e))
             : 0;
}

int local_cgroup_set_cpu(const local_cgroup *cg, const char *rel, double cores)
{
    char v[64];
    long quota = cores > 0 ? (long)(cores * CFS_PERIOD_US + 0.5) : -1;
    if (cg->v2) {
        if (quota > 0)
            snprintf(v, sizeof v, "%ld %d", quota, CFS_PERIOD_US);
        else
            snprintf(v, sizeof v, "max %d", CFS_PERIOD_US);
        return write_file(cg, 0, rel, "cpu.max", v);
    }
    snprintf(v, sizeof v, "%d", CFS_PERIOD_US);
    int err = write_file(cg, cg->cpu, rel, "cpu.cfs_period_us", v);
    snprintf(v, sizeof v, "%ld", quota);
    return err ? err : write_file(cg, cg->cpu, rel, "cpu.cfs_quota_us", v);
}

int local_cgroup_set_memory(const local_cgroup *cg, const char *rel, long long bytes)
{
    char v[32];
    snprintf(v, sizeof v, "%lld", bytes);
    return write_file(cg, cg->mem, rel, cg->v2 ? "memory.max" : "memory.limit_in_bytes", v);
}

int local_cgroup_cpu_quota(const local_cgroup *cg, const char *rel, double *cores)
{
    char dir[PATH_MAX];
    int err = path_of(dir, sizeof dir, cg, cg->cpu, rel, NULL);
    return err ? err : cgroup_cpu_quota(dir, cores);
}

int local_cgroup_usage_ns(const local_cgroup *cg, const char *rel, unsigned long long *ns)
{
    char dir[PATH_MAX];
    int err = path_of(dir, sizeof dir, cg, cg->acct, rel, NULL);
    return err ? err : cgroup_cpu_usage(dir, ns);
}

/* ---- processes ---- */

/* Async-signal-safe decimal of v. */
static void utoa_safe(unsigned long v, char *buf)
{
    char tmp[24];
    int n = 0;
    do
        tmp[n++] = (char)('0' + v % 10);
    while ((v /= 10) && n < 23);
    for (int i = 0; i < n; i++)
        buf[i] = tmp[n - 1 - i];
    buf[n] = 0;
}

/* What the child reports through the pipe when a step fails: the step and errno. */
enum { STEP_CGROUP = 1, STEP_LOG, STEP_EXEC };

static void child_fail(int fd, int step, int index)
{
    int msg[3] = {step, errno, index};
    ssize_t w = write(fd, msg, sizeof msg);
    (void)w;
    _exit(127);
}

/* In the forked child: only async-signal-safe calls until exec. */
static void child_run(char procs[][PATH_MAX], int n, int log_fd, int err_fd, pid_t parent,
                      char *const argv[])
{
    char pid[24];
    utoa_safe((unsigned long)getpid(), pid);
    for (int r = 0; r < n; r++) {
        int fd = open(procs[r], O_WRONLY);
        if (fd < 0 || write(fd, pid, strlen(pid)) < 0) child_fail(err_fd, STEP_CGROUP, r);
        close(fd);
    }
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127); /* the parent died before prctl */
    setsid();
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    int null_fd = open("/dev/null", O_RDONLY);
    if (null_fd < 0 || log_fd < 0) child_fail(err_fd, STEP_LOG, 0);
    dup2(null_fd, 0);
    dup2(log_fd, 1);
    dup2(log_fd, 2);
    /* Everything above 2 but the error pipe (close-on-exec) goes. */
    if (err_fd > 3) close_range(3, (unsigned)err_fd - 1, 0);
    close_range((unsigned)err_fd + 1, ~0U, 0);
    execv(argv[0], argv);
    child_fail(err_fd, STEP_EXEC, 0);
}

int local_cgroup_spawn(const local_cgroup *cg, const char *rel, char *const argv[], const char *log,
                       pid_t *pid)
{
    char procs[LOCAL_CGROUP_ROOTS][PATH_MAX];
    for (int r = 0; r < cg->n; r++) {
        int err = path_of(procs[r], sizeof procs[r], cg, r, rel, "cgroup.procs");
        if (err) return err;
    }
    int log_fd = open(log ? log : "/dev/null", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0)
        return kisim_seterr(KISIM_EIO, "local: cannot open %s: %s", log, strerror(errno));
    int pfd[2];
    if (pipe2(pfd, O_CLOEXEC) != 0) {
        close(log_fd);
        return kisim_seterr(KISIM_EIO, "local: pipe: %s", strerror(errno));
    }
    pid_t parent = getpid();
    pid_t child = fork();
    if (child == 0) {
        close(pfd[0]);
        child_run(procs, cg->n, log_fd, pfd[1], parent, argv);
    }
    int fork_errno = errno;
    close(pfd[1]);
    close(log_fd);
    if (child < 0) {
        close(pfd[0]);
        return kisim_seterr(KISIM_EIO, "local: fork: %s", strerror(fork_errno));
    }
    int msg[3];
    ssize_t got;
    do
        got = read(pfd[0], msg, sizeof msg);
    while (got < 0 && errno == EINTR);
    close(pfd[0]);
    if (got <= 0) {
        *pid = child;
        return 0;
    }
    waitpid(child, NULL, 0);
    if (got != (ssize_t)sizeof msg)
        return kisim_seterr(KISIM_EIO, "local: %s failed to start", argv[0]);
    const char *what = msg[0] == STEP_CGROUP ? "join the cgroup at"
                       : msg[0] == STEP_LOG  ? "open its output"
                                             : "exec";
    return kisim_seterr(KISIM_EIO, "local: cannot start %s: cannot %s%s%s: %s", argv[0], what,
                        msg[0] == STEP_CGROUP ? " " : "",
                        msg[0] == STEP_CGROUP && msg[2] >= 0 && msg[2] < cg->n ? procs[msg[2]] : "",
                        strerror(msg[1]));
}

int local_cgroup_move(const local_cgroup *cg, const char *rel, pid_t pid)
{
    char v[24];
    snprintf(v, sizeof v, "%ld", (long)pid);
    for (int r = 0; r < cg->n; r++) {
        int err = write_file(cg, r, rel, "cgroup.procs", v);
        if (err) return err;
    }
    return 0;
}

/* Calls fn(pid, arg) for every pid in cgroup.procs of dir and of every folder below it; returns
 * how many pids it saw. */
static int walk_procs(const char *dir, void (*fn)(pid_t, void *), void *arg)
{
    char path[PATH_MAX];
    int count = 0;
    snprintf(path, sizeof path, "%s/cgroup.procs", dir);
    FILE *f = fopen(path, "re");
    if (f) {
        long pid;
        while (fscanf(f, "%ld", &pid) == 1) {
            if (fn) fn((pid_t)pid, arg);
            count++;
        }
        fclose(f);
    }
    DIR *d = opendir(dir);
    if (!d) return count;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_type != DT_DIR || e->d_name[0] == '.') continue;
        if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path) continue;
        count += walk_procs(path, fn, arg);
    }
    closedir(d);
    return count;
}

int local_cgroup_has_pid(const local_cgroup *cg, const char *rel, pid_t pid)
{
    char path[PATH_MAX];
    for (int r = 0; r < cg->n; r++) {
        if (path_of(path, sizeof path, cg, r, rel, "cgroup.procs")) return 0;
        FILE *f = fopen(path, "re");
        if (!f) return 0;
        long p;
        int found = 0;
        while (!found && fscanf(f, "%ld", &p) == 1)
            found = p == pid;
        fclose(f);
        if (!found) return 0;
    }
    return 1;
}

int local_cgroup_count_procs(const local_cgroup *cg, const char *rel)
{
    char path[PATH_MAX];
    if (path_of(path, sizeof path, cg, 0, rel, NULL)) return 0;
    return walk_procs(path, NULL, NULL);
}

int local_cgroup_exists(const local_cgroup *cg, const char *rel)
{
    char path[PATH_MAX];
    struct stat st;
    for (int r = 0; r < cg->n; r++)
        if (!path_of(path, sizeof path, cg, r, rel, NULL) && stat(path, &st) == 0) return 1;
    return 0;
}

static void kill_one(pid_t pid, void *arg)
{
    (void)arg;
    if (pid <= 1 || pid == getpid()) return;
    kill(pid, SIGKILL);
    waitpid(pid, NULL, WNOHANG); /* reaps it if it is our child; harmless otherwise */
}

/* Removes dir's folders deepest first; returns the number that could not be removed. */
static int remove_tree(const char *dir)
{
    char path[PATH_MAX];
    int left = 0;
    DIR *d = opendir(dir);
    if (!d) return errno == ENOENT ? 0 : 1;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_type != DT_DIR || e->d_name[0] == '.') continue;
        if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path) continue;
        left += remove_tree(path);
    }
    closedir(d);
    return left + (rmdir(dir) != 0 && errno != ENOENT);
}

int local_cgroup_remove(const local_cgroup *cg, const char *rel, double timeout_s)
{
    char path[PATH_MAX];
    double deadline = clock_mono_s() + timeout_s;
    for (;;) {
        int seen = 0;
        for (int r = 0; r < cg->n; r++) {
            int err = path_of(path, sizeof path, cg, r, rel, NULL);
            if (err) return err;
            seen += walk_procs(path, kill_one, NULL);
        }
        int left = 0;
        if (!seen)
            for (int r = 0; r < cg->n; r++) {
                path_of(path, sizeof path, cg, r, rel, NULL);
                left += remove_tree(path);
            }
        if (!seen && !left) return 0;
        if (clock_mono_s() > deadline)
            return kisim_seterr(KISIM_EIO, "local: cannot remove cgroup %s: %s after %.0f s", rel,
                                seen ? "processes are still running in it" : "its folders are busy",
                                timeout_s);
        usleep(10000);
    }
}

/* ---- instances ---- */

/* Start time of pid in clock ticks since boot (field 22 of /proc/PID/stat); 0 if it is gone. */
static unsigned long long start_time(long pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    if (cgroup_read_file(path, buf, sizeof buf) < 0) return 0;
    const char *p = strrchr(buf, ')'); /* the command name may hold spaces and parentheses */
    if (!p) return 0;
    unsigned long long v = 0;
    /* After ") " come fields 3.. ; field 22 is the 20th of them. */
    for (int field = 3; field <= 22 && p; field++) {
        p = strchr(p + 1, ' ');
        if (p && field == 22) v = strtoull(p + 1, NULL, 10);
    }
    return v;
}

void local_cgroup_instance(char *buf, size_t n, int seq)
{
    long pid = (long)getpid();
    snprintf(buf, n, "%ld-%llu-%d", pid, start_time(pid), seq);
}

int local_cgroup_is_stale(const char *name)
{
    long pid;
    unsigned long long start;
    int seq, used = 0;
    if (sscanf(name, "%ld-%llu-%d%n", &pid, &start, &seq, &used) != 3 || name[used] || pid <= 0)
        return 0;
    return start_time(pid) != start;
}

int local_cgroup_clean_stale(const local_cgroup *cg, const char *parent, int *removed)
{
    char path[PATH_MAX], rel[PATH_MAX];
    int first_err = 0, count = 0;
    for (int r = 0; r < cg->n; r++) {
        if (path_of(path, sizeof path, cg, r, parent, NULL)) continue;
        DIR *d = opendir(path);
        if (!d) continue;
        struct dirent *e;
        while ((e = readdir(d))) {
            if (e->d_type != DT_DIR || !local_cgroup_is_stale(e->d_name)) continue;
            snprintf(rel, sizeof rel, "%s/%s", parent, e->d_name);
            if (!local_cgroup_exists(cg, rel)) continue; /* removed from another hierarchy */
            int err = local_cgroup_remove(cg, rel, 10);
            if (err && !first_err) first_err = err;
            count += !err;
        }
        closedir(d);
    }
    if (removed) *removed = count;
    return first_err;
}

/* cgroupfs.c: cgroup files the collector reads every period (see cgroupfs.h). v1 and v2 name the
 * same things differently; each reader tries v1's name first. */
#include "bpf/cgroupfs.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "common/err.h"

#define CGROUP2_MAGIC 0x63677270

int cgroupfs_hier_id(const char *controller)
{
    FILE *f = fopen("/proc/cgroups", "r");
    if (!f) return -1;
    char line[256], name[64];
    int hier, id = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "%63s %d", name, &hier) == 2 && !strcmp(name, controller)) id = hier;
    fclose(f);
    return id;
}

const char *cgroupfs_root(const char *controller)
{
    static char path[PATH_MAX];
    struct statfs fs;
    if (statfs("/sys/fs/cgroup", &fs) == 0 && fs.f_type == CGROUP2_MAGIC) return "/sys/fs/cgroup";
    snprintf(path, sizeof path, "/sys/fs/cgroup/%s", controller);
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode) ? path : NULL;
}

/* The whole of a small file (cgroup and /proc files are read every period: one read(2), no stdio)
 * into buf, NUL-terminated; its length, or -1. */
static long slurp(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    size_t n = 0;
    ssize_t r;
    while (n + 1 < size && (r = read(fd, buf + n, size - 1 - n)) > 0)
        n += (size_t)r;
    close(fd);
    buf[n] = 0;
    return (long)n;
}

int cgroupfs_count(const char *controller)
{
    char buf[4096], name[64];
    if (slurp("/proc/cgroups", buf, sizeof buf) < 0) return -1;
    int hier, num, n = -1;
    for (char *line = buf; line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
        if (sscanf(line, "%63s %d %d", name, &hier, &num) == 3 && !strcmp(name, controller))
            n = num;
    return n;
}

/* "KEY VALUE" lines (VALUE optionally followed by a unit): for each of the n keys found, sets
 * v[i]. Returns how many were found; -1 if the file cannot be read. */
static int read_keys(const char *path, const char *const *keys, unsigned long long *v, int n)
{
    char buf[8192];
    if (slurp(path, buf, sizeof buf) < 0) return -1;
    int found = 0;
    for (char *line = buf; *line;) {
        char *end = strchr(line, '\n');
        if (end) *end = 0;
        for (int i = 0; i < n; i++) {
            size_t len = strlen(keys[i]);
            if (!strncmp(line, keys[i], len) && (line[len] == ' ' || line[len] == '\t')) {
                v[i] = strtoull(line + len, NULL, 10);
                found++;
            }
        }
        if (!end) break;
        line = end + 1;
    }
    return found;
}

static int read_key(const char *path, const char *key, unsigned long long *v)
{
    return read_keys(path, &key, v, 1) == 1 ? 0 : -1;
}

/* A file holding one number ("max" on v2 reads as no limit). */
static int read_u64(const char *path, unsigned long long *v)
{
    char buf[64];
    if (slurp(path, buf, sizeof buf) <= 0) return -1;
    if (!strncmp(buf, "max", 3)) {
        *v = ULLONG_MAX;
        return 0;
    }
    char *end;
    long long x = strtoll(buf, &end, 10);
    if (end == buf) return -1;
    *v = x < 0 ? ULLONG_MAX : (unsigned long long)x; /* v1 quota -1: none */
    return 0;
}

static int cmp_u64(const void *a, const void *b)
{
    unsigned long long x = *(const unsigned long long *)a, y = *(const unsigned long long *)b;
    return x < y ? -1 : x > y;
}

static const char *const bw_keys[] = {"nr_periods", "nr_throttled"};

static int add_bw(cgroupfs_tree *t, unsigned long long ino, const unsigned long long *v,
                  const char *dir)
{
    if (t->n_bw == t->cap_bw) {
        int cap = t->cap_bw ? 2 * t->cap_bw : 16;
        cgroupfs_bw *b = realloc(t->bw, (size_t)cap * sizeof *b);
        if (!b) return -1;
        t->bw = b;
        t->cap_bw = cap;
    }
    cgroupfs_bw *b = &t->bw[t->n_bw];
    b->path = strdup(dir);
    if (!b->path) return -1;
    b->ino = ino;
    b->periods = v[0];
    b->throttled = v[1];
    t->n_bw++;
    return 0;
}

static int cmp_bw(const void *a, const void *b)
{
    unsigned long long x = ((const cgroupfs_bw *)a)->ino, y = ((const cgroupfs_bw *)b)->ino;
    return x < y ? -1 : x > y;
}

/* A CFS quota is set: v1 cpu.cfs_quota_us is not -1, v2 cpu.max does not start with "max". */
static int has_quota(const char *dir)
{
    char path[PATH_MAX], buf[64];
    snprintf(path, sizeof path, "%s/cpu.cfs_quota_us", dir);
    if (slurp(path, buf, sizeof buf) > 0) return buf[0] != '-';
    snprintf(path, sizeof path, "%s/cpu.max", dir);
    return slurp(path, buf, sizeof buf) > 0 && strncmp(buf, "max", 3) != 0;
}

/* dir (inode ino) and every folder below it. The children's inodes come from readdir (kernfs
 * gives the same number stat would), so each folder costs a cpu.stat read and a readdir. */
static int walk(const char *dir, unsigned long long ino, cgroupfs_tree *t, int depth)
{
    if (depth > 32) return -1;
    if (t->n == t->cap) {
        int cap = t->cap ? 2 * t->cap : 64;
        unsigned long long *v = realloc(t->ids, (size_t)cap * sizeof *v);
        if (!v) return -1;
        t->ids = v;
        t->cap = cap;
    }
    t->ids[t->n++] = ino;
    char path[PATH_MAX];
    unsigned long long v[2];
    snprintf(path, sizeof path, "%s/cpu.stat", dir);
    if (read_keys(path, bw_keys, v, 2) == 2) {
        t->has_cpu_stat = 1;
        /* Bandwidth control ran, or a quota is set (it may run before the next full walk). */
        if ((v[0] > 0 || has_quota(dir)) && add_bw(t, ino, v, dir)) return -1;
    }
    DIR *d = opendir(dir);
    if (!d) return 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_type == DT_DIR && e->d_name[0] != '.') {
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            walk(path, (unsigned long long)e->d_ino, t,
                 depth + 1); /* one removed meanwhile: skipped */
        }
    closedir(d);
    return 0;
}

int cgroupfs_walk(const char *dir, cgroupfs_tree *t)
{
    memset(t, 0, sizeof *t);
    struct stat st;
    if (stat(dir, &st) || !S_ISDIR(st.st_mode) || walk(dir, (unsigned long long)st.st_ino, t, 0)) {
        cgroupfs_tree_free(t);
        return kisim_seterr(KISIM_EIO, "collect: cannot read cgroup %s", dir);
    }
    qsort(t->ids, (size_t)t->n, sizeof *t->ids, cmp_u64);
    if (t->n_bw) qsort(t->bw, (size_t)t->n_bw, sizeof *t->bw, cmp_bw);
    return 0;
}

void cgroupfs_reread(cgroupfs_tree *t)
{
    char path[PATH_MAX];
    int k = 0;
    for (int i = 0; i < t->n_bw; i++) {
        unsigned long long v[2];
        snprintf(path, sizeof path, "%s/cpu.stat", t->bw[i].path);
        if (read_keys(path, bw_keys, v, 2) != 2) { /* gone */
            free(t->bw[i].path);
            continue;
        }
        t->bw[k] = t->bw[i];
        t->bw[k].periods = v[0];
        t->bw[k].throttled = v[1];
        k++;
    }
    t->n_bw = k;
}

void cgroupfs_bw_delta(const cgroupfs_tree *prev, const cgroupfs_tree *now, double *periods,
                       double *throttled)
{
    *periods = *throttled = 0;
    for (int i = 0, j = 0; i < now->n_bw && j < prev->n_bw;) {
        const cgroupfs_bw *a = &now->bw[i], *b = &prev->bw[j];
        if (a->ino < b->ino)
            i++;
        else if (a->ino > b->ino)
            j++;
        else {
            if (a->periods > b->periods) *periods += (double)(a->periods - b->periods);
            if (a->throttled > b->throttled) *throttled += (double)(a->throttled - b->throttled);
            i++, j++;
        }
    }
}

void cgroupfs_tree_free(cgroupfs_tree *t)
{
    for (int i = 0; i < t->n_bw; i++)
        free(t->bw[i].path);
    free(t->bw);
    free(t->ids);
    memset(t, 0, sizeof *t);
}

static int mem_total(unsigned long long *total, unsigned long long *avail)
{
    static const char *const keys[] = {"MemTotal:", "MemAvailable:"};
    unsigned long long v[2] = {0, 0};
    if (read_keys("/proc/meminfo", keys, v, 2) < 1 || !v[0]) return -1;
    *total = v[0] * 1024; /* kB */
    *avail = v[1] * 1024;
    return 0;
}

int cgroupfs_memory(const char *dir, double *ratio)
{
    unsigned long long total, avail;
    if (mem_total(&total, &avail))
        return kisim_seterr(KISIM_EIO, "collect: cannot read /proc/meminfo");
    if (!dir) {
        *ratio = (double)(total - (avail < total ? avail : total)) / (double)total;
        return 0;
    }
    char path[PATH_MAX];
    unsigned long long usage, inactive = 0, limit = ULLONG_MAX;
    snprintf(path, sizeof path, "%s/memory.usage_in_bytes", dir);
    if (read_u64(path, &usage) == 0) { /* v1 */
        static const char *const keys[] = {"total_inactive_file", "hierarchical_memory_limit"};
        unsigned long long v[2] = {0, ULLONG_MAX};
        snprintf(path, sizeof path, "%s/memory.stat", dir);
        read_keys(path, keys, v, 2);
        inactive = v[0];
        limit = v[1];
    } else { /* v2 */
        snprintf(path, sizeof path, "%s/memory.current", dir);
        if (read_u64(path, &usage)) return kisim_seterr(KISIM_EIO, "collect: cannot read %s", path);
        snprintf(path, sizeof path, "%s/memory.stat", dir);
        read_key(path, "inactive_file", &inactive);
        snprintf(path, sizeof path, "%s/memory.max", dir);
        read_u64(path, &limit);
    }
    if (limit > total) limit = total;
    unsigned long long ws = usage > inactive ? usage - inactive : 0;
    *ratio = (double)ws / (double)limit;
    return 0;
}

int cgroupfs_cpu_usage(const char *dir, unsigned long long *ns)
{
    char path[PATH_MAX];
    unsigned long long us;
    snprintf(path, sizeof path, "%s/cpuacct.usage", dir);
    if (read_u64(path, ns) == 0) return 0;
    snprintf(path, sizeof path, "%s/cpu.stat", dir);
    if (read_key(path, "usage_usec", &us)) return -1;
    *ns = us * 1000;
    return 0;
}

double cgroupfs_cpu_capacity(const char *dir, double ncpu)
{
    char path[PATH_MAX];
    unsigned long long quota, period;
    snprintf(path, sizeof path, "%s/cpu.cfs_quota_us", dir);
    if (read_u64(path, &quota) == 0) {
        snprintf(path, sizeof path, "%s/cpu.cfs_period_us", dir);
        if (read_u64(path, &period)) return ncpu;
    } else { /* v2: "QUOTA PERIOD" or "max PERIOD" */
        char buf[64];
        snprintf(path, sizeof path, "%s/cpu.max", dir);
        if (slurp(path, buf, sizeof buf) <= 0 || sscanf(buf, "%llu %llu", &quota, &period) != 2)
            return ncpu;
    }
    if (quota == ULLONG_MAX || period == 0) return ncpu;
    double cap = (double)quota / (double)period;
    return cap < ncpu ? cap : ncpu;
}

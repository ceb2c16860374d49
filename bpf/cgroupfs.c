/* cgroupfs.c: cgroup files the collector reads every period (see cgroupfs.h). Parsing a
 * cgroup's own files is cgroup/cgroup.c's; here are the subtree walks, the throttling sums and
 * the ratios the features want. */
#include "bpf/cgroupfs.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cgroup/cgroup.h"
#include "common/err.h"

/* The line of controller in /proc/cgroups ("NAME HIERARCHY NUM_CGROUPS ENABLED"): 0 with its
 * hierarchy id and cgroup count, -1 if the file or the line is missing. */
static int proc_cgroups(const char *controller, int *hier, int *num)
{
    char buf[4096], name[64];
    if (cgroup_read_file("/proc/cgroups", buf, sizeof buf) < 0) return -1;
    int found = -1, h, c;
    for (char *line = buf; line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
        if (sscanf(line, "%63s %d %d", name, &h, &c) == 3 && !strcmp(name, controller)) {
            *hier = h;
            *num = c;
            found = 0;
        }
    return found;
}

int cgroupfs_hier_id(const char *controller)
{
    int hier, num;
    return proc_cgroups(controller, &hier, &num) ? -1 : hier;
}

int cgroupfs_count(const char *controller)
{
    int hier, num;
    return proc_cgroups(controller, &hier, &num) ? -1 : num;
}

const char *cgroupfs_root(const char *controller)
{
    static char path[PATH_MAX];
    if (cgroup_unified()) return "/sys/fs/cgroup";
    snprintf(path, sizeof path, "/sys/fs/cgroup/%s", controller);
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode) ? path : NULL;
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

static int has_quota(const char *dir)
{
    double cpus;
    return cgroup_cpu_quota(dir, &cpus) == 0 && cpus > 0;
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
    if (cgroup_read_keys(path, bw_keys, v, 2) == 2) {
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
        if (cgroup_read_keys(path, bw_keys, v, 2) != 2) { /* gone */
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
    if (cgroup_read_keys("/proc/meminfo", keys, v, 2) < 1 || !v[0]) return -1;
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
    cgroup_memory m;
    int err = cgroup_memory_read(dir, &m);
    if (err) return err;
    unsigned long long limit = m.limit < total ? m.limit : total;
    unsigned long long ws = m.usage > m.inactive_file ? m.usage - m.inactive_file : 0;
    *ratio = (double)ws / (double)limit;
    return 0;
}

double cgroupfs_cpu_capacity(const char *dir, double ncpu)
{
    double cap;
    if (cgroup_cpu_quota(dir, &cap) || cap <= 0) return ncpu; /* unreadable, or no quota */
    return cap < ncpu ? cap : ncpu;
}

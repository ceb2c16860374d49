/* cgroup.c: the cgroup file reader (cgroup.h). Every reader tries v1's file name first and v2's
 * when the folder has no such file; the parsing is strict (a number must be all digits), so a
 * file that is not what its name says is reported, not read as 0. */
#include "cgroup/cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "common/err.h"

#define CGROUP2_SUPER_MAGIC 0x63677270 /* linux/magic.h */

int cgroup_unified(void)
{
    struct statfs fs;
    return statfs("/sys/fs/cgroup", &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC;
}

long cgroup_read_file(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -errno;
    size_t n = 0;
    ssize_t r = 0;
    while (n + 1 < size && (r = read(fd, buf + n, size - 1 - n)) > 0)
        n += (size_t)r;
    int e = r < 0 ? errno : 0; /* e.g. ENODEV: the cgroup was removed while we read */
    close(fd);
    buf[n] = 0;
    return e ? -e : (long)n;
}

/* A decimal number at s after spaces or tabs: 0 with *v and *end just past it, -1 if there are
 * no digits or it overflows. */
static int parse_u64(const char *s, unsigned long long *v, const char **end)
{
    s += strspn(s, " \t");
    if (*s < '0' || *s > '9') return -1;
    char *e;
    errno = 0;
    *v = strtoull(s, &e, 10);
    *end = e;
    return errno ? -1 : 0;
}

/* A number or a limit that is not set ("max"; v1's "-1"), as parse_u64. */
static int parse_limit(const char *s, unsigned long long *v, const char **end)
{
    s += strspn(s, " \t");
    const char *none = !strncmp(s, "max", 3) ? "max" : !strncmp(s, "-1", 2) ? "-1" : NULL;
    if (!none) return parse_u64(s, v, end);
    *v = CGROUP_UNLIMITED;
    *end = s + strlen(none);
    return 0;
}

static int only_blanks(const char *s)
{
    return s[strspn(s, " \t\n")] == 0;
}

static int not_a(const char *path, const char *what, const char *text)
{
    int len = (int)strcspn(text, "\n");
    return kisim_seterr(KISIM_EINPUT, "cgroup: %s: expected %s, got \"%.*s\"", path, what,
                        len > 60 ? 60 : len, text);
}

/* The text of a one-number file at path; limit: "max" and "-1" are allowed (a limit's file). */
static int parse_one(const char *path, const char *text, unsigned long long *v, int limit)
{
    const char *end;
    if ((limit ? parse_limit(text, v, &end) : parse_u64(text, v, &end)) || !only_blanks(end))
        return not_a(path, limit ? "a number, \"max\" or -1" : "a number", text);
    return 0;
}

/* The lines of a "KEY VALUE" file's text: as cgroup_read_keys. */
static int parse_keys(char *text, const char *const *keys, unsigned long long *v, int n)
{
    int found = 0;
    for (char *line = text; *line;) {
        char *next = strchr(line, '\n');
        if (next) *next = 0;
        for (int i = 0; i < n; i++) {
            size_t len = strlen(keys[i]);
            const char *end;
            unsigned long long x;
            if (!strncmp(line, keys[i], len) && (line[len] == ' ' || line[len] == '\t') &&
                !parse_u64(line + len, &x, &end) && (*end == 0 || *end == ' ')) {
                v[i] = x;
                found++;
            }
        }
        if (!next) break;
        line = next + 1;
    }
    return found;
}

int cgroup_read_keys(const char *path, const char *const *keys, unsigned long long *v, int n)
{
    char buf[8192];
    long len = cgroup_read_file(path, buf, sizeof buf);
    return len < 0 ? (int)len : parse_keys(buf, keys, v, n);
}

/* dir/name into path; -ENAMETOOLONG when it does not fit. */
static int join(char *path, const char *dir, const char *name)
{
    int len = snprintf(path, PATH_MAX, "%s/%s", dir, name);
    return len < 0 || len >= PATH_MAX ? -ENAMETOOLONG : 0;
}

/* A one-number file that may hold a limit ("max", "-1"). 0, KISIM_EIO or KISIM_EINPUT, naming
 * path. */
static int read_limit(const char *path, unsigned long long *v)
{
    char buf[64];
    long len = cgroup_read_file(path, buf, sizeof buf);
    if (len < 0)
        return kisim_seterr(KISIM_EIO, "cgroup: cannot read %s: %s", path, strerror((int)-len));
    return parse_one(path, buf, v, 1);
}

/* The file dir/v1 or, when dir has no such file, dir/v2, read into buf (path: the one read).
 * 1 for v1, 2 for v2; KISIM_EIO naming dir and both names when neither can be read. */
static int read_either(const char *dir, const char *v1, const char *v2, char *path, char *buf,
                       size_t size)
{
    long len = join(path, dir, v1);
    if (!len && (len = cgroup_read_file(path, buf, size)) >= 0) return 1;
    if (len != -ENOENT)
        return kisim_seterr(KISIM_EIO, "cgroup: cannot read %s/%s: %s", dir, v1,
                            strerror((int)-len));
    if (!(len = join(path, dir, v2)) && (len = cgroup_read_file(path, buf, size)) >= 0) return 2;
    return kisim_seterr(KISIM_EIO, "cgroup: cannot read %s: no %s (cgroup v1) or %s (v2): %s", dir,
                        v1, v2, strerror((int)-len));
}

int cgroup_cpu_quota(const char *dir, double *cpus)
{
    char path[PATH_MAX], buf[64];
    int v = read_either(dir, "cpu.cfs_quota_us", "cpu.max", path, buf, sizeof buf);
    if (v < 0) return v;
    unsigned long long quota, period = 0;
    const char *end;
    if (v == 2) { /* "QUOTA PERIOD", QUOTA "max" when there is none */
        if (parse_limit(buf, &quota, &end) || parse_u64(end, &period, &end) || !only_blanks(end))
            return not_a(path, "\"QUOTA PERIOD\" or \"max PERIOD\"", buf);
    } else {
        int err = parse_one(path, buf, &quota, 1);
        if (err) return err;
        if (quota != CGROUP_UNLIMITED) {
            join(path, dir, "cpu.cfs_period_us"); /* no longer than the quota's path */
            if ((err = read_limit(path, &period))) return err;
        }
    }
    if (quota == CGROUP_UNLIMITED) {
        *cpus = 0;
        return 0;
    }
    if (period == 0 || period == CGROUP_UNLIMITED)
        return kisim_seterr(KISIM_EINPUT, "cgroup: %s: expected a CFS period in microseconds >= 1",
                            path);
    *cpus = (double)quota / (double)period;
    return 0;
}

int cgroup_cpu_usage(const char *dir, unsigned long long *ns)
{
    char path[PATH_MAX], buf[8192];
    int v = read_either(dir, "cpuacct.usage", "cpu.stat", path, buf, sizeof buf);
    if (v < 0) return v;
    if (v == 1) return parse_one(path, buf, ns, 0);
    static const char *const key[] = {"usage_usec"};
    unsigned long long us;
    if (parse_keys(buf, key, &us, 1) != 1)
        return kisim_seterr(KISIM_EINPUT, "cgroup: %s: no line \"usage_usec NUMBER\"", path);
    *ns = us * 1000;
    return 0;
}

int cgroup_memory_read(const char *dir, cgroup_memory *m)
{
    char path[PATH_MAX], buf[64];
    int v = read_either(dir, "memory.usage_in_bytes", "memory.current", path, buf, sizeof buf);
    if (v < 0) return v;
    int err = parse_one(path, buf, &m->usage, 0);
    if (err) return err;
    m->inactive_file = 0;
    m->limit = CGROUP_UNLIMITED;
    join(path, dir, "memory.stat"); /* shorter than memory.usage_in_bytes and memory.current */
    if (v == 1) {
        static const char *const keys[] = {"total_inactive_file", "hierarchical_memory_limit"};
        unsigned long long val[2] = {0, CGROUP_UNLIMITED};
        cgroup_read_keys(path, keys, val, 2);
        m->inactive_file = val[0];
        m->limit = val[1];
        return 0;
    }
    static const char *const key[] = {"inactive_file"};
    cgroup_read_keys(path, key, &m->inactive_file, 1);
    join(path, dir, "memory.max");
    if (cgroup_read_file(path, buf, sizeof buf) < 0) return 0; /* the root has none */
    return parse_one(path, buf, &m->limit, 1);
}

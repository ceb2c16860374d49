/* test_cgroup_files.c: the cgroup file reader (cgroup/cgroup.h) on fake cgroup v1 and v2 folders
 * in a temporary directory, with file contents written by hand in the kernel's formats. The
 * values read must be the numbers written (a quota as quota / period, CPU time in ns); a missing
 * file must give KISIM_EIO naming the folder and both versions' file names, a malformed one
 * KISIM_EINPUT naming the file and what it held. cgroup_unified() is checked against
 * /proc/self/mounts. Needs no root. */
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "common/err.h"
#include "test.h"

static char tmpdir[] = "/tmp/kisim-test-cgroup-XXXXXX";

/* tmpdir/rel, made. Static storage: one folder at a time. */
static const char *folder(const char *rel)
{
    static char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", tmpdir, rel);
    mkdir(path, 0755);
    return path;
}

static void put(const char *dir, const char *name, const char *text)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    CHECK_MSG(f != NULL, "cannot write %s", path);
    if (!f) return;
    fputs(text, f);
    fclose(f);
}

static void drop(const char *dir, const char *name)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    unlink(path);
}

/* v1: cpu.cfs_quota_us with cpu.cfs_period_us, cpuacct.usage, and memory.usage_in_bytes with the
 * limit and inactive file pages in memory.stat. */
static void test_v1(void)
{
    const char *d = folder("v1");
    double cpus = -1;
    put(d, "cpu.cfs_quota_us", "30000\n");
    put(d, "cpu.cfs_period_us", "100000\n");
    CHECK_EQ_INT(cgroup_cpu_quota(d, &cpus), 0);
    CHECK_NEAR(cpus, 30000.0 / 100000.0, 1e-12);
    put(d, "cpu.cfs_quota_us", "250000\n");
    put(d, "cpu.cfs_period_us", "50000\n");
    CHECK_EQ_INT(cgroup_cpu_quota(d, &cpus), 0);
    CHECK_NEAR(cpus, 5.0, 1e-12);
    put(d, "cpu.cfs_quota_us", "-1\n"); /* no quota */
    CHECK_EQ_INT(cgroup_cpu_quota(d, &cpus), 0);
    CHECK_EQ_INT(cpus, 0);

    unsigned long long ns = 0;
    put(d, "cpuacct.usage", "123456789012\n");
    CHECK_EQ_INT(cgroup_cpu_usage(d, &ns), 0);
    CHECK_EQ_INT(ns, 123456789012LL);

    put(d, "memory.usage_in_bytes", "10485760\n");
    /* v1's own inactive_file is this group's alone; the total_ line counts its descendants. */
    put(d, "memory.stat",
        "cache 8192\nrss 4096\ninactive_file 100\nactive_file 200\n"
        "hierarchical_memory_limit 268435456\nhierarchical_memsw_limit 536870912\n"
        "total_cache 8192\ntotal_inactive_file 4096\ntotal_active_file 300\n");
    cgroup_memory m = {0};
    CHECK_EQ_INT(cgroup_memory_read(d, &m), 0);
    CHECK_EQ_INT(m.usage, 10485760);
    CHECK_EQ_INT(m.inactive_file, 4096);
    CHECK_EQ_INT(m.limit, 268435456);
}

/* v2: cpu.max, cpu.stat usage_usec, memory.current, memory.stat inactive_file, memory.max. */
static void test_v2(void)
{
    const char *d = folder("v2");
    double cpus = -1;
    put(d, "cpu.max", "50000 100000\n");
    CHECK_EQ_INT(cgroup_cpu_quota(d, &cpus), 0);
    CHECK_NEAR(cpus, 50000.0 / 100000.0, 1e-12);
    put(d, "cpu.max", "max 100000\n");
    CHECK_EQ_INT(cgroup_cpu_quota(d, &cpus), 0);
    CHECK_EQ_INT(cpus, 0);

    unsigned long long ns = 0;
    put(d, "cpu.stat",
        "usage_usec 4000123\nuser_usec 3000000\nsystem_usec 1000123\nnr_periods 10\n"
        "nr_throttled 2\nthrottled_usec 300\n");
    CHECK_EQ_INT(cgroup_cpu_usage(d, &ns), 0);
    CHECK_EQ_INT(ns, 4000123LL * 1000);

    put(d, "memory.current", "2097152\n");
    put(d, "memory.stat", "anon 1000\nfile 5000\nactive_file 777\ninactive_file 4096\n");
    put(d, "memory.max", "max\n");
    cgroup_memory m = {0};
    CHECK_EQ_INT(cgroup_memory_read(d, &m), 0);
    CHECK_EQ_INT(m.usage, 2097152);
    CHECK_EQ_INT(m.inactive_file, 4096);
    CHECK(m.limit == CGROUP_UNLIMITED);
    put(d, "memory.max", "536870912\n");
    CHECK_EQ_INT(cgroup_memory_read(d, &m), 0);
    CHECK_EQ_INT(m.limit, 536870912);
    drop(d, "memory.max"); /* the root has none: no limit */
    drop(d, "memory.stat");
    CHECK_EQ_INT(cgroup_memory_read(d, &m), 0);
    CHECK_EQ_INT(m.inactive_file, 0);
    CHECK(m.limit == CGROUP_UNLIMITED);
}

/* An empty folder and one that does not exist: KISIM_EIO naming the folder and both files. */
static void test_missing(void)
{
    char gone[PATH_MAX];
    const char *d = folder("empty");
    snprintf(gone, sizeof gone, "%s/no-such-group", tmpdir);
    const char *dirs[] = {d, gone};
    for (int i = 0; i < 2; i++) {
        double cpus;
        unsigned long long ns;
        cgroup_memory m;
        CHECK_EQ_INT(cgroup_cpu_quota(dirs[i], &cpus), KISIM_EIO);
        CHECK_STR_CONTAINS(kisim_errmsg(), dirs[i]);
        CHECK_STR_CONTAINS(kisim_errmsg(), "cpu.cfs_quota_us (cgroup v1) or cpu.max (v2)");
        CHECK_STR_CONTAINS(kisim_errmsg(), strerror(ENOENT));
        CHECK_EQ_INT(cgroup_cpu_usage(dirs[i], &ns), KISIM_EIO);
        CHECK_STR_CONTAINS(kisim_errmsg(), "cpuacct.usage (cgroup v1) or cpu.stat (v2)");
        CHECK_EQ_INT(cgroup_memory_read(dirs[i], &m), KISIM_EIO);
        CHECK_STR_CONTAINS(kisim_errmsg(), "memory.usage_in_bytes (cgroup v1) or memory.current");
    }
    /* v1 quota without its period: the period file is named. */
    d = folder("no-period");
    put(d, "cpu.cfs_quota_us", "30000\n");
    double cpus;
    CHECK_EQ_INT(cgroup_cpu_quota(d, &cpus), KISIM_EIO);
    CHECK_STR_CONTAINS(kisim_errmsg(), "no-period/cpu.cfs_period_us");
    /* v2 cpu.stat without usage_usec. */
    d = folder("no-usage");
    put(d, "cpu.stat", "nr_periods 10\nnr_throttled 2\n");
    unsigned long long ns;
    CHECK_EQ_INT(cgroup_cpu_usage(d, &ns), KISIM_EINPUT);
    CHECK_STR_CONTAINS(kisim_errmsg(), "no-usage/cpu.stat");
    CHECK_STR_CONTAINS(kisim_errmsg(), "usage_usec");
}

/* One file holding text the reader must refuse (KISIM_EINPUT, naming the file and containing
 * expect), beside only the files it needs. */
static void refuse(const char *name, const char *text, const char *expect)
{
    const char *d = folder("bad");
    const char *files[] = {"cpu.cfs_quota_us", "cpu.cfs_period_us", "cpu.max",    "cpuacct.usage",
                           "cpu.stat",         "memory.current",    "memory.max", "memory.stat"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++)
        drop(d, files[i]);
    if (!strcmp(name, "cpu.cfs_period_us")) put(d, "cpu.cfs_quota_us", "30000\n");
    if (!strcmp(name, "memory.max")) put(d, "memory.current", "4096\n");
    put(d, name, text);
    double cpus;
    unsigned long long ns;
    cgroup_memory m;
    int err = !strncmp(name, "memory", 6) ? cgroup_memory_read(d, &m)
              : !strcmp(name, "cpuacct.usage") || !strcmp(name, "cpu.stat")
                  ? cgroup_cpu_usage(d, &ns)
                  : cgroup_cpu_quota(d, &cpus);
    CHECK_MSG(err == KISIM_EINPUT, "%s holding \"%s\": %d", name, text, err);
    char want[PATH_MAX + 32];
    snprintf(want, sizeof want, "bad/%s", name);
    CHECK_STR_CONTAINS(kisim_errmsg(), want);
    CHECK_STR_CONTAINS(kisim_errmsg(), expect);
}

static void test_malformed(void)
{
    refuse("cpu.cfs_quota_us", "thirty\n", "got \"thirty\"");
    refuse("cpu.cfs_quota_us", "30000x\n", "got \"30000x\"");
    refuse("cpu.cfs_quota_us", "-5\n", "got \"-5\"");
    refuse("cpu.cfs_quota_us", "", "got \"\"");
    refuse("cpu.cfs_period_us", "0\n", "period");
    refuse("cpu.cfs_period_us", "1e5\n", "got \"1e5\"");
    refuse("cpu.max", "50000\n", "got \"50000\"");         /* no period */
    refuse("cpu.max", "50000 0\n", "period");              /* period 0 */
    refuse("cpu.max", "maximum 100000\n", "got \"max");    /* "max" must stand alone */
    refuse("cpuacct.usage", "max\n", "expected a number"); /* CPU time is not a limit */
    refuse("cpuacct.usage", "99999999999999999999999\n", "got \"9999"); /* overflows 64 bits */
    refuse("cpu.stat", "usage_usec abc\nnr_periods 1\n", "usage_usec");
    refuse("memory.current", "-1\n", "got \"-1\"");
    refuse("memory.max", "lots\n", "got \"lots\"");
}

/* The primitives: a "KEY VALUE" file with units and near-miss keys, and a small file read whole
 * or cut to the buffer. */
static void test_primitives(void)
{
    const char *d = folder("prim");
    put(d, "meminfo",
        "MemTotal:       16314500 kB\nMemFree:         1000 kB\nMemAvailable:    8000000 kB\n"
        "Buffers: x kB\n");
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/meminfo", d);
    static const char *const keys[] = {"MemTotal:", "MemAvailable:", "MemAvail", "Buffers:"};
    unsigned long long v[4] = {7, 7, 7, 7};
    CHECK_EQ_INT(cgroup_read_keys(path, keys, v, 4), 2);
    CHECK_EQ_INT(v[0], 16314500);
    CHECK_EQ_INT(v[1], 8000000);
    CHECK_EQ_INT(v[2], 7); /* a prefix of a key is not the key */
    CHECK_EQ_INT(v[3], 7); /* "x" is not a number */
    snprintf(path, sizeof path, "%s/absent", d);
    CHECK_EQ_INT(cgroup_read_keys(path, keys, v, 4), -ENOENT);

    const char text[] = "0123456789abcdef";
    put(d, "text", text);
    snprintf(path, sizeof path, "%s/text", d);
    char buf[64];
    CHECK_EQ_INT(cgroup_read_file(path, buf, sizeof buf), (long)strlen(text));
    CHECK(!strcmp(buf, text));
    char small[5];
    CHECK_EQ_INT(cgroup_read_file(path, small, sizeof small), 4);
    CHECK(!strcmp(small, "0123"));
    snprintf(path, sizeof path, "%s/absent", d);
    CHECK_EQ_INT(cgroup_read_file(path, buf, sizeof buf), -ENOENT);
}

/* cgroup_unified() agrees with the mount table: cgroup2 mounted at /sys/fs/cgroup. */
static void test_unified(void)
{
    FILE *f = fopen("/proc/self/mounts", "r");
    CHECK(f != NULL);
    if (!f) return;
    char line[1024], dev[256], at[512], type[64];
    int v2 = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "%255s %511s %63s", dev, at, type) == 3 && !strcmp(at, "/sys/fs/cgroup"))
            v2 = !strcmp(type, "cgroup2"); /* the last mount there is the one seen */
    fclose(f);
    CHECK_EQ_INT(cgroup_unified(), v2);
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

int main(void)
{
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    RUN(test_v1);
    RUN(test_v2);
    RUN(test_missing);
    RUN(test_malformed);
    RUN(test_primitives);
    RUN(test_unified);
    if (nftw(tmpdir, remove_one, 8, FTW_DEPTH | FTW_PHYS)) perror(tmpdir);
    TEST_MAIN_END();
}

/* pmu.c: hardware cache counters for the L3 miss ratio (see pmu.h). The generic perf events
 * "cache references" and "cache misses" count last-level-cache accesses on x86. */
#include "bpf/pmu.h"

#include <errno.h>
#include <linux/perf_event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/log.h"

struct pmu {
    int n;    /* CPUs */
    int *fds; /* 2 per CPU: references, misses */
};

static int open_counter(unsigned long long config, int cpu)
{
    struct perf_event_attr a;
    memset(&a, 0, sizeof a);
    a.size = sizeof a;
    a.type = PERF_TYPE_HARDWARE;
    a.config = config;
    a.read_format = PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING;
    return (int)syscall(SYS_perf_event_open, &a, -1, cpu, -1, 0);
}

pmu *pmu_open(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    pmu *p = calloc(1, sizeof *p);
    if (!p || n <= 0 || !(p->fds = malloc(2 * (size_t)n * sizeof *p->fds))) {
        free(p);
        return NULL;
    }
    for (int i = 0; i < 2 * n; i++)
        p->fds[i] = -1;
    p->n = (int)n;
    for (int c = 0; c < n; c++) {
        p->fds[2 * c] = open_counter(PERF_COUNT_HW_CACHE_REFERENCES, c);
        p->fds[2 * c + 1] = open_counter(PERF_COUNT_HW_CACHE_MISSES, c);
        if (p->fds[2 * c] < 0 || p->fds[2 * c + 1] < 0) {
            log_debug(
                "collect: no hardware cache counters on CPU %d (%s): L3 miss rate unavailable", c,
                strerror(errno));
            pmu_close(p);
            return NULL;
        }
    }
    return p;
}

/* A counter's value scaled for the time it was multiplexed off the PMU. */
static int read_scaled(int fd, unsigned long long *v)
{
    unsigned long long buf[3]; /* value, time enabled, time running */
    if (read(fd, buf, sizeof buf) != (ssize_t)sizeof buf) return -1;
    *v = buf[2] ? (unsigned long long)((double)buf[0] * (double)buf[1] / (double)buf[2]) : 0;
    return 0;
}

int pmu_read(pmu *p, unsigned long long *refs, unsigned long long *misses)
{
    *refs = *misses = 0;
    for (int c = 0; c < p->n; c++) {
        unsigned long long r, m;
        if (read_scaled(p->fds[2 * c], &r) || read_scaled(p->fds[2 * c + 1], &m)) return -1;
        *refs += r;
        *misses += m;
    }
    return 0;
}

void pmu_close(pmu *p)
{
    if (!p) return;
    for (int i = 0; i < 2 * p->n; i++)
        if (p->fds[i] >= 0) close(p->fds[i]);
    free(p->fds);
    free(p);
}

/* pmu.h: the last-level-cache miss ratio of the whole machine from hardware counters
 * (perf_event_open, one counter pair per CPU), where the machine has a PMU that exposes them.
 * Per-cgroup counting would need the perf_event cgroup controller: whole machine only. */
#ifndef KISIM_BPF_PMU_H
#define KISIM_BPF_PMU_H

typedef struct pmu pmu;

/* Opens cache-reference and cache-miss counters on every online CPU. Returns NULL (and says why
 * at debug level) when the machine has no usable PMU: the feature is then unavailable. */
pmu *pmu_open(void);
/* Cumulative references and misses over all CPUs; 0, or -1 if a read failed. */
int pmu_read(pmu *p, unsigned long long *refs, unsigned long long *misses);
void pmu_close(pmu *p);

#endif

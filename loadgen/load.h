/* load.h: the load patterns of docs/LOAD.md: users(t) for whole seconds t.
 *
 * One definition, two implementations: this one (for the sim) and the Locust LoadTestShape
 * classes in loadgen/locustfile.py; they must agree at every whole second. Each pattern gives a
 * real-valued level, rounded half up to an integer number of users; the offered request rate is
 * users(t) * rate_per_user. */
#ifndef KISIM_LOAD_H
#define KISIM_LOAD_H

#include "common/config.h"

typedef struct {
    cfg_load cfg;
    double *trace_t, *trace_v; /* owned; the trace's points, time ascending (trace only) */
    int trace_n;
} load_pattern;

/* Prepares a pattern from its config block; reads the trace CSV for `trace`.
 * KISIM_EIO / KISIM_EINPUT with a message naming the file and line on a bad trace. */
int load_init(load_pattern *lp, const cfg_load *cfg);
void load_free(load_pattern *lp);

/* Users at whole second t >= 0 (rounded half up, never negative). */
int load_users(const load_pattern *lp, long t);
/* The unrounded level at time t (seconds, any real t >= 0), before rounding. */
double load_level(const load_pattern *lp, double t);
/* Offered requests per second at whole second t: load_users(t) * rate_per_user. */
double load_rate(const load_pattern *lp, long t);
/* Mean offered rate over [t0, t1): the pattern is constant within each whole second. */
double load_mean_rate(const load_pattern *lp, double t0, double t1);

#endif

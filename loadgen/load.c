/* load.c: the load patterns of docs/LOAD.md for the sim; owns a trace's points.
 *
 * loadgen/locustfile.py implements the same patterns for Locust, and the two must agree at every
 * whole second, so each formula keeps docs/LOAD.md's order of operations: both sides then
 * compute the same IEEE doubles (with the same libm sin) and round them the same way. */
#include "loadgen/load.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/rng.h"

static const double PI = 3.14159265358979323846;

/* config.c checks these ranges too, but a hand-filled cfg_load must not reach a division by
 * zero (or an endless window) here. */
static int need_positive(const char *key, double v)
{
    if (v > 0 && isfinite(v)) return 0;
    return kisim_seterr(KISIM_ECONFIG, "load: %s: expected a number > 0, got %g", key, v);
}

static int check_params(const cfg_load *c)
{
    switch (c->pattern) {
    case LOAD_RAMP:
        return need_positive("/load/ramp/duration_s", c->ramp.duration_s);
    case LOAD_SPIKE:
        return 0;
    case LOAD_PERIODIC:
        return need_positive("/load/periodic/period_s", c->periodic.period_s);
    case LOAD_RANDOM:
        return need_positive("/load/random/interval_s", c->random.interval_s);
    case LOAD_TRACE:
        if (c->trace.window_end_s > 0 && !(c->trace.window_end_s > c->trace.window_start_s))
            return kisim_seterr(KISIM_ECONFIG,
                                "load: /load/trace/window_end_s: expected 0 or a time after "
                                "window_start_s (%g), got %g",
                                c->trace.window_start_s, c->trace.window_end_s);
        if (c->trace.unit == TRACE_UNIT_RPS)
            return need_positive("/load/rate_per_user", c->rate_per_user);
        return 0;
    }
    return kisim_seterr(KISIM_ECONFIG, "load: /load/pattern: unknown pattern %d", (int)c->pattern);
}

/* 1 if s is exactly "number,number" (blanks around either allowed) with finite numbers. */
static int parse_point(const char *s, double *t, double *v)
{
    char *end;
    *t = strtod(s, &end);
    if (end == s) return 0;
    s = end + strspn(end, " \t");
    if (*s++ != ',') return 0;
    *v = strtod(s, &end);
    if (end == s) return 0;
    return end[strspn(end, " \t")] == '\0' && isfinite(*t) && isfinite(*v);
}

static int starts_with_number(const char *s)
{
    char *end;
    strtod(s, &end);
    return end != s;
}

static int append_point(load_pattern *lp, int *cap, double t, double v)
{
    if (lp->trace_n == *cap) {
        int ncap = *cap ? 2 * *cap : 1024;
        /* Store each grown buffer at once so that load_free releases it if the other fails. */
        double *nt = realloc(lp->trace_t, (size_t)ncap * sizeof *nt);
        if (nt) lp->trace_t = nt;
        double *nv = nt ? realloc(lp->trace_v, (size_t)ncap * sizeof *nv) : NULL;
        if (nv) lp->trace_v = nv;
        if (!nt || !nv) return kisim_seterr(KISIM_ENOMEM, "load: out of memory reading a trace");
        *cap = ncap;
    }
    lp->trace_t[lp->trace_n] = t;
    lp->trace_v[lp->trace_n] = v;
    lp->trace_n++;
    return 0;
}

/* Reads "time_s,value" points: '#' lines and blank lines skipped, and one header line when the
 * first data-like line does not start with a number. */
static int read_trace(load_pattern *lp, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return kisim_seterr(KISIM_EIO, "load: trace %s: cannot read: %s", path, strerror(errno));
    char *line = NULL;
    size_t linecap = 0;
    ssize_t len;
    long lineno = 0;
    int cap = 0, err = 0, seen_line = 0;
    while ((len = getline(&line, &linecap, f)) >= 0) {
        lineno++;
        while (len > 0 && isspace((unsigned char)line[len - 1])) /* \n, and \r from Windows */
            line[--len] = '\0';
        const char *s = line + strspn(line, " \t");
        if (line[0] == '#' || *s == '\0') continue;
        double t, v;
        if (!parse_point(s, &t, &v)) {
            if (!seen_line && !starts_with_number(s)) {
                seen_line = 1;
                continue;
            }
            err = kisim_seterr(KISIM_EINPUT,
                               "load: trace %s:%ld: expected \"time_s,value\", got \"%.100s%s\"",
                               path, lineno, s, strlen(s) > 100 ? "..." : "");
            goto cleanup;
        }
        seen_line = 1;
        if (lp->trace_n > 0 && !(t > lp->trace_t[lp->trace_n - 1])) {
            err = kisim_seterr(KISIM_EINPUT,
                               "load: trace %s:%ld: time %g is not after the previous point's %g "
                               "(times must be strictly increasing)",
                               path, lineno, t, lp->trace_t[lp->trace_n - 1]);
            goto cleanup;
        }
        if ((err = append_point(lp, &cap, t, v)) < 0) goto cleanup;
    }
    if (ferror(f))
        err = kisim_seterr(KISIM_EIO, "load: trace %s: cannot read: %s", path, strerror(errno));
    else if (lp->trace_n == 0)
        err = kisim_seterr(
            KISIM_EINPUT, "load: trace %s: no data points (expected \"time_s,value\" lines)", path);
cleanup:
    free(line);
    fclose(f);
    return err;
}

int load_init(load_pattern *lp, const cfg_load *cfg)
{
    memset(lp, 0, sizeof *lp);
    lp->cfg = *cfg;
    int err = check_params(cfg);
    if (!err && cfg->pattern == LOAD_TRACE) err = read_trace(lp, cfg->trace.path);
    if (err) load_free(lp);
    return err;
}

void load_free(load_pattern *lp)
{
    if (!lp) return;
    free(lp->trace_t);
    free(lp->trace_v);
    lp->trace_t = lp->trace_v = NULL;
    lp->trace_n = 0;
}

/* Linear interpolation; the first value before the first point, the last after the last. */
static double trace_value(const load_pattern *lp, double t)
{
    const double *ts = lp->trace_t, *vs = lp->trace_v;
    int lo = 0, hi = lp->trace_n - 1;
    if (t <= ts[lo]) return vs[lo];
    if (t >= ts[hi]) return vs[hi];
    while (hi - lo > 1) { /* ts[lo] < t < ts[hi] */
        int mid = lo + (hi - lo) / 2;
        if (ts[mid] <= t)
            lo = mid;
        else
            hi = mid;
    }
    return vs[lo] + (vs[hi] - vs[lo]) * (t - ts[lo]) / (ts[hi] - ts[lo]);
}

double load_level(const load_pattern *lp, double t)
{
    const cfg_load *c = &lp->cfg;
    switch (c->pattern) {
    case LOAD_RAMP:
        return c->ramp.start + (c->ramp.end - c->ramp.start) * fmin(t / c->ramp.duration_s, 1);
    case LOAD_SPIKE: {
        int on = c->spike.at_s <= t && t < c->spike.at_s + c->spike.width_s;
        return on ? c->spike.base + c->spike.height : c->spike.base;
    }
    case LOAD_PERIODIC:
        return c->periodic.mean + c->periodic.amplitude * sin(2 * PI * t / c->periodic.period_s);
    case LOAD_RANDOM: {
        /* Through int64_t so that seed + k wraps mod 2^64, as (seed + k) & mask does in Python. */
        uint64_t k = (uint64_t)(int64_t)floor(t / c->random.interval_s);
        double u = rng_splitmix64_unit(c->random.seed + k);
        return c->random.min + (c->random.max - c->random.min) * u;
    }
    case LOAD_TRACE: {
        double span = c->trace.window_end_s - c->trace.window_start_s;
        double tw = c->trace.window_start_s + (c->trace.window_end_s > 0 ? fmod(t, span) : t);
        double v = trace_value(lp, tw) * c->trace.scale;
        return c->trace.unit == TRACE_UNIT_RPS ? v / c->rate_per_user : v;
    }
    }
    return 0;
}

int load_users(const load_pattern *lp, long t)
{
    double u = floor(load_level(lp, (double)t) + 0.5); /* half up, never banker's rounding */
    if (!(u > 0)) return 0;
    return u < INT_MAX ? (int)u : INT_MAX;
}

double load_rate(const load_pattern *lp, long t)
{
    return load_users(lp, t) * lp->cfg.rate_per_user;
}

double load_mean_rate(const load_pattern *lp, double t0, double t1)
{
    double sum = 0;
    for (long sec = (long)floor(t0); sec < t1; sec++) {
        double a = fmax(t0, (double)sec), b = fmin(t1, (double)sec + 1);
        if (b > a) sum += (b - a) * load_rate(lp, sec);
    }
    return t1 > t0 ? sum / (t1 - t0) : 0;
}

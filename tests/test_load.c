/* test_load.c: every load pattern against its formula in docs/LOAD.md, second by second,
 * computed here independently (own splitmix64 from Vigna's constants, own half-up rounding); trace
 * parsing, interpolation, windows, units and errors on small CSVs in a temporary folder; the
 * shipped NASA excerpt against its source. */
#include <stdint.h>
#include <unistd.h>

#include "common/err.h"
#include "common/rng.h"
#include "loadgen/load.h"
#include "tests/test.h"

static char tmpdir[] = "/tmp/kisim_test_load_XXXXXX";

/* Vigna's splitmix64 (prng.di.unimi.it/splitmix64.c): advance the state, then mix it. */
static uint64_t sm64_next(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double sm64_unit(uint64_t seed)
{
    return (double)(sm64_next(&seed) >> 11) / 9007199254740992.0; /* 2^53 */
}

/* Half up by truncation, not floor(x + 0.5): a second rounding route to compare against. */
static long expect_users(double level)
{
    if (level < 0.5) return 0;
    long whole = (long)level;
    return level - (double)whole >= 0.5 ? whole + 1 : whole;
}

static cfg_load base_cfg(cfg_load_pattern pattern)
{
    cfg_load c;
    memset(&c, 0, sizeof c);
    c.pattern = pattern;
    c.rate_per_user = 1;
    return c;
}

static const char *write_tmp(const char *name, const char *text)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        exit(1);
    }
    fputs(text, f);
    fclose(f);
    return path;
}

static void test_splitmix64_published(void)
{
    uint64_t s = 0;
    CHECK(sm64_next(&s) == 0xe220a8397b1dcdafULL);
    CHECK(sm64_next(&s) == 0x6e789e6aa1b965f4ULL);
    CHECK(sm64_next(&s) == 0x06c45d188009454fULL);
    /* rng_splitmix64(x) is the first output for state x, which the random pattern relies on. */
    CHECK(rng_splitmix64(0) == 0xe220a8397b1dcdafULL);
    CHECK(rng_splitmix64(0x9e3779b97f4a7c15ULL) == 0x6e789e6aa1b965f4ULL);
    CHECK(rng_splitmix64(2 * 0x9e3779b97f4a7c15ULL) == 0x06c45d188009454fULL);
    for (uint64_t x = 0; x < 1000; x += 37)
        CHECK(rng_splitmix64_unit(x) == sm64_unit(x));
}

/* users(t) and load_rate(t) against level(t) for t in [0, t_end]. */
static void check_against(const load_pattern *lp, long t_end,
                          double (*level)(const cfg_load *, long))
{
    for (long t = 0; t <= t_end; t++) {
        double want = level(&lp->cfg, t);
        CHECK_NEAR(load_level(lp, (double)t), want, 1e-9 * (1 + fabs(want)));
        CHECK_MSG(load_users(lp, t) == expect_users(want),
                  "t=%ld: users %d, want %ld (level %.17g)", t, load_users(lp, t),
                  expect_users(want), want);
        CHECK(load_rate(lp, t) == (double)expect_users(want) * lp->cfg.rate_per_user);
    }
}

static double ramp_level(const cfg_load *c, long t)
{
    double frac = (double)t / c->ramp.duration_s;
    return c->ramp.start + (c->ramp.end - c->ramp.start) * (frac < 1 ? frac : 1);
}

static void test_ramp(void)
{
    cfg_load c = base_cfg(LOAD_RAMP);
    c.rate_per_user = 2.5;
    c.ramp.start = 2, c.ramp.end = 30, c.ramp.duration_s = 40;
    load_pattern lp;
    CHECK_EQ_INT(load_init(&lp, &c), 0);
    check_against(&lp, 100, ramp_level);
    CHECK_EQ_INT(load_users(&lp, 0), 2);
    CHECK_EQ_INT(load_users(&lp, 20), 16);
    CHECK_EQ_INT(load_users(&lp, 1000), 30);
    CHECK(load_rate(&lp, 20) == 40.0);
    CHECK_NEAR(load_level(&lp, 0.5), 2.35, 1e-12);
    load_free(&lp);

    c.ramp.start = 50, c.ramp.end = 10, c.ramp.duration_s = 60; /* ramps down too */
    CHECK_EQ_INT(load_init(&lp, &c), 0);
    check_against(&lp, 120, ramp_level);
    CHECK_EQ_INT(load_users(&lp, 30), 30);
    load_free(&lp);
}

static double spike_level(const cfg_load *c, long t)
{
    int on = (double)t >= c->spike.at_s && (double)t < c->spike.at_s + c->spike.width_s;
    return c->spike.base + (on ? c->spike.height : 0);
}

static void test_spike(void)
{
    cfg_load c = base_cfg(LOAD_SPIKE);
    c.spike.base = 5, c.spike.height = 20, c.spike.at_s = 30, c.spike.width_s = 15;
    load_pattern lp;
    CHECK_EQ_INT(load_init(&lp, &c), 0);
    check_against(&lp, 100, spike_level);
    CHECK_EQ_INT(load_users(&lp, 29), 5);
    CHECK_EQ_INT(load_users(&lp, 30), 25);
    CHECK_EQ_INT(load_users(&lp, 44), 25);
    CHECK_EQ_INT(load_users(&lp, 45), 5);
    load_free(&lp);

    c.spike.at_s = 10.5, c.spike.width_s = 2; /* covers whole seconds 11 and 12 only */
    CHECK_EQ_INT(load_init(&lp, &c), 0);
    check_against(&lp, 30, spike_level);
    CHECK_EQ_INT(load_users(&lp, 10), 5);
    CHECK_EQ_INT(load_users(&lp, 11), 25);
    CHECK_EQ_INT(load_users(&lp, 12), 25);
    CHECK_EQ_INT(load_users(&lp, 13), 5);
    CHECK(load_level(&lp, 10.5) == 25 && load_level(&lp, 12.5) == 5);
    load_free(&lp);
}

static double periodic_level(const cfg_load *c, long t)
{
    const double two_pi = 6.283185307179586476925;
    return c->periodic.mean +
           c->periodic.amplitude * sin(two_pi * (double)t / c->periodic.period_s);
}

static void test_periodic(void)
{
    cfg_load c = base_cfg(LOAD_PERIODIC);
    c.periodic.mean = 10, c.periodic.amplitude = 6, c.periodic.period_s = 60;
    load_pattern lp;
    CHECK_EQ_INT(load_init(&lp, &c), 0);
    check_against(&lp, 120, periodic_level);
    CHECK_EQ_INT(load_users(&lp, 0), 10);
    CHECK_EQ_INT(load_users(&lp, 15), 16);
    CHECK_EQ_INT(load_users(&lp, 45), 4);
    CHECK_EQ_INT(load_users(&lp, 75), 16);
    load_free(&lp);

    /* Troughs below zero clamp to 0 users. */
    c.periodic.mean = 1, c.periodic.amplitude = 5, c.periodic.period_s = 20;
    CHECK_EQ_INT(load_init(&lp, &c), 0);
    check_against(&lp, 40, periodic_level);
    CHECK_NEAR(load_level(&lp, 15), -4, 1e-12);
    CHECK_EQ_INT(load_users(&lp, 15), 0);
    CHECK(load_rate(&lp, 15) == 0);
    for (long t = 0; t <= 40; t++)
        CHECK(load_users(&lp, t) >= 0);
    load_free(&lp);
}

static double random_level(const cfg_load *c, long t)
{
    uint64_t k = (uint64_t)(t / (long)c->random.interval_s); /* whole-second intervals here */
    return c->random.min + (c->random.max - c->random.min) * sm64_unit(c->random.seed + k);
}

static void test_random(void)
{
    cfg_load c = base_cfg(LOAD_RANDOM);
    c.random.min = 3, c.random.max = 40, c.random.interval_s = 10, c.random.seed = 12345;
    load_pattern lp;
    CHECK_EQ_INT(load_init(&lp, &c), 0);
    check_against(&lp, 200, random_level);
    for (long t = 0; t <= 200; t++) /* piecewise constant within an interval */
        CHECK(load_level(&lp, (double)t) == load_level(&lp, (double)(t - t % 10)));
    /* Real t picks the level floor(t / interval). */
    CHECK(load_level(&lp, 19.99) == random_level(&c, 10));
    CHECK(load_level(&lp, 20.0) == random_level(&c, 20));
    load_free(&lp);

    /* seed + k wraps around 2^64. */
    c.random.seed = UINT64_MAX - 2, c.random.interval_s = 1;
    CHECK_EQ_INT(load_init(&lp, &c), 0);
    check_against(&lp, 6, random_level);
    CHECK(load_level(&lp, 3) == 3 + 37 * sm64_unit(0));
    load_free(&lp);
}

/* Levels must round half up, never to even. */
static void test_half_up(void)
{
    load_pattern lp;
    cfg_load c = base_cfg(LOAD_RAMP);
    c.ramp.start = 0, c.ramp.end = 21, c.ramp.duration_s = 20; /* 21 * (10 / 20) = 10.5 exactly */
    CHECK_EQ_INT(load_init(&lp, &c), 0);
    CHECK(load_level(&lp, 10) == 10.5);
    CHECK_EQ_INT(load_users(&lp, 10), 11);
    load_free(&lp);

    const double halves[] = {0.5, 1.5, 2.5, 3.5, 12.5};
    for (size_t i = 0; i < sizeof halves / sizeof *halves; i++) {
        c.ramp.start = c.ramp.end = halves[i];
        CHECK_EQ_INT(load_init(&lp, &c), 0);
        CHECK_EQ_INT(load_users(&lp, 3), (long)halves[i] + 1);
        load_free(&lp);
    }

    cfg_load s = base_cfg(LOAD_SPIKE);
    s.spike.base = 2.5, s.spike.height = 2, s.spike.at_s = 1, s.spike.width_s = 1;
    CHECK_EQ_INT(load_init(&lp, &s), 0);
    CHECK_EQ_INT(load_users(&lp, 0), 3);
    CHECK_EQ_INT(load_users(&lp, 1), 5);
    load_free(&lp);

    cfg_load p = base_cfg(LOAD_PERIODIC);
    p.periodic.mean = 4.5, p.periodic.amplitude = 0, p.periodic.period_s = 10;
    CHECK_EQ_INT(load_init(&lp, &p), 0);
    CHECK_EQ_INT(load_users(&lp, 7), 5);
    load_free(&lp);

    /* Just below a half rounds down. */
    c.ramp.start = c.ramp.end = nextafter(2.5, 0);
    CHECK_EQ_INT(load_init(&lp, &c), 0);
    CHECK_EQ_INT(load_users(&lp, 0), 2);
    load_free(&lp);
}

/* The small trace below, as a closed form: 10 + t up to 10, down to 0 at 30, up to 5 at 40. */
static const char small_csv[] = "# a test trace\n"
                                "# second comment, with, commas\n"
                                "time_s,users\n"
                                "0,10\n"
                                "10, 20\r\n"
                                "\n"
                                "  30 ,0\n"
                                "   \n"
                                "# comment between points\n"
                                "40,5\n";

static double small_f(double t)
{
    if (t <= 0) return 10;
    if (t <= 10) return 10 + t;
    if (t <= 30) return 30 - t;
    if (t <= 40) return (t - 30) / 2;
    return 5;
}

static cfg_load trace_cfg(const char *path)
{
    cfg_load c = base_cfg(LOAD_TRACE);
    snprintf(c.trace.path, sizeof c.trace.path, "%s", path);
    c.trace.scale = 1;
    c.trace.unit = TRACE_UNIT_USERS;
    return c;
}

static void test_trace_interpolation(void)
{
    cfg_load c = trace_cfg(write_tmp("small.csv", small_csv));
    load_pattern lp;
    CHECK_EQ_INT(load_init(&lp, &c), 0);
    CHECK_EQ_INT(lp.trace_n, 4);
    for (long t = 0; t <= 80; t++) {
        CHECK_NEAR(load_level(&lp, (double)t), small_f((double)t), 1e-12);
        CHECK_MSG(load_users(&lp, t) == expect_users(small_f((double)t)), "t=%ld: %d vs %ld", t,
                  load_users(&lp, t), expect_users(small_f((double)t)));
    }
    CHECK_EQ_INT(load_users(&lp, 31), 1); /* level 0.5 */
    CHECK_EQ_INT(load_users(&lp, 33), 2); /* level 1.5 */
    CHECK(load_level(&lp, 2.5) == 12.5);
    CHECK(load_level(&lp, 35.5) == 2.75);
    load_free(&lp);

    c.trace.scale = 3;
    CHECK_EQ_INT(load_init(&lp, &c), 0);
    for (long t = 0; t <= 60; t++)
        CHECK_EQ_INT(load_users(&lp, t), expect_users(3 * small_f((double)t)));
    load_free(&lp);

    /* A trace that starts late holds its first value before the first point. */
    c = trace_cfg(write_tmp("late.csv", "100,4\n200,8\n"));
    CHECK_EQ_INT(load_init(&lp, &c), 0);
    CHECK_EQ_INT(load_users(&lp, 0), 4);
    CHECK_EQ_INT(load_users(&lp, 150), 6);
    CHECK_EQ_INT(load_users(&lp, 500), 8);
    load_free(&lp);
}

static void test_trace_window(void)
{
    cfg_load c = trace_cfg(write_tmp("small.csv", small_csv));
    load_pattern lp;

    c.trace.window_start_s = 5; /* no end: shifted, then held at the last value */
    CHECK_EQ_INT(load_init(&lp, &c), 0);
    for (long t = 0; t <= 60; t++)
        CHECK_EQ_INT(load_users(&lp, t), expect_users(small_f(5.0 + (double)t)));
    load_free(&lp);

    c.trace.window_end_s = 35; /* loops over [5, 35): period 30 */
    CHECK_EQ_INT(load_init(&lp, &c), 0);
    for (long t = 0; t <= 100; t++) {
        double want = small_f(5.0 + (double)(t % 30));
        CHECK_NEAR(load_level(&lp, (double)t), want, 1e-12);
        CHECK_EQ_INT(load_users(&lp, t), expect_users(want));
    }
    CHECK_EQ_INT(load_users(&lp, 0), 15);
    CHECK_EQ_INT(load_users(&lp, 29), 2);  /* t' = 34: level 2 */
    CHECK_EQ_INT(load_users(&lp, 30), 15); /* back to t' = 5 */
    CHECK(load_level(&lp, 61.5) == small_f(6.5));
    load_free(&lp);

    c.trace.window_start_s = 0, c.trace.window_end_s = 60; /* window past the trace's end */
    CHECK_EQ_INT(load_init(&lp, &c), 0);
    CHECK_EQ_INT(load_users(&lp, 50), 5);
    CHECK_EQ_INT(load_users(&lp, 60), 10);
    load_free(&lp);
}

static void test_trace_rps(void)
{
    cfg_load c = trace_cfg(write_tmp("small.csv", small_csv));
    c.trace.unit = TRACE_UNIT_RPS; /* values are request rates: users = value * scale / rpu */
    c.trace.scale = 2;
    c.rate_per_user = 4;
    load_pattern lp;
    CHECK_EQ_INT(load_init(&lp, &c), 0);
    for (long t = 0; t <= 60; t++) {
        long want = expect_users(small_f((double)t) * 2 / 4);
        CHECK_EQ_INT(load_users(&lp, t), want);
        CHECK(load_rate(&lp, t) == 4.0 * (double)want);
    }
    CHECK(load_level(&lp, 10) == 10);    /* 20 rps * 2 / 4 */
    CHECK_EQ_INT(load_users(&lp, 1), 6); /* 11 * 2 / 4 = 5.5 */
    load_free(&lp);
}

/* load_init must fail with err, a message containing each of want[], and leave lp freed. */
static void check_fails(const cfg_load *c, int err, const char *const *want, int n_want)
{
    load_pattern lp;
    kisim_clearerr();
    int rc = load_init(&lp, c);
    CHECK_MSG(rc == err, "%s: got %s (%s)", c->trace.path, kisim_errname(rc), kisim_errmsg());
    for (int i = 0; i < n_want; i++)
        CHECK_STR_CONTAINS(kisim_errmsg(), want[i]);
    CHECK(lp.trace_t == NULL && lp.trace_v == NULL && lp.trace_n == 0);
    load_free(&lp);
}

static void check_bad_trace(const char *name, const char *text, int err, const char *want)
{
    const char *path = write_tmp(name, text);
    cfg_load c = trace_cfg(path);
    char prefix[600];
    snprintf(prefix, sizeof prefix, "load: trace %s", path);
    const char *const w[] = {prefix, want};
    check_fails(&c, err, w, 2);
}

static void test_trace_errors(void)
{
    char path[600];
    snprintf(path, sizeof path, "%s/missing.csv", tmpdir);
    cfg_load c = trace_cfg(path);
    char msg[700];
    snprintf(msg, sizeof msg, "load: trace %s: cannot read: No such file or directory", path);
    const char *const w1[] = {msg};
    check_fails(&c, KISIM_EIO, w1, 1);

    c = trace_cfg(tmpdir); /* a folder opens but cannot be read */
    snprintf(msg, sizeof msg, "load: trace %s: cannot read: ", tmpdir);
    const char *const w2[] = {msg};
    check_fails(&c, KISIM_EIO, w2, 1);

    check_bad_trace("value.csv", "# c\ntime_s,value\n0,1\n5,abc\n", KISIM_EINPUT,
                    "value.csv:4: expected \"time_s,value\", got \"5,abc\"");
    check_bad_trace("columns.csv", "0,1\n1,2,3\n", KISIM_EINPUT,
                    "columns.csv:2: expected \"time_s,value\", got \"1,2,3\"");
    check_bad_trace("one.csv", "0,1\n\n7\n", KISIM_EINPUT,
                    "one.csv:3: expected \"time_s,value\", got \"7\"");
    check_bad_trace("late_header.csv", "0,1\ntime_s,value\n", KISIM_EINPUT,
                    "late_header.csv:2: expected \"time_s,value\", got \"time_s,value\"");
    check_bad_trace("two_headers.csv", "time_s,value\ntime,v\n0,1\n", KISIM_EINPUT,
                    "two_headers.csv:2: expected");
    check_bad_trace("nan.csv", "0,nan\n", KISIM_EINPUT, "nan.csv:1: expected");
    check_bad_trace("equal.csv", "time_s,value\n0,1\n5,2\n5,3\n", KISIM_EINPUT, "equal.csv:4: ");
    check_bad_trace("back.csv", "0,1\n5,2\n3,3\n", KISIM_EINPUT, "strictly increasing");
    check_bad_trace("empty.csv", "", KISIM_EINPUT, "empty.csv: no data points");
    check_bad_trace("header_only.csv", "# only comments\ntime_s,value\n\n", KISIM_EINPUT,
                    "header_only.csv: no data points");
}

static void test_config_errors(void)
{
    cfg_load c = base_cfg(LOAD_RAMP);
    const char *const w1[] = {"load: /load/ramp/duration_s: expected a number > 0, got 0"};
    check_fails(&c, KISIM_ECONFIG, w1, 1);
    c = base_cfg(LOAD_PERIODIC);
    const char *const w2[] = {"/load/periodic/period_s"};
    check_fails(&c, KISIM_ECONFIG, w2, 1);
    c = base_cfg(LOAD_RANDOM);
    c.random.interval_s = -1;
    const char *const w3[] = {"/load/random/interval_s", "got -1"};
    check_fails(&c, KISIM_ECONFIG, w3, 2);
    c = trace_cfg(write_tmp("small.csv", small_csv));
    c.trace.window_start_s = 10, c.trace.window_end_s = 10;
    const char *const w4[] = {"/load/trace/window_end_s"};
    check_fails(&c, KISIM_ECONFIG, w4, 1);
    c = trace_cfg(write_tmp("small.csv", small_csv));
    c.trace.unit = TRACE_UNIT_RPS, c.rate_per_user = 0;
    const char *const w5[] = {"/load/rate_per_user"};
    check_fails(&c, KISIM_ECONFIG, w5, 1);
}

static void test_free_safe(void)
{
    load_free(NULL);
    load_pattern lp;
    memset(&lp, 0, sizeof lp);
    load_free(&lp);
    cfg_load c = trace_cfg(write_tmp("small.csv", small_csv));
    CHECK_EQ_INT(load_init(&lp, &c), 0);
    load_free(&lp);
    load_free(&lp);
    CHECK(lp.trace_t == NULL && lp.trace_n == 0);
}

/* Points of a NASA CSV read here with sscanf; returns the count (at most max). */
static int read_points(const char *path, double *t, double *v, int max)
{
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    char line[256];
    int n = 0;
    while (n < max && fgets(line, sizeof line, f))
        if (line[0] != '#' && sscanf(line, "%lf,%lf", &t[n], &v[n]) == 2) n++;
    fclose(f);
    return n;
}

static void test_nasa_excerpt(void)
{
    const char *src = getenv("KISIM_SOURCE_DIR");
    if (!src) src = ".";
    char path[1024];
    snprintf(path, sizeof path, "%s/configs/traces/nasa_1995_excerpt.csv", src);
    cfg_load c = trace_cfg(path);
    c.trace.unit = TRACE_UNIT_RPS, c.trace.scale = 100, c.rate_per_user = 1;
    load_pattern lp;
    CHECK_MSG(load_init(&lp, &c) == 0, "%s", kisim_errmsg());
    CHECK_EQ_INT(lp.trace_n, 2880);
    if (lp.trace_n != 2880) {
        load_free(&lp);
        return;
    }
    CHECK(lp.trace_t[0] == 0 && lp.trace_t[2879] == 172740);
    /* The first rows of ../shared/traces/nasa_http_1995_per_minute.csv. */
    const double first[] = {0.7000, 1.0333, 0.9667, 1.1500, 1.1667, 0.9167};
    for (int i = 0; i < 6; i++) {
        CHECK(lp.trace_t[i] == 60.0 * i);
        CHECK(lp.trace_v[i] == first[i]);
    }
    CHECK_EQ_INT(load_users(&lp, 0), 70);
    CHECK_EQ_INT(load_users(&lp, 60), 103);
    CHECK_EQ_INT(load_users(&lp, 30), 87);     /* (70 + 103.33) / 2 = 86.665 */
    CHECK_EQ_INT(load_users(&lp, 999999), 88); /* held at the last value, 0.8833 */

    /* Every row matches the source, when the shared folder is beside the source tree. */
    static double st[2880], sv[2880];
    snprintf(path, sizeof path, "%s/../shared/traces/nasa_http_1995_per_minute.csv", src);
    int n = read_points(path, st, sv, 2880);
    if (n < 0) {
        fprintf(stderr, "note: %s not found; compared the first rows only\n", path);
    } else {
        CHECK_EQ_INT(n, 2880);
        int same = 1;
        for (int i = 0; i < n; i++)
            same &= st[i] == lp.trace_t[i] && sv[i] == lp.trace_v[i];
        CHECK(same);
    }
    load_free(&lp);
}

static void remove_tmpdir(void)
{
    const char *names[] = {"small.csv", "late.csv",        "value.csv",       "columns.csv",
                           "one.csv",   "late_header.csv", "two_headers.csv", "nan.csv",
                           "equal.csv", "back.csv",        "empty.csv",       "header_only.csv"};
    char path[600];
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        snprintf(path, sizeof path, "%s/%s", tmpdir, names[i]);
        unlink(path);
    }
    rmdir(tmpdir);
}

int main(void)
{
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    RUN(test_splitmix64_published);
    RUN(test_ramp);
    RUN(test_spike);
    RUN(test_periodic);
    RUN(test_random);
    RUN(test_half_up);
    RUN(test_trace_interpolation);
    RUN(test_trace_window);
    RUN(test_trace_rps);
    RUN(test_trace_errors);
    RUN(test_config_errors);
    RUN(test_free_safe);
    RUN(test_nasa_excerpt);
    remove_tmpdir();
    TEST_MAIN_END();
}

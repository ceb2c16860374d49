/* test_telem_time.c: the telemetry store checks a frame's own timestamp, not only its arrival.
 * With a 10 s staleness limit, a frame stamped exactly 10 s ago or 5 s ahead is used, 1 ms
 * beyond either is refused and counted (as are frames of 1970, an hour ago and 31 years ahead);
 * a sample is dated by its ts_ms, so a frame 3 s old arrives 3 s old and turns stale 7 s later.
 * The scoring service's /metrics page shows each reason. */
#include <stdlib.h>

#include "common/err.h"
#include "scheduler/extender_metrics.h"
#include "scheduler/score.h"
#include "telemetry/store.h"
#include "test.h"

#define EPOCH_MS 1700000000000LL
static int64_t fake_ms = 5000;
static int64_t fake_clock(void *arg)
{
    (void)arg;
    return fake_ms;
}
static int64_t fake_wall(void *arg)
{
    (void)arg;
    return EPOCH_MS + fake_ms;
}

static int put_at(telem_store *st, const char *name, int64_t ts_ms)
{
    telem_frame f = {0};
    snprintf(f.node, sizeof f.node, "%s", name);
    f.ts_ms = ts_ms;
    f.available[0] = 1;
    f.features[0] = 0.5f;
    return telem_store_put(st, &f);
}

static telem_status status(telem_store *st, const char *name, int64_t *age)
{
    float win[KISIM_F];
    uint8_t avail[KISIM_F];
    return telem_store_get(st, name, win, avail, age);
}

static void test_window_edges(void)
{
    telem_store *st;
    CHECK_EQ_INT(telem_store_open(&st, 1, 10000, fake_clock, NULL), 0);
    telem_store_set_wall_clock(st, fake_wall, NULL);
    int64_t now = fake_wall(NULL), age = -1;
    CHECK_EQ_INT(put_at(st, "edge-old", now - 10000), 0);
    CHECK_EQ_INT(put_at(st, "edge-new", now + TELEM_MAX_AHEAD_MS), 0);
    CHECK_EQ_INT(put_at(st, "old", now - 10001), KISIM_EINPUT);
    CHECK_STR_CONTAINS(kisim_errmsg(), "node old: ts_ms");
    CHECK_STR_CONTAINS(kisim_errmsg(), "staleness limit (10000 ms)");
    CHECK_EQ_INT(put_at(st, "ahead", now + TELEM_MAX_AHEAD_MS + 1), KISIM_EINPUT);
    CHECK_STR_CONTAINS(kisim_errmsg(), "ahead of this host's clock");
    CHECK_EQ_INT(put_at(st, "y1970", 0), KISIM_EINPUT);
    CHECK_EQ_INT(put_at(st, "hour", now - 3600 * 1000), KISIM_EINPUT);
    CHECK_EQ_INT(put_at(st, "y2054", now + 31LL * 365 * 86400 * 1000), KISIM_EINPUT);
    CHECK_EQ_INT(status(st, "old", NULL), TELEM_UNKNOWN); /* refused frames make no node */
    CHECK_EQ_INT(status(st, "y2054", NULL), TELEM_UNKNOWN);
    telem_store_tally t;
    telem_store_tally_get(st, &t);
    CHECK_EQ_INT((long)t.frames_ok, 2);
    CHECK_EQ_INT((long)t.refused[TELEM_REFUSED_STALE], 3);
    CHECK_EQ_INT((long)t.refused[TELEM_REFUSED_FUTURE], 2);
    uint64_t bad = 0;
    telem_store_counts(st, NULL, NULL, NULL, &bad);
    CHECK_EQ_INT((long)bad, 5);
    /* The frame 10 s old is 10 s old now: fresh at exactly the limit, stale 1 ms later. */
    CHECK_EQ_INT(status(st, "edge-old", &age), TELEM_FRESH);
    CHECK_EQ_INT(age, 10000);
    /* One from the future counts as measured now, not later. */
    CHECK_EQ_INT(status(st, "edge-new", &age), TELEM_FRESH);
    CHECK_EQ_INT(age, 0);
    fake_ms += 1;
    CHECK_EQ_INT(status(st, "edge-old", &age), TELEM_STALE);
    telem_store_close(st);
}

static void test_delayed_frame_ages(void)
{
    telem_store *st;
    CHECK_EQ_INT(telem_store_open(&st, 1, 10000, fake_clock, NULL), 0);
    telem_store_set_wall_clock(st, fake_wall, NULL);
    CHECK_EQ_INT(put_at(st, "late", fake_wall(NULL) - 3000), 0);
    int64_t age = -1;
    CHECK_EQ_INT(status(st, "late", &age), TELEM_FRESH);
    CHECK_EQ_INT(age, 3000);
    fake_ms += 7000;
    CHECK_EQ_INT(status(st, "late", &age), TELEM_FRESH);
    fake_ms += 1;
    CHECK_EQ_INT(status(st, "late", &age), TELEM_STALE);
    CHECK_EQ_INT(age, 10001);
    telem_store_close(st);
}

/* Through the service: every reason is a labelled sample of the frames counter. */
static void test_metrics_page(void)
{
    score_opts o = {.clock = fake_clock};
    score_service *s;
    CHECK_EQ_INT(score_service_open(&s, &o), 0);
    telem_store *st = score_service_store(s);
    telem_store_set_wall_clock(st, fake_wall, NULL);
    put_at(st, "a", fake_wall(NULL));
    put_at(st, "b", 0);
    put_at(st, "c", fake_wall(NULL) + 60000);
    put_at(st, "d", fake_wall(NULL) + 60000);
    score_stats sts;
    score_service_stats(s, &sts);
    char *page = NULL;
    size_t len = 0;
    CHECK_EQ_INT(extender_metrics_page(&page, &len, &sts), 0);
    CHECK_STR_CONTAINS(page, "kisim_score_telemetry_frames_total{result=\"ok\"} 1\n");
    CHECK_STR_CONTAINS(page, "kisim_score_telemetry_frames_total{result=\"stale\"} 1\n");
    CHECK_STR_CONTAINS(page, "kisim_score_telemetry_frames_total{result=\"future\"} 2\n");
    CHECK_STR_CONTAINS(page, "kisim_score_telemetry_frames_total{result=\"wrong_node\"} 0\n");
    CHECK_STR_CONTAINS(page, "kisim_score_telemetry_evictions_total{what=\"node\"} 0\n");
    CHECK_STR_CONTAINS(page, "kisim_score_telemetry_keys_refused_total 0\n");
    free(page);
    score_service_close(s);
}

int main(void)
{
    RUN(test_window_edges);
    RUN(test_delayed_frame_ages);
    RUN(test_metrics_page);
    TEST_MAIN_END();
}

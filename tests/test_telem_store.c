/* test_telem_store.c: the scoring service's telemetry store with an injected clock (no sleeps):
 * the ring keeps the last T samples oldest first, repeats the oldest while it fills, merges the
 * orchestrator's features, and a node turns stale once its last sample is older than 10 s. */
#include "common/err.h"
#include "telemetry/store.h"
#include "test.h"

static int64_t fake_ms;
static int64_t fake_clock(void *arg)
{
    (void)arg;
    return fake_ms;
}

/* The wall clock, 2023-11-14 plus the monotonic one: frames are stamped with it. */
#define EPOCH_MS 1700000000000LL
static int64_t fake_wall(void *arg)
{
    (void)arg;
    return EPOCH_MS + fake_ms;
}

static int open_store(telem_store **st, int window)
{
    int err = telem_store_open(st, window, 10000, fake_clock, NULL);
    if (!err) telem_store_set_wall_clock(*st, fake_wall, NULL);
    return err;
}

/* A frame of node `name` whose features are all `value` (orchestrator ones unavailable). */
static telem_frame frame(const char *name, float value)
{
    telem_frame f = {0};
    snprintf(f.node, sizeof f.node, "%s", name);
    f.ts_ms = fake_wall(NULL);
    for (int i = 0; i < KISIM_F; i++) {
        f.available[i] = i < KISIM_F_MEASURED;
        f.features[i] = i < KISIM_F_MEASURED ? value : 0;
    }
    return f;
}

static void test_ring_and_staleness(void)
{
    telem_store *st;
    fake_ms = 1000;
    CHECK_EQ_INT(open_store(&st, 4), 0);
    float win[4 * KISIM_F];
    uint8_t avail[KISIM_F];
    int64_t age;
    CHECK_EQ_INT(telem_store_get(st, "a", win, avail, &age), TELEM_UNKNOWN);

    telem_frame f = frame("a", 1);
    CHECK_EQ_INT(telem_store_put(st, &f), 0);
    CHECK_EQ_INT(telem_store_get(st, "a", win, avail, &age), TELEM_FRESH);
    for (int t = 0; t < 4; t++)
        CHECK(win[t * KISIM_F + 0] == 1); /* one sample, repeated */
    CHECK(avail[0] == 1 && avail[KISIM_F_MEASURED] == 0);

    for (int k = 2; k <= 6; k++) { /* samples 2..6: the window holds 3, 4, 5, 6 */
        fake_ms += 1000;
        f = frame("a", (float)k);
        telem_store_put(st, &f);
    }
    CHECK_EQ_INT(telem_store_get(st, "a", win, avail, &age), TELEM_FRESH);
    for (int t = 0; t < 4; t++)
        CHECK_NEAR(win[t * KISIM_F + 3], 3 + t, 0);
    CHECK_EQ_INT(age, 0);

    /* Orchestrator features merge into every sample and become available. */
    float orch[KISIM_F_ORCH] = {0.25f, NAN, 0.5f, NAN};
    CHECK_EQ_INT(telem_store_set_orch(st, "a", orch), 0);
    telem_store_get(st, "a", win, avail, &age);
    for (int t = 0; t < 4; t++) {
        CHECK(win[t * KISIM_F + FEAT_CPU_REQUESTED_RATIO] == 0.25f);
        CHECK(win[t * KISIM_F + FEAT_PODS_RATIO] == 0.5f);
    }
    CHECK(avail[FEAT_CPU_REQUESTED_RATIO] && !avail[FEAT_MEMORY_REQUESTED_RATIO] &&
          avail[FEAT_PODS_RATIO]);

    /* Staleness: exactly 10 s after the last sample is still fresh, 1 ms later stale. */
    fake_ms += 10000;
    CHECK_EQ_INT(telem_store_get(st, "a", win, avail, &age), TELEM_FRESH);
    fake_ms += 1;
    CHECK_EQ_INT(telem_store_get(st, "a", win, avail, &age), TELEM_STALE);
    CHECK_EQ_INT(age, 10001);
    int nodes, stale;
    telem_store_counts(st, &nodes, &stale, NULL, NULL);
    CHECK(nodes == 1 && stale == 1);
    /* A new frame makes it fresh again. */
    f = frame("a", 7);
    telem_store_put(st, &f);
    CHECK_EQ_INT(telem_store_get(st, "a", win, avail, &age), TELEM_FRESH);
    CHECK(win[3 * KISIM_F] == 7 && win[2 * KISIM_F] == 6);
    telem_store_close(st);
}

static void count_pod(void *arg, const char *node, const telem_frame_pod *pod)
{
    (void)node;
    (void)pod;
    (*(int *)arg)++;
}

static void test_many_nodes_and_pods(void)
{
    telem_store *st;
    fake_ms = 0;
    CHECK_EQ_INT(open_store(&st, 2), 0);
    char name[32];
    telem_frame_pod pod = {.name = "web"};
    for (int i = 0; i < 1000; i++) {
        snprintf(name, sizeof name, "node-%d", i);
        telem_frame f = frame(name, (float)i);
        f.pods = &pod;
        f.n_pods = i % 2;
        CHECK(telem_store_put(st, &f) == 0);
    }
    float win[2 * KISIM_F];
    uint8_t avail[KISIM_F];
    for (int i = 0; i < 1000; i += 37) {
        snprintf(name, sizeof name, "node-%d", i);
        CHECK(telem_store_get(st, name, win, avail, NULL) == TELEM_FRESH &&
              win[KISIM_F] == (float)i);
    }
    int pods = 0;
    telem_store_each_pod(st, count_pod, &pods);
    CHECK_EQ_INT(pods, 500);
    char **names;
    int n;
    CHECK_EQ_INT(telem_store_fresh_nodes(st, &names, &n), 0);
    CHECK_EQ_INT(n, 1000);
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
    fake_ms = 20000;
    pods = 0;
    telem_store_each_pod(st, count_pod, &pods);
    CHECK_EQ_INT(pods, 0); /* stale nodes' pods are not offered */
    telem_store_close(st);
    CHECK(telem_store_open(&st, 0, 10000, NULL, NULL) == KISIM_EUSAGE);
}

int main(void)
{
    RUN(test_ring_and_staleness);
    RUN(test_many_nodes_and_pods);
    TEST_MAIN_END();
}

/* test_telem_evict.c: the telemetry store's bounds under a flood of spoofed frames. 66,000
 * distinct node names fill the 65,536-node table and then evict the least recently seen ones,
 * so a real node that reports afterwards is still scored; the survivors are exactly the names a
 * separate model of least-recently-used order predicts (every one still found through the index
 * after 1,000s of deletions); pods past the store's budget are dropped from the least recently
 * seen nodes first. Expected counts are worked out from the bounds, not read from the store. */
#include <stdlib.h>

#include "common/err.h"
#include "telemetry/store.h"
#include "test.h"

#define EPOCH_MS 1700000000000LL
static int64_t fake_ms;
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

static telem_store *open_store(void)
{
    telem_store *st = NULL;
    CHECK_EQ_INT(telem_store_open(&st, 2, 10000, fake_clock, NULL), 0);
    if (st) telem_store_set_wall_clock(st, fake_wall, NULL);
    return st;
}

static int put(telem_store *st, const char *name, float value, telem_frame_pod *pods, int n_pods)
{
    telem_frame f = {0};
    snprintf(f.node, sizeof f.node, "%s", name);
    f.ts_ms = fake_wall(NULL);
    for (int i = 0; i < KISIM_F_MEASURED; i++)
        f.available[i] = 1, f.features[i] = value;
    f.pods = pods;
    f.n_pods = n_pods;
    return telem_store_put(st, &f);
}

static telem_status get(telem_store *st, const char *name, float *first)
{
    float win[2 * KISIM_F];
    uint8_t avail[KISIM_F];
    telem_status s = telem_store_get(st, name, win, avail, NULL);
    if (first) *first = win[KISIM_F];
    return s;
}

static void test_flood_then_real_node(void)
{
    enum { SPOOFED = 66000 };
    telem_store *st = open_store();
    char name[32];
    int refused = 0;
    for (int i = 0; i < SPOOFED; i++) {
        snprintf(name, sizeof name, "spoof-%d", i);
        refused += put(st, name, 1, NULL, 0) != 0;
    }
    CHECK_EQ_INT(refused, 0);
    fake_ms += 10;
    CHECK_EQ_INT(put(st, "real-node", 42, NULL, 0), 0);
    float v = 0;
    CHECK_EQ_INT(get(st, "real-node", &v), TELEM_FRESH);
    CHECK(v == 42);
    /* 66,001 names through a 65,536-node table: the first 465 are gone, the rest all found. */
    const int gone = SPOOFED + 1 - TELEM_STORE_MAX_NODES;
    int missing_early = 0, found_late = 0;
    for (int i = 0; i < SPOOFED; i++) {
        snprintf(name, sizeof name, "spoof-%d", i);
        telem_status s = get(st, name, NULL);
        if (i < gone) missing_early += s == TELEM_UNKNOWN;
        if (i >= gone) found_late += s == TELEM_FRESH;
    }
    CHECK_EQ_INT(missing_early, gone);
    CHECK_EQ_INT(found_late, SPOOFED - gone);
    int nodes = 0;
    telem_store_counts(st, &nodes, NULL, NULL, NULL);
    CHECK_EQ_INT(nodes, TELEM_STORE_MAX_NODES);
    telem_store_tally t;
    telem_store_tally_get(st, &t);
    CHECK_EQ_INT((long)t.evicted_nodes, gone);
    CHECK_EQ_INT((long)t.frames_ok, SPOOFED + 1);
    telem_store_close(st);
}

/* A node seen again moves to the back of the eviction order; set_orch counts as seen. */
static void test_least_recently_seen_goes_first(void)
{
    telem_store *st = open_store();
    char name[32];
    for (int i = 0; i < TELEM_STORE_MAX_NODES; i++) {
        snprintf(name, sizeof name, "n%d", i);
        put(st, name, 1, NULL, 0);
    }
    put(st, "n0", 2, NULL, 0); /* n0 is now the most recent; n1 the least */
    float orch[KISIM_F_ORCH] = {0.5f, NAN, NAN, NAN};
    CHECK_EQ_INT(telem_store_set_orch(st, "n1", orch), 0); /* and now n2 */
    put(st, "new-a", 3, NULL, 0);
    put(st, "new-b", 3, NULL, 0);
    CHECK_EQ_INT(get(st, "n0", NULL), TELEM_FRESH);
    CHECK_EQ_INT(get(st, "n1", NULL), TELEM_FRESH);
    CHECK_EQ_INT(get(st, "n2", NULL), TELEM_UNKNOWN);
    CHECK_EQ_INT(get(st, "n3", NULL), TELEM_UNKNOWN);
    CHECK_EQ_INT(get(st, "n4", NULL), TELEM_FRESH);
    CHECK_EQ_INT(get(st, "new-a", NULL), TELEM_FRESH);
    /* A name evicted and sent again starts over: one sample, nothing of its old self. */
    put(st, "n2", 9, NULL, 0);
    float v = 0;
    CHECK_EQ_INT(get(st, "n2", &v), TELEM_FRESH);
    CHECK(v == 9);
    telem_store_close(st);
}

static void count_pod(void *arg, const char *node, const telem_frame_pod *pod)
{
    (void)node, (void)pod;
    (*(long *)arg)++;
}

/* 300 nodes of 1,024 pods against a 262,144-pod budget: 256 nodes' pods fit, and every later
 * node's pods push out the oldest node's, whose telemetry stays. */
static void test_pod_budget(void)
{
    enum { NODES = 300 };
    telem_store *st = open_store();
    telem_frame_pod *pods = calloc(TELEM_FRAME_MAX_PODS, sizeof *pods);
    for (int p = 0; p < TELEM_FRAME_MAX_PODS; p++)
        snprintf(pods[p].name, sizeof pods[p].name, "pod-%d", p);
    char name[32];
    for (int i = 0; i < NODES; i++) {
        snprintf(name, sizeof name, "big-%d", i);
        CHECK_EQ_INT(put(st, name, 1, pods, TELEM_FRAME_MAX_PODS), 0);
    }
    const long fit = TELEM_STORE_MAX_PODS / TELEM_FRAME_MAX_PODS; /* 256 */
    long held = 0;
    telem_store_each_pod(st, count_pod, &held);
    CHECK_EQ_INT(held, fit * TELEM_FRAME_MAX_PODS);
    telem_store_tally t;
    telem_store_tally_get(st, &t);
    CHECK_EQ_INT((long)t.evicted_pods, (NODES - fit) * TELEM_FRAME_MAX_PODS);
    CHECK_EQ_INT(t.pods, fit * TELEM_FRAME_MAX_PODS);
    CHECK_EQ_INT((long)t.evicted_nodes, 0);
    CHECK_EQ_INT(get(st, "big-0", NULL), TELEM_FRESH); /* its pods went, its telemetry stays */
    /* A node sending fewer pods gives the rest back to the budget. */
    CHECK_EQ_INT(put(st, "big-299", 1, pods, 24), 0);
    telem_store_tally_get(st, &t);
    CHECK_EQ_INT(t.pods, (fit - 1) * TELEM_FRAME_MAX_PODS + 24);
    /* The cap per node: 1,025 pods is refused, counted, and the node keeps what it had. */
    telem_frame_pod *more = calloc(TELEM_FRAME_MAX_PODS + 1, sizeof *more);
    CHECK_EQ_INT(put(st, "big-298", 1, more, TELEM_FRAME_MAX_PODS + 1), KISIM_EINPUT);
    CHECK_STR_CONTAINS(kisim_errmsg(), "big-298: 1025 pods, more than 1024");
    telem_store_tally_get(st, &t);
    CHECK_EQ_INT((long)t.refused[TELEM_REFUSED_TOO_MANY_PODS], 1);
    free(more);
    free(pods);
    telem_store_close(st);
}

int main(void)
{
    RUN(test_flood_then_real_node);
    RUN(test_least_recently_seen_goes_first);
    RUN(test_pod_budget);
    TEST_MAIN_END();
}

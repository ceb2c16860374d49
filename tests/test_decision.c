/* test_decision.c: the decision sequencing both backends share (env/core/decision.c), run against a
 * small fake backend whose pods, fits and intervals are set by hand, so every expectation below
 * is worked out from the rules in decision.h, not from a backend. */
#include "common/err.h"
#include "env/core/decision.h"
#include "spaces/spaces.h"
#include "test.h"

typedef struct {
    int replica, node;
    double placed_at;
} fake_pod;

typedef struct {
    fake_pod pods[8];
    int n_pods;
    int node_replicas[4];
    int replica_fits, background_fits; /* what make_pending reports */
    int made[2];                       /* make_pending calls: [0] background, [1] replica */
    int intervals, end_after, fail_at; /* advance calls; done after end_after; error at fail_at */
    decision dec;
} fake;

static int fake_make_pending(void *env, int replica)
{
    fake *f = env;
    f->made[replica]++;
    return replica ? f->replica_fits : f->background_fits;
}

static int fake_advance(void *env, float *info)
{
    fake *f = env;
    f->intervals++;
    info[0] += 1; /* the caller's info array, or decision_next's scratch */
    if (f->intervals == f->fail_at) return kisim_seterr(KISIM_EIO, "fake: interval failed");
    if (f->intervals == f->end_after) f->dec.done = 2;
    return 0;
}

static int fake_replica_rank(const void *env, int i, int *node_replicas, double *placed_at)
{
    const fake *f = env;
    if (!f->pods[i].replica) return 0;
    *node_replicas = f->node_replicas[f->pods[i].node];
    *placed_at = f->pods[i].placed_at;
    return 1;
}

static const decision_ops fake_ops = {fake_make_pending, fake_advance, fake_replica_rank};
static rng fake_rng;

static void fake_init(fake *f, double arrival_prob)
{
    memset(f, 0, sizeof *f);
    rng_seed(&fake_rng, 42);
    f->dec = (decision){.ops = &fake_ops, .env = f, .rng = &fake_rng, .arrival_prob = arrival_prob};
}

static void add_pod(fake *f, int replica, int node, double placed_at)
{
    f->pods[f->n_pods++] = (fake_pod){replica, node, placed_at};
    f->node_replicas[node] += replica;
}

/* The node with the most replicas loses one, its newest; other pods never count. */
static void test_victim_is_newest_on_fullest_node(void)
{
    fake f;
    fake_init(&f, 0);
    add_pod(&f, 1, 0, 10);
    add_pod(&f, 1, 1, 5);
    add_pod(&f, 0, 1, 99); /* background: newest of all, never a victim */
    add_pod(&f, 1, 1, 20); /* node 1 (3 replicas), newest there: the victim */
    add_pod(&f, 1, 1, 15);
    add_pod(&f, 1, 0, 30); /* newest replica, but node 0 has only 2 */
    f.dec.replicas_placed = f.dec.replicas_wanted = 5;
    CHECK_EQ_INT(decision_scale_down(&f.dec, f.n_pods), 3);
    CHECK_EQ_INT(f.dec.replicas_wanted, 4);
    CHECK_EQ_INT(f.dec.replicas_placed, 4);
}

/* Nodes with as many replicas: the newest replica of either. */
static void test_victim_tie_takes_newest(void)
{
    fake f;
    fake_init(&f, 0);
    add_pod(&f, 1, 2, 7);
    add_pod(&f, 1, 3, 8);
    add_pod(&f, 1, 3, 1);
    add_pod(&f, 1, 2, 9);
    f.dec.replicas_placed = f.dec.replicas_wanted = 4;
    CHECK_EQ_INT(decision_scale_down(&f.dec, f.n_pods), 3);
    CHECK_EQ_INT(f.dec.replicas_placed, 3);
}

/* A wanted replica not yet placed goes first: nothing placed is removed. */
static void test_pending_replica_goes_first(void)
{
    fake f;
    fake_init(&f, 0);
    add_pod(&f, 1, 0, 1);
    f.dec.replicas_placed = 1;
    f.dec.replicas_wanted = 2;
    CHECK_EQ_INT(decision_scale_down(&f.dec, f.n_pods), -1);
    CHECK_EQ_INT(f.dec.replicas_wanted, 1);
    CHECK_EQ_INT(f.dec.replicas_placed, 1);
    /* No replica among the pods: nothing to remove, nothing counted as removed. */
    fake_init(&f, 0);
    add_pod(&f, 0, 0, 1);
    f.dec.replicas_placed = f.dec.replicas_wanted = 1;
    CHECK_EQ_INT(decision_scale_down(&f.dec, f.n_pods), -1);
    CHECK_EQ_INT(f.dec.replicas_placed, 1);
}

/* A wanted replica that fits is pending without an arrival draw; one that fits nowhere is
 * unschedulable and a background arrival (probability 1) takes its place. */
static void test_next_pending_order(void)
{
    fake f;
    fake_init(&f, 1);
    f.dec.replicas_wanted = 1;
    f.replica_fits = 1;
    CHECK_EQ_INT(decision_next_pending(&f.dec), 1);
    CHECK_EQ_INT(f.made[1], 1);
    CHECK_EQ_INT(f.made[0], 0);
    rng fresh;
    rng_seed(&fresh, 42);
    CHECK(rng_uniform(&fake_rng) == rng_uniform(&fresh)); /* no draw was taken */

    fake_init(&f, 1);
    f.dec.replicas_wanted = 1;
    f.background_fits = 1;
    CHECK_EQ_INT(decision_next_pending(&f.dec), 1);
    CHECK_EQ_INT(f.dec.has_pending, 1);
    CHECK_EQ_INT(f.dec.unschedulable, 1);
    CHECK_EQ_INT(f.made[1], 1);
    CHECK_EQ_INT(f.made[0], 1);

    /* Nothing wanted, arrival probability 0: nothing pending, no pod made. */
    fake_init(&f, 0);
    f.dec.has_pending = 1;
    CHECK_EQ_INT(decision_next_pending(&f.dec), 0);
    CHECK_EQ_INT(f.dec.has_pending, 0);
    CHECK_EQ_INT(f.made[0] + f.made[1], 0);
}

/* decision_next: no interval when a pod is already pending and time need not pass; else
 * intervals until the episode ends, each one reported into info; a backend error stops it. */
static void test_next_runs_intervals(void)
{
    fake f;
    float info[KISIM_N_INFO] = {0};
    fake_init(&f, 0);
    f.dec.replicas_wanted = 1;
    f.replica_fits = 1;
    CHECK_EQ_INT(decision_next(&f.dec, 0, info), 0);
    CHECK_EQ_INT(f.intervals, 0);
    CHECK_EQ_INT(f.dec.has_pending, 1);

    fake_init(&f, 0); /* nothing ever pending: runs to the end of the episode */
    f.end_after = 3;
    CHECK_EQ_INT(decision_next(&f.dec, 1, info), 0);
    CHECK_EQ_INT(f.intervals, 3);
    CHECK_EQ_INT(f.dec.done, 2);
    CHECK_EQ_INT(f.dec.has_pending, 0);
    CHECK_NEAR(info[0], 3, 0);
    /* One arrival draw after each interval but the last (an ended episode has no decision). */
    rng fresh;
    rng_seed(&fresh, 42);
    rng_uniform(&fresh);
    rng_uniform(&fresh);
    CHECK(rng_uniform(&fake_rng) == rng_uniform(&fresh));

    fake_init(&f, 0);
    f.end_after = 10;
    f.fail_at = 2;
    CHECK_EQ_INT(decision_next(&f.dec, 1, NULL), KISIM_EIO);
    CHECK_EQ_INT(f.intervals, 2);
    kisim_clearerr();
}

int main(void)
{
    RUN(test_victim_is_newest_on_fullest_node);
    RUN(test_victim_tie_takes_newest);
    RUN(test_pending_replica_goes_first);
    RUN(test_next_pending_order);
    RUN(test_next_runs_intervals);
    TEST_MAIN_END();
}

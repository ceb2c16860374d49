/* test_score_inline.c: where a link runs (scheduler/chain.c). A healthy link is measured once
 * on a worker, then runs in the request's thread with the same answers; a link with the test
 * delay (a slow model) always runs on a worker; after a slow run the cost estimate keeps the
 * link on the workers until fast runs have brought it down; concurrent inline callers each get
 * their own scratch and the same scores. Counts come from the /metrics counters (score_stats).
 * Timing margins are wide (a sub-millisecond model against a 100 ms delay and a 1 s budget). */
#include <math.h>
#include <pthread.h>

#include "common/clock.h"
#include "common/err.h"
#include "common/log.h"
#include "score_test.h"
#include "test.h"

static st_files fx;

static void runs(score_service *s, uint64_t *inl, uint64_t *wrk)
{
    score_stats st;
    score_service_stats(s, &st);
    *inl = st.runs_inline[SCORE_LINK_PPO];
    *wrk = st.runs_worker[SCORE_LINK_PPO];
}

static void score_once(score_service *s, st_request *r, int *out)
{
    score_reply rep;
    CHECK_EQ_INT(score_service_score(s, &r->req, &rep), 0);
    CHECK_EQ_INT(rep.link, SCORE_LINK_PPO);
    for (int i = 0; i < rep.n; i++)
        out[i] = rep.nodes[i].score;
    score_reply_free(&rep);
}

static void test_healthy_link_runs_inline(void)
{
    score_opts o = {.policy_path = fx.ppo, .budget_ms = 1000};
    score_service *s;
    CHECK_EQ_INT(score_service_open(&s, &o), 0);
    st_request r;
    st_request_init(&r, 12, 3);
    int first[12], later[12];
    uint64_t inl, wrk;
    score_once(s, &r, first);
    runs(s, &inl, &wrk);
    CHECK_MSG(inl == 0 && wrk == 1, "first run: %llu inline, %llu on a worker (expected 0, 1)",
              (unsigned long long)inl, (unsigned long long)wrk);
    for (int k = 0; k < 5; k++) {
        score_once(s, &r, later);
        for (int i = 0; i < 12; i++)
            CHECK_EQ_INT(later[i], first[i]);
    }
    runs(s, &inl, &wrk);
    CHECK_MSG(inl == 5 && wrk == 1, "after 6 runs: %llu inline, %llu on a worker (expected 5, 1)",
              (unsigned long long)inl, (unsigned long long)wrk);
    score_service_close(s);
}

static void test_delayed_link_stays_on_workers(void)
{
    score_opts o = {.policy_path = fx.ppo, .budget_ms = 1000};
    o.test_delay_ms[SCORE_LINK_PPO] = 1;
    score_service *s;
    CHECK_EQ_INT(score_service_open(&s, &o), 0);
    st_request r;
    st_request_init(&r, 6, 3);
    int sc[6];
    for (int k = 0; k < 4; k++)
        score_once(s, &r, sc);
    uint64_t inl, wrk;
    runs(s, &inl, &wrk);
    CHECK_EQ_INT((int)inl, 0);
    CHECK_EQ_INT((int)wrk, 4);
    score_service_close(s);
}

static void test_slow_run_moves_link_to_workers(void)
{
    /* 1 s budget, no attention link: the PPO link has all of it. A 100 ms run puts the estimate
     * at 100 ms, and 20 x 100 ms > 1 s: the next runs go to workers until the estimate has
     * decayed by 1/8 of the gap per fast run below 1 s / 20 = 50 ms (6 runs: 100 x (7/8)^6 =
     * 44.9 ms; more if the slow run took longer than 100 ms), then inline again. */
    score_opts o = {.policy_path = fx.ppo, .budget_ms = 1000};
    score_service *s;
    CHECK_EQ_INT(score_service_open(&s, &o), 0);
    st_request r;
    st_request_init(&r, 8, 3);
    int sc[8];
    uint64_t inl, wrk;
    score_once(s, &r, sc);
    score_once(s, &r, sc);
    runs(s, &inl, &wrk);
    CHECK_EQ_INT((int)inl, 1);
    score_service_set_test_delay(s, SCORE_LINK_PPO, 100);
    double t0 = clock_mono_s();
    score_once(s, &r, sc); /* on a worker (the delay): at least 100 ms, at most dt */
    double dt = clock_mono_s() - t0;
    score_service_set_test_delay(s, SCORE_LINK_PPO, 0);
    uint64_t inl0, wrk0;
    runs(s, &inl0, &wrk0);
    CHECK_EQ_INT((int)inl0, 1);
    CHECK_EQ_INT((int)wrk0, 2);
    int k = 0;
    for (; k < 20; k++) {
        score_once(s, &r, sc);
        runs(s, &inl, &wrk);
        if (inl > inl0) break;
    }
    /* the first k with cost x (7/8)^k <= time left / 20, time left in [0.99, 1] s */
    int lo = (int)ceil(log(0.05 / 0.1) / log(0.875)), hi = (int)ceil(log(0.0495 / dt) / log(0.875));
    CHECK_MSG(
        k >= lo && k <= hi,
        "back inline after %d fast worker runs (expected %d..%d; the slow run took <= %.3f s)", k,
        lo, hi, dt);
    score_service_close(s);
}

typedef struct {
    score_service *s;
    int expect[16], bad;
} racer;

static void *race(void *arg)
{
    racer *rc = arg;
    st_request r;
    st_request_init(&r, 16, 3);
    for (int k = 0; k < 40; k++) {
        score_reply rep;
        if (score_service_score(rc->s, &r.req, &rep)) {
            rc->bad++;
            continue;
        }
        for (int i = 0; i < 16; i++)
            rc->bad += rep.nodes[i].score != rc->expect[i];
        score_reply_free(&rep);
    }
    return NULL;
}

static void test_concurrent_inline_callers(void)
{
    score_opts o = {.policy_path = fx.ppo, .budget_ms = 5000};
    score_service *s;
    CHECK_EQ_INT(score_service_open(&s, &o), 0);
    st_request r;
    st_request_init(&r, 16, 3);
    racer rc[4] = {{0}};
    score_once(s, &r, rc[0].expect);
    pthread_t t[4];
    for (int k = 0; k < 4; k++) {
        rc[k].s = s;
        memcpy(rc[k].expect, rc[0].expect, sizeof rc[k].expect);
        CHECK_EQ_INT(pthread_create(&t[k], NULL, race, &rc[k]), 0);
    }
    for (int k = 0; k < 4; k++) {
        pthread_join(t[k], NULL);
        CHECK_EQ_INT(rc[k].bad, 0);
    }
    uint64_t inl, wrk;
    runs(s, &inl, &wrk);
    CHECK_EQ_INT((int)(inl + wrk), 161);
    CHECK_MSG(inl >= 150, "%llu of 160 concurrent runs inline", (unsigned long long)inl);
    score_service_close(s);
}

int main(void)
{
    if (st_begin(&fx)) return 1;
    RUN(test_healthy_link_runs_inline);
    RUN(test_delayed_link_stays_on_workers);
    RUN(test_slow_run_moves_link_to_workers);
    RUN(test_concurrent_inline_callers);
    st_remove_files(&fx);
    TEST_MAIN_END();
}

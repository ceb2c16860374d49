/* test_score_breaker.c: the circuit breaker, as a state machine (closed -> open after K
 * failures, half-open after the cool-down, one probe, closed on success, open again on
 * failure) and in the service: a slow PPO link opens its breaker after K timeouts, requests then
 * skip it at once, and after the cool-down (an injected clock) a good probe closes it. */
#include "common/clock.h"
#include "common/err.h"
#include "common/log.h"
#include "scheduler/breaker.h"
#include "score_test.h"
#include "test.h"

static void test_state_machine(void)
{
    breaker b;
    breaker_init(&b, 3, 1000);
    CHECK(breaker_allow(&b, 0));
    breaker_record(&b, 0, 0);
    breaker_record(&b, 0, 0);
    CHECK_EQ_INT(b.state, SCORE_BREAKER_CLOSED);
    breaker_record(&b, 1, 0); /* a success resets the count: failures must be consecutive */
    breaker_record(&b, 0, 10);
    breaker_record(&b, 0, 10);
    CHECK_EQ_INT(b.state, SCORE_BREAKER_CLOSED);
    breaker_record(&b, 0, 10);
    CHECK_EQ_INT(b.state, SCORE_BREAKER_OPEN);
    CHECK(!breaker_allow(&b, 10));
    CHECK(!breaker_allow(&b, 1009));
    CHECK(breaker_allow(&b, 1010)); /* cool-down over: half-open, one probe */
    CHECK_EQ_INT(b.state, SCORE_BREAKER_HALF_OPEN);
    CHECK(!breaker_allow(&b, 1010)); /* the probe is out */
    breaker_record(&b, 0, 1020);     /* probe failed: open again, new cool-down */
    CHECK_EQ_INT(b.state, SCORE_BREAKER_OPEN);
    CHECK(!breaker_allow(&b, 2019));
    CHECK(breaker_allow(&b, 2020));
    breaker_release(&b); /* let through but not made: may probe again */
    CHECK(breaker_allow(&b, 2020));
    breaker_record(&b, 1, 2030);
    CHECK_EQ_INT(b.state, SCORE_BREAKER_CLOSED);
    CHECK(breaker_allow(&b, 2030));
}

static st_files fx;

static score_link ask(score_service *s, st_request *r)
{
    score_reply rep;
    CHECK_EQ_INT(score_service_score(s, &r->req, &rep), 0);
    score_link l = rep.link;
    score_reply_free(&rep);
    return l;
}

static score_breaker ppo_state(score_service *s)
{
    score_stats st;
    score_service_stats(s, &st);
    return st.breaker[SCORE_LINK_PPO];
}

static void test_service_breaker(void)
{
    /* 1 s budget: PPO gets 500 ms; a normal answer takes microseconds (even under sanitizers on
     * a busy machine), so only the test delay (3 s) makes it time out. Enough workers that the
     * abandoned jobs do not queue the probe behind them. */
    score_opts o = {.policy_path = fx.ppo,
                    .fallback_path = fx.att,
                    .budget_ms = 1000,
                    .workers = 6,
                    .breaker_failures = 2,
                    .breaker_cooldown_ms = 5000,
                    .clock = st_clock};
    score_service *s;
    CHECK_EQ_INT(score_service_open(&s, &o), 0);
    st_request r;
    st_request_init(&r, 6, 2);
    CHECK_EQ_INT(ask(s, &r), SCORE_LINK_PPO);
    score_service_set_test_delay(s, SCORE_LINK_PPO, 3000);
    CHECK_EQ_INT(ask(s, &r), SCORE_LINK_ATTENTION); /* timeout 1 */
    CHECK_EQ_INT(ppo_state(s), SCORE_BREAKER_CLOSED);
    CHECK_EQ_INT(ask(s, &r), SCORE_LINK_ATTENTION); /* timeout 2: opens */
    CHECK_EQ_INT(ppo_state(s), SCORE_BREAKER_OPEN);
    double t0 = clock_mono_s();
    CHECK_EQ_INT(ask(s, &r), SCORE_LINK_ATTENTION); /* skipped at once, no wait */
    CHECK_MSG(clock_mono_s() - t0 < 0.4, "an open breaker still waited %.3f s",
              clock_mono_s() - t0);
    score_stats st;
    score_service_stats(s, &st);
    CHECK_EQ_INT(st.fallbacks[SCORE_LINK_PPO][SCORE_FB_TIMEOUT], 2);
    CHECK_EQ_INT(st.fallbacks[SCORE_LINK_PPO][SCORE_FB_BREAKER_OPEN], 1);

    st_fake_ms += 5000; /* cool-down over: half-open; the probe still times out */
    CHECK_EQ_INT(ppo_state(s), SCORE_BREAKER_HALF_OPEN);
    CHECK_EQ_INT(ask(s, &r), SCORE_LINK_ATTENTION);
    CHECK_EQ_INT(ppo_state(s), SCORE_BREAKER_OPEN);
    st_fake_ms += 5000; /* half-open again; the link is healthy now: closes */
    score_service_set_test_delay(s, SCORE_LINK_PPO, 0);
    CHECK_EQ_INT(ask(s, &r), SCORE_LINK_PPO);
    CHECK_EQ_INT(ppo_state(s), SCORE_BREAKER_CLOSED);
    CHECK_EQ_INT(ask(s, &r), SCORE_LINK_PPO);
    score_service_close(s);
}

int main(void)
{
    if (st_begin(&fx)) return 1;
    RUN(test_state_machine);
    RUN(test_service_breaker);
    st_remove_files(&fx);
    TEST_MAIN_END();
}

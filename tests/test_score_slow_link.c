/* test_score_slow_link.c: a link made slow on purpose (the test-only delay) does not hold the
 * answer: it comes within the budget from the next link, and the slow link's late result is
 * dropped safely. Tolerances are wide (hundreds of ms over a 45 ms budget, against delays of
 * seconds) so they hold under sanitizers on a busy 2-core machine. */
#include "common/clock.h"
#include "common/err.h"
#include "common/log.h"
#include "score_test.h"
#include "test.h"

static st_files fx;

static double timed_score(score_service *s, st_request *r, score_reply *rep)
{
    double t0 = clock_mono_s();
    CHECK_EQ_INT(score_service_score(s, &r->req, rep), 0);
    return clock_mono_s() - t0;
}

static void test_slow_ppo_default_budget(void)
{
    score_opts o = {.policy_path = fx.ppo, .fallback_path = fx.att}; /* budget 45 ms */
    o.test_delay_ms[SCORE_LINK_PPO] = 3000;
    score_service *s;
    CHECK_EQ_INT(score_service_open(&s, &o), 0);
    st_request r;
    st_request_init(&r, 8, 3);
    score_reply rep;
    double dt = timed_score(s, &r, &rep);
    CHECK_MSG(dt < 0.045 + 0.4, "answer took %.3f s with a 45 ms budget", dt);
    CHECK(rep.link != SCORE_LINK_PPO);
    score_reply_free(&rep);
    score_stats st;
    score_service_stats(s, &st);
    CHECK_EQ_INT(st.fallbacks[SCORE_LINK_PPO][SCORE_FB_TIMEOUT], 1);
    score_service_close(s); /* joins the worker still sleeping on the abandoned job */
}

static void test_slow_ppo_attention_answers(void)
{
    /* 1 s budget: the PPO link gets 0.5 s, so the attention scorer has time even under ASan. */
    score_opts o = {.policy_path = fx.ppo, .fallback_path = fx.att, .budget_ms = 1000};
    o.test_delay_ms[SCORE_LINK_PPO] = 4000;
    score_service *s;
    CHECK_EQ_INT(score_service_open(&s, &o), 0);
    st_request r;
    st_request_init(&r, 8, 3);
    score_reply rep;
    double dt = timed_score(s, &r, &rep);
    CHECK_MSG(dt < 1.0 + 0.5, "answer took %.3f s with a 1 s budget", dt);
    CHECK_MSG(dt >= 0.5 - 0.01, "answer after %.3f s: the PPO link was not given its half", dt);
    CHECK_EQ_INT(rep.link, SCORE_LINK_ATTENTION);
    score_reply_free(&rep);
    score_service_close(s);
}

static void test_both_slow_neutral(void)
{
    score_opts o = {.policy_path = fx.ppo, .fallback_path = fx.att, .budget_ms = 100};
    o.test_delay_ms[SCORE_LINK_PPO] = 3000;
    o.test_delay_ms[SCORE_LINK_ATTENTION] = 3000;
    score_service *s;
    CHECK_EQ_INT(score_service_open(&s, &o), 0);
    st_request r;
    st_request_init(&r, 4, 2);
    score_reply rep;
    double dt = timed_score(s, &r, &rep);
    CHECK_MSG(dt < 0.1 + 0.4, "answer took %.3f s with a 100 ms budget", dt);
    CHECK_EQ_INT(rep.link, SCORE_LINK_NEUTRAL);
    for (int i = 0; i < rep.n; i++) {
        CHECK_EQ_INT(rep.nodes[i].score, 50);
        CHECK_STR_CONTAINS(rep.nodes[i].reason, "no answer within its deadline");
    }
    score_reply_free(&rep);
    score_service_close(s);
}

int main(void)
{
    if (st_begin(&fx)) return 1;
    RUN(test_slow_ppo_default_budget);
    RUN(test_slow_ppo_attention_answers);
    RUN(test_both_slow_neutral);
    st_remove_files(&fx);
    TEST_MAIN_END();
}

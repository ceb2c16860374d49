/* test_score_stale.c: the staleness guard through the service, with an injected clock (no
 * sleeps): nodes whose frames stop get the neutral score with reason "stale telemetry" once
 * their last sample is older than 10 s, while the others are still scored by the model; a node
 * the store never heard of is neutral with "no telemetry"; orchestrator features given with the
 * request are used. */
#include "common/err.h"
#include "score_test.h"
#include "telemetry/store.h"
#include "test.h"

static st_files fx;

/* The wall clock frames are stamped with moves with the injected monotonic one. */
static int64_t st_wall(void *arg)
{
    (void)arg;
    return 1700000000000LL + st_fake_ms;
}

static void feed(telem_store *st, const char *node, float level)
{
    telem_frame f = {0};
    snprintf(f.node, sizeof f.node, "%s", node);
    f.ts_ms = st_wall(NULL);
    for (int i = 0; i < KISIM_F; i++) {
        f.available[i] = 1;
        f.features[i] = (float)feature_denormalize(i, level);
    }
    CHECK_EQ_INT(telem_store_put(st, &f), 0);
}

static void test_stale_nodes(void)
{
    score_opts o = {
        .policy_path = fx.ppo, .fallback_path = fx.att, .budget_ms = 5000, .clock = st_clock};
    score_service *s;
    CHECK_EQ_INT(score_service_open(&s, &o), 0);
    telem_store *st = score_service_store(s);
    telem_store_set_wall_clock(st, st_wall, NULL);
    const char *names[4] = {"a", "b", "c", "never"};
    for (int k = 0; k < 10; k++) {
        feed(st, "a", 0.2f);
        feed(st, "b", 0.5f);
        feed(st, "c", 0.8f);
        st_fake_ms += 1000;
    }
    /* c stops reporting (its last sample 1 s ago); a and b go on for 9 s more. */
    for (int k = 0; k < 9; k++) {
        st_fake_ms += 1000;
        feed(st, "a", 0.2f);
        feed(st, "b", 0.5f);
    }
    score_request req = {.verb = SCORE_VERB_BATCHSCORE, .n = 4, .nodes = names};
    score_reply rep;
    /* c's last sample is exactly 10 s old: still fresh */
    CHECK_EQ_INT(score_service_score(s, &req, &rep), 0);
    CHECK_EQ_INT(rep.nodes[2].status, SCORE_NODE_OK);
    CHECK_EQ_INT(rep.nodes[2].link, SCORE_LINK_PPO);
    score_reply_free(&rep);
    st_fake_ms += 1;
    CHECK_EQ_INT(score_service_score(s, &req, &rep), 0);
    CHECK_EQ_INT(rep.link, SCORE_LINK_PPO);
    for (int i = 0; i < 2; i++) {
        CHECK_EQ_INT(rep.nodes[i].status, SCORE_NODE_OK);
        CHECK_EQ_INT(rep.nodes[i].link, SCORE_LINK_PPO);
    }
    CHECK_EQ_INT(rep.nodes[2].status, SCORE_NODE_STALE);
    CHECK_EQ_INT(rep.nodes[2].score, 50);
    CHECK_EQ_INT(rep.nodes[2].link, SCORE_LINK_NEUTRAL);
    CHECK(!strcmp(rep.nodes[2].reason, "stale telemetry"));
    CHECK_EQ_INT(rep.nodes[3].status, SCORE_NODE_UNKNOWN);
    CHECK(!strcmp(rep.nodes[3].reason, "no telemetry"));
    /* Two fresh candidates: PPO scores them 100 and round(100 p_other / p_max). */
    CHECK(rep.nodes[0].score == 100 || rep.nodes[1].score == 100);
    score_reply_free(&rep);
    score_stats sts;
    score_service_stats(s, &sts);
    CHECK_EQ_INT(sts.nodes, 3);
    CHECK_EQ_INT(sts.stale_nodes, 1);

    /* Every candidate stale: all neutral, answered by the neutral link. */
    st_fake_ms += 20000;
    CHECK_EQ_INT(score_service_score(s, &req, &rep), 0);
    CHECK_EQ_INT(rep.link, SCORE_LINK_NEUTRAL);
    for (int i = 0; i < 3; i++)
        CHECK(rep.nodes[i].score == 50 && !strcmp(rep.nodes[i].reason, "stale telemetry"));
    score_reply_free(&rep);
    score_service_close(s);
}

int main(void)
{
    if (st_begin(&fx)) return 1;
    RUN(test_stale_nodes);
    st_remove_files(&fx);
    TEST_MAIN_END();
}

/* test_score_chain.c: the policy chain's transitions. No model: neutral. The PPO link's scores
 * and confidence are the formulas of docs/ARCHITECTURE.md ("The scoring service") over the
 * policy's own masked softmax (computed here from the model directly); without a policy, or with a
 * corrupt one, the attention scorer answers (its scores as its forward gives them); a request the
 * policy refuses (an unavailable feature, a value far outside feature_stats) goes to the attention
 * scorer; versions are FILE@crc32. */
#include <math.h>

#include "common/err.h"
#include "policy/attention.h"
#include "policy/ckpt.h"
#include "policy/ppo_io.h"
#include "score_test.h"
#include "spaces/spaces.h"
#include "test.h"

static st_files fx;

static score_service *open_service(const char *policy, const char *fallback)
{
    score_opts o = {.policy_path = policy, .fallback_path = fallback, .budget_ms = 5000};
    score_service *s = NULL;
    int err = score_service_open(&s, &o);
    CHECK_MSG(err == 0, "open: %s", kisim_errmsg());
    return s;
}

static const char *crc_of(const char *path, char *buf)
{
    ckpt c;
    memset(&c, 0, sizeof c);
    buf[0] = 0;
    if (ckpt_read(&c, path, NULL) == 0) snprintf(buf, 9, "%s", c.crc32);
    ckpt_free(&c);
    return buf;
}

static void test_neutral_without_models(void)
{
    score_service *s = open_service(NULL, NULL);
    st_request r;
    st_request_init(&r, 5, 3);
    score_reply rep;
    CHECK_EQ_INT(score_service_score(s, &r.req, &rep), 0);
    CHECK_EQ_INT(rep.link, SCORE_LINK_NEUTRAL);
    CHECK(!strcmp(rep.version, "neutral"));
    for (int i = 0; i < rep.n; i++) {
        CHECK_EQ_INT(rep.nodes[i].score, 50);
        CHECK_EQ_INT(rep.nodes[i].link, SCORE_LINK_NEUTRAL);
        CHECK_STR_CONTAINS(rep.nodes[i].reason, "no model answered");
    }
    score_stats st;
    score_service_stats(s, &st);
    CHECK_EQ_INT(st.requests[SCORE_VERB_BATCHSCORE][SCORE_LINK_NEUTRAL], 1);
    CHECK_EQ_INT(st.fallbacks[SCORE_LINK_PPO][SCORE_FB_NOT_LOADED], 1);
    CHECK_EQ_INT(st.fallbacks[SCORE_LINK_ATTENTION][SCORE_FB_NOT_LOADED], 1);
    score_reply_free(&rep);
    score_service_close(s);
}

/* The PPO link's answer, computed here: obs in the spaces layout, the policy's log-probs, then
 * round(100 p_i / max p) and 1 - H / ln N. */
static void expected_ppo(const st_request *r, int *score, float *conf)
{
    ppo_model m;
    ppo_acts a;
    int n = r->req.n, T = r->req.T;
    CHECK_EQ_INT(ppo_model_load(&m, fx.ppo), 0);
    CHECK_EQ_INT(ppo_acts_alloc(&a, &m, 1, n), 0);
    env_spaces sp;
    spaces_init(&sp, n, T);
    float *obs = calloc((size_t)sp.obs_dim, sizeof *obs);
    for (int k = 0; k < n * T * KISIM_F; k++)
        obs[sp.off_nodes + k] = feature_normalize(k % KISIM_F, r->tele[k]);
    memcpy(obs + sp.off_pod, r->req.pod, sizeof r->req.pod);
    for (int i = 0; i < n; i++)
        obs[sp.off_node_mask + i] = 1;
    for (int f = 0; f < KISIM_F; f++)
        obs[sp.off_availability + f] = 1;
    ppo_forward(&m, &a, obs, NULL, 1, T);
    double p[64], pmax = 0, H = 0;
    for (int i = 0; i < n; i++) {
        p[i] = exp(a.logp_node[i]);
        pmax = p[i] > pmax ? p[i] : pmax;
        H -= p[i] * log(p[i]);
    }
    for (int i = 0; i < n; i++)
        score[i] = (int)lround(100 * p[i] / pmax);
    *conf = (float)(1 - H / log(n));
    free(obs);
    ppo_acts_free(&a);
    ppo_model_free(&m);
}

static void test_ppo_link(void)
{
    score_service *s = open_service(fx.ppo, fx.att);
    st_request r;
    st_request_init(&r, 12, 4);
    score_reply rep;
    CHECK_EQ_INT(score_service_score(s, &r.req, &rep), 0);
    CHECK_EQ_INT(rep.link, SCORE_LINK_PPO);
    char crc[9], want[64];
    snprintf(want, sizeof want, "ppo.safetensors@%s", crc_of(fx.ppo, crc));
    CHECK_MSG(!strcmp(rep.version, want), "%s vs %s", rep.version, want);
    int score[12];
    float conf;
    expected_ppo(&r, score, &conf);
    int top = 0;
    for (int i = 0; i < 12; i++) {
        CHECK_EQ_INT(rep.nodes[i].score, score[i]);
        CHECK_NEAR(rep.nodes[i].confidence, conf, 1e-4);
        CHECK_EQ_INT(rep.nodes[i].link, SCORE_LINK_PPO);
        top += rep.nodes[i].score == 100;
    }
    CHECK(top >= 1); /* the most likely node scores 100 */
    /* Node 11 has every feature at the top of the candidates: "(high)" in its reason. */
    CHECK_STR_CONTAINS(rep.nodes[11].reason, "(high)");
    CHECK_STR_CONTAINS(rep.nodes[0].reason, "(low)");
    score_reply_free(&rep);
    score_stats st;
    score_service_stats(s, &st);
    CHECK(!strcmp(st.version[SCORE_LINK_PPO], want));
    CHECK(!strncmp(st.version[SCORE_LINK_ATTENTION], "attention.safetensors@", 22));
    score_service_close(s);
}

/* The attention scorer's own forward over the same inputs. */
/* The attention scorer's own forward (the training path), unrounded: the service runs the
 * inference path (att_infer), equal within float rounding, so a score may round the other way
 * only when it is within rounding of a half. */
static void expected_attention(const st_request *r, const uint8_t *avail, float *score)
{
    att_model m;
    att_acts a;
    int n = r->req.n, T = r->req.T;
    CHECK_EQ_INT(att_model_load(&m, fx.att), 0);
    CHECK_EQ_INT(att_acts_alloc(&a, &m, n), 0);
    float *nodes = calloc((size_t)n * T * KISIM_F, sizeof *nodes), av[KISIM_F];
    for (int f = 0; f < KISIM_F; f++)
        av[f] = avail[f];
    for (int k = 0; k < n * T * KISIM_F; k++)
        nodes[k] = avail[k % KISIM_F] ? feature_normalize(k % KISIM_F, r->tele[k]) : 0;
    att_forward(&m, &a, nodes, n, T, av, NULL, r->req.pod);
    for (int i = 0; i < n; i++)
        score[i] = a.score[i];
    free(nodes);
    att_acts_free(&a);
    att_model_free(&m);
}

static void check_attention_answer(score_service *s, st_request *r, const char *why)
{
    score_reply rep;
    CHECK_EQ_INT(score_service_score(s, &r->req, &rep), 0);
    CHECK_MSG(rep.link == SCORE_LINK_ATTENTION, "%s: answered by %s", why,
              score_link_name(rep.link));
    CHECK(!strncmp(rep.version, "attention.safetensors@", 22));
    float score[64];
    expected_attention(r, r->avail, score);
    for (int i = 0; i < rep.n; i++)
        CHECK_MSG(fabsf((float)rep.nodes[i].score - score[i]) <= 0.5f + 1e-3f,
                  "node %d: %d, expected %.4f", i, rep.nodes[i].score, score[i]);
    score_reply_free(&rep);
}

static void test_no_policy_and_corrupt_policy(void)
{
    st_request r;
    st_request_init(&r, 6, 2);
    score_service *s = open_service(NULL, fx.att);
    check_attention_answer(s, &r, "no policy");
    score_service_close(s);

    kisim_clearerr();
    s = open_service(fx.bad, fx.att); /* rejected at start, the service runs on attention */
    check_attention_answer(s, &r, "corrupt policy");
    score_stats st;
    score_service_stats(s, &st);
    CHECK(st.version[SCORE_LINK_PPO][0] == 0);
    CHECK_EQ_INT(st.fallbacks[SCORE_LINK_PPO][SCORE_FB_NOT_LOADED], 1);
    score_service_close(s);
}

static void test_policy_refuses(void)
{
    score_service *s = open_service(fx.ppo, fx.att);
    st_request r;
    st_request_init(&r, 6, 2);
    r.avail[FEAT_L3_CACHE_MISS_RATE] = 0; /* no PMU: the policy needs it */
    check_attention_answer(s, &r, "unavailable feature");
    score_service_close(s);

    /* A policy trained on cpu_utilization in [0.1, 0.2] refuses 0.9 (beyond 0.2 + 0.1). */
    char path[160];
    snprintf(path, sizeof path, "%s/narrow.safetensors", fx.dir);
    CHECK_EQ_INT(score_fixture_ppo(
                     path, 32, 3,
                     "{\"cpu_utilization\":{\"min\":0.1,\"max\":0.2,\"mean\":0.15,\"std\":0.02}}"),
                 0);
    s = open_service(path, fx.att);
    st_request_init(&r, 6, 2);
    for (int i = 0; i < 6; i++)
        for (int t = 0; t < 2; t++)
            r.tele[((size_t)i * 2 + t) * KISIM_F + FEAT_CPU_UTILIZATION] = 0.15f;
    score_reply rep;
    CHECK_EQ_INT(score_service_score(s, &r.req, &rep), 0);
    CHECK_EQ_INT(rep.link, SCORE_LINK_PPO); /* inside the range: the policy answers */
    score_reply_free(&rep);
    r.tele[(size_t)(3 * 2 + 1) * KISIM_F + FEAT_CPU_UTILIZATION] =
        0.9f; /* node 3's newest sample */
    check_attention_answer(s, &r, "far outside feature_stats");
    score_stats st;
    score_service_stats(s, &st);
    CHECK_EQ_INT(st.fallbacks[SCORE_LINK_PPO][SCORE_FB_REFUSED], 1);
    score_service_close(s);
}

static void test_bad_requests(void)
{
    score_service *s = open_service(NULL, NULL);
    st_request r;
    score_reply rep;
    st_request_init(&r, 3, 2);
    r.req.n = 0;
    CHECK_EQ_INT(score_service_score(s, &r.req, &rep), KISIM_EINPUT);
    st_request_init(&r, 3, 2);
    r.tele[5] = NAN;
    CHECK_EQ_INT(score_service_score(s, &r.req, &rep), KISIM_EINPUT);
    CHECK_STR_CONTAINS(kisim_errmsg(), "telemetry[0][0][5]");
    st_request_init(&r, 3, 2);
    r.name_ptr[1] = "has space";
    CHECK_EQ_INT(score_service_score(s, &r.req, &rep), KISIM_EINPUT);
    CHECK_STR_CONTAINS(kisim_errmsg(), "nodes[1]");
    CHECK(rep.nodes == NULL);
    score_stats st;
    score_service_stats(s, &st);
    CHECK_EQ_INT(st.errors[SCORE_VERB_BATCHSCORE], 3);
    score_service_close(s);
}

int main(void)
{
    if (st_begin(&fx)) return 1;
    RUN(test_neutral_without_models);
    RUN(test_ppo_link);
    RUN(test_no_policy_and_corrupt_policy);
    RUN(test_policy_refuses);
    RUN(test_bad_requests);
    st_remove_files(&fx);
    TEST_MAIN_END();
}

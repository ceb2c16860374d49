/* itest_extender_model.c: the extender over HTTP on a service whose model link answers (an
 * attention-scorer checkpoint built with the policy API, telemetry put in the store; the
 * fixture's fresh PPO policy is near-uniform, so every node would score 100 and nothing could be
 * told apart; kisim bench extender times the PPO link): prioritize's
 * 0..10 scores must be the chain's own 0..100 scores for the same request (asked directly of the
 * service) mapped half up, (s + 5) / 10; and filter with a minimum score equal to the chain's best
 * score must fail exactly the nodes the chain scored below it, with the link and score in the
 * message. */
#include <unistd.h>

#include <cjson/cJSON.h>

#include "common/clock.h"
#include "common/err.h"
#include "common/rng.h"
#include "scheduler/extender.h"
#include "scheduler/extender_json.h"
#include "scheduler/score_fixture.h"
#include "telemetry/store.h"
#include "tests/http_test.h"
#include "tests/test.h"

#define N 6

/* POSTs body to path; the answer's body (malloc'ed) or NULL; *status. */
static char *post(int port, const char *path, const char *body, int *status)
{
    http_reply r;
    if (http_request(port, "POST", path, body, &r)) return NULL;
    *status = r.status;
    return r.body;
}

int main(void)
{
    char dir[] = "/tmp/kisim-itest-extender-XXXXXX", path[96];
    if (!mkdtemp(dir)) return 1;
    snprintf(path, sizeof path, "%s/attention.safetensors", dir);
    CHECK_EQ_INT(score_fixture_attention(path, 16, 5), 0);
    /* A generous budget: this test is about the answers, not the deadline (a loaded machine under
     * sanitizers can miss 45 ms and fall back). */
    score_opts so = {.fallback_path = path, .budget_ms = 10000};
    score_service *svc;
    if (score_service_open(&svc, &so)) {
        fprintf(stderr, "score_service_open: %s\n", kisim_errmsg());
        return 1;
    }
    /* Nodes from quiet to busy, every feature measured and inside its range. */
    telem_frame f;
    memset(&f, 0, sizeof f);
    rng r;
    rng_seed(&r, 3);
    for (int i = 0; i < N; i++) {
        snprintf(f.node, sizeof f.node, "node-%d", i);
        for (int j = 0; j < KISIM_F; j++) {
            double u = (0.05 + 0.9 * i / (N - 1)) * (0.8 + 0.2 * rng_uniform(&r));
            f.available[j] = 1;
            f.features[j] =
                (float)(kisim_features[j].lo + u * (kisim_features[j].hi - kisim_features[j].lo));
        }
        f.ts_ms = clock_wall_ms();
        CHECK_EQ_INT(telem_store_put(score_service_store(svc), &f), 0);
    }
    const char *body =
        "{\"Pod\":{\"metadata\":{\"name\":\"web-1\",\"ownerReferences\":[{\"kind\":"
        "\"ReplicaSet\",\"controller\":true}]},\"spec\":{\"containers\":[{\"resources\":"
        "{\"requests\":{\"cpu\":\"2\",\"memory\":\"4Gi\"}}}]}},\"NodeNames\":[\"node-0\","
        "\"node-1\",\"node-2\",\"node-3\",\"node-4\",\"node-5\"]}";

    /* The chain's own answer for the same pod context and nodes. */
    extender_args a;
    CHECK_EQ_INT(extender_json_parse(&a, body, strlen(body)), 0);
    const char *names[N];
    for (int i = 0; i < N; i++)
        names[i] = a.nodes[i].name;
    score_request req = {.verb = SCORE_VERB_PRIORITIZE, .n = N, .nodes = names};
    memcpy(req.pod, a.pod, sizeof req.pod);
    score_reply want = {0};
    CHECK_EQ_INT(score_service_score(svc, &req, &want), 0);
    CHECK_MSG(want.link == SCORE_LINK_ATTENTION, "the attention link did not answer (link %s)",
              score_link_name(want.link));
    int best = 0, below = 0;
    for (int i = 0; i < N; i++)
        if (want.nodes[i].score > best) best = want.nodes[i].score;
    for (int i = 0; i < N; i++)
        below += want.nodes[i].score < best;
    CHECK_MSG(below > 0 && below < N, "%d of %d nodes below the best %d: the test needs a spread",
              below, N, best);
    extender *x;
    extender_opts xo = {.filter_min_score = best};
    CHECK_EQ_INT(extender_start(&x, svc, "127.0.0.1:0", &xo), 0);

    int status = 0;
    char *out = post(extender_port(x), "/scheduler/prioritize", body, &status);
    CHECK(out && status == 200);
    cJSON *p = cJSON_Parse(out ? out : "");
    CHECK(cJSON_GetArraySize(p) == N);
    for (int i = 0; i < N && cJSON_GetArraySize(p) == N; i++) {
        cJSON *h = cJSON_GetArrayItem(p, i);
        CHECK(!strcmp(cJSON_GetObjectItem(h, "Host")->valuestring, names[i]));
        CHECK_MSG(cJSON_GetObjectItem(h, "Score")->valueint == (want.nodes[i].score + 5) / 10,
                  "%s: HTTP score %d, chain score %d", names[i],
                  cJSON_GetObjectItem(h, "Score")->valueint, want.nodes[i].score);
    }
    cJSON_Delete(p);
    free(out);

    out = post(extender_port(x), "/scheduler/filter", body, &status);
    CHECK(out && status == 200);
    cJSON *fr = cJSON_Parse(out ? out : "");
    cJSON *kept = cJSON_GetObjectItemCaseSensitive(fr, "NodeNames");
    cJSON *failed = cJSON_GetObjectItemCaseSensitive(fr, "FailedNodes");
    CHECK_EQ_INT(cJSON_GetArraySize(kept), N - below);
    CHECK_EQ_INT(cJSON_GetArraySize(failed), below);
    for (int i = 0; i < N; i++) {
        cJSON *msg = cJSON_GetObjectItemCaseSensitive(failed, names[i]);
        if (want.nodes[i].score < best) {
            char expect[64];
            snprintf(expect, sizeof expect, "score %d < %d (attention)", want.nodes[i].score, best);
            CHECK_MSG(cJSON_IsString(msg) && strstr(msg->valuestring, expect), "%s: %s", names[i],
                      cJSON_IsString(msg) ? msg->valuestring : "(not failed)");
        } else {
            CHECK_MSG(msg == NULL, "%s scored the best but failed", names[i]);
        }
    }
    cJSON_Delete(fr);
    free(out);
    score_reply_free(&want);
    extender_json_free(&a);
    extender_stop(x);
    score_service_close(svc);
    unlink(path);
    rmdir(dir);
    TEST_MAIN_END();
}

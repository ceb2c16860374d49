/* itest_batch.c: BatchScore over a real ZeroMQ socket (scheduler/PROTOCOL.md): a request with
 * inline telemetry and one by name from the telemetry store (fed over its SUB socket) are
 * answered with per-node arrays and reasons that agree with the in-process service; every
 * malformed request gets an error reply naming the field, and the server keeps serving. */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>

#include "common/err.h"
#include "scheduler/batch_client.h"
#include "scheduler/batch_server.h"
#include "score_test.h"
#include "telemetry/replay.h"
#include "telemetry/store.h"
#include "test.h"

static st_files fx;

typedef struct {
    batch_server *b;
    atomic_int stop;
} server_thread;

static void *serve(void *arg)
{
    server_thread *t = arg;
    while (!atomic_load(&t->stop))
        batch_server_poll(t->b, 20);
    return NULL;
}

/* Sends raw frames; checks the reply is an error with `code` whose message contains `field`. */
static void expect_error(batch_client *cl, const char *header, const void *arr, size_t arr_size,
                         const char *code, const char *field)
{
    const void *data[2] = {header, arr};
    size_t size[2] = {strlen(header), arr_size};
    char *h = NULL;
    int nf = 0;
    CHECK_EQ_INT(batch_client_raw(cl, data, size, arr ? 2 : 1, &h, &nf), 0);
    CHECK_MSG(h && strstr(h, "\"ok\":false") && strstr(h, code) && strstr(h, field), "%s -> %s",
              header, h ? h : "(none)");
    CHECK_EQ_INT(nf, 1);
    free(h);
}

static void test_batch_over_zmq(void)
{
    char ep[160], tele[160];
    snprintf(ep, sizeof ep, "ipc://%s/score.sock", fx.dir);
    snprintf(tele, sizeof tele, "ipc://%s/tele.sock", fx.dir);
    score_opts o = {
        .policy_path = fx.ppo, .fallback_path = fx.att, .budget_ms = 5000, .telemetry_bind = tele};
    score_service *s;
    CHECK_EQ_INT(score_service_open(&s, &o), 0);
    server_thread th = {0};
    CHECK_EQ_INT(batch_server_open(&th.b, s, ep), 0);
    pthread_t tid;
    pthread_create(&tid, NULL, serve, &th);
    batch_client *cl;
    CHECK_EQ_INT(batch_client_open(&cl, ep, 10000), 0);

    /* Inline telemetry: same answer as the service in process. */
    st_request r;
    st_request_init(&r, 7, 3);
    batch_result res;
    score_reply rep;
    CHECK_EQ_INT(batch_client_score(cl, &r.req, &res), 0);
    CHECK_EQ_INT(score_service_score(s, &r.req, &rep), 0);
    CHECK(res.n == 7 && !strcmp(res.link, "ppo") && !strcmp(res.version, rep.version));
    for (int i = 0; i < res.n && i < 7; i++) {
        CHECK_EQ_INT(res.scores[i], rep.nodes[i].score);
        CHECK_NEAR(res.conf[i], rep.nodes[i].confidence, 0);
        CHECK_EQ_INT(res.links[i], SCORE_LINK_PPO);
        CHECK_EQ_INT(res.status[i], SCORE_NODE_OK);
        CHECK(!strcmp(res.reasons[i], rep.nodes[i].reason));
    }
    score_reply_free(&rep);
    batch_result_free(&res);

    /* By name from the store, fed by a replay over the SUB socket; "ghost" is unknown. */
    char path[160];
    snprintf(path, sizeof path, "%s/frames.jsonl", fx.dir);
    FILE *f = fopen(path, "w");
    for (int k = 0; k < 3; k++) {
        telem_frame fr = {0};
        snprintf(fr.node, sizeof fr.node, "w%d", k);
        for (int j = 0; j < KISIM_F; j++)
            fr.available[j] = 1, fr.features[j] = (float)feature_denormalize(j, 0.3f * k);
        char *js = telem_frame_json(&fr);
        fprintf(f, "%s\n", js);
        free(js);
    }
    fclose(f);
    telem_recording rec;
    CHECK_EQ_INT(telem_recording_read(&rec, path), 0);
    telem_replay_opts ro = {.connect = tele, .rate = 1000, .loops = 1, .wait_ms = 200};
    atomic_int stop = 0;
    long sent;
    CHECK_EQ_INT(telem_replay(&rec, &ro, &stop, &sent), 0);
    telem_recording_free(&rec);
    int nodes = 0;
    for (int i = 0; i < 500 && nodes < 3; i++) {
        telem_store_counts(score_service_store(s), &nodes, NULL, NULL, NULL);
        usleep(10000);
    }
    CHECK_EQ_INT(nodes, 3);
    const char *names[4] = {"w0", "w1", "w2", "ghost"};
    score_request byname = {.verb = SCORE_VERB_BATCHSCORE, .n = 4, .nodes = names};
    CHECK_EQ_INT(batch_client_score(cl, &byname, &res), 0);
    CHECK(res.n == 4 && res.status[0] == SCORE_NODE_OK && res.status[3] == SCORE_NODE_UNKNOWN);
    CHECK(res.n == 4 && res.scores[3] == 50 && !strcmp(res.reasons[3], "no telemetry"));
    batch_result_free(&res);
    /* Names the JSON must escape reach the server intact, which names the bad one. */
    const char *odd[3] = {"w0", "we\"ird\\name", "tab\there"};
    score_request bad = {.verb = SCORE_VERB_BATCHSCORE, .n = 3, .nodes = odd};
    CHECK(batch_client_score(cl, &bad, &res) != 0);
    CHECK_MSG(strstr(kisim_errmsg(), "nodes[1]") != NULL, "%s", kisim_errmsg());
    bad.pod[2] = NAN;
    CHECK_EQ_INT(batch_client_score(cl, &bad, &res), KISIM_EINPUT);
    CHECK_MSG(strstr(kisim_errmsg(), "pod[2]") != NULL, "%s", kisim_errmsg());
    CHECK_EQ_INT(batch_client_score(cl, &byname, &res), 0);
    batch_result_free(&res);

    /* Malformed requests: each an error reply, and the server goes on. */
    float tel[2 * KISIM_F] = {0};
    expect_error(cl, "not json", NULL, 0, "bad_json", "frame 0");
    expect_error(cl, "{\"v\":2,\"cmd\":\"score\"}", NULL, 0, "unsupported_version", "v:");
    expect_error(cl, "{\"v\":1,\"cmd\":\"dance\"}", NULL, 0, "unknown_command", "dance");
    expect_error(cl, "{\"v\":1,\"cmd\":\"score\",\"pod\":[0,0,0,0,0,0,0,0,0,0,0]}", NULL, 0,
                 "bad_field", "nodes");
    expect_error(cl, "{\"v\":1,\"cmd\":\"score\",\"nodes\":[\"a\"],\"pod\":[0]}", NULL, 0,
                 "bad_field", "pod");
    expect_error(
        cl,
        "{\"v\":1,\"cmd\":\"score\",\"nodes\":[\"a\"],\"pod\":[0,0,0,0,0,0,0,0,0,0,0],\"bogus\":1}",
        NULL, 0, "bad_field", "bogus");
    expect_error(
        cl, "{\"v\":1,\"cmd\":\"score\",\"nodes\":[\"a\"],\"pod\":[0,0,0,0,0,0,0,0,0,0,0],\"T\":2}",
        NULL, 0, "frame_count", "expected 2 frames");
    expect_error(
        cl, "{\"v\":1,\"cmd\":\"score\",\"nodes\":[\"a\"],\"pod\":[0,0,0,0,0,0,0,0,0,0,0],\"T\":2}",
        tel, 7, "array_size", "telemetry");
    tel[3] = NAN;
    expect_error(
        cl, "{\"v\":1,\"cmd\":\"score\",\"nodes\":[\"a\"],\"pod\":[0,0,0,0,0,0,0,0,0,0,0],\"T\":2}",
        tel, sizeof tel, "bad_value", "element 3");
    expect_error(cl, "{\"v\":1,\"cmd\":\"rebalance\",\"id\":9,\"min_delta\":500}", NULL, 0,
                 "bad_field", "min_delta");
    CHECK_EQ_INT(batch_client_score(cl, &r.req, &res), 0); /* still serving */
    CHECK(res.n == 7);
    batch_result_free(&res);
    batch_server_stats bs;
    batch_server_get_stats(th.b, &bs);
    CHECK_EQ_INT(bs.errors, 11); /* the 10 malformed requests and the odd names */
    score_stats st;
    score_service_stats(s, &st);
    CHECK_EQ_INT(st.errors[SCORE_VERB_BATCHSCORE] + st.errors[SCORE_VERB_REBALANCE], 11);

    char *json = NULL;
    CHECK_EQ_INT(batch_client_rebalance(cl, 0, 10, &json), 0); /* no pods reported: no moves */
    CHECK(json && strstr(json, "\"moves\":[]"));
    free(json);

    atomic_store(&th.stop, 1);
    pthread_join(tid, NULL);
    batch_client_close(cl);
    batch_server_close(th.b);
    score_service_close(s);
}

int main(void)
{
    if (st_begin(&fx)) return 1;
    RUN(test_batch_over_zmq);
    st_remove_files(&fx);
    TEST_MAIN_END();
}

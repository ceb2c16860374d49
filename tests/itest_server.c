/* itest_server.c: the env server over real sockets (a server thread in this process):
 * - same seed, same actions: the trajectory through the server and the C client equals an
 *   in-process vecenv's, bit for bit, across auto-resets;
 * - every malformed request, one by one, gets its error code, and the next good request still
 *   works and steps from exactly where the envs were (nothing half-stepped);
 * - one env addressed by index: Gymnasium semantics (no auto-reset), matching a lone env;
 * - penalty mode passes masked actions to the env; close ends episodes;
 * - clients that vanish mid-request, flood without reading, or stall a handshake do not
 *   wedge it. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/config.h"
#include "env/remote/client.h"
#include "env/vecenv.h"
#include "test.h"
#include "transport/proto.h"
#include "zmq_test.h"

static void short_episodes(kisim_config *cfg)
{
    cfg_default(cfg);
    cfg->env.horizon_s = 60; /* a dozen decisions per episode: many auto-resets */
}

static void test_trajectory_matches_in_process(void)
{
    enum { K = 3, STEPS = 150 };
    kisim_config cfg;
    short_episodes(&cfg);
    srv_thread t;
    server_opts so = {.envs = K};
    if (srv_start(&t, &cfg, &so)) {
        CHECK(0);
        return;
    }
    const char *ep = server_endpoint(t.s);
    kisim_client *c;
    CHECK(client_open(&c, &ep, 1, &(client_opts){.timeout_ms = 10000}) == 0);
    vecenv *ref;
    CHECK(vecenv_init(&ref, &cfg, K) == 0);
    env_spaces sp;
    client_get_spaces(c, &sp);
    CHECK(client_size(c) == K && sp.obs_dim > 0 && client_invalid_is_error(c));
    size_t od = (size_t)sp.obs_dim * K, md = (size_t)sp.mask_dim * K, nd = (size_t)sp.n_info * K;
    float *obs = malloc(od * 4), *robs = malloc(od * 4), *info = malloc(nd * 4),
          *rinfo = malloc(nd * 4), rew[K], rrew[K];
    uint8_t *mask = malloc(md), *rmask = malloc(md), term[K], trunc[K], rterm[K], rtrunc[K];
    CHECK(client_reset(c, 4242, obs, mask) == 0);
    CHECK(vecenv_reset(ref, 4242, robs, rmask) == 0);
    CHECK(memcmp(obs, robs, od * 4) == 0 && memcmp(mask, rmask, md) == 0);
    int ends = 0, same = 1;
    for (long s = 0; s < STEPS; s++) {
        int32_t a[2 * K];
        rule_actions(mask, K, sp.n_max, s, 0, a);
        CHECK(client_step(c, a, obs, mask, rew, term, trunc, info) == 0);
        CHECK(vecenv_step(ref, a, robs, rmask, rrew, rterm, rtrunc, rinfo) == 0);
        same &= !memcmp(obs, robs, od * 4) && !memcmp(mask, rmask, md) &&
                !memcmp(rew, rrew, sizeof rew) && !memcmp(term, rterm, K) &&
                !memcmp(trunc, rtrunc, K) && !memcmp(info, rinfo, nd * 4);
        for (int k = 0; k < K; k++)
            ends += term[k] || trunc[k];
    }
    CHECK_MSG(same, "the trajectory through the server differs from the in-process one");
    CHECK_MSG(ends >= 2 * K, "only %d episode ends: auto-reset not exercised", ends);

    /* A masked action is refused by the client before anything is sent (all or nothing). */
    int32_t bad[2 * K];
    rule_actions(mask, K, sp.n_max, 0, 0, bad);
    bad[2 * 2] = sp.n_max - 1; /* quickstart-size clusters have 8 nodes of 16: masked */
    CHECK(!mask[2 * sp.mask_dim + sp.n_max - 1]);
    CHECK(client_step(c, bad, obs, mask, rew, term, trunc, info) == KISIM_EINVALID_ACTION);
    CHECK_STR_CONTAINS(kisim_errmsg(), "env 2 (");
    CHECK_STR_CONTAINS(kisim_errmsg(), "node is masked");
    int32_t a[2 * K];
    rule_actions(mask, K, sp.n_max, 7, 0, a);
    CHECK(client_step(c, a, obs, mask, rew, term, trunc, info) == 0);
    CHECK(vecenv_step(ref, a, robs, rmask, rrew, rterm, rtrunc, rinfo) == 0);
    CHECK(memcmp(obs, robs, od * 4) == 0);

    client_close(c);
    vecenv_free(ref);
    free(obs), free(robs), free(info), free(rinfo), free(mask), free(rmask);
    srv_stop(&t);
}

/* Sends a bad request and checks its code; then a good step that must match the reference. */
typedef struct {
    void *sock;
    vecenv *ref;
    env_spaces sp;
    int k;
    float *obs;
    uint8_t *mask;
    float *info;
    long t;
} good_state;

static void good_step(good_state *g, const char *after)
{
    int32_t a[16];
    rule_actions(g->mask, g->k, g->sp.n_max, g->t++, 0, a);
    raw_reply r;
    CHECK(raw_request(g->sock, "{\"v\":1,\"cmd\":\"step\",\"id\":5}", a, 8 * (size_t)g->k, &r) ==
          0);
    CHECK_MSG(!strcmp(raw_code(&r), "ok") && r.n == 6, "good step after %s: %s %s", after,
              raw_code(&r), raw_message(&r));
    float rew[16];
    uint8_t term[16], trunc[16];
    CHECK(vecenv_step(g->ref, a, g->obs, g->mask, rew, term, trunc, g->info) == 0);
    if (r.n == 6) {
        CHECK_MSG(r.size[0] == (size_t)g->k * g->sp.obs_dim * 4 &&
                      !memcmp(r.data[0], g->obs, r.size[0]),
                  "after %s the server's envs are not where the reference is", after);
        CHECK(!memcmp(r.data[4], g->mask, (size_t)g->k * g->sp.mask_dim));
        CHECK(!memcmp(r.data[5], g->info, (size_t)g->k * g->sp.n_info * 4));
    }
    raw_free(&r);
}

static void expect_code(void *sock, int n, const void *const *data, const size_t *size,
                        const char *code, const char *needle, const char *what)
{
    raw_reply r;
    CHECK_MSG(raw_send(sock, n, data, size) == 0 && raw_recv(sock, &r) == 0, "%s: no reply", what);
    CHECK_MSG(!strcmp(raw_code(&r), code), "%s: got %s (%s), want %s", what, raw_code(&r),
              raw_message(&r), code);
    CHECK_MSG(strstr(raw_message(&r), needle) != NULL, "%s: message \"%s\" lacks \"%s\"", what,
              raw_message(&r), needle);
    CHECK(r.n == 0);
    raw_free(&r);
}

#define BAD1(hdr, code, needle)                                                                    \
    do {                                                                                           \
        const void *d_[1] = {hdr};                                                                 \
        size_t s_[1] = {strlen(hdr)};                                                              \
        expect_code(g.sock, 1, d_, s_, code, needle, hdr);                                         \
        good_step(&g, hdr);                                                                        \
    } while (0)
#define BAD2(hdr, arr, size, code, needle)                                                         \
    do {                                                                                           \
        const void *d_[2] = {hdr, arr};                                                            \
        size_t s_[2] = {strlen(hdr), size};                                                        \
        expect_code(g.sock, 2, d_, s_, code, needle, hdr);                                         \
        good_step(&g, hdr);                                                                        \
    } while (0)

static void test_malformed_requests(void)
{
    enum { K = 2 };
    kisim_config cfg;
    short_episodes(&cfg);
    srv_thread t;
    server_opts so = {.envs = K};
    if (srv_start(&t, &cfg, &so)) {
        CHECK(0);
        return;
    }
    void *ctx = zmq_ctx_new();
    good_state g = {.sock = raw_connect(ctx, server_endpoint(t.s)), .k = K};
    CHECK(vecenv_init(&g.ref, &cfg, K) == 0);
    env_get_spaces(vecenv_env(g.ref, 0), &g.sp);
    g.obs = malloc((size_t)K * g.sp.obs_dim * 4);
    g.mask = malloc((size_t)K * g.sp.mask_dim);
    g.info = malloc((size_t)K * g.sp.n_info * 4);

    /* Before any reset: a step is refused, and the server is fine. */
    int32_t zero[2 * K] = {0, 1, 0, 1};
    const void *d0[2] = {"{\"v\":1,\"cmd\":\"step\"}", zero};
    size_t s0[2] = {strlen(d0[0]), sizeof zero};
    expect_code(g.sock, 2, d0, s0, "not_reset", "reset it first", "step before reset");
    raw_reply r;
    CHECK(raw_request(g.sock, "{\"v\":1,\"cmd\":\"reset\",\"seed\":\"99\",\"id\":1}", NULL, 0,
                      &r) == 0);
    CHECK(!strcmp(raw_code(&r), "ok") && r.n == 2);
    CHECK(cJSON_GetObjectItem(r.h, "id")->valuedouble == 1);
    CHECK(vecenv_reset(g.ref, 99, g.obs, g.mask) == 0);
    CHECK(r.n == 2 && !memcmp(r.data[0], g.obs, (size_t)K * g.sp.obs_dim * 4));
    raw_free(&r);

    BAD1("{nope", "bad_json", "not valid JSON");
    BAD1("42", "bad_json", "not a JSON object");
    BAD1("{\"v\":1,\"cmd\":\"fly\"}", "unknown_command", "\"fly\"");
    BAD1("{\"v\":99,\"cmd\":\"step\"}", "unsupported_version", "version 1");
    BAD1("{\"cmd\":\"spaces\"}", "bad_field", "v: missing");
    BAD1("{\"v\":1,\"cmd\":\"reset\"}", "bad_field", "seed: missing");
    BAD1("{\"v\":1,\"cmd\":\"spaces\",\"colour\":1}", "bad_field", "colour: unknown key");
    BAD1("{\"v\":1,\"cmd\":\"step\"}", "frame_count", "expected 2 frames");
    BAD2("{\"v\":1,\"cmd\":\"spaces\"}", "x", 1, "frame_count", "got 2");
    BAD2("{\"v\":1,\"cmd\":\"step\"}", zero, sizeof zero - 4, "array_size", "got 12");
    float fnan[2 * K] = {0, 1, NAN, 1};
    BAD2("{\"v\":1,\"cmd\":\"step\",\"dtype\":\"float32\"}", fnan, sizeof fnan, "bad_action",
         "actions[1][0] (node) is NaN");
    int32_t far[2 * K] = {0, 1, 16, 1};
    BAD2("{\"v\":1,\"cmd\":\"step\"}", far, sizeof far, "bad_action", "= 16 is outside [0, 15]");
    int32_t scale9[2 * K] = {0, 9, 0, 1};
    BAD2("{\"v\":1,\"cmd\":\"step\"}", scale9, sizeof scale9, "bad_action", "(scale) = 9");
    /* Masked (node 15 of an 8-node cluster) in env 1 only: env 0 must not have stepped. */
    int32_t masked[2 * K];
    rule_actions(g.mask, K, g.sp.n_max, 0, 0, masked);
    masked[2] = 15;
    BAD2("{\"v\":1,\"cmd\":\"step\"}", masked, sizeof masked, "invalid_action",
         "env 1: invalid action: node 15 is masked");
    BAD2("{\"v\":1,\"cmd\":\"step\",\"env\":2}", zero, 8, "bad_field", "env: expected");

    /* Frames: none after the delimiter; an empty header; too many frames. */
    const void *none[1] = {""};
    size_t zs[1] = {0};
    expect_code(g.sock, 0, none, zs, "bad_json", "empty", "delimiter only");
    good_step(&g, "delimiter only");
    expect_code(g.sock, 1, none, zs, "bad_json", "empty", "empty header");
    good_step(&g, "empty header");
    const void *many[12];
    size_t many_s[12];
    for (int i = 0; i < 12; i++)
        many[i] = "{\"v\":1,\"cmd\":\"spaces\"}", many_s[i] = 22;
    expect_code(g.sock, 12, many, many_s, "frame_count", "got 12", "12 frames");
    good_step(&g, "12 frames");
    size_t big_n = PROTO_MAX_HEADER + 100;
    char *big = malloc(big_n + 1);
    memset(big, ' ', big_n);
    big[big_n] = 0;
    memcpy(big, "{\"v\":1,\"cmd\":\"spaces\"}", 22);
    BAD1(big, "bad_json", "more than");
    free(big);

    /* The spaces reply: sizes and the names. */
    CHECK(raw_request(g.sock, "{\"v\":1,\"cmd\":\"spaces\"}", NULL, 0, &r) == 0);
    CHECK(!strcmp(raw_code(&r), "ok") && cJSON_GetObjectItem(r.h, "envs")->valueint == K);
    CHECK(cJSON_GetObjectItem(r.h, "obs_dim")->valueint == g.sp.obs_dim);
    CHECK(!strcmp(cJSON_GetObjectItem(r.h, "invalid_action")->valuestring, "error"));
    const cJSON *names = cJSON_GetObjectItem(
        cJSON_GetObjectItem(cJSON_GetObjectItem(r.h, "spaces"), "info"), "names");
    CHECK(cJSON_GetArraySize(names) == KISIM_N_INFO);
    CHECK(!strcmp(cJSON_GetArrayItem(names, INFO_EP_P99_MS)->valuestring, "ep_p99_ms"));
    raw_free(&r);

    /* close ends the episodes: a step after it is a request before reset. */
    CHECK(raw_request(g.sock, "{\"v\":1,\"cmd\":\"close\"}", NULL, 0, &r) == 0);
    CHECK(!strcmp(raw_code(&r), "ok"));
    raw_free(&r);
    expect_code(g.sock, 2, d0, s0, "not_reset", "reset it first", "step after close");

    server_stats st;
    server_get_stats(t.s, &st);
    CHECK_MSG(st.errors >= 20 && st.requests > st.errors, "%llu requests, %llu errors",
              (unsigned long long)st.requests, (unsigned long long)st.errors);
    zmq_close(g.sock);
    zmq_ctx_term(ctx);
    vecenv_free(g.ref);
    free(g.obs), free(g.mask), free(g.info);
    srv_stop(&t);
}

static void test_single_env_index(void)
{
    enum { K = 3 };
    kisim_config cfg;
    short_episodes(&cfg);
    srv_thread t;
    server_opts so = {.envs = K};
    if (srv_start(&t, &cfg, &so)) {
        CHECK(0);
        return;
    }
    void *ctx = zmq_ctx_new(), *sock = raw_connect(ctx, server_endpoint(t.s));
    kisim_env *ref;
    CHECK(env_init(&ref, &cfg) == 0);
    env_spaces sp;
    env_get_spaces(ref, &sp);
    float *obs = malloc((size_t)sp.obs_dim * 4), info[KISIM_N_INFO], rew;
    uint8_t *mask = malloc((size_t)sp.mask_dim), term = 0, trunc = 0;
    raw_reply r;
    CHECK(raw_request(sock,
                      "{\"v\":1,\"cmd\":\"reset\",\"env\":1,\"seed\":\"18446744073709551557\"}",
                      NULL, 0, &r) == 0);
    CHECK(env_reset(ref, 18446744073709551557ULL, obs, mask) == 0);
    CHECK(!strcmp(raw_code(&r), "ok") && r.n == 2 &&
          cJSON_GetObjectItem(r.h, "env")->valueint == 1);
    CHECK(r.n == 2 && r.size[0] == (size_t)sp.obs_dim * 4 && !memcmp(r.data[0], obs, r.size[0]));
    raw_free(&r);
    int steps = 0, same = 1;
    while (!term && !trunc && steps < 500) {
        int32_t a[2];
        rule_actions(mask, 1, sp.n_max, steps++, 0, a);
        CHECK(raw_request(sock, "{\"v\":1,\"cmd\":\"step\",\"env\":1}", a, sizeof a, &r) == 0);
        CHECK(env_step(ref, a, obs, mask, &rew, &term, &trunc, info) == 0);
        same &= !strcmp(raw_code(&r), "ok") && r.n == 6 && !memcmp(r.data[0], obs, r.size[0]) &&
                *(float *)r.data[1] == rew && *(uint8_t *)r.data[2] == term &&
                *(uint8_t *)r.data[3] == trunc && !memcmp(r.data[5], info, sizeof info);
        raw_free(&r);
    }
    CHECK_MSG(same, "env 1 through the server differs from a lone env");
    CHECK(term || trunc);
    /* No auto-reset for one env: the episode is over until it is reset. */
    int32_t a[2] = {0, 1};
    CHECK(raw_request(sock, "{\"v\":1,\"cmd\":\"step\",\"env\":1}", a, sizeof a, &r) == 0);
    CHECK(!strcmp(raw_code(&r), "not_reset"));
    CHECK_STR_CONTAINS(raw_message(&r), "env 1 has no running episode");
    raw_free(&r);
    /* Env 0 was never reset: a step of all envs is refused, naming it. */
    int32_t a3[6] = {0, 1, 0, 1, 0, 1};
    CHECK(raw_request(sock, "{\"v\":1,\"cmd\":\"step\"}", a3, sizeof a3, &r) == 0);
    CHECK(!strcmp(raw_code(&r), "not_reset"));
    CHECK_STR_CONTAINS(raw_message(&r), "env 0 has no running episode");
    raw_free(&r);
    CHECK(raw_request(sock, "{\"v\":1,\"cmd\":\"reset\",\"env\":1,\"seed\":3}", NULL, 0, &r) == 0);
    CHECK(!strcmp(raw_code(&r), "ok"));
    raw_free(&r);
    env_free(ref);
    free(obs), free(mask);
    zmq_close(sock);
    zmq_ctx_term(ctx);
    srv_stop(&t);
}

static void test_penalty_mode(void)
{
    kisim_config cfg;
    short_episodes(&cfg);
    cfg.env.invalid_action = INVALID_ACTION_PENALTY;
    cfg.env.invalid_penalty = -2.5;
    srv_thread t;
    server_opts so = {.envs = 1};
    char bind[128];
    snprintf(bind, sizeof bind, "ipc:///tmp/kisim-itest-server-%ld.sock", (long)getpid());
    so.bind = bind;
    if (srv_start(&t, &cfg, &so)) {
        CHECK(0);
        return;
    }
    CHECK(!strcmp(server_endpoint(t.s), bind));
    void *ctx = zmq_ctx_new(), *sock = raw_connect(ctx, bind);
    raw_reply r;
    CHECK(raw_request(sock, "{\"v\":1,\"cmd\":\"spaces\"}", NULL, 0, &r) == 0);
    CHECK(!strcmp(cJSON_GetObjectItem(r.h, "invalid_action")->valuestring, "penalty"));
    raw_free(&r);
    CHECK(raw_request(sock, "{\"v\":1,\"cmd\":\"reset\",\"seed\":1}", NULL, 0, &r) == 0);
    raw_free(&r);
    int32_t a[2] = {15, 1}; /* no node 15 in an 8-node cluster */
    CHECK(raw_request(sock, "{\"v\":1,\"cmd\":\"step\"}", a, sizeof a, &r) == 0);
    CHECK_MSG(!strcmp(raw_code(&r), "ok"), "%s", raw_message(&r));
    if (r.n == 6) {
        const float *info = r.data[5];
        CHECK(info[INFO_INVALID_ACTION] == 1 && info[INFO_R_INVALID] == -2.5f);
    }
    raw_free(&r);
    zmq_close(sock);
    zmq_ctx_term(ctx);
    srv_stop(&t);
    CHECK_MSG(access(bind + 6, F_OK) != 0, "the ipc socket file %s was left behind", bind + 6);
}

static void test_misbehaving_clients(void)
{
    enum { K = 16 };
    kisim_config cfg;
    short_episodes(&cfg);
    srv_thread t;
    server_opts so = {.envs = K};
    if (srv_start(&t, &cfg, &so)) {
        CHECK(0);
        return;
    }
    const char *ep = server_endpoint(t.s);
    void *ctx = zmq_ctx_new();
    raw_reply r;
    /* Resets (K = 16: 160 KB replies) sent, and the client gone before any answer. */
    for (int i = 0; i < 5; i++) {
        void *s = raw_connect(ctx, ep);
        const void *d[1] = {"{\"v\":1,\"cmd\":\"reset\",\"seed\":7}"};
        size_t n[1] = {strlen(d[0])};
        CHECK(raw_send(s, 1, d, n) == 0);
        zmq_close(s);
    }
    /* A flood of requests whose replies are never read. */
    void *flood = raw_connect(ctx, ep);
    for (int i = 0; i < 200; i++) {
        const void *d[1] = {"{\"v\":1,\"cmd\":\"reset\",\"seed\":8}"};
        size_t n[1] = {strlen(d[0])};
        raw_send(flood, 1, d, n);
    }
    /* A TCP peer that stalls half-way through the ZeroMQ greeting. */
    const char *port = strrchr(ep, ':') + 1;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port))};
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    CHECK(connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0);
    CHECK(write(fd, "\xff\0\0\0", 4) == 4);
    /* Meanwhile a well-behaved client is served. */
    void *good = raw_connect(ctx, ep);
    CHECK(raw_request(good, "{\"v\":1,\"cmd\":\"reset\",\"seed\":\"1\",\"id\":5}", NULL, 0, &r) ==
          0);
    CHECK(r.h && !strcmp(raw_code(&r), "ok") && r.n == 2);
    raw_free(&r);
    int32_t a[2 * K];
    for (int k = 0; k < K; k++)
        a[2 * k] = 0, a[2 * k + 1] = 1;
    CHECK(raw_request(good, "{\"v\":1,\"cmd\":\"step\"}", a, sizeof a, &r) == 0);
    CHECK(r.h && !strcmp(raw_code(&r), "ok"));
    raw_free(&r);
    close(fd);
    zmq_close(flood);
    zmq_close(good);
    zmq_ctx_term(ctx);
    srv_stop(&t);
}

int main(void)
{
    RUN(test_trajectory_matches_in_process);
    RUN(test_malformed_requests);
    RUN(test_single_env_index);
    RUN(test_penalty_mode);
    RUN(test_misbehaving_clients);
    TEST_MAIN_END();
}

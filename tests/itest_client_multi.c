/* itest_client_multi.c: the C client over several servers as one vector env.
 * - Two servers (K = 2 and 3) stepped together equal one in-process vecenv of 5 envs, bit for
 *   bit, auto-resets and their seeds included (each server is told its span).
 * - Servers in child processes; one is killed: the next step fails naming that endpoint, well
 *   within the timeout. One is frozen (SIGSTOP): the step times out naming it.
 * - Servers that disagree on spaces, or no server at all, fail client_open naming the
 *   endpoint. Every child is stopped by its pid. */
#include <signal.h>
#include <stdatomic.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/config.h"
#include "common/log.h"
#include "env/remote/client.h"
#include "env/vecenv.h"
#include "test.h"
#include "zmq_test.h"

static void short_episodes(kisim_config *cfg)
{
    cfg_default(cfg);
    cfg->env.horizon_s = 60;
}

static void test_two_servers_are_one_vecenv(void)
{
    enum { K0 = 2, K1 = 3, K = K0 + K1, STEPS = 120 };
    kisim_config cfg;
    short_episodes(&cfg);
    srv_thread a, b;
    server_opts oa = {.envs = K0}, ob = {.envs = K1};
    if (srv_start(&a, &cfg, &oa) || srv_start(&b, &cfg, &ob)) {
        CHECK(0);
        return;
    }
    const char *eps[2] = {server_endpoint(a.s), server_endpoint(b.s)};
    kisim_client *c;
    CHECK(client_open(&c, eps, 2, &(client_opts){.timeout_ms = 10000}) == 0);
    CHECK(client_size(c) == K);
    int local = -1;
    CHECK(client_endpoint_of(c, 3, &local) == eps[1] ||
          !strcmp(client_endpoint_of(c, 3, &local), eps[1]));
    CHECK(local == 1);
    vecenv *ref;
    CHECK(vecenv_init(&ref, &cfg, K) == 0);
    env_spaces sp;
    client_get_spaces(c, &sp);
    size_t od = (size_t)sp.obs_dim * K, md = (size_t)sp.mask_dim * K, nd = (size_t)sp.n_info * K;
    float *obs = malloc(od * 4), *robs = malloc(od * 4), *info = malloc(nd * 4),
          *rinfo = malloc(nd * 4), rew[K], rrew[K];
    uint8_t *mask = malloc(md), *rmask = malloc(md), term[K], trunc[K], rterm[K], rtrunc[K];
    CHECK(client_reset(c, 1000, obs, mask) == 0);
    CHECK(vecenv_reset(ref, 1000, robs, rmask) == 0);
    int same = !memcmp(obs, robs, od * 4), ends = 0;
    for (long s = 0; s < STEPS; s++) {
        int32_t act[2 * K];
        rule_actions(mask, K, sp.n_max, s, 0, act);
        CHECK(client_step(c, act, obs, mask, rew, term, trunc, info) == 0);
        CHECK(vecenv_step(ref, act, robs, rmask, rrew, rterm, rtrunc, rinfo) == 0);
        same &= !memcmp(obs, robs, od * 4) && !memcmp(mask, rmask, md) &&
                !memcmp(rew, rrew, sizeof rew) && !memcmp(term, rterm, K) &&
                !memcmp(trunc, rtrunc, K) && !memcmp(info, rinfo, nd * 4);
        for (int k = 0; k < K; k++)
            ends += term[k] || trunc[k];
    }
    CHECK_MSG(same, "two servers differ from one in-process vecenv of %d envs", K);
    CHECK_MSG(ends >= 2 * K, "only %d episode ends", ends);
    client_close(c);
    vecenv_free(ref);
    free(obs), free(robs), free(info), free(rinfo), free(mask), free(rmask);
    srv_stop(&a);
    srv_stop(&b);
}

static atomic_int child_stop;
static void on_term(int sig)
{
    (void)sig;
    atomic_store(&child_stop, 1);
}

/* A server in a child process (it builds its own ZeroMQ context after the fork). */
static pid_t spawn_server(const kisim_config *cfg, int k, const char *bind)
{
    pid_t pid = fork();
    if (pid != 0) return pid;
    prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive a test that crashed */
    struct sigaction sa = {.sa_handler = on_term};
    sigaction(SIGTERM, &sa, NULL);
    log_set_level(LOG_WARN);
    kisim_server *s;
    server_opts so = {.bind = bind, .envs = k};
    if (server_open(&s, cfg, &so)) _exit(3);
    int err = server_run(s, &child_stop);
    server_close(s);
    _exit(err ? 1 : 0);
}

static void stop_child(pid_t pid)
{
    int status;
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
}

static void test_killed_and_frozen_servers(void)
{
    kisim_config cfg;
    short_episodes(&cfg);
    char ep[3][128];
    for (int i = 0; i < 3; i++)
        snprintf(ep[i], sizeof ep[i], "ipc:///tmp/kisim-itest-multi-%ld-%d.sock", (long)getpid(),
                 i);
    pid_t pid[3];
    for (int i = 0; i < 3; i++)
        pid[i] = spawn_server(&cfg, 2, ep[i]);
    const char *eps[3] = {ep[0], ep[1], ep[2]};
    const int timeout = 3000;
    kisim_client *c;
    int err = client_open(&c, eps, 3, &(client_opts){.timeout_ms = timeout});
    CHECK_MSG(err == 0, "%s", kisim_errmsg());
    if (err) goto done;
    env_spaces sp;
    client_get_spaces(c, &sp);
    enum { K = 6 };
    float *obs = malloc((size_t)K * sp.obs_dim * 4), *info = malloc((size_t)K * sp.n_info * 4),
          rew[K];
    uint8_t *mask = malloc((size_t)K * sp.mask_dim), term[K], trunc[K];
    int32_t act[2 * K];
    CHECK(client_reset(c, 5, obs, mask) == 0);
    for (long s = 0; s < 5; s++) {
        rule_actions(mask, K, sp.n_max, s, 0, act);
        CHECK(client_step(c, act, obs, mask, rew, term, trunc, info) == 0);
    }

    /* Kill the second server: the step fails at once, naming it. */
    stop_child(pid[1]);
    pid[1] = 0;
    rule_actions(mask, K, sp.n_max, 5, 0, act);
    double t0 = clock_mono_s();
    err = client_step(c, act, obs, mask, rew, term, trunc, info);
    double took = clock_mono_s() - t0;
    CHECK(err == KISIM_EIO || err == KISIM_ETIMEOUT);
    CHECK_STR_CONTAINS(kisim_errmsg(), ep[1]);
    CHECK_MSG(strstr(kisim_errmsg(), ep[0]) == NULL && strstr(kisim_errmsg(), ep[2]) == NULL, "%s",
              kisim_errmsg());
    CHECK_MSG(took <= timeout / 1000.0 + 0.5, "took %.2f s, timeout %.1f s", took, timeout / 1e3);
    fprintf(stderr, "killed server: %.3f s: %s\n", took, kisim_errmsg());
    /* The envs are out of step now: a step needs a reset first. */
    CHECK(client_step(c, act, obs, mask, rew, term, trunc, info) == KISIM_ESTATE);
    client_close(c);

    /* A frozen server: the step times out, naming it. */
    const char *two[2] = {ep[0], ep[2]};
    CHECK(client_open(&c, two, 2, &(client_opts){.timeout_ms = 1000}) == 0);
    CHECK(client_reset(c, 6, obs, mask) == 0);
    kill(pid[2], SIGSTOP);
    rule_actions(mask, 4, sp.n_max, 0, 0, act);
    t0 = clock_mono_s();
    err = client_step(c, act, obs, mask, rew, term, trunc, info);
    took = clock_mono_s() - t0;
    CHECK(err == KISIM_ETIMEOUT);
    CHECK_STR_CONTAINS(kisim_errmsg(), ep[2]);
    CHECK_STR_CONTAINS(kisim_errmsg(), "no reply to step within 1000 ms");
    CHECK_MSG(took >= 0.9 && took <= 2.5, "took %.2f s for a 1 s timeout", took);
    client_close(c);
    free(obs), free(info), free(mask);

    /* A server alone at an endpoint nobody serves: open fails naming it, within the timeout. */
    const char *nobody[2] = {ep[0], ep[1]};
    t0 = clock_mono_s();
    CHECK(client_open(&c, nobody, 2, &(client_opts){.timeout_ms = 500}) == KISIM_ETIMEOUT);
    CHECK_STR_CONTAINS(kisim_errmsg(), ep[1]);
    CHECK(clock_mono_s() - t0 < 2.0);
done:
    for (int i = 0; i < 3; i++)
        if (pid[i] > 0) stop_child(pid[i]);
    for (int i = 0; i < 3; i++)
        unlink(ep[i] + 6);
}

static void test_spaces_must_agree(void)
{
    kisim_config small, big;
    short_episodes(&small);
    short_episodes(&big);
    big.env.max_nodes = 32;
    srv_thread a, b;
    server_opts o = {.envs = 1};
    if (srv_start(&a, &small, &o) || srv_start(&b, &big, &o)) {
        CHECK(0);
        return;
    }
    const char *eps[2] = {server_endpoint(a.s), server_endpoint(b.s)};
    kisim_client *c = NULL;
    CHECK(client_open(&c, eps, 2, &(client_opts){.timeout_ms = 5000}) == KISIM_EINPUT);
    CHECK(c == NULL);
    CHECK_STR_CONTAINS(kisim_errmsg(), eps[1]);
    CHECK_STR_CONTAINS(kisim_errmsg(), "must share them");
    CHECK(client_open(&c, eps, 0, NULL) == KISIM_EUSAGE);
    srv_stop(&a);
    srv_stop(&b);
}

int main(void)
{
    log_set_level(LOG_WARN);
    RUN(test_two_servers_are_one_vecenv);
    RUN(test_killed_and_frozen_servers);
    RUN(test_spaces_must_agree);
    TEST_MAIN_END();
}

/* score_bench.c: `kisim bench service`: BatchScore round-trip latency through each link of the
 * policy chain (PPO, attention, neutral) at 10, 100 and 1,000 nodes, over a real ZeroMQ socket,
 * with the telemetry store fed by a replay of recorded frames (filled first, then every node's
 * frame once a second while the rows run, as collectors would). The models are built with the
 * policy API at their trained shapes (PPO hidden 64; attention d_model 128): weights do not
 * change the cost. Each request's answering link is checked, so a row whose link missed its
 * budget says so in answered_by_link. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cli_args.h"
#include "common/clock.h"
#include "common/err.h"
#include "common/log.h"
#include "common/stats.h"
#include "scheduler/batch_client.h"
#include "scheduler/batch_server.h"
#include "scheduler/score.h"
#include "scheduler/score_fixture.h"
#include "scheduler/verbs.h"
#include "telemetry/frame.h"
#include "telemetry/replay.h"
#include "telemetry/store.h"

#define MAX_NODES_BENCH 1000

typedef struct {
    batch_server *b;
    atomic_int stop;
} server_thread;

static void *serve(void *arg)
{
    server_thread *t = arg;
    while (!atomic_load(&t->stop))
        batch_server_poll(t->b, 50);
    return NULL;
}

/* The recording: T frames of each of n nodes, node i's features at a level that varies by node
 * and sample (all features available, within the feature table's ranges). */
static int write_recording(const char *path, int n, int T)
{
    FILE *f = fopen(path, "w");
    if (!f) return kisim_seterr(KISIM_EIO, "bench service: cannot write %s", path);
    for (int t = 0; t < T; t++)
        for (int i = 0; i < n; i++) {
            telem_frame fr = {0};
            snprintf(fr.node, sizeof fr.node, "node-%04d", i);
            fr.ts_ms = 1700000000000LL + 1000LL * t;
            for (int k = 0; k < KISIM_F; k++) {
                float level = (float)((i * 7 + k * 3 + t) % 17) / 17.0f * 0.8f + 0.1f;
                fr.features[k] = (float)feature_denormalize(k, level);
                fr.available[k] = 1;
            }
            char *s = telem_frame_json(&fr);
            if (s) fprintf(f, "%s\n", s);
            free(s);
        }
    return fclose(f) == 0 ? 0 : kisim_seterr(KISIM_EIO, "bench service: cannot write %s", path);
}

/* The replay that keeps the store fresh while a row runs: each node's frames once a second. */
typedef struct {
    telem_recording rec;
    telem_replay_opts o;
    atomic_int stop;
    long sent;
} replay_thread;

static void *replay_loop(void *arg)
{
    replay_thread *t = arg;
    telem_replay(&t->rec, &t->o, &t->stop, &t->sent);
    return NULL;
}

/* Replays the recording into the service's store and waits until every node has T samples. */
static int feed_store(score_service *s, const char *recording, int n, int T)
{
    telem_recording r;
    int err = telem_recording_read(&r, recording);
    if (err) return err;
    telem_store *st = score_service_store(s);
    telem_replay_opts o = {
        .connect = telem_store_endpoint(st), .loops = 1, .wait_ms = 300, .rate = 1e6};
    atomic_int stop = 0;
    long sent = 0;
    err = telem_replay(&r, &o, &stop, &sent);
    telem_recording_free(&r);
    uint64_t ok = 0;
    for (double t0 = clock_mono_s(); !err && clock_mono_s() - t0 < 30;) {
        telem_store_counts(st, NULL, NULL, &ok, NULL);
        if (ok >= (uint64_t)n * T) break;
        usleep(10000);
    }
    if (!err && ok < (uint64_t)n * T)
        err = kisim_seterr(KISIM_EIO, "bench service: the store got %llu of %d replayed frames",
                           (unsigned long long)ok, n * T);
    return err;
}

/* --links: a comma-separated subset of the link names; want[k] set for each one named. */
static int parse_links(void *ctx, const char *arg)
{
    int *want = ctx;
    char *copy = strdup(arg), *save = NULL;
    int err = copy ? 0 : kisim_seterr(KISIM_ENOMEM, "bench service: out of memory"), any = 0;
    for (int k = 0; k < SCORE_N_LINKS; k++)
        want[k] = 0;
    for (char *tok = copy ? strtok_r(copy, ",", &save) : NULL; tok && !err;
         tok = strtok_r(NULL, ",", &save)) {
        int k = 0;
        while (k < SCORE_N_LINKS && strcmp(tok, score_link_name((score_link)k)))
            k++;
        if (k == SCORE_N_LINKS)
            err = kisim_seterr(
                KISIM_EUSAGE, "bench service: --links: unknown link '%s' (ppo, attention, neutral)",
                tok);
        else
            want[k] = any = 1;
    }
    if (!err && !any) err = kisim_seterr(KISIM_EUSAGE, "bench service: --links: empty list");
    free(copy);
    return err;
}

/* --nodes: a comma-separated list of at most 8 node counts. */
typedef struct {
    int sizes[8], n;
} node_sizes;

static int parse_nodes(void *ctx, const char *arg)
{
    node_sizes *ns = ctx;
    int err = 0;
    ns->n = 0;
    char *copy = strdup(arg), *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok && !err; tok = strtok_r(NULL, ",", &save)) {
        long v;
        if (ns->n == 8)
            err = kisim_seterr(KISIM_EUSAGE, "bench service: --nodes: at most 8 sizes");
        else if (!(err = args_int("bench service", "--nodes", tok, 1, MAX_NODES_BENCH, &v)))
            ns->sizes[ns->n++] = (int)v;
    }
    free(copy);
    if (!err && !ns->n) err = kisim_seterr(KISIM_EUSAGE, "bench service: --nodes: empty list");
    return err;
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: kisim bench service [--json] [--requests N] [--budget-ms MS] [--nodes LIST] "
            "[--links LIST]\n\n"
            "BatchScore latency (p50/p99 of the client's round trip over ipc) through each link\n"
            "of --links (default ppo,attention,neutral) at --nodes (default 10,100,1000), the "
            "telemetry store fed\n"
            "by a replay. --requests per row (default 1000; 1,000-node rows a fifth of it).\n"
            "--budget-ms (default 1000, above the service's 45 ms) lets the attention scorer\n"
            "answer at 1,000 nodes on a busy machine; answered_by_link is the share the measured\n"
            "link answered, fell_back why the others were not.\n");
}

int bench_service_main(int argc, char **argv)
{
    int json = 0, want[SCORE_N_LINKS] = {1, 1, 1};
    node_sizes ns = {{10, 100, 1000}, 3};
    long requests = 1000, budget = 1000;
    const args_opt opts[] = {
        ARGS_OPT_FLAG("json", 0, &json),
        ARGS_OPT_LONG("requests", 0, &requests, 10, 10000000),
        ARGS_OPT_LONG("budget-ms", 0, &budget, 1, 60000),
        ARGS_OPT_CALL("nodes", 0, parse_nodes, &ns),
        ARGS_OPT_CALL("links", 0, parse_links, want),
    };
    int err = args_parse("bench service", argc, argv, opts, ARGS_COUNT(opts));
    if (err > 0) return args_usage(usage, err);
    if (err) return args_fail(err);
    int n_sizes = ns.n, *sizes = ns.sizes;
    char dir[] = "/tmp/kisim-bench-score.XXXXXX", ppo[128], att[128], rec[128], tele[160], ep[160];
    if (!mkdtemp(dir)) {
        fprintf(stderr, "bench service: cannot create a temporary folder\n");
        return 1;
    }
    snprintf(ppo, sizeof ppo, "%s/ppo.safetensors", dir);
    snprintf(att, sizeof att, "%s/attention.safetensors", dir);
    snprintf(rec, sizeof rec, "%s/frames.jsonl", dir);
    int T = SCORE_DEFAULT_WINDOW, max_n = 0;
    for (int k = 0; k < n_sizes; k++)
        max_n = sizes[k] > max_n ? sizes[k] : max_n;
    err = score_fixture_ppo(ppo, 64, 1, NULL);
    if (!err) err = score_fixture_attention(att, 128, 2);
    if (!err) err = write_recording(rec, max_n, T);
    char **names = calloc((size_t)max_n, sizeof *names);
    double *lat = malloc((size_t)requests * sizeof *lat),
           *svc = malloc((size_t)requests * sizeof *svc);
    if (!names || !lat || !svc) err = kisim_seterr(KISIM_ENOMEM, "bench service: out of memory");
    for (int i = 0; !err && i < max_n; i++) {
        names[i] = malloc(16);
        if (names[i]) snprintf(names[i], 16, "node-%04d", i);
    }
    log_set_level(LOG_WARN);
    if (json && !err) printf("[");
    int rows = 0;
    for (int link = 0; !err && link < SCORE_N_LINKS; link++) {
        if (!want[link]) continue;
        score_opts o = {.policy_path = link == SCORE_LINK_PPO ? ppo : NULL,
                        .fallback_path = link <= SCORE_LINK_ATTENTION ? att : NULL,
                        .budget_ms = (int)budget};
        snprintf(tele, sizeof tele, "ipc://%s/telemetry.sock", dir);
        snprintf(ep, sizeof ep, "ipc://%s/score.sock", dir);
        o.telemetry_bind = tele;
        score_service *s = NULL;
        server_thread th = {0};
        pthread_t tid;
        batch_client *cl = NULL;
        int started = 0;
        if ((err = score_service_open(&s, &o)) || (err = feed_store(s, rec, max_n, T)) ||
            (err = batch_server_open(&th.b, s, ep)) || (err = batch_client_open(&cl, ep, 10000)))
            goto row_cleanup;
        if (pthread_create(&tid, NULL, serve, &th) != 0) {
            err = kisim_seterr(KISIM_EIO, "bench service: cannot start the server thread");
            goto row_cleanup;
        }
        started = 1;
        replay_thread rt = {.o = {.connect = telem_store_endpoint(score_service_store(s)),
                                  .rate = max_n,
                                  .loops = 0,
                                  .wait_ms = 100}};
        pthread_t rtid;
        int replaying =
            !telem_recording_read(&rt.rec, rec) && !pthread_create(&rtid, NULL, replay_loop, &rt);
        if (!replaying) err = kisim_seterr(KISIM_EIO, "bench service: cannot start the replay");
        uint64_t fb_before[SCORE_N_FALLBACKS] = {0};
        for (int k = 0; !err && k < n_sizes; k++) {
            int n = sizes[k];
            long reqs = n >= 1000 ? requests / 5 : requests, by_link = 0;
            score_request req = {
                .verb = SCORE_VERB_BATCHSCORE, .n = n, .nodes = (const char *const *)names};
            req.pod[POD_CTX_CLASS_LATENCY_SENSITIVE] = 1;
            req.pod[POD_CTX_CPU_REQUEST] = 0.125f;
            for (long r = -reqs / 10; !err && r < reqs; r++) { /* a tenth as warm-up */
                batch_result res;
                double t0 = clock_mono_s();
                if ((err = batch_client_score(cl, &req, &res))) break;
                double dt = clock_mono_s() - t0;
                if (r >= 0) {
                    lat[r] = dt * 1000;
                    svc[r] = res.seconds * 1000;
                    by_link += !strcmp(res.link, score_link_name((score_link)link));
                }
                batch_result_free(&res);
            }
            if (err) break;
            /* why the measured link did not answer, when it did not (since the row began) */
            score_stats st;
            score_service_stats(s, &st);
            char why[256] = "";
            size_t wl = 0;
            for (int f = 0; link < SCORE_LINK_NEUTRAL && f < SCORE_N_FALLBACKS; f++)
                if (st.fallbacks[link][f] - fb_before[f])
                    wl += (size_t)snprintf(
                        why + wl, sizeof why - wl, "%s\"%s\": %llu", wl ? ", " : "",
                        score_fallback_name((score_fallback)f),
                        (unsigned long long)(st.fallbacks[link][f] - fb_before[f]));
            for (int f = 0; f < SCORE_N_FALLBACKS; f++)
                fb_before[f] = st.fallbacks[link][f];
            stats_sort(lat, (int)reqs);
            stats_sort(svc, (int)reqs);
            double svc50 = stats_sorted_quantile(svc, (int)reqs, 0.50);
            double p50 = stats_sorted_quantile(lat, (int)reqs, 0.50),
                   p99 = stats_sorted_quantile(lat, (int)reqs, 0.99);
            double frac = (double)by_link / (double)reqs;
            if (json)
                printf(
                    "%s\n  {\"link\": \"%s\", \"nodes\": %d, \"p50_ms\": %.4f, \"p99_ms\": %.4f, "
                    "\"answered_by_link\": %.4f, \"requests\": %ld, \"budget_ms\": %ld, "
                    "\"service_p50_ms\": %.4f, \"fell_back\": {%s}}",
                    rows ? "," : "", score_link_name((score_link)link), n, p50, p99, frac, reqs,
                    budget, svc50, why);
            else
                printf("%-9s %5d nodes: p50 %8.3f ms  p99 %8.3f ms  (in the service: p50 %.3f ms)  "
                       "answered by link %.1f%% (%ld requests)%s%s\n",
                       score_link_name((score_link)link), n, p50, p99, svc50, 100 * frac, reqs,
                       wl ? "; fell back: " : "", why);
            fflush(stdout);
            rows++;
        }
        if (replaying) {
            atomic_store(&rt.stop, 1);
            pthread_join(rtid, NULL);
        }
        telem_recording_free(&rt.rec);
    row_cleanup:
        if (started) {
            atomic_store(&th.stop, 1);
            pthread_join(tid, NULL);
        }
        batch_client_close(cl);
        batch_server_close(th.b);
        score_service_close(s);
    }
    if (json && rows) printf("\n]\n");
    for (int i = 0; names && i < max_n; i++)
        free(names[i]);
    free(names);
    free(lat);
    free(svc);
    char cmd[96];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) fprintf(stderr, "bench service: could not remove %s\n", dir);
    return err ? args_fail(err) : 0;
}

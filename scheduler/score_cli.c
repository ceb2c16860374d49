/* score_cli.c: the scoring service's verbs: `kisim score serve` (BatchScore on ZeroMQ, the
 * extender over HTTP, the telemetry store, SIGHUP reloads), `kisim rebalance` (asks a running
 * scorer which pods to move) and `kisim telemetry replay|record` (frame recordings). */
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/cli_args.h"
#include "common/err.h"
#include "common/log.h"
#include "scheduler/batch_client.h"
#include "scheduler/batch_server.h"
#include "scheduler/extender.h"
#include "scheduler/score.h"
#include "scheduler/verbs.h"
#include "telemetry/replay.h"
#include "telemetry/store.h"
#include "transport/keys.h"

#define MAX_SUBSCRIBE 64

/* Set by the signal handlers, read by the main loop and the library loops it runs (lock-free,
 * so async-signal-safe). */
static atomic_int stop_flag, hup_flag;

static void on_stop(int sig)
{
    (void)sig;
    atomic_store(&stop_flag, 1);
}

static void on_hup(int sig)
{
    (void)sig;
    atomic_store(&hup_flag, 1);
}

static void install_signals(int with_hup)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop; /* no SA_RESTART: polls wake up at once */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    if (with_hup) {
        sa.sa_handler = on_hup;
        sigaction(SIGHUP, &sa, NULL);
    }
}

/* --subscribe, repeatable (score serve and telemetry record): the endpoints in order. */
typedef struct {
    const char *verb;
    const char *ep[MAX_SUBSCRIBE];
    int n;
} subscriptions;

static int add_subscribe(void *ctx, const char *endpoint)
{
    subscriptions *s = ctx;
    if (s->n == MAX_SUBSCRIBE)
        return kisim_seterr(KISIM_EUSAGE, "%s: more than %d --subscribe", s->verb, MAX_SUBSCRIBE);
    s->ep[s->n++] = endpoint;
    return 0;
}

static void serve_usage(FILE *out)
{
    fprintf(
        out,
        "usage: kisim score serve [--policy FILE] [--fallback FILE] [--zmq ENDPOINT]\n"
        "           [--http HOST:PORT] [--telemetry ENDPOINT] [--subscribe ENDPOINT ...]\n"
        "           [--shadow LOGFILE] [--budget-ms N] [--window T] [--workers N]\n"
        "           [--breaker-failures K] [--breaker-cooldown-ms MS] [--quiet]\n"
        "           [--http-threads N] [--filter-min-score S]\n"
        "           [--telemetry-curve-secret FILE --telemetry-collectors FILE]\n\n"
        "The scheduler scoring service: the policy chain PPO (--policy, a ppo-cluster checkpoint)\n"
        "-> attention scorer (--fallback) -> neutral 50, each link within the latency budget.\n"
        "  --zmq ENDPOINT        BatchScore socket (default %s; scheduler/PROTOCOL.md)\n"
        "  --http HOST:PORT      also serve the Kubernetes scheduler extender, /healthz, /metrics\n"
        "  --telemetry ENDPOINT  bind a SUB socket for collectors' frames (collect --connect)\n"
        "  --subscribe ENDPOINT  connect to a collector that binds (collect --publish); "
        "repeatable\n"
        "  --telemetry-curve-secret FILE  the telemetry SUB speaks CURVE with this secret key\n"
        "  --telemetry-collectors FILE    ... admitting only these `PUBKEY NODE` lines, each key\n"
        "                        sending only its nodes' frames (telemetry/auth.h)\n"
        "  --shadow LOGFILE      shadow mode: log every decision (JSON lines), answer neutral\n"
        "  --budget-ms N         latency budget of the chain (default %d)\n"
        "  --window T            samples kept per node (default %d); older than 10 s is stale\n"
        "  --workers N           threads per model link (default 2)\n"
        "  --breaker-failures K  consecutive failures or timeouts that open a breaker (default "
        "%d)\n"
        "  --breaker-cooldown-ms MS  open -> half-open after (default %d)\n"
        "  --http-threads N      the extender's HTTP threads (default %d)\n"
        "  --filter-min-score S  the extender's filter also fails nodes a model scored below S\n"
        "                        (0..100; default 0, off; scheduler/EXTENDER.md, Filter)\n"
        "  --test-delay-ms LINK=MS   test only: make a link (ppo, attention) slow on purpose\n"
        "Prints `endpoint E` (and `http PORT`, `telemetry E`) once listening. SIGHUP reloads the\n"
        "model files (a file that fails to load leaves the running model); SIGINT/SIGTERM stop.\n",
        SCORE_DEFAULT_ENDPOINT, SCORE_DEFAULT_BUDGET_MS, SCORE_DEFAULT_WINDOW,
        SCORE_DEFAULT_BREAKER_FAILURES, SCORE_DEFAULT_BREAKER_COOLDOWN_MS,
        EXTENDER_DEFAULT_THREADS);
}

static int parse_delay(void *ctx, const char *arg)
{
    score_opts *o = ctx;
    const char *eq = strchr(arg, '=');
    long ms;
    if (!eq)
        return kisim_seterr(KISIM_EUSAGE,
                            "score serve: --test-delay-ms: expected LINK=MS, got \"%s\"", arg);
    int link = !strncmp(arg, "ppo=", 4)          ? SCORE_LINK_PPO
               : !strncmp(arg, "attention=", 10) ? SCORE_LINK_ATTENTION
                                                 : -1;
    if (link < 0)
        return kisim_seterr(KISIM_EUSAGE, "score serve: --test-delay-ms: LINK is ppo or attention");
    int err = args_int("score serve", "--test-delay-ms", eq + 1, 0, 600000, &ms);
    if (!err) o->test_delay_ms[link] = (int)ms;
    return err;
}

static int score_serve(int argc, char **argv)
{
    score_opts o = {0};
    extender_opts xo = {0};
    subscriptions subs = {.verb = "score serve"};
    const char *http = NULL, *zmq_ep = SCORE_DEFAULT_ENDPOINT;
    int quiet = 0;
    const args_opt opts[] = {
        ARGS_OPT_STR("policy", 0, &o.policy_path),
        ARGS_OPT_STR("fallback", 0, &o.fallback_path),
        ARGS_OPT_STR("http", 0, &http),
        ARGS_OPT_STR("zmq", 0, &zmq_ep),
        ARGS_OPT_STR("telemetry", 0, &o.telemetry_bind),
        ARGS_OPT_STR("telemetry-curve-secret", 0, &o.telemetry_curve_secret),
        ARGS_OPT_STR("telemetry-collectors", 0, &o.telemetry_collectors),
        ARGS_OPT_CALL("subscribe", 0, add_subscribe, &subs),
        ARGS_OPT_STR("shadow", 0, &o.shadow_path),
        ARGS_OPT_INT("budget-ms", 0, &o.budget_ms, 1, 60000),
        ARGS_OPT_INT("window", 0, &o.window, 1, TELEM_MAX_WINDOW),
        ARGS_OPT_INT("workers", 0, &o.workers, 1, 16),
        ARGS_OPT_INT("breaker-failures", 0, &o.breaker_failures, 1, 1000),
        ARGS_OPT_INT("breaker-cooldown-ms", 0, &o.breaker_cooldown_ms, 1, 3600000),
        ARGS_OPT_CALL("test-delay-ms", 0, parse_delay, &o),
        ARGS_OPT_FLAG("quiet", 0, &quiet),
        ARGS_OPT_INT("http-threads", 0, &xo.threads, 1, 64),
        ARGS_OPT_INT("filter-min-score", 0, &xo.filter_min_score, 0, 100),
    };
    int err = args_parse("score serve", argc, argv, opts, ARGS_COUNT(opts));
    if (err > 0) return args_usage(serve_usage, err);
    if (err) return args_fail(err);
    if (quiet) log_set_level(LOG_WARN);
    if (optind != argc) {
        fprintf(stderr, "score serve: unexpected argument \"%s\"\n", argv[optind]);
        return 2;
    }
    o.subscribe = subs.ep;
    o.n_subscribe = subs.n;
    score_service *s = NULL;
    batch_server *b = NULL;
    extender *x = NULL;
    /* a mistyped address is a usage error before any model loads; a signal while they load
     * (which can take seconds) stops or reloads cleanly rather than killing the process */
    if (http && (err = extender_check_address(http))) return args_fail(err);
    install_signals(1);
    if ((err = score_service_open(&s, &o))) goto cleanup;
    if ((err = batch_server_open(&b, s, zmq_ep))) goto cleanup;
    if (http && (err = extender_start(&x, s, http, &xo))) goto cleanup;
    printf("endpoint %s\n", batch_server_endpoint(b));
    if (x) printf("http %d\n", extender_port(x));
    if (o.telemetry_bind) printf("telemetry %s\n", telem_store_endpoint(score_service_store(s)));
    fflush(stdout);
    log_info("score serve: BatchScore on %s%s%s%s; SIGHUP reloads, SIGINT/SIGTERM stop",
             batch_server_endpoint(b), x ? ", extender on " : "", x ? http : "",
             o.shadow_path ? " (shadow mode: answers are neutral)" : "");
    while (!err && !atomic_load(&stop_flag)) {
        if (atomic_exchange(&hup_flag, 0)) {
            log_info("score serve: SIGHUP: reloading the model files");
            if (score_service_reload(s)) log_warn("score serve: reload: %s", kisim_errmsg());
        }
        err = batch_server_poll(b, 200);
    }
    if (!err) log_info("score serve: stopped");
cleanup:
    extender_stop(x);
    batch_server_close(b);
    score_service_close(s);
    return err ? args_fail(err) : 0;
}

int verb_score(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "serve")) return score_serve(argc - 1, argv + 1);
    FILE *out =
        argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) ? stdout : stderr;
    if (out == stderr && argc >= 2)
        fprintf(stderr, "kisim score: unknown command \"%s\"\n\n", argv[1]);
    fprintf(out, "usage: kisim score serve [OPTIONS]   (kisim score serve --help)\n");
    return out == stdout ? 0 : 2;
}

static void rebalance_usage(FILE *out)
{
    fprintf(out,
            "usage: kisim rebalance --scorer ENDPOINT [--min-delta N] [--max N] [--json] "
            "[--timeout-ms MS]\n\n"
            "Asks a running scorer (kisim score serve) which pods, of those its telemetry store\n"
            "knows, are worth moving off their node: POD FROM -> TO (delta: score gain), largest\n"
            "first. --min-delta (default 20) hides smaller gains; --json prints the reply.\n");
}

int verb_rebalance(int argc, char **argv)
{
    const char *scorer = NULL;
    long min_delta = 20, max = 50, timeout = 5000;
    int json = 0;
    const args_opt opts[] = {
        ARGS_OPT_STR("scorer", 0, &scorer),
        ARGS_OPT_LONG("min-delta", 0, &min_delta, 0, 100),
        ARGS_OPT_LONG("max", 0, &max, 1, 10000),
        ARGS_OPT_FLAG("json", 0, &json),
        ARGS_OPT_LONG("timeout-ms", 0, &timeout, 1, 600000),
    };
    int err = args_parse("rebalance", argc, argv, opts, ARGS_COUNT(opts));
    if (err > 0) return args_usage(rebalance_usage, err);
    if (err) return args_fail(err);
    if (!scorer || optind != argc) {
        fprintf(stderr, "rebalance: %s\n",
                !scorer ? "--scorer ENDPOINT is required" : "unexpected argument");
        return 2;
    }
    batch_client *cl = NULL;
    char *text = NULL;
    cJSON *o = NULL;
    if ((err = batch_client_open(&cl, scorer, (int)timeout))) goto cleanup;
    if ((err = batch_client_rebalance(cl, (int)min_delta, (int)max, &text))) goto cleanup;
    if (json) {
        printf("%s\n", text);
        goto cleanup;
    }
    o = cJSON_Parse(text);
    const cJSON *moves = cJSON_GetObjectItemCaseSensitive(o, "moves"), *m;
    int n = 0, width = 10;
    cJSON_ArrayForEach(m, moves)
    {
        const cJSON *pod = cJSON_GetObjectItemCaseSensitive(m, "pod");
        int w = cJSON_IsString(pod) ? (int)strlen(pod->valuestring) : 0;
        width = w > width ? w : width;
    }
    cJSON_ArrayForEach(m, moves)
    {
        const char *pod = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "pod"));
        const char *from = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "from"));
        const char *to = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "to"));
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(m, "delta");
        printf("%-*s %s -> %s (delta: %d)\n", width, pod ? pod : "?", from ? from : "?",
               to ? to : "?", cJSON_IsNumber(d) ? (int)d->valuedouble : 0);
        n++;
    }
    if (n == 0) printf("no pod is worth moving (min delta %ld)\n", min_delta);
cleanup:
    cJSON_Delete(o);
    free(text);
    batch_client_close(cl);
    return err ? args_fail(err) : 0;
}

static void telemetry_usage(FILE *out)
{
    fprintf(
        out,
        "usage: kisim telemetry replay FILE (--publish ENDPOINT | --connect ENDPOINT) [--rate N]\n"
        "                              [--loop K] [--wait-ms MS] [--keep-time]\n"
        "                              [--curve-secret FILE --curve-server FILE]\n"
        "       kisim telemetry record --out FILE (--bind ENDPOINT | --subscribe ENDPOINT ...)\n"
        "                              [--frames N] [--seconds S]\n\n"
        "Recordings are JSON lines, one telemetry frame body per line as `kisim collect`\n"
        "publishes it (topic telemetry.<node>). replay --publish binds a PUB socket (a scorer\n"
        "--subscribe connects); --connect connects to a scorer's --telemetry. --rate is frames\n"
        "per second (default: the recorded ts_ms spacing), --loop K repeats (0 = until stopped),\n"
        "--wait-ms lets subscribers connect first (default 500). Each frame's ts_ms is the time\n"
        "it is sent (a scorer refuses frames older than 10 s); --keep-time sends the recorded\n"
        "ts_ms. --curve-secret (this publisher's key) and --curve-server (the scorer's public\n"
        "key) make it a CURVE client of a scorer's --telemetry-curve-secret.\n");
}

/* --curve-secret and --curve-server of a publisher: the key files read into Z85 strings. */
static int read_client_keys(const char *verb, const char *secret_path, const char *server_path,
                            char secret[CURVE_KEY_Z85], char server[CURVE_KEY_Z85])
{
    if (!secret_path != !server_path)
        return kisim_seterr(KISIM_EUSAGE, "%s: --curve-secret and --curve-server go together",
                            verb);
    if (!secret_path) return 0;
    int err = curve_available();
    if (!err) err = curve_read_key(secret_path, secret);
    if (!err) err = curve_read_key(server_path, server);
    return err;
}

static int telemetry_replay_main(int argc, char **argv)
{
    telem_replay_opts o = {.loops = 1, .wait_ms = 500, .progress = 1};
    const char *secret_path = NULL, *server_path = NULL;
    char secret[CURVE_KEY_Z85], server[CURVE_KEY_Z85];
    const args_opt opts[] = {
        ARGS_OPT_STR("publish", 0, &o.publish),
        ARGS_OPT_STR("connect", 0, &o.connect),
        ARGS_OPT_DOUBLE("rate", 0, &o.rate, 0, 1e7),
        ARGS_OPT_INT("loop", 0, &o.loops, 0, 1000000000),
        ARGS_OPT_INT("wait-ms", 0, &o.wait_ms, 0, 600000),
        ARGS_OPT_FLAG("keep-time", 0, &o.keep_time),
        ARGS_OPT_STR("curve-secret", 0, &secret_path),
        ARGS_OPT_STR("curve-server", 0, &server_path),
    };
    int err = args_parse("telemetry replay", argc, argv, opts, ARGS_COUNT(opts));
    if (err > 0) return args_usage(telemetry_usage, err);
    if (err) return args_fail(err);
    if (optind != argc - 1 || (!o.publish && !o.connect)) {
        fprintf(stderr, "telemetry replay: %s\n",
                optind != argc - 1 ? "expected one recording FILE"
                                   : "--publish or --connect ENDPOINT is required");
        return 2;
    }
    if ((err = read_client_keys("telemetry replay", secret_path, server_path, secret, server)))
        return args_fail(err);
    if (secret_path) o.curve_secret = secret, o.curve_server = server;
    telem_recording r;
    if ((err = telem_recording_read(&r, argv[optind]))) return args_fail(err);
    install_signals(0);
    long sent = 0;
    err = telem_replay(&r, &o, &stop_flag, &sent);
    telem_recording_free(&r);
    if (err) return args_fail(err);
    log_info("telemetry replay: %ld frames sent", sent);
    return 0;
}

static int telemetry_record_main(int argc, char **argv)
{
    const char *out = NULL, *bind = NULL;
    subscriptions subs = {.verb = "telemetry record"};
    long frames = 0;
    double seconds = 0;
    const args_opt opts[] = {
        ARGS_OPT_STR("out", 0, &out),
        ARGS_OPT_STR("bind", 0, &bind),
        ARGS_OPT_CALL("subscribe", 0, add_subscribe, &subs),
        ARGS_OPT_LONG("frames", 0, &frames, 1, 1000000000),
        ARGS_OPT_DOUBLE("seconds", 0, &seconds, 0.001, 1e7),
    };
    int err = args_parse("telemetry record", argc, argv, opts, ARGS_COUNT(opts));
    if (err > 0) return args_usage(telemetry_usage, err);
    if (err) return args_fail(err);
    if (!out || (!bind && !subs.n) || optind != argc) {
        fprintf(stderr, "telemetry record: %s\n",
                !out             ? "--out FILE is required"
                : optind != argc ? "unexpected argument"
                                 : "--bind or --subscribe ENDPOINT is required");
        return 2;
    }
    install_signals(0);
    long rec = 0, bad = 0;
    if ((err = telem_record(out, bind, subs.ep, subs.n, frames, seconds, &stop_flag, &rec, &bad)))
        return args_fail(err);
    log_info("telemetry record: %ld frames to %s (%ld malformed left out)", rec, out, bad);
    return 0;
}

int verb_telemetry(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "replay")) return telemetry_replay_main(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "record")) return telemetry_record_main(argc - 1, argv + 1);
    int help = argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"));
    if (!help && argc >= 2) fprintf(stderr, "kisim telemetry: unknown command \"%s\"\n\n", argv[1]);
    telemetry_usage(help ? stdout : stderr);
    return help ? 0 : 2;
}

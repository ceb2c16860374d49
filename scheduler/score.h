/* score.h: the scoring service's core (docs/ARCHITECTURE.md, "The scoring service"): the
 * policy chain PPO ->
 * attention -> neutral 50, with a latency budget and a circuit breaker per link, the telemetry
 * store, shadow mode and the counters behind /metrics. The ZeroMQ BatchScore server
 * (scheduler/batch.c) and the Kubernetes extender (scheduler/extender.c) both call
 * score_service_score(); it is thread-safe.
 *
 * Units: pod context as the observation's (spaces/spaces.h, KISIM_P values, normalised); telemetry
 * in raw units (common/features.h, as telemetry frames carry it); scores 0..100. */
#ifndef KISIM_SCORE_H
#define KISIM_SCORE_H

#include <stdint.h>

#include "common/clock.h"
#include "common/features.h"
#include "spaces/spaces.h"
#include "telemetry/store.h"

#define SCORE_DEFAULT_ENDPOINT "ipc:///tmp/kisim-score.sock"
#define SCORE_DEFAULT_BUDGET_MS 45
#define SCORE_DEFAULT_WINDOW 10      /* T: samples the store keeps per node */
#define SCORE_DEFAULT_STALE_MS 10000 /* a node whose last sample is older is stale */
#define SCORE_DEFAULT_BREAKER_FAILURES 3
#define SCORE_DEFAULT_BREAKER_COOLDOWN_MS 5000
#define SCORE_NEUTRAL 50
#define SCORE_MAX_NODES 4096 /* candidates in one request */
#define SCORE_REASON_MAX 160
#define SCORE_VERSION_MAX 128

/* The chain's links, in order: X(ID, name). */
#define SCORE_LINKS(X) X(PPO, "ppo") X(ATTENTION, "attention") X(NEUTRAL, "neutral")
typedef enum {
#define SCORE__LINK(id, name) SCORE_LINK_##id,
    SCORE_LINKS(SCORE__LINK)
#undef SCORE__LINK
        SCORE_N_LINKS
} score_link;

/* Who asked: X(ID, name), the `verb` label of the metrics. */
#define SCORE_VERBS(X)                                                                             \
    X(BATCHSCORE, "batchscore")                                                                    \
    X(FILTER, "filter") X(PRIORITIZE, "prioritize") X(REBALANCE, "rebalance")
typedef enum {
#define SCORE__VERB(id, name) SCORE_VERB_##id,
    SCORE_VERBS(SCORE__VERB)
#undef SCORE__VERB
        SCORE_N_VERBS
} score_verb;

/* Why a link did not answer and the next one did: X(ID, name), the `reason` label. */
#define SCORE_FALLBACKS(X)                                                                         \
    X(NOT_LOADED, "not_loaded")     /* no model file, or it failed to load */                      \
    X(BREAKER_OPEN, "breaker_open") /* the link's circuit breaker is open */                       \
    X(REFUSED, "refused")           /* a feature it needs is unavailable, or telemetry is far      \
                                       outside its feature_stats */                                \
    X(FAILED, "failed")             /* the link returned an error */                               \
    X(TIMEOUT, "timeout")           /* it did not answer within the budget */
typedef enum {
#define SCORE__FB(id, name) SCORE_FB_##id,
    SCORE_FALLBACKS(SCORE__FB)
#undef SCORE__FB
        SCORE_N_FALLBACKS
} score_fallback;

typedef enum {
    SCORE_BREAKER_CLOSED = 0,
    SCORE_BREAKER_OPEN = 1,
    SCORE_BREAKER_HALF_OPEN = 2
} score_breaker;

/* Upper bounds (seconds) of the latency histogram's buckets; +Inf is implicit. */
#define SCORE_LATENCY_BUCKETS(X)                                                                   \
    X(0.0001)                                                                                      \
    X(0.00025) X(0.0005) X(0.001) X(0.0025) X(0.005) X(0.01) X(0.025) X(0.045) X(0.1) X(0.25) X(1.0)
#define SCORE__COUNT(x) +1
enum { SCORE_N_BUCKETS = 0 SCORE_LATENCY_BUCKETS(SCORE__COUNT) };
extern const double score_latency_bounds[SCORE_N_BUCKETS];

/* The Prometheus metrics, defined once: X(ID, name, type, labels, help). The /metrics page
 * (scheduler/extender_metrics.c) prints them from a score_stats snapshot in this order. */
#define SCORE_METRICS(X)                                                                           \
    X(REQUESTS, "kisim_score_requests_total", "counter", "verb,link",                              \
      "Scoring requests answered, by verb and by the link that answered.")                         \
    X(DURATION, "kisim_score_request_duration_seconds", "histogram", "verb",                       \
      "Time to score one request (all its candidate nodes), by verb.")                             \
    X(ERRORS, "kisim_score_request_errors_total", "counter", "verb",                               \
      "Malformed requests answered with an error, by verb.")                                       \
    X(FALLBACKS, "kisim_score_fallbacks_total", "counter", "link,reason",                          \
      "Times a link did not answer and the next one did, by link and reason.")                     \
    X(BREAKER, "kisim_score_breaker_state", "gauge", "link",                                       \
      "Circuit breaker state per link: 0 closed, 1 open, 2 half-open.")                            \
    X(MODEL, "kisim_score_model_info", "gauge", "link,version",                                    \
      "1 for the model file each link has loaded (file name and crc32).")                          \
    X(RELOADS, "kisim_score_reloads_total", "counter", "result",                                   \
      "Model reloads (SIGHUP), by result: ok or failed.")                                          \
    X(NODES, "kisim_score_telemetry_nodes", "gauge", "",                                           \
      "Nodes the telemetry store holds samples for.")                                              \
    X(STALE, "kisim_score_stale_nodes", "gauge", "",                                               \
      "Nodes whose last telemetry sample is older than the staleness limit (10 s).")               \
    X(FRAMES, "kisim_score_telemetry_frames_total", "counter", "result",                           \
      "Telemetry frames received, by result: ok, or why refused (telemetry/frame.h).")             \
    X(EVICTIONS, "kisim_score_telemetry_evictions_total", "counter", "what",                       \
      "Least recently seen nodes (what=node) or their pods (what=pod) dropped to make room.")      \
    X(KEYS_REFUSED, "kisim_score_telemetry_keys_refused_total", "counter", "",                     \
      "CURVE handshakes refused on the telemetry socket: the key is not in the collectors file.")  \
    X(RUNS, "kisim_score_link_runs_total", "counter", "link,thread",                               \
      "Model runs by link and thread: inline (the request's own, a healthy fast link) or worker.")
typedef enum {
#define SCORE__METRIC(id, name, type, labels, help) SCORE_M_##id,
    SCORE_METRICS(SCORE__METRIC)
#undef SCORE__METRIC
        SCORE_N_METRICS
} score_metric;
typedef struct {
    const char *name, *type, *labels, *help;
} score_metric_info;
extern const score_metric_info score_metrics[SCORE_N_METRICS];

/* A snapshot of the counters (score_service_stats). Histogram buckets are not cumulative:
 * latency_bucket[v][b] counts requests in (bound[b-1], bound[b]], the last one (+Inf) above. */
typedef struct {
    uint64_t requests[SCORE_N_VERBS][SCORE_N_LINKS];
    uint64_t latency_bucket[SCORE_N_VERBS][SCORE_N_BUCKETS + 1];
    double latency_sum[SCORE_N_VERBS]; /* seconds */
    uint64_t errors[SCORE_N_VERBS];
    uint64_t fallbacks[SCORE_N_LINKS][SCORE_N_FALLBACKS];
    score_breaker breaker[SCORE_N_LINKS];
    char version[SCORE_N_LINKS][SCORE_VERSION_MAX]; /* "" when the link has no model */
    uint64_t reloads_ok, reloads_failed;
    uint64_t runs_inline[SCORE_N_LINKS], runs_worker[SCORE_N_LINKS]; /* model runs, by thread */
    int nodes, stale_nodes;
    uint64_t frames_ok, frames_bad;
    telem_store_tally telem; /* the store's counters by reason */
} score_stats;

typedef struct {
    const char *policy_path;      /* ppo-cluster checkpoint, or NULL */
    const char *fallback_path;    /* attention-scorer checkpoint, or NULL */
    int budget_ms;                /* latency budget of a link; 0 = SCORE_DEFAULT_BUDGET_MS */
    int window;                   /* T, samples kept per node; 0 = SCORE_DEFAULT_WINDOW */
    int workers;                  /* threads per model link; 0 = 2 */
    int breaker_failures;         /* K consecutive failures/timeouts open a breaker; 0 = default */
    int breaker_cooldown_ms;      /* open -> half-open after this; 0 = default */
    int stale_ms;                 /* 0 = SCORE_DEFAULT_STALE_MS */
    const char *shadow_path;      /* shadow mode: decisions appended here, answers neutral */
    const char *telemetry_bind;   /* bind a SUB socket for collectors' frames, or NULL */
    const char *const *subscribe; /* [n_subscribe] collector endpoints to connect to */
    int n_subscribe;
    /* CURVE on the telemetry SUB (telemetry/auth.h): this service's secret key file and the
     * collectors file (`PUBKEY NODE` lines); both or neither. */
    const char *telemetry_curve_secret, *telemetry_collectors;
    kisim_clock_fn clock; /* NULL = CLOCK_MONOTONIC; tests inject their own */
    void *clock_arg;
    int test_delay_ms[SCORE_N_LINKS]; /* test only: a link sleeps this long before answering */
} score_opts;

/* One scoring request: the pod and its candidate nodes. All pointers borrowed for the call. */
typedef struct {
    score_verb verb;
    float pod[KISIM_P];       /* pod context, spaces/spaces.h order and normalisation */
    int n;                    /* candidate nodes, 1..SCORE_MAX_NODES */
    const char *const *nodes; /* [n] node names */
    /* Inline telemetry, or NULL to read every node's window from the telemetry store. */
    const float *telemetry;   /* [n, T, F] raw units, oldest sample first */
    int T;                    /* 1..TELEM_MAX_WINDOW with telemetry */
    const uint8_t *available; /* [F] 1 = measured; NULL = all measured */
    /* The orchestrator's features when the caller knows them (e.g. from Node objects), which
     * replace those in the telemetry: [n, KISIM_F_ORCH] raw (cpu_requested_ratio,
     * memory_requested_ratio, pods_ratio, gpu_utilization), NaN = unknown; or NULL. */
    const float *orch;
} score_request;

typedef enum {
    SCORE_NODE_OK = 0,  /* scored from fresh telemetry */
    SCORE_NODE_STALE,   /* last sample older than the staleness limit: neutral */
    SCORE_NODE_UNKNOWN, /* no telemetry for this node: neutral */
} score_node_status;

typedef struct {
    int score;        /* 0..100 */
    float confidence; /* 0..1 */
    score_link link;  /* the link this score comes from */
    score_node_status status;
    char reason[SCORE_REASON_MAX]; /* one line: the features that drove the score */
} score_node;

typedef struct {
    int n;
    score_node *nodes;               /* [n], owned: score_reply_free */
    score_link link;                 /* the link that answered the request */
    char version[SCORE_VERSION_MAX]; /* its model: "FILE@crc32" (8 hex digits), or "neutral" */
    int shadow;     /* 1: shadow mode; the scores are neutral, the decision was logged */
    double seconds; /* time spent scoring */
} score_reply;

typedef struct score_service score_service;

/* Opens the service: loads the model files (a file that fails to load is logged and its link
 * stays empty, so the service starts on the next link), starts the link workers and, with
 * telemetry_bind/subscribe, the telemetry thread. KISIM_EUSAGE for bad options or endpoints. */
int score_service_open(score_service **out, const score_opts *o);
/* Stops the threads and frees everything; NULL is fine. No call may be in flight. */
void score_service_close(score_service *s);

/* Scores req's candidates into reply (reply->nodes allocated here). Thread-safe. Returns 0,
 * or KISIM_EINPUT naming the field for a malformed request (n out of range, NaN in telemetry,
 * a bad node name), KISIM_ENOMEM. Whatever the links do, an answer comes within about the
 * budget: the neutral link always answers. */
int score_service_score(score_service *s, const score_request *req, score_reply *reply);
void score_reply_free(score_reply *r);

/* Reloads both model files (SIGHUP). A file that fails to load leaves that link's running
 * model in place; returns the first error (its message says which file and why), 0 if both
 * loaded. Thread-safe. */
int score_service_reload(score_service *s);

/* Test only: makes a link's workers sleep ms before each job (0 = no delay). */
void score_service_set_test_delay(score_service *s, score_link link, int ms);

/* Counts a malformed request that never reached score_service_score (e.g. an HTTP 400). */
void score_service_count_error(score_service *s, score_verb verb);
void score_service_stats(score_service *s, score_stats *st);

/* The telemetry store the service reads (telemetry/store.h), to feed it directly. */
struct telem_store *score_service_store(score_service *s);

const char *score_link_name(score_link l);
const char *score_verb_name(score_verb v);
const char *score_fallback_name(score_fallback f);

#endif

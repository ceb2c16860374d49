/* score.c: the scoring service (score.h): checks a request, gathers each candidate's telemetry
 * window (inline or from the store), marks stale and unknown nodes neutral, asks the policy
 * chain (chain.c) for the rest, and keeps the counters behind /metrics. */
#include "scheduler/score.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/err.h"
#include "common/log.h"
#include "scheduler/telem_store.h"

const double score_latency_bounds[SCORE_N_BUCKETS] = {
#define SCORE__BOUND(x) x,
    SCORE_LATENCY_BUCKETS(SCORE__BOUND)
#undef SCORE__BOUND
};

const score_metric_info score_metrics[SCORE_N_METRICS] = {
#define SCORE__MINFO(id, name, type, labels, help) {name, type, labels, help},
    SCORE_METRICS(SCORE__MINFO)
#undef SCORE__MINFO
};

static const char *const link_names[SCORE_N_LINKS] = {
#define SCORE__LNAME(id, name) name,
    SCORE_LINKS(SCORE__LNAME)
#undef SCORE__LNAME
};
static const char *const verb_names[SCORE_N_VERBS] = {
#define SCORE__VNAME(id, name) name,
    SCORE_VERBS(SCORE__VNAME)
#undef SCORE__VNAME
};
static const char *const fallback_names[SCORE_N_FALLBACKS] = {
#define SCORE__FNAME(id, name) name,
    SCORE_FALLBACKS(SCORE__FNAME)
#undef SCORE__FNAME
};

const char *score_link_name(score_link l)
{
    return (int)l >= 0 && l < SCORE_N_LINKS ? link_names[l] : "?";
}
const char *score_verb_name(score_verb v)
{
    return (int)v >= 0 && v < SCORE_N_VERBS ? verb_names[v] : "?";
}
const char *score_fallback_name(score_fallback f)
{
    return (int)f >= 0 && f < SCORE_N_FALLBACKS ? fallback_names[f] : "?";
}

struct score_service {
    score_opts o;
    telem_store *store;           /* owned */
    pthread_mutex_t stats_lock;   /* guards stats */
    score_stats stats;
};

int score_service_open(score_service **out, const score_opts *o)
{
    *out = NULL;
    score_service *s = calloc(1, sizeof *s);
    if (!s) return kisim_seterr(KISIM_ENOMEM, "score: out of memory");
    s->o = *o;
    if (!s->o.budget_ms) s->o.budget_ms = SCORE_DEFAULT_BUDGET_MS;
    if (!s->o.window) s->o.window = SCORE_DEFAULT_WINDOW;
    if (!s->o.stale_ms) s->o.stale_ms = SCORE_DEFAULT_STALE_MS;
    pthread_mutex_init(&s->stats_lock, NULL);
    int err = 0;
    if (s->o.budget_ms < 1 || s->o.budget_ms > 60000) {
        err = kisim_seterr(KISIM_EUSAGE, "score: budget %d ms outside [1, 60000]", s->o.budget_ms);
        goto fail;
    }
    err = telem_store_open(&s->store, s->o.window, s->o.stale_ms, s->o.clock, s->o.clock_arg);
    if (!err && (s->o.telemetry_bind || s->o.n_subscribe))
        err = telem_store_listen(s->store, s->o.telemetry_bind, s->o.subscribe, s->o.n_subscribe);
    if (err) goto fail;
    *out = s;
    return 0;
fail:
    score_service_close(s);
    return err;
}

void score_service_close(score_service *s)
{
    if (!s) return;
    telem_store_close(s->store);
    pthread_mutex_destroy(&s->stats_lock);
    free(s);
}

struct telem_store *score_service_store(score_service *s)
{
    return s->store;
}

static int check_request(const score_request *req)
{
    if (req->n < 1 || req->n > SCORE_MAX_NODES)
        return kisim_seterr(KISIM_EINPUT, "score: %d candidate nodes, expected 1..%d", req->n, SCORE_MAX_NODES);
    if ((int)req->verb < 0 || req->verb >= SCORE_N_VERBS)
        return kisim_seterr(KISIM_EINPUT, "score: unknown verb %d", (int)req->verb);
    for (int p = 0; p < KISIM_P; p++)
        if (!isfinite(req->pod[p]))
            return kisim_seterr(KISIM_EINPUT, "score: pod[%d] (%s) is not a finite number", p,
                                pod_context_names[p]);
    for (int i = 0; i < req->n; i++)
        if (!req->nodes || !req->nodes[i] || !telem_frame_name_ok(req->nodes[i]))
            return kisim_seterr(KISIM_EINPUT, "score: nodes[%d]: expected a node name (1..%d printable "
                                "ASCII bytes, no spaces or quotes)", i, TELEM_FRAME_NAME_MAX);
    if (req->telemetry) {
        if (req->T < 1 || req->T > 64)
            return kisim_seterr(KISIM_EINPUT, "score: telemetry window T = %d, expected 1..64", req->T);
        size_t count = (size_t)req->n * req->T * KISIM_F;
        for (size_t k = 0; k < count; k++)
            if (!isfinite(req->telemetry[k]))
                return kisim_seterr(KISIM_EINPUT, "score: telemetry[%zu][%zu][%zu] (%s) is not a finite number",
                                    k / ((size_t)req->T * KISIM_F), k / KISIM_F % (size_t)req->T,
                                    k % KISIM_F, kisim_features[k % KISIM_F].name);
    }
    return 0;
}

static void record(score_service *s, score_verb verb, score_link link, double seconds)
{
    int b = 0;
    while (b < SCORE_N_BUCKETS && seconds > score_latency_bounds[b]) b++;
    pthread_mutex_lock(&s->stats_lock);
    s->stats.requests[verb][link]++;
    s->stats.latency_bucket[verb][b]++;
    s->stats.latency_sum[verb] += seconds;
    pthread_mutex_unlock(&s->stats_lock);
}

int score_service_score(score_service *s, const score_request *req, score_reply *reply)
{
    memset(reply, 0, sizeof *reply);
    double t0 = log_now();
    int err = check_request(req);
    if (err) {
        score_service_count_error(s, (int)req->verb >= 0 && req->verb < SCORE_N_VERBS ? req->verb : SCORE_VERB_BATCHSCORE);
        return err;
    }
    reply->nodes = calloc((size_t)req->n, sizeof *reply->nodes);
    if (!reply->nodes) return kisim_seterr(KISIM_ENOMEM, "score: out of memory");
    reply->n = req->n;
    reply->link = SCORE_LINK_NEUTRAL;
    snprintf(reply->version, sizeof reply->version, "neutral");
    for (int i = 0; i < req->n; i++) {
        score_node *nd = &reply->nodes[i];
        nd->score = SCORE_NEUTRAL;
        nd->confidence = 0;
        nd->link = SCORE_LINK_NEUTRAL;
        nd->status = SCORE_NODE_OK;
        snprintf(nd->reason, sizeof nd->reason, "no model loaded: neutral");
    }
    reply->seconds = log_now() - t0;
    record(s, req->verb, reply->link, reply->seconds);
    return 0;
}

void score_reply_free(score_reply *r)
{
    if (!r) return;
    free(r->nodes);
    r->nodes = NULL;
    r->n = 0;
}

int score_service_reload(score_service *s)
{
    (void)s;
    return 0;
}

void score_service_count_error(score_service *s, score_verb verb)
{
    if ((int)verb < 0 || verb >= SCORE_N_VERBS) return;
    pthread_mutex_lock(&s->stats_lock);
    s->stats.errors[verb]++;
    pthread_mutex_unlock(&s->stats_lock);
}

void score_service_stats(score_service *s, score_stats *st)
{
    pthread_mutex_lock(&s->stats_lock);
    *st = s->stats;
    pthread_mutex_unlock(&s->stats_lock);
    telem_store_counts(s->store, &st->nodes, &st->stale_nodes, &st->frames_ok, &st->frames_bad);
}

/* score.c: the scoring service (score.h): checks a request, gathers each candidate's telemetry
 * window (inline or from the store), marks stale and unknown nodes neutral, asks the policy
 * chain (chain.c) for the rest, and keeps the counters behind /metrics. */
#include "scheduler/score.h"
#include "common/clock.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/err.h"
#include "common/log.h"
#include "scheduler/chain.h"
#include "scheduler/reason.h"
#include "scheduler/shadow.h"
#include "telemetry/store.h"
#include "transport/keys.h"

struct score_service {
    score_opts o;
    telem_store *store;         /* owned */
    chain *chain;               /* owned */
    shadow_log *shadow;         /* owned, NULL unless shadow mode */
    pthread_mutex_t stats_lock; /* guards stats */
    score_stats stats;
    /* feature_normalize as (x - lo) * inv, repeated for every sample of the longest window, so
     * that gathering a window is one flat loop the compiler vectorises */
    float norm_lo[TELEM_MAX_WINDOW * KISIM_F], norm_inv[TELEM_MAX_WINDOW * KISIM_F];
};

/* The telemetry SUB as a CURVE server: the secret key file (transport/keys.h) and the
 * collectors file. */
static int telemetry_curve(score_service *s)
{
    char secret[CURVE_KEY_Z85];
    telem_auth *auth = NULL;
    if (!s->o.telemetry_collectors || !s->o.telemetry_curve_secret)
        return kisim_seterr(KISIM_EUSAGE, "score serve: --telemetry-curve-secret and "
                                          "--telemetry-collectors go together");
    int err = curve_available();
    if (!err) err = curve_read_key(s->o.telemetry_curve_secret, secret);
    if (!err) err = telem_auth_read(&auth, s->o.telemetry_collectors);
    if (!err) err = telem_store_curve(s->store, secret, auth);
    memset(secret, 0, sizeof secret);
    return err;
}

int score_service_open(score_service **out, const score_opts *o)
{
    *out = NULL;
    score_service *s = calloc(1, sizeof *s);
    if (!s) return kisim_seterr(KISIM_ENOMEM, "score: out of memory");
    s->o = *o;
    if (!s->o.budget_ms) s->o.budget_ms = SCORE_DEFAULT_BUDGET_MS;
    if (!s->o.window) s->o.window = SCORE_DEFAULT_WINDOW;
    if (!s->o.stale_ms) s->o.stale_ms = SCORE_DEFAULT_STALE_MS;
    for (int k = 0; k < TELEM_MAX_WINDOW * KISIM_F; k++) {
        const feature_info *fi = &kisim_features[k % KISIM_F];
        s->norm_lo[k] = (float)fi->lo, s->norm_inv[k] = (float)(1.0 / (fi->hi - fi->lo));
    }
    pthread_mutex_init(&s->stats_lock, NULL);
    int err = 0;
    if (s->o.budget_ms < 1 || s->o.budget_ms > 60000) {
        err = kisim_seterr(KISIM_EUSAGE, "score: budget %d ms outside [1, 60000]", s->o.budget_ms);
        goto fail;
    }
    err = telem_store_open(&s->store, s->o.window, s->o.stale_ms, s->o.clock, s->o.clock_arg);
    if (!err && s->o.shadow_path) err = shadow_open(&s->shadow, s->o.shadow_path);
    if (!err) err = chain_open(&s->chain, &s->o);
    if (!err && (s->o.telemetry_curve_secret || s->o.telemetry_collectors))
        err = telemetry_curve(s);
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
    chain_close(s->chain);
    shadow_close(s->shadow);
    pthread_mutex_destroy(&s->stats_lock);
    free(s);
}

struct telem_store *score_service_store(score_service *s)
{
    return s->store;
}

void score_service_set_test_delay(score_service *s, score_link link, int ms)
{
    chain_set_test_delay(s->chain, link, ms);
}

static int check_request(const score_request *req)
{
    if (req->n < 1 || req->n > SCORE_MAX_NODES)
        return kisim_seterr(KISIM_EINPUT, "score: %d candidate nodes, expected 1..%d", req->n,
                            SCORE_MAX_NODES);
    if ((int)req->verb < 0 || req->verb >= SCORE_N_VERBS)
        return kisim_seterr(KISIM_EINPUT, "score: unknown verb %d", (int)req->verb);
    for (int p = 0; p < KISIM_P; p++)
        if (!isfinite(req->pod[p]))
            return kisim_seterr(KISIM_EINPUT, "score: pod[%d] (%s) is not a finite number", p,
                                pod_context_names[p]);
    for (int i = 0; i < req->n; i++)
        if (!req->nodes || !req->nodes[i] || !telem_frame_name_ok(req->nodes[i]))
            return kisim_seterr(KISIM_EINPUT,
                                "score: nodes[%d]: expected a node name (1..%d printable "
                                "ASCII bytes, no spaces or quotes)",
                                i, TELEM_FRAME_NAME_MAX);
    if (req->telemetry) {
        if (req->T < 1 || req->T > TELEM_MAX_WINDOW)
            return kisim_seterr(KISIM_EINPUT, "score: telemetry window T = %d, expected 1..%d",
                                req->T, TELEM_MAX_WINDOW);
        size_t count = (size_t)req->n * req->T * KISIM_F;
        for (size_t k = 0; k < count; k++)
            if (!isfinite(req->telemetry[k]))
                return kisim_seterr(KISIM_EINPUT,
                                    "score: telemetry[%zu][%zu][%zu] (%s) is not a finite number",
                                    k / ((size_t)req->T * KISIM_F), k / KISIM_F % (size_t)req->T,
                                    k % KISIM_F, kisim_features[k % KISIM_F].name);
    }
    if (req->orch)
        for (size_t k = 0; k < (size_t)req->n * KISIM_F_ORCH; k++)
            if (isinf(req->orch[k]))
                return kisim_seterr(KISIM_EINPUT,
                                    "score: orch[%zu][%zu] is infinite (NaN means unknown)",
                                    k / KISIM_F_ORCH, k % KISIM_F_ORCH);
    return 0;
}

static void record(score_service *s, score_verb verb, const chain_result *res, double seconds)
{
    int b = 0;
    while (b < SCORE_N_BUCKETS && seconds > score_latency_bounds[b])
        b++;
    pthread_mutex_lock(&s->stats_lock);
    s->stats.requests[verb][res->link]++;
    s->stats.latency_bucket[verb][b]++;
    s->stats.latency_sum[verb] += seconds;
    for (int k = 0; k < SCORE_N_LINKS; k++)
        if (res->fallback[k] >= 0) s->stats.fallbacks[k][res->fallback[k]]++;
    pthread_mutex_unlock(&s->stats_lock);
}

/* One node's raw window [T, F] and availability: inline, or from the store. */
static score_node_status node_window(score_service *s, const score_request *req, int i, int T,
                                     float *win, uint8_t *avail)
{
    if (req->telemetry) {
        memcpy(win, req->telemetry + (size_t)i * T * KISIM_F, (size_t)T * KISIM_F * sizeof *win);
        for (int f = 0; f < KISIM_F; f++)
            avail[f] = req->available ? req->available[f] != 0 : 1;
    } else {
        telem_status st = telem_store_get(s->store, req->nodes[i], win, avail, NULL);
        if (st != TELEM_FRESH) return st == TELEM_STALE ? SCORE_NODE_STALE : SCORE_NODE_UNKNOWN;
    }
    for (int k = 0; req->orch && k < KISIM_F_ORCH; k++) {
        float v = req->orch[(size_t)i * KISIM_F_ORCH + k];
        if (isnan(v)) continue;
        for (int t = 0; t < T; t++)
            win[(size_t)t * KISIM_F + KISIM_F_MEASURED + k] = v;
        avail[KISIM_F_MEASURED + k] = 1;
    }
    return SCORE_NODE_OK;
}

/* Gathers the fresh candidates into ci (fresh[j] = the request index of input row j); statuses
 * into reply. Returns the number of fresh candidates. */
static int gather(score_service *s, const score_request *req, int T, chain_input *ci, int *fresh,
                  score_reply *reply)
{
    score_input *in = chain_input_get(ci);
    float win[TELEM_MAX_WINDOW * KISIM_F];
    const float *lo = s->norm_lo, *inv = s->norm_inv;
    int TF = T * KISIM_F;
    uint8_t avail[KISIM_F], all[KISIM_F];
    memset(all, 1, sizeof all);
    int m = 0;
    for (int i = 0; i < req->n; i++) {
        reply->nodes[i].status = node_window(s, req, i, T, win, avail);
        if (reply->nodes[i].status != SCORE_NODE_OK) continue;
        for (int f = 0; f < KISIM_F; f++)
            all[f] &= avail[f];
        float *dst = in->nodes + (size_t)m * TF;
        for (int k = 0; k < TF; k++) {
            float v = (win[k] - lo[k]) * inv[k];
            dst[k] = v < 0 ? 0 : v > 1 ? 1 : v;
        }
        memcpy(in->last_raw + (size_t)m * KISIM_F, win + (size_t)(T - 1) * KISIM_F,
               KISIM_F * sizeof(float));
        fresh[m++] = i;
    }
    /* A feature is used only if every candidate measures it; the others are 0, as in the env. */
    for (int f = 0; f < KISIM_F; f++) {
        in->avail[f] = all[f];
        if (all[f]) continue;
        for (size_t r = 0; r < (size_t)m * T; r++)
            in->nodes[r * KISIM_F + f] = 0;
    }
    for (int j = 0; j < m; j++)
        memcpy(in->last + (size_t)j * KISIM_F, in->nodes + ((size_t)j * T + T - 1) * KISIM_F,
               KISIM_F * sizeof(float));
    memcpy(in->pod, req->pod, sizeof in->pod);
    in->n = m;
    return m;
}

/* The reason of a node no model scored. */
static void neutral_reason(char *out, size_t cap, const chain_result *res)
{
    size_t len = (size_t)snprintf(out, cap, "no model answered");
    for (int k = 0; k < SCORE_LINK_NEUTRAL && len < cap; k++)
        len += (size_t)snprintf(
            out + len, cap - len, "%s%s: %s", k ? "; " : " (", score_link_name((score_link)k),
            res->why[k][0] ? res->why[k] : score_fallback_name(res->fallback[k]));
    if (len < cap) snprintf(out + len, cap - len, "): neutral");
}

/* Shadow mode: log the computed decision, answer neutral. */
static int shadow_answer(score_service *s, const score_request *req, int T, const chain_input *ci,
                         const int *fresh, int m, score_reply *reply)
{
    const score_input *in = chain_input_get((chain_input *)ci);
    float *nodes = calloc((size_t)req->n * T * KISIM_F, sizeof *nodes);
    uint8_t *mask = calloc((size_t)req->n, 1);
    int err = 0;
    if (!nodes || !mask) err = kisim_seterr(KISIM_ENOMEM, "score: out of memory");
    for (int j = 0; !err && j < m; j++) {
        memcpy(nodes + (size_t)fresh[j] * T * KISIM_F, in->nodes + (size_t)j * T * KISIM_F,
               (size_t)T * KISIM_F * sizeof *nodes);
        mask[fresh[j]] = 1;
    }
    if (!err) err = shadow_write(s->shadow, req, T, nodes, in->avail, mask, reply);
    if (err) log_warn("score: %s", kisim_errmsg()); /* the answer is neutral either way */
    free(nodes);
    free(mask);
    for (int i = 0; i < req->n; i++) {
        score_node *nd = &reply->nodes[i];
        char was[SCORE_REASON_MAX];
        snprintf(was, sizeof was, "%s", nd->reason);
        snprintf(nd->reason, sizeof nd->reason, "shadow mode (%s would score %d: %.100s)",
                 score_link_name(nd->link), nd->score, was);
        nd->score = SCORE_NEUTRAL;
        nd->confidence = 0;
        nd->link = SCORE_LINK_NEUTRAL;
    }
    reply->shadow = 1;
    reply->link = SCORE_LINK_NEUTRAL;
    snprintf(reply->version, sizeof reply->version, "neutral");
    return 0;
}

int score_service_score(score_service *s, const score_request *req, score_reply *reply)
{
    memset(reply, 0, sizeof *reply);
    double t0 = clock_mono_s();
    int err = check_request(req);
    if (err) {
        score_service_count_error(s, (int)req->verb >= 0 && req->verb < SCORE_N_VERBS
                                         ? req->verb
                                         : SCORE_VERB_BATCHSCORE);
        return err;
    }
    int n = req->n, T = req->telemetry ? req->T : telem_store_window(s->store);
    chain_input *ci = chain_input_new(n, T);
    int *fresh = malloc((size_t)n * (2 * sizeof(int) + sizeof(float)));
    reply->nodes = calloc((size_t)n, sizeof *reply->nodes);
    if (!ci || !fresh || !reply->nodes) {
        err = kisim_seterr(KISIM_ENOMEM, "score: out of memory for %d nodes", n);
        goto cleanup;
    }
    int *score = fresh + n;
    float *conf = (float *)(score + n);
    reply->n = n;
    int m = gather(s, req, T, ci, fresh, reply);
    chain_result res = {.link = SCORE_LINK_NEUTRAL};
    for (int k = 0; k < SCORE_N_LINKS; k++)
        res.fallback[k] = -1, res.why[k][0] = 0;
    snprintf(res.version, sizeof res.version, "neutral");
    if (m > 0) chain_score(s->chain, ci, t0, score, conf, &res);
    reply->link = res.link;
    snprintf(reply->version, sizeof reply->version, "%s", res.version);
    const score_input *in = chain_input_get(ci);
    float mean[KISIM_F];
    reason_means(in, mean);
    for (int i = 0; i < n; i++) { /* nodes without fresh telemetry */
        score_node *nd = &reply->nodes[i];
        nd->score = SCORE_NEUTRAL;
        nd->link = SCORE_LINK_NEUTRAL;
        if (nd->status != SCORE_NODE_OK)
            snprintf(nd->reason, sizeof nd->reason, "%s",
                     nd->status == SCORE_NODE_STALE ? "stale telemetry" : "no telemetry");
    }
    char why_neutral[SCORE_REASON_MAX]; /* the same for every node */
    if (res.link == SCORE_LINK_NEUTRAL) neutral_reason(why_neutral, sizeof why_neutral, &res);
    for (int j = 0; j < m; j++) {
        score_node *nd = &reply->nodes[fresh[j]];
        nd->score = score[j];
        nd->confidence = conf[j];
        nd->link = res.link;
        if (res.link == SCORE_LINK_NEUTRAL)
            memcpy(nd->reason, why_neutral, sizeof why_neutral);
        else
            reason_write(nd->reason, sizeof nd->reason, in, mean, j, score[j]);
    }
    if (s->shadow) shadow_answer(s, req, T, ci, fresh, m, reply);
    reply->seconds = clock_mono_s() - t0;
    res.link = reply->link; /* in shadow mode the neutral answer, not the computed one */
    record(s, req->verb, &res, reply->seconds);
cleanup:
    chain_input_unref(ci);
    free(fresh);
    if (err) score_reply_free(reply);
    return err;
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
    int ok, failed;
    int err = chain_reload(s->chain, &ok, &failed);
    pthread_mutex_lock(&s->stats_lock);
    s->stats.reloads_ok += (uint64_t)ok;
    s->stats.reloads_failed += (uint64_t)failed;
    pthread_mutex_unlock(&s->stats_lock);
    return err;
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
    telem_store_tally_get(s->store, &st->telem);
    chain_state(s->chain, st);
}

/* chain.c: the policy chain's links, workers and deadlines (chain.h).
 *
 * Budget: the whole chain answers within the budget. When the attention link can answer (loaded,
 * breaker not open), the PPO link gets the first half of the budget and the attention link the
 * rest; otherwise the PPO link gets all of it. A link that misses its deadline counts as a
 * timeout for its breaker.
 *
 * Where a link runs: a job handed to a worker costs two thread wake-ups each way, which on a
 * 2-core VM is as much as the PPO model itself (tens of microseconds). So a healthy link (breaker
 * closed, no test delay) whose measured cost for this many nodes is under 1/INLINE_MARGIN of the
 * time left runs in the caller's thread. Anything else (the first run, a half-open probe, a link
 * whose cost approaches its deadline) goes to a worker, whose job is abandoned at the deadline
 * and its late result dropped: that is what keeps a slow link from holding the answer. An
 * inline run that still ends past its deadline (the machine stalled it) is a timeout: its
 * result is dropped and its cost raises the estimate, so the next runs go to the workers. */
#include "scheduler/chain.h"
#include "common/clock.h"

#include <cblas.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/err.h"
#include "common/log.h"
#include "scheduler/breaker.h"

#define N_MODEL_LINKS 2 /* PPO and attention; neutral needs no worker */
#define MAX_WORKERS 16
#define INLINE_MARGIN 20 /* inline only when cost x this fits in the time left */

/* A caller's activations for inline runs, kept in a per-link pool (callers are the BatchScore
 * thread and the HTTP server's threads). */
typedef struct scratch_node {
    struct scratch_node *next;
    score_scratch sc;
} scratch_node;

struct chain_input {
    atomic_int refs; /* requester + worker threads */
    score_input in;
};

chain_input *chain_input_new(int n, int T)
{
    chain_input *ci = calloc(1, sizeof *ci);
    if (!ci) return NULL;
    atomic_init(&ci->refs, 1);
    ci->in.n = n;
    ci->in.T = T;
    ci->in.nodes = malloc(((size_t)n * T + 2 * (size_t)n) * KISIM_F * sizeof(float));
    if (!ci->in.nodes) {
        free(ci);
        return NULL;
    }
    ci->in.last = ci->in.nodes + (size_t)n * T * KISIM_F;
    ci->in.last_raw = ci->in.last + (size_t)n * KISIM_F;
    return ci;
}

score_input *chain_input_get(chain_input *ci)
{
    return &ci->in;
}

void chain_input_unref(chain_input *ci)
{
    if (!ci || atomic_fetch_sub_explicit(&ci->refs, 1, memory_order_acq_rel) != 1) return;
    free(ci->in.nodes);
    free(ci);
}

enum { JOB_QUEUED, JOB_RUNNING, JOB_DONE, JOB_ABANDONED };

typedef struct job {
    struct job *next;
    score_model *model; /* a reference */
    chain_input *in;    /* a reference */
    int *score;         /* [n] */
    float *conf;        /* [n] */
    int state, refs;    /* under the link's lock: requester + worker */
    int err;
    char msg[192];
    pthread_cond_t done;
} job;

typedef struct {
    score_link id;
    struct chain *c;
    const char *path;
    pthread_mutex_t lock;
    pthread_cond_t work;    /* a job was queued, or stop */
    pthread_cond_t stopped; /* stop (wakes test delays) */
    job *head, *tail;       /* queue */
    score_model *model;     /* a reference, or NULL */
    breaker br;
    int delay_ms;
    double cost_per_node; /* seconds per node: rises at once, decays slowly; 0 = not measured */
    scratch_node *pool;   /* idle inline scratches */
    uint64_t runs_inline, runs_worker;
    pthread_t threads[MAX_WORKERS];
    int n_threads;
    int stop;
} link_state;

struct chain {
    score_opts o;
    link_state links[N_MODEL_LINKS];
};

static void job_unref_locked(job *j)
{
    if (--j->refs) return;
    score_model_unref(j->model);
    chain_input_unref(j->in);
    pthread_cond_destroy(&j->done);
    free(j->score);
    free(j);
}

static int64_t clock_ms(const chain *c)
{
    return c->o.clock ? c->o.clock(c->o.clock_arg) : clock_mono_ms();
}

static struct timespec deadline_ts(double t)
{
    struct timespec ts;
    ts.tv_sec = (time_t)t;
    ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
    if (ts.tv_nsec >= 1000000000L) ts.tv_sec++, ts.tv_nsec -= 1000000000L;
    return ts;
}

/* The test-only delay: waits ms on the link's stop condition (lock held), so closing the
 * service does not wait for it. */
static void delay_locked(link_state *l, int ms)
{
    struct timespec ts = deadline_ts(clock_mono_s() + ms / 1000.0);
    while (!l->stop)
        if (pthread_cond_timedwait(&l->stopped, &l->lock, &ts) == ETIMEDOUT) break;
}

/* The cost estimate follows a slower run at once and a faster one by 1/8 of the gap. */
static void cost_update_locked(link_state *l, double seconds, int n)
{
    double c = seconds / (n > 0 ? n : 1);
    l->cost_per_node = c > l->cost_per_node ? c : l->cost_per_node + (c - l->cost_per_node) / 8;
}

static void *worker(void *arg)
{
    link_state *l = arg;
    score_scratch sc = {0};
    pthread_mutex_lock(&l->lock);
    for (;;) {
        while (!l->head && !l->stop)
            pthread_cond_wait(&l->work, &l->lock);
        if (l->stop) break;
        job *j = l->head;
        l->head = j->next;
        if (!l->head) l->tail = NULL;
        if (j->state == JOB_ABANDONED) { /* its requester has moved on */
            job_unref_locked(j);
            continue;
        }
        j->state = JOB_RUNNING;
        double t = clock_mono_s(); /* the test delay stands for a slow model: it counts as cost */
        if (l->delay_ms > 0) delay_locked(l, l->delay_ms);
        pthread_mutex_unlock(&l->lock);
        kisim_clearerr();
        int err = score_model_run(j->model, &sc, chain_input_get(j->in), j->score, j->conf);
        t = clock_mono_s() - t;
        pthread_mutex_lock(&l->lock);
        if (!err) cost_update_locked(l, t, chain_input_get(j->in)->n);
        l->runs_worker++;
        j->err = err;
        if (err) snprintf(j->msg, sizeof j->msg, "%s", kisim_errmsg());
        if (j->state == JOB_RUNNING) {
            j->state = JOB_DONE;
            pthread_cond_signal(&j->done);
        }
        job_unref_locked(j);
    }
    pthread_mutex_unlock(&l->lock);
    score_scratch_free(&sc);
    return NULL;
}

static int load_link(link_state *l, int at_start)
{
    score_model *m = NULL;
    int err = score_model_load(&m, l->id, l->path);
    if (err) {
        log_error("score: %s link: %s%s", score_link_name(l->id), kisim_errmsg(),
                  at_start ? "; starting without it (the next link answers)"
                           : "; keeping the running model");
        return err;
    }
    pthread_mutex_lock(&l->lock);
    score_model *old = l->model;
    l->model = m;
    l->cost_per_node = 0; /* a new model: measured again on a worker first */
    pthread_mutex_unlock(&l->lock);
    score_model_unref(old);
    log_info("score: %s link: loaded %s", score_link_name(l->id), m->version);
    return 0;
}

int chain_open(chain **out, const score_opts *o)
{
    *out = NULL;
    chain *c = calloc(1, sizeof *c);
    if (!c) return kisim_seterr(KISIM_ENOMEM, "score: out of memory");
    c->o = *o;
    int workers = o->workers ? o->workers : 2, err = 0;
    if (workers < 1 || workers > MAX_WORKERS) {
        free(c);
        return kisim_seterr(KISIM_EUSAGE, "score: workers %d outside [1, %d]", workers,
                            MAX_WORKERS);
    }
    openblas_set_num_threads(1); /* small matrices; the workers are the parallelism */
    for (int k = 0; k < N_MODEL_LINKS; k++) {
        link_state *l = &c->links[k];
        l->id = (score_link)k;
        l->c = c;
        l->path = k == SCORE_LINK_PPO ? o->policy_path : o->fallback_path;
        l->delay_ms = o->test_delay_ms[k];
        pthread_mutex_init(&l->lock, NULL);
        pthread_condattr_t ca;
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&l->work, &ca);
        pthread_cond_init(&l->stopped, &ca);
        pthread_condattr_destroy(&ca);
        breaker_init(
            &l->br, o->breaker_failures ? o->breaker_failures : SCORE_DEFAULT_BREAKER_FAILURES,
            o->breaker_cooldown_ms ? o->breaker_cooldown_ms : SCORE_DEFAULT_BREAKER_COOLDOWN_MS);
        if (l->path)
            load_link(l, 1);
        else
            log_info("score: %s link: no model file given", score_link_name(l->id));
        for (; l->n_threads < workers; l->n_threads++)
            if (pthread_create(&l->threads[l->n_threads], NULL, worker, l) != 0) {
                err = kisim_seterr(KISIM_EIO, "score: cannot start a worker thread");
                break;
            }
        if (err) break;
    }
    if (err) {
        chain_close(c);
        return err;
    }
    *out = c;
    return 0;
}

void chain_close(chain *c)
{
    if (!c) return;
    for (int k = 0; k < N_MODEL_LINKS; k++) {
        link_state *l = &c->links[k];
        pthread_mutex_lock(&l->lock);
        l->stop = 1;
        pthread_cond_broadcast(&l->work);
        pthread_cond_broadcast(&l->stopped);
        pthread_mutex_unlock(&l->lock);
        for (int t = 0; t < l->n_threads; t++)
            pthread_join(l->threads[t], NULL);
        while (l->head) {
            job *j = l->head;
            l->head = j->next;
            job_unref_locked(j);
        }
        score_model_unref(l->model);
        while (l->pool) {
            scratch_node *sn = l->pool;
            l->pool = sn->next;
            score_scratch_free(&sn->sc);
            free(sn);
        }
        pthread_cond_destroy(&l->work);
        pthread_cond_destroy(&l->stopped);
        pthread_mutex_destroy(&l->lock);
    }
    free(c);
}

int chain_reload(chain *c, int *n_ok, int *n_failed)
{
    int first = 0;
    *n_ok = *n_failed = 0;
    for (int k = 0; k < N_MODEL_LINKS; k++) {
        if (!c->links[k].path) continue;
        int err = load_link(&c->links[k], 0);
        if (err && !first) first = err;
        if (err)
            (*n_failed)++;
        else
            (*n_ok)++;
    }
    return first;
}

/* The outcome of a run that ended (err 0: score/conf hold the answer) or missed its deadline
 * (timed_out). Lock held. Returns -1 if the link answered, else the fallback reason. */
static int settle_locked(chain *c, link_state *l, const score_model *m, int err, int timed_out,
                         const char *msg, chain_result *res)
{
    int k = l->id;
    breaker_record(&l->br, !err && !timed_out, clock_ms(c));
    if (timed_out) {
        snprintf(res->why[k], sizeof res->why[k], "no answer within its deadline");
        return SCORE_FB_TIMEOUT;
    }
    if (err) {
        snprintf(res->why[k], sizeof res->why[k], "%s", msg);
        return SCORE_FB_FAILED;
    }
    snprintf(res->version, sizeof res->version, "%s", m->version);
    return -1;
}

/* Runs m in the caller's thread with a pooled scratch. Lock held on entry and exit. */
static int run_inline_locked(chain *c, link_state *l, score_model *m, chain_input *in,
                             double deadline, int *score, float *conf, chain_result *res)
{
    scratch_node *sn = l->pool;
    if (sn) l->pool = sn->next;
    l->runs_inline++;
    pthread_mutex_unlock(&l->lock);
    if (!sn) sn = calloc(1, sizeof *sn);
    double t = clock_mono_s();
    kisim_clearerr();
    int err = sn ? score_model_run(m, &sn->sc, chain_input_get(in), score, conf)
                 : kisim_seterr(KISIM_ENOMEM, "out of memory");
    double end = clock_mono_s();
    char msg[192];
    if (err) snprintf(msg, sizeof msg, "%s", kisim_errmsg());
    pthread_mutex_lock(&l->lock);
    if (sn) sn->next = l->pool, l->pool = sn;
    if (!err) cost_update_locked(l, end - t, chain_input_get(in)->n);
    return settle_locked(c, l, m, err, !err && end > deadline, msg, res);
}

/* Hands the run to a worker and waits until it is done or the deadline passes (then abandons
 * it). Lock held on entry and exit. */
static int run_on_worker_locked(chain *c, link_state *l, score_model *m, chain_input *in,
                                double deadline, int *score, float *conf, chain_result *res)
{
    int n = chain_input_get(in)->n;
    job *j = calloc(1, sizeof *j);
    if (j) j->score = malloc((size_t)n * (sizeof *j->score + sizeof *j->conf));
    if (!j || !j->score) {
        breaker_release(&l->br);
        score_model_unref(m);
        free(j);
        snprintf(res->why[l->id], sizeof res->why[l->id], "out of memory");
        return SCORE_FB_FAILED;
    }
    j->conf = (float *)(j->score + n);
    j->model = m; /* the job takes the caller's reference */
    j->in = in;
    /* relaxed: the caller holds a reference; the job is published under the link's lock */
    atomic_fetch_add_explicit(&in->refs, 1, memory_order_relaxed);
    j->refs = 2;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&j->done, &ca);
    pthread_condattr_destroy(&ca);
    if (l->tail)
        l->tail->next = j;
    else
        l->head = j;
    l->tail = j;
    pthread_cond_signal(&l->work);
    struct timespec ts = deadline_ts(deadline);
    while (j->state != JOB_DONE)
        if (pthread_cond_timedwait(&j->done, &l->lock, &ts) == ETIMEDOUT) break;
    int done = j->state == JOB_DONE;
    if (done && !j->err) {
        memcpy(score, j->score, (size_t)n * sizeof *score);
        memcpy(conf, j->conf, (size_t)n * sizeof *conf);
    }
    if (!done) j->state = JOB_ABANDONED;
    int fb = settle_locked(c, l, m, done ? j->err : 0, !done, j->msg, res);
    job_unref_locked(j);
    return fb;
}

/* Tries one model link; returns -1 if it answered (score/conf filled), else the fallback. */
static int try_link(chain *c, link_state *l, chain_input *in, double deadline, int *score,
                    float *conf, chain_result *res)
{
    int n = chain_input_get(in)->n, k = l->id;
    pthread_mutex_lock(&l->lock);
    score_model *m = l->model;
    if (!m) {
        pthread_mutex_unlock(&l->lock);
        snprintf(res->why[k], sizeof res->why[k], "%s",
                 l->path ? "its model file did not load" : "no model file");
        return SCORE_FB_NOT_LOADED;
    }
    score_model_ref(m);
    pthread_mutex_unlock(&l->lock);
    if (score_model_refuses(m, chain_input_get(in), res->why[k], sizeof res->why[k])) {
        score_model_unref(m);
        return SCORE_FB_REFUSED;
    }
    pthread_mutex_lock(&l->lock);
    if (!breaker_allow(&l->br, clock_ms(c))) {
        pthread_mutex_unlock(&l->lock);
        score_model_unref(m);
        snprintf(res->why[k], sizeof res->why[k], "circuit breaker open");
        return SCORE_FB_BREAKER_OPEN;
    }
    int fb;
    if (l->delay_ms == 0 && l->br.state == SCORE_BREAKER_CLOSED && l->cost_per_node > 0 &&
        n * l->cost_per_node * INLINE_MARGIN <= deadline - clock_mono_s()) {
        fb = run_inline_locked(c, l, m, in, deadline, score, conf, res);
        score_model_unref(m);
    } else {
        fb = run_on_worker_locked(c, l, m, in, deadline, score, conf, res);
    }
    pthread_mutex_unlock(&l->lock);
    return fb;
}

/* Whether the attention link could answer now (for the budget split). */
static int attention_usable(chain *c)
{
    link_state *l = &c->links[SCORE_LINK_ATTENTION];
    pthread_mutex_lock(&l->lock);
    int ok = l->model && (l->br.state != SCORE_BREAKER_OPEN ||
                          clock_ms(c) - l->br.opened_ms >= l->br.cooldown_ms);
    pthread_mutex_unlock(&l->lock);
    return ok;
}

void chain_score(chain *c, chain_input *in, double t0, int *score, float *conf, chain_result *res)
{
    int n = chain_input_get(in)->n;
    double budget = (c->o.budget_ms ? c->o.budget_ms : SCORE_DEFAULT_BUDGET_MS) / 1000.0;
    for (int k = 0; k < SCORE_N_LINKS; k++)
        res->fallback[k] = -1, res->why[k][0] = 0;
    double ppo_deadline = t0 + (attention_usable(c) ? budget / 2 : budget);
    double deadlines[N_MODEL_LINKS] = {ppo_deadline, t0 + budget};
    for (int k = 0; k < N_MODEL_LINKS; k++) {
        int fb = try_link(c, &c->links[k], in, deadlines[k], score, conf, res);
        if (fb < 0) {
            res->link = (score_link)k;
            return;
        }
        res->fallback[k] = fb;
    }
    res->link = SCORE_LINK_NEUTRAL;
    snprintf(res->version, sizeof res->version, "neutral");
    for (int i = 0; i < n; i++)
        score[i] = SCORE_NEUTRAL, conf[i] = 0;
}

void chain_state(chain *c, score_stats *st)
{
    score_breaker *br = st->breaker;
    char(*version)[SCORE_VERSION_MAX] = st->version;
    for (int k = 0; k < SCORE_N_LINKS; k++) {
        br[k] = SCORE_BREAKER_CLOSED;
        snprintf(version[k], SCORE_VERSION_MAX, "%s", k == SCORE_LINK_NEUTRAL ? "neutral" : "");
    }
    for (int k = 0; k < N_MODEL_LINKS; k++) {
        link_state *l = &c->links[k];
        pthread_mutex_lock(&l->lock);
        /* an open breaker whose cool-down has passed admits a probe: report half-open */
        br[k] =
            l->br.state == SCORE_BREAKER_OPEN && clock_ms(c) - l->br.opened_ms >= l->br.cooldown_ms
                ? SCORE_BREAKER_HALF_OPEN
                : l->br.state;
        if (l->model) snprintf(version[k], SCORE_VERSION_MAX, "%s", l->model->version);
        st->runs_inline[k] = l->runs_inline;
        st->runs_worker[k] = l->runs_worker;
        pthread_mutex_unlock(&l->lock);
    }
}

void chain_set_test_delay(chain *c, score_link link, int ms)
{
    if ((int)link < 0 || link >= N_MODEL_LINKS) return;
    pthread_mutex_lock(&c->links[link].lock);
    c->links[link].delay_ms = ms;
    pthread_mutex_unlock(&c->links[link].lock);
}

/* store.c: per-node telemetry rings behind a read-write lock, a name -> node hash, and
 * the ZeroMQ SUB receiver thread (store.h). */
#include "telemetry/store.h"
#include "common/clock.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "common/err.h"
#include "common/log.h"

#define MAX_WINDOW TELEM_MAX_WINDOW
#define MAX_STORE_NODES 65536

typedef struct {
    char name[TELEM_FRAME_NAME_MAX + 1];
    float *ring;              /* [T, F] raw, slot (head + t) % T */
    int head, count;          /* next slot to write; samples held (<= T) */
    uint8_t avail[KISIM_F];   /* of the last frame */
    float orch[KISIM_F_ORCH]; /* latest known orchestrator features */
    uint8_t orch_known[KISIM_F_ORCH];
    int64_t last_ms;       /* store clock at the last sample; INT64_MIN: none yet */
    telem_frame_pod *pods; /* of the last frame, owned */
    int n_pods;
} store_node;

struct telem_store {
    pthread_rwlock_t lock;
    int T, stale_ms;
    kisim_clock_fn clock;
    void *clock_arg;
    store_node *nodes; /* [n, cap], owned */
    int n, cap;
    int *table; /* open addressing: node index + 1, 0 empty; [table_cap] */
    int table_cap;
    uint64_t frames_ok, frames_bad;
    /* receiver */
    void *ctx, *sub;
    pthread_t thread;
    int running;
    atomic_int stop; /* set by close, read by the receiver thread */
    char endpoint[256];
};

static int64_t monotonic_ms(void *arg)
{
    (void)arg;
    return clock_mono_ms();
}

static uint32_t hash_name(const char *s)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 16777619u;
    return h;
}

static int find(const telem_store *st, const char *name)
{
    if (!st->table_cap) return -1;
    for (uint32_t i = hash_name(name) & (uint32_t)(st->table_cap - 1);;
         i = (i + 1) & (uint32_t)(st->table_cap - 1)) {
        int e = st->table[i];
        if (!e) return -1;
        if (!strcmp(st->nodes[e - 1].name, name)) return e - 1;
    }
}

static void table_insert(telem_store *st, int idx)
{
    uint32_t i = hash_name(st->nodes[idx].name) & (uint32_t)(st->table_cap - 1);
    while (st->table[i])
        i = (i + 1) & (uint32_t)(st->table_cap - 1);
    st->table[i] = idx + 1;
}

/* The index of the node called name, created if new, or a negative kisim_err (lock held for
 * write). */
static int find_or_add(telem_store *st, const char *name)
{
    int idx = find(st, name);
    if (idx >= 0) return idx;
    if (st->n >= MAX_STORE_NODES)
        return kisim_seterr(KISIM_EINPUT, "telemetry store: more than %d nodes", MAX_STORE_NODES);
    if (st->n == st->cap) {
        int cap = st->cap ? 2 * st->cap : 64;
        store_node *nodes = realloc(st->nodes, (size_t)cap * sizeof *nodes);
        if (!nodes) goto oom;
        st->nodes = nodes;
        st->cap = cap;
    }
    if (2 * (st->n + 1) > st->table_cap) { /* load factor <= 1/2 */
        int tcap = st->table_cap ? 2 * st->table_cap : 128;
        int *table = calloc((size_t)tcap, sizeof *table);
        if (!table) goto oom;
        free(st->table);
        st->table = table;
        st->table_cap = tcap;
        for (int i = 0; i < st->n; i++)
            table_insert(st, i);
    }
    store_node *nd = &st->nodes[st->n];
    memset(nd, 0, sizeof *nd);
    nd->ring = calloc((size_t)st->T * KISIM_F, sizeof *nd->ring);
    if (!nd->ring) goto oom;
    snprintf(nd->name, sizeof nd->name, "%s", name);
    nd->last_ms = INT64_MIN;
    table_insert(st, st->n);
    return st->n++;
oom:
    return kisim_seterr(KISIM_ENOMEM, "telemetry store: out of memory");
}

int telem_store_open(telem_store **out, int window, int stale_ms, kisim_clock_fn clock,
                     void *clock_arg)
{
    *out = NULL;
    if (window < 1 || window > MAX_WINDOW)
        return kisim_seterr(KISIM_EUSAGE, "telemetry store: window %d outside [1, %d]", window,
                            MAX_WINDOW);
    if (stale_ms <= 0)
        return kisim_seterr(KISIM_EUSAGE, "telemetry store: staleness limit must be > 0 ms");
    telem_store *st = calloc(1, sizeof *st);
    if (!st) return kisim_seterr(KISIM_ENOMEM, "telemetry store: out of memory");
    pthread_rwlock_init(&st->lock, NULL);
    st->T = window;
    st->stale_ms = stale_ms;
    st->clock = clock ? clock : monotonic_ms;
    st->clock_arg = clock_arg;
    *out = st;
    return 0;
}

void telem_store_close(telem_store *st)
{
    if (!st) return;
    if (st->running) {
        atomic_store(&st->stop, 1);
        pthread_join(st->thread, NULL);
    }
    if (st->sub) zmq_close(st->sub);
    if (st->ctx) zmq_ctx_term(st->ctx);
    /* libzmq leaves a bound ipc socket's file behind; the binder removes it. */
    if (!strncmp(st->endpoint, "ipc://", 6) && st->endpoint[6] != '@') unlink(st->endpoint + 6);
    for (int i = 0; i < st->n; i++) {
        free(st->nodes[i].ring);
        free(st->nodes[i].pods);
    }
    free(st->nodes);
    free(st->table);
    pthread_rwlock_destroy(&st->lock);
    free(st);
}

int telem_store_put(telem_store *st, const telem_frame *f)
{
    telem_frame_pod *pods = NULL;
    if (f->n_pods) {
        pods = malloc((size_t)f->n_pods * sizeof *pods);
        if (!pods) return kisim_seterr(KISIM_ENOMEM, "telemetry store: out of memory");
        memcpy(pods, f->pods, (size_t)f->n_pods * sizeof *pods);
    }
    int64_t now = st->clock(st->clock_arg);
    pthread_rwlock_wrlock(&st->lock);
    int idx = find_or_add(st, f->node);
    if (idx < 0) {
        pthread_rwlock_unlock(&st->lock);
        free(pods);
        return idx;
    }
    store_node *nd = &st->nodes[idx];
    memcpy(nd->ring + (size_t)nd->head * KISIM_F, f->features, sizeof f->features);
    nd->head = (nd->head + 1) % st->T;
    if (nd->count < st->T) nd->count++;
    memcpy(nd->avail, f->available, sizeof nd->avail);
    for (int k = 0; k < KISIM_F_ORCH; k++)
        if (f->available[KISIM_F_MEASURED + k]) {
            nd->orch[k] = f->features[KISIM_F_MEASURED + k];
            nd->orch_known[k] = 1;
        }
    nd->last_ms = now;
    free(nd->pods);
    nd->pods = pods;
    nd->n_pods = f->n_pods;
    pthread_rwlock_unlock(&st->lock);
    return 0;
}

int telem_store_set_orch(telem_store *st, const char *node, const float *orch)
{
    pthread_rwlock_wrlock(&st->lock);
    int idx = find_or_add(st, node), err = idx < 0 ? idx : 0;
    for (int k = 0; idx >= 0 && k < KISIM_F_ORCH; k++)
        if (!isnan(orch[k])) {
            st->nodes[idx].orch[k] = orch[k];
            st->nodes[idx].orch_known[k] = 1;
        }
    pthread_rwlock_unlock(&st->lock);
    return err;
}

telem_status telem_store_get(telem_store *st, const char *node, float *win, uint8_t *avail,
                             int64_t *age_ms)
{
    int64_t now = st->clock(st->clock_arg);
    telem_status status = TELEM_UNKNOWN;
    pthread_rwlock_rdlock(&st->lock);
    int idx = find(st, node);
    const store_node *nd = idx >= 0 ? &st->nodes[idx] : NULL;
    if (nd && nd->count > 0) {
        int T = st->T;
        for (int t = 0; t < T; t++) {
            /* sample t of the window, oldest first; missing older samples repeat the oldest */
            int back = T - 1 - t; /* 0 = newest */
            if (back > nd->count - 1) back = nd->count - 1;
            int slot = ((nd->head - 1 - back) % T + T) % T;
            float *w = win + (size_t)t * KISIM_F;
            memcpy(w, nd->ring + (size_t)slot * KISIM_F, KISIM_F * sizeof *w);
            for (int k = 0; k < KISIM_F_ORCH; k++)
                if (nd->orch_known[k]) w[KISIM_F_MEASURED + k] = nd->orch[k];
        }
        memcpy(avail, nd->avail, KISIM_F);
        for (int k = 0; k < KISIM_F_ORCH; k++)
            avail[KISIM_F_MEASURED + k] |= nd->orch_known[k];
        if (age_ms) *age_ms = now - nd->last_ms;
        status = now - nd->last_ms > st->stale_ms ? TELEM_STALE : TELEM_FRESH;
    }
    pthread_rwlock_unlock(&st->lock);
    return status;
}

void telem_store_each_pod(telem_store *st, telem_pod_fn fn, void *arg)
{
    int64_t now = st->clock(st->clock_arg);
    pthread_rwlock_rdlock(&st->lock);
    for (int i = 0; i < st->n; i++) {
        const store_node *nd = &st->nodes[i];
        if (nd->count == 0 || now - nd->last_ms > st->stale_ms) continue;
        for (int p = 0; p < nd->n_pods; p++)
            fn(arg, nd->name, &nd->pods[p]);
    }
    pthread_rwlock_unlock(&st->lock);
}

int telem_store_fresh_nodes(telem_store *st, char ***names, int *n)
{
    int64_t now = st->clock(st->clock_arg), oom = 0;
    *names = NULL;
    *n = 0;
    pthread_rwlock_rdlock(&st->lock);
    char **out = calloc((size_t)st->n + 1, sizeof *out);
    int k = 0;
    for (int i = 0; out && !oom && i < st->n; i++) {
        const store_node *nd = &st->nodes[i];
        if (nd->count == 0 || now - nd->last_ms > st->stale_ms) continue;
        oom = !(out[k] = strdup(nd->name));
        k += !oom;
    }
    pthread_rwlock_unlock(&st->lock);
    if (!out || oom) {
        for (int i = 0; out && i < k; i++)
            free(out[i]);
        free(out);
        return kisim_seterr(KISIM_ENOMEM, "telemetry store: out of memory");
    }
    *names = out;
    *n = k;
    return 0;
}

int telem_store_window(const telem_store *st)
{
    return st->T;
}

void telem_store_counts(telem_store *st, int *nodes, int *stale, uint64_t *frames_ok,
                        uint64_t *frames_bad)
{
    int64_t now = st->clock(st->clock_arg);
    pthread_rwlock_rdlock(&st->lock);
    int s = 0, known = 0;
    for (int i = 0; i < st->n; i++) {
        if (st->nodes[i].count == 0) continue;
        known++;
        s += now - st->nodes[i].last_ms > st->stale_ms;
    }
    if (nodes) *nodes = known;
    if (stale) *stale = s;
    if (frames_ok) *frames_ok = st->frames_ok;
    if (frames_bad) *frames_bad = st->frames_bad;
    pthread_rwlock_unlock(&st->lock);
}

static void count_frame(telem_store *st, int ok)
{
    pthread_rwlock_wrlock(&st->lock);
    if (ok)
        st->frames_ok++;
    else
        st->frames_bad++;
    pthread_rwlock_unlock(&st->lock);
}

/* One two-part message: topic, body. */
static void receive_one(telem_store *st, double *last_log)
{
    zmq_msg_t parts[2];
    int n = 0, more = 1, err = 0;
    while (more) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, st->sub, 0) < 0) {
            zmq_msg_close(&m);
            break;
        }
        more = zmq_msg_more(&m);
        if (n < 2) { /* zmq_msg_t is moved with zmq_msg_move, never copied by value */
            zmq_msg_init(&parts[n]);
            zmq_msg_move(&parts[n++], &m);
        } else {
            n = 3;
        }
        zmq_msg_close(&m);
    }
    telem_frame f = {0};
    if (n != 2) {
        err =
            kisim_seterr(KISIM_EINPUT, "telemetry frame: expected 2 parts (topic, body), got %d%s",
                         n, n > 2 ? " or more" : "");
    } else {
        err = telem_frame_parse(&f, zmq_msg_data(&parts[1]), zmq_msg_size(&parts[1]));
        if (!err)
            err = telem_frame_check_topic(&f, zmq_msg_data(&parts[0]), zmq_msg_size(&parts[0]));
        if (!err) err = telem_store_put(st, &f);
    }
    telem_frame_free(&f);
    for (int i = 0; i < (n > 2 ? 2 : n); i++)
        zmq_msg_close(&parts[i]);
    count_frame(st, !err);
    if (err && clock_mono_s() - *last_log >= 1.0) {
        *last_log = clock_mono_s();
        log_warn("telemetry: dropped a frame: %s", kisim_errmsg());
    }
}

static void *receiver(void *arg)
{
    telem_store *st = arg;
    double last_log = -1e9;
    while (!atomic_load(&st->stop)) {
        zmq_pollitem_t it = {st->sub, 0, ZMQ_POLLIN, 0};
        int rc = zmq_poll(&it, 1, 100);
        if (rc > 0 && (it.revents & ZMQ_POLLIN)) receive_one(st, &last_log);
    }
    return NULL;
}

int telem_store_listen(telem_store *st, const char *bind, const char *const *connect, int n)
{
    if (st->running) return kisim_seterr(KISIM_ESTATE, "telemetry store: already listening");
    st->ctx = zmq_ctx_new();
    st->sub = st->ctx ? zmq_socket(st->ctx, ZMQ_SUB) : NULL;
    if (!st->sub) return kisim_seterr(KISIM_ENOMEM, "telemetry: no ZeroMQ context or socket");
    int linger = 0, hwm = 100000;
    int64_t max_msg = TELEM_FRAME_MAX_BODY + 4096;
    zmq_setsockopt(st->sub, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(st->sub, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt(st->sub, ZMQ_MAXMSGSIZE, &max_msg, sizeof max_msg);
    zmq_setsockopt(st->sub, ZMQ_SUBSCRIBE, TELEM_FRAME_TOPIC_PREFIX,
                   strlen(TELEM_FRAME_TOPIC_PREFIX));
    if (bind) {
        if (zmq_bind(st->sub, bind) != 0)
            return kisim_seterr(KISIM_EUSAGE, "telemetry: cannot bind %s: %s", bind,
                                zmq_strerror(errno));
        size_t len = sizeof st->endpoint;
        if (zmq_getsockopt(st->sub, ZMQ_LAST_ENDPOINT, st->endpoint, &len) != 0)
            snprintf(st->endpoint, sizeof st->endpoint, "%s", bind);
    }
    for (int i = 0; i < n; i++)
        if (zmq_connect(st->sub, connect[i]) != 0)
            return kisim_seterr(KISIM_EUSAGE, "telemetry: cannot connect to %s: %s", connect[i],
                                zmq_strerror(errno));
    if (pthread_create(&st->thread, NULL, receiver, st) != 0)
        return kisim_seterr(KISIM_EIO, "telemetry: cannot start the receiver thread");
    st->running = 1;
    return 0;
}

const char *telem_store_endpoint(const telem_store *st)
{
    return st->endpoint;
}

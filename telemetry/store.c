/* store.c: per-node telemetry rings behind a read-write lock, a name -> node hash, the
 * least-recently-seen lists that bound the nodes and pods held (store.h). Every operation on a
 * frame is O(1) expected (O(pods) to copy them): eviction takes a list's head, and the hash
 * deletes by backward shift, so a full table costs no scan. The receiver is store_recv.c. */
#include "telemetry/store.h"
#include "common/clock.h"
#include "telemetry/store_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"

static int64_t monotonic_ms(void *arg)
{
    (void)arg;
    return clock_mono_ms();
}

static int64_t wall_ms(void *arg)
{
    (void)arg;
    return clock_wall_ms();
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
    uint32_t mask = (uint32_t)st->table_cap - 1;
    for (uint32_t i = hash_name(name) & mask;; i = (i + 1) & mask) {
        int e = st->table[i];
        if (!e) return -1;
        if (!strcmp(st->nodes[e - 1].name, name)) return e - 1;
    }
}

static void table_insert(telem_store *st, int idx)
{
    uint32_t mask = (uint32_t)st->table_cap - 1, i = st->nodes[idx].hash & mask;
    while (st->table[i])
        i = (i + 1) & mask;
    st->table[i] = idx + 1;
}

/* Removes idx from the index. Linear probing without tombstones: each later entry of the run is
 * moved back into the hole unless its home slot lies cyclically in (hole, its slot]. */
static void table_delete(telem_store *st, int idx)
{
    uint32_t mask = (uint32_t)st->table_cap - 1, i = st->nodes[idx].hash & mask;
    while (st->table[i] != idx + 1)
        i = (i + 1) & mask;
    st->table[i] = 0;
    for (uint32_t j = (i + 1) & mask; st->table[j]; j = (j + 1) & mask) {
        uint32_t home = st->nodes[st->table[j] - 1].hash & mask;
        int stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
        if (stays) continue;
        st->table[i] = st->table[j];
        st->table[j] = 0;
        i = j;
    }
}

/* The two lists share one shape; pods = 1 picks the with_pods links. */
static int *link_prev(telem_store *st, int i, int pods)
{
    return pods ? &st->nodes[i].pprev : &st->nodes[i].prev;
}

static int *link_next(telem_store *st, int i, int pods)
{
    return pods ? &st->nodes[i].pnext : &st->nodes[i].next;
}

static void list_remove(telem_store *st, store_list *l, int i, int pods)
{
    int p = *link_prev(st, i, pods), n = *link_next(st, i, pods);
    if (p >= 0)
        *link_next(st, p, pods) = n;
    else
        l->head = n;
    if (n >= 0)
        *link_prev(st, n, pods) = p;
    else
        l->tail = p;
    *link_prev(st, i, pods) = *link_next(st, i, pods) = -1;
}

static void list_append(telem_store *st, store_list *l, int i, int pods)
{
    *link_prev(st, i, pods) = l->tail;
    *link_next(st, i, pods) = -1;
    if (l->tail >= 0)
        *link_next(st, l->tail, pods) = i;
    else
        l->head = i;
    l->tail = i;
}

static int in_pods_list(const telem_store *st, int i)
{
    return st->nodes[i].pprev >= 0 || st->with_pods.head == i;
}

/* Marks node i the most recently seen. */
static void touch(telem_store *st, int i)
{
    list_remove(st, &st->seen, i, 0);
    list_append(st, &st->seen, i, 0);
    if (in_pods_list(st, i)) {
        list_remove(st, &st->with_pods, i, 1);
        list_append(st, &st->with_pods, i, 1);
    }
}

static void drop_pods(telem_store *st, int i)
{
    store_node *nd = &st->nodes[i];
    if (in_pods_list(st, i)) list_remove(st, &st->with_pods, i, 1);
    st->total_pods -= nd->n_pods;
    free(nd->pods);
    nd->pods = NULL;
    nd->n_pods = 0;
}

/* Node slot idx, fresh for name: its ring zeroed, nothing known, most recently seen. */
static void node_reset(telem_store *st, int idx, const char *name)
{
    store_node *nd = &st->nodes[idx];
    float *ring = nd->ring;
    memset(nd, 0, sizeof *nd);
    memset(ring, 0, (size_t)st->T * KISIM_F * sizeof *ring);
    nd->ring = ring;
    snprintf(nd->name, sizeof nd->name, "%s", name);
    nd->hash = hash_name(nd->name);
    nd->last_ms = INT64_MIN;
    nd->prev = nd->next = nd->pprev = nd->pnext = -1;
    table_insert(st, idx);
    list_append(st, &st->seen, idx, 0);
}

/* Makes room for one more node: a bigger array and index, or (full) the least recently seen
 * node's slot, which is returned for reuse; -1 when room was made by growing; < -1 on OOM. */
static int make_room(telem_store *st)
{
    if (st->n >= TELEM_STORE_MAX_NODES) {
        int old = st->seen.head;
        drop_pods(st, old);
        list_remove(st, &st->seen, old, 0);
        table_delete(st, old);
        st->evicted_nodes++;
        return old;
    }
    if (st->n == st->cap) {
        int cap = st->cap ? 2 * st->cap : 64;
        store_node *nodes = realloc(st->nodes, (size_t)cap * sizeof *nodes);
        if (!nodes) return kisim_seterr(KISIM_ENOMEM, "telemetry store: out of memory");
        st->nodes = nodes;
        st->cap = cap;
    }
    if (2 * (st->n + 1) > st->table_cap) { /* load factor <= 1/2 */
        int tcap = st->table_cap ? 2 * st->table_cap : 128;
        int *table = calloc((size_t)tcap, sizeof *table);
        if (!table) return kisim_seterr(KISIM_ENOMEM, "telemetry store: out of memory");
        free(st->table);
        st->table = table;
        st->table_cap = tcap;
        for (int i = 0; i < st->n; i++)
            table_insert(st, i);
    }
    return -1;
}

/* The index of the node called name, created if new (most recently seen either way), or a
 * negative kisim_err (lock held for write). */
static int find_or_add(telem_store *st, const char *name)
{
    int idx = find(st, name);
    if (idx >= 0) {
        touch(st, idx);
        return idx;
    }
    int reuse = make_room(st);
    if (reuse < -1) return reuse;
    if (reuse >= 0) {
        node_reset(st, reuse, name);
        return reuse;
    }
    store_node *nd = &st->nodes[st->n];
    nd->ring = calloc((size_t)st->T * KISIM_F, sizeof *nd->ring);
    if (!nd->ring) return kisim_seterr(KISIM_ENOMEM, "telemetry store: out of memory");
    node_reset(st, st->n, name);
    return st->n++;
}

int telem_store_open(telem_store **out, int window, int stale_ms, kisim_clock_fn clock,
                     void *clock_arg)
{
    *out = NULL;
    if (window < 1 || window > TELEM_MAX_WINDOW)
        return kisim_seterr(KISIM_EUSAGE, "telemetry store: window %d outside [1, %d]", window,
                            TELEM_MAX_WINDOW);
    if (stale_ms <= 0)
        return kisim_seterr(KISIM_EUSAGE, "telemetry store: staleness limit must be > 0 ms");
    telem_store *st = calloc(1, sizeof *st);
    if (!st) return kisim_seterr(KISIM_ENOMEM, "telemetry store: out of memory");
    pthread_rwlock_init(&st->lock, NULL);
    st->T = window;
    st->stale_ms = stale_ms;
    st->clock = clock ? clock : monotonic_ms;
    st->clock_arg = clock_arg;
    st->wall = wall_ms;
    st->seen = st->with_pods = (store_list){-1, -1};
    *out = st;
    return 0;
}

void telem_store_set_wall_clock(telem_store *st, kisim_clock_fn wall, void *arg)
{
    st->wall = wall ? wall : wall_ms;
    st->wall_arg = arg;
}

/* The frees of close that are not the receiver's (store_recv.c calls it). */
void telem_store_free_nodes(telem_store *st)
{
    for (int i = 0; i < st->n; i++) {
        free(st->nodes[i].ring);
        free(st->nodes[i].pods);
    }
    free(st->nodes);
    free(st->table);
    pthread_rwlock_destroy(&st->lock);
}

/* Drops the least recently seen nodes' pods (never `keep`'s) until `more` pods fit. */
static void pod_budget(telem_store *st, int keep, int more)
{
    while (st->total_pods + more > TELEM_STORE_MAX_PODS && st->with_pods.head >= 0) {
        int old = st->with_pods.head;
        if (old == keep) break; /* cannot happen: keep's pods were dropped first */
        st->evicted_pods += (uint64_t)st->nodes[old].n_pods;
        drop_pods(st, old);
    }
}

/* KISIM_EINPUT and the reason when ts_ms is outside [wall - stale, wall + ahead]. */
static int check_time(const telem_store *st, const telem_frame *f, int64_t wall, telem_refusal *why)
{
    if (f->ts_ms < wall - st->stale_ms) {
        *why = TELEM_REFUSED_STALE;
        return kisim_seterr(KISIM_EINPUT,
                            "telemetry frame: node %s: ts_ms %lld is %lld ms old, past the "
                            "staleness limit (%d ms)",
                            f->node, (long long)f->ts_ms, (long long)(wall - f->ts_ms),
                            st->stale_ms);
    }
    if (f->ts_ms > wall + TELEM_MAX_AHEAD_MS) {
        *why = TELEM_REFUSED_FUTURE;
        return kisim_seterr(KISIM_EINPUT,
                            "telemetry frame: node %s: ts_ms %lld is %lld ms ahead of this "
                            "host's clock (at most %d)",
                            f->node, (long long)f->ts_ms, (long long)(f->ts_ms - wall),
                            TELEM_MAX_AHEAD_MS);
    }
    return 0;
}

/* The sample into node nd's ring, with the frame's orchestrator features. */
static void record_sample(telem_store *st, store_node *nd, const telem_frame *f)
{
    memcpy(nd->ring + (size_t)nd->head * KISIM_F, f->features, sizeof f->features);
    nd->head = (nd->head + 1) % st->T;
    if (nd->count < st->T) nd->count++;
    memcpy(nd->avail, f->available, sizeof nd->avail);
    for (int k = 0; k < KISIM_F_ORCH; k++)
        if (f->available[KISIM_F_MEASURED + k]) {
            nd->orch[k] = f->features[KISIM_F_MEASURED + k];
            nd->orch_known[k] = 1;
        }
}

int telem_store_put(telem_store *st, const telem_frame *f)
{
    telem_refusal why = TELEM_REFUSED_MALFORMED;
    int err = f->n_pods < 0 || f->n_pods > TELEM_FRAME_MAX_PODS
                  ? (why = TELEM_REFUSED_TOO_MANY_PODS,
                     kisim_seterr(KISIM_EINPUT, "telemetry frame: node %s: %d pods, more than %d",
                                  f->node, f->n_pods, TELEM_FRAME_MAX_PODS))
                  : 0;
    telem_frame_pod *pods = NULL;
    if (!err && f->n_pods) {
        pods = malloc((size_t)f->n_pods * sizeof *pods);
        if (!pods) return kisim_seterr(KISIM_ENOMEM, "telemetry store: out of memory");
        memcpy(pods, f->pods, (size_t)f->n_pods * sizeof *pods);
    }
    int64_t now = st->clock(st->clock_arg), wall = st->wall(st->wall_arg);
    pthread_rwlock_wrlock(&st->lock);
    if (!err) err = check_time(st, f, wall, &why);
    int idx = err ? err : find_or_add(st, f->node);
    if (idx < 0) {
        if (err) st->refused[why]++;
        pthread_rwlock_unlock(&st->lock);
        free(pods);
        return idx;
    }
    store_node *nd = &st->nodes[idx];
    record_sample(st, nd, f);
    /* Dated by when it was measured, so a frame delayed in transit is that much nearer stale. */
    nd->last_ms = now - (wall > f->ts_ms ? wall - f->ts_ms : 0);
    drop_pods(st, idx);
    pod_budget(st, idx, f->n_pods);
    nd->pods = pods;
    nd->n_pods = f->n_pods;
    st->total_pods += f->n_pods;
    if (f->n_pods) list_append(st, &st->with_pods, idx, 1);
    st->frames_ok++;
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
    uint64_t bad = 0;
    for (int r = 0; r < TELEM_N_REFUSALS; r++)
        bad += st->refused[r];
    if (frames_bad) *frames_bad = bad;
    pthread_rwlock_unlock(&st->lock);
}

void telem_store_tally_get(telem_store *st, telem_store_tally *t)
{
    pthread_rwlock_rdlock(&st->lock);
    t->frames_ok = st->frames_ok;
    memcpy(t->refused, st->refused, sizeof t->refused);
    t->evicted_nodes = st->evicted_nodes;
    t->evicted_pods = st->evicted_pods;
    t->keys_refused = st->keys_refused;
    t->pods = st->total_pods;
    pthread_rwlock_unlock(&st->lock);
}

void telem_store_count_refusal(telem_store *st, telem_refusal why)
{
    pthread_rwlock_wrlock(&st->lock);
    st->refused[why]++;
    pthread_rwlock_unlock(&st->lock);
}

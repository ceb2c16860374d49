/* shadow.c: the shadow-mode decision log (shadow.h). Lines are built in memory and written with
 * one write(2) on an O_APPEND descriptor. */
#include "scheduler/shadow.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/err.h"

struct shadow_log {
    int fd;
    pthread_mutex_t lock;
    uint64_t step;
};

int shadow_open(shadow_log **out, const char *path)
{
    *out = NULL;
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        return kisim_seterr(KISIM_EIO, "shadow log %s: cannot open it: %s", path, strerror(errno));
    shadow_log *l = calloc(1, sizeof *l);
    if (!l) {
        close(fd);
        return kisim_seterr(KISIM_ENOMEM, "shadow log: out of memory");
    }
    l->fd = fd;
    pthread_mutex_init(&l->lock, NULL);
    *out = l;
    return 0;
}

void shadow_close(shadow_log *l)
{
    if (!l) return;
    close(l->fd);
    pthread_mutex_destroy(&l->lock);
    free(l);
}

typedef struct {
    char *buf;
    size_t len, cap;
    int oom;
} text;

static void put(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(text *t, const char *fmt, ...)
{
    if (t->oom) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            t->oom = 1;
            return;
        }
        if (t->len + (size_t)n < t->cap) {
            t->len += (size_t)n;
            return;
        }
        size_t cap = 2 * (t->cap + (size_t)n);
        char *b = realloc(t->buf, cap);
        if (!b) {
            t->oom = 1;
            return;
        }
        t->buf = b;
        t->cap = cap;
    }
}

static void floats(text *t, const char *key, const float *v, size_t n)
{
    put(t, ",\"%s\":[", key);
    for (size_t i = 0; i < n; i++)
        put(t, i ? ",%.6g" : "%.6g", (double)v[i]);
    put(t, "]");
}

int shadow_write(shadow_log *l, const score_request *req, int T, const float *nodes,
                 const float *avail, const uint8_t *mask, const score_reply *computed)
{
    int n = req->n, chosen = -1, F = KISIM_F;
    for (int i = 0; i < n; i++)
        if (mask[i] && (chosen < 0 || computed->nodes[i].score > computed->nodes[chosen].score))
            chosen = i;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    text t = {malloc(65536), 0, 65536, 0};
    if (!t.buf) return kisim_seterr(KISIM_ENOMEM, "shadow log: out of memory");
    pthread_mutex_lock(&l->lock);
    uint64_t step = l->step++;
    pthread_mutex_unlock(&l->lock);
    put(&t, "{\"episode\":0,\"seed\":0,\"step\":%llu,\"n\":%d,\"T\":%d", (unsigned long long)step,
        n, T);
    floats(&t, "nodes", nodes, (size_t)n * T * F);
    floats(&t, "availability", avail, F);
    floats(&t, "pod", req->pod, KISIM_P);
    put(&t, ",\"node_mask\":[");
    for (int i = 0; i < n; i++)
        put(&t, i ? ",%d" : "%d", mask[i] != 0);
    put(&t, "],\"chosen\":%d,\"oracle\":-1,\"outcome\":\"unknown\",\"labels\":{\"bootstrap\":[",
        chosen);
    for (int i = 0; i < n; i++) {
        const float *w = nodes + ((size_t)i * T + T - 1) * F;
        double b = mask[i] ? 0.4 * (1 - w[FEAT_CPU_UTILIZATION]) +
                                 0.4 * (1 - w[FEAT_MEMORY_UTILIZATION]) +
                                 0.2 * (1 - w[FEAT_L3_CACHE_MISS_RATE])
                           : 0;
        put(&t, i ? ",%.6g" : "%.6g", b);
    }
    put(&t, "]},\"ts_ms\":%lld,\"node_names\":[",
        (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000);
    for (int i = 0; i < n; i++)
        put(&t, i ? ",\"%s\"" : "\"%s\"", req->nodes[i]); /* names are checked: no quotes */
    put(&t, "],\"scores\":[");
    for (int i = 0; i < n; i++)
        put(&t, i ? ",%d" : "%d", computed->nodes[i].score);
    put(&t, "],\"confidence\":[");
    for (int i = 0; i < n; i++)
        put(&t, i ? ",%.4f" : "%.4f", (double)computed->nodes[i].confidence);
    put(&t, "],\"link\":\"%s\",\"version\":\"%s\"}\n", score_link_name(computed->link),
        computed->version);
    int err = 0;
    if (t.oom)
        err = kisim_seterr(KISIM_ENOMEM, "shadow log: out of memory");
    else if (write(l->fd, t.buf, t.len) != (ssize_t)t.len)
        err = kisim_seterr(KISIM_EIO, "shadow log: write failed: %s", strerror(errno));
    free(t.buf);
    return err;
}

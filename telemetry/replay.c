/* replay.c: reading, replaying and recording telemetry frame files (replay.h). */
#include "telemetry/replay.h"
#include "common/clock.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zmq.h>

#include "common/cli_args.h"
#include "common/err.h"
#include "common/log.h"
#include "telemetry/auth.h"
#include "telemetry/frame.h"

void telem_recording_free(telem_recording *r)
{
    for (int i = 0; i < r->n; i++)
        free(r->lines[i]), free(r->nodes[i]);
    free(r->lines);
    free(r->nodes);
    free(r->ts);
    free(r->ts_at);
    free(r->ts_len);
    memset(r, 0, sizeof *r);
}

/* Where the top-level ts_ms number is in a line that parsed as a frame: the "ts_ms" key that a
 * number follows (a node or pod may be called ts_ms, but a name is followed by ',', '}' or an
 * object, and names hold no quotes, so no other match is possible). */
static int find_ts(const char *line, int *at, int *len)
{
    for (const char *p = strstr(line, "\"ts_ms\""); p; p = strstr(p + 1, "\"ts_ms\"")) {
        const char *q = p + 7;
        q += strspn(q, " \t\r\n");
        if (*q != ':') continue;
        q++;
        q += strspn(q, " \t\r\n");
        size_t n = strspn(q, "0123456789+-.eE");
        if (n == 0) continue;
        *at = (int)(q - line);
        *len = (int)n;
        return 0;
    }
    return kisim_seterr(KISIM_EINTERNAL, "telemetry recording: no ts_ms number in a frame");
}

/* Room for one more frame in r's arrays. */
static int grow(telem_recording *r, int *rcap)
{
    if (r->n < *rcap) return 0;
    int cap = *rcap ? 2 * *rcap : 256;
    char **l = realloc(r->lines, (size_t)cap * sizeof *l);
    if (l) r->lines = l;
    char **nd = l ? realloc(r->nodes, (size_t)cap * sizeof *nd) : NULL;
    if (nd) r->nodes = nd;
    long long *ts = nd ? realloc(r->ts, (size_t)cap * sizeof *ts) : NULL;
    if (ts) r->ts = ts;
    int *at = ts ? realloc(r->ts_at, (size_t)cap * sizeof *at) : NULL;
    if (at) r->ts_at = at;
    int *len = at ? realloc(r->ts_len, (size_t)cap * sizeof *len) : NULL;
    if (len) r->ts_len = len;
    if (!len) return kisim_seterr(KISIM_ENOMEM, "telemetry recording: out of memory");
    *rcap = cap;
    return 0;
}

int telem_recording_read(telem_recording *r, const char *path)
{
    memset(r, 0, sizeof *r);
    FILE *f = fopen(path, "rb");
    if (!f)
        return kisim_seterr(KISIM_EINPUT, "telemetry recording %s: cannot open it: %s", path,
                            strerror(errno));
    char *buf = NULL;
    size_t cap = 0;
    ssize_t got;
    int line = 0, err = 0, rcap = 0;
    while (!err && (got = getline(&buf, &cap, f)) > 0) {
        line++;
        while (got > 0 && (buf[got - 1] == '\n' || buf[got - 1] == '\r'))
            buf[--got] = 0;
        if (got == 0 || buf[0] == '#') continue;
        telem_frame fr;
        if (telem_frame_parse(&fr, buf, (size_t)got)) {
            /* The message is formatted into the buffer kisim_errmsg() points at: copy it first. */
            char why[512];
            snprintf(why, sizeof why, "%s", kisim_errmsg());
            err = kisim_seterr(KISIM_EINPUT, "%s:%d: %s", path, line, why);
            break;
        }
        err = grow(r, &rcap);
        if (!err) err = find_ts(buf, &r->ts_at[r->n], &r->ts_len[r->n]);
        if (!err) {
            r->lines[r->n] = strdup(buf);
            r->nodes[r->n] = strdup(fr.node);
            r->ts[r->n] = fr.ts_ms;
            if (!r->lines[r->n] || !r->nodes[r->n]) {
                free(r->lines[r->n]), free(r->nodes[r->n]);
                err = kisim_seterr(KISIM_ENOMEM, "telemetry recording: out of memory");
            } else {
                r->n++;
            }
        }
        telem_frame_free(&fr);
    }
    free(buf);
    fclose(f);
    if (!err && r->n == 0)
        err = kisim_seterr(KISIM_EINPUT, "telemetry recording %s: no frames in it", path);
    if (err) telem_recording_free(r);
    return err;
}

static void sleep_s(double s)
{
    if (s <= 0) return;
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* The PUB socket of a replay: CURVE client if asked, bound or connected. */
static int open_pub(void *ctx, void **out, const telem_replay_opts *o)
{
    void *pub = zmq_socket(ctx, ZMQ_PUB);
    int err = 0, hwm = 1000000, linger = 2000;
    *out = pub;
    if (!pub) return kisim_seterr(KISIM_ENOMEM, "telemetry replay: no ZeroMQ socket");
    zmq_setsockopt(pub, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(pub, ZMQ_LINGER, &linger, sizeof linger);
    if (o->curve_secret && (err = telem_curve_client(pub, o->curve_secret, o->curve_server)))
        return err;
    if (o->publish && zmq_bind(pub, o->publish) != 0)
        return kisim_seterr(KISIM_EUSAGE, "telemetry replay: cannot bind %s: %s", o->publish,
                            zmq_strerror(errno));
    if (o->connect && zmq_connect(pub, o->connect) != 0)
        return kisim_seterr(KISIM_EUSAGE, "telemetry replay: cannot connect to %s: %s", o->connect,
                            zmq_strerror(errno));
    return 0;
}

/* Sends frame i, its ts_ms replaced by the wall clock unless keep_time. buf holds a frame and a
 * timestamp (TELEM_FRAME_MAX_BODY + 32 bytes). Returns 0, 1 when interrupted, or an error. */
static int send_frame(void *pub, const telem_recording *r, int i, int keep_time, char *buf)
{
    char topic[TELEM_FRAME_NAME_MAX + 16];
    int tl = snprintf(topic, sizeof topic, "%s%s", TELEM_FRAME_TOPIC_PREFIX, r->nodes[i]);
    const char *body = r->lines[i];
    size_t len = strlen(body);
    if (!keep_time) {
        size_t at = (size_t)r->ts_at[i], rest = len - at - (size_t)r->ts_len[i];
        memcpy(buf, body, at);
        int nl = snprintf(buf + at, 32, "%lld", (long long)clock_wall_ms());
        memcpy(buf + at + nl, body + at + r->ts_len[i], rest);
        len = at + (size_t)nl + rest;
        body = buf;
    }
    if (zmq_send(pub, topic, (size_t)tl, ZMQ_SNDMORE) >= 0 && zmq_send(pub, body, len, 0) >= 0)
        return 0;
    if (errno == EINTR) return 1;
    return kisim_seterr(KISIM_EIO, "telemetry replay: send failed: %s", zmq_strerror(errno));
}

/* Between one pass and the next the recording gives no spacing: its sampling period (the
 * smallest positive gap between frames, at most 10 s) keeps a looped recording's rate. */
static double recording_period(const telem_recording *r)
{
    double period = 0;
    for (int i = 1; i < r->n; i++) {
        double gap = (double)(r->ts[i] - r->ts[i - 1]) / 1000.0;
        if (gap > 0 && (period == 0 || gap < period)) period = gap;
    }
    return period > 10 ? 10 : period;
}

int telem_replay(const telem_recording *r, const telem_replay_opts *o, atomic_int *stop, long *sent)
{
    *sent = 0;
    void *ctx = zmq_ctx_new(), *pub = NULL;
    char *buf = malloc(TELEM_FRAME_MAX_BODY + 32);
    int err = !ctx || !buf ? kisim_seterr(KISIM_ENOMEM, "telemetry replay: out of memory")
                           : open_pub(ctx, &pub, o);
    if (err) goto cleanup;
    sleep_s(o->wait_ms / 1000.0);
    double period = recording_period(r);
    log_progress prog;
    long total = o->loops > 0 ? (long)o->loops * r->n : 0;
    if (o->progress) log_progress_begin(&prog, "replay", "frames", total);
    double t0 = clock_mono_s(), next = t0;
    for (int loop = 0; !atomic_load(stop) && (o->loops == 0 || loop < o->loops); loop++)
        for (int i = 0; !atomic_load(stop) && i < r->n; i++) {
            if (o->rate > 0)
                next = t0 + (double)*sent / o->rate;
            else if (i > 0) {
                double gap = (double)(r->ts[i] - r->ts[i - 1]) / 1000.0;
                next += gap < 0 ? 0 : gap > 10 ? 10 : gap;
            } else if (loop > 0) {
                next += period;
            }
            sleep_s(next - clock_mono_s());
            int rc = send_frame(pub, r, i, o->keep_time, buf);
            if (rc < 0) {
                err = rc;
                goto cleanup;
            }
            if (rc > 0) continue;
            (*sent)++;
            if (o->progress && total) log_progress_update(&prog, *sent);
        }
cleanup:
    free(buf);
    if (pub) zmq_close(pub);
    if (ctx) zmq_ctx_term(ctx);
    return err;
}

typedef struct {
    char *buf;
    size_t len, cap;
} text;

static int append(text *t, const void *data, size_t n)
{
    if (t->len + n + 2 > t->cap) {
        size_t cap = 2 * (t->cap + n + 2);
        char *b = realloc(t->buf, cap);
        if (!b) return kisim_seterr(KISIM_ENOMEM, "telemetry record: out of memory");
        t->buf = b;
        t->cap = cap;
    }
    memcpy(t->buf + t->len, data, n);
    t->len += n;
    t->buf[t->len++] = '\n';
    t->buf[t->len] = 0;
    return 0;
}

int telem_record(const char *path, const char *bind, const char *const *connect, int n_connect,
                 long max_frames, double max_seconds, atomic_int *stop, long *recorded, long *bad)
{
    *recorded = *bad = 0;
    void *ctx = zmq_ctx_new(), *sub = ctx ? zmq_socket(ctx, ZMQ_SUB) : NULL;
    text t = {0};
    int err = 0, linger = 0;
    if (!sub) {
        err = kisim_seterr(KISIM_ENOMEM, "telemetry record: no ZeroMQ context or socket");
        goto cleanup;
    }
    zmq_setsockopt(sub, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, TELEM_FRAME_TOPIC_PREFIX, strlen(TELEM_FRAME_TOPIC_PREFIX));
    if (bind && zmq_bind(sub, bind) != 0) {
        err = kisim_seterr(KISIM_EUSAGE, "telemetry record: cannot bind %s: %s", bind,
                           zmq_strerror(errno));
        goto cleanup;
    }
    for (int i = 0; i < n_connect; i++)
        if (zmq_connect(sub, connect[i]) != 0) {
            err = kisim_seterr(KISIM_EUSAGE, "telemetry record: cannot connect to %s: %s",
                               connect[i], zmq_strerror(errno));
            goto cleanup;
        }
    double end = max_seconds > 0 ? clock_mono_s() + max_seconds : 0;
    while (!atomic_load(stop) && (max_frames <= 0 || *recorded < max_frames) &&
           (end == 0 || clock_mono_s() < end)) {
        zmq_pollitem_t it = {sub, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&it, 1, 100) <= 0) continue;
        zmq_msg_t parts[2];
        int n = 0, more = 1;
        while (more) {
            zmq_msg_t m;
            zmq_msg_init(&m);
            if (zmq_msg_recv(&m, sub, 0) < 0) {
                zmq_msg_close(&m);
                break;
            }
            more = zmq_msg_more(&m);
            if (n < 2) { /* moved with zmq_msg_move, never copied by value */
                zmq_msg_init(&parts[n]);
                zmq_msg_move(&parts[n], &m);
            }
            zmq_msg_close(&m);
            n++;
        }
        telem_frame f;
        int ok = n == 2 && !telem_frame_parse(&f, zmq_msg_data(&parts[1]), zmq_msg_size(&parts[1]));
        if (ok) {
            ok = !telem_frame_check_topic(&f, zmq_msg_data(&parts[0]), zmq_msg_size(&parts[0]));
            telem_frame_free(&f);
        }
        if (ok) err = append(&t, zmq_msg_data(&parts[1]), zmq_msg_size(&parts[1]));
        for (int i = 0; i < (n < 2 ? n : 2); i++)
            zmq_msg_close(&parts[i]);
        if (err) goto cleanup;
        if (ok)
            (*recorded)++;
        else
            (*bad)++;
    }
    err = write_file_atomic(path, t.buf ? t.buf : "");
cleanup:
    free(t.buf);
    if (sub) zmq_close(sub);
    if (ctx) zmq_ctx_term(ctx);
    return err;
}

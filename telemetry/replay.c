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
#include "telemetry/frame.h"

void telem_recording_free(telem_recording *r)
{
    for (int i = 0; i < r->n; i++)
        free(r->lines[i]), free(r->nodes[i]);
    free(r->lines);
    free(r->nodes);
    free(r->ts);
    memset(r, 0, sizeof *r);
}

int telem_recording_read(telem_recording *r, const char *path)
{
    memset(r, 0, sizeof *r);
    FILE *f = fopen(path, "rb");
    if (!f)
        return kisim_seterr(KISIM_EIO, "telemetry recording %s: cannot open it: %s", path,
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
        if (r->n == rcap) {
            rcap = rcap ? 2 * rcap : 256;
            char **l = realloc(r->lines, (size_t)rcap * sizeof *l),
                 **nd = l ? realloc(r->nodes, (size_t)rcap * sizeof *nd) : NULL;
            long long *ts = nd ? realloc(r->ts, (size_t)rcap * sizeof *ts) : NULL;
            if (l) r->lines = l;
            if (nd) r->nodes = nd;
            if (ts) r->ts = ts;
            if (!ts) err = kisim_seterr(KISIM_ENOMEM, "telemetry recording: out of memory");
        }
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

int telem_replay(const telem_recording *r, const telem_replay_opts *o, atomic_int *stop, long *sent)
{
    *sent = 0;
    void *ctx = zmq_ctx_new(), *pub = ctx ? zmq_socket(ctx, ZMQ_PUB) : NULL;
    int err = 0, hwm = 1000000, linger = 2000;
    if (!pub) {
        err = kisim_seterr(KISIM_ENOMEM, "telemetry replay: no ZeroMQ context or socket");
        goto cleanup;
    }
    zmq_setsockopt(pub, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(pub, ZMQ_LINGER, &linger, sizeof linger);
    if (o->publish && zmq_bind(pub, o->publish) != 0) {
        err = kisim_seterr(KISIM_EUSAGE, "telemetry replay: cannot bind %s: %s", o->publish,
                           zmq_strerror(errno));
        goto cleanup;
    }
    if (o->connect && zmq_connect(pub, o->connect) != 0) {
        err = kisim_seterr(KISIM_EUSAGE, "telemetry replay: cannot connect to %s: %s", o->connect,
                           zmq_strerror(errno));
        goto cleanup;
    }
    sleep_s(o->wait_ms / 1000.0);
    /* Between one pass and the next the recording gives no spacing: wait its sampling period
     * there (the smallest positive gap between frames), so a looped recording keeps its rate. */
    double period = 0;
    for (int i = 1; i < r->n; i++) {
        double gap = (double)(r->ts[i] - r->ts[i - 1]) / 1000.0;
        if (gap > 0 && (period == 0 || gap < period)) period = gap;
    }
    if (period > 10) period = 10;
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
            char topic[TELEM_FRAME_NAME_MAX + 16];
            int tl = snprintf(topic, sizeof topic, "%s%s", TELEM_FRAME_TOPIC_PREFIX, r->nodes[i]);
            if (zmq_send(pub, topic, (size_t)tl, ZMQ_SNDMORE) < 0 ||
                zmq_send(pub, r->lines[i], strlen(r->lines[i]), 0) < 0) {
                if (errno == EINTR) continue;
                err = kisim_seterr(KISIM_EIO, "telemetry replay: send failed: %s",
                                   zmq_strerror(errno));
                goto cleanup;
            }
            (*sent)++;
            if (o->progress && total) log_progress_update(&prog, *sent);
        }
cleanup:
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

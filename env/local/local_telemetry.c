/* local_telemetry.c: the local backend's telemetry, as the ring the observation reads. One `kisim
 * collect` child measures every node cgroup and connects its PUB socket to our SUB (an ipc endpoint
 * in the instance's folder); each frame (telemetry/frame.h) adds to its node's sums, and at the end
 * of each decision interval the mean becomes one sample of the node's telemetry window, as the
 * sim takes one sample per interval. The orchestrator features come from the backend's own
 * bookkeeping, exact and current. */
#include "common/clock.h"
#include "env/local/local_internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include "common/err.h"
#include "common/log.h"
#include "env/core/interrupt.h"
#include "env/core/obs.h"
#include "telemetry/frame.h"

static int collector_log_error(local *l, const char *what)
{
    char path[PATH_MAX + 32], tail[512] = "";
    snprintf(path, sizeof path, "%s/collect.log", l->dir);
    FILE *f = fopen(path, "r");
    if (f) {
        fseek(f, 0, SEEK_END);
        long size = ftell(f);
        fseek(f, size > (long)sizeof tail - 1 ? size - (long)sizeof tail + 1 : 0, SEEK_SET);
        size_t n = fread(tail, 1, sizeof tail - 1, f);
        tail[n] = 0;
        fclose(f);
        while (n && (tail[n - 1] == '\n' || tail[n - 1] == ' '))
            tail[--n] = 0;
    }
    const char *last = strrchr(tail, '\n');
    return kisim_seterr(KISIM_EIO, "local: the collector (kisim collect) %s: %s (log %s)", what,
                        last      ? last + 1
                        : tail[0] ? tail
                                  : "no output",
                        path);
}

int local__collector_start(local *l)
{
    char rel[PATH_MAX + 16], log[PATH_MAX + 32];
    snprintf(l->endpoint, sizeof l->endpoint, "ipc://%s/t.ipc", l->dir);
    if (strlen(l->endpoint) - 6 >= 107)
        return kisim_seterr(KISIM_ECONFIG,
                            "local: /local/run_dir: %s is too long for a Unix "
                            "socket path",
                            l->dir);
    l->zctx = zmq_ctx_new();
    l->sub = l->zctx ? zmq_socket(l->zctx, ZMQ_SUB) : NULL;
    int linger = 0;
    if (!l->sub || zmq_setsockopt(l->sub, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        zmq_setsockopt(l->sub, ZMQ_SUBSCRIBE, TELEM_FRAME_TOPIC_PREFIX,
                       strlen(TELEM_FRAME_TOPIC_PREFIX)) != 0 ||
        zmq_bind(l->sub, l->endpoint) != 0)
        return kisim_seterr(KISIM_EIO, "local: cannot bind the telemetry socket %s: %s",
                            l->endpoint, zmq_strerror(zmq_errno()));

    /* kisim collect --node n0=PARENT/INSTANCE/n0 ... --connect ENDPOINT --interval-ms M */
    char **argv = calloc((size_t)(2 * l->base.n_nodes + 8), sizeof *argv);
    char *specs = calloc((size_t)l->base.n_nodes, LOCAL_REL_MAX);
    char interval[16];
    int err = 0;
    if (!argv || !specs) err = kisim_seterr(KISIM_ENOMEM, "local: out of memory");
    int k = 0;
    if (!err) {
        argv[k++] = l->kisim;
        argv[k++] = "collect";
        for (int i = 0; i < l->base.n_nodes; i++) {
            char *s = specs + (size_t)i * LOCAL_REL_MAX;
            snprintf(s, LOCAL_REL_MAX, "%s=%s", l->nodes[i].name, l->nodes[i].cgroup);
            argv[k++] = "--node";
            argv[k++] = s;
        }
        snprintf(interval, sizeof interval, "%d", l->cfg.local.collect_interval_ms);
        argv[k++] = "--connect";
        argv[k++] = l->endpoint;
        argv[k++] = "--interval-ms";
        argv[k++] = interval;
        argv[k] = NULL;
        snprintf(rel, sizeof rel, "%s/collector", l->inst_rel);
        snprintf(log, sizeof log, "%s/collect.log", l->dir);
        err = local_cgroup_make(&l->cg, rel);
    }
    if (!err) err = local_cgroup_spawn(&l->cg, rel, argv, log, &l->collector);
    free(argv);
    free(specs);
    if (err) return err;
    /* Wait for a frame of every node, so that a collector that cannot run says why now. */
    double deadline = clock_mono_s() + l->cfg.local.startup_timeout_s;
    long seen = 0;
    while (!err) {
        err = local__receive_until(l, clock_mono_s() + 0.2);
        int all = 1;
        for (int i = 0; i < l->base.n_nodes; i++)
            all &= l->acc_n[(size_t)i * KISIM_F] > 0 || l->acc_n[(size_t)i * KISIM_F + 2] > 0;
        if (err || (all && l->frames > seen)) break;
        seen = l->frames;
        if (waitpid(l->collector, NULL, WNOHANG) == l->collector) {
            l->collector = 0;
            return collector_log_error(l, "exited at start-up");
        }
        if (clock_mono_s() > deadline)
            return collector_log_error(l, "sent no frame for every node in time");
    }
    return err;
}

void local__collector_stop(local *l)
{
    if (l->collector > 0) {
        kill(l->collector, SIGTERM);
        double deadline = clock_mono_s() + 3;
        while (waitpid(l->collector, NULL, WNOHANG) == 0 && clock_mono_s() < deadline)
            usleep(10000);
        kill(l->collector, SIGKILL);
        waitpid(l->collector, NULL, 0);
        l->collector = 0;
    }
    if (l->sub) zmq_close(l->sub);
    if (l->zctx) zmq_ctx_term(l->zctx);
    l->sub = l->zctx = NULL;
}

static int node_index(const local *l, const char *name)
{
    for (int i = 0; i < l->base.n_nodes; i++)
        if (!strcmp(l->nodes[i].name, name)) return i;
    return -1;
}

/* Receives one two-part message (topic, body) already waiting and adds it to its node's sums. */
static void take_frame(local *l)
{
    char topic[TELEM_FRAME_NAME_MAX + 16];
    int tn = zmq_recv(l->sub, topic, sizeof topic, ZMQ_DONTWAIT);
    if (tn < 0) return;
    int more = 0;
    size_t ml = sizeof more;
    zmq_getsockopt(l->sub, ZMQ_RCVMORE, &more, &ml);
    if (!more) {
        l->bad_frames++;
        return;
    }
    zmq_msg_t body;
    zmq_msg_init(&body);
    if (zmq_msg_recv(&body, l->sub, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&body);
        l->bad_frames++;
        return;
    }
    telem_frame f;
    memset(&f, 0, sizeof f);
    int err = telem_frame_parse(&f, zmq_msg_data(&body), zmq_msg_size(&body));
    if (!err)
        err = telem_frame_check_topic(&f, topic,
                                      (size_t)(tn < (int)sizeof topic ? tn : (int)sizeof topic));
    int node = err ? -1 : node_index(l, f.node);
    if (node < 0) {
        l->bad_frames++;
        if (l->bad_frames == 1)
            log_warn("local: a telemetry frame was dropped: %s",
                     err ? kisim_errmsg() : "unknown node");
    } else {
        l->frames++;
        for (int k = 0; k < KISIM_F_MEASURED; k++) {
            l->avail[k] = f.available[k];
            if (!f.available[k]) continue;
            l->acc[(size_t)node * KISIM_F + k] += f.features[k];
            l->acc_n[(size_t)node * KISIM_F + k]++;
        }
    }
    telem_frame_free(&f);
    zmq_msg_close(&body);
}

int local__receive_until(local *l, double until)
{
    for (;;) {
        if (env_interrupted()) return kisim_seterr(KISIM_ESTATE, "local: interrupted by a signal");
        double left = until - clock_mono_s();
        if (left <= 0) return 0;
        zmq_pollitem_t it = {l->sub, 0, ZMQ_POLLIN, 0};
        long ms = (long)(left * 1000) + 1;
        int n = zmq_poll(&it, 1, ms > 100 ? 100 : ms);
        if (n < 0 && zmq_errno() != EINTR)
            return kisim_seterr(KISIM_EIO, "local: telemetry socket: %s",
                                zmq_strerror(zmq_errno()));
        while (n > 0 && (it.revents & ZMQ_POLLIN)) {
            take_frame(l);
            n = zmq_poll(&it, 1, 0);
        }
    }
}

/* Writes the mean of this interval's frames, normalised, into ring slot `slot` (and its twin)
 * of every node, and clears the sums. A node without a frame this interval keeps its previous
 * sample's values. The orchestrator features are the node's requests now, as the sim samples
 * them (sim_telemetry.c), so older samples carry the requests of their time, not zeros. */
static void sample_into(local *l, int slot, int prev_slot)
{
    for (int i = 0; i < l->base.n_nodes; i++) {
        float *node_ring = l->base.ring + (size_t)i * 2 * l->base.ring_len * KISIM_F;
        float *dst = node_ring + (size_t)slot * KISIM_F,
              *twin = dst + (size_t)l->base.ring_len * KISIM_F;
        const float *prev = prev_slot >= 0 ? node_ring + (size_t)prev_slot * KISIM_F : NULL;
        double orch[KISIM_F];
        obs_orchestrator_features(&l->nodes[i].view, orch);
        for (int f = 0; f < KISIM_F; f++) {
            size_t k = (size_t)i * KISIM_F + f;
            float v = l->acc_n[k] ? feature_normalize(f, l->acc[k] / l->acc_n[k])
                      : prev      ? prev[f]
                                  : 0;
            if (f >= KISIM_F_MEASURED)
                v = feature_normalize(f, orch[f]);
            else if (!l->avail[f])
                v = 0;
            if (l->cfg.cluster.unavailable[f]) v = 0;
            dst[f] = twin[f] = v;
            l->acc[k] = 0;
            l->acc_n[k] = 0;
        }
    }
}

void local__sample(local *l)
{
    int prev = l->base.ring_head;
    l->base.ring_head = (l->base.ring_head + 1) % l->base.ring_len;
    sample_into(l, l->base.ring_head, prev);
}

void local__fill_window(local *l)
{
    sample_into(l, 0, -1);
    for (int i = 0; i < l->base.n_nodes; i++) {
        float *node_ring = l->base.ring + (size_t)i * 2 * l->base.ring_len * KISIM_F;
        for (int k = 1; k < 2 * l->base.ring_len; k++)
            memcpy(node_ring + (size_t)k * KISIM_F, node_ring, KISIM_F * sizeof *node_ring);
    }
    l->base.ring_head = 0;
}

/* The node's requests now, as the orchestrator knows them: these replace the newest sample's. */
void local__orchestrator(const void *env, int node, float *sample)
{
    const local *l = env;
    double x[KISIM_F];
    obs_orchestrator_features(&l->nodes[node].view, x);
    for (int f = KISIM_F_MEASURED; f < KISIM_F; f++)
        sample[f] = l->cfg.cluster.unavailable[f] ? 0 : feature_normalize(f, x[f]);
}

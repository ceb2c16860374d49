/* batch_client.c: the BatchScore C client (batch_client.h). */
#include "scheduler/batch_client.h"
#include "common/clock.h"
#include "common/json_strict.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <zmq.h>

#include "common/err.h"
#include "common/json_str.h"
#include "common/log.h"
#include "spaces/spaces.h"

#define MAX_REPLY_FRAMES 8

struct batch_client {
    void *ctx, *sock;
    int timeout_ms;
    int64_t next_id;
    char endpoint[256];
};

int batch_client_open(batch_client **out, const char *endpoint, int timeout_ms)
{
    *out = NULL;
    batch_client *c = calloc(1, sizeof *c);
    if (!c) return kisim_seterr(KISIM_ENOMEM, "score client: out of memory");
    snprintf(c->endpoint, sizeof c->endpoint, "%s", endpoint);
    c->timeout_ms = timeout_ms;
    c->next_id = 1;
    c->ctx = zmq_ctx_new();
    c->sock = c->ctx ? zmq_socket(c->ctx, ZMQ_DEALER) : NULL;
    int linger = 0;
    if (!c->sock || zmq_setsockopt(c->sock, ZMQ_LINGER, &linger, sizeof linger) ||
        zmq_connect(c->sock, endpoint) != 0) {
        int err = kisim_seterr(KISIM_EUSAGE, "score client: cannot connect to %s: %s", endpoint,
                               zmq_strerror(errno));
        batch_client_close(c);
        return err;
    }
    *out = c;
    return 0;
}

void batch_client_close(batch_client *c)
{
    if (!c) return;
    if (c->sock) zmq_close(c->sock);
    if (c->ctx) zmq_ctx_term(c->ctx);
    free(c);
}

static void close_all(zmq_msg_t *msgs, int n)
{
    for (int i = 0; i < n; i++)
        zmq_msg_close(&msgs[i]);
}

/* Receives one whole reply into msgs (at most MAX_REPLY_FRAMES kept); the delimiter dropped.
 * The first part is a blocking receive under ZMQ_RCVTIMEO (not zmq_poll then receive: fewer
 * system calls in a ~100 us round trip). */
static int receive(batch_client *c, zmq_msg_t *msgs, int *n, double deadline)
{
    *n = 0;
    for (;;) {
        int wait = (int)((deadline - clock_mono_s()) * 1000);
        if (wait < 1)
            return kisim_seterr(KISIM_ETIMEOUT, "score client: %s: no reply within %d ms",
                                c->endpoint, c->timeout_ms);
        zmq_setsockopt(c->sock, ZMQ_RCVTIMEO, &wait, sizeof wait);
        int more = 1, first = 1;
        while (more) {
            zmq_msg_t m;
            zmq_msg_init(&m);
            if (zmq_msg_recv(&m, c->sock, 0) < 0) {
                int e = errno;
                zmq_msg_close(&m);
                if (first && (e == EINTR || e == EAGAIN)) break; /* the time left decides */
                close_all(msgs, *n);
                *n = 0;
                return kisim_seterr(KISIM_EIO, "score client: %s: receive failed", c->endpoint);
            }
            more = zmq_msg_more(&m);
            if (first && zmq_msg_size(&m) == 0)
                zmq_msg_close(&m);
            else if (*n < MAX_REPLY_FRAMES)
                msgs[(*n)++] = m;
            else
                zmq_msg_close(&m);
            first = 0;
        }
        if (!first) return 0;
    }
}

/* Sends frames (header with id) and receives the reply whose id matches. */
static int roundtrip(batch_client *c, const void *const *data, const size_t *size, int n,
                     int64_t id, zmq_msg_t *msgs, int *n_msgs, cJSON **header)
{
    int bad = zmq_send(c->sock, "", 0, ZMQ_SNDMORE) < 0;
    for (int i = 0; !bad && i < n; i++)
        bad = zmq_send(c->sock, data[i], size[i], i + 1 < n ? ZMQ_SNDMORE : 0) < 0;
    if (bad)
        return kisim_seterr(KISIM_EIO, "score client: %s: send failed: %s", c->endpoint,
                            zmq_strerror(errno));
    double deadline = clock_mono_s() + c->timeout_ms / 1000.0;
    for (;;) {
        int err = receive(c, msgs, n_msgs, deadline);
        if (err) return err;
        cJSON *h =
            *n_msgs ? json_strict_parse(zmq_msg_data(&msgs[0]), zmq_msg_size(&msgs[0]), NULL, NULL)
                    : NULL;
        const cJSON *rid = cJSON_GetObjectItemCaseSensitive(h, "id");
        if (id < 0 || (cJSON_IsNumber(rid) && (int64_t)rid->valuedouble == id) || !h) {
            *header = h;
            if (!h) {
                close_all(msgs, *n_msgs);
                return kisim_seterr(KISIM_EPROTOCOL, "score client: %s: reply header is not JSON",
                                    c->endpoint);
            }
            return 0;
        }
        cJSON_Delete(h); /* a late reply to an abandoned request */
        close_all(msgs, *n_msgs);
    }
}

static int server_error(const batch_client *c, const cJSON *h)
{
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(h, "error");
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(e, "code"),
                *msg = cJSON_GetObjectItemCaseSensitive(e, "message");
    return kisim_seterr(KISIM_EPROTOCOL, "score client: %s: %s: %s", c->endpoint,
                        cJSON_IsString(code) ? code->valuestring : "?",
                        cJSON_IsString(msg) ? msg->valuestring : "?");
}

/* The request's JSON header, written directly: with cJSON, building it was a tenth of a
 * 100-node round trip (an object per name, and two printf/scanf passes per number). Floats are
 * printed with 9 significant digits, which read back as the same float. */
static char *request_header(const score_request *req, int64_t id)
{
    size_t cap = 256 + (size_t)KISIM_P * 20 + (size_t)KISIM_F * 2;
    for (int i = 0; i < req->n; i++)
        cap += json_str_cap(req->nodes[i]) + 1;
    char *h = malloc(cap), *p = h;
    if (!h) return NULL;
    p += sprintf(p, "{\"v\":1,\"cmd\":\"score\",\"id\":%lld,\"nodes\":[", (long long)id);
    for (int i = 0; i < req->n; i++) {
        if (i) *p++ = ',';
        p += json_str_put(p, req->nodes[i]);
    }
    p += sprintf(p, "],\"pod\":[");
    for (int k = 0; k < KISIM_P; k++) {
        float v = req->pod[k];
        if (v == (float)(int)v && fabsf(v) < 1e6f)
            p += sprintf(p, "%s%d", k ? "," : "", (int)v);
        else
            p += sprintf(p, "%s%.9g", k ? "," : "", (double)v);
    }
    *p++ = ']';
    if (req->telemetry) {
        p += sprintf(p, ",\"T\":%d", req->T);
        if (req->available) {
            p += sprintf(p, ",\"available\":[");
            for (int f = 0; f < KISIM_F; f++)
                p += sprintf(p, "%s%d", f ? "," : "", req->available[f] != 0);
            *p++ = ']';
        }
    }
    if (req->orch) p += sprintf(p, ",\"orch\":true");
    *p++ = '}';
    *p = 0;
    return h;
}

int batch_client_score(batch_client *c, const score_request *req, batch_result *res)
{
    memset(res, 0, sizeof *res);
    for (int k = 0; k < KISIM_P; k++)
        if (!isfinite(req->pod[k]))
            return kisim_seterr(KISIM_EINPUT, "score client: pod[%d] (%s) is not a finite number",
                                k, pod_context_names[k]);
    int64_t id = c->next_id++;
    char *header = request_header(req, id);
    if (!header) return kisim_seterr(KISIM_ENOMEM, "score client: out of memory");
    const void *data[3] = {header};
    size_t size[3] = {strlen(header)};
    int nf = 1;
    if (req->telemetry)
        data[nf] = req->telemetry, size[nf++] = (size_t)req->n * req->T * KISIM_F * sizeof(float);
    if (req->orch) data[nf] = req->orch, size[nf++] = (size_t)req->n * KISIM_F_ORCH * sizeof(float);
    zmq_msg_t msgs[MAX_REPLY_FRAMES];
    int n_msgs = 0;
    cJSON *h = NULL;
    int err = roundtrip(c, data, size, nf, id, msgs, &n_msgs, &h);
    free(header);
    if (err) return err;
    if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(h, "ok"))) {
        err = server_error(c, h);
        goto cleanup;
    }
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(h, "n");
    int N = cJSON_IsNumber(n) ? (int)n->valuedouble : -1;
    if (N != req->n || n_msgs != 6 || zmq_msg_size(&msgs[1]) != (size_t)N ||
        zmq_msg_size(&msgs[2]) != (size_t)N * 4 || zmq_msg_size(&msgs[3]) != (size_t)N ||
        zmq_msg_size(&msgs[4]) != (size_t)N) {
        err = kisim_seterr(KISIM_EPROTOCOL,
                           "score client: %s: reply does not have the shape of %d nodes",
                           c->endpoint, req->n);
        goto cleanup;
    }
    size_t rl = zmq_msg_size(&msgs[5]);
    res->scores = malloc((size_t)N * 7 + rl + 1 + (size_t)N * sizeof(char *));
    if (!res->scores) {
        err = kisim_seterr(KISIM_ENOMEM, "score client: out of memory");
        goto cleanup;
    }
    res->n = N;
    res->reasons = (char **)res->scores; /* pointers, floats, then bytes: each aligned */
    res->conf = (float *)(res->reasons + N);
    res->scores = (uint8_t *)(res->conf + N);
    res->links = res->scores + N;
    res->status = res->links + N;
    char *text = (char *)(res->status + N);
    memcpy(res->scores, zmq_msg_data(&msgs[1]), (size_t)N);
    memcpy(res->conf, zmq_msg_data(&msgs[2]), (size_t)N * 4);
    memcpy(res->links, zmq_msg_data(&msgs[3]), (size_t)N);
    memcpy(res->status, zmq_msg_data(&msgs[4]), (size_t)N);
    memcpy(text, zmq_msg_data(&msgs[5]), rl);
    text[rl] = 0;
    for (int i = 0; i < N; i++) {
        res->reasons[i] = text;
        char *nl = strchr(text, '\n');
        if (nl)
            *nl = 0, text = nl + 1;
        else
            text += strlen(text);
    }
    const cJSON *l = cJSON_GetObjectItemCaseSensitive(h, "link"),
                *v = cJSON_GetObjectItemCaseSensitive(h, "version");
    const cJSON *sh = cJSON_GetObjectItemCaseSensitive(h, "shadow"),
                *sec = cJSON_GetObjectItemCaseSensitive(h, "seconds");
    snprintf(res->link, sizeof res->link, "%s", cJSON_IsString(l) ? l->valuestring : "?");
    snprintf(res->version, sizeof res->version, "%s", cJSON_IsString(v) ? v->valuestring : "?");
    res->shadow = cJSON_IsTrue(sh);
    res->seconds = cJSON_IsNumber(sec) ? sec->valuedouble : 0;
cleanup:
    cJSON_Delete(h);
    close_all(msgs, n_msgs);
    if (err) batch_result_free(res);
    return err;
}

void batch_result_free(batch_result *res)
{
    free(res->reasons); /* the one allocation starts at the reasons' pointer table */
    memset(res, 0, sizeof *res);
}

int batch_client_raw(batch_client *c, const void *const *data, const size_t *size, int n,
                     char **header, int *n_reply_frames)
{
    zmq_msg_t msgs[MAX_REPLY_FRAMES];
    int n_msgs = 0;
    cJSON *h = NULL;
    *header = NULL;
    int err = roundtrip(c, data, size, n, -1, msgs, &n_msgs, &h);
    if (err) return err;
    *header = cJSON_PrintUnformatted(h);
    *n_reply_frames = n_msgs;
    cJSON_Delete(h);
    close_all(msgs, n_msgs);
    return 0;
}

int batch_client_rebalance(batch_client *c, int min_delta, int max_moves, char **json)
{
    char header[160];
    int64_t id = c->next_id++;
    snprintf(header, sizeof header,
             "{\"v\":1,\"cmd\":\"rebalance\",\"id\":%lld,\"min_delta\":%d,\"max\":%d}",
             (long long)id, min_delta, max_moves);
    const void *data[1] = {header};
    size_t size[1] = {strlen(header)};
    zmq_msg_t msgs[MAX_REPLY_FRAMES];
    int n_msgs = 0;
    cJSON *h = NULL;
    *json = NULL;
    int err = roundtrip(c, data, size, 1, id, msgs, &n_msgs, &h);
    if (err) return err;
    if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(h, "ok")))
        err = server_error(c, h);
    else
        *json = cJSON_PrintUnformatted(h);
    cJSON_Delete(h);
    close_all(msgs, n_msgs);
    return err;
}

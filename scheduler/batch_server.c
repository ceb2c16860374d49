/* batch_server.c: the BatchScore socket loop (batch_server.h): receive a request, parse it
 * (batch.c), score or rebalance through the service, send the reply. */
#include "scheduler/batch_server.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <zmq.h>

#include "common/err.h"
#include "common/log.h"
#include "scheduler/batch.h"
#include "scheduler/rebalance.h"
#include "transport/zrouter.h"

struct batch_server {
    score_service *svc; /* borrowed */
    void *ctx, *sock;
    int rcvtimeo; /* the socket's ZMQ_RCVTIMEO now */
    char endpoint[512];
    /* Written by the serving thread, read by batch_server_get_stats from any thread; relaxed:
     * independent counters, nothing is published through them. */
    atomic_uint_fast64_t requests, errors;
};

/* Sends the envelope, header and n raw parts (each data/size, copied by ZeroMQ). */
static int send_reply(batch_server *b, zrouter_msg *env, const char *header,
                      const void *const *data, const size_t *size, int n)
{
    int bad = zrouter_send_envelope(b->sock, env) < 0 ||
              zmq_send(b->sock, header, strlen(header), n ? ZMQ_SNDMORE : 0) < 0;
    for (int i = 0; !bad && i < n; i++)
        bad = zmq_send(b->sock, data[i], size[i], i + 1 < n ? ZMQ_SNDMORE : 0) < 0;
    if (bad) return kisim_seterr(KISIM_EIO, "score serve: send failed: %s", zmq_strerror(errno));
    return 0;
}

static int send_error(batch_server *b, zrouter_msg *env, const batch_request *req, batch_code code,
                      const char *message)
{
    atomic_fetch_add_explicit(&b->errors, 1, memory_order_relaxed);
    log_info("score serve: %s: %s", batch_code_name(code), message);
    char *h = batch_error_header(req, code, message);
    int err = h ? send_reply(b, env, h, NULL, NULL, 0)
                : kisim_seterr(KISIM_ENOMEM, "score serve: out of memory");
    free(h);
    return err;
}

static int answer_score(batch_server *b, zrouter_msg *env, const batch_request *req)
{
    score_request sr;
    score_reply rep;
    batch_to_score_request(req, &sr);
    if (score_service_score(b->svc, &sr, &rep))
        return send_error(b, env, req, BATCH_E_SCORE_ERROR, kisim_errmsg());
    int n = rep.n, err = 0;
    size_t reasons_len = 0;
    char *header = batch_score_header(req, &rep), *reasons = batch_reasons_text(&rep, &reasons_len);
    uint8_t *bytes = malloc((size_t)n * 3);
    float *conf = malloc((size_t)n * sizeof *conf);
    if (!header || !reasons || !bytes || !conf) {
        err = send_error(b, env, req, BATCH_E_SCORE_ERROR, "out of memory for the reply");
        goto cleanup;
    }
    batch_score_arrays(&rep, bytes, conf, bytes + n, bytes + 2 * n);
    const void *data[5] = {bytes, conf, bytes + n, bytes + 2 * n, reasons};
    size_t size[5] = {(size_t)n, (size_t)n * sizeof *conf, (size_t)n, (size_t)n, reasons_len};
    err = send_reply(b, env, header, data, size, 5);
cleanup:
    free(header);
    free(reasons);
    free(bytes);
    free(conf);
    score_reply_free(&rep);
    return err;
}

static int answer_rebalance(batch_server *b, zrouter_msg *env, const batch_request *req)
{
    rebalance_move *mv = NULL;
    int n = 0;
    if (rebalance_plan(b->svc, req->min_delta, req->max_moves, &mv, &n))
        return send_error(b, env, req, BATCH_E_SCORE_ERROR, kisim_errmsg());
    cJSON *o = cJSON_CreateObject(), *moves = cJSON_AddArrayToObject(o, "moves");
    cJSON_AddNumberToObject(o, "v", BATCH_VERSION);
    cJSON_AddBoolToObject(o, "ok", 1);
    if (req->has_id) cJSON_AddNumberToObject(o, "id", (double)req->id);
    cJSON_AddNumberToObject(o, "n", n);
    for (int i = 0; moves && i < n; i++) {
        cJSON *m = cJSON_CreateObject();
        cJSON_AddStringToObject(m, "pod", mv[i].pod);
        cJSON_AddStringToObject(m, "from", mv[i].from);
        cJSON_AddStringToObject(m, "to", mv[i].to);
        cJSON_AddNumberToObject(m, "from_score", mv[i].from_score);
        cJSON_AddNumberToObject(m, "to_score", mv[i].to_score);
        cJSON_AddNumberToObject(m, "delta", mv[i].delta);
        cJSON_AddStringToObject(m, "link", score_link_name(mv[i].link));
        cJSON_AddItemToArray(moves, m);
    }
    char *h = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    free(mv);
    int err = h ? send_reply(b, env, h, NULL, NULL, 0)
                : send_error(b, env, req, BATCH_E_SCORE_ERROR, "out of memory");
    free(h);
    return err;
}

static int handle(batch_server *b)
{
    zrouter_msg env;
    int got = zrouter_recv(b->sock, &env, BATCH_MAX_FRAMES, 1, "score serve"), err = 0;
    if (got <= 0) return got;
    const proto_frame *frames = env.frames;
    int n_frames = env.n_frames;
    atomic_fetch_add_explicit(&b->requests, 1, memory_order_relaxed);
    batch_request req;
    char msg[1024];
    batch_code code =
        batch_parse(frames, n_frames > BATCH_MAX_FRAMES ? BATCH_MAX_FRAMES + 1 : n_frames, &req,
                    msg, sizeof msg);
    if (n_frames > BATCH_MAX_FRAMES && !code) {
        code = BATCH_E_FRAME_COUNT;
        snprintf(msg, sizeof msg, "%d frames, at most %d are read", n_frames, BATCH_MAX_FRAMES);
    }
    if (code) {
        score_service_count_error(b->svc, req.cmd == BATCH_REBALANCE ? SCORE_VERB_REBALANCE
                                                                     : SCORE_VERB_BATCHSCORE);
        err = send_error(b, &env, &req, code, msg);
    } else if (req.cmd == BATCH_SCORE) {
        err = answer_score(b, &env, &req);
    } else {
        err = answer_rebalance(b, &env, &req);
    }
    batch_request_free(&req);
    zrouter_msg_close(&env);
    return err;
}

/* A blocking receive with a timeout rather than zmq_poll then receive: on a 2-core VM each
 * system call saved is a few microseconds of a ~100 us round trip. */
int batch_server_poll(batch_server *b, int timeout_ms)
{
    if (timeout_ms != b->rcvtimeo &&
        zmq_setsockopt(b->sock, ZMQ_RCVTIMEO, &timeout_ms, sizeof timeout_ms) == 0)
        b->rcvtimeo = timeout_ms;
    return handle(b);
}

int batch_server_open(batch_server **out, score_service *s, const char *endpoint)
{
    *out = NULL;
    const char *bind = endpoint ? endpoint : SCORE_DEFAULT_ENDPOINT;
    batch_server *b = calloc(1, sizeof *b);
    if (!b) return kisim_seterr(KISIM_ENOMEM, "score serve: out of memory");
    b->svc = s;
    b->rcvtimeo = -1; /* ZeroMQ's default: wait for ever */
    b->ctx = zmq_ctx_new();
    b->sock = b->ctx ? zmq_socket(b->ctx, ZMQ_ROUTER) : NULL;
    int err = 0;
    if (!b->sock) {
        err = kisim_seterr(KISIM_ENOMEM, "score serve: no ZeroMQ context or socket");
        goto fail;
    }
    /* the largest request: a 1 MiB header, telemetry [4096, 64, F] and orch, with some room */
    zrouter_options(b->sock, 64,
                    (int64_t)BATCH_MAX_HEADER +
                        (int64_t)SCORE_MAX_NODES * TELEM_MAX_WINDOW * KISIM_F * 4 + 4096);
    if ((err = zrouter_bind(b->sock, bind, b->endpoint, sizeof b->endpoint, "score serve")))
        goto fail;
    *out = b;
    return 0;
fail:
    batch_server_close(b);
    return err;
}

const char *batch_server_endpoint(const batch_server *b)
{
    return b->endpoint;
}

void batch_server_get_stats(const batch_server *b, batch_server_stats *st)
{
    st->requests = atomic_load_explicit(&b->requests, memory_order_relaxed);
    st->errors = atomic_load_explicit(&b->errors, memory_order_relaxed);
}

void batch_server_close(batch_server *b)
{
    if (!b) return;
    if (b->sock) zmq_close(b->sock);
    if (b->ctx) zmq_ctx_term(b->ctx);
    zrouter_unlink_ipc(b->endpoint);
    free(b);
}

/* server.c: the env server's socket loop: receive a request, validate it (proto.c), step or
 * reset the vecenv straight into the reply's messages, send. Single-threaded; the CURVE ZAP
 * handler is polled beside the ROUTER socket, so no locks. */
#include "env/remote/server.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <zmq.h>

#include "common/err.h"
#include "common/log.h"
#include "env/vecenv.h"
#include "transport/keys.h"
#include "transport/proto.h"
#include "transport/zrouter.h"

struct kisim_server {
    void *ctx, *sock, *zap; /* owned; zap is NULL without CURVE */
    vecenv *venv;           /* owned */
    env_spaces sp;
    int k, n_max, invalid_error;
    uint8_t *active;     /* [K] 1 while env k has a running episode */
    uint8_t *masks;      /* [K, mask_dim] the masks last sent, for the error-mode check */
    int32_t *actions;    /* [K, 2] decoded actions of the current request */
    char *spaces_extra;  /* the spaces reply's fields, JSON, built once */
    uint8_t (*keys)[32]; /* [n_keys] admitted CURVE client keys */
    int n_keys;
    char endpoint[512];
    /* Written by the serving thread, read by server_get_stats from any thread; relaxed:
     * independent counters, nothing is published through them. */
    atomic_uint_fast64_t requests, errors, decisions, zap_admitted, zap_refused;
};

static void free_buf(void *data, void *hint)
{
    (void)hint;
    free(data);
}

/* A message of size bytes whose data is malloc-aligned (so float arrays may be written into
 * it); NULL on OOM. The message owns the buffer from here on. */
static void *msg_alloc(zmq_msg_t *m, size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p) return NULL;
    if (zmq_msg_init_data(m, p, size, free_buf, NULL) != 0) {
        free(p);
        return NULL;
    }
    return p;
}

/* Sends header and then the n array messages (consumed, sent or closed). A peer that is gone
 * makes the ROUTER drop the reply; that is not an error. */
static int send_reply(kisim_server *s, zrouter_msg *env, const char *header, zmq_msg_t *arrays,
                      int n)
{
    int bad = zrouter_send_envelope(s->sock, env) < 0 ||
              zmq_send(s->sock, header, strlen(header), n ? ZMQ_SNDMORE : 0) < 0;
    for (int i = 0; i < n; i++) {
        if (!bad && zmq_msg_send(&arrays[i], s->sock, i + 1 < n ? ZMQ_SNDMORE : 0) < 0) bad = 1;
        if (bad) zmq_msg_close(&arrays[i]);
    }
    if (bad) return kisim_seterr(KISIM_EIO, "serve: send failed: %s", zmq_strerror(errno));
    return 0;
}

static int send_error(kisim_server *s, zrouter_msg *env, const proto_request *req, proto_code code,
                      const char *message)
{
    char header[2048];
    proto_error_header(header, sizeof header, req, code, message);
    atomic_fetch_add_explicit(&s->errors, 1, memory_order_relaxed);
    log_info("serve: %s: %s", proto_code_name(code), message);
    return send_reply(s, env, header, NULL, 0);
}

/* The env code of a kisim error from stepping or resetting. */
static proto_code env_code(int err)
{
    if (err == KISIM_EINVALID_ACTION) return PROTO_E_INVALID_ACTION;
    if (err == KISIM_ESTATE) return PROTO_E_NOT_RESET;
    return PROTO_E_ENV_ERROR;
}

/* Before stepping anything: every addressed env running, and in error mode every action
 * allowed by the mask it was sent, so a step is all or nothing. */
static proto_code check_step(const kisim_server *s, const proto_request *req, char *msg, size_t cap)
{
    int first = req->env < 0 ? 0 : req->env;
    for (int j = 0; j < req->n; j++) {
        int k = first + j;
        if (!s->active[k]) {
            snprintf(msg, cap, "env %d has no running episode: reset it first%s", k,
                     req->env < 0 ? " (a step of all envs needs every env running)" : "");
            return PROTO_E_NOT_RESET;
        }
        if (!s->invalid_error) continue;
        const int32_t *a = s->actions + 2 * j;
        const uint8_t *m = s->masks + (size_t)k * s->sp.mask_dim;
        if (!m[a[0]]) {
            snprintf(msg, cap, "env %d: invalid action: node %d is masked", k, a[0]);
            return PROTO_E_INVALID_ACTION;
        }
        if (!m[s->n_max + a[1]]) {
            snprintf(msg, cap, "env %d: invalid action: scale %+d is masked", k, a[1] - 1);
            return PROTO_E_INVALID_ACTION;
        }
    }
    return PROTO_OK;
}

/* reset and step: the vecenv (or one env) writes into the reply messages themselves. */
static int serve_env(kisim_server *s, zrouter_msg *env, const proto_request *req)
{
    char msg[1024], header[256];
    int n = req->n, first = req->env < 0 ? 0 : req->env, step = req->cmd == PROTO_STEP;
    if (step) {
        proto_code code = check_step(s, req, msg, sizeof msg);
        if (code) return send_error(s, env, req, code, msg);
    }
    /* Reply arrays: obs, reward, terminated, truncated, mask, info (reset: obs, mask). */
    size_t sizes[6] = {(size_t)n * s->sp.obs_dim * sizeof(float),
                       (size_t)n * sizeof(float),
                       (size_t)n,
                       (size_t)n,
                       (size_t)n * s->sp.mask_dim,
                       (size_t)n * s->sp.n_info * sizeof(float)};
    int order_step[6] = {0, 1, 2, 3, 4, 5}, order_reset[2] = {0, 4};
    int *order = step ? order_step : order_reset, n_arrays = step ? 6 : 2;
    zmq_msg_t out[6];
    void *data[6] = {0};
    int made = 0, err = 0;
    for (; made < n_arrays; made++)
        if (!(data[order[made]] = msg_alloc(&out[made], sizes[order[made]]))) break;
    if (made < n_arrays) {
        err = kisim_seterr(KISIM_ENOMEM, "serve: out of memory for a %zu-byte reply", sizes[0]);
        goto cleanup;
    }
    float *obs = data[0], *rew = data[1], *info = data[5];
    uint8_t *term = data[2], *trunc = data[3], *mask = data[4];
    if (!step && req->env < 0) {
        err = vecenv_reset_span(s->venv, req->seed, req->env_offset, req->total_envs, obs, mask);
    } else if (!step) {
        err = env_reset(vecenv_env(s->venv, first), req->seed, obs, mask);
    } else if (req->env < 0) {
        err = vecenv_step(s->venv, s->actions, obs, mask, rew, term, trunc, info);
    } else {
        err = env_step(vecenv_env(s->venv, first), s->actions, obs, mask, rew, term, trunc, info);
        if (!err && (term[0] || trunc[0])) s->active[first] = 0; /* one env: no auto-reset */
    }
    if (err) {
        /* A vector step that failed part-way left some envs stepped: demand a reset. */
        if (step && req->env < 0) memset(s->active, 0, (size_t)s->k);
        snprintf(msg, sizeof msg, "%s%s", kisim_errmsg(),
                 step && req->env < 0 ? " (all envs need a reset now)" : "");
        err = send_error(s, env, req, env_code(err), msg);
        goto cleanup;
    }
    if (!step)
        memset(s->active + first, 1, (size_t)n);
    else
        atomic_fetch_add_explicit(&s->decisions, (uint64_t)n, memory_order_relaxed);
    memcpy(s->masks + (size_t)first * s->sp.mask_dim, mask, sizes[4]);
    proto_ok_header(header, sizeof header, req, NULL);
    err = send_reply(s, env, header, out, n_arrays);
    made = 0; /* sent or closed by send_reply */
cleanup:
    for (int i = 0; i < made; i++)
        zmq_msg_close(&out[i]);
    return err;
}

static int serve_request(kisim_server *s, zrouter_msg *env, const proto_frame *frames, int n_frames)
{
    proto_request req;
    char msg[1024];
    proto_limits lim = {s->k, s->n_max};
    proto_code code = proto_parse(frames, n_frames, &lim, &req, s->actions, msg, sizeof msg);
    if (code) return send_error(s, env, &req, code, msg);
    if (req.cmd == PROTO_RESET || req.cmd == PROTO_STEP) return serve_env(s, env, &req);
    if (req.cmd == PROTO_CLOSE) {
        memset(s->active + (req.env < 0 ? 0 : req.env), 0, (size_t)req.n);
        char header[256];
        proto_ok_header(header, sizeof header, &req, NULL);
        return send_reply(s, env, header, NULL, 0);
    }
    size_t cap = strlen(s->spaces_extra) + 256;
    char *header = malloc(cap);
    if (!header) return kisim_seterr(KISIM_ENOMEM, "serve: out of memory");
    proto_ok_header(header, cap, &req, s->spaces_extra);
    int err = send_reply(s, env, header, NULL, 0);
    free(header);
    return err;
}

/* Receives one whole request (its parts arrive together) and answers it. */
static int handle_request(kisim_server *s)
{
    zrouter_msg m;
    int got = zrouter_recv(s->sock, &m, PROTO_MAX_FRAMES, 0, "serve");
    if (got <= 0) return got;
    atomic_fetch_add_explicit(&s->requests, 1, memory_order_relaxed);
    int err = serve_request(s, &m, m.frames, m.n_frames);
    zrouter_msg_close(&m);
    return err;
}

int server_poll(kisim_server *s, int timeout_ms)
{
    zmq_pollitem_t items[2] = {{s->sock, 0, ZMQ_POLLIN, 0}, {s->zap, 0, ZMQ_POLLIN, 0}};
    int rc = zmq_poll(items, s->zap ? 2 : 1, timeout_ms);
    if (rc < 0)
        return errno == EINTR ? 0 : kisim_seterr(KISIM_EIO, "serve: poll: %s", zmq_strerror(errno));
    if (s->zap && (items[1].revents & ZMQ_POLLIN)) {
        int admitted = 0;
        if (curve_zap_handle(s->zap, (const uint8_t(*)[32])s->keys, s->n_keys, &admitted) == 0) {
            if (admitted)
                atomic_fetch_add_explicit(&s->zap_admitted, 1, memory_order_relaxed);
            else
                atomic_fetch_add_explicit(&s->zap_refused, 1, memory_order_relaxed);
            if (!admitted) log_info("serve: refused a CURVE client whose key is not authorised");
        }
    }
    if (items[0].revents & ZMQ_POLLIN) return handle_request(s);
    return 0;
}

int server_run(kisim_server *s, atomic_int *stop)
{
    int err = 0;
    while (!err && !atomic_load(stop))
        err = server_poll(s, 200);
    return err;
}

void server_get_stats(const kisim_server *s, server_stats *st)
{
    st->requests = atomic_load_explicit(&s->requests, memory_order_relaxed);
    st->errors = atomic_load_explicit(&s->errors, memory_order_relaxed);
    st->decisions = atomic_load_explicit(&s->decisions, memory_order_relaxed);
    st->zap_admitted = atomic_load_explicit(&s->zap_admitted, memory_order_relaxed);
    st->zap_refused = atomic_load_explicit(&s->zap_refused, memory_order_relaxed);
}

static char *spaces_fields(const kisim_server *s, const kisim_config *cfg)
{
    cJSON *d = spaces_describe(&s->sp);
    char *desc = d ? cJSON_PrintUnformatted(d) : NULL;
    cJSON_Delete(d);
    if (!desc) return NULL;
    size_t cap = strlen(desc) + 512;
    char *out = malloc(cap);
    if (out)
        snprintf(out, cap,
                 "\"envs\":%d,\"backend\":\"%s\",\"invalid_action\":\"%s\",\"n_max\":%d,"
                 "\"window\":%d,\"obs_dim\":%d,\"mask_dim\":%d,\"n_info\":%d,\"spaces\":%s",
                 s->k,
                 cfg->env.backend == BACKEND_SIM     ? "sim"
                 : cfg->env.backend == BACKEND_LOCAL ? "local"
                                                     : "kubernetes",
                 s->invalid_error ? "error" : "penalty", s->n_max, s->sp.window, s->sp.obs_dim,
                 s->sp.mask_dim, s->sp.n_info, desc);
    cJSON_free(desc);
    return out;
}

static int setup_curve(kisim_server *s, const server_opts *o)
{
    int err = curve_available();
    if (err) return err;
    if (o->n_authorized < 1)
        return kisim_seterr(KISIM_EUSAGE, "serve: CURVE needs at least one authorised client key");
    s->keys = malloc((size_t)o->n_authorized * sizeof *s->keys);
    if (!s->keys) return kisim_seterr(KISIM_ENOMEM, "serve: out of memory");
    memcpy(s->keys, o->authorized, (size_t)o->n_authorized * sizeof *s->keys);
    s->n_keys = o->n_authorized;
    /* The handler must be bound before the first handshake, so before the server socket. */
    s->zap = zmq_socket(s->ctx, ZMQ_REP);
    int one = 1;
    if (!s->zap || zmq_bind(s->zap, "inproc://zeromq.zap.01") != 0 ||
        zmq_setsockopt(s->sock, ZMQ_CURVE_SERVER, &one, sizeof one) != 0 ||
        zmq_setsockopt(s->sock, ZMQ_CURVE_SECRETKEY, o->curve_secret, 41) != 0 ||
        zmq_setsockopt(s->sock, ZMQ_ZAP_DOMAIN, "kisim", 5) != 0)
        return kisim_seterr(KISIM_EINPUT,
                            "serve: CURVE setup failed (is the secret key valid?): %s",
                            zmq_strerror(errno));
    return 0;
}

int server_open(kisim_server **out, const kisim_config *cfg, const server_opts *o)
{
    *out = NULL;
    const char *bind = o->bind ? o->bind : SERVER_DEFAULT_BIND;
    kisim_server *s = calloc(1, sizeof *s);
    if (!s) return kisim_seterr(KISIM_ENOMEM, "serve: out of memory");
    int err = vecenv_init(&s->venv, cfg, o->envs);
    if (err) goto fail;
    s->k = o->envs;
    env_get_spaces(vecenv_env(s->venv, 0), &s->sp);
    s->n_max = s->sp.n_max;
    s->invalid_error = cfg->env.invalid_action == INVALID_ACTION_ERROR;
    s->active = calloc((size_t)s->k, 1);
    s->masks = calloc((size_t)s->k * s->sp.mask_dim, 1);
    s->actions = calloc((size_t)s->k * 2, sizeof *s->actions);
    s->spaces_extra = spaces_fields(s, cfg);
    s->ctx = zmq_ctx_new();
    s->sock = s->ctx ? zmq_socket(s->ctx, ZMQ_ROUTER) : NULL;
    if (!s->active || !s->masks || !s->actions || !s->spaces_extra || !s->sock) {
        err = kisim_seterr(KISIM_ENOMEM, "serve: out of memory (or no ZeroMQ context)");
        goto fail;
    }
    /* A client that stops reading gets at most a few replies queued, then drops; a huge
     * request frame closes its connection instead of filling memory. */
    zrouter_options(s->sock, 8, (int64_t)PROTO_MAX_HEADER + 16 * (int64_t)s->k + 4096);
    if (o->curve_secret && (err = setup_curve(s, o))) goto fail;
    if ((err = zrouter_bind(s->sock, bind, s->endpoint, sizeof s->endpoint, "serve"))) goto fail;
    *out = s;
    return 0;
fail:
    server_close(s);
    return err;
}

const char *server_endpoint(const kisim_server *s)
{
    return s->endpoint;
}

void server_close(kisim_server *s)
{
    if (!s) return;
    if (s->sock) zmq_close(s->sock);
    if (s->zap) {
        int linger = 0;
        zmq_setsockopt(s->zap, ZMQ_LINGER, &linger, sizeof linger);
        zmq_close(s->zap);
    }
    if (s->ctx) zmq_ctx_term(s->ctx);
    zrouter_unlink_ipc(s->endpoint);
    vecenv_free(s->venv);
    free(s->active);
    free(s->masks);
    free(s->actions);
    free(s->spaces_extra);
    free(s->keys);
    free(s);
}

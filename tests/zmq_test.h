/* zmq_test.h: helpers for the env-server tests: a server running in a thread of the test
 * process (stopped through its flag and joined), a raw DEALER client that sends any frames
 * and collects the reply, and the deterministic action rule the tests and `kisim bench zmq`
 * both use (written out again here, independently of env/remote/bench_zmq.c). */
#ifndef KISIM_ZMQ_TEST_H
#define KISIM_ZMQ_TEST_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <zmq.h>

#include "common/err.h"
#include "env/remote/server.h"

typedef struct {
    kisim_server *s;
    pthread_t thread;
    atomic_int stop;
    int err;
} srv_thread;

static inline void *srv_thread_main(void *arg)
{
    srv_thread *t = arg;
    t->err = server_run(t->s, &t->stop);
    return NULL;
}

/* Opens a server on bind (NULL: a free loopback tcp port) and runs it in a thread. */
static inline int srv_start(srv_thread *t, const kisim_config *cfg, const server_opts *o)
{
    memset(t, 0, sizeof *t);
    server_opts so = *o;
    if (!so.bind) so.bind = "tcp://127.0.0.1:*";
    int err = server_open(&t->s, cfg, &so);
    if (err) {
        fprintf(stderr, "server_open: %s\n", kisim_errmsg());
        return err;
    }
    return pthread_create(&t->thread, NULL, srv_thread_main, t) ? KISIM_EINTERNAL : 0;
}

static inline void srv_stop(srv_thread *t)
{
    atomic_store(&t->stop, 1);
    pthread_join(t->thread, NULL);
    server_close(t->s);
    t->s = NULL;
}

/* A reply: header (parsed), and copies of the array frames. */
typedef struct {
    cJSON *h;
    int n;
    void *data[8];
    size_t size[8];
} raw_reply;

static inline void raw_free(raw_reply *r)
{
    cJSON_Delete(r->h);
    for (int i = 0; i < r->n; i++)
        free(r->data[i]);
    memset(r, 0, sizeof *r);
}

static inline void *raw_connect(void *ctx, const char *endpoint)
{
    void *s = zmq_socket(ctx, ZMQ_DEALER);
    int linger = 0, timeout = 10000;
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    zmq_connect(s, endpoint);
    return s;
}

/* Sends the delimiter then n frames; returns 0 or -1. */
static inline int raw_send(void *sock, int n, const void *const *data, const size_t *size)
{
    if (zmq_send(sock, "", 0, n ? ZMQ_SNDMORE : 0) < 0) return -1;
    for (int i = 0; i < n; i++)
        if (zmq_send(sock, data[i], size[i], i + 1 < n ? ZMQ_SNDMORE : 0) < 0) return -1;
    return 0;
}

/* Receives one reply (delimiter, header, arrays); 0 or -1 (timeout, malformed). */
static inline int raw_recv(void *sock, raw_reply *r)
{
    memset(r, 0, sizeof *r);
    int idx = 0, more = 1;
    while (more) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, sock, 0) < 0) {
            zmq_msg_close(&m);
            return -1;
        }
        more = zmq_msg_more(&m);
        if (idx == 1) r->h = cJSON_ParseWithLength(zmq_msg_data(&m), zmq_msg_size(&m));
        if (idx >= 2 && r->n < 8) {
            r->size[r->n] = zmq_msg_size(&m);
            r->data[r->n] = malloc(r->size[r->n] ? r->size[r->n] : 1);
            memcpy(r->data[r->n], zmq_msg_data(&m), r->size[r->n]);
            r->n++;
        }
        zmq_msg_close(&m);
        idx++;
    }
    return r->h ? 0 : -1;
}

/* Header plus an optional array: send and receive. */
static inline int raw_request(void *sock, const char *header, const void *arr, size_t arr_size,
                              raw_reply *r)
{
    const void *d[2] = {header, arr};
    size_t s[2] = {strlen(header), arr_size};
    if (raw_send(sock, arr ? 2 : 1, d, s)) return -1;
    return raw_recv(sock, r);
}

/* "ok" when the reply succeeded, else its error code. */
static inline const char *raw_code(const raw_reply *r)
{
    const cJSON *ok = cJSON_GetObjectItem(r->h, "ok");
    if (cJSON_IsTrue(ok)) return "ok";
    const cJSON *code = cJSON_GetObjectItem(cJSON_GetObjectItem(r->h, "error"), "code");
    return cJSON_IsString(code) ? code->valuestring : "?";
}

static inline const char *raw_message(const raw_reply *r)
{
    const cJSON *m = cJSON_GetObjectItem(cJSON_GetObjectItem(r->h, "error"), "message");
    return cJSON_IsString(m) ? m->valuestring : "";
}

/* The benchmark's action rule: for env k at step t, the first allowed node at or after
 * (t + k) mod N_max, and the first allowed scale at or after (t + k) mod 3. */
static inline void rule_actions(const uint8_t *mask, int k_envs, int n_max, long t, int first_env,
                                int32_t *out)
{
    int md = n_max + 3;
    for (int k = 0; k < k_envs; k++) {
        const uint8_t *m = mask + (size_t)k * md;
        long g = t + first_env + k;
        int node = (int)(g % n_max), scale = (int)(g % 3);
        for (int i = 0; i < n_max && !m[node]; i++)
            node = (node + 1) % n_max;
        for (int i = 0; i < 3 && !m[n_max + scale]; i++)
            scale = (scale + 1) % 3;
        out[2 * k] = node;
        out[2 * k + 1] = scale;
    }
}

#endif

/* store_recv.c: the telemetry store's receiver: a thread on a ZeroMQ SUB socket that parses
 * each two-part message into a frame and puts it in the store, and, with CURVE, answers the ZAP
 * requests of connecting collectors and checks every frame's node against its sender's key
 * (store.h, auth.h). A refusal is counted by reason and logged at most once a second. */
#include "common/clock.h"
#include "telemetry/store.h"
#include "telemetry/store_impl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zmq.h>

#include "common/err.h"
#include "common/log.h"

void telem_store_close(telem_store *st)
{
    if (!st) return;
    if (st->running) {
        atomic_store(&st->stop, 1);
        pthread_join(st->thread, NULL);
    }
    if (st->sub) zmq_close(st->sub);
    if (st->zap) zmq_close(st->zap);
    if (st->ctx) zmq_ctx_term(st->ctx);
    /* libzmq leaves a bound ipc socket's file behind; the binder removes it. */
    if (!strncmp(st->endpoint, "ipc://", 6) && st->endpoint[6] != '@') unlink(st->endpoint + 6);
    telem_auth_free(st->auth);
    memset(st->curve_secret, 0, sizeof st->curve_secret);
    telem_store_free_nodes(st);
    free(st);
}

/* The message's parts: topic and body into parts[0..2); returns how many there were (> 2: too
 * many, those past two dropped). */
static int receive_parts(void *sub, zmq_msg_t parts[2])
{
    int n = 0, more = 1;
    while (more) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, sub, 0) < 0) {
            zmq_msg_close(&m);
            break;
        }
        more = zmq_msg_more(&m);
        if (n < 2) { /* zmq_msg_t is moved with zmq_msg_move, never copied by value */
            zmq_msg_init(&parts[n]);
            zmq_msg_move(&parts[n], &m);
        }
        n++;
        zmq_msg_close(&m);
    }
    return n;
}

/* With CURVE, the body's sender (its ZAP User-Id, the key's Z85) must be bound to the node. */
static int check_sender(const telem_store *st, zmq_msg_t *body, const telem_frame *f)
{
    if (!st->auth) return 0;
    const char *user = zmq_msg_gets(body, "User-Id");
    if (telem_auth_allows(st->auth, user, f->node)) return 0;
    return kisim_seterr(KISIM_EINPUT,
                        "telemetry frame: node %s from collector key %.40s, which is not bound "
                        "to it in the collectors file",
                        f->node, user ? user : "(none)");
}

/* One message: topic, body. Returns 0 or the refusal's error (counted). */
static int receive_one(telem_store *st)
{
    zmq_msg_t parts[2];
    int n = receive_parts(st->sub, parts), err = 0;
    telem_refusal why = TELEM_REFUSED_MALFORMED;
    telem_frame f = {0};
    if (n != 2) {
        err = kisim_seterr(KISIM_EINPUT, "telemetry frame: expected 2 parts (topic, body), got %d",
                           n);
    } else {
        err = telem_frame_read(&f, zmq_msg_data(&parts[1]), zmq_msg_size(&parts[1]), &why);
        if (!err)
            err = telem_frame_check_topic(&f, zmq_msg_data(&parts[0]), zmq_msg_size(&parts[0]));
        if (!err && (err = check_sender(st, &parts[1], &f))) why = TELEM_REFUSED_WRONG_NODE;
        if (err) {
            telem_store_count_refusal(st, why);
        } else {
            err = telem_store_put(st, &f); /* counts the frame itself, ok or refused */
        }
    }
    if (n != 2) telem_store_count_refusal(st, TELEM_REFUSED_MALFORMED);
    telem_frame_free(&f);
    for (int i = 0; i < (n > 2 ? 2 : n); i++)
        zmq_msg_close(&parts[i]);
    return err;
}

static void answer_zap(telem_store *st)
{
    int admitted = 0;
    if (telem_auth_zap(st->zap, st->auth, &admitted) != 0 || !admitted) {
        pthread_rwlock_wrlock(&st->lock);
        st->keys_refused++;
        pthread_rwlock_unlock(&st->lock);
    }
}

static void *receiver(void *arg)
{
    telem_store *st = arg;
    double last_log = -1e9;
    while (!atomic_load(&st->stop)) {
        zmq_pollitem_t it[2] = {{st->sub, 0, ZMQ_POLLIN, 0}, {st->zap, 0, ZMQ_POLLIN, 0}};
        int rc = zmq_poll(it, st->zap ? 2 : 1, 100);
        if (rc > 0 && st->zap && (it[1].revents & ZMQ_POLLIN)) answer_zap(st);
        if (rc <= 0 || !(it[0].revents & ZMQ_POLLIN)) continue;
        if (receive_one(st) && clock_mono_s() - last_log >= 1.0) {
            last_log = clock_mono_s();
            log_warn("telemetry: dropped a frame: %s", kisim_errmsg());
        }
    }
    return NULL;
}

int telem_store_curve(telem_store *st, const char *secret_z85, telem_auth *auth)
{
    uint8_t raw[32];
    if (st->running || st->auth) {
        telem_auth_free(auth);
        return kisim_seterr(KISIM_ESTATE, "telemetry store: CURVE is set before listening, once");
    }
    if (!secret_z85 || strlen(secret_z85) != 40 || !zmq_z85_decode(raw, secret_z85)) {
        telem_auth_free(auth);
        return kisim_seterr(KISIM_EUSAGE, "telemetry: the CURVE secret key is not valid Z85");
    }
    memcpy(st->curve_secret, secret_z85, 41);
    st->auth = auth;
    return 0;
}

/* The SUB as a CURVE server, its ZAP handler bound in the same context. */
static int setup_curve(telem_store *st)
{
    int one = 1;
    if (!zmq_has("curve"))
        return kisim_seterr(KISIM_EUNSUPPORTED,
                            "telemetry: this libzmq was built without CURVE security (libsodium)");
    st->zap = zmq_socket(st->ctx, ZMQ_REP);
    if (!st->zap || zmq_bind(st->zap, "inproc://zeromq.zap.01") != 0 ||
        zmq_setsockopt(st->sub, ZMQ_CURVE_SERVER, &one, sizeof one) != 0 ||
        zmq_setsockopt(st->sub, ZMQ_CURVE_SECRETKEY, st->curve_secret, 41) != 0 ||
        zmq_setsockopt(st->sub, ZMQ_ZAP_DOMAIN, "kisim-telemetry", 15) != 0)
        return kisim_seterr(KISIM_EUSAGE, "telemetry: CURVE setup failed: %s", zmq_strerror(errno));
    int linger = 0;
    zmq_setsockopt(st->zap, ZMQ_LINGER, &linger, sizeof linger);
    return 0;
}

int telem_store_listen(telem_store *st, const char *bind, const char *const *connect, int n)
{
    if (st->running) return kisim_seterr(KISIM_ESTATE, "telemetry store: already listening");
    st->ctx = zmq_ctx_new();
    st->sub = st->ctx ? zmq_socket(st->ctx, ZMQ_SUB) : NULL;
    if (!st->sub) return kisim_seterr(KISIM_ENOMEM, "telemetry: no ZeroMQ context or socket");
    int linger = 0, hwm = 100000, err = 0;
    int64_t max_msg = TELEM_FRAME_MAX_BODY + 4096;
    zmq_setsockopt(st->sub, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(st->sub, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt(st->sub, ZMQ_MAXMSGSIZE, &max_msg, sizeof max_msg);
    zmq_setsockopt(st->sub, ZMQ_SUBSCRIBE, TELEM_FRAME_TOPIC_PREFIX,
                   strlen(TELEM_FRAME_TOPIC_PREFIX));
    if (st->auth && (err = setup_curve(st))) return err;
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

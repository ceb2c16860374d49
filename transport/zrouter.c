/* zrouter.c: receiving one ROUTER request and addressing its reply (zrouter.h), the part
 * the env server and the BatchScore server share. */
#include "transport/zrouter.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"

int zrouter_recv(void *sock, zrouter_msg *m, int max, int wait, const char *who)
{
    m->delimited = 0;
    m->n_parts = 0;
    m->n_frames = 0;
    if (max > ZROUTER_MAX_PARTS) max = ZROUTER_MAX_PARTS;
    zmq_msg_init(&m->rid);
    if (zmq_msg_recv(&m->rid, sock, wait ? 0 : ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&m->rid);
        return errno == EAGAIN || errno == EINTR
                   ? 0
                   : kisim_seterr(KISIM_EIO, "%s: receive failed: %s", who, zmq_strerror(errno));
    }
    int more = zmq_msg_more(&m->rid);
    for (int first = 1; more; first = 0) {
        zmq_msg_t part;
        zmq_msg_init(&part);
        if (zmq_msg_recv(&part, sock, 0) < 0) {
            zmq_msg_close(&part);
            int err = kisim_seterr(KISIM_EIO, "%s: receive failed: %s", who, zmq_strerror(errno));
            zrouter_msg_close(m);
            return err;
        }
        more = zmq_msg_more(&part);
        if (first && zmq_msg_size(&part) == 0) { /* REQ / DEALER envelope delimiter */
            m->delimited = 1;
            zmq_msg_close(&part);
            continue;
        }
        if (m->n_parts < max) {
            int i = m->n_parts++;
            m->parts[i] = part;
            m->frames[i].data = zmq_msg_data(&m->parts[i]);
            m->frames[i].size = zmq_msg_size(&m->parts[i]);
        } else {
            zmq_msg_close(&part);
        }
        m->n_frames++;
    }
    return 1;
}

int zrouter_send_envelope(void *sock, zrouter_msg *m)
{
    if (zmq_msg_send(&m->rid, sock, ZMQ_SNDMORE) < 0) return -1;
    if (m->delimited && zmq_send(sock, "", 0, ZMQ_SNDMORE) < 0) return -1;
    return 0;
}

void zrouter_msg_close(zrouter_msg *m)
{
    for (int i = 0; i < m->n_parts; i++)
        zmq_msg_close(&m->parts[i]);
    m->n_parts = 0;
    zmq_msg_close(&m->rid);
}

void zrouter_options(void *sock, int hwm, int64_t max_msg)
{
    int linger = 0;
    zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(sock, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(sock, ZMQ_MAXMSGSIZE, &max_msg, sizeof max_msg);
}

int zrouter_bind(void *sock, const char *bind, char *endpoint, size_t cap, const char *who)
{
    if (zmq_bind(sock, bind) != 0)
        return kisim_seterr(KISIM_EUSAGE, "%s: cannot bind %s: %s", who, bind, zmq_strerror(errno));
    size_t len = cap;
    if (zmq_getsockopt(sock, ZMQ_LAST_ENDPOINT, endpoint, &len) != 0)
        snprintf(endpoint, cap, "%s", bind);
    return 0;
}

void zrouter_unlink_ipc(const char *endpoint)
{
    if (!strncmp(endpoint, "ipc://", 6) && endpoint[6] != '@') unlink(endpoint + 6);
}

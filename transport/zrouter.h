/* zrouter.h: the receive side of a ZeroMQ ROUTER server, shared by the env server (server.c)
 * and the BatchScore server (scheduler/batch_server.c): one whole request's routing id, its
 * REQ/DEALER delimiter and its first frames, and the envelope that opens the reply. */
#ifndef KISIM_ENV_ZROUTER_H
#define KISIM_ENV_ZROUTER_H

#include <stddef.h>
#include <stdint.h>

#include <zmq.h>

#include "transport/proto.h"

#define ZROUTER_MAX_PARTS 8 /* frames a request may keep; callers keep at most their own limit */

/* One received request. frames[i] points into parts[i] until zrouter_msg_close. */
typedef struct {
    zmq_msg_t rid; /* the peer's routing id */
    int delimited; /* 1 when an empty delimiter frame came first */
    zmq_msg_t parts[ZROUTER_MAX_PARTS];
    proto_frame frames[ZROUTER_MAX_PARTS];
    int n_parts;  /* frames kept, at most the caller's max */
    int n_frames; /* frames received (more than n_parts are dropped) */
} zrouter_msg;

/* Receives one whole request from sock (its parts arrive together), keeping at most max
 * (<= ZROUTER_MAX_PARTS) frames. wait 0: only if one is waiting; 1: blocks for the first part up
 * to the socket's ZMQ_RCVTIMEO (a server loop that needs no zmq_poll saves its system calls).
 * Returns 1 with *m filled (close it with zrouter_msg_close), 0 when nothing came or the call
 * was interrupted, or a negative kisim error whose message starts with who (then *m needs no
 * close). */
int zrouter_recv(void *sock, zrouter_msg *m, int max, int wait, const char *who);

/* Sends m's routing id and, if the request had one, the empty delimiter, both with SNDMORE.
 * Returns 0, or -1 with errno set by ZeroMQ. */
int zrouter_send_envelope(void *sock, zrouter_msg *m);

void zrouter_msg_close(zrouter_msg *m);

/* The server socket's options: no linger, at most hwm replies queued for a peer that stops
 * reading, and a request part above max_msg bytes closes its connection. */
void zrouter_options(void *sock, int hwm, int64_t max_msg);

/* Binds sock to bind and writes the endpoint it got (the port chosen for tcp://...:*) to
 * endpoint (cap bytes). Returns 0 or KISIM_EUSAGE naming who and the endpoint. */
int zrouter_bind(void *sock, const char *bind, char *endpoint, size_t cap, const char *who);

/* Removes a bound ipc:// endpoint's file, which libzmq (>= 4.2) leaves behind; the binder
 * removes it. Nothing for other transports or abstract (ipc://@name) sockets. */
void zrouter_unlink_ipc(const char *endpoint);

#endif

/* server.h: the ZeroMQ env server behind `kisim env serve`: K environments of any backend in a
 * vecenv, answering spaces / reset / step / close for all K at once (or for one env by index)
 * over the protocol of env/PROTOCOL.md, on a ROUTER socket, one request at a time.
 *
 *   server_open(&s, cfg, &opts) -> server_run(s, &stop) -> server_close(s)
 *
 * Replies are written straight from the envs into the outgoing messages: each reply array is
 * allocated as a ZeroMQ message and the vecenv steps into it, so an observation is written
 * once and copied only by the kernel. A malformed request gets an error reply and the server
 * carries on; a client that vanishes before its reply is simply not answered. */
#ifndef KISIM_SERVER_H
#define KISIM_SERVER_H

#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>

#include "common/config.h"

#define SERVER_DEFAULT_BIND "tcp://127.0.0.1:5555"

typedef struct kisim_server kisim_server;

typedef struct {
    const char *bind;                /* ZeroMQ endpoint; NULL = SERVER_DEFAULT_BIND. A tcp port
                                      * "*" picks a free one (server_endpoint says which). */
    int envs;                        /* K >= 1 */
    const char *curve_secret;        /* Z85 secret key: speak CURVE; NULL = plain ZeroMQ */
    const uint8_t (*authorized)[32]; /* CURVE: the client public keys admitted (copied) */
    int n_authorized;
} server_opts;

typedef struct {
    uint64_t requests;                  /* requests answered, errors included */
    uint64_t errors;                    /* error replies */
    uint64_t decisions;                 /* env steps taken */
    uint64_t zap_admitted, zap_refused; /* CURVE handshakes */
} server_stats;

/* Builds the K envs, binds, and (with CURVE) installs the ZAP handler. KISIM_EUSAGE for a
 * bad endpoint or an endpoint in use, with the endpoint in the message. */
int server_open(kisim_server **out, const kisim_config *cfg, const server_opts *o);
/* The endpoint actually bound (a wildcard port resolved). */
const char *server_endpoint(const kisim_server *s);
/* Answers what arrives within timeout_ms: ZAP requests and at most one env request. 0, or a
 * negative kisim_err for a socket failure (not for a bad request, which is answered). */
int server_poll(kisim_server *s, int timeout_ms);
/* Serves until *stop is nonzero (a SIGINT/SIGTERM handler sets it; checked every 200 ms and
 * whenever a signal interrupts the wait). */
int server_run(kisim_server *s, atomic_int *stop);
void server_get_stats(const kisim_server *s, server_stats *st);
void server_close(kisim_server *s);

#endif

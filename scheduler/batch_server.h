/* batch_server.h: the BatchScore server (scheduler/PROTOCOL.md): one ROUTER socket, requests
 * answered one at a time through a score_service. A malformed request gets an error reply and
 * the server goes on. */
#ifndef KISIM_BATCH_SERVER_H
#define KISIM_BATCH_SERVER_H

#include <stdint.h>

#include "scheduler/score.h"

typedef struct batch_server batch_server;

typedef struct {
    uint64_t requests, errors;
} batch_server_stats;

/* Binds endpoint (NULL = SCORE_DEFAULT_ENDPOINT). s is borrowed. KISIM_EUSAGE if it cannot
 * bind. */
int batch_server_open(batch_server **out, score_service *s, const char *endpoint);
/* The endpoint actually bound (tcp://HOST:* picks a port). */
const char *batch_server_endpoint(const batch_server *b);
/* Waits up to timeout_ms for a request and answers it. 0, or an error of the socket itself. */
int batch_server_poll(batch_server *b, int timeout_ms);
/* Safe from any thread while another polls. */
void batch_server_get_stats(const batch_server *b, batch_server_stats *st);
void batch_server_close(batch_server *b);

#endif

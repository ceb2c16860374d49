/* batch_client.h: a C client of the BatchScore protocol (scheduler/PROTOCOL.md), for
 * `kisim rebalance`, `kisim bench score` and the tests. One DEALER socket; requests carry an
 * id and late replies to abandoned requests are dropped. */
#ifndef KISIM_BATCH_CLIENT_H
#define KISIM_BATCH_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "scheduler/score.h"

typedef struct batch_client batch_client;

/* The parsed score reply (arrays owned; batch_result_free). */
typedef struct {
    int n;
    uint8_t *scores, *links, *status; /* [n] */
    float *conf;                      /* [n] */
    char **reasons;                   /* [n], pointing into one buffer */
    char link[32], version[SCORE_VERSION_MAX];
    int shadow;
    double seconds;
} batch_result;

int batch_client_open(batch_client **out, const char *endpoint, int timeout_ms);
void batch_client_close(batch_client *c);
/* Scores: req's nodes, pod, and inline telemetry / availability / orch when given. Errors:
 * KISIM_ETIMEOUT, or KISIM_EPROTOCOL with the server's code and message. */
int batch_client_score(batch_client *c, const score_request *req, batch_result *res);
void batch_result_free(batch_result *res);
/* Sends raw frames and returns the reply's header (malloc'd) and its frame count: for tests. */
int batch_client_raw(batch_client *c, const void *const *data, const size_t *size, int n,
                     char **header, int *n_reply_frames);
/* rebalance: the reply header's JSON text (malloc'd). */
int batch_client_rebalance(batch_client *c, int min_delta, int max_moves, char **json);

#endif

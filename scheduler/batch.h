/* batch.h: the BatchScore protocol (scheduler/PROTOCOL.md) as pure functions: parse a request's
 * frames into a batch_request, encode reply headers. No sockets here, so the parser can be
 * fuzzed (tests/fuzz_batch.c). The framing is the env protocol's: frame 0 a JSON header, then
 * raw little-endian arrays. */
#ifndef KISIM_BATCH_H
#define KISIM_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "scheduler/score.h"
#include "transport/proto.h"

#define BATCH_VERSION 1
#define BATCH_MAX_HEADER (1 << 20) /* bytes of JSON in frame 0: 4,096 names of up to 253 bytes */
#define BATCH_MAX_FRAMES 4

/* X(ID, wire name, when) */
#define BATCH_ERRORS(X)                                                                            \
    X(BAD_JSON, "bad_json", "frame 0 is not a JSON object (or is larger than 1 MiB)")              \
    X(UNSUPPORTED_VERSION, "unsupported_version", "\"v\" is not 1")                                \
    X(BAD_FIELD, "bad_field",                                                                      \
      "a header field is missing, unknown, repeated, or of the wrong type or range")               \
    X(UNKNOWN_COMMAND, "unknown_command", "\"cmd\" is not score or rebalance")                     \
    X(FRAME_COUNT, "frame_count", "the message has the wrong number of frames for its header")     \
    X(ARRAY_SIZE, "array_size", "an array frame's size does not match its shape")                  \
    X(BAD_VALUE, "bad_value", "an array holds NaN or infinity where a number is needed")           \
    X(SCORE_ERROR, "score_error", "the service could not score the request; the message says why")
typedef enum {
    BATCH_OK = 0,
#define BATCH__ENUM(id, name, when) BATCH_E_##id,
    BATCH_ERRORS(BATCH__ENUM)
#undef BATCH__ENUM
        BATCH_N_ERRORS
} batch_code;

const char *batch_code_name(batch_code code);

typedef enum { BATCH_SCORE, BATCH_REBALANCE } batch_cmd;

typedef struct {
    batch_cmd cmd;
    int has_id;
    int64_t id;
    /* score */
    int n;
    char **nodes; /* [n] owned (one allocation with the names) */
    float pod[KISIM_P];
    int T;            /* > 0: frame 1 is inline telemetry float32 [n, T, F] */
    float *telemetry; /* owned copy, or NULL */
    int has_available;
    uint8_t available[KISIM_F];
    float *orch; /* owned copy of the orch frame float32 [n, 4], or NULL */
    /* rebalance */
    int min_delta; /* moves with a smaller score gain are not listed; default 20 */
    int max_moves; /* default 50 */
} batch_request;

/* Parses and validates a whole request. Returns BATCH_OK or the code to reply with; msg gets a
 * message naming the field or frame. req->has_id/id are set as soon as the id is read, so error
 * replies can echo it. Free with batch_request_free whatever it returns. */
batch_code batch_parse(const proto_frame *frames, int n_frames, batch_request *req, char *msg,
                       size_t msg_cap);
void batch_request_free(batch_request *req);

/* The request as score_service_score wants it (pointers into req). */
void batch_to_score_request(const batch_request *req, score_request *out);

/* Error reply header {"v":1,"ok":false[,"id":I],"error":{"code":..,"message":..}} (malloc'd). */
char *batch_error_header(const batch_request *req, batch_code code, const char *message);
/* The score reply: header (malloc'd) {"v":1,"ok":true[,"id"],"n","link","version","shadow",
 * "seconds","links":[link names]} and the arrays of PROTOCOL.md, written into the caller's
 * buffers: scores uint8 [n], confidence float32 [n], link uint8 [n], status uint8 [n], and
 * the reasons text (malloc'd, one line per node). */
char *batch_score_header(const batch_request *req, const score_reply *rep);
void batch_score_arrays(const score_reply *rep, uint8_t *scores, float *conf, uint8_t *links,
                        uint8_t *status);
char *batch_reasons_text(const score_reply *rep, size_t *len);

#endif

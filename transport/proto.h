/* proto.h: the env server's wire protocol (env/PROTOCOL.md), as pure functions: parse and
 * validate a request's frames, encode reply headers. No sockets here, so the parser can be
 * fuzzed (tests/fuzz_proto.c) and unit-tested frame by frame.
 *
 * A request is a multipart message: frame 0 a JSON header {"v":1,"cmd":...}, then for `step`
 * one raw little-endian action array. A reply is a JSON header, then raw arrays. */
#ifndef KISIM_PROTO_H
#define KISIM_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define PROTO_VERSION 1
#define PROTO_MAX_HEADER 65536 /* bytes of JSON in frame 0 */
#define PROTO_MAX_FRAMES 8     /* frames a server reads of one request; more is frame_count */

/* The protocol's error codes: X(ID, wire name, when). The wire name is the reply's
 * error.code; PROTOCOL.md's table is this one. */
#define PROTO_ERRORS(X)                                                                            \
    X(BAD_JSON, "bad_json", "frame 0 is not a JSON object (or is larger than 64 KiB)")             \
    X(UNSUPPORTED_VERSION, "unsupported_version", "\"v\" is not a version this server speaks")     \
    X(BAD_FIELD, "bad_field", "a header field is missing, unknown, of the wrong type or range")    \
    X(UNKNOWN_COMMAND, "unknown_command", "\"cmd\" is not spaces, reset, step or close")           \
    X(FRAME_COUNT, "frame_count", "the message has the wrong number of frames for its command")    \
    X(ARRAY_SIZE, "array_size", "an array frame's size does not match its dtype and shape")        \
    X(BAD_ACTION, "bad_action", "an action is NaN, not an integer, or outside its range")          \
    X(INVALID_ACTION, "invalid_action", "an action is masked (invalid_action mode error)")         \
    X(NOT_RESET, "not_reset", "step on an env with no running episode (reset first)")              \
    X(ENV_ERROR, "env_error", "the environment failed; the message says why")

typedef enum {
    PROTO_OK = 0,
#define PROTO__ENUM(id, name, when) PROTO_E_##id,
    PROTO_ERRORS(PROTO__ENUM)
#undef PROTO__ENUM
        PROTO_N_ERRORS
} proto_code;

/* Wire name of a code ("frame_count"), "ok" for PROTO_OK, NULL if out of range. */
const char *proto_code_name(proto_code code);
/* The code of a wire name, or -1. */
int proto_code_from_name(const char *name);

typedef enum { PROTO_SPACES, PROTO_RESET, PROTO_STEP, PROTO_CLOSE } proto_cmd;
/* Action dtypes a step may send; int32 is the default and what the clients send. */
typedef enum { PROTO_INT32, PROTO_INT64, PROTO_FLOAT32, PROTO_FLOAT64 } proto_dtype;

typedef struct {
    const void *data;
    size_t size;
} proto_frame;

/* What the server hosts, for range checks. */
typedef struct {
    int envs;  /* K */
    int n_max; /* N_max: node actions lie in [0, n_max) */
} proto_limits;

typedef struct {
    proto_cmd cmd;
    int has_id;
    int64_t id;                      /* "id": echoed in the reply, 0 .. 2^53 */
    int env;                         /* "env": one env's index, or -1 for all K */
    int n;                           /* envs addressed: K, or 1 with "env" */
    uint64_t seed;                   /* reset: "seed" */
    uint64_t env_offset, total_envs; /* reset of all K: this server's span (default 0, K) */
    proto_dtype dtype;               /* step: dtype of the actions frame */
} proto_request;

/* Parses and validates a whole request: the header, the frame count and sizes, and for step
 * the actions, decoded into actions[0 .. 2n) (room for 2 * K int32) with their ranges checked
 * (node in [0, n_max), scale in {0, 1, 2}, finite integers). Masks are the server's business.
 * Returns PROTO_OK or the code to reply with; msg (msg_cap bytes) gets a message naming the
 * field. req->has_id/id are set as soon as the header's id is read, so that error replies can
 * echo it. */
proto_code proto_parse(const proto_frame *frames, int n_frames, const proto_limits *lim,
                       proto_request *req, int32_t *actions, char *msg, size_t msg_cap);

/* Helpers the BatchScore parser (scheduler/batch.c) shares. proto_json_int: 1 with *out set
 * when item is a JSON number that is a finite integer in [lo, hi], else 0. proto_printable:
 * copies s into buf (cap bytes, NUL-terminated, cut to fit) for a message, every byte outside
 * printable ASCII as '?'; returns buf. */
struct cJSON;
int proto_json_int(const struct cJSON *item, double lo, double hi, double *out);
const char *proto_printable(const char *s, char *buf, size_t cap);

/* Reply headers, written to buf (cap bytes, NUL-terminated); return the length, or -1 if it
 * did not fit. ok: {"v":1,"ok":true[,"id":I],"n":n[,"env":e]}; extra, if not NULL, is a JSON
 * fragment `"key":value,...` appended inside the object. */
int proto_ok_header(char *buf, size_t cap, const proto_request *req, const char *extra);
/* {"v":1,"ok":false[,"id":I],"error":{"code":"...","message":"..."}}; the message is escaped
 * (non-ASCII bytes become '?') and cut to fit. req may be NULL (no id). */
int proto_error_header(char *buf, size_t cap, const proto_request *req, proto_code code,
                       const char *message);

#endif

/* frame.h: a telemetry frame's JSON body (docs/ARCHITECTURE.md, "Telemetry frames"), parsed
 * into a struct and written back. The collector (bpf/frame.c) writes frames; the scoring
 * service's telemetry store and the local backend read them with this parser.
 *
 *   {"v":1,"node":"n1","ts_ms":1700000000000,
 *    "features":[F raw values, null when unavailable],"available":[F 0/1],
 *    "pods":{"<pod>":{"features":[...],"available":[...]}}}
 *
 * Features are raw units in common/features.h order. A feature is used only where available is
 * 1; a null value with available 1 is an error, a number with available 0 is ignored (kept 0). */
#ifndef KISIM_TELEM_FRAME_H
#define KISIM_TELEM_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "common/features.h"

#define TELEM_FRAME_VERSION 1
#define TELEM_FRAME_MAX_BODY (1 << 20) /* bytes of JSON a frame may have */
#define TELEM_FRAME_NAME_MAX 253       /* bytes of a node or pod name (a DNS subdomain) */
#define TELEM_FRAME_MAX_PODS 1024      /* pods in one frame, so pods a node holds in a store */
#define TELEM_FRAME_TOPIC_PREFIX "telemetry."
/* JSON values a frame may have: its own fields and 1,024 pods of 33 values, with room to spare;
 * far below the 1,000,000 of other documents, so a 1 MiB body cannot become a large tree. */
#define TELEM_FRAME_MAX_VALUES (64 + TELEM_FRAME_MAX_PODS * 40)
#define TELEM_FRAME_MAX_DEPTH 4 /* frame -> pods -> pod -> features */

/* Why a consumer refused a frame, defined once: X(ID, name, what). The scoring service counts
 * each in kisim_score_telemetry_frames_total{result=name} beside result="ok". */
#define TELEM_REFUSALS(X)                                                                          \
    X(MALFORMED, "malformed", "not a frame: bad JSON or field, not two parts, topic not its node") \
    X(TOO_MANY_PODS, "too_many_pods", "more pods than TELEM_FRAME_MAX_PODS (1,024)")               \
    X(STALE, "stale", "ts_ms older than the staleness limit")                                      \
    X(FUTURE, "future", "ts_ms more than TELEM_MAX_AHEAD_MS (5 s) ahead of this clock")            \
    X(WRONG_NODE, "wrong_node", "a CURVE collector key sending a node it is not bound to")
typedef enum {
#define TELEM__REFUSAL(id, name, what) TELEM_REFUSED_##id,
    TELEM_REFUSALS(TELEM__REFUSAL)
#undef TELEM__REFUSAL
        TELEM_N_REFUSALS
} telem_refusal;
/* The name of a refusal ("stale"), or "?" out of range. */
const char *telem_refusal_name(telem_refusal r);

typedef struct {
    char name[TELEM_FRAME_NAME_MAX + 1];
    float features[KISIM_F]; /* raw units; 0 where unavailable */
    uint8_t available[KISIM_F];
} telem_frame_pod;

typedef struct {
    char node[TELEM_FRAME_NAME_MAX + 1];
    int64_t ts_ms;           /* the collector's wall clock, ms since the epoch */
    float features[KISIM_F]; /* raw units; 0 where unavailable */
    uint8_t available[KISIM_F];
    int n_pods;
    telem_frame_pod *pods; /* [n_pods], owned */
} telem_frame;

/* Parses body (len bytes, need not be NUL-terminated) into f (its old contents are not freed:
 * pass a zeroed or freed frame). Returns 0, or KISIM_EINPUT with a message naming the field
 * ("telemetry frame: features[3]: expected a number or null"), or KISIM_ENOMEM. On error f
 * holds nothing to free. Unknown keys are errors, so a misspelt field never passes silently. */
int telem_frame_parse(telem_frame *f, const char *body, size_t len);
/* telem_frame_parse that also says, when it refuses, whether for the pod cap or malformed
 * (why may be NULL). */
int telem_frame_read(telem_frame *f, const char *body, size_t len, telem_refusal *why);
/* Checks that a topic frame is `telemetry.<node>` for this frame's node; KISIM_EINPUT if not. */
int telem_frame_check_topic(const telem_frame *f, const char *topic, size_t len);
/* The frame as a JSON body (the format above, null where unavailable); caller frees, NULL on
 * OOM. */
char *telem_frame_json(const telem_frame *f);
/* A name is 1..TELEM_FRAME_NAME_MAX bytes of printable ASCII other than '"' and '\\'. */
int telem_frame_name_ok(const char *s);
void telem_frame_free(telem_frame *f);

#endif

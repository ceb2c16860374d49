/* json_strict.h: the one JSON reader for input from outside the process (wire messages, request
 * bodies, telemetry frames, configs, checkpoint headers, dataset records). It checks the text
 * against RFC 8259 and the limits below in one pass over the bytes, before any tree is built, so
 * a small body cannot become a large tree; then cJSON builds the tree and duplicate keys are
 * refused (Go's encoding/json, which kube-scheduler uses, would take the last where cJSON takes
 * the first: refusing both is the only reading that cannot disagree). */
#ifndef KISIM_COMMON_JSON_STRICT_H
#define KISIM_COMMON_JSON_STRICT_H

#include <cjson/cJSON.h>
#include <stddef.h>

typedef struct {
    size_t max_bytes;  /* whole document */
    size_t max_values; /* every value: objects, arrays, strings, numbers, literals */
    int max_depth;     /* nesting of objects and arrays; a bare scalar has depth 0 */
} json_limits;

/* The limits docs/ARCHITECTURE.md ("Input limits") states: 16 MiB, 1,000,000 values, depth 64. */
#define JSON_MAX_BYTES ((size_t)16 << 20)
#define JSON_MAX_VALUES ((size_t)1000000)
#define JSON_MAX_DEPTH 64
extern const json_limits json_default_limits;

/* Why a document was refused. text is what callers print ("at byte 12: text after the JSON
 * document"); reason and at are its parts, for callers that print a position their own way
 * (configs give line and column). at is JSON_NO_OFFSET for refusals of the whole document (its
 * size, a duplicate key: cJSON keeps no positions). For a duplicate key, pointer is the RFC 6901
 * JSON Pointer of the repeated key ("/env/seed"), so callers can name it as their format does. */
#define JSON_NO_OFFSET ((size_t)-1)
typedef enum { JSON_SYNTAX = 1, JSON_LIMIT, JSON_DUPLICATE, JSON_NOMEM } json_fault;
typedef struct {
    json_fault kind;
    size_t at;
    char reason[120];
    char text[160];
    char pointer[128];
} json_error;

/* Parses exactly one JSON document of len bytes (no NUL needed; text after it other than
 * whitespace is refused). lim NULL means json_default_limits. Refused too: a \u0000 escape or a
 * raw control character in a string, an invalid escape or surrogate pair, a number outside the
 * grammar or the range of a double, a duplicate key in an object. On failure returns NULL and,
 * when e is not NULL, says why in *e. */
cJSON *json_strict_parse(const char *buf, size_t len, const json_limits *lim, json_error *e);

/* The same for a NUL-terminated string. */
cJSON *json_strict_parse_str(const char *s, const json_limits *lim, json_error *e);

#endif

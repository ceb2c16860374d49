/* batch.c: BatchScore request parsing and reply encoding (batch.h, PROTOCOL.md). Pure: no
 * sockets, no global state; every rejection names the field or frame. */
#include "scheduler/batch.h"
#include "common/json_strict.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "telemetry/frame.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the wire format is little-endian; this build would need byte swaps"
#endif

static const char *const code_names[BATCH_N_ERRORS] = {"ok",
#define BATCH__NAME(id, name, when) name,
                                                       BATCH_ERRORS(BATCH__NAME)
#undef BATCH__NAME
};

const char *batch_code_name(batch_code code)
{
    return (int)code >= 0 && code < BATCH_N_ERRORS ? code_names[code] : "score_error";
}

static batch_code fail(char *msg, size_t cap, batch_code code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static batch_code fail(char *msg, size_t cap, batch_code code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, cap, fmt, ap);
    va_end(ap);
    return code;
}

static int key_allowed(batch_cmd cmd, const char *k)
{
    static const char *const score_keys[] = {"nodes", "pod", "T", "available", "orch", NULL};
    static const char *const rebalance_keys[] = {"min_delta", "max", NULL};
    const char *const *keys = cmd == BATCH_SCORE ? score_keys : rebalance_keys;
    for (int i = 0; keys[i]; i++)
        if (!strcmp(k, keys[i])) return 1;
    return 0;
}

static batch_code parse_nodes(const cJSON *a, batch_request *req, char *msg, size_t cap)
{
    if (!cJSON_IsArray(a))
        return fail(msg, cap, BATCH_E_BAD_FIELD, "nodes: missing or not an array of node names");
    int n = cJSON_GetArraySize(a);
    if (n < 1 || n > SCORE_MAX_NODES)
        return fail(msg, cap, BATCH_E_BAD_FIELD, "nodes: %d names, expected 1..%d", n,
                    SCORE_MAX_NODES);
    size_t bytes = 0;
    const cJSON *x;
    int i = 0;
    cJSON_ArrayForEach(x, a)
    {
        if (!cJSON_IsString(x) || !telem_frame_name_ok(x->valuestring))
            return fail(msg, cap, BATCH_E_BAD_FIELD,
                        "nodes[%d]: expected a node name (1..%d printable "
                        "ASCII bytes, no spaces or quotes)",
                        i, TELEM_FRAME_NAME_MAX);
        bytes += strlen(x->valuestring) + 1;
        i++;
    }
    char **names = malloc((size_t)n * sizeof *names + bytes);
    if (!names) return fail(msg, cap, BATCH_E_SCORE_ERROR, "out of memory for %d names", n);
    char *p = (char *)(names + n);
    i = 0;
    cJSON_ArrayForEach(x, a)
    {
        size_t len = strlen(x->valuestring) + 1;
        memcpy(p, x->valuestring, len);
        names[i++] = p;
        p += len;
    }
    req->nodes = names;
    req->n = n;
    return BATCH_OK;
}

static batch_code parse_fixed(const cJSON *a, const char *key, int count, float *out, int zero_one,
                              char *msg, size_t cap)
{
    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != count)
        return fail(msg, cap, BATCH_E_BAD_FIELD, "%s: expected an array of %d numbers", key, count);
    const cJSON *x;
    int i = 0;
    cJSON_ArrayForEach(x, a)
    {
        if (!cJSON_IsNumber(x) || !isfinite(x->valuedouble) || fabs(x->valuedouble) > 1e30 ||
            (zero_one && x->valuedouble != 0 && x->valuedouble != 1))
            return fail(msg, cap, BATCH_E_BAD_FIELD, "%s[%d]: expected %s", key, i,
                        zero_one ? "0 or 1" : "a finite number");
        out[i++] = (float)x->valuedouble;
    }
    return BATCH_OK;
}

static batch_code parse_header(const cJSON *h, batch_request *req, int *want_frames, char *msg,
                               size_t cap)
{
    char kb[64];
    double d;
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(h, "id");
    if (id) {
        if (!proto_json_int(id, 0, 9007199254740992.0, &d))
            return fail(msg, cap, BATCH_E_BAD_FIELD, "id: expected an integer in [0, 2^53]");
        req->has_id = 1;
        req->id = (int64_t)d;
    }
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(h, "v");
    if (!v) return fail(msg, cap, BATCH_E_BAD_FIELD, "v: missing (the protocol version, 1)");
    if (!cJSON_IsNumber(v) || v->valuedouble != BATCH_VERSION)
        return fail(msg, cap, BATCH_E_UNSUPPORTED_VERSION, "v: this server speaks version %d only",
                    BATCH_VERSION);
    const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(h, "cmd");
    if (!cJSON_IsString(cmd))
        return fail(msg, cap, BATCH_E_BAD_FIELD, "cmd: missing or not a string");
    if (!strcmp(cmd->valuestring, "score"))
        req->cmd = BATCH_SCORE;
    else if (!strcmp(cmd->valuestring, "rebalance"))
        req->cmd = BATCH_REBALANCE;
    else
        return fail(msg, cap, BATCH_E_UNKNOWN_COMMAND,
                    "cmd: unknown command \"%s\" (score, rebalance)",
                    proto_printable(cmd->valuestring, kb, sizeof kb));
    for (const cJSON *it = h->child; it; it = it->next) { /* repeats were refused by the parse */
        const char *k = it->string ? it->string : "";
        if (strcmp(k, "v") && strcmp(k, "cmd") && strcmp(k, "id") && !key_allowed(req->cmd, k))
            return fail(msg, cap, BATCH_E_BAD_FIELD, "%s: unknown key for %s",
                        proto_printable(k, kb, sizeof kb), cmd->valuestring);
    }
    *want_frames = 1;
    if (req->cmd == BATCH_REBALANCE) {
        req->min_delta = 20;
        req->max_moves = 50;
        const cJSON *md = cJSON_GetObjectItemCaseSensitive(h, "min_delta");
        const cJSON *mx = cJSON_GetObjectItemCaseSensitive(h, "max");
        if (md && !proto_json_int(md, 0, 100, &d))
            return fail(msg, cap, BATCH_E_BAD_FIELD, "min_delta: expected an integer in [0, 100]");
        if (md) req->min_delta = (int)d;
        if (mx && !proto_json_int(mx, 1, 10000, &d))
            return fail(msg, cap, BATCH_E_BAD_FIELD, "max: expected an integer in [1, 10000]");
        if (mx) req->max_moves = (int)d;
        return BATCH_OK;
    }
    batch_code code = parse_nodes(cJSON_GetObjectItemCaseSensitive(h, "nodes"), req, msg, cap);
    if (!code)
        code = parse_fixed(cJSON_GetObjectItemCaseSensitive(h, "pod"), "pod", KISIM_P, req->pod, 0,
                           msg, cap);
    if (code) return code;
    const cJSON *T = cJSON_GetObjectItemCaseSensitive(h, "T");
    if (T) {
        if (!proto_json_int(T, 1, TELEM_MAX_WINDOW, &d))
            return fail(msg, cap, BATCH_E_BAD_FIELD,
                        "T: expected an integer in [1, %d] (the inline telemetry window)",
                        TELEM_MAX_WINDOW);
        req->T = (int)d;
        (*want_frames)++;
    }
    const cJSON *av = cJSON_GetObjectItemCaseSensitive(h, "available");
    if (av) {
        float a[KISIM_F];
        if (!T)
            return fail(msg, cap, BATCH_E_BAD_FIELD, "available: only with inline telemetry (T)");
        if ((code = parse_fixed(av, "available", KISIM_F, a, 1, msg, cap))) return code;
        for (int f = 0; f < KISIM_F; f++)
            req->available[f] = a[f] != 0;
        req->has_available = 1;
    }
    const cJSON *orch = cJSON_GetObjectItemCaseSensitive(h, "orch");
    if (orch && !cJSON_IsBool(orch))
        return fail(msg, cap, BATCH_E_BAD_FIELD, "orch: expected true or false");
    if (cJSON_IsTrue(orch)) (*want_frames)++;
    return BATCH_OK;
}

/* Copies a float32 frame of count elements (frames need not be aligned). finite: no NaN/inf;
 * else NaN allowed (orch: unknown), inf not. */
static batch_code copy_array(const proto_frame *fr, int index, const char *what, size_t count,
                             int allow_nan, float **out, char *msg, size_t cap)
{
    if (fr->size != count * sizeof(float))
        return fail(msg, cap, BATCH_E_ARRAY_SIZE,
                    "frame %d (%s): expected %zu float32 = %zu bytes, got %zu", index, what, count,
                    count * sizeof(float), fr->size);
    float *a = malloc(count ? count * sizeof *a : 1);
    if (!a) return fail(msg, cap, BATCH_E_SCORE_ERROR, "out of memory for frame %d", index);
    memcpy(a, fr->data, count * sizeof *a);
    *out = a;
    for (size_t k = 0; k < count; k++)
        if (isinf(a[k]) || (!allow_nan && isnan(a[k])))
            return fail(msg, cap, BATCH_E_BAD_VALUE, "frame %d (%s): element %zu is %s", index,
                        what, k, isnan(a[k]) ? "NaN" : "infinite");
    return BATCH_OK;
}

batch_code batch_parse(const proto_frame *frames, int n_frames, batch_request *req, char *msg,
                       size_t msg_cap)
{
    memset(req, 0, sizeof *req);
    if (msg_cap) msg[0] = 0;
    if (n_frames < 1 || frames[0].size == 0)
        return fail(msg, msg_cap, BATCH_E_BAD_JSON, "frame 0: empty (expected the JSON header)");
    if (frames[0].size > BATCH_MAX_HEADER)
        return fail(msg, msg_cap, BATCH_E_BAD_JSON, "frame 0: %zu bytes, more than %d",
                    frames[0].size, BATCH_MAX_HEADER);
    json_error je;
    cJSON *h = json_strict_parse(frames[0].data, frames[0].size, NULL, &je);
    batch_code code = BATCH_OK;
    int want = 1;
    if (!h && je.kind == JSON_DUPLICATE) {
        char kb[64];
        code = fail(msg, msg_cap, BATCH_E_BAD_FIELD, "%s: duplicate key",
                    proto_printable(je.pointer + 1, kb, sizeof kb));
        goto cleanup;
    }
    if (!h || !cJSON_IsObject(h)) {
        code = fail(msg, msg_cap, BATCH_E_BAD_JSON, "frame 0: %s%s",
                    h ? "not a JSON object" : "not valid JSON: ", h ? "" : je.text);
        goto cleanup;
    }
    code = parse_header(h, req, &want, msg, msg_cap);
    if (code) goto cleanup;
    if (n_frames != want) {
        code =
            fail(msg, msg_cap, BATCH_E_FRAME_COUNT, "%s: expected %d frame%s (header%s%s), got %d",
                 req->cmd == BATCH_SCORE ? "score" : "rebalance", want, want > 1 ? "s" : "",
                 req->T ? ", telemetry" : "", want > 1 + (req->T > 0) ? ", orch" : "", n_frames);
        goto cleanup;
    }
    int next = 1;
    if (req->T) {
        code = copy_array(&frames[next], next, "telemetry", (size_t)req->n * req->T * KISIM_F, 0,
                          &req->telemetry, msg, msg_cap);
        next++;
    }
    if (!code && next < want)
        code = copy_array(&frames[next], next, "orch", (size_t)req->n * KISIM_F_ORCH, 1, &req->orch,
                          msg, msg_cap);
cleanup:
    cJSON_Delete(h);
    return code;
}

void batch_request_free(batch_request *req)
{
    free(req->nodes);
    free(req->telemetry);
    free(req->orch);
    req->nodes = NULL;
    req->telemetry = req->orch = NULL;
}

void batch_to_score_request(const batch_request *req, score_request *out)
{
    memset(out, 0, sizeof *out);
    out->verb = req->cmd == BATCH_REBALANCE ? SCORE_VERB_REBALANCE : SCORE_VERB_BATCHSCORE;
    memcpy(out->pod, req->pod, sizeof out->pod);
    out->n = req->n;
    out->nodes = (const char *const *)req->nodes;
    out->telemetry = req->telemetry;
    out->T = req->T;
    out->available = req->has_available ? req->available : NULL;
    out->orch = req->orch;
}

/* cJSON header objects: small, built once per reply. */
static cJSON *header_base(const batch_request *req, int ok)
{
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    cJSON_AddNumberToObject(o, "v", BATCH_VERSION);
    cJSON_AddBoolToObject(o, "ok", ok);
    if (req && req->has_id) cJSON_AddNumberToObject(o, "id", (double)req->id);
    return o;
}

static char *finish(cJSON *o)
{
    char *s = o ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    return s;
}

char *batch_error_header(const batch_request *req, batch_code code, const char *message)
{
    cJSON *o = header_base(req, 0), *e = o ? cJSON_AddObjectToObject(o, "error") : NULL;
    if (!e) {
        cJSON_Delete(o);
        return NULL;
    }
    char clean[1024];
    proto_printable(message ? message : "", clean, sizeof clean);
    cJSON_AddStringToObject(e, "code", batch_code_name(code));
    cJSON_AddStringToObject(e, "message", clean);
    return finish(o);
}

char *batch_score_header(const batch_request *req, const score_reply *rep)
{
    cJSON *o = header_base(req, 1);
    if (!o) return NULL;
    cJSON_AddNumberToObject(o, "n", rep->n);
    cJSON_AddStringToObject(o, "link", score_link_name(rep->link));
    cJSON_AddStringToObject(o, "version", rep->version);
    cJSON_AddBoolToObject(o, "shadow", rep->shadow);
    cJSON_AddNumberToObject(o, "seconds", rep->seconds);
    cJSON *links = cJSON_AddArrayToObject(o, "links");
    for (int k = 0; links && k < SCORE_N_LINKS; k++)
        cJSON_AddItemToArray(links, cJSON_CreateString(score_link_name((score_link)k)));
    return finish(o);
}

void batch_score_arrays(const score_reply *rep, uint8_t *scores, float *conf, uint8_t *links,
                        uint8_t *status)
{
    for (int i = 0; i < rep->n; i++) {
        scores[i] = (uint8_t)rep->nodes[i].score;
        conf[i] = rep->nodes[i].confidence;
        links[i] = (uint8_t)rep->nodes[i].link;
        status[i] = (uint8_t)rep->nodes[i].status;
    }
}

char *batch_reasons_text(const score_reply *rep, size_t *len)
{
    size_t total = 0;
    for (int i = 0; i < rep->n; i++)
        total += strlen(rep->nodes[i].reason) + 1;
    char *t = malloc(total + 1), *p = t;
    if (!t) return NULL;
    for (int i = 0; i < rep->n; i++) {
        size_t l = strlen(rep->nodes[i].reason);
        memcpy(p, rep->nodes[i].reason, l);
        p += l;
        if (i + 1 < rep->n) *p++ = '\n';
    }
    *p = 0;
    *len = (size_t)(p - t);
    return t;
}

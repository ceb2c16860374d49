/* proto.c: request parsing and reply-header encoding for the env protocol (PROTOCOL.md). Pure:
 * no sockets, no global state; every rejection says which field or frame was wrong. */
#include "transport/proto.h"
#include "common/json_strict.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the wire format is little-endian; this build would need byte swaps"
#endif

static const char *const code_names[PROTO_N_ERRORS] = {"ok",
#define PROTO__NAME(id, name, when) name,
                                                       PROTO_ERRORS(PROTO__NAME)
#undef PROTO__NAME
};

const char *proto_code_name(proto_code code)
{
    return (int)code >= 0 && code < PROTO_N_ERRORS ? code_names[code] : NULL;
}

int proto_code_from_name(const char *name)
{
    for (int i = 0; i < PROTO_N_ERRORS; i++)
        if (!strcmp(name, code_names[i])) return i;
    return -1;
}

static proto_code fail(char *msg, size_t cap, proto_code code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static proto_code fail(char *msg, size_t cap, proto_code code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, cap, fmt, ap);
    va_end(ap);
    return code;
}

static const char *const cmd_names[] = {"spaces", "reset", "step", "close"};
static const char *const dtype_names[] = {"int32", "int64", "float32", "float64"};
static const size_t dtype_sizes[] = {4, 8, 4, 8};

/* A JSON number that is an integer in [lo, hi] (both within 2^53). */
int proto_json_int(const cJSON *item, double lo, double hi, double *out)
{
    if (!cJSON_IsNumber(item)) return 0;
    double v = item->valuedouble;
    if (!isfinite(v) || v != floor(v) || v < lo || v > hi) return 0;
    *out = v;
    return 1;
}

/* A seed: a decimal string of a uint64, or a JSON integer up to 2^53. */
static int json_seed(const cJSON *item, uint64_t *out)
{
    double d;
    if (proto_json_int(item, 0, 9007199254740992.0, &d)) {
        *out = (uint64_t)d;
        return 1;
    }
    if (!cJSON_IsString(item)) return 0;
    const char *s = item->valuestring;
    size_t len = strlen(s);
    if (len == 0 || len > 20) return 0;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return 0;
        uint64_t digit = (uint64_t)(s[i] - '0');
        if (v > (UINT64_MAX - digit) / 10) return 0;
        v = v * 10 + digit;
    }
    *out = v;
    return 1;
}

const char *proto_printable(const char *s, char *buf, size_t cap)
{
    size_t i = 0;
    for (; s[i] && i + 1 < cap; i++)
        buf[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
    buf[i] = 0;
    return buf;
}

/* Which keys each command takes, beyond v, cmd and id. */
static int key_allowed(proto_cmd cmd, const char *key)
{
    if (!strcmp(key, "env")) return cmd != PROTO_SPACES;
    if (!strcmp(key, "seed") || !strcmp(key, "env_offset") || !strcmp(key, "total_envs"))
        return cmd == PROTO_RESET;
    if (!strcmp(key, "dtype")) return cmd == PROTO_STEP;
    return 0;
}

static proto_code parse_header(const cJSON *h, const proto_limits *lim, proto_request *req,
                               char *msg, size_t cap)
{
    char kb[64];
    double d;
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(h, "id");
    if (id) {
        if (!proto_json_int(id, 0, 9007199254740992.0, &d))
            return fail(msg, cap, PROTO_E_BAD_FIELD, "id: expected an integer in [0, 2^53]");
        req->has_id = 1;
        req->id = (int64_t)d;
    }
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(h, "v");
    if (!v) return fail(msg, cap, PROTO_E_BAD_FIELD, "v: missing (the protocol version, 1)");
    if (!cJSON_IsNumber(v) || v->valuedouble != PROTO_VERSION)
        return fail(msg, cap, PROTO_E_UNSUPPORTED_VERSION,
                    "v: this server speaks protocol version %d only", PROTO_VERSION);
    const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(h, "cmd");
    if (!cJSON_IsString(cmd))
        return fail(msg, cap, PROTO_E_BAD_FIELD, "cmd: missing or not a string");
    int c = -1;
    for (int i = 0; i < 4; i++)
        if (!strcmp(cmd->valuestring, cmd_names[i])) c = i;
    if (c < 0)
        return fail(msg, cap, PROTO_E_UNKNOWN_COMMAND,
                    "cmd: unknown command \"%s\" (spaces, reset, step, close)",
                    proto_printable(cmd->valuestring, kb, sizeof kb));
    req->cmd = (proto_cmd)c;

    /* Every key known and allowed for this command (json_strict_parse refused repeats). */
    for (const cJSON *it = h->child; it; it = it->next) {
        const char *k = it->string ? it->string : "";
        if (!strcmp(k, "v") || !strcmp(k, "cmd") || !strcmp(k, "id")) continue;
        if (!key_allowed(req->cmd, k))
            return fail(msg, cap, PROTO_E_BAD_FIELD, "%s: unknown key for %s",
                        proto_printable(k, kb, sizeof kb), cmd_names[c]);
    }

    const cJSON *env = cJSON_GetObjectItemCaseSensitive(h, "env");
    req->env = -1;
    req->n = lim->envs;
    if (env) {
        if (!proto_json_int(env, 0, lim->envs - 1, &d))
            return fail(msg, cap, PROTO_E_BAD_FIELD, "env: expected an env index in [0, %d)",
                        lim->envs);
        req->env = (int)d;
        req->n = 1;
    }
    if (req->cmd == PROTO_RESET) {
        const cJSON *seed = cJSON_GetObjectItemCaseSensitive(h, "seed");
        if (!seed) return fail(msg, cap, PROTO_E_BAD_FIELD, "seed: missing (reset needs a seed)");
        if (!json_seed(seed, &req->seed))
            return fail(msg, cap, PROTO_E_BAD_FIELD,
                        "seed: expected a decimal string of an unsigned 64-bit integer, "
                        "or a JSON integer in [0, 2^53]");
        const cJSON *off = cJSON_GetObjectItemCaseSensitive(h, "env_offset");
        const cJSON *tot = cJSON_GetObjectItemCaseSensitive(h, "total_envs");
        req->env_offset = 0;
        req->total_envs = (uint64_t)lim->envs;
        if ((off || tot) && env)
            return fail(msg, cap, PROTO_E_BAD_FIELD,
                        "env_offset/total_envs: only for a reset of all envs, not with env");
        if (tot) {
            if (!proto_json_int(tot, lim->envs, 1 << 30, &d))
                return fail(msg, cap, PROTO_E_BAD_FIELD,
                            "total_envs: expected an integer in [%d, 2^30]", lim->envs);
            req->total_envs = (uint64_t)d;
        }
        if (off) {
            double hi = (double)req->total_envs - lim->envs;
            if (!proto_json_int(off, 0, hi, &d))
                return fail(msg, cap, PROTO_E_BAD_FIELD,
                            "env_offset: expected an integer in [0, %.0f] (total_envs - envs)", hi);
            req->env_offset = (uint64_t)d;
        }
    }
    req->dtype = PROTO_INT32;
    const cJSON *dt = cJSON_GetObjectItemCaseSensitive(h, "dtype");
    if (dt) {
        int found = -1;
        for (int i = 0; cJSON_IsString(dt) && i < 4; i++)
            if (!strcmp(dt->valuestring, dtype_names[i])) found = i;
        if (found < 0)
            return fail(msg, cap, PROTO_E_BAD_FIELD,
                        "dtype: expected \"int32\", \"int64\", \"float32\" or \"float64\"");
        req->dtype = (proto_dtype)found;
    }
    return PROTO_OK;
}

/* Decodes one action value of any dtype to an integer, or explains why it is not one. */
static proto_code action_value(const unsigned char *p, proto_dtype dt, int lo, int hi, int32_t *out,
                               const char *what, int row, int col, char *msg, size_t cap)
{
    double v;
    int64_t i64 = 0;
    int is_int = dt == PROTO_INT32 || dt == PROTO_INT64;
    if (dt == PROTO_INT32) {
        int32_t x;
        memcpy(&x, p, 4);
        i64 = x;
    } else if (dt == PROTO_INT64) {
        memcpy(&i64, p, 8);
    } else {
        if (dt == PROTO_FLOAT32) {
            float f;
            memcpy(&f, p, 4);
            v = f;
        } else {
            memcpy(&v, p, 8);
        }
        if (isnan(v))
            return fail(msg, cap, PROTO_E_BAD_ACTION, "actions[%d][%d] (%s) is NaN", row, col,
                        what);
        if (!isfinite(v) || v != floor(v))
            return fail(msg, cap, PROTO_E_BAD_ACTION, "actions[%d][%d] (%s) = %g is not an integer",
                        row, col, what, v);
        if (v < lo || v > hi)
            return fail(msg, cap, PROTO_E_BAD_ACTION,
                        "actions[%d][%d] (%s) = %g is outside [%d, %d]", row, col, what, v, lo, hi);
        *out = (int32_t)v;
        return PROTO_OK;
    }
    if (is_int && (i64 < lo || i64 > hi))
        return fail(msg, cap, PROTO_E_BAD_ACTION, "actions[%d][%d] (%s) = %lld is outside [%d, %d]",
                    row, col, what, (long long)i64, lo, hi);
    *out = (int32_t)i64;
    return PROTO_OK;
}

proto_code proto_parse(const proto_frame *frames, int n_frames, const proto_limits *lim,
                       proto_request *req, int32_t *actions, char *msg, size_t msg_cap)
{
    memset(req, 0, sizeof *req);
    req->env = -1;
    if (msg_cap) msg[0] = 0;
    if (n_frames < 1 || frames[0].size == 0)
        return fail(msg, msg_cap, PROTO_E_BAD_JSON, "frame 0: empty (expected the JSON header)");
    if (frames[0].size > PROTO_MAX_HEADER)
        return fail(msg, msg_cap, PROTO_E_BAD_JSON, "frame 0: %zu bytes, more than %d",
                    frames[0].size, PROTO_MAX_HEADER);
    json_error je;
    cJSON *h = json_strict_parse(frames[0].data, frames[0].size, NULL, &je);
    proto_code code = PROTO_OK;
    if (!h && je.kind == JSON_DUPLICATE) {
        char kb[64];
        code = fail(msg, msg_cap, PROTO_E_BAD_FIELD, "%s: duplicate key",
                    proto_printable(je.pointer + 1, kb, sizeof kb));
        goto cleanup;
    }
    if (!h || !cJSON_IsObject(h)) {
        code = fail(msg, msg_cap, PROTO_E_BAD_JSON, "frame 0: %s%s",
                    h ? "not a JSON object" : "not valid JSON: ", h ? "" : je.text);
        goto cleanup;
    }
    code = parse_header(h, lim, req, msg, msg_cap);
    if (code) goto cleanup;

    int want = req->cmd == PROTO_STEP ? 2 : 1;
    if (n_frames != want) {
        code = fail(msg, msg_cap, PROTO_E_FRAME_COUNT, "%s: expected %d frame%s (%s), got %d",
                    cmd_names[req->cmd], want, want > 1 ? "s" : "",
                    want > 1 ? "header, actions" : "the header only", n_frames);
        goto cleanup;
    }
    if (req->cmd != PROTO_STEP) goto cleanup;

    size_t el = dtype_sizes[req->dtype], need = (size_t)req->n * 2 * el;
    if (frames[1].size != need) {
        code = fail(msg, msg_cap, PROTO_E_ARRAY_SIZE,
                    "step: actions frame: expected %s[%d, 2] = %zu bytes, got %zu",
                    dtype_names[req->dtype], req->n, need, frames[1].size);
        goto cleanup;
    }
    const unsigned char *p = frames[1].data;
    for (int i = 0; i < req->n && !code; i++) {
        code = action_value(p + (2 * (size_t)i) * el, req->dtype, 0, lim->n_max - 1,
                            &actions[2 * i], "node", i, 0, msg, msg_cap);
        if (!code)
            code = action_value(p + (2 * (size_t)i + 1) * el, req->dtype, 0, 2, &actions[2 * i + 1],
                                "scale", i, 1, msg, msg_cap);
    }
cleanup:
    cJSON_Delete(h);
    return code;
}

static int append(char *buf, size_t cap, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int append(char *buf, size_t cap, size_t *len, const char *fmt, ...)
{
    if (*len >= cap) return -1;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *len, cap - *len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= cap - *len) return -1;
    *len += (size_t)n;
    return 0;
}

int proto_ok_header(char *buf, size_t cap, const proto_request *req, const char *extra)
{
    size_t len = 0;
    int bad = append(buf, cap, &len, "{\"v\":%d,\"ok\":true", PROTO_VERSION);
    if (!bad && req->has_id) bad = append(buf, cap, &len, ",\"id\":%lld", (long long)req->id);
    if (!bad) bad = append(buf, cap, &len, ",\"n\":%d", req->n);
    if (!bad && req->env >= 0) bad = append(buf, cap, &len, ",\"env\":%d", req->env);
    if (!bad && extra && *extra) bad = append(buf, cap, &len, ",%s", extra);
    if (!bad) bad = append(buf, cap, &len, "}");
    return bad ? -1 : (int)len;
}

int proto_error_header(char *buf, size_t cap, const proto_request *req, proto_code code,
                       const char *message)
{
    size_t len = 0;
    const char *name = proto_code_name(code);
    int bad = append(buf, cap, &len, "{\"v\":%d,\"ok\":false", PROTO_VERSION);
    if (!bad && req && req->has_id)
        bad = append(buf, cap, &len, ",\"id\":%lld", (long long)req->id);
    if (!bad)
        bad = append(buf, cap, &len, ",\"error\":{\"code\":\"%s\",\"message\":\"",
                     name ? name : "env_error");
    if (bad) return -1;
    /* The message, escaped, cut to leave room for the closing `"}}`. */
    for (const unsigned char *s = (const unsigned char *)message; s && *s; s++) {
        char esc[8];
        unsigned char ch = *s;
        if (ch == '"' || ch == '\\')
            snprintf(esc, sizeof esc, "\\%c", ch);
        else if (ch < 0x20)
            snprintf(esc, sizeof esc, "\\u%04x", ch);
        else if (ch >= 0x7f)
            snprintf(esc, sizeof esc, "?");
        else
            snprintf(esc, sizeof esc, "%c", ch);
        size_t n = strlen(esc);
        if (len + n + 4 > cap) break;
        memcpy(buf + len, esc, n);
        len += n;
    }
    if (len + 4 > cap) return -1;
    memcpy(buf + len, "\"}}", 4);
    return (int)(len + 3);
}

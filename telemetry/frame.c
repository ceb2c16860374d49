/* frame.c: parse and write telemetry frame bodies (frame.h). Every rejection names
 * the field: "telemetry frame: pods.web-1.available[2]: expected 0 or 1". */
#include "telemetry/frame.h"
#include "common/json_strict.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/err.h"

#define BAD(...) kisim_seterr(KISIM_EINPUT, "telemetry frame: " __VA_ARGS__)

int telem_frame_name_ok(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++)
        if (s[n] <= 0x20 || s[n] >= 0x7f || s[n] == '"' || s[n] == '\\') return 0;
    return n >= 1 && n <= TELEM_FRAME_NAME_MAX;
}

/* A key for a message: printable, cut short. */
static const char *shown(const char *s, char *buf, size_t cap)
{
    size_t i = 0;
    for (; s && s[i] && i + 1 < cap; i++)
        buf[i] = s[i] > 0x20 && s[i] < 0x7f ? s[i] : '?';
    buf[i] = 0;
    return buf;
}

/* Every key of object o is one of the NULL-terminated names (repeats were refused by the
 * parse). */
static int keys_ok(const cJSON *o, const char *const *names, const char *where)
{
    char kb[48];
    for (const cJSON *it = o->child; it; it = it->next) {
        const char *k = it->string ? it->string : "";
        int known = 0;
        for (int i = 0; names[i]; i++)
            known |= !strcmp(k, names[i]);
        if (!known) return BAD("%s%s: unknown key", where, shown(k, kb, sizeof kb));
    }
    return 0;
}

/* features and available of a node or pod object; where is "" or "pods.NAME.". */
static int parse_vectors(const cJSON *o, float *feat, uint8_t *avail, const char *where)
{
    const cJSON *fa = cJSON_GetObjectItemCaseSensitive(o, "features");
    const cJSON *aa = cJSON_GetObjectItemCaseSensitive(o, "available");
    if (!cJSON_IsArray(fa)) return BAD("%sfeatures: missing or not an array", where);
    if (!cJSON_IsArray(aa)) return BAD("%savailable: missing or not an array", where);
    if (cJSON_GetArraySize(fa) != KISIM_F)
        return BAD("%sfeatures: expected %d values (common/features.h), got %d", where, KISIM_F,
                   cJSON_GetArraySize(fa));
    if (cJSON_GetArraySize(aa) != KISIM_F)
        return BAD("%savailable: expected %d values, got %d", where, KISIM_F,
                   cJSON_GetArraySize(aa));
    const cJSON *fv = fa->child, *av = aa->child;
    for (int i = 0; i < KISIM_F; i++, fv = fv->next, av = av->next) {
        if (!cJSON_IsNumber(av) || (av->valuedouble != 0 && av->valuedouble != 1))
            return BAD("%savailable[%d]: expected 0 or 1", where, i);
        avail[i] = av->valuedouble == 1;
        feat[i] = 0;
        if (cJSON_IsNull(fv)) {
            if (avail[i])
                return BAD("%sfeatures[%d] (%s): null but available[%d] is 1", where, i,
                           kisim_features[i].name, i);
            continue;
        }
        if (!cJSON_IsNumber(fv) || !isfinite(fv->valuedouble) || fabs(fv->valuedouble) > 3.0e38)
            return BAD("%sfeatures[%d] (%s): expected a number or null", where, i,
                       kisim_features[i].name);
        if (avail[i]) feat[i] = (float)fv->valuedouble;
    }
    return 0;
}

static int parse_pods(telem_frame *f, const cJSON *pods, telem_refusal *why)
{
    static const char *const pod_keys[] = {"features", "available", NULL};
    char where[TELEM_FRAME_NAME_MAX + 16], kb[48];
    if (!cJSON_IsObject(pods))
        return BAD("pods: expected an object of pod name -> {features, available}");
    int n = cJSON_GetArraySize(pods);
    if (n > TELEM_FRAME_MAX_PODS) {
        *why = TELEM_REFUSED_TOO_MANY_PODS;
        return BAD("pods: %d pods, more than %d", n, TELEM_FRAME_MAX_PODS);
    }
    if (n == 0) return 0;
    f->pods = calloc((size_t)n, sizeof *f->pods);
    if (!f->pods) return kisim_seterr(KISIM_ENOMEM, "telemetry frame: out of memory");
    for (const cJSON *p = pods->child; p; p = p->next) {
        const char *name = p->string ? p->string : "";
        if (!telem_frame_name_ok(name))
            return BAD(
                "pods.%s: a pod name must be 1..%d printable ASCII bytes without spaces or quotes",
                shown(name, kb, sizeof kb), TELEM_FRAME_NAME_MAX);
        for (int i = 0; i < f->n_pods; i++)
            if (!strcmp(f->pods[i].name, name)) return BAD("pods.%s: duplicate pod", name);
        snprintf(where, sizeof where, "pods.%s.", name);
        if (!cJSON_IsObject(p)) return BAD("pods.%s: expected an object", name);
        int err = keys_ok(p, pod_keys, where);
        if (!err)
            err =
                parse_vectors(p, f->pods[f->n_pods].features, f->pods[f->n_pods].available, where);
        if (err) return err;
        snprintf(f->pods[f->n_pods].name, sizeof f->pods[f->n_pods].name, "%s", name);
        f->n_pods++;
    }
    return 0;
}

static int parse_object(telem_frame *f, const cJSON *o, telem_refusal *why)
{
    static const char *const keys[] = {"v", "node", "ts_ms", "features", "available", "pods", NULL};
    if (!cJSON_IsObject(o)) return BAD("not a JSON object");
    int err = keys_ok(o, keys, "");
    if (err) return err;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "v");
    if (!v) return BAD("v: missing (the frame version, %d)", TELEM_FRAME_VERSION);
    if (!cJSON_IsNumber(v) || v->valuedouble != TELEM_FRAME_VERSION)
        return BAD("v: expected %d (the only frame version this build reads)", TELEM_FRAME_VERSION);
    const cJSON *node = cJSON_GetObjectItemCaseSensitive(o, "node");
    if (!cJSON_IsString(node) || !telem_frame_name_ok(node->valuestring))
        return BAD("node: expected a node name (1..%d printable ASCII bytes, no spaces or quotes)",
                   TELEM_FRAME_NAME_MAX);
    snprintf(f->node, sizeof f->node, "%s", node->valuestring);
    const cJSON *ts = cJSON_GetObjectItemCaseSensitive(o, "ts_ms");
    if (!cJSON_IsNumber(ts) || !isfinite(ts->valuedouble) || ts->valuedouble < 0 ||
        ts->valuedouble > 9007199254740992.0 || ts->valuedouble != floor(ts->valuedouble))
        return BAD("ts_ms: expected an integer number of milliseconds since the epoch, >= 0");
    f->ts_ms = (int64_t)ts->valuedouble;
    err = parse_vectors(o, f->features, f->available, "");
    if (err) return err;
    const cJSON *pods = cJSON_GetObjectItemCaseSensitive(o, "pods");
    return pods ? parse_pods(f, pods, why) : 0;
}

const char *telem_refusal_name(telem_refusal r)
{
    static const char *const names[] = {
#define TELEM__NAME(id, name, what) name,
        TELEM_REFUSALS(TELEM__NAME)
#undef TELEM__NAME
    };
    return (int)r >= 0 && r < TELEM_N_REFUSALS ? names[r] : "?";
}

int telem_frame_parse(telem_frame *f, const char *body, size_t len)
{
    return telem_frame_read(f, body, len, NULL);
}

int telem_frame_read(telem_frame *f, const char *body, size_t len, telem_refusal *why)
{
    static const json_limits lim = {TELEM_FRAME_MAX_BODY, TELEM_FRAME_MAX_VALUES,
                                    TELEM_FRAME_MAX_DEPTH};
    telem_refusal dummy;
    if (!why) why = &dummy;
    *why = TELEM_REFUSED_MALFORMED;
    memset(f, 0, sizeof *f);
    if (len == 0) return BAD("empty body");
    if (len > TELEM_FRAME_MAX_BODY)
        return BAD("%zu bytes, more than %d", len, TELEM_FRAME_MAX_BODY);
    json_error je;
    cJSON *o = json_strict_parse(body, len, &lim, &je);
    if (!o && je.kind == JSON_DUPLICATE) { /* "/pods/p" is named pods.p, as the fields are */
        char kb[sizeof je.pointer];
        for (char *c = je.pointer; *c; c++)
            if (*c == '/') *c = '.';
        return BAD("%s: duplicate key", shown(je.pointer + 1, kb, sizeof kb));
    }
    if (!o) return BAD("not valid JSON: %s", je.text);
    int err = parse_object(f, o, why);
    cJSON_Delete(o);
    if (err) telem_frame_free(f);
    return err;
}

int telem_frame_check_topic(const telem_frame *f, const char *topic, size_t len)
{
    size_t pre = strlen(TELEM_FRAME_TOPIC_PREFIX), nl = strlen(f->node);
    if (len != pre + nl || memcmp(topic, TELEM_FRAME_TOPIC_PREFIX, pre) ||
        memcmp(topic + pre, f->node, nl))
        return kisim_seterr(KISIM_EINPUT,
                            "telemetry frame: topic does not match node \"%s\" "
                            "(expected \"%s%s\")",
                            f->node, TELEM_FRAME_TOPIC_PREFIX, f->node);
    return 0;
}

static cJSON *vector_json(const float *feat, const uint8_t *avail, int values)
{
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; a && i < KISIM_F; i++) {
        cJSON *x = !values    ? cJSON_CreateNumber(avail[i])
                   : avail[i] ? cJSON_CreateNumber(feat[i])
                              : cJSON_CreateNull();
        if (!x || !cJSON_AddItemToArray(a, x)) {
            cJSON_Delete(x);
            cJSON_Delete(a);
            return NULL;
        }
    }
    return a;
}

char *telem_frame_json(const telem_frame *f)
{
    cJSON *o = cJSON_CreateObject(), *pods = cJSON_CreateObject();
    char *s = NULL;
    if (!o || !pods) goto cleanup;
    cJSON_AddNumberToObject(o, "v", TELEM_FRAME_VERSION);
    cJSON_AddStringToObject(o, "node", f->node);
    cJSON_AddNumberToObject(o, "ts_ms", (double)f->ts_ms);
    cJSON_AddItemToObject(o, "features", vector_json(f->features, f->available, 1));
    cJSON_AddItemToObject(o, "available", vector_json(f->features, f->available, 0));
    for (int i = 0; i < f->n_pods; i++) {
        cJSON *p = cJSON_AddObjectToObject(pods, f->pods[i].name);
        if (!p) goto cleanup;
        cJSON_AddItemToObject(p, "features",
                              vector_json(f->pods[i].features, f->pods[i].available, 1));
        cJSON_AddItemToObject(p, "available",
                              vector_json(f->pods[i].features, f->pods[i].available, 0));
    }
    cJSON_AddItemToObject(o, "pods", pods);
    pods = NULL;
    s = cJSON_PrintUnformatted(o);
cleanup:
    cJSON_Delete(pods);
    cJSON_Delete(o);
    return s;
}

void telem_frame_free(telem_frame *f)
{
    if (!f) return;
    free(f->pods);
    f->pods = NULL;
    f->n_pods = 0;
}

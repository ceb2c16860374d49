/* pod.c: a v1.Pod's pod context (see pod.h and scheduler/EXTENDER.md).
 * Requests follow kube-scheduler: a request missing where a limit is set takes the limit (the API
 * server's defaulting), a container without a CPU or memory request counts 100m / 200Mi, the pod
 * asks for the sum over its containers and sidecars or the largest init container, whichever is
 * more, plus spec.overhead. Struct fields are matched case-insensitively (as Go's decoder does),
 * map keys (labels, annotations, resource names) exactly. */
#include "podspec/pod.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/err.h"
#include "podspec/quantity.h"

enum { R_CPU, R_MEM, R_GPU, R_N = R_GPU + EXTENDER_GPU_KINDS }; /* R_GPU + k: GPU kind k */

const char *const extender_gpu_resources[EXTENDER_GPU_KINDS] = {"nvidia.com/gpu", "amd.com/gpu"};

typedef struct {
    int64_t v[R_N];
} res;

static int64_t sat_add(int64_t a, int64_t b)
{
    return a > INT64_MAX - b ? INT64_MAX : a + b;
}

static void res_add(res *a, const res *b)
{
    for (int r = 0; r < R_N; r++)
        a->v[r] = sat_add(a->v[r], b->v[r]);
}

static void res_max(res *a, const res *b)
{
    for (int r = 0; r < R_N; r++)
        if (b->v[r] > a->v[r]) a->v[r] = b->v[r];
}

/* One resource list's cpu (millis), memory (bytes) and GPUs of each kind; have[r] says which
 * were set. Negative amounts are malformed (the API server rejects them). */
static int read_list(const cJSON *list, const char *path, res *out, int have[R_N])
{
    memset(out, 0, sizeof *out);
    int rc = extender_quantity_field(list, "cpu", 3, &out->v[R_CPU], path);
    if (rc < 0) return rc;
    have[R_CPU] = rc;
    rc = extender_quantity_field(list, "memory", 0, &out->v[R_MEM], path);
    if (rc < 0) return rc;
    have[R_MEM] = rc;
    for (int g = 0; g < EXTENDER_GPU_KINDS; g++) {
        rc = extender_quantity_field(list, extender_gpu_resources[g], 0, &out->v[R_GPU + g], path);
        if (rc < 0) return rc;
        if (rc && out->v[R_GPU + g] < 0)
            return kisim_seterr(KISIM_EINPUT, "%s.%s: negative", path, extender_gpu_resources[g]);
        have[R_GPU + g] = rc;
    }
    if (out->v[R_CPU] < 0 || out->v[R_MEM] < 0)
        return kisim_seterr(KISIM_EINPUT, "%s.%s: negative", path,
                            out->v[R_CPU] < 0 ? "cpu" : "memory");
    return 0;
}

/* A container's requests: requests, limits where a request is missing (*fit, what
 * NodeResourcesFit counts), then the non-zero defaults for CPU and memory (*out, what scoring
 * counts). */
static int container_requests(const cJSON *c, const char *path, res *out, res *fit)
{
    if (!cJSON_IsObject(c)) return kisim_seterr(KISIM_EINPUT, "%s: expected an object", path);
    const cJSON *resources = cJSON_GetObjectItem(c, "resources");
    char p[160];
    res lim;
    int have[R_N], have_lim[R_N];
    snprintf(p, sizeof p, "%s.resources.requests", path);
    int rc = read_list(cJSON_GetObjectItem(resources, "requests"), p, out, have);
    if (rc) return rc;
    snprintf(p, sizeof p, "%s.resources.limits", path);
    if ((rc = read_list(cJSON_GetObjectItem(resources, "limits"), p, &lim, have_lim))) return rc;
    for (int r = 0; r < R_N; r++)
        if (!have[r] && have_lim[r]) out->v[r] = lim.v[r], have[r] = 1;
    *fit = *out;
    if (!have[R_CPU]) out->v[R_CPU] = EXTENDER_DEFAULT_CPU_M;
    if (!have[R_MEM]) out->v[R_MEM] = EXTENDER_DEFAULT_MEM_B;
    return 0;
}

static int is_sidecar(const cJSON *c)
{
    const cJSON *rp = cJSON_GetObjectItem(c, "restartPolicy");
    return cJSON_IsString(rp) && !strcmp(rp->valuestring, "Always");
}

/* kube-scheduler's PodRequests: containers and restartable init containers (sidecars) add up;
 * each ordinary init container needs its own request plus the sidecars started before it; the
 * pod needs the larger of the two, plus overhead. total[0] with the non-zero defaults (scoring),
 * total[1] without (NodeResourcesFit). */
static int pod_requests(const cJSON *spec, res total[2])
{
    memset(total, 0, 2 * sizeof *total);
    const cJSON *containers = cJSON_GetObjectItem(spec, "containers");
    const cJSON *inits = cJSON_GetObjectItem(spec, "initContainers");
    if ((containers && !cJSON_IsArray(containers) && !cJSON_IsNull(containers)) ||
        (inits && !cJSON_IsArray(inits) && !cJSON_IsNull(inits)))
        return kisim_seterr(KISIM_EINPUT, "Pod.spec: containers and initContainers must be arrays");
    char path[96];
    res r[2], sidecars[2] = {{{0}}, {{0}}}, init_max[2] = {{{0}}, {{0}}};
    int i = 0, rc;
    const cJSON *c;
    cJSON_ArrayForEach(c, containers)
    {
        snprintf(path, sizeof path, "Pod.spec.containers[%d]", i++);
        if ((rc = container_requests(c, path, &r[0], &r[1]))) return rc;
        for (int k = 0; k < 2; k++)
            res_add(&total[k], &r[k]);
    }
    i = 0;
    cJSON_ArrayForEach(c, inits)
    {
        snprintf(path, sizeof path, "Pod.spec.initContainers[%d]", i++);
        if ((rc = container_requests(c, path, &r[0], &r[1]))) return rc;
        for (int k = 0; k < 2; k++) {
            if (is_sidecar(c)) {
                res_add(&total[k], &r[k]);
                res_add(&sidecars[k], &r[k]);
                r[k] = sidecars[k];
            } else {
                res_add(&r[k], &sidecars[k]);
            }
            res_max(&init_max[k], &r[k]);
        }
    }
    int have[R_N];
    if ((rc = read_list(cJSON_GetObjectItem(spec, "overhead"), "Pod.spec.overhead", &r[0], have)))
        return rc;
    for (int k = 0; k < 2; k++) {
        res_max(&total[k], &init_max[k]);
        res_add(&total[k], &r[0]);
    }
    return 0;
}

static const char *map_value(const cJSON *map, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(map, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The workload class named by the annotation ("latency-sensitive" for the pod context's
 * class_latency_sensitive, and so on for the other class_* names of spaces/spaces.h); -1 if none.
 */
static int class_from_name(const char *s)
{
    for (int c = 0; c < POD_CLASSES; c++) {
        const char *name = pod_context_names[POD_CTX_CLASS_LATENCY_SENSITIVE + c] + 6; /* class_ */
        size_t k = 0;
        for (; name[k] && s[k]; k++)
            if (s[k] != (name[k] == '_' ? '-' : name[k])) break;
        if (!name[k] && !s[k]) return c;
    }
    return -1;
}

/* The controlling owner's kind ("ReplicaSet", "Job", ...), or NULL. */
static const char *controller_kind(const cJSON *meta)
{
    const cJSON *o;
    cJSON_ArrayForEach(o, cJSON_GetObjectItem(meta, "ownerReferences"))
    {
        const cJSON *ctl = cJSON_GetObjectItem(o, "controller");
        const cJSON *kind = cJSON_GetObjectItem(o, "kind");
        if (cJSON_IsTrue(ctl) && cJSON_IsString(kind)) return kind->valuestring;
    }
    return NULL;
}

static int read_annotations(const cJSON *meta, extender_pod *info)
{
    const cJSON *ann = cJSON_GetObjectItem(meta, "annotations");
    const cJSON *labels = cJSON_GetObjectItem(meta, "labels");
    const char *kind = controller_kind(meta);
    info->is_replica = kind && (!strcmp(kind, "ReplicaSet") || !strcmp(kind, "StatefulSet"));
    const char *s = map_value(labels, EXTENDER_LABEL_REPLICA);
    if (s) {
        if (strcmp(s, "true") && strcmp(s, "false"))
            return kisim_seterr(KISIM_EINPUT,
                                "Pod.metadata.labels[\"%s\"]: expected \"true\" or "
                                "\"false\", got \"%.64s\"",
                                EXTENDER_LABEL_REPLICA, s);
        info->is_replica = !strcmp(s, "true");
    }
    info->cls = kind && !strcmp(kind, "Job") ? POD_BATCH : POD_LATENCY_SENSITIVE;
    if ((s = map_value(ann, EXTENDER_ANN_CLASS))) {
        int c = class_from_name(s);
        if (c < 0)
            return kisim_seterr(KISIM_EINPUT,
                                "Pod.metadata.annotations[\"%s\"]: unknown class "
                                "\"%.64s\" (latency-sensitive, cpu-bound, memory-bound, io-bound "
                                "or batch)",
                                EXTENDER_ANN_CLASS, s);
        info->cls = (pod_class)c;
    }
    info->gang_size = 1;
    if ((s = map_value(ann, EXTENDER_ANN_GANG))) {
        char *end;
        long g = strtol(s, &end, 10);
        if (end == s || *end || g < 1 || g > 1000000)
            return kisim_seterr(KISIM_EINPUT,
                                "Pod.metadata.annotations[\"%s\"]: expected an "
                                "integer >= 1, got \"%.64s\"",
                                EXTENDER_ANN_GANG, s);
        info->gang_size = (int)g;
    }
    if ((s = map_value(ann, EXTENDER_ANN_PRIORITY))) {
        char *end;
        double p = strtod(s, &end);
        if (end == s || *end || !(p >= 0 && p <= 1))
            return kisim_seterr(KISIM_EINPUT,
                                "Pod.metadata.annotations[\"%s\"]: expected a number "
                                "in [0, 1], got \"%.64s\"",
                                EXTENDER_ANN_PRIORITY, s);
        info->priority = (float)p;
    }
    return 0;
}

int extender_pod_context(const cJSON *pod, float ctx[KISIM_P], extender_pod *info)
{
    memset(ctx, 0, KISIM_P * sizeof *ctx);
    memset(info, 0, sizeof *info);
    if (!cJSON_IsObject(pod)) return kisim_seterr(KISIM_EINPUT, "Pod: expected a v1.Pod object");
    const cJSON *meta = cJSON_GetObjectItem(pod, "metadata");
    const cJSON *spec = cJSON_GetObjectItem(pod, "spec");
    if ((meta && !cJSON_IsObject(meta) && !cJSON_IsNull(meta)) ||
        (spec && !cJSON_IsObject(spec) && !cJSON_IsNull(spec)))
        return kisim_seterr(KISIM_EINPUT, "Pod: metadata and spec must be objects");
    res req[2];
    int rc = pod_requests(spec, req);
    if (rc) return rc;
    info->cpu_m = req[0].v[R_CPU];
    info->mem_b = req[0].v[R_MEM];
    info->gpus = 0;
    for (int g = 0; g < EXTENDER_GPU_KINDS; g++) {
        info->gpus_of[g] = req[1].v[R_GPU + g]; /* GPUs have no non-zero default */
        info->gpus = sat_add(info->gpus, info->gpus_of[g]);
    }
    info->fit_cpu_m = req[1].v[R_CPU];
    info->fit_mem_b = req[1].v[R_MEM];
    /* Priority: spec.priority (set from the PriorityClass) above zero is high, below zero low;
     * without one a service replica counts as high and anything else as medium, the sim's two
     * levels. The annotation overrides all of that. */
    info->priority = -1;
    if ((rc = read_annotations(meta, info))) return rc;
    if (info->priority < 0) {
        const cJSON *p = cJSON_GetObjectItem(spec, "priority");
        double v = cJSON_IsNumber(p) ? p->valuedouble : 0;
        info->priority = v > 0 ? 1.0f : v < 0 ? 0.0f : info->is_replica ? 1.0f : 0.5f;
    }
    ctx[POD_CTX_CPU_REQUEST] = (float)fmin(info->cpu_m / 1000.0 / POD_CPU_REQUEST_MAX, 1);
    ctx[POD_CTX_MEMORY_REQUEST] =
        (float)fmin(info->mem_b / 1073741824.0 / POD_MEMORY_REQUEST_MAX, 1);
    ctx[POD_CTX_GPU_REQUEST] = (float)fmin(info->gpus / POD_GPU_REQUEST_MAX, 1);
    ctx[POD_CTX_CLASS_LATENCY_SENSITIVE + info->cls] = 1;
    ctx[POD_CTX_PRIORITY] = info->priority;
    ctx[POD_CTX_GANG_SIZE] = (float)fmin(info->gang_size / POD_GANG_SIZE_MAX, 1);
    ctx[POD_CTX_IS_REPLICA] = (float)info->is_replica;
    return 0;
}

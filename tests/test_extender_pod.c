/* test_extender_pod.c: the pod context the extender derives from a v1.Pod. The expected requests
 * are summed by hand with kube-scheduler's rules (requests default to limits, 100m / 200Mi for a
 * container without requests, sidecars add up, the largest init container bounds from below,
 * overhead on top) and the annotation mapping of scheduler/EXTENDER.md. */
#include <cjson/cJSON.h>

#include "common/err.h"
#include "podspec/pod.h"
#include "tests/test.h"

#define MI (1024LL * 1024)
#define GI (1024LL * MI)

static int context_of(const char *json, float ctx[KISIM_P], extender_pod *info)
{
    cJSON *pod = cJSON_Parse(json);
    CHECK_MSG(pod != NULL, "test JSON does not parse: %s", json);
    int rc = extender_pod_context(pod, ctx, info);
    cJSON_Delete(pod);
    return rc;
}

static void test_requests_rule(void)
{
    const char *pod =
        "{\"metadata\":{\"name\":\"web-7d4b9\",\"namespace\":\"shop\","
        "\"annotations\":{\"kisim.io/workload-class\":\"memory-bound\",\"kisim.io/"
        "gang-size\":\"4\"},"
        "\"ownerReferences\":[{\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicaSet\",\"name\":\"web\","
        "\"uid\":\"u1\",\"controller\":true}]},"
        "\"spec\":{\"priority\":1000,"
        "\"containers\":["
        "{\"name\":\"c1\",\"resources\":{\"requests\":{\"cpu\":\"500m\",\"memory\":\"1Gi\"},"
        "\"limits\":{\"nvidia.com/gpu\":\"2\"}}},"
        "{\"name\":\"c2\",\"resources\":{\"limits\":{\"cpu\":\"1\",\"memory\":\"512Mi\"}}},"
        "{\"name\":\"c3\"}],"
        "\"initContainers\":["
        "{\"name\":\"i1\",\"resources\":{\"requests\":{\"cpu\":\"2\",\"memory\":\"100Mi\"}}},"
        "{\"name\":\"s1\",\"restartPolicy\":\"Always\",\"resources\":{\"requests\":{\"cpu\":"
        "\"250m\","
        "\"memory\":\"64Mi\"}}},"
        "{\"name\":\"i2\",\"resources\":{\"requests\":{\"cpu\":\"1900m\",\"memory\":\"3Gi\"}}}],"
        "\"overhead\":{\"cpu\":\"100m\",\"memory\":\"10Mi\"}},\"status\":{}}";
    float ctx[KISIM_P];
    extender_pod info;
    CHECK_EQ_INT(context_of(pod, ctx, &info), 0);
    /* containers + sidecar: 500 + 1000 + 100 + 250 = 1850m; init i2 + sidecar: 2150m; + 100m. */
    CHECK_EQ_INT(info.cpu_m, 2250);
    /* max(1Gi + 512Mi + 200Mi + 64Mi, 3Gi + 64Mi) + 10Mi */
    CHECK_EQ_INT(info.mem_b, 3 * GI + 64 * MI + 10 * MI);
    /* Without the non-zero defaults (c3 counts 0) the init containers still dominate. */
    CHECK_EQ_INT(info.fit_cpu_m, 2250);
    CHECK_EQ_INT(info.fit_mem_b, 3 * GI + 64 * MI + 10 * MI);
    CHECK_EQ_INT(info.gpus, 2);
    CHECK(info.gpus_of[0] == 2 && info.gpus_of[1] == 0); /* nvidia.com/gpu, amd.com/gpu */
    CHECK_NEAR(ctx[POD_CTX_CPU_REQUEST], 2.25 / 16, 1e-7);
    CHECK_NEAR(ctx[POD_CTX_MEMORY_REQUEST], (3 + 74.0 / 1024) / 64, 1e-7);
    CHECK_NEAR(ctx[POD_CTX_GPU_REQUEST], 0.25, 0);
    CHECK(ctx[POD_CTX_CLASS_MEMORY_BOUND] == 1);
    CHECK(ctx[POD_CTX_CLASS_LATENCY_SENSITIVE] == 0 && ctx[POD_CTX_CLASS_BATCH] == 0);
    CHECK_NEAR(ctx[POD_CTX_GANG_SIZE], 4.0 / 16, 0);
    CHECK(ctx[POD_CTX_PRIORITY] == 1);
    CHECK(ctx[POD_CTX_IS_REPLICA] == 1);
}

static void test_defaults(void)
{
    /* A Job's pod without requests, annotations or priority. */
    const char *pod =
        "{\"metadata\":{\"name\":\"etl-x\",\"ownerReferences\":[{\"kind\":\"Job\","
        "\"name\":\"etl\",\"controller\":true}]},"
        "\"spec\":{\"containers\":[{\"name\":\"a\"},{\"name\":\"b\",\"resources\":{}}]}}";
    float ctx[KISIM_P];
    extender_pod info;
    CHECK_EQ_INT(context_of(pod, ctx, &info), 0);
    CHECK_EQ_INT(info.cpu_m, 200);
    CHECK_EQ_INT(info.mem_b, 400 * MI);
    CHECK_EQ_INT(info.fit_cpu_m, 0); /* NodeResourcesFit: no requests, nothing to fit */
    CHECK_EQ_INT(info.fit_mem_b, 0);
    CHECK(ctx[POD_CTX_CLASS_BATCH] == 1);
    CHECK_NEAR(ctx[POD_CTX_PRIORITY], 0.5, 0);
    CHECK(ctx[POD_CTX_IS_REPLICA] == 0);
    CHECK_NEAR(ctx[POD_CTX_GANG_SIZE], 1.0 / 16, 0);
    /* A bare pod (no owner): latency-sensitive, medium priority. The kube-scheduler types test's
     * minimal pod has "containers":null. */
    CHECK_EQ_INT(context_of("{\"metadata\":{\"name\":\"podname\",\"creationTimestamp\":null},"
                            "\"spec\":{\"containers\":null},\"status\":{}}",
                            ctx, &info),
                 0);
    CHECK(ctx[POD_CTX_CLASS_LATENCY_SENSITIVE] == 1);
    CHECK_EQ_INT(info.cpu_m, 0);
    CHECK_NEAR(ctx[POD_CTX_PRIORITY], 0.5, 0);
    /* Overrides: the replica label and the priority annotation; negative spec.priority. */
    CHECK_EQ_INT(context_of("{\"metadata\":{\"labels\":{\"kisim.io/is-replica\":\"false\"},"
                            "\"annotations\":{\"kisim.io/priority\":\"0.25\"},"
                            "\"ownerReferences\":[{\"kind\":\"StatefulSet\",\"controller\":true}]},"
                            "\"spec\":{\"priority\":5}}",
                            ctx, &info),
                 0);
    CHECK(ctx[POD_CTX_IS_REPLICA] == 0);
    CHECK_NEAR(ctx[POD_CTX_PRIORITY], 0.25, 0);
    CHECK_EQ_INT(context_of("{\"metadata\":{\"ownerReferences\":[{\"kind\":\"StatefulSet\","
                            "\"controller\":true}]},\"spec\":{\"priority\":-10}}",
                            ctx, &info),
                 0);
    CHECK(ctx[POD_CTX_IS_REPLICA] == 1);
    CHECK(ctx[POD_CTX_PRIORITY] == 0);
    /* A replica without a priority class is high priority, as the sim's service replicas. */
    CHECK_EQ_INT(context_of("{\"metadata\":{\"ownerReferences\":[{\"kind\":\"ReplicaSet\","
                            "\"controller\":true}]},\"spec\":{}}",
                            ctx, &info),
                 0);
    CHECK(ctx[POD_CTX_PRIORITY] == 1);
    /* Containers dominate, neither with a memory request, the second with none at all: scoring
     * counts 1000m + 100m CPU and 200Mi + 200Mi + 64Mi overhead; NodeResourcesFit 1000m and 64Mi.
     */
    CHECK_EQ_INT(context_of("{\"spec\":{\"containers\":[{\"resources\":{\"requests\":{\"cpu\":"
                            "\"1\"}}},{\"name\":\"b\"}],\"overhead\":{\"memory\":\"64Mi\"}}}",
                            ctx, &info),
                 0);
    CHECK_EQ_INT(info.cpu_m, 1100);
    CHECK_EQ_INT(info.mem_b, 2 * 200 * MI + 64 * MI);
    CHECK_EQ_INT(info.fit_cpu_m, 1000);
    CHECK_EQ_INT(info.fit_mem_b, 64 * MI);
    /* GPUs of both kinds: each kept apart (the filter compares each with its own allocatable),
     * their sum in the context: 3 of POD_GPU_REQUEST_MAX 8. */
    CHECK_EQ_INT(
        context_of("{\"spec\":{\"containers\":[{\"resources\":{\"limits\":{\"amd.com/gpu\":"
                   "\"1\"}}},{\"resources\":{\"requests\":{\"nvidia.com/gpu\":\"2\"}}}]}}",
                   ctx, &info),
        0);
    CHECK(info.gpus_of[0] == 2 && info.gpus_of[1] == 1 && info.gpus == 3);
    CHECK_NEAR(ctx[POD_CTX_GPU_REQUEST], 3.0 / 8, 1e-7);
    /* Large requests clip at 1: 64 cores, 1Ti, 16 GPUs. */
    CHECK_EQ_INT(context_of("{\"spec\":{\"containers\":[{\"resources\":{\"requests\":{\"cpu\":64,"
                            "\"memory\":\"1Ti\",\"nvidia.com/gpu\":16}}}]}}",
                            ctx, &info),
                 0);
    CHECK_EQ_INT(info.cpu_m, 64000);
    CHECK(ctx[POD_CTX_CPU_REQUEST] == 1 && ctx[POD_CTX_MEMORY_REQUEST] == 1 &&
          ctx[POD_CTX_GPU_REQUEST] == 1);
}

static void check_error(const char *pod, const char *needle)
{
    float ctx[KISIM_P];
    extender_pod info;
    kisim_clearerr();
    int rc = context_of(pod, ctx, &info);
    CHECK_EQ_INT(rc, KISIM_EINPUT);
    CHECK_STR_CONTAINS(kisim_errmsg(), needle);
}

static void test_errors(void)
{
    check_error("[]", "Pod");
    check_error(
        "{\"spec\":{\"containers\":[{\"resources\":{\"requests\":{\"cpu\":\"12x\"}}}]}}",
        "Pod.spec.containers[0].resources.requests.cpu: \"12x\" is not a Kubernetes quantity");
    check_error("{\"spec\":{\"containers\":[{},{\"resources\":{\"limits\":{\"memory\":true}}}]}}",
                "Pod.spec.containers[1].resources.limits.memory");
    check_error("{\"spec\":{\"initContainers\":[{\"resources\":{\"requests\":{\"cpu\":\"-1\"}}}]}}",
                "Pod.spec.initContainers[0].resources.requests.cpu: negative");
    check_error("{\"spec\":{\"overhead\":{\"memory\":\"1Qi\"}}}", "Pod.spec.overhead.memory");
    check_error("{\"spec\":{\"containers\":{}}}", "containers");
    check_error("{\"metadata\":{\"annotations\":{\"kisim.io/workload-class\":\"fast\"}}}",
                "kisim.io/workload-class\"]: unknown class \"fast\"");
    check_error("{\"metadata\":{\"annotations\":{\"kisim.io/gang-size\":\"0\"}}}",
                "kisim.io/gang-size");
    check_error("{\"metadata\":{\"annotations\":{\"kisim.io/gang-size\":\"3 pods\"}}}",
                "kisim.io/gang-size");
    check_error("{\"metadata\":{\"annotations\":{\"kisim.io/priority\":\"1.5\"}}}",
                "kisim.io/priority");
    check_error("{\"metadata\":{\"labels\":{\"kisim.io/is-replica\":\"yes\"}}}",
                "kisim.io/is-replica");
}

int main(void)
{
    RUN(test_requests_rule);
    RUN(test_defaults);
    RUN(test_errors);
    TEST_MAIN_END();
}

/* test_extender_json.c: ExtenderArgs parsing and the answers' JSON. The requests are the shapes
 * kube-scheduler's own extender type test (k8s.io/kube-scheduler/extender/v1 types_test.go)
 * marshals, including its lower-cased variant (Go's decoder matches fields case-insensitively);
 * answers are parsed back with cJSON and compared field by field. */
#include <ctype.h>

#include <cjson/cJSON.h>

#include "common/err.h"
#include "scheduler/extender_json.h"
#include "tests/test.h"

/* ExtenderArgs exactly as types_test.go expects json.Marshal to print it. */
static const char *k8s_args =
    "{\"Pod\":{\"metadata\":{\"name\":\"podname\",\"creationTimestamp\":null},\"spec\":{"
    "\"containers\":"
    "null},\"status\":{}},\"Nodes\":{\"metadata\":{},\"items\":[{\"metadata\":{\"name\":"
    "\"nodename\","
    "\"creationTimestamp\":null},\"spec\":{},\"status\":{\"daemonEndpoints\":{\"kubeletEndpoint\":{"
    "\"Port\":0}},\"nodeInfo\":{\"machineID\":\"\",\"systemUUID\":\"\",\"bootID\":\"\","
    "\"kernelVersion\":"
    "\"\",\"osImage\":\"\",\"containerRuntimeVersion\":\"\",\"kubeletVersion\":\"\","
    "\"kubeProxyVersion\":"
    "\"\",\"operatingSystem\":\"\",\"architecture\":\"\"}}}]},\"NodeNames\":[\"node1\"]}";

static void test_k8s_shape(void)
{
    extender_args a;
    CHECK_EQ_INT(extender_json_parse(&a, k8s_args, strlen(k8s_args)), 0);
    CHECK(a.by_name == 1 && a.has_nodes == 1);
    CHECK_EQ_INT(a.n, 1);
    CHECK(!strcmp(a.nodes[0].name, "node1"));
    CHECK(a.nodes[0].item == NULL); /* "nodename" is no candidate */
    CHECK(!strcmp(a.pod_name, "podname") && !strcmp(a.pod_namespace, ""));
    extender_json_free(&a);
    /* The lower-cased variant the same test decodes. */
    char lower[2048];
    size_t n = strlen(k8s_args);
    for (size_t i = 0; i <= n; i++)
        lower[i] = (char)tolower((unsigned char)k8s_args[i]);
    CHECK_EQ_INT(extender_json_parse(&a, lower, n), 0);
    CHECK(a.n == 1 && !strcmp(a.nodes[0].name, "node1"));
    extender_json_free(&a);
}

static const char *nodes_form =
    "{\"Pod\":{\"metadata\":{\"name\":\"web-1\",\"namespace\":\"shop\"},\"spec\":{\"containers\":["
    "{\"name\":\"w\",\"resources\":{\"requests\":{\"cpu\":\"1\",\"memory\":\"2Gi\"}}}]}},"
    "\"Nodes\":{\"metadata\":{},\"items\":["
    "{\"metadata\":{\"name\":\"n-a\",\"annotations\":{\"kisim.io/cpu_requested_ratio\":\"0.4\","
    "\"kisim.io/"
    "pods_ratio\":\"0.125\"}},\"status\":{\"capacity\":{\"cpu\":\"8\",\"memory\":\"32Gi\","
    "\"pods\":\"110\"},\"allocatable\":{\"cpu\":\"7910m\",\"memory\":\"32560784Ki\",\"pods\":"
    "\"110\"}}},"
    "{\"metadata\":{\"name\":\"n-\\\"b\\\"\"},\"status\":{\"capacity\":{\"cpu\":\"4\",\"memory\":"
    "\"1Gi\","
    "\"nvidia.com/gpu\":\"1\",\"amd.com/gpu\":\"4\"}}}]}}";

static void test_nodes_form(void)
{
    extender_args a;
    CHECK_EQ_INT(extender_json_parse(&a, nodes_form, strlen(nodes_form)), 0);
    CHECK(a.by_name == 0 && a.has_nodes == 1 && a.n == 2);
    CHECK(!strcmp(a.nodes[0].name, "n-a") && !strcmp(a.nodes[1].name, "n-\"b\""));
    CHECK_EQ_INT(a.nodes[0].alloc_cpu_m, 7910);
    CHECK_EQ_INT(a.nodes[0].alloc_mem_b, 32560784LL * 1024);
    CHECK_EQ_INT(a.nodes[0].alloc_pods, 110);
    CHECK(a.nodes[0].alloc_gpus[0] == -1 && a.nodes[0].alloc_gpus[1] == -1);
    /* No allocatable: capacity stands in. */
    CHECK_EQ_INT(a.nodes[1].alloc_cpu_m, 4000);
    CHECK_EQ_INT(a.nodes[1].alloc_mem_b, 1LL << 30);
    CHECK(a.nodes[1].alloc_gpus[0] == 1 && a.nodes[1].alloc_gpus[1] == 4); /* nvidia, amd */
    int cpu_req = feature_index("cpu_requested_ratio") - KISIM_F_MEASURED;
    int mem_req = feature_index("memory_requested_ratio") - KISIM_F_MEASURED;
    int pods = feature_index("pods_ratio") - KISIM_F_MEASURED;
    CHECK(a.nodes[0].orch_avail[cpu_req] && a.nodes[0].orch[cpu_req] == 0.4f);
    CHECK(a.nodes[0].orch_avail[pods] && a.nodes[0].orch[pods] == 0.125f);
    CHECK(!a.nodes[0].orch_avail[mem_req] && !a.nodes[1].orch_avail[cpu_req]);
    CHECK_EQ_INT(a.pod_info.cpu_m, 1000);

    /* Prioritize answer: a bare HostPriorityList in candidate order. */
    int s10[2] = {7, 0};
    char *out;
    size_t len;
    CHECK_EQ_INT(extender_json_prioritize(&out, &len, &a, s10), 0);
    CHECK_EQ_INT(len, strlen(out));
    cJSON *r = cJSON_Parse(out);
    CHECK(cJSON_IsArray(r) && cJSON_GetArraySize(r) == 2);
    cJSON *h1 = cJSON_GetArrayItem(r, 1);
    CHECK(!strcmp(cJSON_GetObjectItemCaseSensitive(h1, "Host")->valuestring, "n-\"b\""));
    CHECK(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(r, 0), "Score")->valueint == 7);
    cJSON_Delete(r);
    free(out);

    /* Filter answer: n-a survives (its whole Node object echoed), n-"b" fails unresolvably. */
    const char *fail[2] = {NULL, "needs 2Gi, node has 1Gi"};
    uint8_t unres[2] = {0, 1};
    CHECK_EQ_INT(extender_json_filter(&out, &len, &a, fail, unres), 0);
    r = cJSON_Parse(out);
    CHECK(r != NULL);
    cJSON *items =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r, "Nodes"), "items");
    CHECK(cJSON_GetArraySize(items) == 1);
    cJSON *orig = cJSON_Parse(nodes_form);
    cJSON *orig_node =
        cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(orig, "Nodes"), "items"), 0);
    CHECK(cJSON_Compare(cJSON_GetArrayItem(items, 0), orig_node, 1));
    cJSON_Delete(orig);
    CHECK(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(r, "NodeNames")));
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(r, "FailedNodes")) == 0);
    cJSON *fu = cJSON_GetObjectItemCaseSensitive(r, "FailedAndUnresolvableNodes");
    CHECK(!strcmp(cJSON_GetObjectItemCaseSensitive(fu, "n-\"b\"")->valuestring, fail[1]));
    CHECK(!strcmp(cJSON_GetObjectItemCaseSensitive(r, "Error")->valuestring, ""));
    cJSON_Delete(r);
    free(out);
    extender_json_free(&a);
}

static void test_names_form_filter(void)
{
    const char *req = "{\"Pod\":{\"metadata\":{\"name\":\"p\"},\"spec\":{}},"
                      "\"NodeNames\":[\"a\",\"b\",\"c\"]}";
    extender_args a;
    CHECK_EQ_INT(extender_json_parse(&a, req, strlen(req)), 0);
    const char *fail[3] = {NULL, "score 3 < 20: l3_cache_miss_rate 0.81 (high)", NULL};
    uint8_t unres[3] = {0};
    char *out;
    size_t len;
    CHECK_EQ_INT(extender_json_filter(&out, &len, &a, fail, unres), 0);
    cJSON *r = cJSON_Parse(out);
    CHECK(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(r, "Nodes")));
    cJSON *names = cJSON_GetObjectItemCaseSensitive(r, "NodeNames");
    CHECK(cJSON_GetArraySize(names) == 2);
    CHECK(!strcmp(cJSON_GetArrayItem(names, 0)->valuestring, "a") &&
          !strcmp(cJSON_GetArrayItem(names, 1)->valuestring, "c"));
    CHECK(!strcmp(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r, "FailedNodes"), "b")
            ->valuestring,
        fail[1]));
    cJSON_Delete(r);
    free(out);
    extender_json_free(&a);
}

static void check_bad(const char *body, const char *needle)
{
    extender_args a;
    kisim_clearerr();
    CHECK_EQ_INT(extender_json_parse(&a, body, strlen(body)), KISIM_EINPUT);
    CHECK_STR_CONTAINS(kisim_errmsg(), needle);
    CHECK(a.root == NULL && a.nodes == NULL);
    extender_json_free(&a);
}

static void test_malformed(void)
{
    check_bad("", "not valid JSON");
    check_bad("{\"Pod\":{}, \"NodeNames\":[\"a\"", "not valid JSON");
    check_bad("[1,2]", "expected a JSON object");
    /* Strict JSON (common/json_strict.h): what Go's decoder and cJSON would read differently. */
    check_bad("{\"Pod\":{},\"NodeNames\":[\"a\"]} x", "text after the JSON document");
    check_bad("{\"Pod\":{},\"NodeNames\":[\"a\\u0000b\"]}", "\\u0000 in a string");
    check_bad("{\"Pod\":{},\"NodeNames\":[\"a\"],\"NodeNames\":[\"b\"]}",
              "/NodeNames: duplicate key");
    check_bad("{\"NodeNames\":[\"a\"]}", "ExtenderArgs.Pod: missing");
    check_bad("{\"Pod\":{}}", "neither Nodes nor NodeNames");
    check_bad("{\"Pod\":{},\"NodeNames\":\"a\"}", "NodeNames must be an array");
    check_bad("{\"Pod\":{},\"NodeNames\":[\"a\",3]}", "NodeNames[1]");
    check_bad("{\"Pod\":{},\"Nodes\":{\"items\":[{\"metadata\":{}}]}}",
              "Nodes.items[0].metadata.name");
    check_bad("{\"Pod\":{},\"Nodes\":{\"items\":[{\"metadata\":{\"name\":\"x\"},\"status\":{"
              "\"allocatable\":{\"cpu\":\"lots\"}}}]}}",
              "Nodes.items[0].status.allocatable.cpu");
    check_bad("{\"Pod\":{},\"Nodes\":{\"items\":[{\"metadata\":{\"name\":\"x\",\"annotations\":{"
              "\"kisim.io/pods_ratio\":\"half\"}}}]}}",
              "kisim.io/pods_ratio");
    check_bad(
        "{\"Pod\":{\"spec\":{\"containers\":[{\"resources\":{\"requests\":{\"memory\":\"1x\"}}}]}},"
        "\"NodeNames\":[]}",
        "Pod.spec.containers[0].resources.requests.memory");
    /* Valid edge cases: empty candidate lists, null Nodes items. */
    extender_args a;
    const char *empty = "{\"Pod\":{},\"NodeNames\":[]}";
    CHECK_EQ_INT(extender_json_parse(&a, empty, strlen(empty)), 0);
    CHECK_EQ_INT(a.n, 0);
    char *out;
    size_t len;
    CHECK_EQ_INT(extender_json_prioritize(&out, &len, &a, NULL), 0);
    CHECK(!strcmp(out, "[]"));
    free(out);
    extender_json_free(&a);
    const char *null_items = "{\"Pod\":{},\"Nodes\":{\"metadata\":{},\"items\":null}}";
    CHECK_EQ_INT(extender_json_parse(&a, null_items, strlen(null_items)), 0);
    CHECK(a.n == 0 && a.has_nodes && !a.by_name);
    extender_json_free(&a);
    /* The error body. */
    CHECK_EQ_INT(extender_json_error(&out, &len, "bad \"x\"\n"), 0);
    CHECK(!strcmp(out, "{\"Error\":\"bad \\\"x\\\"\\u000a\"}"));
    free(out);
}

static void test_score10(void)
{
    /* Half up: 0-4 -> 0, 5-14 -> 1, ..., 95-100 -> 10. */
    int want[101];
    for (int s = 0; s <= 100; s++)
        want[s] = (s + 5) / 10;
    for (int s = 0; s <= 100; s++)
        CHECK_EQ_INT(extender_score10(s), want[s]);
    CHECK_EQ_INT(extender_score10(44.9), 4);
    CHECK_EQ_INT(extender_score10(-3), 0);
    CHECK_EQ_INT(extender_score10(250), 10);
    CHECK_EQ_INT(extender_score10(NAN), 0);
}

int main(void)
{
    RUN(test_k8s_shape);
    RUN(test_nodes_form);
    RUN(test_names_form_filter);
    RUN(test_malformed);
    RUN(test_score10);
    TEST_MAIN_END();
}

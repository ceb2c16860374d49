/* itest_extender_http.c: the Kubernetes scheduler extender over real HTTP on 127.0.0.1, with a
 * raw-socket client (so the test controls every byte, chunked bodies included). Requests are the
 * JSON kube-scheduler sends, in the shapes of its extender type test, in both the NodeNames and
 * the Nodes form; answers are parsed and checked: scores in 0..10 and equal to the neutral link's
 * 50 -> 5 (no model is loaded here), filter echoes the survivors and fails what
 * scheduler/EXTENDER.md says; malformed, oversized, wrong-method and unknown-path requests get
 * 400/405/404 and the server keeps answering; /metrics passes `promtool check metrics`. */
#include <pthread.h>

#include <cjson/cJSON.h>

#include "common/clock.h"
#include "common/err.h"
#include "scheduler/extender.h"
#include "telemetry/store.h"
#include "tests/http_test.h"
#include "tests/test.h"

static int g_port;

static int http(const char *method, const char *path, const char *body, http_reply *r)
{
    return http_request(g_port, method, path, body, r);
}

/* A pod with requests, as kube-scheduler marshals it (trimmed of fields the extender ignores). */
#define POD                                                                                        \
    "{\"metadata\":{\"name\":\"web-5d8f\",\"namespace\":\"shop\",\"uid\":\"1b4e\","                \
    "\"creationTimestamp\":"                                                                       \
    "null,\"labels\":{\"app\":\"web\"},\"ownerReferences\":[{\"apiVersion\":\"apps/v1\",\"kind\":" \
    "\"ReplicaSet\",\"name\":\"web-5d8f\",\"uid\":\"9c\",\"controller\":true}]},\"spec\":{"        \
    "\"containers\":[{\"name\":\"web\",\"image\":\"nginx\",\"resources\":{\"limits\":{\"cpu\":"    \
    "\"1\","                                                                                       \
    "\"memory\":\"2Gi\"},\"requests\":{\"cpu\":\"500m\",\"memory\":\"2Gi\"}}}],\"priority\":0},"   \
    "\"status\":{\"phase\":\"Pending\"}}"

/* One v1.Node as json.Marshal prints it, with capacity and allocatable. */
#define NODE(name, mem)                                                                            \
    "{\"metadata\":{\"name\":\"" name "\",\"creationTimestamp\":null},\"spec\":{},\"status\":{"    \
    "\"capacity\":{\"cpu\":\"4\",\"memory\":\"" mem                                                \
    "\",\"pods\":\"110\"},\"allocatable\":{\"cpu\":"                                               \
    "\"3920m\",\"memory\":\"" mem                                                                  \
    "\",\"pods\":\"110\"},\"daemonEndpoints\":{\"kubeletEndpoint\":{"                              \
    "\"Port\":0}},\"nodeInfo\":{\"machineID\":\"\",\"systemUUID\":\"\",\"bootID\":\"\","           \
    "\"kernelVersion\":\"\",\"osImage\":\"\",\"containerRuntimeVersion\":\"\",\"kubeletVersion\":" \
    "\"\",\"kubeProxyVersion\":\"\",\"operatingSystem\":\"\",\"architecture\":\"\"}}}"

static const char *names_req =
    "{\"Pod\":" POD ",\"Nodes\":null,\"NodeNames\":[\"node1\",\"node2\",\"node3\"]}";
static const char *nodes_req = "{\"Pod\":" POD ",\"Nodes\":{\"metadata\":{},\"items\":[" NODE(
    "big", "16Gi") "," NODE("tiny", "1Gi") "," NODE("full", "16Gi") "]},\"NodeNames\":null}";

/* Checks a HostPriorityList against the expected hosts; every score 0..10 and == want. */
static void check_priorities(const http_reply *r, const char *const *hosts, int n, int want)
{
    CHECK_EQ_INT(r->status, 200);
    CHECK_STR_CONTAINS(r->head, "application/json");
    cJSON *a = cJSON_Parse(r->body);
    CHECK_MSG(cJSON_IsArray(a) && cJSON_GetArraySize(a) == n, "body %s", r->body);
    for (int i = 0; i < n && cJSON_IsArray(a); i++) {
        cJSON *h = cJSON_GetArrayItem(a, i);
        cJSON *host = cJSON_GetObjectItemCaseSensitive(h, "Host");
        cJSON *score = cJSON_GetObjectItemCaseSensitive(h, "Score");
        CHECK(cJSON_IsString(host) && !strcmp(host->valuestring, hosts[i]));
        CHECK(cJSON_IsNumber(score) && score->valuedouble >= 0 && score->valuedouble <= 10);
        CHECK_EQ_INT(score->valueint, want);
    }
    cJSON_Delete(a);
}

static void test_prioritize(void)
{
    http_reply r;
    const char *names[] = {"node1", "node2", "node3"}, *nodes[] = {"big", "tiny", "full"};
    CHECK_EQ_INT(http("POST", "/scheduler/prioritize", names_req, &r), 0);
    check_priorities(&r, names, 3, (50 + 5) / 10);
    free(r.body);
    CHECK_EQ_INT(http("POST", "/scheduler/prioritize", nodes_req, &r), 0);
    check_priorities(&r, nodes, 3, 5);
    free(r.body);
    CHECK_EQ_INT(http("POST", "/scheduler/prioritize", "{\"Pod\":" POD ",\"NodeNames\":[]}", &r),
                 0);
    CHECK(r.status == 200 && !strcmp(r.body, "[]"));
    free(r.body);
}

static void test_filter(score_service *svc)
{
    /* "full" reports 95% of its 16Gi in use: 0.8Gi free < the pod's 2Gi. */
    telem_frame f = {0};
    strcpy(f.node, "full");
    for (int j = 0; j < KISIM_F_MEASURED; j++)
        f.available[j] = 1;
    f.features[FEAT_MEMORY_UTILIZATION] = 0.95f;
    f.ts_ms = clock_wall_ms();
    CHECK_EQ_INT(telem_store_put(score_service_store(svc), &f), 0);
    strcpy(f.node, "big");
    f.features[FEAT_MEMORY_UTILIZATION] = 0.25f;
    f.ts_ms = clock_wall_ms();
    CHECK_EQ_INT(telem_store_put(score_service_store(svc), &f), 0);

    http_reply r;
    CHECK_EQ_INT(http("POST", "/scheduler/filter", nodes_req, &r), 0);
    CHECK_EQ_INT(r.status, 200);
    cJSON *res = cJSON_Parse(r.body), *req = cJSON_Parse(nodes_req);
    cJSON *items =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(res, "Nodes"), "items");
    CHECK_MSG(cJSON_GetArraySize(items) == 1, "body %s", r.body);
    /* The survivor is echoed as the very Node object kube-scheduler sent. */
    cJSON *sent =
        cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(req, "Nodes"), "items"), 0);
    CHECK(cJSON_Compare(cJSON_GetArrayItem(items, 0), sent, 1));
    cJSON *unres = cJSON_GetObjectItemCaseSensitive(res, "FailedAndUnresolvableNodes");
    cJSON *failed = cJSON_GetObjectItemCaseSensitive(res, "FailedNodes");
    CHECK(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(unres, "tiny")));
    CHECK(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(failed, "full")));
    CHECK_STR_CONTAINS(cJSON_GetObjectItemCaseSensitive(failed, "full")->valuestring,
                       "memory_utilization 0.95");
    CHECK(cJSON_GetArraySize(failed) == 1 && cJSON_GetArraySize(unres) == 1);
    CHECK(!strcmp(cJSON_GetObjectItemCaseSensitive(res, "Error")->valuestring, ""));
    cJSON_Delete(res);
    cJSON_Delete(req);
    free(r.body);

    /* A BestEffort pod (no requests) asks for nothing as NodeResourcesFit counts (0, not
     * scoring's 100m / 200Mi defaults): neither "micro" (50m and 100Mi allocatable) nor "brim"
     * (99% of its 16Gi in use: 164Mi free) is evidence against it, so every node survives. */
    strcpy(f.node, "brim");
    f.features[FEAT_MEMORY_UTILIZATION] = 0.99f;
    f.ts_ms = clock_wall_ms();
    CHECK_EQ_INT(telem_store_put(score_service_store(svc), &f), 0);
    static const char *best_effort =
        "{\"Pod\":{\"metadata\":{\"name\":\"be\"},\"spec\":{\"containers\":[{\"name\":\"c\"}]}},"
        "\"Nodes\":{\"metadata\":{},\"items\":[" NODE(
            "brim",
            "16Gi") ",{\"metadata\":{\"name\":"
                    "\"micro\"},\"status\":{\"allocatable\":{\"cpu\":\"50m\",\"memory\":\"100Mi\","
                    "\"pods\":\"110\"}}}]},\"NodeNames\":null}";
    CHECK_EQ_INT(http("POST", "/scheduler/filter", best_effort, &r), 0);
    res = cJSON_Parse(r.body);
    items =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(res, "Nodes"), "items");
    CHECK_MSG(r.status == 200 && cJSON_GetArraySize(items) == 2, "BestEffort pod: %s", r.body);
    cJSON_Delete(res);
    free(r.body);

    /* GPUs are compared kind by kind: a pod asking for an amd.com/gpu fits a node with AMD GPUs
     * and none with NVIDIA's only. */
    static const char *amd_pod =
        "{\"Pod\":{\"metadata\":{\"name\":\"gpu\"},\"spec\":{\"containers\":[{\"name\":\"c\","
        "\"resources\":{\"limits\":{\"amd.com/gpu\":\"1\"}}}]}},\"Nodes\":{\"metadata\":{},"
        "\"items\":[{\"metadata\":{\"name\":\"mi300\"},\"status\":{\"allocatable\":{\"cpu\":\"8\","
        "\"memory\":\"64Gi\",\"amd.com/gpu\":\"8\"}}},{\"metadata\":{\"name\":\"h100\"},"
        "\"status\":{\"allocatable\":{\"cpu\":\"8\",\"memory\":\"64Gi\",\"nvidia.com/gpu\":"
        "\"8\"}}}]},\"NodeNames\":null}";
    CHECK_EQ_INT(http("POST", "/scheduler/filter", amd_pod, &r), 0);
    res = cJSON_Parse(r.body);
    items =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(res, "Nodes"), "items");
    unres = cJSON_GetObjectItemCaseSensitive(res, "FailedAndUnresolvableNodes");
    CHECK_MSG(r.status == 200 && cJSON_GetArraySize(items) == 1 && cJSON_GetArraySize(unres) == 1,
              "AMD GPU pod: %s", r.body);
    const cJSON *kept =
        cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetArrayItem(items, 0), "metadata"), "name");
    CHECK_MSG(cJSON_IsString(kept) && !strcmp(kept->valuestring, "mi300"), "AMD GPU pod: %s",
              r.body);
    cJSON *why = cJSON_GetObjectItemCaseSensitive(unres, "h100");
    CHECK(cJSON_IsString(why) && strstr(why->valuestring, "1 amd.com/gpu"));
    cJSON_Delete(res);
    free(r.body);

    /* NodeNames form: no Node objects, so nothing to fail on; every name echoed in order. */
    CHECK_EQ_INT(http("POST", "/scheduler/filter", names_req, &r), 0);
    res = cJSON_Parse(r.body);
    cJSON *nn = cJSON_GetObjectItemCaseSensitive(res, "NodeNames");
    CHECK(r.status == 200 && cJSON_GetArraySize(nn) == 3);
    CHECK(!strcmp(cJSON_GetArrayItem(nn, 2)->valuestring, "node3"));
    CHECK(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(res, "Nodes")));
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(res, "FailedNodes")) == 0);
    cJSON_Delete(res);
    free(r.body);
}

static void check_alive(void)
{
    http_reply r;
    CHECK_EQ_INT(http("GET", "/healthz", NULL, &r), 0);
    CHECK(r.status == 200 && !strcmp(r.body, "ok\n"));
    free(r.body);
    const char *names[] = {"node1", "node2", "node3"};
    CHECK_EQ_INT(http("POST", "/scheduler/prioritize", names_req, &r), 0);
    check_priorities(&r, names, 3, 5);
    free(r.body);
}

static void check_error(const http_reply *r, int status, const char *needle)
{
    CHECK_MSG(r->status == status, "status %d, want %d (%s)", r->status, status, r->body);
    cJSON *e = cJSON_Parse(r->body);
    cJSON *msg = cJSON_GetObjectItemCaseSensitive(e, "Error");
    CHECK_MSG(cJSON_IsString(msg), "error body is not {\"Error\":...}: %s", r->body);
    if (cJSON_IsString(msg)) CHECK_STR_CONTAINS(msg->valuestring, needle);
    cJSON_Delete(e);
}

static void test_bad_requests(size_t max_body)
{
    http_reply r;
    const char *bad[][2] = {
        {"{\"Pod\":", "not valid JSON"},
        {"", "not valid JSON"},
        {"{\"NodeNames\":[\"a\"]}", "ExtenderArgs.Pod: missing"},
        {"{\"Pod\":{},\"NodeNames\":[1]}", "NodeNames[0]"},
        {"{\"Pod\":{\"spec\":{\"containers\":[{\"resources\":{\"requests\":{\"cpu\":"
         "\"two\"}}}]}},\"NodeNames\":[\"a\"]}",
         "requests.cpu"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_EQ_INT(
            http("POST", i % 2 ? "/scheduler/filter" : "/scheduler/prioritize", bad[i][0], &r), 0);
        check_error(&r, 400, bad[i][1]);
        free(r.body);
        check_alive();
    }
    /* Oversized with a Content-Length: refused from the headers. */
    char *big = malloc(max_body + 2);
    memset(big, ' ', max_body + 1);
    big[max_body + 1] = 0;
    CHECK_EQ_INT(http("POST", "/scheduler/prioritize", big, &r), 0);
    check_error(&r, 400, "limit");
    free(r.body);
    check_alive();
    /* Oversized and chunked (no Content-Length): counted as it arrives. */
    size_t n = max_body + 100, hl;
    char *req = malloc(n + 512);
    hl = (size_t)sprintf(req,
                         "POST /scheduler/filter HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                         "Transfer-Encoding: chunked\r\n\r\n%zx\r\n",
                         n);
    memset(req + hl, ' ', n);
    memcpy(req + hl + n, "\r\n0\r\n\r\n", 7);
    CHECK_EQ_INT(http_raw(g_port, req, hl + n + 7, &r), 0);
    check_error(&r, 400, "limit");
    free(r.body);
    free(req);
    free(big);
    check_alive();
    /* Wrong method, unknown path. */
    CHECK_EQ_INT(http("GET", "/scheduler/prioritize", NULL, &r), 0);
    check_error(&r, 405, "method not allowed");
    CHECK_STR_CONTAINS(r.head, "Allow: POST");
    free(r.body);
    CHECK_EQ_INT(http("POST", "/healthz", "{}", &r), 0);
    check_error(&r, 405, "use GET");
    free(r.body);
    CHECK_EQ_INT(http("POST", "/scheduler/bind", "{}", &r), 0);
    check_error(&r, 404, "no such path");
    free(r.body);
    /* Garbage that is not HTTP at all. */
    const char junk[] = "\x16\x03\x01 not http\r\n\r\n";
    http_raw(g_port, junk, sizeof junk - 1, &r);
    free(r.body);
    check_alive();
}

static void *hammer(void *arg)
{
    int *fails = arg;
    const char *names[] = {"node1", "node2", "node3"};
    for (int i = 0; i < 40; i++) {
        http_reply r;
        if (http("POST", i % 3 ? "/scheduler/prioritize" : "/scheduler/filter",
                 i % 5 == 4 ? "{broken" : names_req, &r)) {
            (*fails)++;
            continue;
        }
        int want = i % 5 == 4 ? 400 : 200;
        if (r.status != want) (*fails)++;
        if (want == 200 && i % 3) {
            cJSON *a = cJSON_Parse(r.body);
            if (cJSON_GetArraySize(a) != 3 ||
                strcmp(cJSON_GetObjectItem(cJSON_GetArrayItem(a, 1), "Host")->valuestring,
                       names[1]))
                (*fails)++;
            cJSON_Delete(a);
        }
        free(r.body);
    }
    return NULL;
}

static void test_concurrent(void)
{
    pthread_t th[4];
    int fails[4] = {0};
    for (int i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, hammer, &fails[i]);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < 4; i++)
        CHECK_EQ_INT(fails[i], 0);
}

static long metric_value(const char *page, const char *series)
{
    const char *p = strstr(page, series);
    return p ? strtol(p + strlen(series), NULL, 10) : -1;
}

static void test_metrics(void)
{
    http_reply r;
    CHECK_EQ_INT(http("GET", "/metrics", NULL, &r), 0);
    CHECK_EQ_INT(r.status, 200);
    CHECK_STR_CONTAINS(r.head, "text/plain; version=0.0.4");
    /* Every malformed prioritize/filter so far was counted: 3 + 3 in test_bad_requests (with the
     * two oversized), 16 from the four hammer threads (4 x 40 / 5, split by verb). */
    long errors = metric_value(r.body, "kisim_score_request_errors_total{verb=\"prioritize\"} ") +
                  metric_value(r.body, "kisim_score_request_errors_total{verb=\"filter\"} ");
    CHECK_EQ_INT(errors, 5 + 2 + 32);
    CHECK(metric_value(r.body,
                       "kisim_score_requests_total{verb=\"prioritize\",link=\"neutral\"} ") > 10);
    CHECK_STR_CONTAINS(
        r.body, "kisim_score_request_duration_seconds_bucket{verb=\"prioritize\",le=\"+Inf\"}");
    char path[] = "/tmp/kisim-metrics-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0 && write(fd, r.body, r.len) == (ssize_t)r.len);
    close(fd);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "promtool check metrics < %s 2>&1", path);
    FILE *p = popen(cmd, "r");
    char out[4096] = "";
    size_t n = p ? fread(out, 1, sizeof out - 1, p) : 0;
    out[n] = 0;
    int status = p ? pclose(p) : -1;
    CHECK_MSG(status == 0,
              "promtool check metrics failed (exit %d; installed? "
              "experiments/install_deps.sh installs prometheus): %s",
              status, out);
    unlink(path);
    free(r.body);
}

int main(void)
{
    score_opts so = {0};
    score_service *svc;
    if (score_service_open(&svc, &so)) {
        fprintf(stderr, "score_service_open: %s\n", kisim_errmsg());
        return 1;
    }
    extender *x;
    extender_opts xo = {.threads = 2, .max_body = 64 * 1024};
    if (extender_start(&x, svc, "127.0.0.1:0", &xo)) {
        fprintf(stderr, "extender_start: %s\n", kisim_errmsg());
        return 1;
    }
    g_port = extender_port(x);
    CHECK(g_port > 0);
    /* Usage errors. */
    extender *y;
    CHECK_EQ_INT(extender_start(&y, svc, "127.0.0.1", &xo), KISIM_EUSAGE);
    CHECK_EQ_INT(extender_start(&y, svc, "nowhere:80", &xo), KISIM_EUSAGE);
    char busy[32];
    snprintf(busy, sizeof busy, "127.0.0.1:%d", g_port);
    CHECK_EQ_INT(extender_start(&y, svc, busy, &xo), KISIM_EIO);

    RUN(check_alive);
    RUN(test_prioritize);
    test_filter(svc);
    fprintf(stderr, "%s test_filter\n", test_failures ? "FAIL" : "ok  ");
    test_bad_requests(xo.max_body);
    fprintf(stderr, "%s test_bad_requests\n", test_failures ? "FAIL" : "ok  ");
    RUN(test_concurrent);
    RUN(test_metrics);
    extender_stop(x);
    score_service_close(svc);
    TEST_MAIN_END();
}

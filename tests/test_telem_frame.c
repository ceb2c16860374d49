/* test_telem_frame.c: telemetry frame bodies (telemetry/frame.h): a frame as the collector
 * writes it parses to the values written by hand; malformed frames are rejected with a message
 * naming the field; write -> parse round-trips. */
#include "common/err.h"
#include "telemetry/frame.h"
#include "test.h"

/* "features":[...] with feature i = base + i (raw), null where i is in `missing`. */
static void vectors(char *buf, size_t cap, double base, int missing)
{
    size_t n = (size_t)snprintf(buf, cap, "\"features\":[");
    for (int i = 0; i < KISIM_F; i++)
        n += (size_t)(i == missing ? snprintf(buf + n, cap - n, "%snull", i ? "," : "")
                                   : snprintf(buf + n, cap - n, "%s%g", i ? "," : "", base + i));
    n += (size_t)snprintf(buf + n, cap - n, "],\"available\":[");
    for (int i = 0; i < KISIM_F; i++)
        n += (size_t)snprintf(buf + n, cap - n, "%s%d", i ? "," : "", i != missing);
    snprintf(buf + n, cap - n, "]");
}

static int parse(const char *s, telem_frame *f)
{
    return telem_frame_parse(f, s, strlen(s));
}

static void test_good_frame(void)
{
    char node_v[1024], pod_v[1024], body[4096];
    vectors(node_v, sizeof node_v, 0.5, 4);
    vectors(pod_v, sizeof pod_v, 10, -1);
    snprintf(body, sizeof body,
             "{\"v\":1,\"node\":\"worker-3\",\"ts_ms\":1700000000123,%s,"
             "\"pods\":{\"default/web-1\":{%s}}}",
             node_v, pod_v);
    telem_frame f;
    CHECK_EQ_INT(parse(body, &f), 0);
    CHECK(!strcmp(f.node, "worker-3"));
    CHECK_EQ_INT(f.ts_ms, 1700000000123LL);
    for (int i = 0; i < KISIM_F; i++) {
        CHECK_EQ_INT(f.available[i], i != 4);
        CHECK_NEAR(f.features[i], i == 4 ? 0 : 0.5 + i, 1e-6);
    }
    CHECK_EQ_INT(f.n_pods, 1);
    CHECK(f.n_pods == 1 && !strcmp(f.pods[0].name, "default/web-1"));
    CHECK(f.n_pods == 1 && fabs(f.pods[0].features[14] - 24) < 1e-6 && f.pods[0].available[14]);
    CHECK_EQ_INT(telem_frame_check_topic(&f, "telemetry.worker-3", 18), 0);
    CHECK(telem_frame_check_topic(&f, "telemetry.worker-4", 18) == KISIM_EINPUT);
    CHECK(telem_frame_check_topic(&f, "telemetry.worker-", 17) == KISIM_EINPUT);

    /* Round trip: write, parse, same values. */
    char *json = telem_frame_json(&f);
    telem_frame g;
    CHECK(json && parse(json, &g) == 0);
    CHECK(json && !strcmp(g.node, f.node) && g.ts_ms == f.ts_ms && g.n_pods == 1);
    for (int i = 0; json && i < KISIM_F; i++)
        CHECK(g.features[i] == f.features[i] && g.available[i] == f.available[i]);
    free(json);
    telem_frame_free(&g);
    telem_frame_free(&f);

    /* No pods key at all is fine; a number where available is 0 is ignored. */
    vectors(node_v, sizeof node_v, 1, -1);
    snprintf(body, sizeof body, "{\"v\":1,\"node\":\"n\",\"ts_ms\":0,%s}", node_v);
    char *a14 = strstr(body, "1]}"); /* the last available: 1 -> 0 */
    CHECK(a14 != NULL);
    if (a14) a14[0] = '0';
    CHECK_EQ_INT(parse(body, &f), 0);
    CHECK(f.n_pods == 0 && f.pods == NULL && f.available[14] == 0 && f.features[14] == 0);
    telem_frame_free(&f);
    telem_frame_free(NULL);
}

/* Each malformed body: rejected with KISIM_EINPUT, the message naming `field`. */
static void bad(const char *body, const char *field)
{
    telem_frame f;
    int err = parse(body, &f);
    CHECK_MSG(err == KISIM_EINPUT, "accepted or wrong code %d: %s", err, body);
    CHECK_STR_CONTAINS(kisim_errmsg(), field);
    CHECK(f.pods == NULL);
}

static void test_malformed(void)
{
    char v[1024], v_null_avail[1024], body[4096];
    vectors(v, sizeof v, 0.1, -1);
    CHECK_EQ_INT(telem_frame_parse(&(telem_frame){0}, "", 0), KISIM_EINPUT);
    bad("{", "not valid JSON");
    bad("[1,2]", "not a JSON object");
    bad("{\"v\":1} {}", "text after the JSON document");
    bad("{\"v\":1,\"node\":\"a\\u0000b\"}", "\\u0000 in a string");
    bad("{\"node\":\"n\"}", "v: missing");
    snprintf(body, sizeof body, "{\"v\":2,\"node\":\"n\",\"ts_ms\":1,%s}", v);
    bad(body, "v: expected 1");
    snprintf(body, sizeof body, "{\"v\":1,\"node\":\"\",\"ts_ms\":1,%s}", v);
    bad(body, "node:");
    snprintf(body, sizeof body, "{\"v\":1,\"node\":\"a b\",\"ts_ms\":1,%s}", v);
    bad(body, "node:");
    snprintf(body, sizeof body, "{\"v\":1,\"node\":7,\"ts_ms\":1,%s}", v);
    bad(body, "node:");
    snprintf(body, sizeof body, "{\"v\":1,\"node\":\"n\",\"ts_ms\":-5,%s}", v);
    bad(body, "ts_ms");
    snprintf(body, sizeof body, "{\"v\":1,\"node\":\"n\",\"ts_ms\":1.5,%s}", v);
    bad(body, "ts_ms");
    snprintf(body, sizeof body, "{\"v\":1,\"node\":\"n\",%s}", v);
    bad(body, "ts_ms");
    snprintf(body, sizeof body, "{\"v\":1,\"node\":\"n\",\"ts_ms\":1,\"extra\":0,%s}", v);
    bad(body, "extra: unknown key");
    snprintf(body, sizeof body, "{\"v\":1,\"v\":1,\"node\":\"n\",\"ts_ms\":1,%s}", v);
    bad(body, "v: duplicate key");
    bad("{\"v\":1,\"node\":\"n\",\"ts_ms\":1,\"available\":[]}", "features: missing");
    bad("{\"v\":1,\"node\":\"n\",\"ts_ms\":1,\"features\":[1,2],\"available\":[1,1]}",
        "features: expected 15 values");
    /* available: a 2 somewhere */
    snprintf(body, sizeof body, "{\"v\":1,\"node\":\"n\",\"ts_ms\":1,%s}", v);
    char *last = strstr(body, "1]}");
    if (last) last[0] = '2';
    bad(body, "available[14]: expected 0 or 1");
    /* a string among the features */
    snprintf(body, sizeof body, "{\"v\":1,\"node\":\"n\",\"ts_ms\":1,%s}", v);
    char *third = strstr(body, "2.1");
    if (third) memcpy(third, "\"x\"", 3);
    bad(body, "features[2] (memory_utilization)");
    /* null but marked available */
    vectors(v_null_avail, sizeof v_null_avail, 0.1, 6);
    char *a6 = strstr(v_null_avail, "available");
    CHECK(a6 != NULL);
    if (a6) {
        char *zero = strstr(a6, ",0,"); /* available[6] = 0 -> 1 */
        if (zero) zero[1] = '1';
    }
    snprintf(body, sizeof body, "{\"v\":1,\"node\":\"n\",\"ts_ms\":1,%s}", v_null_avail);
    bad(body, "features[6] (disk_io_wait_ms): null but available[6] is 1");
    /* pods */
    snprintf(body, sizeof body, "{\"v\":1,\"node\":\"n\",\"ts_ms\":1,%s,\"pods\":[]}", v);
    bad(body, "pods: expected an object");
    snprintf(body, sizeof body,
             "{\"v\":1,\"node\":\"n\",\"ts_ms\":1,%s,\"pods\":{\"p\":{%s,\"x\":1}}}", v, v);
    bad(body, "pods.p.x: unknown key");
    snprintf(body, sizeof body,
             "{\"v\":1,\"node\":\"n\",\"ts_ms\":1,%s,\"pods\":{\"p\":{\"features\":[]}}}", v);
    bad(body, "pods.p.available: missing");
    snprintf(body, sizeof body,
             "{\"v\":1,\"node\":\"n\",\"ts_ms\":1,%s,\"pods\":{\"p\":{%s},\"p\":{%s}}}", v, v, v);
    bad(body, "pods.p: duplicate");
    snprintf(body, sizeof body, "{\"v\":1,\"node\":\"n\",\"ts_ms\":1,%s,\"pods\":{\"\":{%s}}}", v,
             v);
    bad(body, "a pod name must be");
    char big[300];
    memset(big, 'a', 260);
    big[260] = 0;
    snprintf(body, sizeof body, "{\"v\":1,\"node\":\"%s\",\"ts_ms\":1,%s}", big, v);
    bad(body, "node:");
}

int main(void)
{
    RUN(test_good_frame);
    RUN(test_malformed);
    TEST_MAIN_END();
}

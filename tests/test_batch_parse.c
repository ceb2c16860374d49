/* test_batch_parse.c: the BatchScore header is read as strict JSON (scheduler/batch.c through
 * common/json_strict.h): the documents below are ones a lenient parser would have taken. The
 * accepted control is a rebalance header straight from scheduler/PROTOCOL.md. */
#include "scheduler/batch.h"
#include "test.h"

static batch_code parse(const char *header, char *msg, size_t cap)
{
    proto_frame f = {header, strlen(header)};
    batch_request req;
    batch_code c = batch_parse(&f, 1, &req, msg, cap);
    batch_request_free(&req);
    return c;
}

static void expect(batch_code want, const char *header, const char *needle)
{
    char msg[256] = "";
    batch_code got = parse(header, msg, sizeof msg);
    CHECK_MSG(got == want, "%s: got %d (%s), want %d", header, (int)got, msg, (int)want);
    if (needle) CHECK_STR_CONTAINS(msg, needle);
}

static void test_strict_header(void)
{
    expect(BATCH_OK, "{\"v\":1,\"cmd\":\"rebalance\",\"id\":7,\"min_delta\":20,\"max\":50}", NULL);
    expect(BATCH_E_BAD_JSON, "{\"v\":1,\"cmd\":\"rebalance\"} trailing", "text after the JSON");
    expect(BATCH_E_BAD_JSON, "{\"v\":1,\"cmd\":\"rebalance\\u0000x\"}", "\\u0000 in a string");
    expect(BATCH_E_BAD_FIELD, "{\"v\":1,\"cmd\":\"rebalance\",\"max\":5,\"max\":50}",
           "max: duplicate key");
    expect(BATCH_E_BAD_JSON, "{\"v\":1,\"cmd\":\"rebalance\",\"max\":1e400}", "out of range");
}

int main(void)
{
    RUN(test_strict_header);
    TEST_MAIN_END();
}

/* test_proto.c: the env protocol's request parser and reply headers (transport/proto.c), frame by
 * frame: every error code from the case that should raise it, the action dtypes decoded to
 * the same integers, seeds beyond 2^53 kept exact, and reply headers that a JSON parser reads
 * back to what was put in (escaping included). */
#include <cjson/cJSON.h>
#include <stdint.h>

#include "test.h"
#include "transport/proto.h"

static const proto_limits LIM = {4, 16}; /* K = 4 envs, N_max = 16 */
static char msg[1024];
static int32_t acts[2 * 4];

/* Parses a header (and optional actions frame). */
static proto_code parse(const char *header, const void *arr, size_t arr_size, int n_frames,
                        proto_request *req)
{
    proto_frame f[3] = {{header, strlen(header)}, {arr, arr_size}, {"", 0}};
    return proto_parse(f, n_frames, &LIM, req, acts, msg, sizeof msg);
}

#define EXPECT(code, header, arr, size, nf, needle)                                                \
    do {                                                                                           \
        proto_request r_;                                                                          \
        proto_code got_ = parse(header, arr, size, nf, &r_);                                       \
        CHECK_MSG(got_ == (code), "%s: got %s (%s), want %s", header, proto_code_name(got_), msg,  \
                  proto_code_name(code));                                                          \
        CHECK_STR_CONTAINS(msg, needle);                                                           \
    } while (0)

static void test_header_errors(void)
{
    int32_t ok[8] = {0, 1, 1, 1, 2, 1, 3, 1};
    EXPECT(PROTO_E_BAD_JSON, "{\"v\":1,", NULL, 0, 1, "not valid JSON");
    EXPECT(PROTO_E_BAD_JSON, "[1,2]", NULL, 0, 1, "not a JSON object");
    EXPECT(PROTO_E_BAD_JSON, "", NULL, 0, 1, "empty");
    EXPECT(PROTO_E_BAD_FIELD, "{\"cmd\":\"spaces\"}", NULL, 0, 1, "v: missing");
    EXPECT(PROTO_E_UNSUPPORTED_VERSION, "{\"v\":2,\"cmd\":\"spaces\"}", NULL, 0, 1, "version 1");
    EXPECT(PROTO_E_UNSUPPORTED_VERSION, "{\"v\":\"1\",\"cmd\":\"spaces\"}", NULL, 0, 1, "v:");
    EXPECT(PROTO_E_BAD_FIELD, "{\"v\":1}", NULL, 0, 1, "cmd: missing");
    EXPECT(PROTO_E_UNKNOWN_COMMAND, "{\"v\":1,\"cmd\":\"jump\"}", NULL, 0, 1, "\"jump\"");
    EXPECT(PROTO_E_BAD_FIELD, "{\"v\":1,\"cmd\":\"spaces\",\"sede\":1}", NULL, 0, 1,
           "sede: unknown key for spaces");
    EXPECT(PROTO_E_BAD_FIELD, "{\"v\":1,\"cmd\":\"spaces\",\"env\":0}", NULL, 0, 1, "env: unknown");
    EXPECT(PROTO_E_BAD_FIELD, "{\"v\":1,\"cmd\":\"spaces\",\"v\":1}", NULL, 0, 1, "v: duplicate");
    EXPECT(PROTO_E_BAD_JSON, "{\"v\":1,\"cmd\":\"spaces\"} x", NULL, 0, 1, "text after the JSON");
    EXPECT(PROTO_E_BAD_JSON, "{\"v\":1,\"cmd\":\"spaces\\u0000x\"}", NULL, 0, 1, "\\u0000");
    EXPECT(PROTO_E_BAD_FIELD, "{\"v\":1,\"cmd\":\"spaces\",\"id\":-1}", NULL, 0, 1, "id:");
    EXPECT(PROTO_E_BAD_FIELD, "{\"v\":1,\"cmd\":\"spaces\",\"id\":1.5}", NULL, 0, 1, "id:");
    EXPECT(PROTO_E_BAD_FIELD, "{\"v\":1,\"cmd\":\"reset\"}", NULL, 0, 1, "seed: missing");
    EXPECT(PROTO_E_BAD_FIELD, "{\"v\":1,\"cmd\":\"reset\",\"seed\":-3}", NULL, 0, 1, "seed:");
    EXPECT(PROTO_E_BAD_FIELD, "{\"v\":1,\"cmd\":\"reset\",\"seed\":\"12a\"}", NULL, 0, 1, "seed:");
    EXPECT(PROTO_E_BAD_FIELD, "{\"v\":1,\"cmd\":\"reset\",\"seed\":\"18446744073709551616\"}", NULL,
           0, 1, "seed:");
    EXPECT(PROTO_E_BAD_FIELD, "{\"v\":1,\"cmd\":\"reset\",\"seed\":1,\"env\":4}", NULL, 0, 1,
           "env: expected an env index in [0, 4)");
    EXPECT(PROTO_E_BAD_FIELD, "{\"v\":1,\"cmd\":\"reset\",\"seed\":1,\"total_envs\":3}", NULL, 0, 1,
           "total_envs");
    EXPECT(PROTO_E_BAD_FIELD,
           "{\"v\":1,\"cmd\":\"reset\",\"seed\":1,\"total_envs\":6,\"env_offset\":3}", NULL, 0, 1,
           "env_offset: expected an integer in [0, 2]");
    EXPECT(PROTO_E_BAD_FIELD, "{\"v\":1,\"cmd\":\"reset\",\"seed\":1,\"env\":1,\"env_offset\":0}",
           NULL, 0, 1, "not with env");
    EXPECT(PROTO_E_BAD_FIELD, "{\"v\":1,\"cmd\":\"step\",\"dtype\":\"int8\"}", ok, sizeof ok, 2,
           "dtype:");
    /* The id is read first, so that even a rejected request's reply carries it. */
    proto_request r;
    CHECK(parse("{\"id\":77,\"v\":1,\"cmd\":\"nope\"}", NULL, 0, 1, &r) == PROTO_E_UNKNOWN_COMMAND);
    CHECK(r.has_id && r.id == 77);
    char big[PROTO_MAX_HEADER + 64];
    memset(big, ' ', sizeof big - 1);
    big[sizeof big - 1] = 0;
    memcpy(big, "{\"v\":1,\"cmd\":\"spaces\"}", 22);
    EXPECT(PROTO_E_BAD_JSON, big, NULL, 0, 1, "more than");
}

static void test_frames_and_sizes(void)
{
    int32_t ok[8] = {0, 1, 1, 1, 2, 1, 3, 1};
    EXPECT(PROTO_E_FRAME_COUNT, "{\"v\":1,\"cmd\":\"step\"}", NULL, 0, 1, "expected 2 frames");
    EXPECT(PROTO_E_FRAME_COUNT, "{\"v\":1,\"cmd\":\"spaces\"}", ok, sizeof ok, 2, "got 2");
    EXPECT(PROTO_E_FRAME_COUNT, "{\"v\":1,\"cmd\":\"step\"}", ok, sizeof ok, 3, "got 3");
    EXPECT(PROTO_E_ARRAY_SIZE, "{\"v\":1,\"cmd\":\"step\"}", ok, sizeof ok - 4, 2,
           "expected int32[4, 2] = 32 bytes, got 28");
    EXPECT(PROTO_E_ARRAY_SIZE, "{\"v\":1,\"cmd\":\"step\",\"env\":2}", ok, sizeof ok, 2,
           "int32[1, 2] = 8 bytes");
    EXPECT(PROTO_E_ARRAY_SIZE, "{\"v\":1,\"cmd\":\"step\",\"dtype\":\"float64\"}", ok, sizeof ok, 2,
           "float64[4, 2] = 64 bytes");
    proto_request r;
    CHECK(parse("{\"v\":1,\"cmd\":\"step\",\"id\":3}", ok, sizeof ok, 2, &r) == PROTO_OK);
    CHECK(r.cmd == PROTO_STEP && r.n == 4 && r.env == -1 && r.id == 3);
    CHECK(memcmp(acts, ok, sizeof ok) == 0);
}

static void test_action_values(void)
{
    int32_t big[8] = {0, 1, 16, 1, 0, 1, 0, 1};
    EXPECT(PROTO_E_BAD_ACTION, "{\"v\":1,\"cmd\":\"step\"}", big, sizeof big, 2,
           "actions[1][0] (node) = 16 is outside [0, 15]");
    int32_t neg[8] = {0, 1, 0, 1, 0, -1, 0, 1};
    EXPECT(PROTO_E_BAD_ACTION, "{\"v\":1,\"cmd\":\"step\"}", neg, sizeof neg, 2,
           "actions[2][1] (scale) = -1");
    int32_t scale3[2] = {5, 3};
    EXPECT(PROTO_E_BAD_ACTION, "{\"v\":1,\"cmd\":\"step\",\"env\":1}", scale3, sizeof scale3, 2,
           "actions[0][1] (scale) = 3 is outside [0, 2]");
    float fnan[8] = {0, 1, 0, 1, 0, 1, NAN, 1};
    EXPECT(PROTO_E_BAD_ACTION, "{\"v\":1,\"cmd\":\"step\",\"dtype\":\"float32\"}", fnan,
           sizeof fnan, 2, "actions[3][0] (node) is NaN");
    double half[8] = {0, 1, 0, 1.5, 0, 1, 0, 1};
    EXPECT(PROTO_E_BAD_ACTION, "{\"v\":1,\"cmd\":\"step\",\"dtype\":\"float64\"}", half,
           sizeof half, 2, "= 1.5 is not an integer");
    double inf[8] = {0, 1, INFINITY, 1, 0, 1, 0, 1};
    EXPECT(PROTO_E_BAD_ACTION, "{\"v\":1,\"cmd\":\"step\",\"dtype\":\"float64\"}", inf, sizeof inf,
           2, "not an integer");
    int64_t huge[8] = {0, 1, 0, 1, (int64_t)1 << 40, 1, 0, 1};
    EXPECT(PROTO_E_BAD_ACTION, "{\"v\":1,\"cmd\":\"step\",\"dtype\":\"int64\"}", huge, sizeof huge,
           2, "= 1099511627776 is outside");

    /* The same actions in every dtype decode to the same int32 pairs. */
    int32_t want[8] = {15, 0, 3, 2, 0, 1, 7, 1};
    int64_t i64[8];
    float f32[8];
    double f64[8];
    for (int i = 0; i < 8; i++)
        i64[i] = want[i], f32[i] = (float)want[i], f64[i] = want[i];
    const char *h[3] = {"{\"v\":1,\"cmd\":\"step\",\"dtype\":\"int64\"}",
                        "{\"v\":1,\"cmd\":\"step\",\"dtype\":\"float32\"}",
                        "{\"v\":1,\"cmd\":\"step\",\"dtype\":\"float64\"}"};
    const void *a[3] = {i64, f32, f64};
    size_t sz[3] = {sizeof i64, sizeof f32, sizeof f64};
    for (int d = 0; d < 3; d++) {
        proto_request r;
        memset(acts, 0xff, sizeof acts);
        CHECK_MSG(parse(h[d], a[d], sz[d], 2, &r) == PROTO_OK, "%s: %s", h[d], msg);
        CHECK(memcmp(acts, want, sizeof want) == 0);
    }
    /* Unaligned data (a frame may start anywhere) decodes the same. */
    unsigned char raw[sizeof want + 1];
    memcpy(raw + 1, want, sizeof want);
    proto_request r;
    CHECK(parse("{\"v\":1,\"cmd\":\"step\"}", raw + 1, sizeof want, 2, &r) == PROTO_OK);
    CHECK(memcmp(acts, want, sizeof want) == 0);
}

static void test_reset_fields(void)
{
    proto_request r;
    CHECK(
        parse(
            "{\"v\":1,\"cmd\":\"reset\",\"seed\":\"18446744073709551615\",\"id\":9007199254740992}",
            NULL, 0, 1, &r) == PROTO_OK);
    CHECK(r.seed == UINT64_MAX && r.id == 9007199254740992LL);
    CHECK(r.env_offset == 0 && r.total_envs == 4 && r.n == 4);
    CHECK(parse("{\"v\":1,\"cmd\":\"reset\",\"seed\":12345678901234567,\"id\":1}", NULL, 0, 1,
                &r) == PROTO_E_BAD_FIELD); /* above 2^53 a JSON number is not exact: strings only */
    CHECK(parse("{\"v\":1,\"cmd\":\"reset\",\"seed\":\"12345678901234567\",\"env_offset\":5,"
                "\"total_envs\":9}",
                NULL, 0, 1, &r) == PROTO_OK);
    CHECK(r.seed == 12345678901234567ULL && r.env_offset == 5 && r.total_envs == 9);
    CHECK(parse("{\"v\":1,\"cmd\":\"reset\",\"seed\":42,\"env\":3}", NULL, 0, 1, &r) == PROTO_OK);
    CHECK(r.seed == 42 && r.env == 3 && r.n == 1);
    CHECK(parse("{\"v\":1,\"cmd\":\"close\",\"env\":0}", NULL, 0, 1, &r) == PROTO_OK);
    CHECK(r.cmd == PROTO_CLOSE && r.n == 1);
}

static void test_reply_headers(void)
{
    char buf[512];
    proto_request r = {.has_id = 1, .id = 12, .n = 4, .env = -1};
    int len = proto_ok_header(buf, sizeof buf, &r, "\"envs\":4");
    CHECK(len == (int)strlen(buf));
    cJSON *h = cJSON_Parse(buf);
    CHECK(h && cJSON_IsTrue(cJSON_GetObjectItem(h, "ok")));
    CHECK(cJSON_GetObjectItem(h, "id")->valuedouble == 12);
    CHECK(cJSON_GetObjectItem(h, "n")->valuedouble == 4);
    CHECK(cJSON_GetObjectItem(h, "envs")->valuedouble == 4);
    CHECK(cJSON_GetObjectItem(h, "v")->valuedouble == PROTO_VERSION);
    cJSON_Delete(h);

    const char *nasty = "quote \" backslash \\ newline \n tab \t byte \xc3\xa9 end";
    len = proto_error_header(buf, sizeof buf, &r, PROTO_E_ARRAY_SIZE, nasty);
    CHECK(len == (int)strlen(buf));
    h = cJSON_Parse(buf);
    CHECK(h && cJSON_IsFalse(cJSON_GetObjectItem(h, "ok")));
    cJSON *e = cJSON_GetObjectItem(h, "error");
    CHECK(e && !strcmp(cJSON_GetObjectItem(e, "code")->valuestring, "array_size"));
    CHECK(e && !strcmp(cJSON_GetObjectItem(e, "message")->valuestring,
                       "quote \" backslash \\ newline \n tab \t byte ?? end"));
    cJSON_Delete(h);

    /* A message too long for the buffer is cut, and the header is still JSON. */
    char longmsg[2000];
    memset(longmsg, 'x', sizeof longmsg - 1);
    longmsg[sizeof longmsg - 1] = 0;
    len = proto_error_header(buf, sizeof buf, NULL, PROTO_E_ENV_ERROR, longmsg);
    CHECK(len > 0 && len < (int)sizeof buf);
    h = cJSON_Parse(buf);
    CHECK(h != NULL && cJSON_GetObjectItem(h, "id") == NULL);
    cJSON_Delete(h);
    CHECK(proto_ok_header(buf, 10, &r, NULL) == -1);

    /* Names and codes round-trip, and every code has a distinct wire name. */
    for (int c = 0; c < PROTO_N_ERRORS; c++) {
        CHECK(proto_code_from_name(proto_code_name((proto_code)c)) == c);
        for (int d = 0; d < c; d++)
            CHECK(strcmp(proto_code_name((proto_code)c), proto_code_name((proto_code)d)) != 0);
    }
    CHECK(proto_code_name(PROTO_N_ERRORS) == NULL && proto_code_from_name("nope") == -1);
}

int main(void)
{
    RUN(test_header_errors);
    RUN(test_frames_and_sizes);
    RUN(test_action_values);
    RUN(test_reset_fields);
    RUN(test_reply_headers);
    TEST_MAIN_END();
}

/* test_json_str.c: JSON string literals (common/json_str.c) against hand-written expectations. */
#include "common/json_str.h"
#include "test.h"

static void expect(const char *in, const char *want)
{
    char out[256];
    CHECK(json_str_cap(in) <= sizeof out);
    size_t n = json_str_put(out, in);
    CHECK_MSG(n == strlen(want) && !memcmp(out, want, n), "%s -> %.*s, want %s", in, (int)n, out,
              want);
}

static void test_escapes(void)
{
    expect("", "\"\"");
    expect("node-1", "\"node-1\"");
    expect("a\"b\\c", "\"a\\\"b\\\\c\"");
    expect("t\tn\n\x01\x1f", "\"t\\u0009n\\u000a\\u0001\\u001f\"");
    expect("caf\xc3\xa9", "\"caf\xc3\xa9\""); /* UTF-8 bytes pass through */
    CHECK_EQ_INT((int)json_str_cap("abc"), 2 + 18);
}

int main(void)
{
    RUN(test_escapes);
    TEST_MAIN_END();
}

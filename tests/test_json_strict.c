/* test_json_strict.c: the strict JSON reader (common/json_strict.c). Every case is a literal
 * document with the verdict RFC 8259 and the stated limits give it; limit cases sit exactly at
 * and one past each limit. */
#include "common/json_strict.h"
#include "test.h"

#include <stdlib.h>

static int accepts(const char *doc)
{
    cJSON *j = json_strict_parse(doc, strlen(doc), NULL, NULL);
    cJSON_Delete(j);
    return j != NULL;
}

/* Refused, with want in the message. */
static void refuses(const char *doc, const char *want)
{
    json_error e = {0};
    cJSON *j = json_strict_parse(doc, strlen(doc), NULL, &e);
    CHECK_MSG(!j, "accepted: %s", doc);
    cJSON_Delete(j);
    CHECK_MSG(strstr(e.text, want), "%s: message \"%s\" lacks \"%s\"", doc, e.text, want);
}

static void test_accepts_rfc_documents(void)
{
    const char *ok[] = {"{}",
                        "[]",
                        " {\"a\": [1, -0, 0.5e-3, 2E+10, true, false, null]} \n",
                        "\"x\"",
                        "0",
                        "-12.5",
                        "{\"a\":{\"b\":{}},\"c\":[[]]}",
                        "\"caf\xc3\xa9 \xf0\x9f\x98\x80 \\ud83d\\ude00 \\u00e9 \\n\\/\"",
                        "{\"a\":1,\"A\":2}",
                        "1.7976931348623157e308"};
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
        CHECK_MSG(accepts(ok[i]), "%s", ok[i]);
    cJSON *j = json_strict_parse("{\"n\":\"a\"} xyz", 9, NULL, NULL); /* len ends before xyz */
    CHECK(j && !strcmp(cJSON_GetObjectItem(j, "n")->valuestring, "a"));
    cJSON_Delete(j);
}

static void test_refuses_what_lenient_parsers_take(void)
{
    refuses("{\"a\":1} x", "text after the JSON document");
    refuses("{\"a\":1}{}", "text after");
    refuses("{\"name\":\"a\\u0000b\"}", "\\u0000");
    refuses("{\"cmd\":\"spaces\\u0000x\"}", "\\u0000");
    refuses("{\"a\":1,\"a\":2}", "/a: duplicate key");
    refuses("{\"a\":1,\"\\u0061\":2}", "/a: duplicate key"); /* the same key, escaped */
    refuses("[{\"x\":{\"k\":1,\"j\":2,\"k\":3}}]", "/0/x/k: duplicate key");
    refuses("{\"a/b\":{\"~\":1,\"~\":1}}", "/a~1b/~0: duplicate key"); /* RFC 6901 escapes */
    refuses("{\"a\":1,}", "expected a string key");
    refuses("[1,]", "unexpected character ']'");
    refuses("[01]", "expected ',' or ']'");
    refuses("[1.]", "no digit after '.'");
    refuses("[1e]", "no digit in the exponent");
    refuses("[+1]", "unexpected character '+'");
    refuses("[1e999]", "out of range");
    refuses("[NaN]", "unexpected character 'N'");
    refuses("{'a':1}", "expected a string key");
    refuses("[\"tab\there\"]", "control character 0x09");
    refuses("[\"\\x41\"]", "invalid escape \\x");
    refuses("[\"\\ud83d\"]", "high surrogate without a low");
    refuses("[\"\\ude00\"]", "low surrogate without a high");
    refuses("[\"\xc0\xaf\"]", "invalid UTF-8");         /* overlong '/' */
    refuses("[\"\xed\xa0\x80\"]", "invalid UTF-8");     /* an encoded surrogate */
    refuses("[\"\xf4\x90\x80\x80\"]", "invalid UTF-8"); /* past U+10FFFF */
    refuses("[\"abc", "unterminated string");
    refuses("[1, 2", "unterminated document");
    refuses("", "no JSON value");
    refuses("   ", "no JSON value");
    refuses("[1]\n\x01", "at byte 4: text after");
    char raw_nul[] = "[\"a\0b\"]";
    json_error e;
    CHECK(!json_strict_parse(raw_nul, sizeof raw_nul - 1, NULL, &e));
    CHECK_MSG(strstr(e.text, "control character 0x00"), "%s", e.text);
}

static void test_error_parts(void)
{
    json_error e;
    CHECK(!json_strict_parse_str("{\"a\":\n 1} !", NULL, &e));
    CHECK_EQ_INT((int)e.at, 10);
    CHECK(!strcmp(e.reason, "text after the JSON document"));
    CHECK(!strcmp(e.text, "at byte 10: text after the JSON document"));
    CHECK(!json_strict_parse_str("{\"b\":1,\"b\":1}", NULL, &e));
    CHECK(e.at == JSON_NO_OFFSET);
    CHECK(!strcmp(e.text, "/b: duplicate key"));
    CHECK(e.kind == JSON_DUPLICATE && !strcmp(e.pointer, "/b"));
    CHECK(!json_strict_parse_str("[1 2]", NULL, &e) && e.kind == JSON_SYNTAX);
    CHECK(!json_strict_parse_str("[[[1]]]", &(json_limits){100, 100, 2}, &e));
    CHECK(e.kind == JSON_LIMIT);
}

/* An object of 40 keys k0..k39 and, with repeat, k0 again: past the 32 names sorted on the
 * stack. */
static void test_many_keys(void)
{
    char doc[1024];
    size_t n = 0;
    for (int repeat = 0; repeat < 2; repeat++) {
        n = (size_t)snprintf(doc, sizeof doc, "{");
        for (int k = 0; k < 40; k++)
            n += (size_t)snprintf(doc + n, sizeof doc - n, "%s\"k%d\":%d", k ? "," : "", k, k);
        if (repeat) n += (size_t)snprintf(doc + n, sizeof doc - n, ",\"k0\":1");
        snprintf(doc + n, sizeof doc - n, "}");
        if (repeat)
            refuses(doc, "/k0: duplicate key");
        else
            CHECK(accepts(doc));
    }
}

static char *nested(int depth)
{
    char *s = malloc(2 * (size_t)depth + 1);
    for (int i = 0; i < depth; i++)
        s[i] = '[', s[2 * depth - 1 - i] = ']';
    s[2 * depth] = 0;
    return s;
}

static void test_depth_limit(void)
{
    char *ok = nested(JSON_MAX_DEPTH), *deep = nested(JSON_MAX_DEPTH + 1);
    CHECK(accepts(ok));
    refuses(deep, "nesting deeper than 64");
    free(ok);
    free(deep);
    json_limits lim = {1 << 20, 100, 2};
    json_error e;
    cJSON *j = json_strict_parse_str("{\"a\":[1]}", &lim, &e);
    CHECK(j);
    cJSON_Delete(j);
    CHECK(!json_strict_parse_str("{\"a\":[[1]]}", &lim, &e));
    CHECK_MSG(strstr(e.text, "nesting deeper than 2"), "%s", e.text);
}

/* "[0,0,...]" with n zeros holds n + 1 values (the array counts). */
static char *zeros(size_t n)
{
    char *s = malloc(2 * n + 2);
    s[0] = '[';
    for (size_t i = 0; i < n; i++)
        s[1 + 2 * i] = '0', s[2 + 2 * i] = ',';
    s[2 * n] = ']';
    s[2 * n + 1] = 0;
    return s;
}

static void test_value_and_byte_limits(void)
{
    char *at = zeros(JSON_MAX_VALUES - 1), *over = zeros(JSON_MAX_VALUES);
    CHECK(accepts(at));
    refuses(over, "more than 1000000 values");
    free(at);
    free(over);
    json_limits lim = {10, 1000, 8};
    json_error e;
    CHECK(!json_strict_parse_str("[1,2,3,4,5]", &lim, &e)); /* 11 bytes */
    CHECK_MSG(strstr(e.text, "11 bytes, more than the limit of 10"), "%s", e.text);
    cJSON *j = json_strict_parse_str("[1,2,3,45]", &lim, &e);
    CHECK(j && cJSON_GetArraySize(j) == 4);
    cJSON_Delete(j);
}

/* The body of finding 1 of the hardening issue: 8 million elements in a 16 MB body. The scan
 * must refuse it without building a tree (it would be about 650 MB). */
static void test_small_body_many_values(void)
{
    char *body = zeros(8000000);
    json_error e;
    CHECK(strlen(body) < JSON_MAX_BYTES);
    CHECK(!json_strict_parse_str(body, NULL, &e));
    CHECK_MSG(strstr(e.text, "more than 1000000 values"), "%s", e.text);
    free(body);
}

int main(void)
{
    RUN(test_accepts_rfc_documents);
    RUN(test_refuses_what_lenient_parsers_take);
    RUN(test_error_parts);
    RUN(test_many_keys);
    RUN(test_depth_limit);
    RUN(test_value_and_byte_limits);
    RUN(test_small_body_many_values);
    TEST_MAIN_END();
}

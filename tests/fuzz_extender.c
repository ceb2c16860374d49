/* fuzz_extender.c: libFuzzer target for the extender's request parser (scheduler/extender_json.c
 * with the pod context and quantity parsers under it), built with clang by
 * tests/cli_fuzz_extender.sh. The input is an ExtenderArgs body. Besides the sanitizers it checks
 * the parser's promises: an error always has a message and leaves nothing behind; a parsed
 * request has names for all its candidates and a pod context in [0, 1]; and the answers written
 * from it (prioritize, filter with every other node failed, the error body) are valid JSON
 * with one entry per candidate. Seed corpus: tests/fuzz/extender_corpus. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/err.h"
#include "scheduler/extender_json.h"

#define FUZZ_NAME "fuzz_extender"
#include "tests/fuzz_frames.h"

static void check_error_body(void)
{
    char *out;
    size_t len;
    REQUIRE(extender_json_error(&out, &len, kisim_errmsg()) == 0);
    cJSON *e = cJSON_Parse(out);
    REQUIRE(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(e, "Error")));
    cJSON_Delete(e);
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    extender_args a;
    kisim_clearerr();
    int rc = extender_json_parse(&a, (const char *)data, size);
    if (rc) {
        REQUIRE(rc == KISIM_EINPUT || rc == KISIM_ENOMEM);
        REQUIRE(kisim_errmsg()[0] != 0);
        REQUIRE(a.root == NULL && a.nodes == NULL && a.n == 0);
        check_error_body();
        return 0;
    }
    REQUIRE(a.n >= 0);
    for (int i = 0; i < KISIM_P; i++)
        REQUIRE(a.pod[i] >= 0 && a.pod[i] <= 1);
    int *s10 = malloc(((size_t)a.n + 1) * sizeof *s10);
    const char **fail = calloc((size_t)a.n + 1, sizeof *fail);
    uint8_t *unres = calloc((size_t)a.n + 1, 1);
    for (int i = 0; i < a.n; i++) {
        REQUIRE(a.nodes[i].name != NULL);
        s10[i] = extender_score10(i * 7.5);
        REQUIRE(s10[i] >= 0 && s10[i] <= 10);
        if (i % 2) fail[i] = a.nodes[i].name, unres[i] = (uint8_t)(i % 4 == 3);
    }
    char *out;
    size_t len;
    REQUIRE(extender_json_prioritize(&out, &len, &a, s10) == 0);
    cJSON *p = cJSON_Parse(out);
    REQUIRE(cJSON_IsArray(p) && cJSON_GetArraySize(p) == a.n);
    cJSON_Delete(p);
    free(out);
    REQUIRE(extender_json_filter(&out, &len, &a, fail, unres) == 0);
    cJSON *f = cJSON_Parse(out);
    REQUIRE(cJSON_IsObject(f));
    if (a.by_name)
        REQUIRE(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(f, "NodeNames")) ==
                a.n - a.n / 2);
    cJSON_Delete(f);
    free(out);
    free(unres);
    free(fail);
    free(s10);
    extender_json_free(&a);
    return 0;
}

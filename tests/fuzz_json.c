/* fuzz_json.c: libFuzzer target for the strict JSON reader (common/json_strict.c), built with
 * clang by tests/cli_fuzz_json.sh. Besides the sanitizers it checks the reader's promises: a
 * refusal always says why; an accepted document, printed by cJSON and read again, is accepted
 * and equal (so nothing the reader lets through is something it would refuse in another
 * spelling); the tree never holds more values or deeper nesting than the limits. Seed corpus:
 * tests/fuzz/json_corpus. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json_strict.h"

#define FUZZ_NAME "fuzz_json"
#include "tests/fuzz_frames.h"

static size_t count(const cJSON *n, int depth, int *max_depth)
{
    if (depth > *max_depth) *max_depth = depth;
    size_t k = 1;
    for (const cJSON *c = n->child; c; c = c->next)
        k += count(c, depth + 1, max_depth);
    return k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const json_limits lim = {1 << 20, 2000, 16};
    json_error e;
    cJSON *j = json_strict_parse((const char *)data, size, &lim, &e);
    if (!j) {
        REQUIRE(e.text[0] != 0 && e.kind >= JSON_SYNTAX && e.kind <= JSON_NOMEM);
        REQUIRE(e.at == JSON_NO_OFFSET || e.at <= size);
        return 0;
    }
    int depth = 0;
    REQUIRE(count(j, 0, &depth) <= lim.max_values);
    REQUIRE(depth <= lim.max_depth);
    char *printed = cJSON_PrintUnformatted(j);
    REQUIRE(printed != NULL);
    cJSON *again = json_strict_parse_str(printed, &lim, &e);
    REQUIRE(again != NULL);
    REQUIRE(cJSON_Compare(j, again, 1));
    cJSON_Delete(again);
    free(printed);
    cJSON_Delete(j);
    return 0;
}

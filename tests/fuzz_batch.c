/* fuzz_batch.c: libFuzzer target for the BatchScore request parser (scheduler/batch.c), built
 * with clang by tests/cli_fuzz_batch.sh. Input layout (as fuzz_proto.c): byte 0 picks the frame
 * count (1 + byte % 4); the header frame runs from byte 1 to the first NUL (or the end); the
 * bytes after that NUL are split evenly over the remaining frames. Besides the sanitizers it
 * checks the parser's promises: a known code, a message for every error, a parsed request whose
 * arrays have the sizes its header announced with finite telemetry, and an error header that is
 * valid JSON echoing the code. Seed corpus: tests/fuzz/batch_corpus. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "scheduler/batch.h"
#include "telemetry/frame.h"

#define FUZZ_NAME "fuzz_batch"
#include "tests/fuzz_frames.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    proto_frame f[4];
    int n = fuzz_frames_split(data, size, 4, f);
    batch_request req;
    char msg[512];
    batch_code code = batch_parse(f, n, &req, msg, sizeof msg);
    REQUIRE((int)code >= 0 && code < BATCH_N_ERRORS);
    REQUIRE(code == BATCH_OK || msg[0] != 0);
    if (code == BATCH_OK && req.cmd == BATCH_SCORE) {
        REQUIRE(req.n >= 1 && req.n <= SCORE_MAX_NODES);
        for (int i = 0; i < req.n; i++)
            REQUIRE(telem_frame_name_ok(req.nodes[i]));
        REQUIRE((req.T > 0) == (req.telemetry != NULL));
        for (size_t k = 0; req.telemetry && k < (size_t)req.n * req.T * KISIM_F; k++)
            REQUIRE(isfinite(req.telemetry[k]));
        for (size_t k = 0; req.orch && k < (size_t)req.n * KISIM_F_ORCH; k++)
            REQUIRE(!isinf(req.orch[k]));
        for (int k = 0; k < KISIM_P; k++)
            REQUIRE(isfinite(req.pod[k]));
    }
    if (code == BATCH_OK && req.cmd == BATCH_REBALANCE)
        REQUIRE(req.min_delta >= 0 && req.min_delta <= 100 && req.max_moves >= 1);
    char *h = batch_error_header(&req, code ? code : BATCH_E_SCORE_ERROR, code ? msg : "x");
    REQUIRE(h != NULL);
    cJSON *o = cJSON_Parse(h);
    REQUIRE(o != NULL);
    const cJSON *c = cJSON_GetObjectItem(cJSON_GetObjectItem(o, "error"), "code");
    REQUIRE(cJSON_IsString(c) &&
            !strcmp(c->valuestring, batch_code_name(code ? code : BATCH_E_SCORE_ERROR)));
    cJSON_Delete(o);
    free(h);
    batch_request_free(&req);
    return 0;
}

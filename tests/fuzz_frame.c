/* fuzz_frame.c: libFuzzer target for telemetry frame bodies (telemetry/frame.c), built with clang
 * by tests/cli_fuzz_frame.sh. Besides the sanitizers it checks the parser's promises: a refusal
 * says why and is classified (malformed or too many pods); an accepted frame has a valid node
 * name, at most TELEM_FRAME_MAX_PODS pods with valid, distinct names, finite features that are 0
 * where unavailable, and written back by telem_frame_json it parses again to the same frame.
 * Seed corpus: tests/fuzz/frame_corpus. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "telemetry/frame.h"

#define FUZZ_NAME "fuzz_frame"
#include "tests/fuzz_frames.h"

static void check_vectors(const float *feat, const uint8_t *avail)
{
    for (int i = 0; i < KISIM_F; i++) {
        REQUIRE(avail[i] == 0 || avail[i] == 1);
        REQUIRE(isfinite(feat[i]));
        REQUIRE(avail[i] || feat[i] == 0);
    }
}

static void check_same(const telem_frame *a, const telem_frame *b)
{
    REQUIRE(!strcmp(a->node, b->node) && a->ts_ms == b->ts_ms && a->n_pods == b->n_pods);
    REQUIRE(!memcmp(a->available, b->available, sizeof a->available));
    for (int i = 0; i < KISIM_F; i++)
        REQUIRE(a->features[i] == b->features[i]);
    for (int p = 0; p < a->n_pods; p++)
        REQUIRE(!strcmp(a->pods[p].name, b->pods[p].name));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    telem_frame f;
    telem_refusal why = TELEM_N_REFUSALS;
    if (telem_frame_read(&f, (const char *)data, size, &why)) {
        REQUIRE(kisim_errmsg()[0] != 0);
        REQUIRE(why == TELEM_REFUSED_MALFORMED || why == TELEM_REFUSED_TOO_MANY_PODS);
        REQUIRE(f.pods == NULL && f.n_pods == 0);
        return 0;
    }
    REQUIRE(telem_frame_name_ok(f.node) && f.ts_ms >= 0);
    REQUIRE(f.n_pods >= 0 && f.n_pods <= TELEM_FRAME_MAX_PODS);
    check_vectors(f.features, f.available);
    for (int p = 0; p < f.n_pods; p++) {
        REQUIRE(telem_frame_name_ok(f.pods[p].name));
        check_vectors(f.pods[p].features, f.pods[p].available);
    }
    char *s = telem_frame_json(&f);
    REQUIRE(s != NULL);
    telem_frame g;
    REQUIRE(telem_frame_parse(&g, s, strlen(s)) == 0);
    check_same(&f, &g);
    telem_frame_free(&g);
    free(s);
    telem_frame_free(&f);
    return 0;
}

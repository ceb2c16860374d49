/* fuzz_proto.c: libFuzzer target for the env server's request parser (transport/proto.c), built
 * with clang by tests/cli_fuzz_proto.sh. Input layout: byte 0 picks the frame count
 * (1 + byte % 3); the header frame runs from byte 1 to the first NUL (or the end); the bytes
 * after that NUL are split evenly over the remaining frames. Besides the sanitizers, it checks
 * the parser's promises: a known code, a message for every error, decoded actions in range, and
 * reply headers that are valid JSON echoing the code. Seed corpus: tests/fuzz/proto_corpus. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "transport/proto.h"

#define FUZZ_NAME "fuzz_proto"
#include "tests/fuzz_frames.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    proto_frame f[3];
    int n = fuzz_frames_split(data, size, 3, f);
    const proto_limits lim = {2, 16};
    proto_request req;
    int32_t actions[4];
    char msg[512];
    proto_code code = proto_parse(f, n, &lim, &req, actions, msg, sizeof msg);
    REQUIRE(proto_code_name(code) != NULL);
    REQUIRE(code == PROTO_OK || msg[0] != 0);
    if (code == PROTO_OK) {
        REQUIRE(req.n == (req.env < 0 ? lim.envs : 1));
        REQUIRE(req.env < lim.envs);
        if (req.cmd == PROTO_STEP)
            for (int i = 0; i < req.n; i++)
                REQUIRE(actions[2 * i] >= 0 && actions[2 * i] < lim.n_max &&
                        actions[2 * i + 1] >= 0 && actions[2 * i + 1] <= 2);
        if (req.cmd == PROTO_RESET) REQUIRE(req.env_offset + (uint64_t)lim.envs <= req.total_envs);
    }
    char buf[1024];
    int len = code ? proto_error_header(buf, sizeof buf, &req, code, msg)
                   : proto_ok_header(buf, sizeof buf, &req, NULL);
    REQUIRE(len > 0 && (size_t)len == strlen(buf));
    cJSON *h = cJSON_Parse(buf);
    REQUIRE(h != NULL);
    if (code) {
        const cJSON *c = cJSON_GetObjectItem(cJSON_GetObjectItem(h, "error"), "code");
        REQUIRE(cJSON_IsString(c) && !strcmp(c->valuestring, proto_code_name(code)));
    }
    cJSON_Delete(h);
    return 0;
}

#!/usr/bin/env bash
# cli_fuzz_proto.sh: fuzzes the env server's request parser (tests/fuzz_proto.c, transport/proto.c) for a
# bounded time from tests/fuzz/proto_corpus; see tests/fuzz_run.sh.
exec bash "${KISIM_SOURCE_DIR:-.}/tests/fuzz_run.sh" fuzz_proto 4096 transport/proto.c common/json_strict.c

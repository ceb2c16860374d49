#!/usr/bin/env bash
# cli_fuzz_extender.sh: fuzzes the extender's ExtenderArgs parser (tests/fuzz_extender.c: JSON,
# pod context, Kubernetes quantities, and the answers written from a parsed request) for a
# bounded time from tests/fuzz/extender_corpus; see tests/fuzz_run.sh.
exec bash "${KISIM_SOURCE_DIR:-.}/tests/fuzz_run.sh" fuzz_extender 16384 \
    scheduler/extender_json.c podspec/pod.c podspec/quantity.c \
    common/err.c common/features.c common/json_str.c common/json_strict.c spaces/spaces.c

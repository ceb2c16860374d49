#!/usr/bin/env bash
# cli_fuzz_json.sh: fuzzes the strict JSON reader every wire and file format goes through
# (tests/fuzz_json.c, common/json_strict.c) for a bounded time from tests/fuzz/json_corpus; see
# tests/fuzz_run.sh.
exec bash "${KISIM_SOURCE_DIR:-.}/tests/fuzz_run.sh" fuzz_json 65536 common/json_strict.c

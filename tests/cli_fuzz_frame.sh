#!/usr/bin/env bash
# cli_fuzz_frame.sh: fuzzes the telemetry frame parser (tests/fuzz_frame.c, telemetry/frame.c)
# every collector's frame goes through, for a bounded time from tests/fuzz/frame_corpus; see
# tests/fuzz_run.sh.
exec bash "${KISIM_SOURCE_DIR:-.}/tests/fuzz_run.sh" fuzz_frame 16384 telemetry/frame.c \
    common/json_strict.c common/features.c common/err.c

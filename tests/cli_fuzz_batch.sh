#!/usr/bin/env bash
# cli_fuzz_batch.sh: fuzzes the BatchScore request parser (tests/fuzz_batch.c, scheduler/batch.c)
# for a bounded time from tests/fuzz/batch_corpus; see tests/fuzz_run.sh.
exec bash "${KISIM_SOURCE_DIR:-.}/tests/fuzz_run.sh" fuzz_batch 8192 scheduler/batch.c transport/proto.c common/json_strict.c \
    scheduler/score_names.c telemetry/frame.c common/features.c common/err.c

#!/usr/bin/env bash
# run.sh: the README's test command. Builds KISim and runs the `unit` and `integration` tests
# (the `experiment` label is long and runs on demand: ctest -L experiment). With --sanitize it
# builds into build-san with ASan+UBSan and runs the same labels there. Then tests/check_skips.sh
# prints how many tests skipped and why, and fails on a skip without a listed reason; with --ci
# (.ci/run) also on any reason the CI machine must not have (tests/skip_reasons.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=build
flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DKISIM_SANITIZE=OFF)
ci=()
for arg in "$@"; do
    case $arg in
    --sanitize)
        dir=build-san
        flags=(-DCMAKE_BUILD_TYPE=Debug -DKISIM_SANITIZE=ON)
        ;;
    --ci) ci=(--ci) ;;
    *)
        echo "usage: tests/run.sh [--sanitize] [--ci]" >&2
        exit 2
        ;;
    esac
done
# CI sets KISIM_REQUIRE_ALL=ON: a missing package then fails here instead of turning a component off.
cmake -S . -B "$dir" "${flags[@]}" -DKISIM_REQUIRE_ALL="${KISIM_REQUIRE_ALL:-OFF}" >/dev/null
cmake --build "$dir" -j"$(nproc)"
cd "$dir"
rc=0
# Whole output of passed tests in the JUnit file, so check_skips.sh sees a SKIP line anywhere.
ctest -L 'unit|integration' --output-on-failure -j"$(nproc)" --output-junit "$PWD/ctest-junit.xml" \
    --test-output-size-passed 1048576 || rc=$?
bash ../tests/check_skips.sh "${ci[@]}" ctest-junit.xml || rc=1
exit $rc

#!/usr/bin/env bash
# run.sh: the README's test command. Builds KISim and runs the `unit` and `integration` tests
# (the `experiment` label is long and runs on demand: ctest -L experiment). With --sanitize it
# builds into build-san with ASan+UBSan and runs the same labels there. Then tests/check_skips.sh
# prints how many tests skipped and why, and fails on a skip without a listed reason; with --ci
# (.ci/run) also on any reason the CI machine must not have (tests/skip_reasons.txt).
# With --tsan it builds into build-tsan with clang and ThreadSanitizer and runs the `threads`
# label there (the multi-threaded tests and the tsan_race live-check; tests/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=build
flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DKISIM_SANITIZE=OFF)
ci=()
labels='unit|integration'
for arg in "$@"; do
    case $arg in
    --sanitize)
        dir=build-san
        flags=(-DCMAKE_BUILD_TYPE=Debug -DKISIM_SANITIZE=ON)
        ;;
    --tsan)
        dir=build-tsan
        flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DKISIM_SANITIZE=OFF -DKISIM_TSAN=ON
            -DCMAKE_C_COMPILER=clang)
        labels='threads'
        # The first report fails the test (exit code 66); suppressions cover only the
        # uninstrumented libraries (OpenBLAS, libzmq, libmicrohttpd).
        export TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1 suppressions=$PWD/tests/tsan.supp"
        ;;
    --ci) ci=(--ci) ;;
    *)
        echo "usage: tests/run.sh [--sanitize | --tsan] [--ci]" >&2
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
ctest -L "$labels" --output-on-failure -j"$(nproc)" --output-junit "$PWD/ctest-junit.xml" \
    --test-output-size-passed 1048576 || rc=$?
bash ../tests/check_skips.sh "${ci[@]}" ctest-junit.xml || rc=1
exit $rc

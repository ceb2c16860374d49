#!/usr/bin/env bash
# run.sh: the README's test command. Builds KISim and runs the `unit` and `integration` tests
# (the `experiment` label is long and runs on demand: ctest -L experiment). With --sanitize it
# builds into build-san with ASan+UBSan and runs the same labels there.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=build
flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DKISIM_SANITIZE=OFF)
if [ "${1:-}" = "--sanitize" ]; then
    dir=build-san
    flags=(-DCMAKE_BUILD_TYPE=Debug -DKISIM_SANITIZE=ON)
fi
# CI sets KISIM_REQUIRE_ALL=ON: a missing package then fails here instead of turning a component off.
cmake -S . -B "$dir" "${flags[@]}" -DKISIM_REQUIRE_ALL="${KISIM_REQUIRE_ALL:-OFF}" >/dev/null
cmake --build "$dir" -j"$(nproc)"
cd "$dir"
ctest -L 'unit|integration' --output-on-failure -j"$(nproc)"

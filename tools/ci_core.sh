#!/usr/bin/env bash
# ci_core.sh: the core alone (docs/ARCHITECTURE.md, "Optional components"): configures build-core
# with every optional component off, builds it, checks with ldd that the kisim binary links none
# of the optional libraries, and runs the unit and integration tests there (the tests of the
# components left out are reported by CTest as disabled).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build-core -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKISIM_REQUIRE_ALL=OFF \
    -DKISIM_WITH_BPF=OFF -DKISIM_WITH_XGBOOST=OFF -DKISIM_WITH_HTTP=OFF -DKISIM_WITH_LOCUST=OFF >/dev/null
cmake --build build-core -j"$(nproc)"
linked=$(ldd build-core/kisim)
bad=0
for lib in libbpf libxgboost libmicrohttpd libcurl; do
    if grep -q "$lib" <<<"$linked"; then
        echo "ci_core: build-core/kisim links $lib, an optional library" >&2
        bad=1
    fi
done
[ "$bad" = 0 ] || exit 1
echo "ci_core: build-core/kisim links none of libbpf, libxgboost, libmicrohttpd, libcurl"
cd build-core
ctest -L 'unit|integration' --output-on-failure -j"$(nproc)"

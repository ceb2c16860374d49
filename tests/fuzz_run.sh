#!/usr/bin/env bash
# fuzz_run.sh NAME MAX_LEN SOURCE...: the body of every cli_fuzz_*.sh test. Builds the libFuzzer
# target tests/NAME.c with the library SOURCEs (paths under the source tree) using clang with
# libFuzzer + ASan + UBSan, then fuzzes it for a bounded time (FUZZ_SECONDS, default 20) from the
# committed seed corpus tests/fuzz/<NAME without fuzz_>_corpus (copied, so the run never writes
# into the source tree), inputs up to MAX_LEN bytes. Any crash, sanitizer report or broken promise
# fails the test and leaves the input in the log.
set -u
NAME=$1
MAX_LEN=$2
shift 2
SRC=${KISIM_SOURCE_DIR:-.}
SECONDS_BUDGET=${FUZZ_SECONDS:-20}
CC_FUZZ=${CLANG:-clang}
CORPUS="$SRC/tests/fuzz/${NAME#fuzz_}_corpus"
tmp=$(mktemp -d "/tmp/kisim-$NAME.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
command -v "$CC_FUZZ" >/dev/null || { echo "FAIL: $CC_FUZZ not found (experiments/install_deps.sh installs clang and libclang-rt-14-dev)"; exit 1; }
srcs=()
for s in "$@"; do srcs+=("$SRC/$s"); done
# shellcheck disable=SC2046
"$CC_FUZZ" -std=c11 -g -O1 -Wall -Wextra -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
    -fno-sanitize-recover=undefined -I"$SRC" "$SRC/tests/$NAME.c" "${srcs[@]}" \
    $(pkg-config --cflags --libs libcjson) -lm -o "$tmp/$NAME" 2>"$tmp/cc.log" \
    || { cat "$tmp/cc.log"; echo "FAIL: could not build the fuzz target"; exit 1; }
mkdir "$tmp/corpus"
cp "$CORPUS"/* "$tmp/corpus/"
n_seed=$(ls "$tmp/corpus" | wc -l)
"$tmp/$NAME" -max_total_time="$SECONDS_BUDGET" -timeout=10 -rss_limit_mb=2048 \
    -max_len="$MAX_LEN" -print_final_stats=1 -artifact_prefix="$tmp/" "$tmp/corpus" >"$tmp/fuzz.log" 2>&1
rc=$?
tail -n 15 "$tmp/fuzz.log"
if [ $rc -ne 0 ] || ls "$tmp"/crash-* "$tmp"/leak-* "$tmp"/timeout-* >/dev/null 2>&1; then
    grep -E "ERROR|SUMMARY|broken promise|runtime error" "$tmp/fuzz.log" | head -20
    for f in "$tmp"/crash-* "$tmp"/leak-* "$tmp"/timeout-*; do
        [ -e "$f" ] && { echo "input $f:"; od -c "$f" | head -20; }
    done
    echo "FAIL: the fuzzer found a problem (exit $rc)"
    exit 1
fi
runs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$tmp/fuzz.log" | awk '{print $2}')
echo "$NAME: ${runs:-?} inputs in ${SECONDS_BUDGET} s from $n_seed seeds, corpus now $(ls "$tmp/corpus" | wc -l)"
[ "${runs:-0}" -gt 1000 ] || { echo "FAIL: too few inputs ran"; exit 1; }

#!/usr/bin/env bash
# cli_bench_names.sh: the benchmark verbs' names (docs/ARCHITECTURE.md, "Names"): `bench attention`
# and `bench service` exist; the old spellings `bench scorer` and `bench score` are refused with
# exit 2 and a message naming the new verb. CTest sets KISIM.
set -u
KISIM=${KISIM:?set KISIM to the kisim binary}
failures=0

expect_renamed() { # old new
    local err rc
    err=$("$KISIM" bench "$1" 2>&1 >/dev/null)
    rc=$?
    [ "$rc" = 2 ] || { echo "FAIL: bench $1 exited $rc, want 2"; failures=$((failures + 1)); }
    grep -qF "kisim bench $2" <<<"$err" || { echo "FAIL: bench $1 said '$err', not naming bench $2"; failures=$((failures + 1)); }
}
expect_renamed scorer attention
expect_renamed score service

help=$("$KISIM" bench --help)
for verb in env ppo zmq attention collect extender service; do
    grep -qE "^  $verb " <<<"$help" || { echo "FAIL: bench --help lacks $verb"; failures=$((failures + 1)); }
done
for old in scorer score; do
    ! grep -qE "^  $old " <<<"$help" || { echo "FAIL: bench --help still lists $old"; failures=$((failures + 1)); }
done
"$KISIM" bench attention --help >/dev/null || { echo "FAIL: bench attention --help"; failures=$((failures + 1)); }
"$KISIM" bench service --help >/dev/null || { echo "FAIL: bench service --help"; failures=$((failures + 1)); }
[ "$failures" = 0 ] && echo "cli_bench_names: ok"
exit $((failures > 0))

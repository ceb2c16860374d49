#!/usr/bin/env bash
# cli_telemetry_loop.sh: `kisim telemetry replay --loop K` keeps the recording's rate across
# passes. A recording of two frames 1 s apart, replayed twice at its recorded spacing, sends at
# 0, 1, 2 and 3 s: it cannot take less than 3 s (a replay that sends a pass's first frame right
# after the previous pass's last takes 2 s). The bound is a lower one: a busy machine only adds.
set -u
source "$(dirname "$0")/lib.sh"

feats=$(printf 'null,%.0s' $(seq 14))null
zeros=$(printf '0,%.0s' $(seq 14))0
for ts in 1700000000000 1700000001000; do
    printf '{"v":1,"node":"n1","ts_ms":%s,"features":[%s],"available":[%s]}\n' "$ts" "$feats" "$zeros"
done >"$tmp/two.jsonl"

t0=$(date +%s.%N)
run 0 telemetry replay "$tmp/two.jsonl" --publish "ipc://$tmp/pub.sock" --loop 2 --wait-ms 0
t1=$(date +%s.%N)
checks=$((checks + 1))
awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a >= 2.9 && b - a < 30) }' ||
    fail "two passes of two frames 1 s apart took $(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }') s, want 3 s"
finish

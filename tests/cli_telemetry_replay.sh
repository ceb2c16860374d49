#!/usr/bin/env bash
# cli_telemetry_replay.sh: `kisim telemetry replay` stamps each frame with the time it sends it
# (a recording of 2023 would be refused as stale by any scorer), --keep-time sends the recorded
# ts_ms byte for byte; a missing recording or key file is a usage error naming the path; the
# CURVE flags go in pairs.
set -u
source "$(dirname "$0")/lib.sh"

feats=$(printf 'null,%.0s' $(seq 14))null
zeros=$(printf '0,%.0s' $(seq 14))0
for n in 1 2; do
    printf '{"v":1,"node":"n%s","ts_ms":1700000000000,"features":[%s],"available":[%s]}\n' "$n" "$feats" "$zeros"
done >"$tmp/old.jsonl"

record() { # record OUT REPLAY-FLAGS...: replays old.jsonl into a recorder
    local out=$1
    shift
    "$KISIM" telemetry record --bind "ipc://$tmp/rec.sock" --out "$out" --frames 2 --seconds 20 2>"$tmp/rec.err" &
    local rec=$!
    sleep 0.3
    run 0 telemetry replay "$tmp/old.jsonl" --connect "ipc://$tmp/rec.sock" --rate 100 --wait-ms 300 "$@"
    wait "$rec" || fail "telemetry record failed: $(cat "$tmp/rec.err")"
}

before=$(date +%s%3N)
record "$tmp/now.jsonl"
after=$(date +%s%3N)
checks=$((checks + 1))
$PY - "$tmp/now.jsonl" "$before" "$after" <<'PYEOF' || fail "re-stamped: $(cat "$tmp/now.jsonl")"
import json, sys
lo, hi = int(sys.argv[2]), int(sys.argv[3])
frames = [json.loads(l) for l in open(sys.argv[1])]
assert [f["node"] for f in frames] == ["n1", "n2"], frames
assert all(lo <= f["ts_ms"] <= hi for f in frames), (lo, hi, frames)
PYEOF
record "$tmp/kept.jsonl" --keep-time
same "$tmp/old.jsonl" "$tmp/kept.jsonl"

run 2 telemetry replay "$tmp/missing.jsonl" --publish "ipc://$tmp/p.sock"
contains err "$tmp/missing.jsonl"
run 2 telemetry replay "$tmp/old.jsonl" --publish "ipc://$tmp/p.sock" --curve-secret "$tmp/a.key"
contains err "--curve-secret and --curve-server go together"
run 2 telemetry replay "$tmp/old.jsonl" --publish "ipc://$tmp/p.sock" --curve-secret "$tmp/a.key" --curve-server "$tmp/s.pub"
contains err "$tmp/a.key"
run 2 score serve --zmq "ipc://$tmp/z.sock" --telemetry "ipc://$tmp/t.sock" --telemetry-collectors "$tmp/c.txt"
contains err "--telemetry-curve-secret and --telemetry-collectors go together"
run 0 telemetry --help
contains out "--keep-time"
finish

#!/usr/bin/env bash
# cli_train_remote.sh: training against env servers (train.remote). Two `kisim env serve`
# processes with 2 envs each, stepped as one vector env of 4 by the learner, must train exactly
# like 4 in-process envs: the same best.safetensors, byte for byte (the client seeds the servers'
# envs as slices of one vector env). Resuming such a run is refused with a reason. Servers are
# stopped by pid. CTest sets KISIM.
set -u
KISIM=${KISIM:?set KISIM to the kisim binary}
tmp=$(mktemp -d /tmp/kisim-train-remote.XXXXXX)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
    rm -rf "$tmp"
}
trap cleanup EXIT
failures=0
checks=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

cat >"$tmp/tiny.json" <<'JSON'
{"env": {"horizon_s": 120, "max_nodes": 8}, "cluster": {"nodes": 6},
 "train": {"num_envs": 4, "num_steps": 32, "total_steps": 768, "minibatches": 2, "epochs": 2,
           "hidden": 16, "eval_every": 3, "checkpoint_every": 3, "eval_episodes": 2}}
JSON

eps=()
for i in 1 2; do
    "$KISIM" env serve --config "$tmp/tiny.json" --bind "ipc://$tmp/env$i.sock" --envs 2 \
        >"$tmp/s$i.out" 2>"$tmp/s$i.err" &
    pid=$!
    pids+=("$pid")
    for _ in $(seq 100); do grep -q '^endpoint ' "$tmp/s$i.out" 2>/dev/null && break; sleep 0.1; done
    checks=$((checks + 1))
    grep -q '^endpoint ' "$tmp/s$i.out" || fail "server $i did not start: $(cat "$tmp/s$i.err")"
    eps+=("\"ipc://$tmp/env$i.sock\"")
done
sed "s|\"hidden\": 16,|\"hidden\": 16, \"remote\": [${eps[0]}, ${eps[1]}],|" "$tmp/tiny.json" >"$tmp/remote.json"

checks=$((checks + 1))
timeout 300 "$KISIM" train --config "$tmp/tiny.json" --out "$tmp/local" --quiet 2>"$tmp/err" ||
    fail "in-process training failed: $(cat "$tmp/err")"
checks=$((checks + 1))
timeout 300 "$KISIM" train --config "$tmp/remote.json" --out "$tmp/remote" --quiet 2>"$tmp/err" ||
    fail "training against servers failed: $(cat "$tmp/err")"
checks=$((checks + 1))
cmp -s "$tmp/local/best.safetensors" "$tmp/remote/best.safetensors" ||
    fail "servers and in-process envs trained different policies"
checks=$((checks + 1))
[ "$(wc -l <"$tmp/remote/metrics.jsonl")" = 6 ] || fail "remote metrics.jsonl should have 6 updates"

checks=$((checks + 1))
timeout 60 "$KISIM" train --resume "$tmp/remote" --quiet 2>"$tmp/err"
rc=$?
[ "$rc" = 1 ] && grep -q "cannot resume a run against env servers" "$tmp/err" ||
    fail "resume against servers: exit $rc, $(cat "$tmp/err")"

echo "$checks checks, $failures failed"
[ "$failures" = 0 ]

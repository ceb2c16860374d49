#!/usr/bin/env bash
# cli_train.sh: `kisim train`, `kisim policy inspect` and `kisim eval --policy` as a user runs
# them, on a tiny cluster scenario: the output files; the same seed gives the same checkpoint
# bytes; --stop-after-updates then --resume gives the bytes of an uninterrupted run; SIGINT
# saves and exits cleanly; checkpoints read back with numpy alone (policy/read_checkpoint.py);
# usage errors exit 2. CTest sets KISIM and KISIM_SOURCE_DIR.
set -u
source "$(dirname "$0")/lib.sh"

cat >"$tmp/tiny.json" <<'JSON'
{"env": {"horizon_s": 120, "max_nodes": 8}, "cluster": {"nodes": 6},
 "train": {"num_envs": 4, "num_steps": 32, "total_steps": 1024, "minibatches": 2, "epochs": 2,
           "hidden": 16, "eval_every": 2, "checkpoint_every": 2, "eval_episodes": 2}}
JSON

run 0 train --config "$tmp/tiny.json" --out "$tmp/a" --quiet
for f in config.json metrics.jsonl episodes.csv last.safetensors best.safetensors; do
    checks=$((checks + 1))
    [ -s "$tmp/a/$f" ] || fail "train did not write $f"
done
checks=$((checks + 1))
[ "$(wc -l <"$tmp/a/metrics.jsonl")" = 8 ] || fail "metrics.jsonl has $(wc -l <"$tmp/a/metrics.jsonl") lines, want 8 updates"
checks=$((checks + 1))
$PY - "$tmp/a" <<'PYEOF' || fail "metrics.jsonl / episodes.csv content"
import csv, json, sys
d = sys.argv[1]
rows = [json.loads(l) for l in open(f"{d}/metrics.jsonl")]
assert [r["update"] for r in rows] == list(range(1, 9))
assert rows[-1]["global_step"] == 1024
for k in ("pg_loss", "v_loss", "entropy", "approx_kl", "clipfrac", "explained_variance", "lr"):
    assert k in rows[0], k
eps = list(csv.DictReader(open(f"{d}/episodes.csv")))
assert eps and {"return", "p99_ms", "contended_share", "cost"} <= set(eps[0])
assert sum(r["episodes"] for r in rows) == len(eps)
assert json.load(open(f"{d}/config.json"))["train"]["num_envs"] == 4
PYEOF

# Same config and seed: the same bytes.
run 0 train --config "$tmp/tiny.json" --out "$tmp/b" --quiet
same "$tmp/a/last.safetensors" "$tmp/b/last.safetensors"
same "$tmp/a/best.safetensors" "$tmp/b/best.safetensors"
run 0 train --config "$tmp/tiny.json" --out "$tmp/c" --seed 9 --quiet
checks=$((checks + 1))
cmp -s "$tmp/a/last.safetensors" "$tmp/c/last.safetensors" && fail "another seed gave the same checkpoint"

# Stopped after 3 updates, then resumed: the bytes of the uninterrupted run.
run 0 train --config "$tmp/tiny.json" --out "$tmp/r" --stop-after-updates 3 --quiet
contains err "saved $tmp/r/last.safetensors at update 3 of 8"
run 0 train --resume "$tmp/r" --quiet
same "$tmp/a/last.safetensors" "$tmp/r/last.safetensors"
same "$tmp/a/best.safetensors" "$tmp/r/best.safetensors"
checks=$((checks + 1))
[ "$(wc -l <"$tmp/r/metrics.jsonl")" = 8 ] || fail "resumed metrics.jsonl should continue to 8 lines"

# SIGINT: saves and exits 0.
sed 's/"total_steps": 1024/"total_steps": 10000000/' "$tmp/tiny.json" >"$tmp/long.json"
"$KISIM" train --config "$tmp/long.json" --out "$tmp/s" --quiet 2>"$tmp/sigerr" &
pid=$!
for _ in $(seq 1 100); do [ -s "$tmp/s/metrics.jsonl" ] && break; sleep 0.1; done
kill -INT "$pid"
wait "$pid"
rc=$?
checks=$((checks + 1))
[ "$rc" = 0 ] || fail "SIGINT: exit code $rc, want 0 ($(cat "$tmp/sigerr"))"
checks=$((checks + 1))
grep -q "stopped; saved" "$tmp/sigerr" || fail "SIGINT: no saved message: $(cat "$tmp/sigerr")"
run 0 policy inspect "$tmp/s/last.safetensors"

# Inspect, and numpy alone reads the same file.
run 0 policy inspect "$tmp/a/best.safetensors"
contains out "model_kind:  ppo-cluster"
contains out "(verified)"
contains out "actor.encoder.weight"
checks=$((checks + 1))
$PY "$SRC/policy/read_checkpoint.py" "$tmp/a/best.safetensors" >"$tmp/summary.json" || fail "read_checkpoint.py"
checks=$((checks + 1))
$PY - "$tmp/summary.json" <<'PYEOF' || fail "read_checkpoint.py summary"
import json, sys
s = json.load(open(sys.argv[1]))
m = s["metadata"]
assert set(m) == {"kisim_format", "model_kind", "features", "hyperparameters", "feature_stats", "crc32"}
assert m["model_kind"] == "ppo-cluster" and json.loads(m["features"])[0] == "cpu_utilization"
assert json.loads(m["hyperparameters"])["hidden"] == 16
assert "cpu_utilization" in json.loads(m["feature_stats"])
assert s["tensors"]["actor.encoder.weight"]["shape"] == [16, 45]
assert s["tensors"]["obs_norm.mean"]["dtype"] == "float64"
PYEOF

# The policy in the evaluation table.
run 0 eval --config "$tmp/tiny.json" --policy "$tmp/a/best.safetensors" --episodes 2 --quiet
contains out "policy"
run 0 eval --config "$tmp/tiny.json" --scorer k8s-default,policy --model "$tmp/a/best.safetensors" --episodes 2 --json --quiet
checks=$((checks + 1))
$PY -c 'import json,sys; d=json.load(sys.stdin); assert [x["scorer"] for x in d] == ["k8s-default","policy"]' <"$tmp/out" || fail "eval with policy"

# Mistakes.
run 2 train --out "$tmp/x"; contains err "--config FILE is required"
run 2 train --config "$tmp/tiny.json" --total-steps many
run 2 train --resume "$tmp/nothing-here"; contains err "nothing-here/config.json"
run 2 eval --config "$tmp/tiny.json" --scorer policy; contains err "needs --model FILE"
head -c 100 "$tmp/a/best.safetensors" >"$tmp/cut.safetensors"
run 2 policy inspect "$tmp/cut.safetensors"; contains err "truncated"
run 2 eval --config "$tmp/tiny.json" --policy "$tmp/cut.safetensors" --episodes 1 --quiet; contains err "truncated"
run 2 policy; contains err "usage: kisim policy inspect FILE"

finish

#!/usr/bin/env bash
# cli_eval.sh: the kisim CLI as a user runs it: top-level --help/--version/unknown verbs, `eval`
# (table, --json with the result names other parts rely on, --out written atomically, usage
# errors with exit code 2) and `bench env --json`. CTest sets KISIM and KISIM_SOURCE_DIR.
set -u
source "$(dirname "$0")/lib.sh"

QS="$SRC/configs/quickstart.json"

run 0 --help; contains out "verbs:"; contains out "eval"
run 0 --version; contains out "kisim 0."
run 2; contains err "usage: kisim"
run 2 frobnicate; contains err 'unknown verb "frobnicate"'
run 0 eval --help; contains out "--scorer"

run 0 eval --config "$QS" --episodes 3 --quiet
for s in random round-robin k8s-default most-allocated load-aware oracle; do contains out "$s"; done
contains out "95% confidence interval over 3 episodes (seeds 1000000..1000002)"

run 0 eval --config "$QS" --scorer k8s-default --episodes 4 --seed 7 --json --quiet --out "$tmp/r.json"
cp "$tmp/out" "$tmp/stdout.json"
checks=$((checks + 1))
$PY - "$tmp/stdout.json" "$tmp/r.json" <<'PYEOF' || fail "eval --json schema"
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc == json.load(open(sys.argv[2])), "--out differs from stdout"
assert doc["scorer"] == "k8s-default" and doc["episodes"] == 4 and doc["seed"] == 7
prov = doc["provenance"]
for k in ("kisim_version", "git_commit", "config_hash", "machine"):
    assert k in prov, k
assert prov["machine"]["cores"] >= 1 and prov["machine"]["cpu_model"]
assert len(prov["config_hash"]) == 16
for k in ("p50_ms", "p95_ms", "p99_ms", "error_rate", "throughput_rps", "cost",
          "contended_share", "reward"):
    a = doc["aggregate"][k]
    assert a["ci95"][0] <= a["mean"] <= a["ci95"][1], (k, a)
eps = doc["per_episode"]
assert [e["seed"] for e in eps] == [7, 8, 9, 10]
mean = sum(e["p99_ms"] for e in eps) / 4
assert abs(mean - doc["aggregate"]["p99_ms"]["mean"]) < 1e-9 * max(1, mean)
assert all(0 <= e["contended_share"] <= 1 for e in eps)
PYEOF
[ -z "$(ls "$tmp" | grep '\.tmp\.')" ] || fail "a temporary file was left behind"

run 0 eval --config "$QS" --scorer oracle,random --episodes 2 --json --quiet
checks=$((checks + 1))
$PY -c 'import json,sys; d=json.load(sys.stdin); assert [x["scorer"] for x in d]==["oracle","random"]' \
    <"$tmp/out" || fail "eval with two scorers prints an array"

run 0 eval --config "$QS" --scorer oracle --episodes 2 --quiet --json --trace "$tmp/trace.csv"
cp "$tmp/out" "$tmp/traced.json"
checks=$((checks + 1))
$PY - "$tmp/trace.csv" "$tmp/traced.json" <<'PYEOF' || fail "eval --trace"
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1])))
doc = json.load(open(sys.argv[2]))
assert list(rows[0])[:5] == ["scorer", "seed", "step", "node", "scale"], list(rows[0])[:6]
assert {r["seed"] for r in rows} == {"1000000", "1000001"}
assert len(rows) == sum(e["decisions"] for e in doc["per_episode"])
last = [r for r in rows if r["ep_done"] == "1"]
assert len(last) == 2
for r, e in zip(last, doc["per_episode"]):
    assert abs(float(r["ep_p99_ms"]) - e["p99_ms"]) <= 1e-6 * e["p99_ms"], (r["ep_p99_ms"], e)
for r in rows:
    terms = sum(float(r[k]) for k in ("r_latency", "r_errors", "r_throughput", "r_cost",
                                      "r_contention", "r_invalid"))
    assert abs(terms - float(r["reward"])) < 1e-4, r
PYEOF
[ -z "$(ls "$tmp" | grep '\.tmp\.')" ] || fail "a temporary trace file was left behind"

run 2 eval --config "$QS" --episodes ten; contains err 'eval: --episodes: expected an integer in [1, 1000000], got "ten"'
run 2 eval --config "$QS" --scorer nope --quiet; contains err 'unknown scorer "nope"'
run 2 eval --episodes 3; contains err "--config FILE is required"
run 2 eval --config "$tmp/missing.json"; contains err "cannot read"
run 2 eval --config "$QS" --bogus
run 1 eval --config "$QS" --episodes 1 --quiet --out "$tmp/no/such/dir/r.json"; contains err "cannot write"

run 0 bench env --json --runs 1 --seconds 0.05 --nodes 16,32
checks=$((checks + 1))
$PY -c '
import json, sys
d = json.load(sys.stdin)
assert [x["nodes"] for x in d] == [16, 32], d
assert all(x["decisions_per_s"] > 0 for x in d), d' <"$tmp/out" || fail "bench env --json"
run 2 bench env --nodes 0
run 2 bench; contains err "usage: kisim bench WHAT"
run 2 bench frobnicate; contains err "unknown benchmark"

run 0 env spaces --config "$QS"
checks=$((checks + 1))
cp "$tmp/out" "$tmp/spaces.json"
$PY - "$tmp/spaces.json" <<'PYEOF' || fail "env spaces"
import json, sys
d = json.load(open(sys.argv[1]))
# The feature order of docs/ARCHITECTURE.md ("Spaces and features"), written out here
# independently of common/features.h.
want = ["cpu_utilization", "cpu_throttle_rate", "memory_utilization", "memory_bandwidth_gbps",
        "l3_cache_miss_rate", "l3_cache_occupancy_mb", "disk_io_wait_ms", "disk_iops",
        "network_rx_packets_sec", "network_tx_packets_sec", "network_drop_rate",
        "cpu_requested_ratio", "memory_requested_ratio", "pods_ratio", "gpu_utilization"]
assert [f["name"] for f in d["features"]] == want
assert [f["source"] for f in d["features"]] == ["node"] * 11 + ["orchestrator"] * 4
parts = {p["name"]: p for p in d["observation"]["parts"]}
assert parts["nodes"]["shape"] == [16, 10, 15] and parts["pod"]["shape"] == [11]
size = lambda p: __import__("math").prod(p["shape"])
offset = 0
for name in ("nodes", "pod", "service", "node_mask", "availability"):
    assert parts[name]["offset"] == offset, name
    offset += size(parts[name])
assert offset == d["observation"]["dim"]
assert d["action"]["nvec"] == [16, 3] and d["action_mask"]["shape"] == [19]
assert len(d["pod_context"]) == 11 and "ep_p99_ms" in d["info"]["names"]
PYEOF
run 2 env spaces; contains err "usage: kisim env spaces"

finish

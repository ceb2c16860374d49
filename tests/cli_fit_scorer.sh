#!/usr/bin/env bash
# cli_fit_scorer.sh: `kisim dataset`, `kisim fit-scorer --model attention` and `kisim eval
# --scorer attention|mlp|xgboost --model FILE` as a user runs them, on the quickstart scenario: the event
# schema (agent/DATASET.md), labels consistent with the oracle's choice, per-epoch validation
# lines, an attention-scorer checkpoint, and on held-out seeds a contended share below
# k8s-default's with non-overlapping 95% intervals; bad inputs exit 2 naming the problem.
# CTest sets KISIM and KISIM_SOURCE_DIR.
set -u
source "$(dirname "$0")/lib.sh"
cfg="$SRC/configs/quickstart.json"

run 0 dataset --config "$cfg" --scorer k8s-default --events 1200 --out "$tmp/ds.jsonl" --quiet
checks=$((checks + 1))
$PY - "$tmp/ds.jsonl" <<'PYEOF' || fail "dataset content"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
assert len(ev) == 1200, len(ev)
e = ev[0]
for k in ("episode", "seed", "step", "n", "T", "nodes", "availability", "pod", "node_mask",
          "chosen", "oracle", "outcome", "labels"):
    assert k in e, k
n, T = e["n"], e["T"]
assert len(e["nodes"]) == n * T * 15 and len(e["pod"]) == 11 and len(e["availability"]) == 15
assert len({x["episode"] for x in ev}) >= 5
for x in ev:
    lab, m = x["labels"], x["node_mask"]
    assert m[x["chosen"]] == 1 and m[x["oracle"]] == 1
    for i in range(n):
        # latency label = inflation within the SLO bound; absent slots are 0
        assert lab["latency"][i] == (1 if 0 < lab["inflation"][i] <= 1.25 else 0)
        assert lab["contention"][i] in (0, 1)
# for service replicas (pod context is_replica), the oracle (hidden state) picks nodes the
# labels call contention-free and within the SLO far more often than k8s-default does
rep = [x for x in ev if x["pod"][10] > 0.5]
assert len(rep) > 50, len(rep)
for lab in ("contention", "latency"):
    share = lambda k: sum(x["labels"][lab][x[k]] for x in rep) / len(rep)
    assert share("oracle") > 0.95 and share("oracle") > share("chosen") + 0.2, lab
PYEOF

run 0 fit-scorer --model attention --data "$tmp/ds.jsonl" --epochs 4 --d-model 32 \
    --out "$tmp/att.safetensors"
contains err "val AUC"
contains err "top-1 vs oracle"
checks=$((checks + 1))
$PY - "$tmp/att.safetensors" <<'PYEOF' || fail "checkpoint header"
import json, struct, sys
b = open(sys.argv[1], "rb").read()
(n,) = struct.unpack("<Q", b[:8])
h = json.loads(b[8:8 + n])
md = h["__metadata__"]
assert md["model_kind"] == "attention-scorer"
hp = json.loads(md["hyperparameters"])
assert hp["d_model"] == 32 and hp["layers"] == 3 and hp["heads"] == 4
assert hp["train"]["label"] == "contention"
assert "cpu_utilization" in json.loads(md["feature_stats"])["mean"]
assert h["blocks.2.attn.qkv.weight"]["shape"] == [96, 32]
PYEOF

run 0 eval --config "$cfg" --scorer k8s-default,attention --model "$tmp/att.safetensors" \
    --episodes 20 --json --quiet
checks=$((checks + 1))
$PY - "$tmp/out" <<'PYEOF' || fail "attention vs k8s-default: $(cat "$tmp/out" | head -c 400)"
import json, sys
r = {x["scorer"]: x["aggregate"]["contended_share"] for x in json.load(open(sys.argv[1]))}
a, k = r["attention"], r["k8s-default"]
print("attention", a, "k8s-default", k, file=sys.stderr)
assert a["ci95"][1] < k["ci95"][0], (a, k)
assert a["mean"] < k["mean"] - 0.10, (a, k)
PYEOF

# The MLP scorer (26 inputs, each node alone) through the same verbs.
run 0 fit-scorer --model mlp --data "$tmp/ds.jsonl" --epochs 4 --out "$tmp/mlp.safetensors" --quiet
run 0 eval --config "$cfg" --scorer mlp --model "$tmp/mlp.safetensors" --episodes 20 --json --quiet
checks=$((checks + 1))
$PY - "$tmp/out" <<'PYEOF' || fail "mlp: $(head -c 400 "$tmp/out")"
import json, sys
a = json.load(open(sys.argv[1]))["aggregate"]["contended_share"]
assert a["mean"] < 0.25, a
PYEOF
# The XGBoost scorer likewise (--epochs = boosting rounds).
run 0 fit-scorer --model xgboost --data "$tmp/ds.jsonl" --epochs 10 --out "$tmp/xgb.safetensors"
contains err "val AUC"
run 0 eval --config "$cfg" --scorer xgboost --model "$tmp/xgb.safetensors" --episodes 20 --json --quiet
checks=$((checks + 1))
$PY - "$tmp/out" <<'PYEOF' || fail "xgboost: $(head -c 400 "$tmp/out")"
import json, sys
a = json.load(open(sys.argv[1]))["aggregate"]["contended_share"]
assert a["mean"] < 0.25, a
PYEOF
run 2 eval --config "$cfg" --scorer xgboost --model "$tmp/mlp.safetensors" --quiet
contains err "wrong model kind"

# Errors: usage (exit 2), a model that is not implemented, a bad dataset line, a wrong file.
run 2 fit-scorer --model attention --data "$tmp/ds.jsonl" --out "$tmp/x" --label nope
contains err "--label"
run 2 fit-scorer --model perceptron --data "$tmp/ds.jsonl" --out "$tmp/x"
run 2 dataset --config "$cfg" --events 10
head -3 "$tmp/ds.jsonl" >"$tmp/bad.jsonl"
echo '{"n": 3}' >>"$tmp/bad.jsonl"
run 2 fit-scorer --model attention --data "$tmp/bad.jsonl" --out "$tmp/x"
contains err "bad.jsonl:4"
run 2 eval --config "$cfg" --scorer attention --model "$tmp/ds.jsonl" --quiet
run 2 eval --config "$cfg" --scorer attention --quiet
contains err "needs --model"
finish

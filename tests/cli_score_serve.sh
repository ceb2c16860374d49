#!/usr/bin/env bash
# cli_score_serve.sh: `kisim score serve` as an operator runs it, with checkpoints trained here
# (a short `kisim train`, `kisim dataset` + `kisim fit-scorer`): a corrupt policy is rejected at
# start with a clear message and the service answers on the attention scorer; SIGHUP with a good
# file swaps the model (new crc32 in the answers), with a broken one keeps it; shadow mode logs
# the decision in the dataset's event schema and answers neutral; `telemetry replay` feeds the
# store and `telemetry record` gets the frames back; `rebalance` lists moves whose deltas are the
# score differences; usage errors exit 2. A Python client (pyzmq) speaks PROTOCOL.md.
set -u
source "$(dirname "$0")/lib.sh"

cat >"$tmp/tiny.json" <<'JSON'
{"env": {"horizon_s": 120, "max_nodes": 8}, "cluster": {"nodes": 6},
 "train": {"num_envs": 4, "num_steps": 32, "total_steps": 256, "minibatches": 2, "epochs": 1,
           "hidden": 16, "eval_every": 100, "checkpoint_every": 100, "eval_episodes": 1}}
JSON
run 0 train --config "$tmp/tiny.json" --out "$tmp/p1" --quiet
run 0 train --config "$tmp/tiny.json" --out "$tmp/p2" --seed 9 --quiet
run 0 dataset --config "$tmp/tiny.json" --scorer k8s-default --events 100 --out "$tmp/ds.jsonl" --quiet
run 0 fit-scorer --model attention --data "$tmp/ds.jsonl" --epochs 1 --d-model 16 --out "$tmp/att.safetensors" --quiet
printf 'not a checkpoint' >"$tmp/corrupt.safetensors"
cp "$tmp/p1/best.safetensors" "$tmp/live.safetensors"
crc() { "$KISIM" policy inspect "$1" | awk '/^crc32:/{print $2}'; }
"$KISIM" policy inspect "$tmp/p1/best.safetensors" >"$tmp/stats" # feature order and stats

# The client: score NODES (comma-separated) with inline telemetry or from the store; prints the
# reply header's link, version, shadow, then one "score link status reason" line per node.
cat >"$tmp/client.py" <<'PYEOF'
import json, struct, sys, zmq
ep, nodes, inline = sys.argv[1], sys.argv[2].split(","), sys.argv[3] == "inline"
s = zmq.Context().socket(zmq.REQ)
s.setsockopt(zmq.RCVTIMEO, 10000)
s.connect(ep)
h = {"v": 1, "cmd": "score", "id": 5, "nodes": nodes, "pod": [0.1, 0.1, 0, 1, 0, 0, 0, 0, 0.5, 0, 1]}
if len(sys.argv) > 5:  # the rebalancer's context of a latency-sensitive pod (rebalance.h)
    h["pod"] = [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]
frames = []
if inline:  # node i at the policy's training mean + (i % 3 - 1) / 2 standard deviations
    F, T = 15, 2
    h["T"] = T
    meta = dict(l.split(":", 1) for l in open(sys.argv[4]).read().splitlines() if ":" in l)
    stats, order = json.loads(meta["feature_stats"]), json.loads(meta["features"])
    vals = [stats[order[f]]["mean"] + (i % 3 - 1) / 2 * stats[order[f]]["std"]
            for i in range(len(nodes)) for t in range(T) for f in range(F)]
    frames.append(struct.pack("<%df" % len(vals), *vals))
s.send_multipart([json.dumps(h).encode()] + frames)
rep = s.recv_multipart()
hdr = json.loads(rep[0])
assert hdr["ok"] and hdr["id"] == 5 and hdr["n"] == len(nodes) and len(rep) == 6, hdr
n = hdr["n"]
conf = struct.unpack("<%df" % n, rep[2])
reasons = rep[5].decode().split("\n")
print(hdr["link"], hdr["version"], hdr["shadow"])
for i in range(n):
    assert 0 <= rep[1][i] <= 100 and 0 <= conf[i] <= 1
    print(rep[1][i], hdr["links"][rep[3][i]], rep[4][i], reasons[i])
PYEOF

start() { # start NAME ARGS...: serve in the background, wait for its endpoint line
    local name=$1
    shift
    "$KISIM" score serve --zmq "ipc://$tmp/$name.sock" --budget-ms 2000 "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
    pid=$!
    for _ in $(seq 100); do grep -q '^endpoint' "$tmp/$name.out" 2>/dev/null && return 0; sleep 0.1; done
    fail "score serve $name did not start: $(cat "$tmp/$name.err")"
}
stop() { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; }
ask() { # ask NAME NODES inline|store
    checks=$((checks + 1))
    $PY "$tmp/client.py" "ipc://$tmp/$1.sock" "$2" "$3" "$tmp/stats" >"$tmp/ans" 2>"$tmp/ans.err" || fail "client: $(cat "$tmp/ans.err")"
}
first() { head -1 "$tmp/ans"; }

# A corrupt policy at start: a clear message, the service runs on the attention scorer.
start a --policy "$tmp/corrupt.safetensors" --fallback "$tmp/att.safetensors"
ask a n1,n2,n3 inline
stop
contains a.err "ppo link: checkpoint $tmp/corrupt.safetensors"
contains a.err "starting without it (the next link answers)"
[ "$(first)" = "attention att.safetensors@$(crc "$tmp/att.safetensors") False" ] || fail "corrupt policy: answered $(first)"

# SIGHUP: a good new file swaps the model, a broken one keeps the running model.
start b --policy "$tmp/live.safetensors" --fallback "$tmp/att.safetensors"
ask b n1,n2,n3,n4 inline
[ "$(first)" = "ppo live.safetensors@$(crc "$tmp/p1/best.safetensors") False" ] || fail "policy: answered $(first)"
grep -q '^100 ppo 0 ' "$tmp/ans" || fail "no node scored 100 by the PPO link: $(cat "$tmp/ans")"
cp "$tmp/p2/best.safetensors" "$tmp/live.tmp" && mv "$tmp/live.tmp" "$tmp/live.safetensors"
kill -HUP "$pid"
sleep 0.5
ask b n1,n2 inline
[ "$(first)" = "ppo live.safetensors@$(crc "$tmp/p2/best.safetensors") False" ] || fail "after SIGHUP: answered $(first)"
cp "$tmp/corrupt.safetensors" "$tmp/live.safetensors"
kill -HUP "$pid"
sleep 0.5
ask b n1,n2 inline
[ "$(first)" = "ppo live.safetensors@$(crc "$tmp/p2/best.safetensors") False" ] || fail "after a broken SIGHUP: answered $(first)"
stop
contains b.err "keeping the running model"

# Shadow mode: neutral answers, the computed decision logged in the dataset's schema.
start c --policy "$tmp/p1/best.safetensors" --fallback "$tmp/att.safetensors" --shadow "$tmp/shadow.jsonl"
ask c n1,n2,n3 inline
stop
[ "$(first | awk '{print $1, $3}')" = "neutral True" ] || fail "shadow: answered $(first)"
[ "$(awk 'NR>1{print $1}' "$tmp/ans" | sort -u)" = "50" ] || fail "shadow answers are not neutral: $(cat "$tmp/ans")"
checks=$((checks + 1))
$PY - "$tmp/shadow.jsonl" <<'PYEOF' || fail "shadow log"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 1, len(lines)
e = json.loads(lines[0])
for k in ("episode", "seed", "step", "n", "T", "nodes", "availability", "pod", "node_mask", "chosen",
          "oracle", "outcome", "labels", "node_names", "scores", "link", "version"):
    assert k in e, k
assert e["n"] == 3 and e["T"] == 2 and len(e["nodes"]) == 3 * 2 * 15 and e["node_mask"] == [1, 1, 1]
assert e["link"] == "ppo" and e["scores"][e["chosen"]] == max(e["scores"]) == 100
assert e["node_names"] == ["n1", "n2", "n3"] and len(e["labels"]["bootstrap"]) == 3
PYEOF

# Telemetry: replay into the store, record it back; then rebalance over the pods it reported.
$PY - "$tmp/frames.jsonl" "$tmp/stats" <<'PYEOF'
import json, sys
# node w{i} at the policy's training mean + (i - 1) standard deviations, so the models answer
meta = dict(l.split(":", 1) for l in open(sys.argv[2]).read().splitlines() if ":" in l)
stats, order = json.loads(meta["feature_stats"]), json.loads(meta["features"])
with open(sys.argv[1], "w") as f:
    for t in range(3):
        for i in range(3):
            feat = [max(stats[k]["mean"] + (i - 1) * stats[k]["std"], stats[k]["min"]) for k in order]
            pods = {f"default/app-{i}-{k}": {"features": [0.0] * 15, "available": [1] * 15} for k in range(2)}
            f.write(json.dumps({"v": 1, "node": f"w{i}", "ts_ms": 1700000000000 + 1000 * t,
                                "features": feat, "available": [1] * 15, "pods": pods}) + "\n")
PYEOF
"$KISIM" telemetry record --bind "ipc://$tmp/rec.sock" --out "$tmp/recorded.jsonl" --frames 9 --seconds 20 2>"$tmp/rec.err" &
rec=$!
sleep 0.3
run 0 telemetry replay "$tmp/frames.jsonl" --connect "ipc://$tmp/rec.sock" --rate 100 --wait-ms 300 --keep-time
wait "$rec" || fail "telemetry record failed: $(cat "$tmp/rec.err")"
same "$tmp/frames.jsonl" "$tmp/recorded.jsonl"

start d --policy "$tmp/p1/best.safetensors" --fallback "$tmp/att.safetensors" --telemetry "ipc://$tmp/tele.sock"
run 0 telemetry replay "$tmp/frames.jsonl" --connect "ipc://$tmp/tele.sock" --rate 200 --wait-ms 300
sleep 0.3
ask d w0,w1,w2,ghost store
[ "$(awk 'NR==5{print $1, $2, $3, $4, $5}' "$tmp/ans")" = "50 neutral 2 no telemetry" ] || fail "unknown node: $(cat "$tmp/ans")"
[ "$(awk 'NR>1 && NR<5{print $3}' "$tmp/ans" | sort -u)" = "0" ] || fail "replayed nodes not fresh: $(cat "$tmp/ans")"
[ "$(first | awk '{print $1}')" = "ppo" ] || fail "store-fed request not answered by the policy: $(cat "$tmp/ans")"
stop
# The rebalancer on the attention scorer (this tiny policy scores these nodes alike), checked
# against the scores BatchScore gives a latency-sensitive pod.
start e --fallback "$tmp/att.safetensors" --telemetry "ipc://$tmp/tele2.sock"
run 0 telemetry replay "$tmp/frames.jsonl" --connect "ipc://$tmp/tele2.sock" --rate 200 --wait-ms 300
sleep 0.3
checks=$((checks + 1))
$PY "$tmp/client.py" "ipc://$tmp/e.sock" w0,w1,w2 store "$tmp/stats" ls >"$tmp/ls" || fail "client (ls)"
run 0 rebalance --scorer "ipc://$tmp/e.sock" --min-delta 0 --json
checks=$((checks + 1))
$PY - "$tmp/out" "$tmp/ls" <<'PYEOF' || fail "rebalance: $(cat "$tmp/out") vs $(cat "$tmp/ls")"
import json, sys
r = json.load(open(sys.argv[1]))
score = {f"w{i}": int(l.split()[0]) for i, l in enumerate(open(sys.argv[2]).read().splitlines()[1:])}
# every pod here is latency-sensitive (zero features): its best other node, if strictly better
want = []
for i in range(3):
    best = max((n for n in score if n != f"w{i}"), key=lambda n: (score[n], -int(n[1:])))
    if score[best] > score[f"w{i}"]:
        want += [(f"default/app-{i}-{k}", f"w{i}", score[best] - score[f"w{i}"]) for k in range(2)]
got = [(m["pod"], m["from"], m["delta"]) for m in r["moves"]]
assert r["ok"] and r["n"] == len(got) and sorted(got) == sorted(want), (got, want)
for m in r["moves"]:
    assert score[m["to"]] == max(v for n, v in score.items() if n != m["from"]) and m["to"] != m["from"], m
    assert m["delta"] == m["to_score"] - m["from_score"] > 0, m
assert [m["delta"] for m in r["moves"]] == sorted((m["delta"] for m in r["moves"]), reverse=True)
assert want, "the model scores the three nodes alike: nothing to check"
PYEOF
run 0 rebalance --scorer "ipc://$tmp/e.sock" --min-delta 0
grep -q -e ' -> .* (delta: [0-9]*)$' -e '^no pod is worth moving' "$tmp/out" || fail "rebalance output: $(cat "$tmp/out")"
stop

# Usage errors.
run 2 score serve --budget-ms soon; contains err "--budget-ms"
run 2 score serve --zmq "ipc://$tmp/u.sock" --http "nowhere" --policy "$tmp/missing.safetensors"
contains err '--http: expected HOST:PORT'
checks=$((checks + 1)) # checked before any model loads: nothing about the policy file
grep -q "missing.safetensors" "$tmp/err" && fail "a bad --http was reported after loading models: $(cat "$tmp/err")"
run 2 score serve --test-delay-ms neutral=5; contains err "LINK is ppo or attention"
run 2 score dance
run 2 rebalance; contains err "--scorer ENDPOINT is required"
run 2 telemetry replay "$tmp/frames.jsonl"; contains err "--publish or --connect"
printf '{"v":1,"node":"x"}\n' >"$tmp/badrec.jsonl"
run 2 telemetry replay "$tmp/badrec.jsonl" --publish "ipc://$tmp/p.sock"; contains err "badrec.jsonl:1: telemetry frame: ts_ms: expected an integer"
run 0 score serve --help; contains out "--subscribe ENDPOINT"
run 0 telemetry --help
run 0 rebalance --help
finish

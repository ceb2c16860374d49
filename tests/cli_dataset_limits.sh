#!/usr/bin/env bash
# cli_dataset_limits.sh: damaged or hostile datasets (agent/DATASET.md, issue 18 finding 15) are
# refused with exit 2 naming the file, line or event and field: a float32 value out of range
# (1e39, which would be stored as inf and written back as null); inf bytes in a shard; a shard
# whose header announces another event count than its index lists; index entries that overlap,
# run out of order or leave bytes unused (several entries on one large record would make a small
# file take gigabytes). The files are built here in Python from the format's description, not by
# kisim. CTest sets KISIM and KISIM_SOURCE_DIR.
set -u
source "$(dirname "$0")/lib.sh"

$PY - "$tmp" <<'PYEOF'
import json, struct, sys
d = sys.argv[1]
def event(**kw):
    e = {"episode": 0, "seed": 0, "step": 0, "n": 1, "T": 1, "nodes": [0.5] * 15,
         "availability": [1.0] * 15, "pod": [0.25] * 11, "node_mask": [1], "chosen": 0,
         "oracle": 0, "outcome": "running",
         "labels": {"contention": [1], "latency": [1], "inflation": [1.5], "bootstrap": [0.5]}}
    e.update(kw)
    return json.dumps(e)
open(f"{d}/ok.jsonl", "w").write(event() + "\n" + event(step=1) + "\n")
bad = json.loads(event()); bad["nodes"][3] = 1e39
open(f"{d}/big.jsonl", "w").write(json.dumps(bad) + "\n")
# shards: n = 1, T = 1: nodes 15 + availability 15 + pod 11 + 4 labels = 45 floats, 1 mask byte,
# padded to 184 bytes
def record(nodes0=0.5):
    b = struct.pack("<15f", nodes0, *[0.5] * 14) + struct.pack("<15f", *[1.0] * 15)
    b += struct.pack("<11f", *[0.25] * 11) + struct.pack("<4f", 1, 1, 1.5, 0.5) + b"\x01"
    return b + b"\0" * (184 - len(b))
def shard(name, events, offsets, data):
    idx = json.dumps({"format": "kisim-dataset-shard", "version": 1, "events": events,
                      "features": 15, "pod": 11}) + "\n"
    for k, o in enumerate(offsets):
        idx += json.dumps({"episode": 0, "seed": 0, "step": k, "n": 1, "T": 1, "chosen": 0,
                           "oracle": 0, "outcome": "running", "offset": o}) + "\n"
    open(f"{d}/{name}", "wb").write(b"KISIMDS1" + struct.pack("<Q", len(idx)) + idx.encode() + data)
shard("ok.kds", 2, [0, 184], record() * 2)
shard("count.kds", 3, [0, 184], record() * 2)
shard("overlap.kds", 2, [0, 0], record() * 2)
shard("order.kds", 2, [184, 0], record() * 2)
shard("gap.kds", 1, [0], record() * 2)
shard("inf.kds", 1, [0], record(float("inf")))
PYEOF

run 0 dataset convert "$tmp/ok.jsonl" "$tmp/ok2.kds"
run 0 dataset convert "$tmp/ok.kds" "$tmp/ok2.jsonl"
run 0 dataset convert "$tmp/ok2.kds" "$tmp/ok3.jsonl"
same "$tmp/ok2.jsonl" "$tmp/ok3.jsonl"

run 2 dataset convert "$tmp/big.jsonl" "$tmp/x.kds"
contains err "big.jsonl:1: \"nodes\"[3] = 1e+39 is outside float32's range"
checks=$((checks + 1))
[ ! -e "$tmp/x.kds" ] || fail "a refused input still wrote its output"
run 2 dataset convert "$tmp/inf.kds" "$tmp/x.jsonl"
contains err "inf.kds: index line 2 (event 1): \"nodes\"[0] is not a finite number"
run 2 dataset convert "$tmp/count.kds" "$tmp/x.jsonl"
contains err "count.kds: index line 1 announces 3 events, the index lists 2"
run 2 dataset convert "$tmp/overlap.kds" "$tmp/x.jsonl"
contains err "overlap.kds: index line 3: \"offset\" 0, expected 184"
run 2 dataset convert "$tmp/order.kds" "$tmp/x.jsonl"
contains err "order.kds: index line 2: \"offset\" 184, expected 0"
run 2 dataset convert "$tmp/gap.kds" "$tmp/x.jsonl"
contains err "gap.kds: 184 bytes after the last event's arrays"
run 2 dataset convert "$tmp" "$tmp/x.jsonl"
contains err "is a directory"
finish

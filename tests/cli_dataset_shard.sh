#!/usr/bin/env bash
# cli_dataset_shard.sh: the binary shard format of `kisim dataset` (agent/DATASET.md): JSON
# lines -> shard -> JSON lines gives the same bytes; a dataset written directly as a shard
# equals the converted one; fit-scorer trains the same model (same checkpoint bytes) from
# either format; the shard's index and arrays are what DATASET.md says (read here with Python,
# independently of the C reader); damaged shards exit 2 naming the file.
# CTest sets KISIM and KISIM_SOURCE_DIR.
set -u
source "$(dirname "$0")/lib.sh"
cfg="$SRC/configs/quickstart.json"

run 0 dataset --config "$cfg" --events 300 --out "$tmp/a.jsonl" --quiet
run 0 dataset convert "$tmp/a.jsonl" "$tmp/a.kds"
run 0 dataset convert "$tmp/a.kds" "$tmp/b.jsonl"
same "$tmp/a.jsonl" "$tmp/b.jsonl"
run 0 dataset --config "$cfg" --events 300 --out "$tmp/d.kds" --quiet
same "$tmp/a.kds" "$tmp/d.kds"
checks=$((checks + 1))
$PY - "$tmp/a.jsonl" "$tmp/a.kds" <<'PYEOF' || fail "shard layout"
import json, struct, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
b = open(sys.argv[2], "rb").read()
assert b[:8] == b"KISIMDS1"
(h,) = struct.unpack("<Q", b[8:16])
idx = [json.loads(l) for l in b[16:16 + h].decode().splitlines()]
data = b[16 + h:]
assert idx[0]["format"] == "kisim-dataset-shard" and idx[0]["events"] == len(ev)
for e, x in zip(ev, idx[1:]):
    for k in ("episode", "seed", "step", "n", "T", "chosen", "oracle", "outcome"):
        assert e[k] == x[k], k
    n, T, o = x["n"], x["T"], x["offset"]
    def f32(count):
        global o
        v = struct.unpack("<%df" % count, data[o:o + 4 * count]); o += 4 * count
        return list(v)
    close = lambda a, b: all(abs(p - q) <= 1e-6 * max(1, abs(q)) for p, q in zip(a, b))
    assert close(f32(n * T * 15), e["nodes"]) and close(f32(15), e["availability"])
    assert close(f32(11), e["pod"])
    for lab in ("contention", "latency", "inflation", "bootstrap"):
        assert close(f32(n), e["labels"][lab]), lab
    assert list(data[o:o + n]) == e["node_mask"]
PYEOF

run 0 fit-scorer --model mlp --data "$tmp/a.jsonl" --epochs 2 --out "$tmp/m1.safetensors" --quiet
run 0 fit-scorer --model mlp --data "$tmp/a.kds" --epochs 2 --out "$tmp/m2.safetensors" --quiet
same "$tmp/m1.safetensors" "$tmp/m2.safetensors"
run 0 fit-scorer --model attention --data "$tmp/a.kds" --epochs 1 --d-model 16 \
    --out "$tmp/a2.safetensors" --quiet
run 0 fit-scorer --model attention --data "$tmp/a.jsonl" --epochs 1 --d-model 16 \
    --out "$tmp/a1.safetensors" --quiet
same "$tmp/a1.safetensors" "$tmp/a2.safetensors"

# damaged shards: truncated arrays, wrong magic, a bad index line; a missing input
head -c 200000 "$tmp/a.kds" >"$tmp/t.kds"
run 2 fit-scorer --model mlp --data "$tmp/t.kds" --out "$tmp/x" --quiet
contains err "t.kds"
printf 'NOTASHARDxxxxxxxxxxxxxxxxx' >"$tmp/m.kds"
run 2 dataset convert "$tmp/m.kds" "$tmp/y.jsonl"
contains err "not a shard file"
$PY - "$tmp/a.kds" "$tmp/i.kds" <<'PYEOF'
import sys
b = open(sys.argv[1], "rb").read()
open(sys.argv[2], "wb").write(b.replace(b'"n": 16', b'"n": -1', 1))
PYEOF
run 2 dataset convert "$tmp/i.kds" "$tmp/y.jsonl"
contains err "index line 2"
run 2 dataset convert "$tmp/a.kds"
# n and T each in range, n * T * 15 = 3e9 past INT_MAX: rejected with the true count, before
# any allocation for it
printf '{"episode":0,"seed":0,"step":0,"n":100000,"T":2000,"chosen":0,"oracle":0,"outcome":"running","nodes":[]}\n' >"$tmp/big.jsonl"
run 2 dataset convert "$tmp/big.jsonl" "$tmp/y.kds"
contains err "big.jsonl:1: \"nodes\" must be an array of n * T * 15 = 3000000000 numbers"
run 1 dataset convert "$tmp/none.kds" "$tmp/y.jsonl"
contains err "none.kds"
finish

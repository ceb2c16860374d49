#!/usr/bin/env bash
# local_noisy_neighbor.sh: the seed benchmark's comparison (KubeAttention: the Kubernetes default
# scorer puts latency-sensitive replicas next to noisy neighbours) on the `local` backend, i.e.
# real processes in CPU-quota cgroups on this machine, loaded by Locust. Runs `kisim eval` for
# the Kubernetes default scorer and a chosen scorer over several episodes and writes
# results/local_noisy_neighbor/<UTC timestamp>.json: per scorer the request-weighted p99 and the
# share of replicas placed on noisy nodes, each a mean with its 95% confidence interval over
# episodes, plus every episode's values and provenance. Needs root (env/LOCAL.md).
#
#   experiments/local_noisy_neighbor.sh [--scorer NAME] [--model FILE] [--episodes N]
#                                       [--seed S] [--config FILE] [--out DIR]
#
# kisim is $KISIM, else build/kisim. Defaults: the oracle (which reads the backend's true state,
# which nodes run a noisy neighbour), configs/local_cluster.json and its eval block.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
KISIM=${KISIM:-$here/build/kisim}
scorer=oracle model="" episodes="" seed="" config=$here/configs/local_cluster.json
out=$here/results/local_noisy_neighbor
usage() { sed -n '10,11p' "$0" | sed 's/^# *//' >&2; exit 2; }
while [ $# -gt 0 ]; do
    case $1 in
    --scorer) scorer=${2:?}; shift 2 ;;
    --model) model=${2:?}; shift 2 ;;
    --episodes) episodes=${2:?}; shift 2 ;;
    --seed) seed=${2:?}; shift 2 ;;
    --config) config=${2:?}; shift 2 ;;
    --out) out=${2:?}; shift 2 ;;
    -h | --help) usage ;;
    *) echo "local_noisy_neighbor.sh: unknown option $1" >&2; usage ;;
    esac
done
[ -x "$KISIM" ] || { echo "local_noisy_neighbor.sh: no kisim at $KISIM (build it, or set KISIM)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "local_noisy_neighbor.sh: the local backend needs root (cgroups, the eBPF collector)" >&2; exit 1; }
if [ "$scorer" = k8s-default ]; then
    echo "local_noisy_neighbor.sh: --scorer is compared with k8s-default; choose another" >&2
    exit 2
fi

args=(eval --config "$config" --scorer "k8s-default,$scorer")
[ -n "$model" ] && args+=(--model "$model")
[ -n "$episodes" ] && args+=(--episodes "$episodes")
[ -n "$seed" ] && args+=(--seed "$seed")
mkdir -p "$out"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
work=$(mktemp -d /tmp/kisim-lnn.XXXXXX)
trap 'rm -rf "$work"' EXIT
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date +%s)
echo "kisim ${args[*]}" >&2
"$KISIM" "${args[@]}" --out "$work/eval.json"
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

/usr/bin/python3 - "$work/eval.json" "$out/$stamp.json" "$scorer" "$load_before" "$load_after" \
    "$(( $(date +%s) - started ))" "kisim ${args[*]}" <<'EOF'
import json, os, sys
src, dst, chosen, load_before, load_after, wall_s, command = sys.argv[1:8]
runs = json.load(open(src))
by = {r["scorer"]: r for r in runs}
def metric(r, key):
    a = r["aggregate"][key]
    return {"mean": a["mean"], "ci95": a["ci95"], "per_episode": [e[key] for e in r["per_episode"]]}
scorers = {}
for name, r in by.items():
    scorers[name] = {k: metric(r, k) for k in ("p99_ms", "p95_ms", "p50_ms", "contended_share",
                                                 "error_rate", "throughput_rps", "reward")}
    scorers[name]["episodes"] = r["episodes"]
base, other = by["k8s-default"], by[chosen]
b99, o99 = base["aggregate"]["p99_ms"], other["aggregate"]["p99_ms"]
doc = {
    "experiment": "local_noisy_neighbor",
    "command": command,
    "backend": "local",
    "scorers": scorers,
    "comparison": {
        "baseline": "k8s-default", "scorer": chosen,
        "p99_ratio": b99["mean"] / o99["mean"] if o99["mean"] > 0 else None,
        "p99_ci_overlap": not (b99["ci95"][0] > o99["ci95"][1] or o99["ci95"][0] > b99["ci95"][1]),
        "contended_share": {"k8s-default": base["aggregate"]["contended_share"]["mean"],
                            chosen: other["aggregate"]["contended_share"]["mean"]},
    },
    "machine_load": {"loadavg_before": load_before, "loadavg_after": load_after, "wall_s": int(wall_s)},
    "provenance": base["provenance"],
    "runs": runs,
}
tmp = dst + ".tmp"
with open(tmp, "w") as f:
    json.dump(doc, f, indent=2)
    f.write("\n")
os.replace(tmp, dst)
print(f"{'scorer':<14} {'p99 ms (95% CI)':<28} {'on noisy nodes (95% CI)':<26}")
for name in ("k8s-default", chosen):
    p, c = scorers[name]["p99_ms"], scorers[name]["contended_share"]
    print(f"{name:<14} {p['mean']:7.1f} [{p['ci95'][0]:.1f}, {p['ci95'][1]:.1f}]"
          f"{'':<6} {c['mean']:.3f} [{c['ci95'][0]:.3f}, {c['ci95'][1]:.3f}]")
print(f"results: {dst}")
EOF

#!/usr/bin/env bash
# ppo_quickstart.sh: issue 4's first learning result. Trains PPO on configs/quickstart.json with
# three learner seeds (one after another, each timed), evaluates each best.safetensors on the
# default held-out evaluation seeds next to the Kubernetes default scorer with HPA, and checks:
#   p99 at least 40% lower, at most 20% of replicas on contended nodes, cost at most 1.1x, and
#   95% confidence intervals of p99 that do not overlap.
# Usage: experiments/ppo_quickstart.sh [OUT_DIR] [SEEDS...]   (default results/ppo_quickstart 1 2 3)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-results/ppo_quickstart}
shift || true
seeds=("$@")
[ ${#seeds[@]} -gt 0 ] || seeds=(1 2 3)
KISIM=${KISIM:-build/kisim}
CFG=configs/quickstart.json
mkdir -p "$out"
"$KISIM" eval --config "$CFG" --scorer k8s-default --json --quiet --out "$out/k8s-default.json" >/dev/null
status=0
for s in "${seeds[@]}"; do
    start=$(date +%s)
    "$KISIM" train --config "$CFG" --seed "$s" --out "$out/seed$s" --quiet
    secs=$(($(date +%s) - start))
    "$KISIM" eval --config "$CFG" --policy "$out/seed$s/best.safetensors" --json --quiet \
        --out "$out/seed$s/eval.json" >/dev/null
    /usr/bin/python3 - "$out/k8s-default.json" "$out/seed$s/eval.json" "$s" "$secs" <<'PY' || status=1
import json, sys
base, pol = (json.load(open(p))["aggregate"] for p in sys.argv[1:3])
seed, secs = sys.argv[3], float(sys.argv[4])
b99, p99 = base["p99_ms"], pol["p99_ms"]
checks = {
    "p99 >= 40% lower": p99["mean"] <= 0.6 * b99["mean"],
    "contended <= 20%": pol["contended_share"]["mean"] <= 0.20,
    "cost <= 1.1x": pol["cost"]["mean"] <= 1.1 * base["cost"]["mean"],
    "p99 CIs apart": p99["ci95"][1] < b99["ci95"][0],
    "trained in <= 600 s": secs <= 600,
}
print(f"seed {seed}: trained in {secs:.0f} s; p99 {p99['mean']:.1f} ms [{p99['ci95'][0]:.1f}, "
      f"{p99['ci95'][1]:.1f}] vs k8s-default {b99['mean']:.1f} [{b99['ci95'][0]:.1f}, "
      f"{b99['ci95'][1]:.1f}] ({100 * (1 - p99['mean'] / b99['mean']):.0f}% lower); contended "
      f"{pol['contended_share']['mean']:.3f}; cost {pol['cost']['mean'] / base['cost']['mean']:.2f}x; "
      + ", ".join(f"{k}: {'ok' if v else 'FAIL'}" for k, v in checks.items()))
sys.exit(0 if all(checks.values()) else 1)
PY
done
exit $status

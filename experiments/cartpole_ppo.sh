#!/usr/bin/env bash
# cartpole_ppo.sh: validates the PPO learner against CleanRL's published CartPole-v1 result.
# Five seeds of configs/cartpole.json (CleanRL ppo.py's defaults: 4 envs x 128 steps, 4
# minibatches, 4 epochs, lr 2.5e-4 annealed, gamma 0.99, lambda 0.95, clip 0.2, ent 0.01, vf 0.5,
# max-grad-norm 0.5, 64-64 tanh), 500k steps each. Prints one line per seed with the mean return
# of its last 20 training episodes; passes when the mean over seeds is at least 475 and every
# seed reaches 450 (CleanRL's documentation reports about 490).
# Usage: experiments/cartpole_ppo.sh [OUT_DIR]   (default results/cartpole_ppo)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-results/cartpole_ppo}
KISIM=${KISIM:-build/kisim}
mkdir -p "$out"
for s in 1 2 3 4 5; do
    start=$(date +%s)
    "$KISIM" train --config configs/cartpole.json --seed "$s" --out "$out/seed$s" --quiet
    echo "$s $(($(date +%s) - start))" >>"$out/times.txt"
done
/usr/bin/python3 - "$out" <<'PY'
import csv, sys
out = sys.argv[1]
times = dict(line.split() for line in open(f"{out}/times.txt"))
finals = []
for s in range(1, 6):
    rows = list(csv.DictReader(open(f"{out}/seed{s}/episodes.csv")))
    last = [float(r["return"]) for r in rows[-20:]]
    finals.append(sum(last) / len(last))
    print(f"seed {s}: mean return of the last 20 episodes {finals[-1]:.1f} "
          f"({len(rows)} episodes, {times[str(s)]} s)")
mean = sum(finals) / len(finals)
ok = mean >= 475 and min(finals) >= 450
print(f"mean over seeds {mean:.1f}, worst seed {min(finals):.1f}: {'PASS' if ok else 'FAIL'}")
sys.exit(0 if ok else 1)
PY

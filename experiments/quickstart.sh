#!/usr/bin/env bash
# quickstart.sh: the README's first command. Installs what is missing, builds KISim, trains a
# PPO scheduling policy on the embedded simulated cluster (configs/quickstart.json, about three
# minutes on two cores), then evaluates it next to every baseline scorer on held-out seeds and
# prints the comparison table (also saved as results/quickstart/comparison.json).
set -euo pipefail
cd "$(dirname "$0")/.."
bash experiments/install_deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
out=results/quickstart
mkdir -p "$out"
./build/kisim train --config configs/quickstart.json --out "$out/ppo"
./build/kisim eval --config configs/quickstart.json --scorer all,policy \
    --model "$out/ppo/best.safetensors" --out "$out/comparison.json"
echo "results: $out/comparison.json; the policy: $out/ppo/best.safetensors"

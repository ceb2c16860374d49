#!/usr/bin/env bash
# quickstart.sh: the README's first command. Installs what is missing, builds KISim, and runs
# the main job on the embedded simulated cluster: every baseline scorer evaluated on
# configs/quickstart.json over held-out seeds, printed as a comparison table (and saved as
# results/quickstart_baselines.json). Later issues add PPO training and its evaluation here.
set -euo pipefail
cd "$(dirname "$0")/.."
bash experiments/install_deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
mkdir -p results
./build/kisim eval --config configs/quickstart.json --scorer all --out results/quickstart_baselines.json
echo "results: results/quickstart_baselines.json"

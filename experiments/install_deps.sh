#!/usr/bin/env bash
# install_deps.sh: installs the Debian 12 packages KISim builds, runs and tests with
# (docs/ARCHITECTURE.md, "Build and dependencies"), only those missing. Needs root (or sudo).
set -euo pipefail
packages=(
    build-essential cmake pkg-config git python3 clang-format
    libzmq3-dev libcjson-dev libcurl4-openssl-dev libopenblas-dev zlib1g-dev
    libbpf-dev clang llvm bpftool libmicrohttpd-dev libxgboost-dev libclang-rt-14-dev
    stress-ng wrk prometheus curl strace
    python3-locust python3-zmq python3-numpy python3-matplotlib python3-scipy python3-yaml
)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "install_deps: all ${#packages[@]} packages present"
    exit 0
fi
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
echo "install_deps: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"

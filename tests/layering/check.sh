#!/usr/bin/env bash
# check.sh BUILD_DIR: the layers are enforced by the build. The control probe (policy including
# spaces) must compile; each bad_* probe, compiled with only its component's include paths, must
# fail to compile because the header it reaches for is not visible to it.
set -uo pipefail
b=$1
out=$(cmake --build "$b" --target layer_probe_ok 2>&1) || { echo "FAIL: the control probe did not compile:"; echo "$out"; exit 1; }
fails=0
for probe in policy_uses_agent:agent/train.h scheduler_uses_sim:env/sim/sim.h common_uses_cli:cli/verbs.h; do
    name=${probe%%:*} header=${probe#*:}
    if out=$(cmake --build "$b" --target "layer_probe_$name" 2>&1); then
        echo "FAIL: layer_probe_$name compiled: a wrong-way include of $header is not refused"
        fails=$((fails + 1))
    elif ! grep -q "$header: No such file" <<<"$out"; then
        echo "FAIL: layer_probe_$name failed for another reason than the hidden $header:"; echo "$out"
        fails=$((fails + 1))
    else
        echo "ok: $name refused ($header not visible)"
    fi
done
exit $fails

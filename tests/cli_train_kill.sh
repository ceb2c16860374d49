#!/usr/bin/env bash
# cli_train_kill.sh: kill -9 during `kisim train`, then `--resume`, gives the weights and logs of
# an uninterrupted run (issue 18 finding 11). strace injects SIGKILL at chosen syscalls, so the
# kill points are exact: at the rename that would commit last.safetensors (logs already appended
# past the checkpoint, a last.safetensors.tmp.PID left behind) of the second and of the third
# checkpoint (updates 6 and 8: rows of two and of three updates to cut); plus one kill at a
# random time. metrics.jsonl is
# compared byte for byte except steps_per_s (wall-clock speed, different in every run).
# CTest sets KISIM and KISIM_SOURCE_DIR.
set -u
source "$(dirname "$0")/lib.sh"
command -v strace >/dev/null || skip no-tool "strace is not installed (experiments/install_deps.sh)"

cat >"$tmp/tiny.json" <<'JSON'
{"env": {"horizon_s": 120, "max_nodes": 8}, "cluster": {"nodes": 6},
 "train": {"num_envs": 4, "num_steps": 32, "total_steps": 1024, "minibatches": 2, "epochs": 2,
           "hidden": 16, "eval_every": 1, "checkpoint_every": 3, "eval_episodes": 2}}
JSON
strip() { sed -E 's/"steps_per_s":[^,]*,//' "$1"; }
compare() {
    for f in last.safetensors best.safetensors episodes.csv; do same "$tmp/a/$f" "$1/$f"; done
    checks=$((checks + 1))
    [ "$(strip "$tmp/a/metrics.jsonl")" = "$(strip "$1/metrics.jsonl")" ] ||
        fail "$1/metrics.jsonl differs from the uninterrupted run's: $(diff <(strip "$tmp/a/metrics.jsonl") <(strip "$1/metrics.jsonl") | head -5)"
    checks=$((checks + 1))
    ! ls "$1"/*.tmp.* >/dev/null 2>&1 || fail "$1: a stale temp file is left: $(ls "$1")"
}

# LeakSanitizer cannot run under ptrace (it aborts the traced process); ASan's memory checks still
# run here, and the sanitizer pass checks the training path for leaks in cli_train and others.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
# The uninterrupted run, traced: the order of its renames gives the kill points.
strace -f -qq -e trace=rename -o "$tmp/trace" "$KISIM" train --config "$tmp/tiny.json" --out "$tmp/a" --quiet 2>"$tmp/err" ||
    fail "the traced run failed: $(tail -3 "$tmp/err")"
mapfile -t renames < <(grep -o 'rename("[^"]*", "[^"]*"' "$tmp/trace" | sed -E 's/.*", "(.*)"$/\1/')
second_last=$(printf '%s\n' "${renames[@]}" | grep -n 'last.safetensors$' | sed -n 2p | cut -d: -f1)
third_last=$(printf '%s\n' "${renames[@]}" | grep -n 'last.safetensors$' | sed -n 3p | cut -d: -f1)
checks=$((checks + 1))
[ -n "$second_last" ] && [ -n "$third_last" ] || fail "no kill points in the trace: ${renames[*]}"

k=0
for when in "$second_last" "$third_last"; do
    k=$((k + 1))
    strace -f -qq -o /dev/null -e trace=rename -e inject=rename:signal=KILL:when="$when" \
        "$KISIM" train --config "$tmp/tiny.json" --out "$tmp/k$k" --quiet 2>/dev/null
    checks=$((checks + 1))
    ls "$tmp/k$k"/last.safetensors.tmp.* >/dev/null 2>&1 || fail "kill $k (rename $when) left no temp file: not killed there"
    run 0 train --resume "$tmp/k$k" --quiet
    compare "$tmp/k$k"
done

# A kill at a random moment, after the first checkpoint.
"$KISIM" train --config "$tmp/tiny.json" --out "$tmp/r" --quiet 2>/dev/null &
pid=$!
for _ in $(seq 200); do [ -s "$tmp/r/last.safetensors" ] && break; sleep 0.05; done
sleep "0.$((RANDOM % 9))"
kill -KILL "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
if [ -s "$tmp/r/last.safetensors" ]; then
    run 0 train --resume "$tmp/r" --quiet
    compare "$tmp/r"
fi
finish

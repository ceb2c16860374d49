#!/usr/bin/env bash
# cli_eval_signal.sh: SIGINT and SIGTERM stop `kisim eval` on the sim backend. Its handler only
# sets a flag (env_interrupt) so that a local env's interval can end cleanly; the sim never reads
# that flag, so the episode loop must: the run ends before the next episode, exit 1, saying it
# was interrupted and after how many episodes, and writes no --out file.
set -u
source "$(dirname "$0")/lib.sh"
cfg="$SRC/configs/quickstart.json"

for sig in INT TERM; do
    "$KISIM" eval --config "$cfg" --scorer k8s-default --episodes 100000 --out "$tmp/r.json" \
        >"$tmp/out" 2>"$tmp/err" &
    pid=$!
    # Wait for the first progress line: the handlers are installed before the loop starts.
    for _ in $(seq 300); do grep -q "eval k8s-default" "$tmp/err" 2>/dev/null && break; sleep 0.1; done
    stop_within "$pid" "$sig" 1 "kisim eval" "$tmp/err"
    contains err "eval: interrupted by a signal after"
    checks=$((checks + 1))
    [ ! -e "$tmp/r.json" ] || fail "SIG$sig: --out written by an interrupted run"
done
finish

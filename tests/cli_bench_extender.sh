#!/usr/bin/env bash
# cli_bench_extender.sh: a smoke run of `kisim bench extender` (one 1-second wrk run per case): it
# prints one JSON row per case (NodeNames and Nodes at 10 and 100 nodes), every run got answers
# without wrk errors, mostly from the PPO link (the numbers themselves go to BENCHMARKS.md, not
# into a test); bad options are usage errors.
source "${KISIM_SOURCE_DIR:-.}/tests/lib.sh"
command -v wrk >/dev/null || { fail "wrk missing (experiments/install_deps.sh installs it)"; finish; exit 1; }
run 0 bench extender --runs 1 --seconds 1 --connections 2 --json
checks=$((checks + 1))
$PY - "$tmp/out" <<'PYEOF' || fail "bench extender --json: $(cat "$tmp/out") $(tail -3 "$tmp/err")"
import json, sys
rows = json.load(open(sys.argv[1]))
assert [(r["form"], r["nodes"]) for r in rows] == [("NodeNames", 10), ("NodeNames", 100), ("Nodes", 10), ("Nodes", 100)], rows
for r in rows:
    assert r["req_per_s"] > 0 and r["errors"] == 0 and 0 < r["p50_ms"] <= r["p99_ms"], r
    assert r["ppo_share_min"] >= 0.5, r   # a loaded machine may push a few past the budget
    assert r["body_bytes"] > 1000, r
PYEOF
run 2 bench extender --runs 0
contains err "--runs"
run 2 bench extender --bogus
contains err "--bogus"
run 0 bench extender --help
contains out "wrk"
finish

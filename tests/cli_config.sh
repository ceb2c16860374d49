#!/usr/bin/env bash
# cli_config.sh: `kisim config check|show` as a user runs them: exit codes (0 valid, 2 invalid or
# bad usage), the exact messages on stdout and stderr, and `show` printing JSON that reads back.
# CTest sets KISIM (the binary) and KISIM_SOURCE_DIR.
set -u
KISIM=${KISIM:?set KISIM to the kisim binary}
SRC=${KISIM_SOURCE_DIR:-.}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
checks=0

fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

# expect CODE STDOUT STDERR ARGS...: runs kisim ARGS and compares exit code, stdout and stderr
# exactly ("*" skips a stream).
expect() {
    local code=$1 want_out=$2 want_err=$3
    shift 3
    checks=$((checks + 1))
    "$KISIM" "$@" >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    [ "$rc" = "$code" ] || fail "kisim $*: exit code $rc, want $code (stderr: $(cat "$tmp/err"))"
    if [ "$want_out" != "*" ] && [ "$(cat "$tmp/out")" != "$want_out" ]; then
        fail "kisim $*: stdout \"$(cat "$tmp/out")\", want \"$want_out\""
    fi
    if [ "$want_err" != "*" ] && [ "$(cat "$tmp/err")" != "$want_err" ]; then
        fail "kisim $*: stderr \"$(cat "$tmp/err")\", want \"$want_err\""
    fi
}

# contains FILE TEXT: the last command's stdout or stderr contains TEXT.
contains() {
    checks=$((checks + 1))
    grep -qF -- "$2" "$tmp/$1" || fail "$1 of the last command lacks \"$2\": $(cat "$tmp/$1")"
}

is_json() {
    checks=$((checks + 1))
    /usr/bin/python3 -c 'import json,sys; json.load(sys.stdin)' <"$1" || fail "$2: not JSON"
}

# --- the shipped configs are valid ---
q=$SRC/configs/quickstart.json
t=$SRC/configs/rl_test_config.json
p=$SRC/configs/rl_production_config.json
expect 0 "$q: ok (8 nodes, pattern ramp, horizon 600s)" "" config check "$q"
expect 0 "$t: ok (6 nodes, pattern spike, horizon 300s)" "" config check "$t"
expect 0 "$p: ok (32 nodes, pattern periodic, horizon 1800s)" "" config check "$p"

# --- show prints every section as JSON that is itself a valid config with the same output ---
for f in "$q" "$t" "$p"; do
    expect 0 "*" "" config show "$f"
    is_json "$tmp/out" "config show $f"
    cp "$tmp/out" "$tmp/shown.json"
    expect 0 "*" "" config check "$tmp/shown.json"
    contains out "$tmp/shown.json: ok ("
    expect 0 "*" "" config show "$tmp/shown.json"
    checks=$((checks + 1))
    cmp -s "$tmp/out" "$tmp/shown.json" || fail "config show of the shown $f differs"
done
expect 0 "*" "" config show "$p"
checks=$((checks + 1))
/usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
assert list(d) == ["env", "cluster", "workload", "load", "reward", "train", "eval", "local"], list(d)
assert d["cluster"]["nodes"] == 32, d["cluster"]["nodes"]
assert sum(t["count"] for t in d["cluster"]["node_types"]) == 32
assert d["env"]["max_nodes"] == 64 and d["eval"]["episodes"] == 30
assert d["reward"]["latency_percentile"] == 99  # a default, filled in
' <"$tmp/out" || fail "config show $p: unexpected content"

# --- invalid files: exit 2, the message on stderr, nothing on stdout ---
printf '{"cluster": {"nodes": "sixteen"}}\n' >"$tmp/nodes.json"
expect 2 "" "config: $tmp/nodes.json: /cluster/nodes: expected an integer in [1, 4096], got \"sixteen\"" \
    config check "$tmp/nodes.json"
expect 2 "" "config: $tmp/nodes.json: /cluster/nodes: expected an integer in [1, 4096], got \"sixteen\"" \
    config show "$tmp/nodes.json"

printf '{"cluster": {"nodez": 3}}\n' >"$tmp/unknown.json"
expect 2 "" "config: $tmp/unknown.json: /cluster/nodez: unknown key (expected one of: nodes, node_types, noisy, telemetry, unavailable_features)" \
    config check "$tmp/unknown.json"

printf '{"env": {"backend": "aws"}}\n' >"$tmp/enum.json"
expect 2 "" "config: $tmp/enum.json: /env/backend: expected one of \"sim\", \"local\", \"kubernetes\", got \"aws\"" \
    config check "$tmp/enum.json"

printf '{"env": {"max_nodes": 16}, "cluster": {"nodes": 20}}\n' >"$tmp/toomany.json"
expect 2 "" "config: $tmp/toomany.json: /cluster/nodes: the cluster has 20 nodes but /env/max_nodes is 16" \
    config check "$tmp/toomany.json"

# Line 2 is `  "env": {"seed" 1}` with the colon missing: "seed" ends in column 16, the 1 is column 18.
printf '{\n  "env": {"seed" 1}\n}\n' >"$tmp/malformed.json"
expect 2 "" "config: $tmp/malformed.json: malformed JSON at line 2, column 18: expected ':' after a key" \
    config check "$tmp/malformed.json"

expect 2 "" "config: $tmp/missing.json: cannot read: No such file or directory" \
    config check "$tmp/missing.json"

# --- usage ---
expect 0 "*" "" config --help
contains out "usage: kisim config check FILE"
expect 0 "*" "" config check --help
contains out "usage: kisim config check FILE"
expect 0 "*" "" config show -h
expect 2 "" "*" config
contains err "usage: kisim config"
expect 2 "" "*" config frobnicate "$q"
contains err "unknown sub-command \"frobnicate\""
expect 2 "" "*" config check
contains err "usage: kisim config"
expect 2 "" "*" config check "$q" "$t"
expect 2 "" "*" config show --verbose

echo "$checks checks, $failures failed"
[ "$failures" = 0 ]

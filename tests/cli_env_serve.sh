#!/usr/bin/env bash
# cli_env_serve.sh: `kisim env serve` and `kisim env keygen` as a user runs them: usage errors
# (exit 2, naming the option), a server that answers, stops cleanly on SIGTERM and on SIGINT
# (exit 0, its ipc file gone), refuses a port in use; key files (modes, no silent overwrite);
# CURVE from the command line (an authorised Python client served, a stranger refused); and
# `kisim bench zmq --json` (the names other parts rely on, CRCs equal to in-process).
# Servers started here are stopped by pid. CTest sets KISIM and KISIM_SOURCE_DIR.
set -u
KISIM=${KISIM:?set KISIM to the kisim binary}
SRC=${KISIM_SOURCE_DIR:-.}
PY=/usr/bin/python3
export PYTHONPATH="$SRC/env/python"
tmp=$(mktemp -d /tmp/kisim-cli-serve.XXXXXX)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
    rm -rf "$tmp"
}
trap cleanup EXIT
failures=0
checks=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
run() {
    local code=$1
    shift
    checks=$((checks + 1))
    timeout 60 "$KISIM" "$@" >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    [ "$rc" = "$code" ] || fail "kisim $*: exit code $rc, want $code (stderr: $(cat "$tmp/err"))"
}
contains() {
    checks=$((checks + 1))
    grep -qF -- "$2" "$tmp/$1" || fail "$1 lacks \"$2\": $(head -c 600 "$tmp/$1")"
}
# start NAME ARGS...: starts `kisim env serve ARGS` in the background; sets $pid and $ep.
start() {
    local name=$1
    shift
    "$KISIM" env serve "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
    pid=$!
    pids+=("$pid")
    ep=""
    for _ in $(seq 100); do
        ep=$(awk '/^endpoint /{print $2}' "$tmp/$name.out" 2>/dev/null)
        [ -n "$ep" ] && return 0
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    fail "server $name did not start: $(cat "$tmp/$name.err")"
}
# stop PID SIGNAL NAME: signals the server and checks it exits 0 within 10 s.
stop() {
    checks=$((checks + 1))
    kill -"$2" "$1"
    for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$1" 2>/dev/null; then
        fail "server $3 still running 10 s after SIG$2"
        kill -KILL "$1"
    fi
    wait "$1"
    local rc=$?
    [ "$rc" = 0 ] || fail "server $3 exit code $rc after SIG$2: $(cat "$tmp/$3.err")"
}
QS="$SRC/configs/quickstart.json"

run 0 env --help; contains out "kisim env serve"; contains out "kisim env keygen"
run 2 env serve; contains err "--config FILE is required"
run 2 env serve --config "$QS" --envs 0; contains err 'env serve: --envs: expected an integer in [1, 65536], got "0"'
run 2 env serve --config "$QS" --curve-secret x; contains err "go together"
run 2 env serve --config "$tmp/none.json"; contains err "cannot read"
run 2 env serve --config "$QS" --bind "bogus://x"; contains err "cannot bind bogus://x"
run 2 env serve --config "$QS" --bogus
run 2 env frobnicate; contains err "usage: kisim env"

# A server on a free port answers, and stops on SIGTERM.
start a --config "$QS" --bind 'tcp://127.0.0.1:*' --envs 2
checks=$((checks + 1))
$PY - "$ep" <<'PYEOF' || fail "talking to the server"
import sys
from kisim_env import KisimVectorEnv
with KisimVectorEnv(sys.argv[1], timeout_ms=5000) as v:
    obs, _ = v.reset(seed=1)
    assert v.num_envs == 2 and obs["nodes"].shape == (2, 16, 10, 15)
PYEOF
# The same port again: refused, exit 2, naming it.
run 2 env serve --config "$QS" --bind "$ep"; contains err "cannot bind $ep"
stop "$pid" TERM a
contains a.err "stopped after"; contains a.err "(signal)"

# ipc, SIGINT: exit 0 and the socket file removed.
sock="/tmp/kisim-cli-serve-$$.sock"
start b --config "$QS" --bind "ipc://$sock"
checks=$((checks + 1)); [ -S "$sock" ] || fail "no socket file $sock"
stop "$pid" INT b
checks=$((checks + 1)); [ ! -e "$sock" ] || fail "$sock left behind"

# keygen: the pair, modes, no silent overwrite.
run 0 env keygen --out "$tmp/server"; contains out "wrote $tmp/server.key"
checks=$((checks + 1)); [ "$(stat -c %a "$tmp/server.key")" = 600 ] || fail "secret key mode $(stat -c %a "$tmp/server.key")"
checks=$((checks + 1)); [ "$(grep -v '^#' "$tmp/server.pub" | head -1 | tr -d '\n' | wc -c)" = 40 ] || fail "public key file"
checks=$((checks + 1)); grep -qF "public key $(grep -v '^#' "$tmp/server.pub")" "$tmp/out" || fail "printed key differs from the file"
cp "$tmp/server.key" "$tmp/server.key.orig"
run 2 env keygen --out "$tmp/server"; contains err "refusing to replace"
checks=$((checks + 1)); cmp -s "$tmp/server.key" "$tmp/server.key.orig" || fail "key replaced without --force"
run 0 env keygen --out "$tmp/server" --force
checks=$((checks + 1)); ! cmp -s "$tmp/server.key" "$tmp/server.key.orig" || fail "--force kept the old key"
run 2 env keygen; contains err "--out PREFIX is required"
run 1 env keygen --out "$tmp/no/such/dir/k"; contains err "cannot write"

# CURVE from the command line: the authorised client is served, a stranger is not.
run 0 env keygen --out "$tmp/client"
run 0 env keygen --out "$tmp/stranger"
cat "$tmp/client.pub" >"$tmp/authorized"
run 2 env serve --config "$QS" --curve-secret "$tmp/server.pub.missing" --authorized-keys "$tmp/authorized"
start c --config "$QS" --bind 'tcp://127.0.0.1:*' --curve-secret "$tmp/server.key" --authorized-keys "$tmp/authorized"
checks=$((checks + 1))
$PY - "$ep" "$tmp" <<'PYEOF' || fail "CURVE clients"
import sys
from kisim_env import KisimEnv, KisimError, read_key
ep, d = sys.argv[1], sys.argv[2]
server = read_key(f"{d}/server.pub")
with KisimEnv(ep, server_public_key=server, client_secret_key=read_key(f"{d}/client.key"),
              timeout_ms=5000) as env:
    env.reset(seed=1)
for secret in (read_key(f"{d}/stranger.key"), None):
    try:
        kw = dict(server_public_key=server, client_secret_key=secret) if secret else {}
        KisimEnv(ep, timeout_ms=1000, **kw)
    except KisimError as e:
        assert ep in str(e), e
    else:
        raise AssertionError("an unauthorised client was served")
PYEOF
stop "$pid" TERM c
contains c.err "refused a CURVE client"

# bench zmq --json: schema and in-process CRCs, both clients, both transports.
run 0 bench zmq --json --runs 2 --decisions 192 --envs 1,3
checks=$((checks + 1))
$PY -c '
import json, sys
d = json.load(sys.stdin)
keys = {"client", "transport", "envs", "decisions_per_s", "mb_per_s", "trajectory_crc32"}
assert all(keys <= set(x) for x in d), d
got = {(x["client"], x["transport"], x["envs"]) for x in d}
assert got == {(c, t, k) for c in ("c", "python") for t in ("ipc", "tcp") for k in (1, 3)}, got
for x in d:
    assert x["trajectory_crc32"] == x["in_process_crc32"], x
    assert len(x["trajectory_crc32"]) == 8 and x["decisions_per_s"] > 0 and x["mb_per_s"] > 0, x
for k in (1, 3):
    assert len({x["trajectory_crc32"] for x in d if x["envs"] == k}) == 1
' <"$tmp/out" || fail "bench zmq --json: $(head -c 800 "$tmp/out")"
run 2 bench zmq --transports udp; contains err 'unknown "udp"'
run 1 bench zmq --clients python --python /nonexistent/python3 --envs 1 --runs 1 --decisions 4
contains err "Python client"

echo "$checks checks, $failures failed"
[ "$failures" = 0 ]

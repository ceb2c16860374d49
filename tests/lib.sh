# lib.sh: shared helpers of the cli_*.sh tests (sourced). Each test sets KISIM (the binary) and
# gets: $tmp (a fresh folder, removed on exit), fail MESSAGE, run CODE ARGS... (runs kisim,
# checks its exit code; output in $tmp/out and $tmp/err), contains out|err TEXT, same A B
# (files equal), finish (prints the count and sets the exit status), skip CODE REASON (this
# test cannot run here: tests/skip_reasons.txt).
KISIM=${KISIM:?set KISIM to the kisim binary}
SRC=${KISIM_SOURCE_DIR:-.}
PY=/usr/bin/python3
tmp=$(mktemp -d /tmp/kisim-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
failures=0
checks=0

fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

run() {
    local code=$1
    shift
    checks=$((checks + 1))
    "$KISIM" "$@" >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    [ "$rc" = "$code" ] || fail "kisim $*: exit code $rc, want $code (stderr: $(cat "$tmp/err"))"
}

contains() {
    checks=$((checks + 1))
    grep -qF -- "$2" "$tmp/$1" || fail "$1 lacks \"$2\": $(head -c 600 "$tmp/$1")"
}

same() {
    checks=$((checks + 1))
    cmp -s "$1" "$2" || fail "$1 and $2 differ"
}

# stop_within PID SIGNAL WANT_RC WHAT ERRFILE: sends SIGNAL to PID (a child of this shell) and
# checks that it exits within 10 s (else SIGKILL) with exit code WANT_RC; failures name WHAT and
# quote ERRFILE.
stop_within() {
    checks=$((checks + 1))
    kill -"$2" "$1"
    for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$1" 2>/dev/null; then
        fail "$4 still running 10 s after SIG$2"
        kill -KILL "$1"
    fi
    wait "$1"
    local rc=$?
    [ "$rc" = "$3" ] || fail "$4: exit code $rc after SIG$2, want $3: $(tail -c 600 "$5")"
}

finish() {
    echo "$checks checks, $failures failed"
    [ "$failures" = 0 ]
}

# skip CODE REASON: the rest of this test cannot run here. CODE is one of tests/skip_reasons.txt.
# Prints "SKIP(CODE): REASON" and the count, then exits 77 (CTest: skipped), or 1 if a check
# before it failed.
skip() {
    echo "SKIP($1): $2"
    finish && exit 77
    exit 1
}

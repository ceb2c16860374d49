# lib.sh: shared helpers of the cli_*.sh tests (sourced). Each test sets KISIM (the binary) and
# gets: $tmp (a fresh folder, removed on exit), fail MESSAGE, run CODE ARGS... (runs kisim,
# checks its exit code; output in $tmp/out and $tmp/err), contains out|err TEXT, same A B
# (files equal), finish (prints the count and sets the exit status).
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

finish() {
    echo "$checks checks, $failures failed"
    [ "$failures" = 0 ]
}

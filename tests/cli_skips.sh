#!/usr/bin/env bash
# cli_skips.sh: the skip protocol (tests/README.md, "Skips"). Every SKIP a test can print uses a
# code of tests/skip_reasons.txt through SKIP() (tests/skip.h) or skip (tests/lib.sh), and no test
# prints a SKIP line any other way; tests/check_skips.sh accepts a listed reason, refuses it with
# --ci unless it is ci-ok, and always refuses an unlisted code, an exit 77 without a SKIP line and
# a pass that printed one; end to end, test_local_cgroup run as user nobody through CTest (with
# tests/CMakeLists.txt's SKIP_RETURN_CODE) is counted skipped for no-root and fails the --ci check.
source "$(dirname "$0")/lib.sh"
T=$SRC/tests
codes=$(awk '!/^#/ && NF { print $1 }' "$T/skip_reasons.txt")

# The codes the tests use, and no SKIP printed by hand.
checks=$((checks + 1))
used=$(cd "$T" && { grep -o 'SKIP("[^"]*"' ./*.c ./*.h | grep -v '^./skip.h:' | sed 's/.*SKIP("//; s/"$//'
    grep -hv '^ *#' ./*.sh | grep -oE '(^|\|\||&&|;|then|else|do) *skip [^ ]+' | awk '{ print $NF }'
} | sort -u)
[ -n "$used" ] || fail "found no SKIP() or skip call in tests/"
for c in $used; do
    grep -qx -- "$c" <<<"$codes" || fail "a test skips for \"$c\", which is not in tests/skip_reasons.txt"
done
checks=$((checks + 1))
hand=$(cd "$T" && grep -nE '"SKIP[:(]|skipped: ' ./*.c ./*.h ./*.sh ./*.py python/*.py |
    grep -v '^./skip.h:\|^./lib.sh:\|^./check_skips.sh:\|^./cli_skips.sh:')
[ -z "$hand" ] || fail "SKIP printed other than through SKIP() or skip: $hand"

# check_skips.sh on hand-made JUnit files: one test NAME with STATUS, MESSAGE and OUTPUT.
junit() { # FILE NAME STATUS SKIPPED_MESSAGE OUTPUT
    {
        echo '<?xml version="1.0" encoding="UTF-8"?>'
        echo '<testsuite name="(empty)" tests="2">'
        echo "<testcase name=\"other\" classname=\"other\" time=\"0.1\" status=\"run\"><system-out>ok</system-out></testcase>"
        echo "<testcase name=\"$2\" classname=\"$2\" time=\"0.1\" status=\"$3\">"
        [ -z "$4" ] || echo "<skipped message=\"$4\"/>"
        echo "<system-out>first line"
        echo "$5"
        echo "</system-out></testcase></testsuite>"
    } >"$1"
}
check() { # WANT_RC ARGS...: runs check_skips.sh ARGS; output in $tmp/out, $tmp/err
    local want=$1
    shift
    checks=$((checks + 1))
    bash "$T/check_skips.sh" "$@" >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    [ "$rc" = "$want" ] || fail "check_skips.sh $*: exit code $rc, want $want ($(cat "$tmp/out" "$tmp/err"))"
}
junit "$tmp/root.xml" t_root notrun SKIP_RETURN_CODE=77 'SKIP(no-root): needs root &amp; cgroups'
check 0 "$tmp/root.xml"
contains out "skips: 1 of 2 tests skipped:"
contains out "t_root: SKIP(no-root): needs root & cgroups"
check 1 --ci "$tmp/root.xml"
contains out "skips: 1 of 2 tests skipped:"
contains err "t_root skipped for no-root, which the CI machine must not lack"
# A reason marked ci-ok passes --ci.
{ cat "$T/skip_reasons.txt"; echo "no-gpu ci-ok no GPU"; } >"$tmp/reasons.txt"
junit "$tmp/gpu.xml" t_gpu notrun SKIP_RETURN_CODE=77 'SKIP(no-gpu): no GPU here'
check 0 --ci "$tmp/gpu.xml" "$tmp/reasons.txt"
contains out "t_gpu: SKIP(no-gpu): no GPU here"
check 1 --ci "$tmp/gpu.xml"
contains err "t_gpu skipped for \"no-gpu\", which is not in"
check 1 "$tmp/gpu.xml"
junit "$tmp/bare.xml" t_bare notrun SKIP_RETURN_CODE=77 'cannot run'
check 1 "$tmp/bare.xml"
contains err "t_bare exited 77 without a SKIP(<code>): <reason> line"
junit "$tmp/pass.xml" t_pass run "" 'SKIP: not root'
check 1 "$tmp/pass.xml"
contains err "t_pass passed but printed a SKIP line"
junit "$tmp/ok.xml" t_ok run "" 'all fine'
check 0 --ci "$tmp/ok.xml"
contains out "skips: 0 of 2 tests skipped"

# End to end: a real test forced to skip (run as nobody) through CTest and the --ci check.
bin=$(dirname "$KISIM")/tests/test_local_cgroup
if [ ! -x "$bin" ]; then
    fail "no $bin"
elif [ "$(id -u)" = 0 ] && ! command -v setpriv >/dev/null; then
    skip no-tool "the end-to-end skip check needs setpriv"
else
    as_nobody=()
    [ "$(id -u)" != 0 ] || as_nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)
    mkdir "$tmp/p"
    cat >"$tmp/p/CMakeLists.txt" <<CM
cmake_minimum_required(VERSION 3.16)
project(skips NONE)
enable_testing()
add_test(NAME as_nobody COMMAND ${as_nobody[*]} $bin)
add_test(NAME passes COMMAND true)
$(sed -n '/^get_directory_property(kisim_all_tests/,/SKIP_RETURN_CODE/p' "$T/CMakeLists.txt")
CM
    checks=$((checks + 1))
    (cd "$tmp/p" && cmake -S . -B b >/dev/null && cd b && ctest --output-junit "$tmp/p/j.xml") \
        >"$tmp/ctest.out" 2>&1 || fail "ctest failed: $(cat "$tmp/ctest.out")"
    grep -q 'as_nobody .*Skipped' "$tmp/ctest.out" || fail "as_nobody not skipped: $(cat "$tmp/ctest.out")"
    check 0 "$tmp/p/j.xml"
    contains out "skips: 1 of 2 tests skipped:"
    contains out "as_nobody: SKIP(no-root): creating cgroups and moving processes into them needs root"
    check 1 --ci "$tmp/p/j.xml"
    contains err "as_nobody skipped for no-root, which the CI machine must not lack"
fi
finish

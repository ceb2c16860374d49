#!/usr/bin/env bash
# cli_target.sh: `kisim target`, the latency-sensitive service. Usage errors exit 2 naming the
# option; it serves / (with work), /healthz (without) and keeps serving after bad requests; the
# CPU it burns is real: the process's CPU time, read from /proc/PID/stat (independent of the
# server's own clock), is within tolerance of requests x --cpu-us; the working-set walk costs CPU
# in proportion to its size; SIGTERM and SIGINT exit 0. As root with cgroup v1, a replica in a
# cgroup with a 2% CPU quota takes at least the quota's time for a request (throttling shows as
# latency, not as less work).
source "$(dirname "$0")/lib.sh"

run 2 target
contains err "--listen HOST:PORT is required"
run 2 target --listen 127.0.0.1:0 --cpu-us ten
contains err "--cpu-us: expected an integer in [0, 10000000], got \"ten\""
run 2 target --listen 127.0.0.1:0 --working-set-kb -1
contains err "--working-set-kb"
run 2 target --listen 127.0.0.1:0 --threads 0
contains err "--threads"
run 2 target --listen localhost-ish
contains err "--listen: expected HOST:PORT"
run 2 target --listen 127.0.0.1:70000
contains err "--listen"
run 2 target --listen nohost:80
contains err "expected an IPv4 address, got \"nohost\""
run 2 target --listen 127.0.0.1:0 --bogus 1
contains err "unknown argument \"--bogus\""
run 2 target --listen
contains err "--listen: missing its value"
run 0 target --help
contains out "--working-set-kb N"

pid=""
# start ARGS...: starts kisim target on a free port; sets pid and url.
start() {
    "$KISIM" target --listen 127.0.0.1:0 "$@" >"$tmp/target.out" 2>"$tmp/target.err" &
    pid=$!
    url=""
    for _ in $(seq 100); do
        port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$tmp/target.out")
        [ -n "$port" ] && url="http://127.0.0.1:$port" && return 0
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    fail "kisim target $* did not start: $(cat "$tmp/target.err")"
    return 1
}
# stop SIGNAL: stops it and checks the exit code is 0.
stop() {
    checks=$((checks + 1))
    kill "-$1" "$pid"
    wait "$pid"
    local rc=$?
    [ "$rc" = 0 ] || fail "kisim target after SIG$1: exit code $rc, want 0 ($(cat "$tmp/target.err"))"
    pid=""
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; } # utime + stime, all threads
cg=/sys/fs/cgroup/cpu/kisim-test-target.$$
cleanup() {
    [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    [ -d "$cg" ] && rmdir "$cg"
    rm -rf "$tmp"
}
trap cleanup EXIT

cpu_us=4000
start --cpu-us $cpu_us || { finish; exit 1; }
checks=$((checks + 1))
code=$(curl -s -m 10 -o "$tmp/body" -w '%{http_code}' "$url/healthz")
[ "$code" = 200 ] && grep -qx ok "$tmp/body" || fail "/healthz: $code $(cat "$tmp/body")"

# A port in use: a clear error, exit 1.
run 1 target --listen "127.0.0.1:$port"
contains err "cannot serve on 127.0.0.1:$port"

# Bad requests (a method it does not serve, garbage instead of HTTP), then it still serves.
checks=$((checks + 1))
code=$(curl -s -m 10 -o /dev/null -w '%{http_code}' -X POST -d payload "$url/")
[ "$code" = 405 ] || fail "POST /: status $code, want 405"
printf 'NOT HTTP AT ALL\r\n\r\n' >"/dev/tcp/127.0.0.1/$port" 2>/dev/null || true
checks=$((checks + 1))
curl -s -m 10 -D "$tmp/headers" -o "$tmp/body" "$url/some/path" || fail "GET after bad requests failed"
grep -qx ok "$tmp/body" || fail "GET after bad requests: body $(cat "$tmp/body")"

# Each request's wall time is at least its CPU time (curl's clock), and the header reports
# the thread CPU time used, at least --cpu-us.
checks=$((checks + 1))
used=$(tr -d '\r' <"$tmp/headers" | sed -n 's/^X-Kisim-Cpu-Us: //Ip')
[ -n "$used" ] && [ "$used" -ge $cpu_us ] || fail "X-Kisim-Cpu-Us \"$used\", want >= $cpu_us"
checks=$((checks + 1))
wall=$(curl -s -m 10 -o /dev/null -w '%{time_total}' "$url/")
awk -v w="$wall" -v c=$cpu_us 'BEGIN { exit !(w * 1e6 >= c) }' || fail "a request took ${wall}s, less than its ${cpu_us} us of CPU"

# The CPU is really burnt: N requests cost the process N x cpu_us of CPU time, +-, per /proc.
n=150
hz=$(getconf CLK_TCK)
before=$(cpu_ticks "$pid")
for _ in $(seq $n); do curl -s -m 10 -o /dev/null "$url/"; done
after=$(cpu_ticks "$pid")
checks=$((checks + 1))
awk -v d=$((after - before)) -v hz="$hz" -v n=$n -v c=$cpu_us 'BEGIN {
    got = d / hz; want = n * c / 1e6
    printf "CPU for %d requests of %d us: %.3f s (expected %.3f s)\n", n, c, got, want
    exit !(got >= 0.85 * want && got <= 1.6 * want + 0.1) }' ||
    fail "the process's CPU time does not match $n x $cpu_us us"
stop TERM

# The working-set walk: 32 MiB in random order is 524288 dependent loads, at least 1 ns each, so
# a request with --cpu-us 0 uses at least 524 us; with no working set it uses far less.
start --cpu-us 0 --working-set-kb 32768 || { finish; exit 1; }
curl -s -m 30 -o /dev/null "$url/" # the first pass also faults pages in
checks=$((checks + 1))
used=$(curl -s -m 30 -D - -o /dev/null "$url/" | tr -d '\r' | sed -n 's/^X-Kisim-Cpu-Us: //Ip')
[ -n "$used" ] && [ "$used" -ge 524 ] || fail "32 MiB walk used \"$used\" us of CPU, want >= 524"
echo "32 MiB working-set walk: $used us of CPU"
stop INT
contains target.err "SIGINT: stopping after"

# Throttling: 2 ms of CPU per 100 ms period; a request of 50 ms of CPU needs at least 24 full
# periods, 2.4 s of wall time, yet still uses its 50 ms of CPU.
[ "$(id -u)" = 0 ] || skip no-root "the throttling check needs root"
[ -w /sys/fs/cgroup/cpu ] || skip no-cgroup "the throttling check needs the cgroup v1 cpu hierarchy"
start --cpu-us 50000 || { finish; exit 1; }
mkdir "$cg" && echo 100000 >"$cg/cpu.cfs_period_us" && echo 2000 >"$cg/cpu.cfs_quota_us" &&
    echo "$pid" >"$cg/cgroup.procs" || fail "cannot set up the cgroup $cg"
checks=$((checks + 1))
out=$(curl -s -m 30 -D - -o /dev/null -w 'wall=%{time_total}\n' "$url/" | tr -d '\r')
used=$(sed -n 's/^X-Kisim-Cpu-Us: //Ip' <<<"$out")
wall=$(sed -n 's/^wall=//p' <<<"$out")
echo "throttled to 2%: a 50 ms CPU request took ${wall}s of wall time, ${used} us of CPU"
awk -v w="$wall" -v u="$used" 'BEGIN { exit !(w >= 2.0 && u >= 50000 && u < 80000) }' ||
    fail "throttled request: wall ${wall}s (want >= 2.0), CPU ${used} us (want 50000..80000)"
stop TERM
finish

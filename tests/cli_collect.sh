#!/usr/bin/env bash
# cli_collect.sh: `kisim collect`, the eBPF telemetry collector. Usage errors exit 2 naming the
# option; without capabilities (setpriv, user nobody) it exits 1 saying what is missing; it mounts
# tracefs where it is missing (checked in a private mount namespace); SIGTERM detaches everything;
# as root collect_check.py runs known CPU, disk and network activity in one cgroup node and checks the
# frames against the known activity, the process's schedstat, /proc/stat, /proc/diskstats and
# /proc/net/dev. Needs root, BTF, cgroup v1, setpriv and unshare for the privileged part and says so
# when it skips it.
source "$(dirname "$0")/lib.sh"

run 2 collect
contains err "either --publish or --connect"
run 2 collect --node m --publish tcp://127.0.0.1:1 --interval-ms ten
contains err "--interval-ms"
run 2 collect --node "bad name" --publish tcp://127.0.0.1:1
contains err "--node"
run 2 collect --node a=no/such/cgroup-kisim --publish tcp://127.0.0.1:1
contains err "no cgroup"
run 2 collect --node m --node m --publish tcp://127.0.0.1:1
contains err "used twice"
run 2 collect --node m --publish tcp://127.0.0.1:1 --bogus
contains err "unknown option"
run 0 collect --help
contains out "--connect ENDPOINT"
run 2 bench collect --runs 0
contains err "--runs"
run 2 bench collect --writers 99
contains err "--writers"
run 0 bench collect --help
contains out "--pps N"

port=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
what="the privileged collector checks"
[ "$(id -u)" = 0 ] || skip no-root "$what need root"
[ -r /sys/kernel/btf/vmlinux ] || skip no-btf "$what need kernel BTF at /sys/kernel/btf/vmlinux"
[ -d /sys/fs/cgroup/cpu ] || skip no-cgroup "$what need the cgroup v1 cpu hierarchy (the activity test creates v1 cgroups)"
for tool in setpriv unshare bpftool; do
    command -v $tool >/dev/null || skip no-tool "$what need $tool"
done

# Without capabilities: a plain message and exit 1, before touching the kernel.
checks=$((checks + 1))
setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all \
    "$KISIM" collect --node m --publish "tcp://127.0.0.1:$port" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" = 1 ] || fail "unprivileged collect: exit code $rc, want 1 ($(cat "$tmp/err"))"
contains err "CAP_BPF"
# Root's uid with only CAP_BPF: still refused, naming CAP_PERFMON; with CAP_BPF and CAP_PERFMON
# (no CAP_SYS_ADMIN) it loads, attaches and publishes.
checks=$((checks + 1))
setpriv --bounding-set=-all,+bpf "$KISIM" collect --node m --publish "tcp://127.0.0.1:$port" \
    >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" = 1 ] || fail "collect with CAP_BPF only: exit code $rc, want 1 ($(cat "$tmp/err"))"
contains err "missing: CAP_PERFMON"
checks=$((checks + 1))
timeout 60 setpriv --bounding-set=-all,+bpf,+perfmon "$KISIM" collect --node m \
    --publish "tcp://127.0.0.1:$port" --interval-ms 200 --count 2 >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" = 0 ] || fail "collect with CAP_BPF and CAP_PERFMON: exit code $rc, want 0 ($(cat "$tmp/err"))"
contains err "stopped after 2 frame(s)"

# tracefs: in a private mount namespace where it is not mounted, the collector mounts it (the
# machine's own mount is untouched). Then SIGTERM: exit 0, and none of its programs or links left.
checks=$((checks + 1))
unshare -m --propagation private sh -c '
    umount /sys/kernel/tracing 2>/dev/null; umount /sys/kernel/debug/tracing 2>/dev/null
    [ ! -d /sys/kernel/tracing/events ] || { echo "tracefs still mounted"; exit 3; }
    "$1" collect --node m --publish "tcp://127.0.0.1:$2" --interval-ms 200 --count 1 || exit 4
    [ -d /sys/kernel/tracing/events ] || { echo "tracefs not mounted"; exit 5; }' sh "$KISIM" "$port" \
    >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" = 0 ] || fail "collect without tracefs: exit $rc ($(cat "$tmp/out" "$tmp/err"))"
contains err "mounted tracefs on /sys/kernel/tracing"
checks=$((checks + 1))
"$KISIM" collect --node m --publish "tcp://127.0.0.1:$port" --interval-ms 200 >"$tmp/out" 2>"$tmp/err" &
pid=$!
ids=""
for _ in $(seq 100); do # attached once its fds name its programs' ids
    ids=$(cat /proc/$pid/fdinfo/* 2>/dev/null | sed -n 's/^prog_id:[[:space:]]*//p' | sort -u)
    [ "$(echo "$ids" | grep -c .)" -ge 3 ] && grep -q "every 200 ms" "$tmp/err" && break
    sleep 0.2
done
kill -TERM $pid
wait $pid
rc=$?
[ "$rc" = 0 ] || fail "collect after SIGTERM: exit $rc, want 0 ($(cat "$tmp/err"))"
contains err "detaching"
checks=$((checks + 1))
[ -n "$ids" ] || fail "SIGTERM check: never saw the collector's program ids"
# The kernel frees a program after an RCU grace period once its last fd is closed, so a program
# may still be listed for a moment after the collector has exited: allow it 5 s.
for id in $ids; do
    for _ in $(seq 50); do
        bpftool prog show id "$id" >/dev/null 2>&1 || break
        sleep 0.1
    done
    bpftool prog show id "$id" >/dev/null 2>&1 && fail "program id $id still loaded 5 s after SIGTERM"
done

# kisim bench collect: one short run under a light load prints each program and the total.
run 0 bench collect --runs 1 --seconds 2 --warmup 1 --pps 2000 --writers 1
contains out "BPF on_tx"
contains out "BPF on_complete"
contains out "total"
checks=$((checks + 1)) # at least the paced 2,000/s (other loopback traffic on the machine adds to it)
pps=$(sed -n 's/^  load: \([0-9]*\) loopback packets\/s.*/\1/p' "$tmp/out")
[ "${pps:-0}" -ge 1800 ] || fail "bench collect: the load did not run at 2,000 packets/s: $(grep load: "$tmp/out")"

# The collector counts every event on the machine: tests running beside it only add load, which
# the checks allow for (they compare against /proc over the same interval).
checks=$((checks + 1))
$PY "$SRC/tests/collect_check.py" "$KISIM" "$port" || fail "collect_check.py (see its FAIL lines)"
finish

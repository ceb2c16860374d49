#!/usr/bin/env bash
# cli_collect.sh: `kisim collect`, the eBPF telemetry collector. Usage errors exit 2 naming the
# option; without capabilities (setpriv, user nobody) it exits 1 saying what is missing; as root
# collect_check.py runs known CPU, disk and network activity in one cgroup node and checks the
# frames against cpuacct, /proc/diskstats and /proc/net/dev. Needs root, BTF and cgroup v1 for the
# last part and says so when it skips it.
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

port=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
why=""
[ "$(id -u)" = 0 ] || why="not root"
[ -n "$why" ] || [ -r /sys/kernel/btf/vmlinux ] || why="no kernel BTF at /sys/kernel/btf/vmlinux"
[ -n "$why" ] || [ -d /sys/fs/cgroup/cpu ] || why="no cgroup v1 cpu hierarchy (the activity test creates v1 cgroups)"
[ -n "$why" ] || command -v setpriv >/dev/null || why="no setpriv"
if [ -n "$why" ]; then
    echo "SKIP: the privileged collector checks need root, BTF, cgroup v1 and setpriv: $why"
    finish
    exit $?
fi

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

# The collector counts every event on the machine: tests running beside it only add load, which
# the checks allow for (they compare against /proc over the same interval).
checks=$((checks + 1))
$PY "$SRC/tests/collect_check.py" "$KISIM" "$port" || fail "collect_check.py (see its FAIL lines)"
finish

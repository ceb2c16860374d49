#!/usr/bin/env bash
# cli_local_stale.sh: the local backend never leaves processes or cgroups behind. `kisim eval` on
# a local config is killed with SIGKILL in the middle of an episode (replicas, noisy neighbour,
# collector and Locust running); the next start (`kisim env serve` on the same config) removes
# the dead run's cgroups and kills what still ran in them, and a SIGTERM to that server removes
# its own. A non-root run gets a clear message and exit code 1. Needs root, cgroups, BTF,
# stress-ng and Locust for the rest, and says which is missing when it skips. Uses its own cgroup
# parent (kisim-test-stale-PID) so it never touches another run's groups.
source "$(dirname "$0")/lib.sh"

parent="kisim-test-stale-$$"
chmod a+rx "$tmp" # the non-root run below reads the config
cat >"$tmp/local.json" <<EOF
{
  "env": {"backend": "local", "horizon_s": 120, "decision_interval_s": 5, "max_nodes": 4, "window": 2},
  "cluster": {"node_types": [{"name": "small", "count": 2, "cores": 0.5, "memory_gib": 1}]},
  "workload": {"service": {"base_service_ms": 1, "cpu_request": 0.1, "memory_gib": 0.125,
                           "initial_replicas": 2, "max_replicas": 2},
               "background": {"initial_pods": 1, "arrival_prob": 0}},
  "load": {"pattern": "ramp", "rate_per_user": 2, "ramp": {"start": 5, "end": 5, "duration_s": 60}},
  "local": {"cgroup_parent": "$parent", "run_dir": "$tmp", "startup_timeout_s": 60}
}
EOF

what="killing a local env and cleaning up after it"
[ "$(id -u)" = 0 ] || skip no-root "$what needs root"
[ -r /sys/kernel/btf/vmlinux ] || skip no-btf "$what needs kernel BTF (the collector)"
[ -x /usr/bin/stress-ng ] || skip no-tool "$what needs /usr/bin/stress-ng"
[ -x /usr/bin/locust ] || skip no-tool "$what needs /usr/bin/locust"
[ -d /sys/fs/cgroup/cpu ] || [ -f /sys/fs/cgroup/cgroup.controllers ] || skip no-cgroup "$what needs cgroups"
if [ -d /sys/fs/cgroup/cpu ]; then root=/sys/fs/cgroup/cpu; else root=/sys/fs/cgroup; fi

# Without root: a clear message and exit 1, before anything is created.
if command -v setpriv >/dev/null; then
    checks=$((checks + 1))
    setpriv --reuid=65534 --regid=65534 --clear-groups "$KISIM" eval --config "$tmp/local.json" \
        --scorer k8s-default --episodes 1 --quiet >"$tmp/out" 2>"$tmp/err"
    rc=$?
    [ "$rc" = 1 ] || fail "non-root eval: exit code $rc, want 1 ($(cat "$tmp/err"))"
    contains err "needs root"
    [ ! -d "$root/$parent" ] || fail "a non-root run created $root/$parent"
fi

# 1. An eval, killed with SIGKILL once its replicas serve traffic (Locust is up).
"$KISIM" eval --config "$tmp/local.json" --scorer k8s-default --episodes 1 --quiet \
    >"$tmp/eval.out" 2>"$tmp/eval.err" &
victim=$!
deadline=$((SECONDS + 90))
inst=""
while [ $SECONDS -lt $deadline ]; do
    inst=$(ls "$root/$parent" 2>/dev/null | head -n 1)
    [ -n "$inst" ] && [ -d "$root/$parent/$inst/locust" ] && break
    kill -0 $victim 2>/dev/null || break
    sleep 0.5
done
checks=$((checks + 1))
if [ -z "$inst" ] || [ ! -d "$root/$parent/$inst/locust" ]; then
    fail "eval never got its traffic going: $(cat "$tmp/eval.err")"
    kill -TERM $victim 2>/dev/null
    wait $victim
    finish
    exit $?
fi
sleep 2
procs_before=$(find "$root/$parent/$inst" -name cgroup.procs -exec cat {} + | wc -l)
kill -KILL $victim
wait $victim 2>/dev/null
sleep 1
# The dead run's groups are still there (that is what the next start must clean).
checks=$((checks + 1))
[ -d "$root/$parent/$inst" ] || fail "the killed run's cgroup $root/$parent/$inst vanished by itself"
procs_after=$(find "$root/$parent/$inst" -name cgroup.procs -exec cat {} + 2>/dev/null | sort -u)
echo "killed run $inst: $procs_before processes before SIGKILL, $(echo "$procs_after" | grep -c .) still running"
checks=$((checks + 1))
[ "$procs_before" -ge 5 ] || fail "expected replicas, noisy neighbour, batch pod, collector and Locust (>= 5 processes), saw $procs_before"

# 2. The next start removes it and kills what survived.
"$KISIM" env serve --config "$tmp/local.json" --bind "ipc://$tmp/serve.ipc" >"$tmp/serve.out" 2>"$tmp/serve.err" &
server=$!
deadline=$((SECONDS + 90))
while [ $SECONDS -lt $deadline ] && ! grep -q endpoint "$tmp/serve.out"; do
    kill -0 $server 2>/dev/null || break
    sleep 0.2
done
checks=$((checks + 1))
grep -q endpoint "$tmp/serve.out" || fail "env serve did not start: $(cat "$tmp/serve.err")"
checks=$((checks + 1))
[ ! -e "$root/$parent/$inst" ] || fail "the stale cgroup $root/$parent/$inst is still there"
for p in $procs_after; do
    checks=$((checks + 1))
    if [ -e "/proc/$p" ] && [ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" != Z ]; then
        fail "process $p of the killed run still runs: $(tr '\0' ' ' <"/proc/$p/cmdline")"
    fi
done
checks=$((checks + 1))
[ ! -e "$tmp/kisim-local-$inst" ] || fail "the killed run's folder $tmp/kisim-local-$inst is still there"
contains serve.err "removed 1 stale instance"

# 3. SIGTERM: the server frees its env; nothing of either run is left.
kill -TERM $server
wait $server
rc=$?
checks=$((checks + 1))
[ "$rc" = 0 ] || fail "env serve after SIGTERM: exit code $rc ($(cat "$tmp/serve.err"))"
checks=$((checks + 1))
[ ! -e "$root/$parent" ] || fail "cgroups left after SIGTERM: $(ls -R "$root/$parent" | head -20)"
checks=$((checks + 1))
ls "$tmp" | grep -q kisim-local- && fail "run folders left: $(ls "$tmp")"
finish

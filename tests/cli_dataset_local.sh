#!/usr/bin/env bash
# cli_dataset_local.sh: `kisim dataset` on the local backend (configs/local_cluster.json: three
# 0.6-CPU node cgroups, one noisy neighbour of one core) writes meaningful labels, read from the
# backend's own true state (sched_truth). While the dataset runs, the test watches the cgroup
# tree for the noisy neighbour's group (<instance>/n<i>/noisy<k>, a new one each episode): in
# every event of an episode that node, and only that one, must carry contention label 0; its inflation must be at least the neighbour's
# demand over the node's cores (1 / 0.6); latency labels must agree with the inflation; empty
# slots carry zeros; the oracle never puts a replica on the noisy node. Afterwards nothing of the
# run is left. Needs root, cgroups, BTF, stress-ng and Locust; exits 77 (skipped) without them.
# Uses its own cgroup parent (kisim-test-dataset-PID) and a 20 s horizon (episodes hold few
# decisions: the initial replicas, then batch arrivals and HPA steps). About a minute.
source "$(dirname "$0")/lib.sh"

what="a dataset from the local backend"
[ "$(id -u)" = 0 ] || skip no-root "$what needs root (cgroups, the eBPF collector)"
[ -r /sys/kernel/btf/vmlinux ] || skip no-btf "$what needs kernel BTF (the collector)"
[ -x /usr/bin/stress-ng ] || skip no-tool "$what needs /usr/bin/stress-ng"
[ -x /usr/bin/locust ] || skip no-tool "$what needs /usr/bin/locust"
[ -d /sys/fs/cgroup/cpu ] || [ -f /sys/fs/cgroup/cgroup.controllers ] || skip no-cgroup "$what needs cgroups"
if [ -d /sys/fs/cgroup/cpu ]; then root=/sys/fs/cgroup/cpu; else root=/sys/fs/cgroup; fi

parent="kisim-test-dataset-$$"
events=6
$PY - "$SRC/configs/local_cluster.json" "$tmp/local.json" "$parent" "$tmp" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
c["local"]["cgroup_parent"] = sys.argv[3]
c["local"]["run_dir"] = sys.argv[4]
c["env"]["horizon_s"] = 20
assert c["local"]["noisy"]["nodes"] == 1 and c["cluster"]["node_types"][0]["count"] == 3
json.dump(c, open(sys.argv[2], "w"))
EOF

pid=""
cleanup() {
    # Only the dataset run this test started; its own SIGTERM handler removes its cgroups.
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid"
        wait "$pid"
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

start=$SECONDS
timeout -s TERM 240 "$KISIM" dataset --config "$tmp/local.json" --scorer k8s-default \
    --events $events --seed 5 --out "$tmp/ds.jsonl" --quiet >"$tmp/out" 2>"$tmp/err" &
pid=$!
# The noisy neighbour's group (node/name), seen in the cgroup tree while the run lasts; episode
# i's is the i-th distinct one (each episode starts a new pod, whose name is never reused).
: >"$tmp/seen"
while kill -0 $pid 2>/dev/null; do
    for g in "$root/$parent"/*/n*/noisy*; do
        [ -d "$g" ] && echo "$(basename "$(dirname "$g")")/$(basename "$g")" >>"$tmp/seen"
    done
    sleep 0.2
done
awk '!seen[$0]++' "$tmp/seen" >"$tmp/noisy"
wait $pid
rc=$?
pid=""
echo "kisim dataset: exit code $rc after $((SECONDS - start)) s"
checks=$((checks + 1))
[ "$rc" = 0 ] || fail "kisim dataset on a local config: exit code $rc ($(tail -c 800 "$tmp/err"))"
echo "noisy neighbour per episode: $(tr '\n' ' ' <"$tmp/noisy")"
checks=$((checks + 1))
[ -s "$tmp/noisy" ] || fail "no noisy neighbour seen in $root/$parent"

if [ "$rc" = 0 ]; then
    checks=$((checks + 1))
    $PY - "$tmp/ds.jsonl" "$events" "$tmp/noisy" <<'EOF' || fail "dataset labels"
import json, sys
path, want = sys.argv[1], int(sys.argv[2])
# episode i -> the node of the i-th noisy neighbour group seen ("n2/noisy5" -> 2)
seen = [int(l.split("/")[0][1:]) for l in open(sys.argv[3]) if l.strip()]
ev = [json.loads(l) for l in open(path)]
bad = []
def check(ok, msg):
    if not ok: bad.append(msg)
check(len(ev) == want, f"{len(ev)} events, want {want}")
episodes = sorted({e["episode"] for e in ev})
check(episodes == list(range(len(seen))),
      f"episodes {episodes} in the dataset, {len(seen)} noisy neighbours seen: {seen}")
check(all(x in (0, 1, 2) for x in seen), f"noisy nodes {seen}")
floor = 1.0 / 0.6  # the neighbour's demand (1 worker at 100%) over the node's 0.6 cores
replicas = 0
for e in ev:
    k = f"episode {e['episode']} event {e['step']}"
    noisy = seen[e["episode"]] if e["episode"] < len(seen) else -1
    N, lab, m = e["n"], e["labels"], e["node_mask"]
    check(e["seed"] == 5 + e["episode"], f"{k}: seed {e['seed']}")
    check(N == 16 and all(len(lab[x]) == N for x in ("contention", "latency", "inflation", "bootstrap")),
          f"{k}: label lengths")
    check(len(m) == N and all(v in (0, 1) for v in m), f"{k}: node_mask")
    check(0 <= e["chosen"] < 3 and m[e["chosen"]] == 1, f"{k}: chosen {e['chosen']} not a candidate")
    check(0 <= e["oracle"] < 3 and m[e["oracle"]] == 1, f"{k}: oracle {e['oracle']} not a candidate")
    check(e["outcome"] == "running", f"{k}: outcome {e['outcome']}")
    for i in range(N):
        c, l, x = lab["contention"][i], lab["latency"][i], lab["inflation"][i]
        if i >= 3:
            # (bootstrap is 1 there: the formula over all-zero telemetry, as in the sim)
            check(m[i] == 0 and c == 0 and l == 0 and x == 0 and lab["bootstrap"][i] == 1,
                  f"{k}: empty slot {i} has labels {c} {l} {x} {lab['bootstrap'][i]}")
            continue
        check(c in (0, 1) and l in (0, 1), f"{k}: node {i} labels {c} {l}")
        check(c == (0 if i == noisy else 1),
              f"{k}: node {i} contention label {c}, the noisy neighbour runs on n{noisy}")
        check(x >= 1, f"{k}: node {i} inflation {x} < 1")
        if abs(x - 1.25) > 1e-6:
            check(l == (1 if x <= 1.25 else 0), f"{k}: node {i} latency {l} with inflation {x}")
        if i == noisy:
            check(x >= floor - 1e-6, f"{k}: noisy node inflation {x}, want >= {floor:.4f}")
        check(-1 <= lab["bootstrap"][i] <= 1.5, f"{k}: node {i} bootstrap {lab['bootstrap'][i]}")
    if e["pod"][10] == 1:
        replicas += 1
        quiet = [i for i in range(3) if m[i] and i != noisy]
        if quiet:
            check(e["oracle"] != noisy, f"{k}: the oracle put a replica on the noisy node")
check(replicas >= 2, f"{replicas} replica events, want the initial 2")
for b in bad[:20]:
    print("FAIL:", b, file=sys.stderr)
print(f"{len(ev)} events in {len(episodes)} episodes, {replicas} replica placements, noisy nodes "
      f"{seen}: {len(bad)} label problems")
sys.exit(1 if bad else 0)
EOF
fi

# Nothing of the run is left.
checks=$((checks + 1))
[ ! -e "$root/$parent" ] || fail "cgroups left: $(ls -R "$root/$parent" | head -20)"
checks=$((checks + 1))
ls "$tmp" | grep -q kisim-local- && fail "run folders left: $(ls "$tmp")"
finish

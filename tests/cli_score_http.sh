#!/usr/bin/env bash
# cli_score_http.sh: the extender end to end through the binary: `kisim score serve --http` on
# 127.0.0.1 (port 0), telemetry replayed into its --telemetry socket with `kisim telemetry replay`,
# then curl with kube-scheduler's JSON: prioritize (scores 0..10, the neutral 5 without models),
# filter in the Nodes form failing the node whose replayed memory_utilization leaves too little
# memory, a malformed body (400, still serving), /metrics through promtool, SIGTERM -> exit 0.
source "${KISIM_SOURCE_DIR:-.}/tests/lib.sh"
command -v curl >/dev/null || { fail "curl missing"; finish; exit 1; }
command -v promtool >/dev/null || { fail "promtool missing (experiments/install_deps.sh installs prometheus)"; finish; exit 1; }

"$KISIM" score serve --zmq "ipc://$tmp/score.sock" --http 127.0.0.1:0 \
    --telemetry tcp://127.0.0.1:0 >"$tmp/serve.out" 2>"$tmp/serve.err" &
pid=$!
for _ in $(seq 100); do grep -q '^telemetry ' "$tmp/serve.out" 2>/dev/null && break; sleep 0.1; done
port=$(awk '/^http /{print $2}' "$tmp/serve.out")
tele=$(awk '/^telemetry /{print $2}' "$tmp/serve.out")
[ -n "$port" ] && [ -n "$tele" ] || { fail "score serve did not print its ports: $(cat "$tmp/serve.err")"; kill "$pid"; finish; exit 1; }
url="http://127.0.0.1:$port"

# Two nodes' frames: "busy" has 90% of its memory in use, "calm" 20%.
now=$(date +%s%3N)
for n in busy calm; do
    m=$([ $n = busy ] && echo 0.9 || echo 0.2)
    echo "{\"v\":1,\"node\":\"$n\",\"ts_ms\":$now,\"features\":[0.3,0,$m,5,0.2,8,1,100,1000,1000,0,null,null,null,null],\"available\":[1,1,1,1,1,1,1,1,1,1,1,0,0,0,0],\"pods\":{}}"
done >"$tmp/frames.jsonl"
run 0 telemetry replay "$tmp/frames.jsonl" --connect "$tele" --rate 100 --wait-ms 300
for _ in $(seq 50); do
    curl -s "$url/metrics" | grep -q '^kisim_score_telemetry_nodes 2' && break
    sleep 0.1
done

pod='{"metadata":{"name":"web-1","namespace":"shop","ownerReferences":[{"kind":"ReplicaSet","name":"web","controller":true}]},"spec":{"containers":[{"name":"w","resources":{"requests":{"cpu":"500m","memory":"2Gi"}}}]}}'
node() { echo "{\"metadata\":{\"name\":\"$1\"},\"status\":{\"capacity\":{\"cpu\":\"4\",\"memory\":\"16Gi\",\"pods\":\"110\"},\"allocatable\":{\"cpu\":\"4\",\"memory\":\"16Gi\",\"pods\":\"110\"}}}"; }
post() { curl -s -o "$tmp/$1.json" -w '%{http_code}' -H 'Content-Type: application/json' --data-binary "$3" "$url/scheduler/$2"; }

checks=$((checks + 1))
code=$(post prio prioritize "{\"Pod\":$pod,\"NodeNames\":[\"busy\",\"calm\",\"unknown\"]}")
[ "$code" = 200 ] || fail "prioritize: HTTP $code"
$PY - "$tmp/prio.json" <<'PYEOF' || fail "prioritize answer: $(cat "$tmp/prio.json")"
import json, sys
a = json.load(open(sys.argv[1]))
assert [h["Host"] for h in a] == ["busy", "calm", "unknown"], a
assert all(isinstance(h["Score"], int) and 0 <= h["Score"] <= 10 for h in a), a
assert a[2]["Score"] == 5, a   # no telemetry: the neutral 50 -> 5
PYEOF

checks=$((checks + 1))
code=$(post filter filter "{\"Pod\":$pod,\"Nodes\":{\"metadata\":{},\"items\":[$(node busy),$(node calm)]}}")
[ "$code" = 200 ] || fail "filter: HTTP $code"
$PY - "$tmp/filter.json" <<'PYEOF' || fail "filter answer: $(cat "$tmp/filter.json")"
import json, sys
r = json.load(open(sys.argv[1]))
assert [n["metadata"]["name"] for n in r["Nodes"]["items"]] == ["calm"], r
assert "busy" in r["FailedNodes"] and "memory_utilization 0.90" in r["FailedNodes"]["busy"], r
assert r["NodeNames"] is None and r["Error"] == "", r
PYEOF

checks=$((checks + 1))
code=$(post bad prioritize '{"Pod":{},"NodeNames":')
[ "$code" = 400 ] || fail "malformed body: HTTP $code, want 400"
grep -q '"Error"' "$tmp/bad.json" || fail "malformed body: no {\"Error\":...}: $(cat "$tmp/bad.json")"
checks=$((checks + 1))
[ "$(curl -s "$url/healthz")" = ok ] || fail "/healthz after a bad request"

checks=$((checks + 1))
curl -s "$url/metrics" >"$tmp/metrics.txt"
promtool check metrics <"$tmp/metrics.txt" >"$tmp/promtool.out" 2>&1 || fail "promtool check metrics: $(cat "$tmp/promtool.out")"
grep -q '^kisim_score_request_errors_total{verb="prioritize"} 1$' "$tmp/metrics.txt" || fail "the 400 was not counted"

# The extender's options: bad values are usage errors naming the option.
run 2 score serve --zmq "ipc://$tmp/usage.sock" --http 127.0.0.1:0 --filter-min-score 101
contains err "--filter-min-score"
run 2 score serve --zmq "ipc://$tmp/usage.sock" --http 127.0.0.1:0 --http-threads 0
contains err "--http-threads"
run 2 score serve --zmq "ipc://$tmp/usage.sock" --http 127.0.0.1
contains err "HOST:PORT"

kill -TERM "$pid"
wait "$pid"
rc=$?
checks=$((checks + 1))
[ "$rc" = 0 ] || fail "score serve exited $rc after SIGTERM: $(tail -3 "$tmp/serve.err")"
finish

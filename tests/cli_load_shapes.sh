#!/usr/bin/env bash
# cli_load_shapes.sh: the two implementations of the load patterns agree at every whole second
# over the horizon: loadgen/load.c (printed by `kisim load`) and the Locust shapes of
# loadgen/locustfile.py (run under a fake clock by load_shapes_check.py, no Locust run). Over the
# shipped configs and extra ones covering every pattern, levels at exactly k + 0.5 (rounding half
# up), a trace with a window that wraps, a trace in requests per second, and a hand-written trace
# with comments, a header and blank lines. The Python side reads the effective config (`kisim
# config show`); given a raw config it must say so.
source "$(dirname "$0")/lib.sh"
LF="$SRC/loadgen/locustfile.py"
NASA="$(cd "$SRC/configs/traces" && pwd)/nasa_1995_excerpt.csv"

# check NAME CONFIG [WANT_HALF]: queues kisim load vs the locustfile's shape over CONFIG's
# horizon (one Python process compares them all at the end: importing Locust is slow).
pairs=()
check() {
    local name=$1 cfg=$2
    run 0 config show "$cfg"
    cp "$tmp/out" "$tmp/$name.effective.json"
    run 0 load "$cfg"
    cp "$tmp/out" "$tmp/$name.c.csv"
    pairs+=("$tmp/$name.effective.json" "$tmp/$name.c.csv" "${3:-0}")
}

extra() { # extra NAME HORIZON LOAD_JSON: a config with only env.horizon_s and the load block
    printf '{"env": {"horizon_s": %s}, "load": %s}\n' "$2" "$3" >"$tmp/$1.json"
}

run 2 load
contains err "expected a CONFIG"
run 2 load "$SRC/configs/quickstart.json" --to ten
contains err "--to: expected an integer"
run 2 load "$SRC/configs/quickstart.json" --from 9 --to 3
contains err "--to 3 is before --from 9"
run 2 load "$SRC/configs/quickstart.json" --bogus
contains err "unknown option"
run 0 load --help
contains out "time_s,users,rate_rps"
run 0 load "$SRC/configs/quickstart.json" --from 600 --to 601
contains out "601,250,250"

for cfg in "$SRC"/configs/*.json; do
    check "shipped-$(basename "$cfg" .json)" "$(cd "$(dirname "$cfg")" && pwd)/$(basename "$cfg")"
done

extra ramp_half 60 '{"pattern": "ramp", "ramp": {"start": 0.5, "end": 20.5, "duration_s": 40}}'
extra ramp_down 150 '{"pattern": "ramp", "ramp": {"start": 250, "end": 3, "duration_s": 97}}'
extra spike 40 '{"pattern": "spike", "spike": {"base": 10.5, "height": 7.25, "at_s": 12.5, "width_s": 10}}'
extra periodic 200 '{"pattern": "periodic", "rate_per_user": 0.3,
                     "periodic": {"mean": 100, "amplitude": 80.5, "period_s": 37}}'
extra random 600 '{"pattern": "random", "random": {"min": 3, "max": 97.5, "interval_s": 7, "seed": 12345}}'
extra random_fast 120 '{"pattern": "random",
                        "random": {"min": 0, "max": 1000, "interval_s": 0.7, "seed": 9007199254740992}}'
extra trace_window 7300 "{\"pattern\": \"trace\", \"trace\": {\"path\": \"$NASA\", \"scale\": 20,
                          \"window_start_s\": 3600, \"window_end_s\": 7200}}"
extra trace_rps 1000 "{\"pattern\": \"trace\", \"rate_per_user\": 0.7,
                       \"trace\": {\"path\": \"$NASA\", \"scale\": 30, \"unit\": \"rps\",
                                   \"window_start_s\": 50000}}"
printf '# a comment\ntime,value\n0,0.5\n\n10, 10.5\n# another\n20 ,3\n25,3.5\n' >"$tmp/small.csv"
extra trace_small 30 '{"pattern": "trace", "trace": {"path": "small.csv"}}'

check ramp_half "$tmp/ramp_half.json" 1
check ramp_down "$tmp/ramp_down.json"
check spike "$tmp/spike.json" 1
check periodic "$tmp/periodic.json"
check random "$tmp/random.json"
check random_fast "$tmp/random_fast.json"
check trace_window "$tmp/trace_window.json"
check trace_rps "$tmp/trace_rps.json"
check trace_small "$tmp/trace_small.json" 1
checks=$((checks + 1))
$PY "$SRC/tests/load_shapes_check.py" "$LF" "${pairs[@]}" || fail "the C and Python load patterns differ"

# The expected values of a few seconds, from docs/LOAD.md's formulas by hand (not from either side):
# ramp_half at t=3: 0.5 + 20 * 3/40 = 2.0 -> 2; at t=1: 1.0 -> 1; at t=2: 1.5 -> 2 (half up).
checks=$((checks + 1))
got=$(sed -n '2,5p' "$tmp/ramp_half.c.csv" | cut -d, -f2 | tr '\n' ' ')
[ "$got" = "1 1 2 2 " ] || fail "ramp_half users at t=0..3: \"$got\", want \"1 1 2 2 \""
# spike: 10.5 -> 11 before 12.5 s; 17.75 -> 18 from t=13 to t=22; 11 from t=23.
checks=$((checks + 1))
got=$(sed -n '13p;14p;15p;23p;24p;25p' "$tmp/spike.c.csv" | cut -d, -f2 | tr '\n' ' ')
[ "$got" = "11 11 18 18 18 11 " ] || fail "spike users at t=11,12,13,21,22,23: \"$got\""
# trace_small at t=5: 0.5 + 10 * 5/10 = 5.5 -> 6; t=22: 3 + 0.5 * 2/5 = 3.2 -> 3; t=30: 3.5 -> 4.
checks=$((checks + 1))
got=$(sed -n '7p;24p;32p' "$tmp/trace_small.c.csv" | cut -d, -f2 | tr '\n' ' ')
[ "$got" = "6 3 4 " ] || fail "trace_small users at t=5,22,30: \"$got\", want \"6 3 4 \""

# A raw config (defaults not filled in): the Python side refuses it and says what to give.
checks=$((checks + 1))
$PY -c "
import importlib.util, sys
spec = importlib.util.spec_from_file_location('lf', '$LF'); lf = importlib.util.module_from_spec(spec)
spec.loader.exec_module(lf)
try:
    lf.shape_from_config('$SRC/configs/rl_test_config.json')
except lf.ConfigError as e:
    print(e); sys.exit(0 if 'kisim config show' in str(e) else 1)
sys.exit(1)" >"$tmp/out" 2>&1 || fail "a raw config: $(cat "$tmp/out")"
contains out "/load/rate_per_user: missing"
finish

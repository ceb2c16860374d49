"""load_shapes_check.py: compares `kisim load` (loadgen/load.c) with the Locust shapes of
loadgen/locustfile.py, second by second, for one config (used by cli_load_shapes.sh).

    load_shapes_check.py LOCUSTFILE [EFFECTIVE_CONFIG C_CSV WANT_HALF]...

The shape's tick() runs under a fake clock at t + 0.37 s for every whole second t of the C
output (tick() must use whole seconds), its users are compared with the C users, and the C
rate with users * rate_per_user. WANT_HALF 1 also requires that some level was exactly k + 0.5,
so that the config really tests rounding half up (Python's round() would give k there for even k).
Prints one summary line per config; exit 1 on any mismatch.
"""

import csv
import importlib.util
import math
import sys


def check(lf, config, c_csv, want_half):
    shape = lf.shape_from_config(config)
    with open(c_csv, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        print(f"FAIL {config}: no rows from kisim load")
        return 1
    bad, halves = [], 0
    now = [0.0]
    shape.get_run_time = lambda: now[0]
    for row in rows:
        t = int(row["time_s"])
        now[0] = t + 0.37
        tick = shape.tick()
        py_users = tick[0]
        c_users = int(row["users"])
        level = shape.level(float(t))
        if level - math.floor(level) == 0.5:
            halves += 1
        if py_users != c_users or py_users != shape.users(t):
            bad.append(f"t={t}: C {c_users}, Python {py_users} (level {level!r})")
        elif float(row["rate_rps"]) != c_users * shape.rate_per_user:
            bad.append(f"t={t}: C rate {row['rate_rps']}, want {c_users} * {shape.rate_per_user}")
        if tick[1] < 1:
            bad.append(f"t={t}: spawn rate {tick[1]} < 1")
    print(f"{config}: pattern {shape.name}, {len(rows)} seconds, {len(bad)} mismatches, "
          f"{halves} levels at k + 0.5, users {min(int(r['users']) for r in rows)}.."
          f"{max(int(r['users']) for r in rows)}")
    for b in bad[:10]:
        print("FAIL", b)
    if want_half and halves == 0:
        print(f"FAIL {config}: no level at k + 0.5; the config does not test rounding")
        return 1
    return 1 if bad else 0


def main():
    spec = importlib.util.spec_from_file_location("kisim_locustfile", sys.argv[1])
    lf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(lf)
    args = sys.argv[2:]
    if not args or len(args) % 3:
        print("usage: load_shapes_check.py LOCUSTFILE [EFFECTIVE_CONFIG C_CSV WANT_HALF]...")
        return 2
    failed = 0
    for i in range(0, len(args), 3):
        failed |= check(lf, args[i], args[i + 1], args[i + 2] == "1")
    return failed


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env bash
# check_skips.sh [--ci] JUNIT [REASONS]: reads the JUnit file of a ctest run (ctest
# --output-junit JUNIT) and prints how many tests skipped and each one's "SKIP(code): reason"
# line. Exits 1 when a test skipped (exit 77) without such a line, skipped with a code that is not
# in REASONS (default tests/skip_reasons.txt), or passed while printing a SKIP line (a skip
# counted as a pass); with --ci also when a test skipped for a reason not marked ci-ok there
# (the CI machine has root, BTF, tracefs, cgroups and experiments/install_deps.sh's programs).
set -euo pipefail
ci=0
if [ "${1:-}" = "--ci" ]; then
    ci=1
    shift
fi
junit=${1:?usage: check_skips.sh [--ci] JUNIT [REASONS]}
reasons=${2:-$(dirname "$0")/skip_reasons.txt}
exec /usr/bin/python3 - "$ci" "$junit" "$reasons" <<'PY'
import html, re, sys

ci, junit, reasons = sys.argv[1] == "1", sys.argv[2], sys.argv[3]
allowed = {}  # code -> acceptable on the CI machine
for line in open(reasons):
    f = line.split()
    if f and not f[0].startswith("#"):
        allowed[f[0]] = len(f) > 1 and f[1] == "ci-ok"
text = open(junit, errors="replace").read()
cases = re.findall(r'<testcase name="([^"]*)"[^>]*status="([^"]*)"[^>]*>(.*?)</testcase>', text, re.S)
skip_line = re.compile(r"^SKIP\(([^)]*)\): (.+)$", re.M)
problems, skipped = [], []
for name, status, body in cases:
    name = html.unescape(name)
    out = re.search(r"<system-out>(.*?)</system-out>", body, re.S)
    out = html.unescape(out.group(1)) if out else ""
    lines = skip_line.findall(out)
    if status == "notrun" and 'message="SKIP_RETURN_CODE' in body:
        if not lines:
            problems.append(f"{name} exited 77 without a SKIP(<code>): <reason> line")
            skipped.append((name, "?", "(no reason given)"))
            continue
        code, why = lines[-1]
        skipped.append((name, code, why))
        if code not in allowed:
            problems.append(f"{name} skipped for \"{code}\", which is not in {reasons}")
        elif ci and not allowed[code]:
            problems.append(f"{name} skipped for {code}, which the CI machine must not lack "
                            f"(not ci-ok in {reasons})")
    elif status == "run" and (lines or re.search(r"^SKIP\b", out, re.M)):
        problems.append(f"{name} passed but printed a SKIP line: a skip must exit 77")
print(f"skips: {len(skipped)} of {len(cases)} tests skipped{':' if skipped else ''}")
for name, code, why in skipped:
    print(f"  {name}: SKIP({code}): {why}")
for p in problems:
    print(f"check_skips: FAIL: {p}", file=sys.stderr)
sys.exit(1 if problems else 0)
PY

#!/usr/bin/env bash
# cli_python.sh: the Python client kisim_env (env/python) against real servers, with Debian's
# /usr/bin/python3 (pyzmq, numpy): the package imports with the names other parts rely on, and
# tests/python/test_kisim_env.py passes twice, on kisim_env's own spaces (gymnasium absent or
# hidden) and on gymnasium's (a stand-in module on PYTHONPATH, since Debian has no gymnasium).
# CTest sets KISIM and KISIM_SOURCE_DIR.
set -u
KISIM=${KISIM:?set KISIM to the kisim binary}
SRC=${KISIM_SOURCE_DIR:-.}
PY=/usr/bin/python3
export KISIM KISIM_SOURCE_DIR="$SRC"
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

PYTHONPATH="$SRC/env/python" $PY -c '
import kisim_env
from kisim_env import KisimEnv, KisimVectorEnv, InvalidAction
assert issubclass(InvalidAction, ValueError)
print("kisim_env", kisim_env.__version__, "gymnasium:", kisim_env.HAVE_GYMNASIUM)' \
    || fail "import kisim_env"

echo "== without gymnasium"
KISIM_ENV_NO_GYMNASIUM=1 EXPECT_GYMNASIUM=0 PYTHONPATH="$SRC/env/python" \
    timeout 300 $PY "$SRC/tests/python/test_kisim_env.py" || fail "tests without gymnasium"

echo "== with gymnasium (stand-in)"
EXPECT_GYMNASIUM=1 PYTHONPATH="$SRC/env/python:$SRC/tests/python/fake_gymnasium" \
    timeout 300 $PY "$SRC/tests/python/test_kisim_env.py" || fail "tests with gymnasium"

[ "$failures" = 0 ]

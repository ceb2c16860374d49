#!/usr/bin/env bash
# cli_deploy.sh: scheduler/deploy/ parses (python3-yaml) and its manifests agree with each other
# and with the code: extender routes and ports, collector endpoint, the binary's flags
# (tests/deploy_check.py says what exactly).
set -u
SRC=${KISIM_SOURCE_DIR:-.}
KISIM=${KISIM:?set KISIM to the kisim binary}
/usr/bin/python3 -c "import yaml" 2>/dev/null || { echo "FAIL: python3-yaml missing (experiments/install_deps.sh installs it)"; exit 1; }
exec /usr/bin/python3 "$SRC/tests/deploy_check.py" "$SRC" "$KISIM"

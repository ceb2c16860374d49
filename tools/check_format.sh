#!/usr/bin/env bash
# check_format.sh: every C file of the tree is formatted as .clang-format says (clang-format 14,
# Debian's). Lists the files that differ and exits 1; `tools/check_format.sh --fix` formats them.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null || { echo "check_format: clang-format is not installed (Debian package clang-format)" >&2; exit 2; }
mapfile -t files < <(git ls-files '*.c' '*.h')
if [ "${1:-}" = "--fix" ]; then
    clang-format -i "${files[@]}"
    exit 0
fi
bad=()
for f in "${files[@]}"; do
    clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if [ ${#bad[@]} -gt 0 ]; then
    printf 'check_format: not formatted: %s\n' "${bad[@]}" >&2
    echo "check_format: ${#bad[@]} of ${#files[@]} files differ from .clang-format (tools/check_format.sh --fix)" >&2
    exit 1
fi
echo "check_format: ${#files[@]} files formatted ($(clang-format --version | head -1))"

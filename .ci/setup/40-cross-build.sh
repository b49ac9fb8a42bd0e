#!/usr/bin/env bash
# Cross-building the Linux platform packages (issue 9): the Rust targets, and
# cargo-zigbuild with its zig (both from PyPI, pinned) in a venv under .ci/.tools,
# which `napi build -x` picks up through PATH (see .ci/lib/cross-env.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."

targets=(aarch64-unknown-linux-gnu)
# The musl builds are opt-in (see .ci/checks/43-musl.sh).
if [ "${TRACEMALLOC_CI_MUSL:-0}" = 1 ]; then targets+=(x86_64-unknown-linux-musl aarch64-unknown-linux-musl); fi
installed=$(rustup target list --installed)
missing=()
for t in "${targets[@]}"; do
  grep -qx "$t" <<<"$installed" || missing+=("$t")
done
if [ ${#missing[@]} -gt 0 ]; then
  rustup target add "${missing[@]}"
fi

venv=.ci/.tools/zig
if [ ! -x "$venv/bin/cargo-zigbuild" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check cargo-zigbuild==0.24.1 ziglang==0.17.1
fi
"$venv/bin/cargo-zigbuild" --version

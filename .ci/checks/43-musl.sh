#!/usr/bin/env bash
# linux-x64-musl and linux-arm64-musl (issue 9): cross-built with `napi build -x`
# (cargo-zigbuild) and checked as ELF files linking musl dynamically
# (.cargo/config.toml: -crt-static). They cannot run here (no musl Node.js on
# npm); the workflow tests them in Alpine containers.
# Off by default: the two builds cost about 90 s of CPU each (252 s of wall time
# together in a measured .ci/run on a loaded machine), which would take .ci/run
# near its 30-minute budget; the workflow builds musl on every push anyway.
# TRACEMALLOC_CI_MUSL=1 turns them on.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ "${TRACEMALLOC_CI_MUSL:-0}" != 1 ]; then
  echo "musl: not built by .ci/run (the workflow builds both); TRACEMALLOC_CI_MUSL=1 builds them here"
  exit 0
fi
export PATH="$PWD/.ci/.tools/zig/bin:$PATH"
command -v cargo-zigbuild >/dev/null || { echo "no cargo-zigbuild: run .ci/setup/40-cross-build.sh" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for spec in x86_64-unknown-linux-musl:linux-x64-musl:x86-64 aarch64-unknown-linux-musl:linux-arm64-musl:'ARM aarch64'; do
  IFS=: read -r target platform machine <<<"$spec"
  t0=$SECONDS
  npx napi build --platform --release --manifest-path crates/tracemalloc-napi/Cargo.toml -p tracemalloc-napi \
    -o "$work/$platform" --no-js --dts binding.d.ts --target "$target" -x
  bin="$work/$platform/tracemalloc.$platform.node"
  file "$bin" | grep -q "shared object, $machine" || { file "$bin"; echo "$platform: not a $machine shared object" >&2; exit 1; }
  needed=$(readelf -d "$bin" | grep NEEDED)
  grep -q '\[libc.so\]' <<<"$needed" || { echo "$needed"; echo "$platform: does not link musl's libc.so dynamically" >&2; exit 1; }
  if readelf -V "$bin" | grep -q GLIBC_; then echo "$platform: refers to glibc symbols" >&2; exit 1; fi
  echo "$platform: ok, built in $((SECONDS - t0)) s"
done

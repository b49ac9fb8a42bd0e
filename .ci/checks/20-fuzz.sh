#!/usr/bin/env bash
# A short fuzz pass: every cargo-fuzz target in fuzz/fuzz_targets/ runs for
# FUZZ_SECONDS (60 by default) from its seed corpus. A target's seeds come
# from fuzz/seeds/<target>.sh DIR when that script exists. Needs a nightly
# toolchain; installs cargo-fuzz when missing. Targets are built with
# optimizations and debug assertions, without a sanitizer by default (the
# readers are safe Rust, and ASan slows every run; FUZZ_SANITIZER=address
# brings it back). See docs/fuzzing.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
secs="${FUZZ_SECONDS:-60}"
sanitizer="${FUZZ_SANITIZER:-none}"
started=$SECONDS

if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  rustup toolchain install nightly --profile minimal
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi
echo "cargo-fuzz ready after $((SECONDS - started)) s"

mapfile -t targets < <(find fuzz/fuzz_targets -maxdepth 1 -name '*.rs' -printf '%f\n' | sed 's/\.rs$//' | sort)
if [ "${#targets[@]}" -eq 0 ]; then
  echo "no fuzz targets in fuzz/fuzz_targets" >&2
  exit 1
fi

cargo +nightly fuzz build -s "$sanitizer"
echo "fuzz targets built after $((SECONDS - started)) s: ${targets[*]}"

for t in "${targets[@]}"; do
  corpus="fuzz/corpus/$t"
  mkdir -p "$corpus"
  if [ -f "fuzz/seeds/$t.sh" ]; then
    bash "fuzz/seeds/$t.sh" "$corpus"
  fi
  echo "== fuzz $t for ${secs} s"
  cargo +nightly fuzz run -s "$sanitizer" "$t" "$corpus" -- \
    -max_total_time="$secs" -timeout=20 -rss_limit_mb=2048 -print_final_stats=1
done
echo "fuzzing done in $((SECONDS - started)) s"

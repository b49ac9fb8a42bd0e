#!/usr/bin/env bash
# A short fuzz pass over every cargo-fuzz target in fuzz/fuzz_targets/ (none
# is named here: targets added later run too), FUZZ_SECONDS each (30 by
# default). Each target starts from a temporary corpus, so the tree is left as
# it was found, holding:
#   - the committed seeds fuzz/corpus/<target>/seed-*, if any;
#   - the seeds that fuzz/seeds/<target>.sh DIR writes, if that script exists.
# fuzz/<target>.dict is passed as the dictionary when it exists. Targets are
# built optimised with debug assertions and without a sanitizer (the readers
# are safe Rust and ASan slows every run; FUZZ_SANITIZER=address brings it
# back). A crash, panic, timeout or out-of-memory fails the check, leaving the
# input in fuzz/artifacts/<target>/. Installs cargo-fuzz (and nightly) when
# missing. See docs/fuzzing.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
secs="${FUZZ_SECONDS:-30}"
sanitizer="${FUZZ_SANITIZER:-none}"
started=$SECONDS

if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  rustup toolchain install nightly --profile minimal
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "installing cargo-fuzz"
  cargo install cargo-fuzz --locked --quiet
fi
echo "cargo-fuzz ready after $((SECONDS - started)) s"

mapfile -t targets < <(find fuzz/fuzz_targets -maxdepth 1 -name '*.rs' -printf '%f\n' | sed 's/\.rs$//' | sort)
if [ "${#targets[@]}" -eq 0 ]; then
  echo "no fuzz targets in fuzz/fuzz_targets" >&2
  exit 1
fi

(cd fuzz && cargo +nightly fuzz build -O -a -s "$sanitizer")
echo "fuzz targets built after $((SECONDS - started)) s: ${targets[*]}"

for t in "${targets[@]}"; do
  corpus=$(mktemp -d)
  log=$(mktemp)
  if compgen -G "fuzz/corpus/$t/seed-*" >/dev/null; then
    cp fuzz/corpus/"$t"/seed-* "$corpus"/
  fi
  if [ -f "fuzz/seeds/$t.sh" ]; then
    bash "fuzz/seeds/$t.sh" "$corpus"
  fi
  dict=()
  if [ -f "fuzz/$t.dict" ]; then
    dict=("-dict=$PWD/fuzz/$t.dict")
  fi
  echo "== fuzz $t for ${secs} s ($(find "$corpus" -type f | wc -l) seeds)"
  status=0
  (cd fuzz && cargo +nightly fuzz run -O -a -s "$sanitizer" "$t" "$corpus" -- \
    -max_total_time="$secs" -max_len=65536 "${dict[@]}" -timeout=30 -rss_limit_mb=2048 \
    -print_final_stats=1) >"$log" 2>&1 || status=$?
  grep -E '^(stat::number_of_executed_units|stat::average_exec_per_sec|Done|==[0-9]+==|SUMMARY|thread)' "$log" || tail -n 20 "$log"
  rm -rf "$corpus" "$log"
  if [ "$status" -ne 0 ]; then
    echo "fuzz target $t failed (exit $status); the input is under fuzz/artifacts/$t" >&2
    exit 1
  fi
done
echo "fuzzing done in $((SECONDS - started)) s"

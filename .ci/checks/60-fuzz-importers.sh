#!/usr/bin/env bash
# A short fuzz pass over the V8 importers (fuzz/fuzz_targets/heapprofile.rs and
# heapsnapshot.rs): 45 s each from the committed seeds. A crash, a panic, a
# timeout or an out-of-memory fails the run. docs/fuzzing.md has the long run.
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  echo "the nightly toolchain is missing: cargo-fuzz needs it" >&2
  exit 1
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked --quiet
fi
cd fuzz
for target in heapprofile heapsnapshot; do
  # Work on a copy of the seeds, so the run leaves the tree as it found it.
  corpus=$(mktemp -d)
  cp corpus/"$target"/seed-* "$corpus"/
  log=$(mktemp)
  status=0
  cargo +nightly fuzz run -O -a -s none "$target" "$corpus" -- \
    -max_total_time=45 -max_len=65536 -dict="$target.dict" -rss_limit_mb=2048 -timeout=30 \
    -print_final_stats=1 >"$log" 2>&1 || status=$?
  grep -E '^(stat::number_of_executed_units|Done|==|SUMMARY|thread)' "$log" || tail -n 20 "$log"
  rm -rf "$corpus" "$log"
  if [ "$status" -ne 0 ]; then
    echo "fuzz target $target failed (exit $status); the crashing input is under fuzz/artifacts/$target" >&2
    exit 1
  fi
done

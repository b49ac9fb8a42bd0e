#!/usr/bin/env bash
# Lints .github/workflows with actionlint (installed by .ci/setup/42-actionlint.sh),
# and checks the workflows still run what .ci/run runs: the same lint commands,
# the same cargo-zigbuild pins, and every .ci check they name exists.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=.ci/.tools/bin/actionlint
[ -x "$bin" ] || bash .ci/setup/42-actionlint.sh
"$bin"
ci=.github/workflows/CI.yml
for cmd in 'cargo fmt --all -- --check' 'cargo clippy --workspace --all-targets -- -D warnings' 'npm run typecheck' 'npx ava'; do
  grep -qF -- "$cmd" "$ci" || { echo "$ci does not run: $cmd" >&2; exit 1; }
done
pins=$(grep -o 'cargo-zigbuild==[0-9.]* ziglang==[0-9.]*' .ci/setup/40-cross-build.sh)
grep -qF "$pins" "$ci" || { echo "$ci does not pin $pins like .ci/setup/40-cross-build.sh" >&2; exit 1; }
for s in $(grep -o '\.ci/checks/[A-Za-z0-9_-]*\.sh' "$ci" | sort -u); do
  [ -f "$s" ] || { echo "$ci names $s, which does not exist" >&2; exit 1; }
done
echo "workflows: actionlint clean, in step with .ci"

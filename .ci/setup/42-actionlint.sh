#!/usr/bin/env bash
# actionlint (pinned, from the Go module proxy) to lint .github/workflows.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=.ci/.tools/bin
if [ ! -x "$bin/actionlint" ]; then
  mkdir -p "$bin"
  GOBIN="$PWD/$bin" GOFLAGS=-mod=mod go install github.com/rhysd/actionlint/cmd/actionlint@v1.7.12
fi
"$bin/actionlint" -version | head -1

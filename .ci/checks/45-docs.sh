#!/usr/bin/env bash
# API reference (issue 9): typedoc builds docs/api from the typings with
# warnings as errors, so every public item has a doc comment and every link
# resolves. docs/api is generated, not committed. Every typed subpath export
# of package.json must be a typedoc entry point.
set -euo pipefail
cd "$(dirname "$0")/../.."
node -e '
const pkg = require("./package.json")
const entries = require("./typedoc.json").entryPoints
for (const [sub, t] of Object.entries(pkg.exports)) {
  if (typeof t !== "object" || !t.types) continue
  const src = t.types.replace(/^\.\/dist\//, "").replace(/\.d\.(m?)ts$/, ".$1ts")
  if (!entries.includes(src)) { console.error(`typedoc.json: entryPoints lacks ${src} (export ${sub})`); process.exit(1) }
}'
npm run --silent docs
test -s docs/api/index.html

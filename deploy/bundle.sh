#!/usr/bin/env bash
# `deno task bundle`: AgentPod as one JavaScript file for `deno run`, the artifact this
# network can build (`deno compile` needs a runtime download from dl.deno.land).
#
#   dist/agentpod-js/agentpod.js    release.ts bundled with its npm packages, the migrations,
#                                the stylesheet and the islands bundle (nothing read from
#                                the source tree at run time)
#   dist/agentpod-js/pglite.wasm, pglite.data, initdb.wasm
#                                the embedded PostgreSQL's runtime files, which PGlite loads
#                                from beside the module that imports it
#
# Run it with `deno run --allow-all --no-config dist/agentpod-js/agentpod.js serve`.
# Usage: deploy/bundle.sh [OUTPUT_DIR]   (default dist/agentpod-js; run `deno task build` first)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-dist/agentpod-js}

fail() {
  echo "bundle.sh: $*" >&2
  exit 1
}

[ -f static/islands.js ] || fail "static/islands.js is missing: run 'deno task build' first"
pglite=node_modules/@electric-sql/pglite/dist
[ -f "$pglite/pglite.wasm" ] || fail "$pglite is missing: run 'deno install' first"

mkdir -p "$out"
tmp="$out/agentpod.js.tmp"
deno bundle --platform deno --quiet -o "$tmp" release.ts || fail "deno bundle failed"
mv "$tmp" "$out/agentpod.js"
for file in pglite.wasm pglite.data initdb.wasm; do
  cp "$pglite/$file" "$out/$file"
done
echo "bundle.sh: wrote $out ($(du -sh "$out" | cut -f1))" >&2
realpath "$out"

#!/usr/bin/env bash
# Builds tests/env/promcheck (Prometheus' own text parser and naming lint, the checks of
# `promtool check metrics`) from the Go module proxy into .cache/promcheck/<hash>/promcheck.
# Idempotent: a binary built from the same sources is reused.
#
# stdout: the binary's absolute path, as the last line. stderr: progress and errors.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
src="$root/tests/env/promcheck"
go_cmd="${GO:-$(command -v go || echo /usr/local/go/bin/go)}"
hash=$(cat "$src/main.go" "$src/go.mod" "$src/go.sum" | sha256sum | cut -c1-16)
bin="$root/.cache/promcheck/$hash/promcheck"
if [ ! -x "$bin" ]; then
  echo "tests/env/promcheck.sh: building promcheck with $("$go_cmd" version | cut -d' ' -f3)" >&2
  mkdir -p "$(dirname "$bin")"
  (cd "$src" && "$go_cmd" build -trimpath -o "$bin.tmp" .)
  mv "$bin.tmp" "$bin"
fi
echo "$bin"

#!/usr/bin/env bash
# Builds the Traefik v3 binary AgentPod tests (and operators) use, from the Go module proxy,
# into .cache/traefik/<version>/traefik under the repo. Idempotent: when that binary exists
# and `traefik version` reports the pinned version it builds nothing and prints only the path.
#
# stdout: the binary's absolute path, always as the last line, so callers can use
#   traefik_bin="$(bash tests/env/traefik.sh)"
# stderr: progress and errors. Exit status is non-zero on any failure.
#
# Environment:
#   AGENTPOD_TRAEFIK_VERSION  module version to build (default below; must be a v3 tag)
#   GO                        go command to use (default: `go` on PATH, else /usr/local/go/bin/go)
#   GOMODCACHE, GOCACHE       the usual Go caches; the defaults persist, so rebuilds are fast
#
# How (see deploy/traefik/README.md): `go install …/cmd/traefik@vX` refuses modules with
# replace directives, so a throwaway wrapper module requires github.com/traefik/traefik/v3
# and copies the replace/exclude lines from Traefik's own go.mod. The module zip lacks
# webui/static (the web UI is built by npm in Traefik's release pipeline) while
# webui/embed.go has `//go:embed static`, and -overlay may not touch files in GOMODCACHE;
# so the wrapper builds a copy of Traefik's Go sources (docs, integration tests and web UI
# sources left out) with a one-page placeholder in webui/static. AgentPod does not enable
# Traefik's dashboard; if someone does, it shows that placeholder.
set -euo pipefail

version="${AGENTPOD_TRAEFIK_VERSION:-v3.6.12}"
module="github.com/traefik/traefik/v3"

fail() {
  echo "tests/env/traefik.sh: $*" >&2
  exit 1
}

[[ "$version" =~ ^v3\.[0-9]+\.[0-9]+$ ]] || fail "AGENTPOD_TRAEFIK_VERSION must look like v3.X.Y, got '$version'"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
dest_dir="$root/.cache/traefik/$version"
bin="$dest_dir/traefik"
want="${version#v}"

# True when the binary at $1 runs and reports exactly the pinned version.
version_ok() {
  local out
  out="$("$1" version 2>/dev/null)" || return 1
  grep -Eq "^Version:[[:space:]]+${want//./\\.}\$" <<<"$out"
}

if [[ -x "$bin" ]] && version_ok "$bin"; then
  echo "$bin"
  exit 0
fi

go_cmd="${GO:-}"
if [[ -z "$go_cmd" ]]; then
  if command -v go >/dev/null 2>&1; then
    go_cmd="$(command -v go)"
  elif [[ -x /usr/local/go/bin/go ]]; then
    go_cmd=/usr/local/go/bin/go
  else
    fail "no Go toolchain found (put go on PATH or set GO=/path/to/go)"
  fi
fi

mkdir -p "$dest_dir"
# One builder at a time per version; a second caller waits, then finds the binary.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$dest_dir/.lock"
  flock 9
fi
if [[ -x "$bin" ]] && version_ok "$bin"; then
  echo "$bin"
  exit 0
fi

echo "tests/env/traefik.sh: building Traefik $version with $("$go_cmd" env GOVERSION) (cold: several minutes)..." >&2
started=$SECONDS

work="$(mktemp -d "$dest_dir/build.XXXXXX")"
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT

json_field() { sed -n "s/^[[:space:]]*\"$1\": \"\(.*\)\",\{0,1\}\$/\1/p" <<<"$info" | head -n 1; }
if ! info="$("$go_cmd" mod download -json "$module@$version" 2>"$work/download.err")"; then
  fail "go mod download $module@$version failed: $(json_field Error) $(tail -n 5 "$work/download.err" | tr '\n' ' ')"
fi
src_dir="$(json_field Dir)"
gomod="$(json_field GoMod)"
info_file="$(json_field Info)"
[[ -d "$src_dir" && -f "$gomod" && -f "$info_file" ]] ||
  fail "go mod download did not report Dir/GoMod/Info for $module@$version: $info"

# Traefik's go directive (and toolchain line, if any) carries over: with GOTOOLCHAIN=local
# a too-old Go then fails with a clear message instead of a confusing compile error.
go_line="$(grep -E '^go [0-9]' "$gomod" | head -n 1)"
toolchain_line="$(grep -E '^toolchain ' "$gomod" | head -n 1 || true)"
# Every replace/exclude directive, single-line or block form, comments included.
directives="$(awk '
  /^(replace|exclude)[[:space:]]*\($/ { inblock = 1 }
  inblock { print; if ($0 ~ /^\)/) { inblock = 0; print "" }; next }
  /^(replace|exclude)[[:space:]]/ { print }
' "$gomod")"
# A replacement by a local path would point into Traefik's repo, which the zip may not hold.
if grep -Eq '=>[[:space:]]*(\.|/)' <<<"$directives"; then
  fail "Traefik $version's go.mod replaces a module by a local path; this script cannot build it"
fi

# Traefik's Go sources, minus what the build does not need, plus the web UI placeholder.
mkdir -p "$work/src"
(cd "$src_dir" && tar -cf - --exclude=./docs --exclude=./integration --exclude=./webui/src \
  --exclude=./webui/public --exclude='*_test.go' .) | tar -xf - -C "$work/src"
chmod -R u+w "$work/src"
mkdir -p "$work/src/webui/static"
cat >"$work/src/webui/static/index.html" <<'EOF'
<!doctype html>
<title>Traefik</title>
<p>This Traefik was built by AgentPod's tests/env/traefik.sh without its web UI.</p>
EOF

{
  echo "module agentpod.local/traefik-build"
  echo
  echo "$go_line"
  [[ -n "$toolchain_line" ]] && echo "$toolchain_line"
  echo
  echo "require $module $version"
  echo
  echo "// Copied from $module@$version's go.mod."
  echo "$directives"
  echo
  echo "// The module zip has no webui/static; see tests/env/traefik.sh."
  echo "replace $module => ./src"
} >"$work/go.mod"

codename="$(sed -n 's/^[[:space:]]*CODENAME:[[:space:]]*\([A-Za-z0-9_-]*\).*$/\1/p' \
  "$src_dir/.github/workflows/release.yaml" 2>/dev/null | head -n 1)"
# The release's commit time, not the build time: the same version always says the same.
build_date="$(sed -n 's/.*"Time":"\([^"]*\)".*/\1/p' "$info_file")"
pkg="$module/pkg/version"
ldflags="-s -w -X $pkg.Version=$want -X $pkg.Codename=${codename:-cheddar} -X $pkg.BuildDate=${build_date:-unknown}"

tmp_bin="$work/traefik"
if ! (cd "$work" && CGO_ENABLED=0 GOFLAGS=-mod=mod "$go_cmd" build -trimpath -ldflags "$ldflags" \
  -o "$tmp_bin" "$module/cmd/traefik") >"$work/build.log" 2>&1; then
  grep -v '^go: downloading ' "$work/build.log" | tail -n 30 >&2
  fail "go build of Traefik $version failed (last lines above)"
fi
version_ok "$tmp_bin" || fail "the built binary does not report Version $want: $("$tmp_bin" version 2>&1 | head -n 3 | tr '\n' ' ')"
mv -f "$tmp_bin" "$bin"

echo "tests/env/traefik.sh: built Traefik $version in $((SECONDS - started))s: $bin" >&2
echo "$bin"

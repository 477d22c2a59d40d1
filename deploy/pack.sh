#!/usr/bin/env bash
# `deno task pack`: the offline install bundle that `deploy/install.sh --bundle FILE`
# installs on a host that reaches no registry. A plain tar holding:
#
#   agentpod/VERSION            the AgentPod version (as `agentpod --version` prints it)
#   agentpod/ARCH               the machine it runs on (`uname -m`)
#   agentpod/bin/agentpod       the `deno compile` binary, when it can be built here; else
#   agentpod/bin/deno           the Deno runtime that runs
#   agentpod/lib/agentpod.js    the bundle of `deploy/bundle.sh`, with PGlite's files beside it
#   agentpod/bin/traefik        Traefik, built from the Go module proxy (tests/env/traefik.sh)
#   agentpod/images/openclaw.tar  the OpenClaw image as `docker save` writes it
#   agentpod/install.sh         the installer
#   agentpod/SHA256SUMS         checksums of all of the above, checked before installing
#
# Usage: deploy/pack.sh [--output FILE] [--image REF] [--no-compile]
#   --output  where to write the tar (default dist/agentpod-bundle.tar)
#   --image   the OpenClaw image to include (default the adapter's default image)
#   --no-compile  do not try `deno compile` (it downloads denort from dl.deno.land)
# Environment: AGENTPOD_TRAEFIK_BIN, a Traefik binary to use instead of building one.
# stdout: the bundle's absolute path, as the last line. Needs deno, docker and go.
set -euo pipefail
cd "$(dirname "$0")/.."
output=dist/agentpod-bundle.tar
image=$(sed -n 's/.*defaultImage: "\(agentpod\/openclaw:[^"]*\)".*/\1/p' adapters/openclaw.ts)
compile=true

say() { echo "pack.sh: $*" >&2; }
fail() {
  say "error: $*"
  exit 1
}

while [ $# -gt 0 ]; do
  case "$1" in
    --output) output=${2:?--output needs a file}; shift 2 ;;
    --image) image=${2:?--image needs an image reference}; shift 2 ;;
    --no-compile) compile=false; shift ;;
    *) fail "unknown option '$1' (see the header of $0)" ;;
  esac
done
[ -n "$image" ] || fail "could not read the OpenClaw default image from adapters/openclaw.ts"
command -v deno >/dev/null || fail "deno is needed to build AgentPod (npm install -g deno@2.9.6)"
command -v docker >/dev/null || fail "the docker CLI is needed to save the OpenClaw image"
if [ -z "${AGENTPOD_TRAEFIK_BIN:-}" ] && ! command -v go >/dev/null && [ ! -x /usr/local/go/bin/go ]; then
  fail "Go is needed to build Traefik (or set AGENTPOD_TRAEFIK_BIN to a Traefik binary)"
fi
if ! docker image inspect "$image" >/dev/null 2>&1; then
  say "building $image (deploy/openclaw/build-image.sh)"
  IMAGE=$image OPENCLAW_VERSION=${image##*:} bash deploy/openclaw/build-image.sh >&2
fi

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
root="$stage/agentpod"
mkdir -p "$root/bin" "$root/lib" "$root/images"

[ -f static/islands.js ] || deno task build >/dev/null
version=$(deno run --allow-all cli.ts --version)
echo "$version" >"$root/VERSION"
uname -m >"$root/ARCH"

if $compile && deno compile --allow-all --quiet --output "$root/bin/agentpod" release.ts 2>"$stage/compile.log"; then
  say "compiled bin/agentpod with deno compile"
else
  if $compile; then
    reason=$(grep -m1 -o 'dns error.*\|error: .*' "$stage/compile.log" | cut -c1-120 || true)
    say "deno compile failed (${reason:-see 'deno task compile'}); shipping Deno and the bundle instead"
  fi
  rm -f "$root/bin/agentpod"
  bash deploy/bundle.sh "$root/lib" >/dev/null
  cp "$(command -v deno)" "$root/bin/deno"
fi

traefik=${AGENTPOD_TRAEFIK_BIN:-$(bash tests/env/traefik.sh | tail -n 1)}
[ -x "$traefik" ] || fail "no Traefik binary at '$traefik'"
cp "$traefik" "$root/bin/traefik"

say "saving $image"
docker save -o "$root/images/openclaw.tar" "$image"
echo "$image" >"$root/images/openclaw.ref"
cp deploy/install.sh "$root/install.sh"

(cd "$root" && find . -type f -printf '%P\n' | LC_ALL=C sort | xargs sha256sum >"$stage/sums")
mv "$stage/sums" "$root/SHA256SUMS"
mkdir -p "$(dirname "$output")"
tar -C "$stage" -cf "$output.tmp" agentpod
mv "$output.tmp" "$output"
say "wrote $output ($(du -h "$output" | cut -f1), AgentPod $version)"
realpath "$output"

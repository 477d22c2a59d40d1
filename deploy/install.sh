#!/usr/bin/env bash
# Installs AgentPod on a Debian or Ubuntu host, as root, in one command. Idempotent: a second
# run changes nothing and restarts nothing unless a file it installs changed.
#
#   sudo bash deploy/install.sh                       from a source checkout (builds the bundle
#                                                     with deploy/pack.sh: needs deno, docker, go)
#   sudo bash install.sh --bundle agentpod-bundle.tar from the offline bundle (no registry needed)
#   sudo bash agentpod/install.sh                     from an unpacked offline bundle
#
# What it does: checks the host (root, Debian/Ubuntu, architecture, disk, ports 80/443/7070,
# systemd); installs curl and, when no Docker Engine answers, Docker from the distribution;
# puts AgentPod and Traefik under /opt/agentpod and the `agentpod` command in /usr/local/bin;
# creates the system user `agentpod` (in the group of the Docker socket) and /var/lib/agentpod
# (0700); writes /etc/agentpod/agentpod.env (0600) once, with a generated admin password that
# is printed once; loads the OpenClaw image; installs, enables and starts the systemd units
# agentpod.service and agentpod-traefik.service (Traefik's static configuration comes from
# `agentpod traefik config`); waits for /readyz; prints the URL, the password and what next.
#
# Options:
#   --bundle FILE             install from this offline bundle (made by `deno task pack`)
#   --domain NAME             base domain of the pods' hostnames (default: localhost)
#   --listen ADDR             address of the API and dashboard (default: 127.0.0.1:7070)
#   --service-manager MODE    systemd (default) or none: the test mode for containers without
#                             systemd, which writes the units but starts both programs itself
#                             in the background (pid files in /run/agentpod)
#   --uninstall               stop and remove AgentPod; keeps /var/lib/agentpod and
#                             /etc/agentpod unless --purge is given too
#   --purge                   with --uninstall: also remove the data, the configuration and
#                             the system user
#   -h, --help                this text
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive LC_ALL=C

PREFIX=/opt/agentpod
DATA_DIR=/var/lib/agentpod
CONF_DIR=/etc/agentpod
ENV_FILE=$CONF_DIR/agentpod.env
TRAEFIK_CONF=$CONF_DIR/traefik.yml
UNIT_DIR=/etc/systemd/system
LAUNCHER=/usr/local/bin/agentpod
RUN_DIR=/run/agentpod
USER_NAME=agentpod
SOCKET=/var/run/docker.sock
MIN_FREE_MB=3072

here=$(cd "$(dirname "$0")" && pwd)
bundle=""
domain=""
listen=""
manager=systemd
action=install
purge=false
changed=()

say() { echo "install.sh: $*" >&2; }
fail() {
  say "error: $*"
  exit 1
}
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
  case "$1" in
    --bundle) bundle=${2:?--bundle needs a file}; shift 2 ;;
    --domain) domain=${2:?--domain needs a name}; shift 2 ;;
    --listen) listen=${2:?--listen needs an address}; shift 2 ;;
    --service-manager) manager=${2:?--service-manager needs systemd or none}; shift 2 ;;
    --uninstall) action=uninstall; shift ;;
    --purge) purge=true; shift ;;
    -h | --help) usage; exit 0 ;;
    *) fail "unknown option '$1' (see --help)" ;;
  esac
done
case "$manager" in systemd | none) ;; *) fail "--service-manager must be systemd or none" ;; esac
if $purge && [ "$action" != uninstall ]; then fail "--purge only goes with --uninstall"; fi
[ "$(id -u)" = 0 ] || fail "run me as root (sudo bash $0 …)"

# ---------------------------------------------------------------- small tools

# put MODE OWNER DEST: writes stdin to DEST when its content, mode or owner differ; records
# the change. Never rewrites an identical file, so a second run changes nothing.
put() {
  local mode=$1 owner=$2 dest=$3 tmp
  tmp=$(mktemp "$dest.XXXXXX" 2>/dev/null || mktemp)
  cat >"$tmp"
  if [ -f "$dest" ] && cmp -s "$tmp" "$dest" &&
    [ "$(stat -c '%a %U:%G' "$dest")" = "$mode $owner" ]; then
    rm -f "$tmp"
    return 0
  fi
  chmod "$mode" "$tmp"
  chown "$owner" "$tmp"
  mv -f "$tmp" "$dest"
  changed+=("$dest")
}

# dir MODE OWNER PATH: makes a directory with this mode and owner.
dir() {
  local mode=$1 owner=$2 path=$3
  if [ -d "$path" ] && [ "$(stat -c '%a %U:%G' "$path")" = "$mode $owner" ]; then return 0; fi
  mkdir -p "$path"
  chmod "$mode" "$path"
  chown "$owner" "$path"
  changed+=("$path")
}

# A TCP port something listens on, from /proc (no ss or netstat on a minimal system).
port_in_use() {
  local hex
  hex=$(printf ':%04X' "$1")
  awk -v p="$hex" '$4 == "0A" && substr($2, length($2) - 4) == p { found = 1 } END { exit !found }' \
    /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

engine_answers() { curl -fsS --max-time 3 --unix-socket "$SOCKET" http://docker/_ping >/dev/null 2>&1; }

# A process from a pid file that runs (a zombie left to a non-reaping init does not count).
pid_alive() {
  local pid state
  [ -f "$RUN_DIR/$1.pid" ] || return 1
  pid=$(cat "$RUN_DIR/$1.pid")
  state=$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null) || return 1
  [ -n "$state" ] && [ "$state" != Z ]
}

service_active() {
  if [ "$manager" = systemd ]; then
    systemctl is-active --quiet "$1.service"
  else
    pid_alive "$1"
  fi
}

apt_install() {
  local log=/var/log/agentpod-install-apt.log
  say "installing $* from the distribution"
  apt-get install -y -qq "$@" >"$log" 2>&1 ||
    { apt-get update -qq >>"$log" 2>&1 && apt-get install -y -qq "$@" >>"$log" 2>&1; } ||
    fail "apt-get could not install $* (see $log)"
}

# ---------------------------------------------------------------- uninstall

stop_service() {
  local name=$1
  if [ "$manager" = systemd ]; then
    systemctl disable --now "$name.service" >/dev/null 2>&1 || true
  elif pid_alive "$name"; then
    kill "$(cat "$RUN_DIR/$name.pid")" 2>/dev/null || true
    for _ in $(seq 50); do pid_alive "$name" || break; sleep 0.1; done
  fi
  rm -f "$RUN_DIR/$name.pid"
}

uninstall() {
  stop_service agentpod-traefik
  stop_service agentpod
  rm -f "$UNIT_DIR/agentpod.service" "$UNIT_DIR/agentpod-traefik.service" "$LAUNCHER"
  [ "$manager" = systemd ] && systemctl daemon-reload >/dev/null 2>&1
  rm -rf "$PREFIX" "$RUN_DIR" "$TRAEFIK_CONF"
  if $purge; then
    rm -rf "$DATA_DIR" "$CONF_DIR"
    if getent passwd "$USER_NAME" >/dev/null; then userdel "$USER_NAME" >/dev/null 2>&1 || true; fi
    say "removed AgentPod, its data ($DATA_DIR) and its configuration ($CONF_DIR)"
  else
    say "removed AgentPod; kept its data in $DATA_DIR and its configuration in $CONF_DIR" \
      "(--uninstall --purge removes them). Pods' containers and volumes are left to Docker."
  fi
}

if [ "$action" = uninstall ]; then
  uninstall
  exit 0
fi

# ---------------------------------------------------------------- preflight

preflight() {
  local id="" like="" arch free_mb port
  if [ -r /etc/os-release ]; then
    # shellcheck disable=SC1091
    id=$(. /etc/os-release && echo "${ID:-}")
    # shellcheck disable=SC1091
    like=$(. /etc/os-release && echo "${ID_LIKE:-}")
  fi
  case " $id $like " in
    *" debian "* | *" ubuntu "*) ;;
    *) fail "this installer is for Debian and Ubuntu (found '${id:-unknown}')" ;;
  esac
  command -v apt-get >/dev/null || fail "apt-get is missing"
  arch=$(uname -m)
  case "$arch" in x86_64 | aarch64) ;; *) fail "unsupported architecture $arch (x86_64 or aarch64)" ;; esac
  mkdir -p "$(dirname "$DATA_DIR")"
  free_mb=$(df -Pm "$(dirname "$DATA_DIR")" | awk 'NR == 2 { print $4 }')
  [ "${free_mb:-0}" -ge "$MIN_FREE_MB" ] ||
    fail "only ${free_mb:-0} MB free under $(dirname "$DATA_DIR"); AgentPod and its image need $MIN_FREE_MB MB"
  # Ports held by our own running services are fine (a second run).
  for port in 80 443 "${listen##*:}"; do
    port_in_use "$port" || continue
    case "$port" in
      80 | 443) service_active agentpod-traefik && continue ;;
      *) service_active agentpod && continue ;;
    esac
    fail "port $port is already in use by another program; free it first (AgentPod needs 80, 443 and ${listen##*:})"
  done
  if [ "$manager" = systemd ] && [ ! -d /run/systemd/system ]; then
    fail "systemd is not running here; AgentPod's services need it (--service-manager none is the test mode for containers)"
  fi
}

existing_env() {
  if [ -f "$ENV_FILE" ]; then sed -n "s/^$1=//p" "$ENV_FILE" | tail -n 1; fi
}
listen=${listen:-$(existing_env AGENTPOD_LISTEN)}
listen=${listen:-127.0.0.1:7070}
preflight
command -v curl >/dev/null || apt_install curl ca-certificates

# ---------------------------------------------------------------- Docker

if ! engine_answers; then
  if ! command -v dockerd >/dev/null; then apt_install docker.io; fi
  if [ "$manager" = systemd ]; then
    systemctl enable --now docker.service >/dev/null 2>&1 || fail "could not start docker.service"
  fi
  for _ in $(seq 30); do engine_answers && break; sleep 1; done
  engine_answers || fail "no Docker Engine answers on $SOCKET"
fi

# ---------------------------------------------------------------- the bundle

# On disk, not in /tmp: /tmp is a small tmpfs on many hosts and the bundle is over a gigabyte.
work=$(mktemp -d /var/tmp/agentpod-install.XXXXXX)
trap 'rm -rf "$work"' EXIT
if [ -n "$bundle" ]; then
  [ -f "$bundle" ] || fail "no bundle at $bundle"
  say "unpacking $bundle"
  tar -C "$work" -xf "$bundle" || fail "$bundle is not a readable tar"
  src=$work/agentpod
elif [ -f "$here/SHA256SUMS" ]; then
  src=$here
elif [ -f "$here/../deno.json" ] && [ -f "$here/pack.sh" ]; then
  say "building the bundle from the source checkout (deploy/pack.sh)"
  bash "$here/pack.sh" --output "$work/agentpod-bundle.tar" >/dev/null
  tar -C "$work" -xf "$work/agentpod-bundle.tar"
  src=$work/agentpod
else
  fail "give the offline bundle with --bundle FILE (made by 'deno task pack')"
fi
[ -f "$src/SHA256SUMS" ] || fail "the bundle has no SHA256SUMS"
(cd "$src" && sha256sum --quiet -c SHA256SUMS) || fail "the bundle's checksums do not match: it is damaged"
version=$(cat "$src/VERSION")
[ "$(cat "$src/ARCH")" = "$(uname -m)" ] ||
  fail "the bundle is for $(cat "$src/ARCH"), this host is $(uname -m)"

# ---------------------------------------------------------------- user and folders

if ! getent passwd "$USER_NAME" >/dev/null; then
  useradd --system --user-group --home-dir "$DATA_DIR" --no-create-home \
    --shell /usr/sbin/nologin "$USER_NAME"
  changed+=("user $USER_NAME")
fi
socket_gid=$(stat -c %g "$SOCKET")
[ "$socket_gid" != 0 ] ||
  fail "$SOCKET belongs to group root; give it a group of its own (Debian's docker.io uses 'docker')"
socket_group=$(getent group "$socket_gid" | cut -d: -f1 || true)
if [ -z "$socket_group" ]; then
  # The socket comes from elsewhere (a container with the host's socket mounted).
  socket_group=docker
  getent group docker >/dev/null && socket_group=agentpod-docker
  groupadd --system --gid "$socket_gid" "$socket_group"
  changed+=("group $socket_group")
fi
if ! id -nG "$USER_NAME" | tr ' ' '\n' | grep -qx "$socket_group"; then
  usermod -a -G "$socket_group" "$USER_NAME"
  changed+=("$USER_NAME in group $socket_group")
fi

dir 755 root:root "$PREFIX"
dir 755 root:root "$PREFIX/bin"
dir 700 "$USER_NAME:$USER_NAME" "$DATA_DIR"
dir 750 "root:$USER_NAME" "$CONF_DIR"

# ---------------------------------------------------------------- programs

while IFS= read -r file; do
  mode=644
  case "$file" in bin/*) mode=755 ;; esac
  [ "$file" = "${file%/*}" ] || dir 755 root:root "$PREFIX/${file%/*}"
  put "$mode" root:root "$PREFIX/$file" <"$src/$file"
done < <(cd "$src" && find bin lib VERSION -type f 2>/dev/null | LC_ALL=C sort)
if [ -x "$src/bin/agentpod" ]; then
  run="exec $PREFIX/bin/agentpod \"\$@\""
else
  run="exec $PREFIX/bin/deno run --allow-all --no-config --quiet $PREFIX/lib/agentpod.js \"\$@\""
fi
put 755 root:root "$LAUNCHER" <<EOF
#!/bin/sh
# AgentPod $version, installed by install.sh. Root gets the server's settings (and so the
# admin token in $DATA_DIR) from $ENV_FILE; others set AGENTPOD_URL and AGENTPOD_TOKEN.
if [ -z "\${AGENTPOD_DATA_DIR:-}" ] && [ -r $ENV_FILE ]; then
  set -a
  . $ENV_FILE
  set +a
fi
export DENO_NO_UPDATE_CHECK=1
$run
EOF

# ---------------------------------------------------------------- configuration

password=""
if [ ! -f "$ENV_FILE" ]; then
  password=$(head -c 32 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 24)
  put 600 root:root "$ENV_FILE" <<EOF
# AgentPod's settings (README, "Configuration"). Read by agentpod.service and by the
# agentpod command when root runs it. Change a value, then: systemctl restart agentpod
AGENTPOD_DATA_DIR=$DATA_DIR
AGENTPOD_LISTEN=$listen
AGENTPOD_DOMAIN=${domain:-localhost}
AGENTPOD_ADMIN_PASSWORD=$password
EOF
else
  # Options given again replace their line; everything else in the file is the user's.
  update_env() {
    local key=$1 value=$2
    [ -n "$value" ] || return 0
    [ "$(existing_env "$key")" = "$value" ] && return 0
    sed "/^$key=/d" "$ENV_FILE" | { cat; echo "$key=$value"; } | put 600 root:root "$ENV_FILE"
  }
  update_env AGENTPOD_LISTEN "$listen"
  update_env AGENTPOD_DOMAIN "$domain"
fi
url="http://$(existing_env AGENTPOD_LISTEN)"

# Units: written in both modes, so that they can be checked (systemd-analyze verify).
# Both run as the agentpod user, may write only the data directory, and get no privileges.
hardening="NoNewPrivileges=yes
ProtectSystem=strict
ReadWritePaths=$DATA_DIR
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictSUIDSGID=yes
RestrictRealtime=yes
RestrictNamespaces=yes
LockPersonality=yes
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6"
put 644 root:root "$UNIT_DIR/agentpod.service" <<EOF
[Unit]
Description=AgentPod control plane
After=network-online.target docker.service
Wants=network-online.target docker.service

[Service]
Type=simple
User=$USER_NAME
Group=$USER_NAME
EnvironmentFile=$ENV_FILE
Environment=DENO_DIR=$DATA_DIR/.deno
ExecStart=$LAUNCHER serve
Restart=on-failure
RestartSec=2
UMask=0077
$hardening
CapabilityBoundingSet=

[Install]
WantedBy=multi-user.target
EOF
put 644 root:root "$UNIT_DIR/agentpod-traefik.service" <<EOF
[Unit]
Description=Traefik in front of AgentPod's pods
After=network-online.target agentpod.service
Wants=network-online.target

[Service]
Type=simple
User=$USER_NAME
Group=$USER_NAME
ExecStart=$PREFIX/bin/traefik --configFile=$TRAEFIK_CONF
Restart=on-failure
RestartSec=2
AmbientCapabilities=CAP_NET_BIND_SERVICE
CapabilityBoundingSet=CAP_NET_BIND_SERVICE
$hardening

[Install]
WantedBy=multi-user.target
EOF

# ---------------------------------------------------------------- the OpenClaw image

image=$(cat "$src/images/openclaw.ref")
if curl -fsS --unix-socket "$SOCKET" "http://docker/images/$image/json" >/dev/null 2>&1; then
  :
else
  say "loading $image into Docker"
  curl -fsS --unix-socket "$SOCKET" -X POST -H 'Content-Type: application/x-tar' \
    -T "$src/images/openclaw.tar" "http://docker/images/load?quiet=1" >/dev/null ||
    fail "Docker could not load $src/images/openclaw.tar"
  changed+=("image $image")
fi

# ---------------------------------------------------------------- services

# Restart a service when something it runs or reads changed, start it when it is stopped.
needs_restart() {
  local pattern=$1 item
  for item in "${changed[@]}"; do
    # shellcheck disable=SC2254 # the pattern is a glob on purpose
    case "$item" in $pattern) return 0 ;; esac
  done
  return 1
}

start_background() {
  local name=$1
  shift
  mkdir -p "$RUN_DIR"
  (
    set -a
    # shellcheck disable=SC1090
    . "$ENV_FILE"
    set +a
    export DENO_DIR=$DATA_DIR/.deno HOME=$DATA_DIR USER=$USER_NAME
    cd "$DATA_DIR"
    # setpriv execs (no fork), so the pid file holds the program's own pid.
    setsid setpriv --reuid="$USER_NAME" --regid="$USER_NAME" --init-groups -- "$@" \
      >>"$DATA_DIR/$name.log" 2>&1 </dev/null &
    echo $! >"$RUN_DIR/$name.pid"
  )
}

ensure_service() {
  local name=$1 restart=$2
  shift 2
  if [ "$manager" = systemd ]; then
    if needs_restart "$UNIT_DIR/*"; then systemctl daemon-reload; fi
    systemctl enable --quiet "$name.service"
    if $restart && systemctl is-active --quiet "$name.service"; then
      say "restarting $name (its files changed)"
      systemctl restart "$name.service"
    else
      systemctl start "$name.service"
    fi
  else
    if pid_alive "$name" && $restart; then
      say "restarting $name (its files changed)"
      stop_service "$name"
    fi
    pid_alive "$name" || start_background "$name" "$@"
  fi
}

logs_of() {
  if [ "$manager" = systemd ]; then
    journalctl -u "$1.service" -n 20 --no-pager 2>/dev/null
  else
    tail -n 20 "$DATA_DIR/$1.log" 2>/dev/null
  fi
}

restart=false
needs_restart "$PREFIX/*" && restart=true
needs_restart "$ENV_FILE" && restart=true
needs_restart "$UNIT_DIR/agentpod.service" && restart=true
needs_restart "*in group*" && restart=true
ensure_service agentpod "$restart" "$LAUNCHER" serve

ready=false
for _ in $(seq 120); do
  if curl -fsS --max-time 2 "$url/readyz" >/dev/null 2>&1; then
    ready=true
    break
  fi
  sleep 0.5
done
if ! $ready; then
  logs_of agentpod >&2 || true
  fail "AgentPod did not answer $url/readyz within 60 s (its last log lines are above)"
fi

traefik_conf=$("$LAUNCHER" traefik config --web :80 --websecure :443) ||
  fail "could not get Traefik's configuration from 'agentpod traefik config'"
printf '%s\n' "$traefik_conf" | put 640 "root:$USER_NAME" "$TRAEFIK_CONF"
restart=false
needs_restart "$TRAEFIK_CONF" && restart=true
needs_restart "$PREFIX/bin/traefik" && restart=true
needs_restart "$UNIT_DIR/agentpod-traefik.service" && restart=true
ensure_service agentpod-traefik "$restart" "$PREFIX/bin/traefik" "--configFile=$TRAEFIK_CONF"

# ---------------------------------------------------------------- done

if [ ${#changed[@]} -eq 0 ]; then
  say "AgentPod $version is installed and running; nothing changed"
else
  say "changed: ${changed[*]}"
fi
cat <<EOF

AgentPod $version is running.
  Dashboard and API: $url   (from your machine: ssh -L ${url##*:}:127.0.0.1:${url##*:} root@<this host>)
EOF
if [ -n "$password" ]; then
  cat <<EOF
  Admin password:    $password
                     (shown once; it is also in $ENV_FILE)
EOF
fi
cat <<EOF
  Settings:          $ENV_FILE   Data: $DATA_DIR
Next:
  agentpod doctor                      # Docker, database, Traefik, ports, images
  agentpod tenant create acme
  agentpod pod create acme/agent --type openclaw --wait
  agentpod pod list
EOF

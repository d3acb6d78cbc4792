#!/usr/bin/env bash
# setup-engines.sh - install and start REAL container engines on a fresh Debian 12 CI machine
# (VM, root, no init system, cgroup v1+v2 hybrid, no CAP_SYS_RESOURCE, no container registry).
# Every image is built from Debian packages: nothing is ever pulled.
#
# Usage:  bash ci/setup-engines.sh             (ENGINES="podman docker" IMAGES="mini debian")
#         ENGINES=docker IMAGES=mini bash ci/setup-engines.sh
#   ENGINES: any of "podman docker"
#   IMAGES:  mini   = localhost/redis:7, 23 MB busybox + redis; also serves HTTP: `httpd -f -p 8080 -h /www`
#            debian = localhost/debian:bookworm, debootstrap minbase + redis-server (~40 s on the first run),
#                     the base image for environment builds (its apt sources point at the Debian mirror)
#            node   = localhost/berth-node:20, the debian image plus this machine's Node 20 (/usr/bin/node):
#                     the NODE_IMAGE Berth's own image (deploy/image/Dockerfile) is built on in tests,
#                     standing in for node:20-bookworm-slim, which no registry here serves
#   FORCE=1 rebuilds images that already exist (otherwise a re-run only checks and starts what is missing).
# Afterwards: podman API  unix:///run/podman/podman.sock  (Docker-compatible API v1.41 + libpod API)
#             dockerd API unix:///var/run/docker.sock     (Docker 20.10, API v1.41)
# Teardown:   bash ci/setup-engines.sh stop   (kills only the PIDs this script recorded)
# Facts behind every step: docs/runtimes/docker.md and the measured notes it links.
set -euo pipefail
CE_DIR=${CE_DIR:-/tmp/ce}
ENGINES=${ENGINES:-"podman docker"}
IMAGES=${IMAGES:-"mini debian node"}
FORCE=${FORCE:-0}
MIRROR=${MIRROR:-$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null)}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
PODMAN_SOCK=/run/podman/podman.sock
DOCKER_SOCK=/var/run/docker.sock
export DEBIAN_FRONTEND=noninteractive
mkdir -p "$CE_DIR"
has() { [[ " $1 " == *" $2 "* ]]; }
log() { printf '[setup-engines %(%T)T] %s\n' -1 "$*"; }

if [[ ${1:-} == stop ]]; then
  for f in "$CE_DIR"/*.pid; do [ -f "$f" ] || continue; p=$(cat "$f"); kill "$p" 2>/dev/null && log "stopped pid $p ($f)"; rm -f "$f"; done
  exit 0
fi

# --- 1. packages (Debian bookworm only); skipped when everything is already installed ------------
pkgs="iptables redis-tools curl"
has "$ENGINES" podman && pkgs+=" podman crun netavark aardvark-dns catatonit conmon"
has "$ENGINES" docker && pkgs+=" docker.io containerd runc tini"
has "$IMAGES" debian && pkgs+=" debootstrap"
missing=""
for p in $pkgs; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=" $p"; done
if [ -n "$missing" ]; then
  log "apt-get install$missing"
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends $missing >"$CE_DIR/apt.log" 2>&1 || { tail -30 "$CE_DIR/apt.log"; exit 1; }
else
  log "packages already installed"
fi

# --- 2. host fixes ------------------------------------------------------------------------------
# crun 1.8 refuses hybrid cgroups while a controller (here: hugetlb) sits on the v2 hierarchy:
#   "crun: cgroups in hybrid mode not supported, drop all controllers from cgroupv2"
# Moving it to its own v1 mount empties cgroup2's controller list. (runc and dockerd don't need this.)
# (cgroupfs files report size 0, so the file is read rather than tested with -s.)
v2_controllers=$(cat /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null || true)
if [ -n "$v2_controllers" ]; then
  for c in $v2_controllers; do
    mkdir -p "/sys/fs/cgroup/$c"
    mountpoint -q "/sys/fs/cgroup/$c" || mount -t cgroup -o "$c" cgroup "/sys/fs/cgroup/$c"
    log "moved cgroup controller $c from v2 to v1"
  done
fi

ping_sock() { curl -sf --unix-socket "$1" http://d/_ping >/dev/null 2>&1; }

# --- 3. podman ----------------------------------------------------------------------------------
if has "$ENGINES" podman; then
  # No CAP_SYS_RESOURCE and a hard RLIMIT_NOFILE of 20000: podman's default container rlimits
  # (nofile=1048576, nproc=4194304) fail with "crun: setrlimit RLIMIT_NOFILE: Operation not permitted".
  # podman lowers its own RLIMIT_NPROC to 32768, so containers may not ask for more than that.
  nofile=$(ulimit -Hn); nproc=$(ulimit -Hu)
  [[ $nproc == unlimited || $nproc -gt 32768 ]] && nproc=32768
  mkdir -p /etc/containers
  cat >/etc/containers/containers.conf <<EOF
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
[network]
network_backend = "netavark"
EOF
  if ! ping_sock $PODMAN_SOCK; then
    mkdir -p /run/podman
    # From /: the service outlives this run, and conmon fails every container start ("Failed to get
    # working directory") once the directory it was started in (a CI clone) is removed.
    (cd / && exec nohup podman system service --time=0 unix://$PODMAN_SOCK) >"$CE_DIR/podman-service.log" 2>&1 &
    echo $! >"$CE_DIR/podman-service.pid"
  fi
fi

# --- 4. dockerd ---------------------------------------------------------------------------------
if has "$ENGINES" docker; then
  if ! ping_sock $DOCKER_SOCK; then
    # dockerd starts its own containerd; overlay2 on ext4; iptables-nft; cgroupfs driver.
    (cd / && exec nohup dockerd --host unix://$DOCKER_SOCK) >"$CE_DIR/dockerd.log" 2>&1 &
    echo $! >"$CE_DIR/dockerd.pid"
  fi
fi

wait_sock() { for _ in $(seq 1 300); do ping_sock "$1" && return 0; sleep 0.1; done; echo "engine at $1 did not answer; see $CE_DIR/*.log" >&2; return 1; }
has "$ENGINES" podman && wait_sock $PODMAN_SOCK && log "podman API ready at $PODMAN_SOCK"
has "$ENGINES" docker && wait_sock $DOCKER_SOCK && log "dockerd API ready at $DOCKER_SOCK"

# --- 5. images, built from Debian packages only (no registry) --------------------------------------
engine_has() { # socket image
  curl -sf --unix-socket "$1" "http://d/v1.41/images/$2/json" >/dev/null 2>&1
}
needs_image() { # image: true when some selected engine lacks it (or FORCE=1)
  [ "$FORCE" = 1 ] && return 0
  has "$ENGINES" podman && ! engine_has $PODMAN_SOCK "$1" && return 0
  has "$ENGINES" docker && ! engine_has $DOCKER_SOCK "$1" && return 0
  return 1
}
import_all() { # tarball name change...
  local tar=$1 name=$2; shift 2
  local ch=(--change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin')
  for c in "$@"; do ch+=(--change "$c"); done
  local old
  if has "$ENGINES" podman; then
    old=$(podman image inspect -f '{{.Id}}' "$name" 2>/dev/null || true)
    podman import -q "${ch[@]}" "$tar" "$name" >/dev/null
    [ -n "$old" ] && podman rmi "$old" >/dev/null 2>&1 || true   # the replaced image (FORCE=1), unless in use
  fi
  if has "$ENGINES" docker; then
    old=$(DOCKER_HOST=unix://$DOCKER_SOCK docker image inspect -f '{{.Id}}' "$name" 2>/dev/null || true)
    DOCKER_HOST=unix://$DOCKER_SOCK docker import "${ch[@]}" "$tar" "$name" >/dev/null
    [ -n "$old" ] && DOCKER_HOST=unix://$DOCKER_SOCK docker rmi "$old" >/dev/null 2>&1 || true
  fi
  log "imported $name"
}
if has "$IMAGES" mini; then
  if needs_image localhost/redis:7; then
    R=$CE_DIR/mini-root; D=$CE_DIR/debs; rm -rf "$R"; mkdir -p "$R" "$D"
    (cd "$D" && apt-get download busybox-static redis-tools >/dev/null 2>&1)
    for d in "$D"/busybox-static_*.deb "$D"/redis-tools_*.deb; do dpkg-deb -x "$d" "$R"; done
    rm -rf "$R/usr/share/doc" "$R/usr/share/man" "$R/usr/share/initramfs-tools"
    mkdir -p "$R/tmp" "$R/data" "$R/etc" "$R/root" "$R/www"; chmod 1777 "$R/tmp"
    for a in $("$R/bin/busybox" --list); do [ -e "$R/bin/$a" ] || ln -s busybox "$R/bin/$a"; done
    for b in "$R/usr/bin/redis-check-rdb" "$R/usr/bin/redis-cli"; do   # shared libs from the host (redis-tools is installed there)
      ldd "$b" | awk '$2=="=>" && $3 ~ /^\//{print $3} $1 ~ /^\//{print $1}' |
        while read -r l; do mkdir -p "$R$(dirname "$l")"; cp -L "$l" "$R$l"; done
    done
    ln -sf redis-check-rdb "$R/usr/bin/redis-server"
    # A page for HTTP-service tests: `httpd -f -p 8080 -h /www` (busybox) serves it.
    printf 'berth mini image\n' >"$R/www/index.html"
    printf 'root:x:0:0:root:/root:/bin/sh\n' >"$R/etc/passwd"; printf 'root:x:0:\n' >"$R/etc/group"
    printf 'hosts: files dns\n' >"$R/etc/nsswitch.conf"
    tar -C "$R" -cf "$CE_DIR/redis-mini.tar" .
    import_all "$CE_DIR/redis-mini.tar" localhost/redis:7 'CMD ["redis-server","--protected-mode","no"]' 'EXPOSE 6379' 'WORKDIR /data'
  else
    log "localhost/redis:7 present"
  fi
fi
if has "$IMAGES" debian; then
  if needs_image localhost/debian:bookworm; then
    R=$CE_DIR/debian-root
    # The rootfs tarball is kept: a re-run that only lacks the image in one engine imports it again.
    if [ "$FORCE" = 1 ] || [ ! -s "$CE_DIR/debian-redis.tar" ]; then
      rm -rf "$R"
      debootstrap --variant=minbase --include=redis-server bookworm "$R" "$MIRROR" >"$CE_DIR/debootstrap.log" 2>&1 ||
        { tail -30 "$CE_DIR/debootstrap.log"; exit 1; }
      chroot "$R" apt-get clean; rm -rf "$R"/var/lib/apt/lists/*
      # Environment builds run `apt-get update && apt-get install …` inside it; same mirror as the host.
      echo "deb $MIRROR bookworm main" >"$R/etc/apt/sources.list"
      tar -C "$R" -cf "$CE_DIR/debian-redis.tar" .
      rm -rf "$R"
    fi
    import_all "$CE_DIR/debian-redis.tar" localhost/debian:bookworm 'CMD ["/bin/bash"]'
  else
    log "localhost/debian:bookworm present"
  fi
fi
if has "$IMAGES" node; then
  if needs_image localhost/berth-node:20; then
    [ -s "$CE_DIR/debian-redis.tar" ] || { echo "the node image needs the debian image: IMAGES=\"debian node\"" >&2; exit 1; }
    node_bin=$(command -v node)
    case "$("$node_bin" --version)" in v20.*) ;; *) echo "the node image needs Node 20 on this machine, found $("$node_bin" --version)" >&2; exit 1 ;; esac
    R=$CE_DIR/node-root; rm -rf "$R"; mkdir -p "$R"
    tar -C "$R" -xf "$CE_DIR/debian-redis.tar"
    install -m 0755 "$node_bin" "$R/usr/local/bin/node"   # one binary: glibc and libstdc++ come from bookworm
    tar -C "$R" -cf "$CE_DIR/berth-node.tar" .
    rm -rf "$R"
    import_all "$CE_DIR/berth-node.tar" localhost/berth-node:20 'CMD ["node"]'
    rm -f "$CE_DIR/berth-node.tar"
  else
    log "localhost/berth-node:20 present"
  fi
fi

# --- 6. smoke test: publish a port, reach it from the host -----------------------------------------
smoke() { # engine-cli...
  local cid; cid=$("$@" run -d --rm -p 127.0.0.1::6379 localhost/redis:7)
  local port; port=$("$@" port "$cid" 6379/tcp | head -1 | sed 's/.*://')
  local ok=1
  for _ in $(seq 1 50); do redis-cli -p "$port" ping 2>/dev/null | grep -q PONG && { ok=0; break; }; sleep 0.1; done
  "$@" rm -f "$cid" >/dev/null
  [ $ok = 0 ] && log "smoke OK: $* -> 127.0.0.1:$port" || { echo "smoke test failed: $*" >&2; return 1; }
}
if has "$IMAGES" mini; then
  has "$ENGINES" podman && smoke podman
  has "$ENGINES" docker && smoke env DOCKER_HOST=unix://$DOCKER_SOCK docker
fi
log "done"

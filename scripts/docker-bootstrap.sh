#!/usr/bin/env bash
# scripts/docker-bootstrap.sh: an idempotent Docker bring-up for root
# machines that have no Docker engine, no systemd and no container
# registry, where only the host's Debian mirror is reachable (a bare CI
# runner, say). A machine with a normal Docker never needs it.
#
#   1. installs docker.io / docker-compose / debootstrap if missing
#   2. starts dockerd (vfs storage, no iptables, no default bridge) unless an
#      engine already answers `docker info` (an existing one is reused, never replaced)
#   3. seeds $BASE_IMAGE (default debian:bookworm-slim, the base of
#      compose/Dockerfile) via debootstrap + docker import, unless that
#      image already exists
#
# Every step is skipped when already done, so re-running is cheap (~0.2 s).
# compose/test.sh runs it (as root) when no engine answers; see
# docs/MACHINE.md, "Docker", for what such an engine can and cannot do.
#
#   sudo scripts/docker-bootstrap.sh
#
# Env overrides: BASE_IMAGE, SUITE, MIRROR, DOCKERD_LOG, DOCKER_WAIT_S, SLIM=0|1
set -euo pipefail

BASE_IMAGE="${BASE_IMAGE:-debian:bookworm-slim}"
SUITE="${SUITE:-bookworm}"
DOCKERD_LOG="${DOCKERD_LOG:-/var/log/dockerd.log}"
DOCKER_WAIT_S="${DOCKER_WAIT_S:-60}"
SLIM="${SLIM:-1}"            # 1: strip docs, man pages, locales and apt lists like the official -slim image

log() { echo "[docker-bootstrap] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }
[ "$(id -u)" -eq 0 ] || die "must run as root"
export DEBIAN_FRONTEND=noninteractive

# ---------------------------------------------------------------- 1. packages
missing=()
command -v dockerd        >/dev/null 2>&1 || missing+=(docker.io)
command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
command -v debootstrap    >/dev/null 2>&1 || missing+=(debootstrap)
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing: ${missing[*]}"
  apt-get -o DPkg::Lock::Timeout=600 update -q
  apt-get -o DPkg::Lock::Timeout=600 install -y -q "${missing[@]}"
fi
command -v docker >/dev/null 2>&1 || die "no docker client on PATH"

# ---------------------------------------------------------------- 2. engine
if docker info >/dev/null 2>&1; then
  log "engine already running ($(docker info --format '{{.ServerVersion}} / {{.Driver}}')), reusing it"
else
  if pgrep -x dockerd >/dev/null 2>&1; then
    log "dockerd process exists but is not answering yet; waiting for it"
  else
    log "starting dockerd (log: $DOCKERD_LOG)"
    mkdir -p "$(dirname "$DOCKERD_LOG")"
    # setsid+nohup: survives the CI step's shell; stdin closed so it never blocks
    setsid nohup dockerd --storage-driver=vfs --iptables=false --bridge=none \
      >>"$DOCKERD_LOG" 2>&1 </dev/null &
  fi
  for _ in $(seq "$DOCKER_WAIT_S"); do
    docker info >/dev/null 2>&1 && break
    sleep 1
  done
  docker info >/dev/null 2>&1 || { tail -n 30 "$DOCKERD_LOG" >&2 || true; die "dockerd did not come up within ${DOCKER_WAIT_S}s"; }
  log "engine up: $(docker info --format '{{.ServerVersion}} / {{.Driver}}')"
fi

# ---------------------------------------------------------------- 3. base image
if docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
  log "image $BASE_IMAGE already present, not reseeding"
  exit 0
fi

if [ -z "${MIRROR:-}" ]; then
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    MIRROR="$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources)"
  elif [ -f /etc/apt/sources.list ]; then
    MIRROR="$(awk '$1=="deb"{for(i=2;i<=NF;i++) if($i ~ /^https?:/){print $i; exit}}' /etc/apt/sources.list)"
  fi
  [ -n "${MIRROR:-}" ] || die "no Debian mirror found in the host apt sources; set MIRROR"
fi

ROOTFS="$(mktemp -d /var/tmp/debootstrap-rootfs.XXXXXX)"
chmod 0755 "$ROOTFS"   # mktemp makes it 0700 and tar stores it as the image's "/" -> non-root users break
trap 'rm -rf "$ROOTFS"' EXIT
log "debootstrap --variant=minbase $SUITE from $MIRROR"
debootstrap --variant=minbase "$SUITE" "$ROOTFS" "$MIRROR" >"$ROOTFS.log" 2>&1 \
  || { tail -n 30 "$ROOTFS.log" >&2; die "debootstrap failed (full log: $ROOTFS.log)"; }
rm -f "$ROOTFS.log"

# apt sources: reuse the host's deb822 file (adds -updates and -security) when suites match
if [ -f /etc/apt/sources.list.d/debian.sources ] && grep -q "^Suites:.*\b$SUITE\b" /etc/apt/sources.list.d/debian.sources; then
  cp /etc/apt/sources.list.d/debian.sources "$ROOTFS/etc/apt/sources.list.d/debian.sources"
  rm -f "$ROOTFS/etc/apt/sources.list"
fi

if [ "$SLIM" = 1 ]; then
  # same idea as the official debian:*-slim image: no docs, man pages or locales, no apt caches
  cat >"$ROOTFS/etc/dpkg/dpkg.cfg.d/docker-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/lintian/*
EOF
  cat >"$ROOTFS/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
  echo 'Acquire::Languages "none";'        >"$ROOTFS/etc/apt/apt.conf.d/docker-no-languages"
  echo 'APT::Install-Recommends "false";'  >"$ROOTFS/etc/apt/apt.conf.d/docker-no-recommends"
  find "$ROOTFS/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete 2>/dev/null || true
  rm -rf "$ROOTFS"/usr/share/man/* "$ROOTFS"/usr/share/info/* \
         "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/cache/apt/*.bin \
         "$ROOTFS"/var/log/*.log "$ROOTFS"/var/log/apt/*
  # drop stale index files but keep the lists/partial dir apt expects
  find "$ROOTFS/var/lib/apt/lists" -mindepth 1 -maxdepth 1 -type f -delete
  find "$ROOTFS/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} + 2>/dev/null || true
fi

log "importing rootfs as $BASE_IMAGE"
tar --numeric-owner -C "$ROOTFS" -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["bash"]' \
  --message "debootstrap --variant=minbase $SUITE $MIRROR" - "$BASE_IMAGE" >/dev/null
log "seeded $BASE_IMAGE ($(docker image inspect -f '{{.Size}}' "$BASE_IMAGE" | awk '{printf "%.0f MB", $1/1e6}'))"

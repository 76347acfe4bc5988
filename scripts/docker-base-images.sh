#!/usr/bin/env bash
# Builds the two base images docker-compose.yml and the Dockerfile name,
# node:20-slim and redis:7, from this machine's own files, for a Docker that
# reaches no image registry. Each is a `docker import` of a small tree: the
# local Node 20 (with npm) or Debian's redis-server and redis-cli, the shared
# libraries they load, busybox for /bin/sh and the usual tools, and the users
# the real images have (node 1000, redis 999). An image already there under
# that name, a real one or an earlier stand-in, is kept (--force rebuilds).
#
#   scripts/docker-base-images.sh [--force]
#
# Needs: docker (a running daemon), node 20, redis-server and redis-cli, and
# busybox (Debian's busybox-static); as root it installs what is missing with
# apt-get. Exit 0 when both images are there, 1 otherwise, saying why.
set -euo pipefail

force=0
case "${1:-}" in
  '') ;;
  --force) force=1 ;;
  *) echo "docker-base-images.sh: unknown option ${1} (the only one is --force)" >&2; exit 2 ;;
esac

NODE_IMAGE=node:20-slim
REDIS_IMAGE=redis:7

die() { echo "docker-base-images.sh: $*" >&2; exit 1; }

docker info >/dev/null 2>&1 || die "docker cannot reach its daemon: start it (as root: dockerd >/tmp/dockerd.log 2>&1 &) and run this again"

need=()
command -v node >/dev/null || need+=(nodejs)
command -v redis-server >/dev/null || need+=(redis-server)
command -v redis-cli >/dev/null || need+=(redis-tools)
command -v busybox >/dev/null || need+=(busybox-static)
if [ ${#need[@]} -gt 0 ]; then
  [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null || die "missing ${need[*]}: install them (Debian: apt-get install ${need[*]}) and run this again"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" = 20 ] || die "the local node is $(node --version), and $NODE_IMAGE must hold Node 20: put Node 20 first on PATH"

# A file into the tree at its real path (merged /usr: /lib/x is /usr/lib/x), symlinks followed, under the name asked for.
put() {
  local root=$1 src=$2 dir
  dir=$(readlink -f "$(dirname "$src")")
  mkdir -p "$root$dir"
  cp -L "$src" "$root$dir/$(basename "$src")"
}

# An executable and every shared library it loads (ldd's absolute paths, the loader included).
put_elf() {
  local root=$1 exe=$2 lib
  put "$root" "$exe"
  for lib in $(ldd "$exe" 2>/dev/null | grep -o '/[^ ]*' || true); do put "$root" "$lib"; done
}

# Every shared library of Debian packages (their files under lib directories), as a real base image has them all:
# a native addon (rolldown's, in the build) may load one that node itself does not (librt).
put_libs_of() {
  local root=$1 f; shift
  for f in $(dpkg -L "$@" | grep -E '^(/usr)?/lib(64|/x86_64-linux-gnu)?/[^/]*\.so[^/]*$' || true); do put "$root" "$f"; done
}

# The skeleton every image shares: merged-/usr links, the C and C++ runtime, busybox as sh and the tools, /tmp, users.
skeleton() {
  local root=$1 applet
  mkdir -p "$root"/usr/bin "$root"/usr/lib "$root"/usr/lib64 "$root"/usr/sbin "$root"/etc "$root"/tmp "$root"/root "$root"/var/tmp
  ln -s usr/bin "$root/bin"; ln -s usr/lib "$root/lib"; ln -s usr/lib64 "$root/lib64"; ln -s usr/sbin "$root/sbin"
  chmod 1777 "$root/tmp" "$root/var/tmp"
  put_libs_of "$root" libc6 libgcc-s1 libstdc++6
  cp -L "$(command -v busybox)" "$root/usr/bin/busybox"
  for applet in $(busybox --list); do
    [ -e "$root/usr/bin/$applet" ] || ln -s busybox "$root/usr/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
  printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"
}

import() {
  local root=$1 image=$2; shift 2
  tar --numeric-owner -C "$root" -c . | docker import --message "pcfarm stand-in for $image, built from this machine's files by scripts/docker-base-images.sh" "$@" - "$image" >/dev/null
  echo "docker-base-images.sh: built $image from this machine's files" >&2
}

wanted() {
  [ "$force" = 1 ] && return 0
  if docker image inspect "$1" >/dev/null 2>&1; then
    echo "docker-base-images.sh: $1 is there already: kept" >&2
    return 1
  fi
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if wanted "$NODE_IMAGE"; then
  root=$work/node
  skeleton "$root"
  node_bin=$(readlink -f "$(command -v node)")
  npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
  put_elf "$root" "$node_bin"
  cp -L "$node_bin" "$root/usr/bin/node"
  mkdir -p "$root/usr/lib/node_modules"
  cp -a "$npm_dir" "$root/usr/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/bin/npx"
  # The official image's user for running apps: uid and gid 1000, home /home/node.
  echo 'node:x:1000:1000::/home/node:/bin/sh' >>"$root/etc/passwd"
  echo 'node:x:1000:' >>"$root/etc/group"
  mkdir -p "$root/home/node" && chown 1000:1000 "$root/home/node"
  path_env='ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
  # The image's build installs packages from the npm registry: it trusts what this machine trusts (which may
  # reach the registry through a TLS proxy with a CA of its own), as npm here does.
  ca=/etc/ssl/certs/ca-certificates.crt
  if [ -f "$ca" ]; then
    put "$root" "$ca"
    import "$root" "$NODE_IMAGE" --change "$path_env" --change "ENV NODE_EXTRA_CA_CERTS=$ca" --change 'CMD ["node"]'
  else
    import "$root" "$NODE_IMAGE" --change "$path_env" --change 'CMD ["node"]'
  fi
fi

if wanted "$REDIS_IMAGE"; then
  root=$work/redis
  skeleton "$root"
  put_elf "$root" "$(command -v redis-server)"
  put_elf "$root" "$(command -v redis-cli)"
  cp -L "$(command -v redis-server)" "$root/usr/bin/redis-server"
  # The official image starts as root and drops to redis (999) in its entrypoint; this one is redis from the start,
  # and /data is redis's, so a new volume mounted there is too.
  echo 'redis:x:999:999::/data:/usr/sbin/nologin' >>"$root/etc/passwd"
  echo 'redis:x:999:' >>"$root/etc/group"
  mkdir -p "$root/data" && chown 999:999 "$root/data"
  import "$root" "$REDIS_IMAGE" --change 'USER redis' --change 'WORKDIR /data' --change 'EXPOSE 6379' --change 'CMD ["redis-server"]'
fi

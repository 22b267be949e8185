#!/usr/bin/env bash
# `npm run compose-test`: the compose testbed, for real. Builds the project's image from the
# unchanged Dockerfile, runs the unchanged docker-compose.yml (Docker's `docker compose` where
# it works, else podman with podman-compose), and runs test/compose/testbed.ts against it
# (health, routing tables, dataset search, protocol push/pull, a node on this host joining the
# grid, and `down` leaving nothing running).
#
# What a plain Docker or podman host does not need, and this script does only where needed:
# - no registry reachable: `node:24-slim` is built locally (scripts/compose-base-image.sh),
#   once per machine (kept while its inputs are unchanged);
# - podman on a hybrid-cgroup machine: every podman command of the run happens in one
#   `unshare -m` session with /sys/fs/cgroup/unified unmounted and cgroups disabled in a
#   containers.conf of its own; builds use the host network (a proxy's CA in the base image).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export PAIP_COMPOSE_PROJECT="${PAIP_COMPOSE_PROJECT:-paip-compose-test}"

# --- the engine: Docker with compose where it answers, else podman + podman-compose
if [ -z "${PAIP_COMPOSE_ENGINE:-}" ]; then
  if command -v docker >/dev/null && docker compose version >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
    PAIP_COMPOSE_ENGINE=docker
  elif command -v podman >/dev/null && command -v podman-compose >/dev/null; then
    PAIP_COMPOSE_ENGINE=podman
  else
    echo "compose-test: needs docker with compose, or podman and podman-compose (sudo apt-get install -y podman podman-compose debootstrap)" >&2
    exit 1
  fi
fi
export PAIP_COMPOSE_ENGINE

# --- podman on hybrid cgroups: re-run this script in one private mount namespace
hybrid_cgroups () {
  [ "$(stat -f -c %T /sys/fs/cgroup 2>/dev/null)" != cgroup2fs ] &&
    [ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]
}
if [ "$PAIP_COMPOSE_ENGINE" = podman ] && [ -z "${PAIP_COMPOSE_INSIDE:-}" ] && hybrid_cgroups; then
  echo "compose-test: hybrid cgroups: running podman in its own mount namespace, cgroups disabled" >&2
  exec env PAIP_COMPOSE_INSIDE=1 unshare -m bash "$0" "$@"
fi
work="$(mktemp -d /tmp/paip-compose-test.XXXXXX)"
trap 'rm -rf "$work"' EXIT
if [ -n "${PAIP_COMPOSE_INSIDE:-}" ]; then
  umount /sys/fs/cgroup/unified
  printf '[containers]\ncgroups = "disabled"\ndefault_ulimits = []\n[engine]\ncgroup_manager = "cgroupfs"\n' >"$work/containers.conf"
  export CONTAINERS_CONF="$work/containers.conf"
fi

# --- the base image, where it cannot be pulled
if [ "${PAIP_BASE_IMAGE:-}" = local ] || { [ "$PAIP_COMPOSE_ENGINE" = podman ] && [ "${PAIP_BASE_IMAGE:-}" != pull ]; }; then
  bash "$root/scripts/compose-base-image.sh" "$PAIP_COMPOSE_ENGINE"
fi

# --- the project's image, from the Dockerfile as it is
echo "compose-test: building paip:latest" >&2
previous="$($PAIP_COMPOSE_ENGINE image inspect --format '{{ .Id }}' paip:latest 2>/dev/null || true)"
if [ "$PAIP_COMPOSE_ENGINE" = podman ]; then
  podman build --network host --pull=never -t paip:latest -f Dockerfile . >"$work/build.log" 2>&1 || { tail -30 "$work/build.log" >&2; exit 1; }
else
  docker compose -p "$PAIP_COMPOSE_PROJECT" build >"$work/build.log" 2>&1 || { tail -30 "$work/build.log" >&2; exit 1; }
fi
# the image it replaced, unless something still uses it
current="$($PAIP_COMPOSE_ENGINE image inspect --format '{{ .Id }}' paip:latest)"
[ -n "$previous" ] && [ "$previous" != "$current" ] && $PAIP_COMPOSE_ENGINE rmi "$previous" >/dev/null 2>&1 || true

# --- the test: up, checks, a node on this host joining, down
node_bin="$root/node_modules/.bin/node"   # the project's Node 24 (the `node` dev dependency)
[ -x "$node_bin" ] || node_bin=node
"$node_bin" "$root/node_modules/mocha/bin/mocha.js" --no-config --timeout 60000 --enable-source-maps "$root/dist/test/compose/testbed.js"

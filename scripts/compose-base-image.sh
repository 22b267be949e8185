#!/usr/bin/env bash
# Builds `node:24-slim` locally for an engine that cannot pull it (no registry reachable):
# Debian bookworm (debootstrap, from the machine's Debian mirror), this project's Node 24
# (the `node` dev dependency's binary), the machine's npm, and the machine's CA certificates
# (package downloads may go through a proxy with its own authority; npm and Node read them).
# The image carries a label with a hash of all of that: when an image with the same label is
# already there, nothing is built; one that this script did not make (pulled) is used as it is.
#   usage: compose-base-image.sh <engine: podman|docker>
set -euo pipefail
engine="$1"
root="$(cd "$(dirname "$0")/.." && pwd)"
image=docker.io/library/node:24-slim
[ "$engine" = docker ] && image=node:24-slim

node_bin="$root/node_modules/node/bin/node"
# npm's own package folder, from the npm on PATH (`npm root -g` would follow whichever node runs it)
npm_dir="$(cd "$(dirname "$(readlink -f "$(command -v npm)")")/.." && pwd)"
certs=/etc/ssl/certs/ca-certificates.crt
[ -x "$node_bin" ] || { echo "compose-base-image: $node_bin missing: run npm ci first" >&2; exit 1; }
[ -f "$npm_dir/package.json" ] || { echo "compose-base-image: npm not found at $npm_dir" >&2; exit 1; }
[ -f "$certs" ] || { echo "compose-base-image: $certs missing (apt-get install ca-certificates)" >&2; exit 1; }

inputs="$(sha256sum "$0" "$node_bin" "$certs" | awk '{ print $1 }'; sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' "$npm_dir/package.json" | head -1)"
stamp="$(printf '%s' "$inputs" | sha256sum | cut -c1-32)"
have="$($engine image inspect --format '{{ index .Config.Labels "paip.base" }}' "$image" 2>/dev/null || echo absent)"
case "$have" in
  "$stamp") echo "compose-base-image: $image is up to date ($stamp)" >&2; exit 0 ;;
  absent) ;;
  ''|'<no value>') echo "compose-base-image: using the $image already there (not built by this script)" >&2; exit 0 ;;
  *) echo "compose-base-image: rebuilding $image (its inputs changed)" >&2 ;;
esac
old_id="$($engine image inspect --format '{{ .Id }}' "$image" 2>/dev/null || true)"

mirror="$(sed -n 's/^URIs: *\(http[^ ]*\/debian\)$/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)"
[ -n "$mirror" ] || mirror="$(sed -n 's/^deb \(http[^ ]*\/debian\) .*/\1/p' /etc/apt/sources.list 2>/dev/null | head -1)"
[ -n "$mirror" ] || mirror=http://deb.debian.org/debian

work="$(mktemp -d /var/tmp/paip-base.XXXXXX)"
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"
echo "compose-base-image: debootstrap bookworm from $mirror" >&2
debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 || {
  tail -20 "$work/debootstrap.log" >&2
  exit 1
}
install -m 0755 "$node_bin" "$rootfs/usr/local/bin/node"
mkdir -p "$rootfs/usr/local/lib/node_modules" "$rootfs/usr/local/etc" "$rootfs/etc/ssl/certs"
cp -a "$npm_dir" "$rootfs/usr/local/lib/node_modules/npm"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
cp "$certs" "$rootfs/etc/ssl/certs/ca-certificates.crt"
printf 'cafile=/etc/ssl/certs/ca-certificates.crt\nfund=false\naudit=false\nupdate-notifier=false\n' >"$rootfs/usr/local/etc/npmrc"
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*

tar -C "$rootfs" -cf "$work/base.tar" .
quiet=(); [ "$engine" = podman ] && quiet=(--quiet)
$engine import "${quiet[@]}" \
  --change 'CMD ["node"]' \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
  --change "LABEL paip.base=$stamp" \
  "$work/base.tar" "$image" >/dev/null
# the image it replaces, unless something still uses it
[ -n "$old_id" ] && $engine rmi "$old_id" >/dev/null 2>&1 || true
echo "compose-base-image: built $image ($stamp)" >&2

#!/usr/bin/env bash
# Unpacks the registry 3.x binaries that the e2e suite runs (built from upstream's source, see README.md
# beside this script) into /var/tmp/cdk8s-registry-bin/, verifying their sha256. Idempotent: a binary already
# in place with the right sha256 is kept; a wrong one is replaced. Usage: install-registry3.sh [SOURCE_DIR]
# (default: ../shared/registry3 beside the repository, where CI finds it).
set -euo pipefail
repo="$(cd "$(dirname "$0")/../../.." && pwd)"
src="${1:-$repo/../shared/registry3}"
dest=/var/tmp/cdk8s-registry-bin

# version sha256 of the unpacked linux/amd64 binary (../shared/registry3/README.md)
binaries=(
  "3.0.0 f91be40fba1589581fe4a94ce50394d21aa119417e868276daa3c8a0338f3637"
  "3.1.1 fa28e1a5686507bd1b50c50e25ddc0b26ff2871a4a81cc2072c13e8e43772dcb"
)

mkdir -p "$dest"
for entry in "${binaries[@]}"; do
  read -r version sha <<<"$entry"
  target="$dest/registry-$version"
  if [ -x "$target" ] && [ "$(sha256sum "$target" | cut -d' ' -f1)" = "$sha" ]; then
    echo "registry $version: $target (sha256 ok, kept)"
    continue
  fi
  archive="$src/registry-$version-linux-amd64.xz"
  [ -f "$archive" ] || { echo "registry $version: $archive not found (pass the folder holding registry-*-linux-amd64.xz)" >&2; exit 1; }
  tmp="$(mktemp "$dest/.registry-$version.XXXXXX")"
  xz -dc "$archive" >"$tmp"
  got="$(sha256sum "$tmp" | cut -d' ' -f1)"
  if [ "$got" != "$sha" ]; then
    rm -f "$tmp"
    echo "registry $version: sha256 of $archive unpacked is $got, expected $sha: refusing to install it" >&2
    exit 1
  fi
  chmod 755 "$tmp"
  mv -f "$tmp" "$target"
  echo "registry $version: $target (sha256 ok, installed)"
done

#!/usr/bin/env bash
# The base image where no image registry is reachable: Debian bookworm (minbase) with Python 3.11 and venv,
# made by debootstrap from Debian's mirror and imported into the engine. Skipped when the image exists.
#   base-image.sh NAME
set -euo pipefail
name="${1:?usage: base-image.sh NAME}"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"

if docker image inspect "$name" >/dev/null 2>&1; then exit 0; fi
command -v debootstrap >/dev/null || { echo "debootstrap is not installed (apt-get install debootstrap)" >&2; exit 1; }
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates bookworm "$root" "$mirror" > "$root.log" 2>&1 \
  || { tail -20 "$root.log" >&2; exit 1; }
rm -f "$root.log"
# The package lists and caches are of no use in an image that never runs apt.
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb
tar -C "$root" -c . | docker import --change 'CMD ["python3"]' - "$name" >/dev/null
echo "imported $name"

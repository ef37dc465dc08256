#!/usr/bin/env bash
# Checks that the Dockerfile's runtime stage installs every Debian package whose shared
# library the cgo binary links (ldd), so the image cannot start with a missing library.
# libc6 is in every Debian base image (Essential: yes) and needs no install line.
# Usage: deploy/check-runtime-libs.sh BINARY [DOCKERFILE]
set -euo pipefail
bin=${1:?binary}
dockerfile=${2:-Dockerfile}

# The packages apt-get installs after the last FROM (the runtime stage).
runtime=$(awk '/^FROM /{stage=""} {stage=stage $0 "\n"} END{printf "%s", stage}' "$dockerfile" |
  sed -e ':a' -e '/\\$/N; s/\\\n//; ta' | grep -o 'apt-get install[^&;]*' | tr ' ' '\n' |
  grep -v -e '^-' -e '^apt-get$' -e '^install$' -e '^$' | sort -u)

needed=$(ldd "$bin" | grep -o '/[^ ]*' | while read -r lib; do
  dpkg -S "$(realpath "$lib")" 2>/dev/null || dpkg -S "$lib"
done | cut -d: -f1 | sort -u)

missing=()
for pkg in $needed; do
  [ "$pkg" = libc6 ] && continue
  grep -qx "$pkg" <<<"$runtime" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "$dockerfile: the runtime stage must install ${missing[*]} (linked by $bin: $(echo $needed))" >&2
  exit 1
fi
echo "runtime image installs what $bin links: $(echo $needed)"

#!/usr/bin/env bash
# Runs a command with the nbsecrets image's root filesystem mounted (buildah), /proc and /dev
# mounted in it, its path in IMAGE_ROOT; unmounts it afterwards. For measuring the operator as the
# image runs it (its Java, its AOT cache), e.g.:
#
#   e2e/bench/image-root.sh sh -c 'java -jar target/nbsecrets.jar bench sessions \
#       --operator-image-root "$IMAGE_ROOT" --sessions 1000 --warm-up 400 --rounds 1'
#
# The image is local/nbsecrets:dev from e2e/node/images.sh (NBSECRETS_IMAGE to choose another).
# Needs root and buildah.
set -euo pipefail
[ $# -ge 1 ] || { sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
image=${NBSECRETS_IMAGE:-localhost/nbsecrets:dev}
c=$(buildah from "$image")
m=$(buildah mount "$c")
cleanup() {
  umount -l "$m/proc" "$m/dev" 2>/dev/null || true
  # The container only once nothing is mounted in it.
  mountpoint -q "$m/dev" || mountpoint -q "$m/proc" || buildah rm "$c" >/dev/null 2>&1 || true
}
trap cleanup EXIT
mount --bind /proc "$m/proc"
mount --bind /dev "$m/dev"
IMAGE_ROOT=$m "$@"

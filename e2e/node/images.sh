#!/usr/bin/env bash
# Builds the nbsecrets image without a registry: Debian bases made with debootstrap (the JRE and
# JDK from Debian), then operator/Dockerfile itself, run by buildah with those bases as its
# BUILD_IMAGE and RUNTIME_IMAGE. The result is an OCI archive for `node.sh import`.
#
#   e2e/node/images.sh OUT_DIR
#       writes OUT_DIR/nbsecrets.tar (image local/nbsecrets:dev) and OUT_DIR/jupyter.tar
#       (local/jupyter:1: JupyterLab from PyPI, the session image of the node's tests)
#
# With a registry and Docker, the same image is `docker build -f operator/Dockerfile -t nbsecrets:dev .`
# (README, "Images"): the Dockerfile is the one recipe; only the base images differ.
#
# The bases are kept in buildah's storage, named by a hash of what goes into them, and made again
# only when that changes (about a minute each). Needs root, debootstrap, buildah, and a runc that
# runs here (Debian's crun refuses these machines' hybrid cgroups): NBSECRETS_NODE's, from
# e2e/node/build.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
[ $# -eq 1 ] || { sed -n '6,8p' "$0" | sed 's/^# //' >&2; exit 2; }
out=$1
mkdir -p "$out"
for tool in debootstrap buildah; do
  command -v "$tool" >/dev/null 2>&1 || { echo "images.sh: missing $tool (apt-get install debootstrap buildah)" >&2; exit 2; }
done
node=${NBSECRETS_NODE:-$("$here/build.sh" | tail -n 1)}
runc="$node/bin/runc"

suite=bookworm
mirror=${NBSECRETS_DEBIAN_MIRROR:-http://deb.debian.org/debian}

# base NAME PACKAGES: a minimal Debian with PACKAGES, as localhost/NAME:<hash>; prints the name.
base() {
  local name=$1 packages=$2
  local tag; tag=$(printf '%s %s %s v1' "$suite" "$packages" "$mirror" | sha256sum | cut -c1-12)
  local image="localhost/$name:$tag"
  if ! buildah inspect --type image "$image" >/dev/null 2>&1; then
    local start=$SECONDS rootfs; rootfs=$(mktemp -d)
    echo "images.sh: debootstrap $suite with $packages ..." >&2
    debootstrap --variant=minbase --include="$packages" "$suite" "$rootfs" "$mirror" >"$out/$name.debootstrap.log" 2>&1 \
      || { tail -n 20 "$out/$name.debootstrap.log" >&2; rm -rf "$rootfs"; exit 1; }
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/doc/* \
      "$rootfs"/usr/share/man/*
    local c m
    c=$(buildah from scratch)
    m=$(buildah mount "$c")
    cp -a "$rootfs/." "$m/"
    buildah umount "$c" >/dev/null
    buildah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$c"
    buildah commit -q "$c" "$image" >/dev/null
    buildah rm "$c" >/dev/null
    rm -rf "$rootfs"
    echo "images.sh: base $image in $((SECONDS - start)) s" >&2
  fi
  echo "$image"
}

# build NAME TAG DOCKERFILE CONTEXT BUILD_ARGS...: one image, as OUT_DIR/NAME.tar.
build() {
  local name=$1 tag=$2 dockerfile=$3 context=$4; shift 4
  local start=$SECONDS
  echo "images.sh: $name:$tag from ${dockerfile#"$root/"} ..." >&2
  # The RUN steps see this machine's trust store: they download Maven, the dependencies and
  # JupyterLab, and a machine behind a TLS-inspecting proxy trusts that proxy's CA there. A volume
  # is not part of the image.
  buildah bud -q --runtime "$runc" --network host --layers \
    --volume /etc/ssl/certs:/etc/ssl/certs:ro "$@" \
    -f "$dockerfile" -t "localhost/$name:$tag" "$context" >"$out/$name.build.log" 2>&1 \
    || { tail -n 30 "$out/$name.build.log" >&2; exit 1; }
  rm -f "$out/$name.tar"
  buildah push -q "localhost/$name:$tag" "oci-archive:$out/$name.tar:$tag" >/dev/null
  echo "images.sh: local/$name:$tag in $out/$name.tar ($((SECONDS - start)) s)" >&2
}

jre=$(base debian-jre openjdk-17-jre-headless,libssl3)
jdk=$(base debian-jdk openjdk-17-jdk-headless,ca-certificates,curl,unzip,gcc,libc6-dev,libssl-dev)
python=$(base debian-python python3,python3-venv,ca-certificates)

build nbsecrets dev "$root/operator/Dockerfile" "$root" \
  --ignorefile "$root/operator/Dockerfile.dockerignore" \
  --build-arg BUILD_IMAGE="$jdk" --build-arg RUNTIME_IMAGE="$jre"
build jupyter 1 "$here/jupyter/Dockerfile" "$here/jupyter" --build-arg BASE="$python"
echo "$out"

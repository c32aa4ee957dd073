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
# (README, "Images"): the Dockerfile is the one recipe; only the base images differ. Then this
# script trains the operator's AOT cache on a real control plane and commits it into the image
# (train_operator below: about 7 minutes).
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

# jdk_base NAME JDK_DIR: the debian-jre base with the JDK at JDK_DIR copied to /opt/java/openjdk
# (JAVA_HOME, as in the eclipse-temurin images), as localhost/NAME:<hash>; prints the name.
jdk_base() {
  local name=$1 jdk=$2
  [ -x "$jdk/bin/jlink" ] || { echo "images.sh: no JDK with jlink at $jdk (set JAVA25_HOME)" >&2; exit 2; }
  local tag; tag=$(cat "$jdk/release" <(echo "$jre") | sha256sum | cut -c1-12)
  local image="localhost/$name:$tag"
  if ! buildah inspect --type image "$image" >/dev/null 2>&1; then
    local c m
    c=$(buildah from "$jre")
    m=$(buildah mount "$c")
    mkdir -p "$m/opt/java"
    cp -a "$jdk" "$m/opt/java/openjdk"
    buildah umount "$c" >/dev/null
    buildah config --env JAVA_HOME=/opt/java/openjdk "$c"
    buildah commit -q "$c" "$image" >/dev/null
    buildah rm "$c" >/dev/null
    echo "images.sh: base $image from $jdk" >&2
  fi
  echo "$image"
}

# train_operator IMAGE: the operator's AOT cache (operator/Dockerfile, "the operator's runtime"),
# made by a training run of the image's own operator and committed into IMAGE. The image's root
# filesystem is mounted, and `bench sessions --operator-image-root` runs its entry point there
# (chroot, as its user) on a real control plane (NBSECRETS_CONTROL_PLANE_BIN), recording the
# classes it loads and its methods' profiles through 1,400 sessions (200, then two bursts of 600:
# Java 25 goes straight to C2 only for what C2 compiled in training, and with 600 sessions the JIT
# was still at work in the operator's first large burst; docs/benchmarks.md, twenty-fifth stop).
# Then the image's Java makes the cache from that record, with the collector and heap the chart's
# operator gets (the serial collector and 384 MiB, 75% of its 512 MiB), and the check starts the
# operator with it (-XX:AOTMode=on fails when the cache does not fit).
train_operator() {
  local image=$1 start=$SECONDS
  local bin=${NBSECRETS_CONTROL_PLANE_BIN:-}
  [ -n "$bin" ] || bin=$("$root/e2e/control-plane/build.sh" | tail -n 1)
  echo "images.sh: training the operator's AOT cache ..." >&2
  # The bench that drives the training run: the dev jar of this checkout.
  (cd "$root" && ./mvnw -B -ntp -q package -DskipTests -pl src/dev -am) >"$out/operator-training.build.log" 2>&1 \
    || { tail -n 30 "$out/operator-training.build.log" >&2; exit 1; }
  local c m
  c=$(buildah from "$image")
  m=$(buildah mount "$c")
  # On any failure: the mounts go first (lazily, should a process still use them), and the
  # container only when they are gone, so that nothing under a mounted /dev is ever removed.
  # shellcheck disable=SC2064 # the paths are known now
  trap "umount -l '$m/proc' '$m/dev' 2>/dev/null || true; mountpoint -q '$m/dev' || mountpoint -q '$m/proc' || buildah rm '$c' >/dev/null 2>&1 || true" EXIT
  mount --bind /proc "$m/proc"
  mount --bind /dev "$m/dev"
  local flags="-XX:+UseSerialGC -Xmx384m"
  local cp=/opt/nbsecrets/nbsecrets-init.jar:/opt/nbsecrets/nbsecrets.jar
  NBSECRETS_CONTROL_PLANE_BIN=$bin java -jar "$root/target/nbsecrets.jar" bench sessions \
      --operator-image-root "$m" --sessions 600 --warm-up 200 --rounds 2 --load-seconds 2 \
      --set 'operator.extraEnv[0].name=JDK_JAVA_OPTIONS' \
      --set 'operator.extraEnv[0].value=-XX:AOTMode=record -XX:AOTConfiguration=/tmp/operator.aotconf' \
      >"$out/operator-training.log" 2>&1 \
    || { tail -n 30 "$out/operator-training.log" >&2; exit 1; }
  [ -s "$m/tmp/operator.aotconf" ] || { echo "images.sh: the training run recorded nothing" >&2; exit 1; }
  # shellcheck disable=SC2086 # $flags is two flags
  chroot "$m" /opt/nbsecrets/operator-java/bin/java $flags -XX:AOTMode=create \
      -XX:AOTConfiguration=/tmp/operator.aotconf -XX:AOTCache=/opt/nbsecrets/operator.aot \
      -cp "$cp" io.nbsecrets.cli.Main >"$out/operator-aot.log" 2>&1 \
    || { tail -n 30 "$out/operator-aot.log" >&2; exit 1; }
  chmod 0444 "$m/opt/nbsecrets/operator.aot"
  # Nothing the training left in /tmp goes into the image (the kubeconfig's token among it).
  find "$m/tmp" -mindepth 1 -delete
  JDK_JAVA_OPTIONS="$flags -XX:AOTMode=on" chroot --userspec=65532:65532 "$m" \
      /opt/nbsecrets/entrypoint operator --help >/dev/null 2>"$out/operator-aot-check.log" \
    || { cat "$out/operator-aot-check.log" >&2; exit 1; }
  local size; size=$(du -m "$m/opt/nbsecrets/operator.aot" | cut -f1)
  umount "$m/proc" "$m/dev"
  buildah umount "$c" >/dev/null
  buildah commit -q "$c" "$image" >/dev/null
  buildah rm "$c" >/dev/null
  trap - EXIT
  echo "images.sh: the operator's AOT cache (${size} MB) trained in $((SECONDS - start)) s" >&2
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
  if [ "$name" = nbsecrets ]; then
    train_operator "localhost/$name:$tag"
  fi
  rm -f "$out/$name.tar"
  buildah push -q "localhost/$name:$tag" "oci-archive:$out/$name.tar:$tag" >/dev/null
  echo "images.sh: local/$name:$tag in $out/$name.tar ($((SECONDS - start)) s)" >&2
}

jre=$(base debian-jre openjdk-17-jre-headless,libssl3)
jdk=$(base debian-jdk openjdk-17-jdk-headless,ca-certificates,curl,unzip,gcc,libc6-dev,libssl-dev)
# The operator's Java 25: the machine's Temurin (Debian 12 has no Java 25).
operator_jdk=$(jdk_base temurin-25 "${JAVA25_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}")
python=$(base debian-python python3,python3-venv,ca-certificates)

build nbsecrets dev "$root/operator/Dockerfile" "$root" \
  --ignorefile "$root/operator/Dockerfile.dockerignore" \
  --build-arg BUILD_IMAGE="$jdk" --build-arg RUNTIME_IMAGE="$jre" --build-arg OPERATOR_JDK_IMAGE="$operator_jdk"
build jupyter 1 "$here/jupyter/Dockerfile" "$here/jupyter" --build-arg BASE="$python"
echo "$out"

#!/usr/bin/env bash
# Builds what a node needs beside the kubelet (which e2e/control-plane/build.sh builds with the rest
# of Kubernetes): containerd, its runc shim and ctr, runc, and the images a node runs without a
# registry, into a cache outside the work tree. A second run with the same pins does nothing.
#
#   e2e/node/build.sh          build if needed; the last line of stdout is the node's folder
#
# The folder holds bin/ (containerd, containerd-shim-runc-v2, ctr, runc, pause, coredns) and images/ (OCI
# layouts as tar files, for `ctr images import`): pause.tar, the pod sandbox, and busybox.tar, a
# shell and its tools for the node's own tests.
#
# Versions, and why:
# - containerd v2.4.2: the release line that kubelet 1.37 is tested with (CRI v1, config version 3);
#   built with -tags no_btrfs (the btrfs snapshotter needs headers Debian does not ship by default).
# - runc v1.5.3: Debian's runc 1.1.5 fails every pod sandbox on these machines ("can't get final
#   child's PID from pipe: EOF"); 1.5 names the real cause and runs them. Built with cgo and
#   -tags seccomp against Debian's libseccomp, so that seccomp RuntimeDefault is enforced.
# - pause: the program in pause/ (holds the pod's namespaces, reaps children, exits on a signal).
# - CoreDNS v1.15.0: the cluster's DNS (Services by name), the newest release the proxy serves.
#
# Needs Go (1.26), gcc, and Debian's libseccomp-dev, pkg-config, umoci and busybox-static.
# Environment: NBSECRETS_NODE_CACHE (default ~/.cache/nbsecrets/node).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${NBSECRETS_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nbsecrets/node}

need=()
command -v go >/dev/null 2>&1 || need+=("go (1.26 or newer)")
command -v gcc >/dev/null 2>&1 || need+=(gcc)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
pkg-config --exists libseccomp 2>/dev/null || need+=(libseccomp-dev)
command -v umoci >/dev/null 2>&1 || need+=(umoci)
[ -x /bin/busybox ] || need+=(busybox-static)
if [ ${#need[@]} -gt 0 ]; then
  echo "build.sh: missing ${need[*]} (Debian: apt-get install golang gcc pkg-config libseccomp-dev umoci busybox-static)" >&2
  exit 2
fi

busybox_version=$(/bin/busybox 2>&1 | sed -n '1s/^BusyBox v\([^ ]*\).*/\1/p')
recipe="containerd -tags no_btrfs; runc cgo -tags seccomp; pause CGO_ENABLED=0; -s -w -trimpath; images v1 busybox $busybox_version"
key=$( (cd "$here" && cat ./*/go.mod ./*/go.sum ./*/*.go 2>/dev/null; echo "$recipe") | sha256sum | cut -c1-16)
out="$cache/$key"
bin="$out/bin"
images="$out/images"
binaries=(containerd containerd-shim-runc-v2 ctr runc pause coredns)

complete() {
  for b in "${binaries[@]}"; do [ -x "$bin/$b" ] || return 1; done
  [ -s "$images/pause.tar" ] && [ -s "$images/busybox.tar" ]
}
if complete; then
  echo "node up to date in $out" >&2
  ln -sfn "$key" "$cache/current"
  echo "$out"
  exit 0
fi

mkdir -p "$bin" "$images"
export GOFLAGS="-mod=readonly -trimpath"
total_start=$(date +%s)
step() { # step NAME DIR CGO TAGS PACKAGES...
  local name=$1 dir=$2 cgo=$3 tags=$4; shift 4
  local start; start=$(date +%s)
  echo "building $name ..." >&2
  (cd "$here/$dir" && CGO_ENABLED=$cgo go build -o "$bin/" -tags "$tags" -ldflags "-s -w" "$@")
  echo "built $name in $(( $(date +%s) - start )) s" >&2
}

if [ ! -x "$bin/containerd" ] || [ ! -x "$bin/containerd-shim-runc-v2" ] || [ ! -x "$bin/ctr" ]; then
  step "containerd v2.4.2" containerd 1 no_btrfs \
    github.com/containerd/containerd/v2/cmd/containerd \
    github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2 \
    github.com/containerd/containerd/v2/cmd/ctr
fi
[ -x "$bin/runc" ] || step "runc v1.5.3" runc 1 seccomp github.com/opencontainers/runc
[ -x "$bin/pause" ] || step pause pause 0 "" .
[ -x "$bin/coredns" ] || step "CoreDNS v1.15.0" coredns 0 "" github.com/coredns/coredns

# image NAME TAG ROOTFS_SETUP CONFIG_ARGS...: an OCI layout with one manifest (a layout with two
# tags imported under one name made every sandbox exit), as a tar file.
image() {
  local name=$1 tag=$2 setup=$3; shift 3
  local work; work=$(mktemp -d)
  umoci init --layout "$work/layout"
  umoci new --image "$work/layout:$tag"
  umoci unpack --image "$work/layout:$tag" "$work/bundle" >/dev/null
  "$setup" "$work/bundle/rootfs"
  umoci repack --image "$work/layout:$tag" "$work/bundle"
  umoci config --image "$work/layout:$tag" "$@"
  umoci gc --layout "$work/layout"
  tar -C "$work/layout" -cf "$images/$name.tar.tmp" .
  mv "$images/$name.tar.tmp" "$images/$name.tar"
  rm -rf "$work"
  echo "image $name:$tag in $images/$name.tar" >&2
}
pause_rootfs() { install -m 0755 "$bin/pause" "$1/pause"; }
busybox_rootfs() {
  mkdir -p "$1/bin" "$1/tmp" "$1/etc"
  install -m 0755 /bin/busybox "$1/bin/busybox"
  local applet
  for applet in $(/bin/busybox --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$1/bin/$applet"
  done
  printf 'root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n' >"$1/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$1/etc/group"
}
image pause 1 pause_rootfs --config.entrypoint /pause --config.user 65535:65535
image busybox 1 busybox_rootfs --config.entrypoint /bin/sh --config.env PATH=/bin

ln -sfn "$key" "$cache/current"
echo "node built in $(( $(date +%s) - total_start )) s into $out" >&2
"$bin/containerd" --version >&2
"$bin/runc" --version | sed -n 1p >&2
echo "$out"

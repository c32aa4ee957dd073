#!/usr/bin/env bash
# A one-node Kubernetes cluster on this machine, until Ctrl-C: etcd, kube-apiserver and
# kube-controller-manager (e2e/control-plane), then containerd, runc, the kubelet, kube-proxy,
# CoreDNS and kube-scheduler (node.sh), all built here from pinned Go modules.
#
#   e2e/node/cluster.sh [DIR]          DIR defaults to target/cluster
#
# Prints `export KUBECONFIG=DIR/kubeconfig` (cluster-admin) once the node is Ready. Ctrl-C (or
# SIGTERM) stops everything and removes what the node left on the machine. Images: local/pause:1
# and local/busybox:1, and those of e2e/node/images.sh when NBSECRETS_NODE_IMAGES names its folder
# (local/nbsecrets:dev, local/jupyter:1); pods use imagePullPolicy: Never or IfNotPresent.
#
# Needs root, Go, a JDK 17+, and the Debian packages e2e/node/README.md lists. Run it from a
# checkout: it builds target/nbsecrets.jar when missing (./mvnw package).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
dir=${1:-$root/target/cluster}
[ "$(id -u)" = 0 ] || { echo "cluster.sh: a node needs root" >&2; exit 2; }

NBSECRETS_CONTROL_PLANE_BIN=${NBSECRETS_CONTROL_PLANE_BIN:-$("$here/../control-plane/build.sh" | tail -n 1)}
NBSECRETS_NODE=${NBSECRETS_NODE:-$("$here/build.sh" | tail -n 1)}
export NBSECRETS_CONTROL_PLANE_BIN NBSECRETS_NODE
jar="$root/target/nbsecrets.jar"
if [ ! -f "$jar" ]; then
  echo "cluster.sh: building $jar ..." >&2
  (cd "$root" && ./mvnw -B -q package -DskipTests)
fi
# From the checkout's root: the node's scripts are found relative to it.
cd "$root"
exec java -cp "$jar" io.nbsecrets.dev.LocalCluster "$dir"

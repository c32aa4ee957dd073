#!/usr/bin/env bash
# Builds a real Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler, kubectl), the kubelet and kube-proxy (for e2e/node) and helm from their Go modules, at the
# versions pinned in the go.mod files beside this script, into a
# cache outside the work tree. A second run with the same pins does nothing.
#
#   e2e/control-plane/build.sh          build if needed; the last line of stdout is the bin folder
#
# Environment: NBSECRETS_CONTROL_PLANE_CACHE (default ~/.cache/nbsecrets/control-plane).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${NBSECRETS_CONTROL_PLANE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nbsecrets/control-plane}

kubernetes_version=v1.37.2
helm_version=v4.3.1

command -v go >/dev/null 2>&1 || { echo "build.sh: Go is needed (go 1.26 or newer) and is not on PATH" >&2; exit 2; }

# The cache key covers what decides what is built: the pins, the mains, and the link flags (below);
# a change to this script's wording rebuilds nothing.
recipe="-s -w; version variables of $kubernetes_version and $helm_version; CGO_ENABLED=0; -trimpath"
key=$( (cd "$here" && cat ./*/go.mod ./*/go.sum ./*/*.go; echo "$recipe") | sha256sum | cut -c1-16)
bin="$cache/$key/bin"
binaries=(etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kubelet kube-proxy helm)

# The Gateway API's CRDs (HTTPRoute, BackendTLSPolicy), for the chart's routes on the apiserver
# tier: YAML files from the module, nothing built. Fetched apart from the binaries' cache key.
gateway_api_version=v1.6.3
crds="$bin/gateway-api-crds"
fetch_gateway_api_crds() {
  [ -s "$crds/$gateway_api_version/gateway.networking.k8s.io_httproutes.yaml" ] && return 0
  local dir
  dir=$(cd "$(mktemp -d)" && GOFLAGS=-mod=mod go mod download -json "sigs.k8s.io/gateway-api@$gateway_api_version" \
    | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -n "$dir" ] || { echo "build.sh: cannot download sigs.k8s.io/gateway-api@$gateway_api_version" >&2; return 1; }
  mkdir -p "$crds/$gateway_api_version"
  for kind in httproutes backendtlspolicies; do
    cp "$dir/config/crd/standard/gateway.networking.k8s.io_$kind.yaml" "$crds/$gateway_api_version/"
  done
  chmod -R u+w "$crds"
  echo "gateway API CRDs $gateway_api_version in $crds/$gateway_api_version" >&2
}

missing=()
for b in "${binaries[@]}"; do [ -x "$bin/$b" ] || missing+=("$b"); done
if [ ${#missing[@]} -eq 0 ]; then
  mkdir -p "$bin"
  fetch_gateway_api_crds
  echo "control plane up to date in $bin (kubernetes $kubernetes_version, helm $helm_version)" >&2
  ln -sfn "$key" "$cache/current"
  echo "$bin"
  exit 0
fi

mkdir -p "$bin"
export GOFLAGS="-mod=readonly -trimpath"
export CGO_ENABLED=0
total_start=$(date +%s)

step() { # step NAME DIR LDFLAGS PACKAGES...
  local name=$1 dir=$2 ldflags=$3; shift 3
  local start; start=$(date +%s)
  echo "building $name ..." >&2
  (cd "$here/$dir" && go build -o "$bin/" -ldflags "-s -w $ldflags" "$@")
  echo "built $name in $(( $(date +%s) - start )) s" >&2
}

k8s_version_pkg=k8s.io/component-base/version
k8s_ldflags="-X $k8s_version_pkg.gitVersion=$kubernetes_version -X $k8s_version_pkg.gitMajor=1"
k8s_ldflags+=" -X $k8s_version_pkg.gitMinor=37 -X $k8s_version_pkg.gitTreeState=clean"
k8s_ldflags+=" -X $k8s_version_pkg.buildDate=1970-01-01T00:00:00Z"

if [ ! -x "$bin/etcd" ]; then
  step etcd etcd "" .
fi
k8s_commands=(kube-apiserver kube-controller-manager kube-scheduler kubectl kubelet kube-proxy)
for c in "${k8s_commands[@]}"; do
  if [ ! -x "$bin/$c" ]; then
    step "${k8s_commands[*]} $kubernetes_version" kubernetes "$k8s_ldflags" "${k8s_commands[@]/#/k8s.io/kubernetes/cmd/}"
    break
  fi
done
if [ ! -x "$bin/helm" ]; then
  step "helm $helm_version" helm "-X helm.sh/helm/v4/internal/version.version=$helm_version" helm.sh/helm/v4/cmd/helm
fi

fetch_gateway_api_crds
ln -sfn "$key" "$cache/current"
echo "control plane built in $(( $(date +%s) - total_start )) s into $bin" >&2
for b in "${binaries[@]}"; do printf '  %-24s %s\n' "$b" "$("$bin/$b" --version 2>/dev/null | head -1 || "$bin/$b" version 2>/dev/null | head -1)" >&2; done
echo "$bin"

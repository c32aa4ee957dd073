#!/usr/bin/env bash
# A real node for a running control plane: containerd (with runc), the kubelet, kube-proxy
# (iptables mode: Services work), CoreDNS (Services by name) and kube-scheduler, on this machine,
# everything under one folder.
#
#   e2e/node/node.sh up DIR NAME KUBECONFIGS CLIENT_CA
#       starts node NAME and waits until it is Ready and kube-proxy serves the kubernetes Service;
#       the kubelet serves the API server's requests (logs, exec) made with a client certificate
#       that CLIENT_CA signed
#   e2e/node/node.sh import DIR NAME ARCHIVE
#       imports an OCI archive as image local/NAME:<its tag> (pods use imagePullPolicy: Never)
#   e2e/node/node.sh down DIR
#       stops it and removes what it left on the machine: processes (containers included), mounts,
#       network namespaces, the bridge, cgroups, CNI state. Safe to run twice, or after a failed up.
#
# KUBECONFIGS is a folder of kubeconfig files: kubelet (the user system:node:NAME in group
# system:nodes: the Node authorizer lets it see and change only its own node and pods), scheduler
# (system:kube-scheduler), proxy (system:kube-proxy) and dns (a user that may list and watch
# Services, EndpointSlices and Namespaces). Pods reach the API server through the kubernetes Service
# when it listens on the node's address (NBSECRETS_NODE_IP, else the address of the default route). Images: local/pause:1 (the pod
# sandbox) and local/busybox:1 are imported at start; pods use `imagePullPolicy: Never` (nothing
# here reaches a registry).
#
# Environment: NBSECRETS_NODE (e2e/node/build.sh's folder; built when unset),
# NBSECRETS_CONTROL_PLANE_BIN (kubelet and kube-scheduler; from e2e/control-plane/build.sh when
# unset). Needs root, Debian's containernetworking-plugins (/usr/lib/cni), iptables and iproute2.
#
# What these machines need (../shared/FACTS.md): the kubelet runs on cgroup v1 (failCgroupV1: false,
# cgroupfs); CAP_SYS_RESOURCE is missing, so containerd must not raise oom_score_adj.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

usage() { sed -n '6,14p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
[ $# -ge 2 ] || usage
action=$1
dir=$2
bridge=nbs0
network=nbsecrets-node
pod_subnet=10.244.0.0/24

# The cgroup that holds every pod of this node, named after the folder, in each v1 hierarchy.
cgroup_name() { echo "nbsecrets-node-$(printf '%s' "$(realpath -m "$dir")" | sha256sum | cut -c1-12)"; }
cgroup_dirs() {
  local name; name=$(cgroup_name)
  awk '$3 == "cgroup" || $3 == "cgroup2" {print $2}' /proc/self/mounts | sort -u | while read -r mnt; do
    echo "$mnt/$name"
  done
}

pid_of() { [ -s "$dir/run/$1.pid" ] && cat "$dir/run/$1.pid"; }
alive() { local p; p=$(pid_of "$1") && kill -0 "$p" 2>/dev/null; }
stop() { # stop NAME: TERM, then KILL after 10 s
  local p
  p=$(pid_of "$1") || return 0
  kill "$p" 2>/dev/null || { rm -f "$dir/run/$1.pid"; return 0; }
  for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$p" 2>/dev/null || true
  rm -f "$dir/run/$1.pid"
}

start() { # start NAME COMMAND...: in its own session, output to logs/NAME.log
  local name=$1; shift
  setsid "$@" >"$dir/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$dir/run/$name.pid"
}

wait_for() { # wait_for SECONDS WHAT COMMAND...
  local seconds=$1 what=$2; shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then
      echo "node.sh: $what not within $seconds s; logs in $dir/logs" >&2
      return 1
    fi
    sleep 0.2
  done
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

ctr_() { "$node/bin/ctr" --address "$dir/containerd/containerd.sock" -n k8s.io "$@"; }

up() {
  local name=$1 kubeconfigs=$2 client_ca=$3
  local kubelet_kubeconfig=$kubeconfigs/kubelet scheduler_kubeconfig=$kubeconfigs/scheduler
  local proxy_kubeconfig=$kubeconfigs/proxy dns_kubeconfig=$kubeconfigs/dns
  local f
  for f in "$kubelet_kubeconfig" "$scheduler_kubeconfig" "$proxy_kubeconfig" "$dns_kubeconfig"; do
    [ -r "$f" ] || { echo "node.sh: missing kubeconfig $f" >&2; exit 2; }
  done
  [ "$(id -u)" = 0 ] || { echo "node.sh: a node needs root" >&2; exit 2; }
  [ -x /usr/lib/cni/bridge ] || { echo "node.sh: missing the CNI plugins (apt-get install containernetworking-plugins)" >&2; exit 2; }
  command -v iptables >/dev/null 2>&1 || { echo "node.sh: missing iptables (apt-get install iptables)" >&2; exit 2; }
  node=${NBSECRETS_NODE:-$("$here/build.sh" | tail -n 1)}
  cp_bin=${NBSECRETS_CONTROL_PLANE_BIN:-$("$here/../control-plane/build.sh" | tail -n 1)}

  mkdir -p "$dir"/{run,logs,containerd,kubelet,cni/net.d,cni/ipam,dns}
  dir=$(realpath "$dir")
  echo "$name" >"$dir/run/name"
  echo "$node" >"$dir/run/node"
  echo "$cp_bin" >"$dir/run/cp_bin"
  local node_ip=${NBSECRETS_NODE_IP:-}
  [ -n "$node_ip" ] || node_ip=$(ip -4 route get 1.1.1.1 2>/dev/null | sed -n 's/.* src \([0-9.]*\).*/\1/p')
  [ -n "$node_ip" ] || node_ip=$(ip -4 -o addr show scope global | awk '{split($4, a, "/"); print a[1]; exit}')
  [ -n "$node_ip" ] || { echo "node.sh: this machine has no global IPv4 address for the node" >&2; exit 1; }

  cat >"$dir/cni/net.d/10-$network.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "$network",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$bridge",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{"subnet": "$pod_subnet"}]],
        "routes": [{"dst": "0.0.0.0/0"}],
        "dataDir": "$dir/cni/ipam"
      }
    }
  ]
}
EOF
  cat >"$dir/containerd/config.toml" <<EOF
version = 3
root = "$dir/containerd/root"
state = "$dir/containerd/state"
disabled_plugins = ["io.containerd.nri.v1.nri", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.blockfile", "io.containerd.snapshotter.v1.erofs"]
[grpc]
  address = "$dir/containerd/containerd.sock"
[ttrpc]
  address = "$dir/containerd/containerd.sock.ttrpc"
[plugins.'io.containerd.internal.v1.opt']
  path = "$dir/containerd/opt"
[plugins.'io.containerd.grpc.v1.cri']
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
[plugins.'io.containerd.cri.v1.images']
  snapshotter = "overlayfs"
  [plugins.'io.containerd.cri.v1.images'.pinned_images]
    sandbox = "docker.io/local/pause:1"
[plugins.'io.containerd.cri.v1.runtime']
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  cdi_spec_dirs = []
  enable_cdi = false
  [plugins.'io.containerd.cri.v1.runtime'.cni]
    bin_dirs = ["/usr/lib/cni"]
    conf_dir = "$dir/cni/net.d"
  [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
    runtime_type = "io.containerd.runc.v2"
    [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
      BinaryName = "$node/bin/runc"
      Root = "$dir/runc"
      SystemdCgroup = false
EOF
  local started=$SECONDS
  PATH="$node/bin:$PATH" start containerd "$node/bin/containerd" --config "$dir/containerd/config.toml"
  wait_for 30 "containerd's socket" ctr_ version
  local image
  for image in pause busybox; do import_image "$image" "$node/images/$image.tar"; done

  # The cluster's DNS on the node's address (the kubelet's clusterDNS): Services and pods by name.
  cat >"$dir/dns/Corefile" <<EOF
cluster.local:53 in-addr.arpa:53 ip6.arpa:53 {
    bind $node_ip
    errors
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        kubeconfig $dns_kubeconfig
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
    }
}
EOF
  start dns "$node/bin/coredns" -conf "$dir/dns/Corefile"
  dns_listening() { ss -lnu | grep -q " $node_ip:53 "; }
  wait_for 30 "CoreDNS" dns_listening

  local cg
  for cg in $(cgroup_dirs); do mkdir -p "$cg"; done
  local kubelet_port healthz_port scheduler_port
  kubelet_port=$(free_port)
  healthz_port=$(free_port)
  scheduler_port=$(free_port)
  cat >"$dir/kubelet/config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
failCgroupV1: false
cgroupDriver: cgroupfs
cgroupRoot: /$(cgroup_name)
failSwapOn: false
address: $node_ip
port: $kubelet_port
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $healthz_port
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $client_ca}
authorization:
  mode: Webhook
clusterDNS: [$node_ip]
clusterDomain: cluster.local
containerRuntimeEndpoint: unix://$dir/containerd/containerd.sock
imageServiceEndpoint: unix://$dir/containerd/containerd.sock
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%", nodefs.inodesFree: "1%"}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
serializeImagePulls: false
syncFrequency: 10s
fileCheckFrequency: 10s
podLogsDir: $dir/kubelet/pod-logs
EOF
  start kubelet "$cp_bin/kubelet" --config="$dir/kubelet/config.yaml" --kubeconfig="$kubelet_kubeconfig" \
    --root-dir="$dir/kubelet/root" --cert-dir="$dir/kubelet/pki" --node-ip="$node_ip" \
    --hostname-override="$name" --v=1
  start kube-scheduler "$cp_bin/kube-scheduler" --kubeconfig="$scheduler_kubeconfig" \
    --leader-elect=false --bind-address=127.0.0.1 --secure-port="$scheduler_port" --v=1
  # Rules a kube-proxy left behind when an earlier node never ran `down` would satisfy ready()'s
  # check below before this kube-proxy's first sync: cleared first, unless a kube-proxy runs here.
  if ! pgrep -x kube-proxy >/dev/null; then
    "$cp_bin/kube-proxy" --cleanup >"$dir/logs/kube-proxy-cleanup.log" 2>&1 || true
  fi
  # Services: every Service address to its endpoints, masqueraded (so that a pod reaching a Service
  # served by a pod on the same bridge gets its answer back through the node).
  start kube-proxy "$cp_bin/kube-proxy" --kubeconfig="$proxy_kubeconfig" --hostname-override="$name" \
    --proxy-mode=iptables --cluster-cidr="$pod_subnet" --masquerade-all --conntrack-max-per-core=0 \
    --healthz-bind-address=127.0.0.1:"$(free_port)" --metrics-bind-address=127.0.0.1:"$(free_port)" --v=1

  local kubectl=("$cp_bin/kubectl" --kubeconfig="$scheduler_kubeconfig")
  ready() {
    alive kubelet && alive kube-scheduler && alive kube-proxy && alive containerd && alive dns || return 2
    [ "$("${kubectl[@]}" get node "$name" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ] ||
      return 1
    # Services work: kube-proxy has programmed the kubernetes Service (a NAT rule only once it has
    # endpoints). The node's Ready condition says nothing about kube-proxy; a pod started before
    # its first sync cannot reach the API server through the Service.
    local rules
    rules=$(iptables -w -t nat -S KUBE-SERVICES 2>/dev/null) || return 1
    [[ $rules == *'"default/kubernetes:https cluster IP"'* ]]
  }
  local deadline=$((SECONDS + 90)) status
  while :; do
    status=0; ready || status=$?
    [ $status -eq 0 ] && break
    if [ $status -eq 2 ]; then
      echo "node.sh: a component of the node exited; logs in $dir/logs" >&2
      tail -n 5 "$dir"/logs/*.log >&2 || true
      return 1
    fi
    if [ $SECONDS -ge $deadline ]; then
      echo "node.sh: node $name not Ready within 90 s; logs in $dir/logs" >&2
      return 1
    fi
    sleep 0.2
  done
  echo "node $name Ready in $((SECONDS - started)) s (containerd, kubelet, kube-proxy, kube-scheduler; logs in $dir/logs)" >&2
}

down() {
  [ -d "$dir" ] || return 0
  dir=$(realpath "$dir")
  node=$(cat "$dir/run/node" 2>/dev/null || true)
  # The kubelet and the scheduler first, so that nothing starts again.
  stop kubelet
  stop kube-scheduler
  stop kube-proxy
  # kube-proxy's own rules and chains (every Service it programmed).
  local cp_bin; cp_bin=$(cat "$dir/run/cp_bin" 2>/dev/null || true)
  if [ -n "$cp_bin" ] && [ -x "$cp_bin/kube-proxy" ]; then
    "$cp_bin/kube-proxy" --cleanup >>"$dir/logs/kube-proxy-cleanup.log" 2>&1 || true
  fi
  # The pods: every container task killed and deleted while containerd still runs.
  if alive containerd && [ -n "$node" ] && [ -x "$node/bin/ctr" ]; then
    local id
    for id in $(ctr_ tasks ls -q 2>/dev/null); do ctr_ tasks delete --force "$id" >/dev/null 2>&1 || true; done
    for id in $(ctr_ containers ls -q 2>/dev/null); do ctr_ containers delete "$id" >/dev/null 2>&1 || true; done
  fi
  stop containerd
  stop dns
  # What may outlive containerd: its shims, and any process still in the node's cgroups.
  local p cg
  for p in $(pgrep -f -- "-address $dir/containerd/containerd.sock" || true); do kill -9 "$p" 2>/dev/null || true; done
  for cg in $(cgroup_dirs); do
    [ -d "$cg" ] || continue
    find "$cg" -name cgroup.procs -exec cat {} + 2>/dev/null | while read -r p; do kill -9 "$p" 2>/dev/null || true; done
  done
  # Mounts under the folder (container root filesystems, network namespaces, volumes), deepest first.
  local m
  for _ in 1 2 3; do
    mapfile -t mounts < <(awk -v d="$dir/" 'index($5, d) == 1 {print $5}' /proc/self/mountinfo | sort -r)
    [ ${#mounts[@]} -eq 0 ] && break
    for m in "${mounts[@]}"; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; done
  done
  ip link delete "$bridge" 2>/dev/null || true
  # The kubelet's links to container logs (kept in /var/log/containers whatever podLogsDir says).
  find /var/log/containers -maxdepth 1 -type l -lname "$dir/*" -delete 2>/dev/null || true
  # libcni's cache of results, kept outside containerd's folders, for this network only.
  rm -f /var/lib/cni/results/"$network"-* 2>/dev/null || true
  # The cgroups, deepest first, once their processes are gone.
  for cg in $(cgroup_dirs); do
    [ -d "$cg" ] || continue
    for _ in $(seq 50); do
      find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null || true
      [ -d "$cg" ] || break
      sleep 0.1
    done
    [ -d "$cg" ] && echo "node.sh: cgroup $cg still has processes" >&2
  done
  # The kubelet's iptables chains (a canary, a hint, and the rule that drops packets from outside to
  # 127.0.0.0/8): kubelets share them, so this node must be the machine's only kubelet.
  local ipt t
  for ipt in iptables ip6tables; do
    command -v "$ipt" >/dev/null 2>&1 || continue
    for chain in INPUT OUTPUT; do
      while "$ipt" -w -D "$chain" -j KUBE-FIREWALL 2>/dev/null; do :; done
    done
    if "$ipt" -w -F KUBE-FIREWALL 2>/dev/null; then "$ipt" -w -X KUBE-FIREWALL 2>/dev/null || true; fi
    for t in mangle filter nat; do "$ipt" -w -t "$t" -X KUBE-KUBELET-CANARY 2>/dev/null || true; done
    "$ipt" -w -t mangle -X KUBE-IPTABLES-HINT 2>/dev/null || true
  done
  # Folders the kubelet, containerd's shims and libcni make at fixed places, when left empty.
  rm -f /var/lib/kubelet/device-plugins/kubelet.sock
  for d in /var/lib/kubelet/device-plugins /var/lib/kubelet /var/lib/cni/results /var/lib/cni \
    /var/log/containers /run/containerd/s /run/containerd; do
    rmdir "$d" 2>/dev/null || true
  done
  rm -rf "$dir/containerd" "$dir/kubelet/root" "$dir/runc" "$dir/run"
}

import_image() { # import_image NAME ARCHIVE
  node=$(cat "$dir/run/node")
  ctr_ images import --base-name "docker.io/local/$1" "$2" >>"$dir/logs/images.log" 2>&1 \
    || { tail -n 5 "$dir/logs/images.log" >&2; return 1; }
}

case $action in
  up) [ $# -eq 5 ] || usage; up "$3" "$4" "$5" ;;
  import) [ $# -eq 4 ] || usage; dir=$(realpath "$dir"); import_image "$3" "$4" ;;
  down) [ $# -eq 2 ] || usage; down ;;
  *) usage ;;
esac

#!/bin/bash
# Kubernetes node library (kubeadm): versions, containerd, kubelet and the
# kubeadm configuration shared by masters and workers. Needs common.sh.

COE_CRI_SOCKET=unix:///run/containerd/containerd.sock
# where kubeadm keeps the cluster's certificates
K8S_PKI=/etc/kubernetes/pki
K8S_ETCD_DIR=/var/lib/etcd
K8S_DISCOVERY=/etc/coe/discovery.conf
K8S_MANIFESTS=/etc/kubernetes/manifests
# kubeadm patches of the control plane's pods (k8s_probe_patches)
K8S_PATCHES=/etc/kubernetes/coe-patches
# modules to load at boot (a variable so that tests can point elsewhere)
K8S_MODULES_LOAD=/etc/modules-load.d/coe-ipvs.conf

# ver_ge A B: whether version A >= B (leading "v" ignored)
ver_ge() {
  [ "$(printf '%s\n%s\n' "${1#v}" "${2#v}" | sort -V | head -n1)" = "${2#v}" ]
}

# Versions come from labels. The checker refuses those older than the
# catalogue's min_version (COE0411); a node stops rather than substitute.
k8s_versions() {
  KUBE_VERSION=$(label kube_tag v1.30.6)
  KUBE_VERSION=v${KUBE_VERSION#v}
  KUBE_VERSION=${KUBE_VERSION%%-*}
  ver_ge "$KUBE_VERSION" v1.22.0 || die "kube_tag $KUBE_VERSION predates kubeadm's v1beta3 config (v1.22.0)"
  KUBE_MINOR=$(echo "$KUBE_VERSION" | cut -d. -f2)
  CONTAINERD_VERSION=$(label containerd_version 1.7.22)
  CONTAINERD_VERSION=${CONTAINERD_VERSION#v}
  ver_ge "$CONTAINERD_VERSION" 1.6.0 || die "containerd_version $CONTAINERD_VERSION lacks the CRI v1 API (1.6.0)"
  RUNC_VERSION=v1.1.14
  CNI_PLUGINS_VERSION=v1.5.1
  CRICTL_VERSION=v1.$KUBE_MINOR.0
  FLANNEL_VERSION=$(label flannel_tag v0.25.7)
  ver_ge "$FLANNEL_VERSION" v0.20.0 || die "flannel_tag $FLANNEL_VERSION is older than v0.20.0"
  CALICO_VERSION=$(label calico_tag v3.28.2)
  ver_ge "$CALICO_VERSION" v3.24.0 || die "calico_tag $CALICO_VERSION is older than v3.24.0"
  # kubeadm.k8s.io/v1beta4 replaced v1beta3 in 1.31
  if [ "$KUBE_MINOR" -ge 31 ]; then KUBEADM_API=v1beta4; else KUBEADM_API=v1beta3; fi
  # no prefix (the catalogue's default) means kubeadm's own registry
  KUBE_REPO=$(label container_infra_prefix)
  KUBE_REPO=${KUBE_REPO:-registry.k8s.io/}
  KUBE_REPO=${KUBE_REPO%/}
  log "kubernetes $KUBE_VERSION, containerd $CONTAINERD_VERSION, images from $KUBE_REPO"
}

k8s_selinux() {
  local mode
  command -v setenforce >/dev/null || return 0
  mode=$(label selinux_mode permissive)
  # kubeadm's static pods need hostPath access that enforcing denies
  [ "$mode" = permissive ] || die "selinux_mode $mode is not supported with kubeadm (permissive)"
  setenforce 0 || true
  [ -f /etc/selinux/config ] && sed -i 's/^SELINUX=enforcing/SELINUX=permissive/' /etc/selinux/config
  return 0
}

k8s_install_binaries() {
  local url tmp
  tmp=$(mktemp -d)
  # no URL (the catalogue's default) means the release of containerd_version
  url=$(label containerd_tarball_url)
  url=${url:-"https://github.com/containerd/containerd/releases/download/v$CONTAINERD_VERSION/containerd-$CONTAINERD_VERSION-linux-$COE_ARCH.tar.gz"}
  coe_fetch "$url" "$tmp/containerd.tgz" "$(label containerd_tarball_sha256)"
  tar -xzf "$tmp/containerd.tgz" -C "$tmp"
  install -m 0755 "$tmp"/bin/* "$COE_BIN"/
  coe_fetch "https://github.com/opencontainers/runc/releases/download/$RUNC_VERSION/runc.$COE_ARCH" "$COE_BIN/runc"
  mkdir -p /opt/cni/bin
  coe_fetch "https://github.com/containernetworking/plugins/releases/download/$CNI_PLUGINS_VERSION/cni-plugins-linux-$COE_ARCH-$CNI_PLUGINS_VERSION.tgz" "$tmp/cni.tgz"
  tar -xzf "$tmp/cni.tgz" -C /opt/cni/bin
  coe_fetch "https://github.com/kubernetes-sigs/cri-tools/releases/download/$CRICTL_VERSION/crictl-$CRICTL_VERSION-linux-$COE_ARCH.tar.gz" "$tmp/crictl.tgz"
  tar -xzf "$tmp/crictl.tgz" -C "$COE_BIN"
  for b in kubeadm kubelet kubectl; do
    coe_fetch "https://dl.k8s.io/release/$KUBE_VERSION/bin/linux/$COE_ARCH/$b" "$COE_BIN/$b"
  done
  chmod 0755 "$COE_BIN"/*
  rm -rf "$tmp"
  printf 'runtime-endpoint: %s\n' "$COE_CRI_SOCKET" >/etc/crictl.yaml
}

k8s_containerd() {
  local pause
  [ "$(label container_runtime containerd)" = containerd ] || die "container_runtime $(label container_runtime) is not available with kubeadm (containerd)"
  # images and snapshots live on the docker volume when there is one
  coe_mount_volume "$COE_DOCKER_DEVICE" /var/lib/containerd
  # the image's own docker/containerd must not hold the socket
  systemctl disable --now docker.socket docker.service containerd.service 2>/dev/null || true
  pause=$("$COE_BIN/kubeadm" config images list --kubernetes-version "$KUBE_VERSION" --image-repository "$KUBE_REPO" 2>/dev/null | grep /pause: || echo "$KUBE_REPO/pause:3.9")
  mkdir -p /etc/containerd
  "$COE_BIN/containerd" config default >/etc/containerd/config.toml
  sed -i -e 's/SystemdCgroup = false/SystemdCgroup = true/' \
    -e "s#sandbox_image = .*#sandbox_image = \"$pause\"#" \
    -e 's#bin_dir = .*#bin_dir = "/opt/cni/bin"#' /etc/containerd/config.toml
  cat >/etc/systemd/system/containerd.service <<EOF
[Unit]
Description=containerd for Kubernetes (coe)
After=network.target local-fs.target

[Service]
ExecStartPre=-/sbin/modprobe overlay
ExecStart=$COE_BIN/containerd --config /etc/containerd/config.toml
Environment=PATH=$COE_BIN:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
Type=notify
Delegate=yes
KillMode=process
Restart=always
RestartSec=5
LimitNOFILE=infinity
TasksMax=infinity
OOMScoreAdjust=-999

[Install]
WantedBy=multi-user.target
EOF
  coe_proxy_dropin containerd.service "$COE_PODS_NETWORK_CIDR,$COE_SERVICES_NETWORK_CIDR,.svc,.cluster.local"
  systemctl daemon-reload
  systemctl enable --now containerd.service
  retry 30 2 crictl info >/dev/null
}

k8s_kubelet_unit() {
  mkdir -p /etc/systemd/system/kubelet.service.d /var/lib/kubelet/volumeplugins
  cat >/etc/systemd/system/kubelet.service <<EOF
[Unit]
Description=Kubernetes kubelet (coe)
Wants=network-online.target containerd.service
After=network-online.target containerd.service

[Service]
ExecStart=$COE_BIN/kubelet
Environment=PATH=$COE_BIN:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
Restart=always
RestartSec=10

[Install]
WantedBy=multi-user.target
EOF
  # the flags kubeadm writes for the kubelet, as its own packages do
  cat >/etc/systemd/system/kubelet.service.d/10-kubeadm.conf <<EOF
[Service]
Environment="KUBELET_KUBECONFIG_ARGS=--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf --kubeconfig=/etc/kubernetes/kubelet.conf"
Environment="KUBELET_CONFIG_ARGS=--config=/var/lib/kubelet/config.yaml"
EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env
ExecStart=
ExecStart=$COE_BIN/kubelet \$KUBELET_KUBECONFIG_ARGS \$KUBELET_CONFIG_ARGS \$KUBELET_KUBEADM_ARGS
EOF
  coe_proxy_dropin kubelet.service "$COE_PODS_NETWORK_CIDR,$COE_SERVICES_NETWORK_CIDR"
  systemctl daemon-reload
  systemctl enable kubelet.service
}

# Pods must not read the node's user data (the bootstrap token, the
# certificate key) from the metadata service: drop traffic from the pod range
# to it before any other rule sees it, now and at every boot. Host-network
# pods (cloud provider, CSI) keep the node's own access.
k8s_block_metadata() {
  local ipt rule
  if ! ipt=$(command -v iptables); then
    log "warning: iptables is missing; pods can reach the metadata service"
    return 0
  fi
  rule="PREROUTING -s $COE_PODS_NETWORK_CIDR -d 169.254.169.254/32 -j DROP"
  cat >/etc/systemd/system/coe-metadata-guard.service <<EOF
[Unit]
Description=drop pod traffic to the metadata service (coe)
After=firewalld.service iptables.service
Before=kubelet.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/sh -c '$ipt -t raw -C $rule 2>/dev/null || $ipt -t raw -I $rule'

[Install]
WantedBy=multi-user.target
EOF
  systemctl daemon-reload
  systemctl enable --now coe-metadata-guard.service
}

# k8s_ipvs_modules: in IPVS mode (kubeproxy_options --proxy-mode=ipvs),
# kube-proxy needs the IPVS modules, its scheduler's among them, loaded now
# and at every boot; it does not load them itself.
k8s_ipvs_modules() {
  local words w mode='' sched=rr m
  read -ra words <<<"$(label kubeproxy_options)"
  for w in "${words[@]}"; do
    case $w in
      --proxy-mode=*) mode=${w#*=} ;;
      --ipvs-scheduler=*) sched=${w#*=} ;;
    esac
  done
  [ "$mode" = ipvs ] || return 0
  mkdir -p "$(dirname "$K8S_MODULES_LOAD")"
  printf '%s\n' ip_vs "ip_vs_$sched" nf_conntrack >"$K8S_MODULES_LOAD"
  for m in ip_vs "ip_vs_$sched" nf_conntrack; do
    modprobe "$m" || die "kube-proxy's IPVS mode needs the kernel module $m, which does not load"
  done
}

# Everything a node needs before kubeadm runs.
k8s_prepare_node() {
  k8s_versions
  k8s_selinux
  coe_kernel_setup
  k8s_ipvs_modules
  k8s_block_metadata
  k8s_install_binaries
  k8s_containerd
  k8s_kubelet_unit
}

# Preflight checks kubeadm may fail on small flavors or minimal images.
K8S_PREFLIGHT_IGNORE=NumCPU,Mem,FileExisting-conntrack,FileExisting-socat,FileExisting-ethtool,FileExisting-tc,SystemVerification

# k8s_extra_args KEY=VALUE...: kubeadm extraArgs in the API version's format
k8s_extra_args() {
  local kv
  for kv in "$@"; do
    if [ "$KUBEADM_API" = v1beta4 ]; then
      printf '    - name: %s\n      value: "%s"\n' "${kv%%=*}" "${kv#*=}"
    else
      printf '    %s: "%s"\n' "${kv%%=*}" "${kv#*=}"
    fi
  done
}

# k8s_flags_of TEXT: `--name=value` flags (their form checked by coe,
# COE0412) as name=value lines for k8s_extra_args
k8s_flags_of() {
  local words w
  read -ra words <<<"$1"
  for w in "${words[@]}"; do printf '%s\n' "${w#--}"; done
}

# k8s_component_args SECTION FLAGS [NAME=VALUE...]: SECTION with the
# extraArgs given and those of FLAGS (a flags label); nothing when none
k8s_component_args() {
  local section=$1 args
  mapfile -t args < <(k8s_flags_of "$2")
  shift 2
  args=("$@" "${args[@]}")
  [ "${#args[@]}" -gt 0 ] || return 0
  [ -z "$section" ] || printf '%s:\n' "$section"
  printf '  extraArgs:\n'
  k8s_extra_args "${args[@]}"
}

# k8s_api_server_args: the API server's extraArgs, from its flags label and
# the admission plugins label; unset, the API server's and kubeadm's own
k8s_api_server_args() {
  local plugins
  plugins=$(label admission_control_list)
  if [ -n "$plugins" ]; then
    k8s_component_args "" "$(label kubeapi_options)" "enable-admission-plugins=$plugins"
  else
    k8s_component_args "" "$(label kubeapi_options)"
  fi
}

# k8s_node_registration: nodeRegistration shared by init and join
k8s_node_registration() {
  local flags
  mapfile -t flags < <(k8s_flags_of "$(label kubelet_options)")
  cat <<EOF
nodeRegistration:
  name: "$COE_NODE_NAME"
  criSocket: "$COE_CRI_SOCKET"
  kubeletExtraArgs:
$(k8s_extra_args "node-ip=$COE_PRIVATE_ADDRESS" "${flags[@]}")
EOF
}

k8s_kubelet_config() {
  cat <<EOF
---
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: systemd
volumePluginDir: /var/lib/kubelet/volumeplugins
EOF
}

# kube-proxy's configuration document (kubeproxy_options, written by coe as
# one line of JSON); unset, kubeadm's own. kubeadm hands it to every node.
k8s_kube_proxy_config() {
  [ -n "${COE_KUBE_PROXY_CONFIG:-}" ] || return 0
  printf -- '---\n%s\n' "$COE_KUBE_PROXY_CONFIG"
}

# yaml_str TEXT: TEXT as a double-quoted YAML string
yaml_str() {
  local s=${1//\\/\\\\}
  printf '"%s"' "${s//\"/\\\"}"
}

# the etcd and CoreDNS image tags the labels pin; unset, kubeadm's own
k8s_image_tags() {
  local etcd dns
  etcd=$(label etcd_tag)
  dns=$(label coredns_tag)
  [ -z "$etcd" ] || printf 'etcd:\n  local:\n    imageTag: %s\n' "$(yaml_str "$etcd")"
  [ -z "$dns" ] || printf 'dns:\n  imageTag: %s\n' "$(yaml_str "$dns")"
  return 0
}

# k8s_probe_patches DIR: the liveness timing of system_pods_initial_delay
# and system_pods_timeout for the control plane's static pods, as kubeadm
# patches written to DIR, and the `patches:` field that points kubeadm at
# them. Neither label set: nothing, and kubeadm's own timing.
k8s_probe_patches() {
  local delay timeout pod
  delay=$(label system_pods_initial_delay)
  timeout=$(label system_pods_timeout)
  [ -n "$delay$timeout" ] || return 0
  # the check accepted integers as written (" 08", "+5"): base 10, no sign
  delay=${delay//[[:space:]]/} timeout=${timeout//[[:space:]]/}
  [ -z "$delay" ] || delay=$((10#${delay#+}))
  [ -z "$timeout" ] || timeout=$((10#${timeout#+}))
  mkdir -p "$1"
  for pod in kube-apiserver kube-controller-manager kube-scheduler etcd; do
    {
      printf 'spec:\n  containers:\n    - name: %s\n      livenessProbe:\n' "$pod"
      [ -z "$delay" ] || printf '        initialDelaySeconds: %s\n' "$delay"
      [ -z "$timeout" ] || printf '        timeoutSeconds: %s\n' "$timeout"
    } >"$1/$pod+strategic.yaml"
  done
  printf 'patches:\n  directory: %s\n' "$(yaml_str "$1")"
}

# k8s_join_config ENDPOINT [control-plane]: a JoinConfiguration. With the
# CAs coe keeps (COE_CA_CERT, every one a rotation trusts), the node finds
# the API through a kubeconfig that trusts exactly those; otherwise workers
# pin master 0's CA, and other masters, which cannot wait for master 0, rely
# on the token.
k8s_join_config() {
  local hash
  if [ -n "${COE_CA_CERT:-}" ]; then
    k8s_discovery_file "$1" >"$K8S_DISCOVERY"
    cat <<EOF
apiVersion: kubeadm.k8s.io/$KUBEADM_API
kind: JoinConfiguration
discovery:
  file:
    kubeConfigPath: $K8S_DISCOVERY
  tlsBootstrapToken: "$COE_BOOTSTRAP_TOKEN"
EOF
  else
    hash=$(printf '%s' "${COE_CA_CERT_HASH:-}" | grep -o 'sha256:[0-9a-f]\{64\}' | head -n1 || true)
    cat <<EOF
apiVersion: kubeadm.k8s.io/$KUBEADM_API
kind: JoinConfiguration
discovery:
  bootstrapToken:
    apiServerEndpoint: "$1"
    token: "$COE_BOOTSTRAP_TOKEN"
EOF
    if [ -n "$hash" ]; then
      printf '    caCertHashes: ["%s"]\n' "$hash"
    else
      printf '    unsafeSkipCAVerification: true\n'
    fi
  fi
  k8s_node_registration
  if [ "${2:-}" = control-plane ]; then
    k8s_probe_patches "$K8S_PATCHES"
    printf 'controlPlane:\n'
    # with the shared secrets in place there is nothing to download
    [ -n "${K8S_SHARED:-}" ] || printf '  certificateKey: "%s"\n' "$COE_CERTIFICATE_KEY"
    cat <<EOF
  localAPIEndpoint:
    advertiseAddress: "$COE_PRIVATE_ADDRESS"
    bindPort: $COE_KUBE_API_PORT
EOF
  fi
  k8s_kubelet_config
}

# k8s_discovery_file ENDPOINT: a kubeconfig naming the API at ENDPOINT and
# the CAs coe keeps (COE_CA_CERT), for kubeadm's file discovery. The shape
# of cluster-info's: one unnamed cluster, no context and no user (kubeadm
# refuses a context without a user).
k8s_discovery_file() {
  cat <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: ""
    cluster:
      server: "https://$1"
      certificate-authority-data: "$(printf '%s\n' "$COE_CA_CERT" | base64 -w0)"
contexts: null
current-context: ""
preferences: {}
users: null
EOF
}

# k8s_wait_api ENDPOINT: until the API answers /healthz (anonymous is allowed)
k8s_wait_api() {
  log "waiting for the API at $1"
  retry 180 10 curl -ksf --max-time 10 -o /dev/null "https://$1/healthz"
}

# k8s_control_plane_up ENDPOINT: whether an API server already answers at
# ENDPOINT, the masters' load balancer. Any HTTP status counts (only an API
# server speaks TLS there); no answer in a minute counts as none, since a
# load balancer takes a moment to route to a healthy master.
k8s_control_plane_up() {
  local i code
  for i in 1 2 3 4 5 6; do
    code=$(curl -ks -o /dev/null -w '%{http_code}' --max-time 5 "https://$1/healthz" || true)
    case $code in "" | 000) ;; *) return 0 ;; esac
    [ "$i" -eq 6 ] || sleep 10
  done
  return 1
}

# k8s_forget_member ENDPOINT: before a master joins a running control plane,
# remove the etcd member a rebuilt or replaced node of the same name left
# behind; etcd refuses a member whose peer address is already taken. The
# joining master may fetch the cluster's certificates (the certificate key
# is for exactly that) or has them from Barbican, so it signs itself a
# short-lived admin certificate and asks a running etcd through its pod.
# Nothing to remove on a first join.
k8s_forget_member() {
  local dir=$COE_STATE/rejoin pki=$K8S_PKI pod id
  if [ -z "${K8S_SHARED:-}" ]; then
    # the API answers before kubeadm init has uploaded the certificates
    retry 10 30 kubeadm join phase control-plane-prepare download-certs --config /etc/coe/kubeadm-join.yaml ||
      die "could not fetch the control plane's certificates from $1"
  fi
  mkdir -p "$dir"
  openssl req -new -newkey rsa:2048 -nodes -subj "/O=system:masters/CN=coe-rejoin-$COE_NODE_NAME" \
    -keyout "$dir/admin.key" -out "$dir/admin.csr" 2>/dev/null
  openssl x509 -req -days 1 -in "$dir/admin.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" \
    -CAcreateserial -out "$dir/admin.crt" 2>/dev/null
  set -- --server "https://$1" --certificate-authority "$pki/ca.crt" \
    --client-certificate "$dir/admin.crt" --client-key "$dir/admin.key"
  pod=$(kubectl "$@" -n kube-system get pods -l component=etcd -o name |
    grep -v "^pod/etcd-$COE_NODE_NAME\$" | head -n1 || true)
  if [ -n "$pod" ]; then
    id=$(kubectl "$@" -n kube-system exec "$pod" -- etcdctl --endpoints=https://127.0.0.1:2379 \
      --cacert=$pki/etcd/ca.crt --cert=$pki/etcd/server.crt --key=$pki/etcd/server.key member list |
      awk -F', ' -v name="$COE_NODE_NAME" '$3 == name { print $1 }')
    if [ -n "$id" ]; then
      log "removing the etcd member $id that $COE_NODE_NAME left before it was rebuilt"
      kubectl "$@" -n kube-system exec "$pod" -- etcdctl --endpoints=https://127.0.0.1:2379 \
        --cacert=$pki/etcd/ca.crt --cert=$pki/etcd/server.crt --key=$pki/etcd/server.key \
        member remove "$id" || die "could not remove the stale etcd member $id"
    fi
  else
    log "no running etcd pod found through $1; joining without looking for a stale member"
  fi
  rm -rf "$dir"
  # kubeadm join fetches the certificates again; it expects none in place
  [ -n "${K8S_SHARED:-}" ] || rm -rf "$pki"
  # a kept etcd volume holds the data of the member just removed: a new
  # member starts empty, and kubeadm refuses a data directory in use
  if [ -d "$K8S_ETCD_DIR" ]; then find "$K8S_ETCD_DIR" -mindepth 1 -delete; fi
}

# k8s_upload_certs: upload the control-plane certificates again (they expire
# after two hours), so that a master added or rebuilt later can join.
k8s_upload_certs() {
  kubeadm init phase upload-certs --upload-certs --certificate-key "$COE_CERTIFICATE_KEY" \
    --kubeconfig /etc/kubernetes/admin.conf
}

# k8s_join_once [control-plane]: one attempt of kubeadm join. A master with
# the CAs coe keeps joins in phases: kubeadm writes admin.conf trusting only
# the CA it signs with, and during a CA rotation the masters behind the load
# balancer may serve certificates of the other, so admin.conf is given every
# CA the node trusts before the phases that use it.
k8s_join_once() {
  local config=/etc/coe/kubeadm-join.yaml ignore=--ignore-preflight-errors="$K8S_PREFLIGHT_IGNORE" cluster
  if [ "${1:-}" != control-plane ] || [ -z "${K8S_SHARED:-}" ]; then
    kubeadm join --config "$config" "$ignore"
    return
  fi
  kubeadm join phase preflight --config "$config" "$ignore" &&
    kubeadm join phase control-plane-prepare all --config "$config" || return 1
  # the controller manager signs with one certificate (a cluster whose
  # kubeadm-config predates ca-signing.crt still names the bundle)
  sed -i "s#--cluster-signing-cert-file=[^ \"]*#--cluster-signing-cert-file=$K8S_PKI/ca-signing.crt#" \
    "$K8S_MANIFESTS/kube-controller-manager.yaml" || return 1
  cluster=$(kubectl --kubeconfig /etc/kubernetes/admin.conf config view -o jsonpath='{.clusters[0].name}') || return 1
  kubectl --kubeconfig /etc/kubernetes/admin.conf config set-cluster "$cluster" \
    --certificate-authority="$K8S_PKI/ca.crt" --embed-certs >/dev/null || return 1
  kubeadm join --config "$config" --skip-phases=preflight,control-plane-prepare
}

# k8s_join ENDPOINT [control-plane]: join, resetting between failed attempts
k8s_join() {
  k8s_join_config "$@" >/etc/coe/kubeadm-join.yaml
  chmod 0600 /etc/coe/kubeadm-join.yaml
  k8s_wait_api "$1"
  local i keep=$COE_STATE/shared-pki
  # kubeadm reset empties the PKI directory: the shared secrets from
  # Barbican are put back after it (the node credential may be closed by then)
  if [ -n "${K8S_SHARED:-}" ]; then
    rm -rf "$keep"
    (umask 077 && mkdir -p "$keep" && cp -a "$K8S_PKI/." "$keep/")
  fi
  for i in 1 2 3 4 5 6 7 8 9 10; do
    if k8s_join_once "${2:-}"; then
      rm -rf "$keep"
      return 0
    fi
    log "kubeadm join attempt $i failed; retrying"
    kubeadm reset -f >/dev/null 2>&1 || true
    if [ -n "${K8S_SHARED:-}" ]; then
      mkdir -p "$K8S_PKI"
      cp -a "$keep/." "$K8S_PKI/"
    fi
    sleep 30
  done
  rm -rf "$keep"
  die "could not join the cluster at $1"
}

# The network manifests the first master applies, fetched and adjusted to the
# labels (here, with the rest of the library, so that tests can run them).

# sed_literal TEXT: TEXT for the replacement of a `s#...#...#` command,
# taken literally (no `&`, `\1` or early `#`)
sed_literal() { printf '%s' "$1" | sed 's/[\\#&]/\\&/g'; }

# prefix_images FILE: point a manifest's images at container_infra_prefix
prefix_images() {
  local prefix
  prefix=$(label container_infra_prefix)
  [ -n "$prefix" ] || return 0
  sed -E -i "s#^([[:space:]]*image:[[:space:]]*)[\"']?([^\"' ]*/)?([^/\"' ]+)[\"']?#\\1$(sed_literal "$prefix")\\3#" "$1"
}

flannel_manifest() {
  local f=$1 backend cni
  coe_fetch "https://github.com/flannel-io/flannel/releases/download/$FLANNEL_VERSION/kube-flannel.yml" "$f" ||
    coe_fetch "https://raw.githubusercontent.com/flannel-io/flannel/$FLANNEL_VERSION/Documentation/kube-flannel.yml" "$f"
  backend=$(label flannel_backend vxlan)
  [ "$backend" != udp ] || die "flannel_backend udp is gone from current flannel (vxlan, host-gw)"
  sed -i -e "s#\"Network\": \"[^\"]*\"#\"Network\": \"$COE_PODS_NETWORK_CIDR\"#" \
    -e "s#\"Type\": \"vxlan\"#\"Type\": \"$backend\"#" "$f"
  cni=$(label flannel_cni_tag)
  if [ -n "$cni" ]; then
    grep -q 'flannel-cni-plugin:' "$f" || die "flannel $FLANNEL_VERSION's manifest has no flannel-cni-plugin image to pin to $cni"
    sed -i -E "s#(flannel-cni-plugin:)[^\"' ]+#\\1$(sed_literal "$cni")#" "$f"
  fi
}

calico_manifest() {
  local f=$1 ipip
  coe_fetch "https://raw.githubusercontent.com/projectcalico/calico/$CALICO_VERSION/manifests/calico.yaml" "$f"
  ipip=$(label calico_ipv4pool_ipip Off)
  [ "$ipip" != Off ] || ipip=Never
  # the pool CIDR ships commented out; the IP-in-IP mode follows its name
  sed -i -e 's|# - name: CALICO_IPV4POOL_CIDR|- name: CALICO_IPV4POOL_CIDR|' \
    -e "s|#   value: \"192.168.0.0/16\"|  value: \"$COE_PODS_NETWORK_CIDR\"|" "$f"
  sed -i -e "/name: CALICO_IPV4POOL_IPIP/{n;s|value: \"[^\"]*\"|value: \"$ipip\"|;}" "$f"
}

# k8s_install_shared: what every master shares, from Barbican: the cluster
# CA and kubeadm's other shared secrets (front-proxy CA, etcd CA,
# service-account keys), each checked against its other half, so that no
# master uploads certificates for another to download. Sets K8S_SHARED.
# Returns 1 when coe keeps no such secrets for the cluster (a cloud without
# Barbican): then master 0 makes them and uploads them for the others.
k8s_install_shared() {
  [ -n "${COE_CONTROL_PLANE_URL:-}" ] || return 1
  local tmp f
  coe_install_ca "$K8S_PKI/ca.crt" "$K8S_PKI/ca.key" ||
    die "coe keeps the control plane's secrets of this cluster but not its CA"
  tmp=$(umask 077 && mktemp -d)
  coe_barbican_get "$COE_CONTROL_PLANE_URL" "$tmp/bundle"
  # the files coe's bundle has (src/ca/shared.rs), each after `=== PATH`
  for f in front-proxy-ca.crt front-proxy-ca.key etcd/ca.crt etcd/ca.key sa.key sa.pub; do
    mkdir -p "$(dirname "$K8S_PKI/$f")"
    (
      case $f in *.key) umask 077 ;; *) umask 022 ;; esac
      awk -v want="$f" '/^=== / { on = ($2 == want); next } on' "$tmp/bundle" >"$K8S_PKI/$f"
    )
    if ! grep -q '^-----BEGIN ' "$K8S_PKI/$f"; then
      rm -rf "$tmp"
      die "the control plane's secrets at $COE_CONTROL_PLANE_URL have no $f"
    fi
  done
  rm -rf "$tmp"
  for f in front-proxy-ca:crt etcd/ca:crt sa:pub; do
    coe_same_key "$K8S_PKI/${f%:*}.${f#*:}" "$K8S_PKI/${f%:*}.key" ||
      die "$K8S_PKI/${f%:*}.key from Barbican is not the key of ${f%:*}.${f#*:}"
  done
  # kube-controller-manager signs with one certificate, not a bundle (during
  # a CA rotation ca.crt holds two): the first, whose key ca.key is
  openssl x509 -in "$K8S_PKI/ca.crt" -out "$K8S_PKI/ca-signing.crt"
  K8S_SHARED=1
  log "installed the control plane's shared secrets from Barbican"
}

# k8s_publish_ca ENDPOINT: point the cluster-info ConfigMap, through which
# joining nodes find the API and its CA, at this master's CA bundle. During
# a CA rotation that is both CAs, so that a node joining at any step trusts
# every master; kubeadm itself writes only the CA it signs with.
k8s_publish_ca() {
  local kubeconfig patch
  kubeconfig=$(printf 'apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: %s\n    server: https://%s\n  name: ""\ncontexts: null\ncurrent-context: ""\nkind: Config\npreferences: {}\nusers: null\n' \
    "$(base64 -w0 <"$K8S_PKI/ca.crt")" "$1")
  patch=$(printf '{"data":{"kubeconfig":"%s"}}' "$(json_escape "$kubeconfig")")
  # the local API server, whose certificate this master's CA signed
  retry 30 10 kubectl --kubeconfig /etc/kubernetes/admin.conf --server "https://127.0.0.1:$COE_KUBE_API_PORT" \
    -n kube-public patch configmap cluster-info --type merge -p "$patch" >/dev/null
}

# The cluster CA coe keeps in Barbican, for kubeadm (see coe_install_ca),
# when it keeps nothing else for the masters.
k8s_install_ca() {
  coe_install_ca "$K8S_PKI/ca.crt" "$K8S_PKI/ca.key" ||
    log "coe keeps no CA for this cluster (no Barbican): kubeadm makes it"
}

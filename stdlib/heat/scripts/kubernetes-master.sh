#!/bin/bash
# Kubernetes master bootstrap (kubeadm). Master 0 initialises the control
# plane and installs the pod network, unless a control plane already answers
# at the load balancer (master 0 was rebuilt or replaced while the others
# ran): then it joins, like the other masters. A joining master first
# removes the etcd member a previous node of its name left. Every master
# reports the CA hash workers pin when they join.
# shellcheck source=common.sh
. /etc/coe/common.sh
# shellcheck source=kubernetes-common.sh
. /etc/coe/kubernetes-common.sh

cert_sans() {
  local a seen=" "
  for a in "$COE_PRIVATE_ADDRESS" "$COE_PUBLIC_ADDRESS" "${COE_API_ADDRESS:-}" "${COE_API_PUBLIC_ADDRESS:-}" 127.0.0.1; do
    [ -n "$a" ] || continue
    case $seen in *" $a "*) continue ;; esac
    seen="$seen$a "
    printf '    - "%s"\n' "$a"
  done
}

init_config() {
  cat <<EOF
apiVersion: kubeadm.k8s.io/$KUBEADM_API
kind: InitConfiguration
bootstrapTokens:
  - token: "$COE_BOOTSTRAP_TOKEN"
    ttl: "0s"
    groups: ["system:bootstrappers:kubeadm:default-node-token"]
    usages: ["signing", "authentication"]
$([ -n "${K8S_SHARED:-}" ] || printf 'certificateKey: "%s"' "$COE_CERTIFICATE_KEY")
localAPIEndpoint:
  advertiseAddress: "$COE_PRIVATE_ADDRESS"
  bindPort: $COE_KUBE_API_PORT
$(k8s_node_registration)
$(k8s_probe_patches "$K8S_PATCHES")
---
apiVersion: kubeadm.k8s.io/$KUBEADM_API
kind: ClusterConfiguration
kubernetesVersion: "$KUBE_VERSION"
clusterName: $(yaml_str "$COE_CLUSTER_NAME")
controlPlaneEndpoint: "$1"
imageRepository: "$KUBE_REPO"
$(k8s_image_tags)
networking:
  podSubnet: "$COE_PODS_NETWORK_CIDR"
  serviceSubnet: "$COE_SERVICES_NETWORK_CIDR"
apiServer:
  certSANs:
$(cert_sans)
$(k8s_api_server_args)
$(k8s_component_args controllerManager "$(label kubecontroller_options)" flex-volume-plugin-dir=/var/lib/kubelet/volumeplugins "node-cidr-mask-size=$(label flannel_network_subnetlen 24)" ${K8S_SHARED:+"cluster-signing-cert-file=$K8S_PKI/ca-signing.crt"})
$(k8s_component_args scheduler "$(label kubescheduler_options)")
$(k8s_kubelet_config)
$(k8s_kube_proxy_config)
EOF
}

install_network() {
  local f=$COE_STATE/network.yaml
  case $COE_NETWORK_DRIVER in
    flannel) flannel_manifest "$f" ;;
    calico) calico_manifest "$f" ;;
    *) die "network driver $COE_NETWORK_DRIVER is not supported (flannel, calico)" ;;
  esac
  prefix_images "$f"
  retry 30 10 kubectl --kubeconfig /etc/kubernetes/admin.conf apply -f "$f"
}

# without TLS the API is served in plain HTTP on api_port by kubectl proxy
insecure_api() {
  cat >/etc/systemd/system/coe-insecure-api.service <<EOF
[Unit]
Description=plain-HTTP Kubernetes API on port $COE_API_PORT (tls_disabled)
After=kubelet.service

[Service]
ExecStart=$COE_BIN/kubectl --kubeconfig=/etc/kubernetes/admin.conf proxy --address=0.0.0.0 --port=$COE_API_PORT --accept-hosts=.* --disable-filter=true
Restart=always
RestartSec=5

[Install]
WantedBy=multi-user.target
EOF
  systemctl daemon-reload
  systemctl enable --now coe-insecure-api.service
}

# Without the shared secrets from Barbican: kubeadm deletes the
# control-plane certificates it uploads for joining masters after two
# hours, so a master added or rebuilt later could not join: every master
# uploads them again every hour (with the same key), so it goes on when any
# one of them is gone.
cert_upload_timer() {
  cat >/etc/systemd/system/coe-upload-certs.service <<EOF
[Unit]
Description=upload the control-plane certificates for joining masters (coe)
After=kubelet.service

[Service]
Type=oneshot
Environment=PATH=$COE_BIN:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
ExecStart=/bin/bash -c '. /etc/coe/common.sh && . /etc/coe/kubernetes-common.sh && coe_load_env && k8s_upload_certs'
EOF
  cat >/etc/systemd/system/coe-upload-certs.timer <<EOF
[Unit]
Description=hourly upload of the control-plane certificates (coe)

[Timer]
OnBootSec=5min
OnUnitActiveSec=1h

[Install]
WantedBy=timers.target
EOF
  systemctl daemon-reload
  systemctl enable --now coe-upload-certs.timer
}

coe_start
k8s_prepare_node
coe_mount_volume "$COE_ETCD_DEVICE" "$K8S_ETCD_DIR"

host=${COE_API_ADDRESS:-}
if [ -z "$host" ]; then
  [ "$COE_NODE_INDEX" -eq 0 ] || die "masters after the first need the API load balancer"
  host=$COE_PRIVATE_ADDRESS
fi
endpoint=$host:$COE_KUBE_API_PORT

# Master 0 initialises only when no control plane answers at the load
# balancer. Without one there is a single master: rebuilt, it starts a new
# cluster, which is why coe plans that only with --allow-downtime.
# Every master installs what the masters share, if coe keeps it; else
# master 0 makes it and uploads it, encrypted with the certificate key, for
# the others to download (and again every hour, see cert_upload_timer).
if [ -n "${COE_CONTROL_PLANE_URL:-}" ]; then k8s_install_shared; fi
if [ "$COE_NODE_INDEX" -eq 0 ] && ! { [ -n "${COE_API_ADDRESS:-}" ] && k8s_control_plane_up "$endpoint"; }; then
  init_config "$endpoint" >/etc/coe/kubeadm-init.yaml
  chmod 0600 /etc/coe/kubeadm-init.yaml
  if [ -n "${K8S_SHARED:-}" ]; then
    kubeadm init --config /etc/coe/kubeadm-init.yaml --ignore-preflight-errors="$K8S_PREFLIGHT_IGNORE"
  else
    k8s_install_ca
    kubeadm init --config /etc/coe/kubeadm-init.yaml --upload-certs \
      --ignore-preflight-errors="$K8S_PREFLIGHT_IGNORE"
  fi
  install_network
else
  [ "$COE_NODE_INDEX" -ne 0 ] || log "a control plane answers at $endpoint: joining it, not starting a new cluster"
  k8s_join_config "$endpoint" control-plane >/etc/coe/kubeadm-join.yaml
  chmod 0600 /etc/coe/kubeadm-join.yaml
  k8s_wait_api "$endpoint"
  k8s_forget_member "$endpoint"
  k8s_join "$endpoint" control-plane
fi
if [ -n "${K8S_SHARED:-}" ]; then k8s_publish_ca "$endpoint"; else cert_upload_timer; fi
hash=sha256:$(openssl x509 -pubkey -noout -in "$K8S_PKI/ca.crt" |
  openssl pkey -pubin -outform der | sha256sum | cut -d' ' -f1)

mkdir -p /root/.kube
install -m 0600 /etc/kubernetes/admin.conf /root/.kube/config
if is_true "$COE_TLS_DISABLED"; then insecure_api; fi
coe_done "$hash"

#!/bin/bash
# Kubernetes worker bootstrap (kubeadm): prepare the node and join the
# cluster through the API load balancer, or master 0 without one.
# shellcheck source=common.sh
. /etc/coe/common.sh
# shellcheck source=kubernetes-common.sh
. /etc/coe/kubernetes-common.sh

coe_start
[ -n "$COE_API_ADDRESS" ] || die "no API address to join"
k8s_prepare_node
k8s_join "$COE_API_ADDRESS:$COE_KUBE_API_PORT"
coe_done ""

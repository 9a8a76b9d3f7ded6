#!/bin/bash
# Docker swarm-mode worker bootstrap: join the swarm with the worker token
# manager 0 reported.
# shellcheck source=common.sh
. /etc/coe/common.sh

swarm_active() {
  [ "$(docker info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null)" = active ]
}

join_swarm() {
  swarm_active || docker swarm join --token "$1" --advertise-addr "$COE_PRIVATE_ADDRESS" "$COE_MANAGER_ADDRESS:2377"
}

coe_start
[ -n "$COE_MANAGER_ADDRESS" ] || die "no manager address to join"
# swarm mode refuses to start with live-restore, which fedora-atomic turns on
[ ! -f /etc/sysconfig/docker ] || sed -i -E "s/ *--live-restore(=[a-z]+)?([ '\"]|$)/\\2/" /etc/sysconfig/docker
coe_docker_setup
token=$(printf '%s' "${COE_SWARM_JOIN:-}" | grep -o 'worker=[^ "]*' | head -n1 | cut -d= -f2- || true)
[ -n "$token" ] || die "manager 0 reported no worker token"
retry 30 10 join_swarm "$token"
coe_done ""

#!/bin/bash
# Mesos agent bootstrap: the agent runs as a privileged host-network
# container that launches tasks through the host's Docker.
# shellcheck source=common.sh
. /etc/coe/common.sh

MESOS_TAG=1.7.1

coe_start
coe_docker_setup

zk=
IFS=, read -r -a masters <<<"$COE_MASTER_ADDRESSES"
for m in "${masters[@]}"; do zk="$zk${zk:+,}$m:2181"; done
[ -n "$zk" ] || die "no master addresses"

work_dir=$(label mesos_slave_work_dir /var/lib/mesos)
args=(-e "MESOS_MASTER=zk://$zk/mesos" -e "MESOS_IP=$COE_PRIVATE_ADDRESS"
  -e "MESOS_HOSTNAME=$COE_PRIVATE_ADDRESS" -e MESOS_PORT=5051
  -e "MESOS_CONTAINERIZERS=docker,mesos" -e "MESOS_WORK_DIR=$work_dir"
  -e MESOS_SYSTEMD_ENABLE_SUPPORT=false -e MESOS_LOG_DIR=/var/log/mesos)
isolation=$(label mesos_slave_isolation)
[ -z "$isolation" ] || args+=(-e "MESOS_ISOLATION=$isolation")
providers=$(label mesos_slave_image_providers)
[ -z "$providers" ] || args+=(-e "MESOS_IMAGE_PROVIDERS=$providers")
executor_env=$(label mesos_slave_executor_env_variables)
[ -z "$executor_env" ] || args+=(-e "MESOS_EXECUTOR_ENVIRONMENT_VARIABLES=$executor_env")
# the agent drives the host's Docker, with the host's client when it has one
docker_cli=$(command -v docker)
[ -z "$docker_cli" ] || args+=(-v "$docker_cli:/usr/local/bin/docker:ro" -e MESOS_DOCKER=/usr/local/bin/docker)

mkdir -p "$work_dir" /var/log/mesos
docker rm -f coe-mesos-agent >/dev/null 2>&1 || true
retry 5 10 docker run -d --name coe-mesos-agent --net host --pid host --privileged --restart always \
  "${args[@]}" -v /var/run/docker.sock:/var/run/docker.sock -v /sys/fs/cgroup:/sys/fs/cgroup \
  -v "$work_dir:$work_dir" -v /var/log/mesos:/var/log/mesos \
  "$(coe_image docker.io/mesosphere/mesos-slave:$MESOS_TAG)" >/dev/null

log "waiting for the agent on port 5051"
retry 60 10 curl -sf --max-time 10 -o /dev/null "http://$COE_PRIVATE_ADDRESS:5051/health"
coe_done ""

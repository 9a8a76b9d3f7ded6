#!/bin/bash
# Mesos master bootstrap: ZooKeeper (one member per master), the Mesos master
# and Marathon, each a host-network container with a restart policy.
# shellcheck source=common.sh
. /etc/coe/common.sh

MESOS_TAG=1.7.1
ZOOKEEPER_TAG=3.8
MARATHON_TAG=v1.6.322

# run NAME ARGS...: (re)start a long-running host-network container
run() {
  local name=$1
  shift
  docker rm -f "$name" >/dev/null 2>&1 || true
  retry 5 10 docker run -d --name "$name" --net host --restart always "$@" >/dev/null
}

coe_start
coe_docker_setup

IFS=, read -r -a masters <<<"$COE_MASTER_ADDRESSES"
[ "${#masters[@]}" -gt 0 ] || die "no master addresses"
servers=
zk=
for i in "${!masters[@]}"; do
  servers="$servers server.$((i + 1))=${masters[$i]}:2888:3888;2181"
  zk="$zk${zk:+,}${masters[$i]}:2181"
done
quorum=$((${#masters[@]} / 2 + 1))
mkdir -p /var/lib/zookeeper /var/lib/mesos /var/log/mesos

# the image's admin server would take port 8080, which Marathon needs
run coe-zookeeper -e ZOO_MY_ID=$((COE_NODE_INDEX + 1)) -e "ZOO_SERVERS=${servers# }" \
  -e ZOO_ADMINSERVER_ENABLED=false \
  -v /var/lib/zookeeper:/data "$(coe_image docker.io/library/zookeeper:$ZOOKEEPER_TAG)"
run coe-mesos-master -e "MESOS_ZK=zk://$zk/mesos" -e "MESOS_QUORUM=$quorum" \
  -e "MESOS_CLUSTER=$COE_CLUSTER_NAME" -e "MESOS_IP=$COE_PRIVATE_ADDRESS" \
  -e "MESOS_HOSTNAME=$COE_PRIVATE_ADDRESS" -e "MESOS_PORT=$COE_API_PORT" \
  -e MESOS_WORK_DIR=/var/lib/mesos -e MESOS_LOG_DIR=/var/log/mesos \
  -v /var/lib/mesos:/var/lib/mesos -v /var/log/mesos:/var/log/mesos \
  "$(coe_image docker.io/mesosphere/mesos-master:$MESOS_TAG)"
# the leading Mesos master may run on another node and calls the scheduler
# back on its libprocess port, which must be fixed (and open between nodes)
run coe-marathon -e "MARATHON_MASTER=zk://$zk/mesos" -e "MARATHON_ZK=zk://$zk/marathon" \
  -e "MARATHON_HOSTNAME=$COE_PRIVATE_ADDRESS" -e MARATHON_HTTP_PORT=8080 \
  -e "LIBPROCESS_IP=$COE_PRIVATE_ADDRESS" -e LIBPROCESS_PORT=15050 \
  "$(coe_image docker.io/mesosphere/marathon:$MARATHON_TAG)"

log "waiting for the Mesos master on port $COE_API_PORT"
retry 60 10 curl -sf --max-time 10 -o /dev/null "http://$COE_PRIVATE_ADDRESS:$COE_API_PORT/health"
log "waiting for Marathon on port 8080"
retry 60 10 curl -sf --max-time 10 -o /dev/null "http://$COE_PRIVATE_ADDRESS:8080/ping"
coe_done ""

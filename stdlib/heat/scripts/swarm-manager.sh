#!/bin/bash
# Docker swarm-mode manager bootstrap. Manager 0 initialises the swarm and
# reports the worker token. With TLS, every manager installs the Docker
# API's CA coe keeps in Barbican, and the other managers ask manager 0's API
# for the manager token; without Barbican, manager 0 makes a CA and reports
# it (its key encrypted with a passphrase only managers get) and the manager
# token. Every manager serves the Docker API on api_port, behind the load
# balancer.
# shellcheck source=common.sh
. /etc/coe/common.sh

TLS_DIR=/etc/docker/coe-tls
CLIENT_DIR=/etc/coe/swarm-client

# join_field NAME: a field of manager 0's report ("name=value" words)
join_field() {
  printf '%s' "${COE_SWARM_JOIN:-}" | grep -o "$1=[^ \"]*" | head -n1 | cut -d= -f2- || true
}

swarm_active() {
  [ "$(docker info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null)" = active ]
}

# join_swarm: join with $SWARM_TOKEN, read here so that no log line (retry
# names the command it retries, and a failure's last lines go to Heat)
# carries the token
join_swarm() {
  swarm_active || docker swarm join --token "$SWARM_TOKEN" --advertise-addr "$COE_PRIVATE_ADDRESS" "$COE_MANAGER_ADDRESS:2377"
}

# sign DIR NAME CN USAGE [SANS [DAYS]]: a key and certificate signed by the
# API CA
sign() {
  local dir=$1 name=$2 cn=$3 usage=$4 sans=${5:-} days=${6:-3650}
  openssl genrsa -out "$dir/$name-key.pem" 2048 2>/dev/null
  openssl req -new -key "$dir/$name-key.pem" -subj "/CN=$cn" -out "$dir/$name.csr"
  {
    echo "extendedKeyUsage=$usage"
    [ -z "$sans" ] || echo "subjectAltName=$sans"
  } >"$dir/$name.ext"
  openssl x509 -req -in "$dir/$name.csr" -CA "$TLS_DIR/ca.pem" -CAkey "$TLS_DIR/ca-key.pem" \
    -CAcreateserial -days "$days" -sha256 -extfile "$dir/$name.ext" -out "$dir/$name.pem" 2>/dev/null
  rm -f "$dir/$name.csr" "$dir/$name.ext"
}

# manager_token_from_api: the swarm's manager token, from manager 0's Docker
# API, with a one-day client certificate signed by the kept CA (gone after)
manager_token_from_api() {
  local dir token
  dir=$(umask 077 && mktemp -d)
  sign "$dir" join "$COE_NODE_NAME join" clientAuth "" 1
  token=$(retry 30 10 docker --tlsverify --tlscacert "$TLS_DIR/ca.pem" --tlscert "$dir/join.pem" \
    --tlskey "$dir/join-key.pem" -H "tcp://$COE_MANAGER_ADDRESS:$COE_API_PORT" swarm join-token -q manager) ||
    die "manager 0's Docker API at $COE_MANAGER_ADDRESS:$COE_API_PORT gave no manager token"
  rm -rf "$dir"
  [ -n "$token" ] || die "manager 0's Docker API gave an empty manager token"
  printf '%s\n' "$token"
}

server_cert() {
  local sans="IP:127.0.0.1,DNS:localhost" a
  for a in "$COE_PRIVATE_ADDRESS" "$COE_PUBLIC_ADDRESS" "${COE_API_ADDRESS:-}" "${COE_API_PUBLIC_ADDRESS:-}"; do
    [ -z "$a" ] || case ",$sans," in *",IP:$a,"*) ;; *) sans="$sans,IP:$a" ;; esac
  done
  sign "$TLS_DIR" server "$COE_NODE_NAME" serverAuth "$sans"
}

# docker_api: serve the Docker API on api_port (TLS unless tls_disabled)
docker_api() {
  local flags="-H unix:///var/run/docker.sock -H tcp://0.0.0.0:$COE_API_PORT" dockerd
  if ! is_true "$COE_TLS_DISABLED"; then
    flags="$flags --tlsverify --tlscacert=$TLS_DIR/ca.pem --tlscert=$TLS_DIR/server.pem --tlskey=$TLS_DIR/server-key.pem"
  fi
  if grep -q '^OPTIONS=' /etc/sysconfig/docker 2>/dev/null; then
    # fedora-atomic's docker unit passes $OPTIONS to the daemon; a second run
    # of this script must not add the flags twice
    grep -q -- "-H tcp://0.0.0.0:$COE_API_PORT" /etc/sysconfig/docker ||
      sed -i "s#^OPTIONS=['\"]\\?#&$flags #" /etc/sysconfig/docker
  else
    dockerd=$(command -v dockerd || echo /usr/bin/dockerd)
    mkdir -p /etc/systemd/system/docker.service.d
    printf '[Service]\nExecStart=\nExecStart=%s %s\n' "$dockerd" "$flags" >/etc/systemd/system/docker.service.d/coe-api.conf
  fi
  systemctl daemon-reload
  systemctl restart docker.service
  retry 30 2 docker info >/dev/null
}

coe_start
[ "$COE_NETWORK_DRIVER" = docker ] || log "network driver $COE_NETWORK_DRIVER: swarm overlay networks are used instead"
# swarm mode refuses to start with live-restore, which fedora-atomic turns on
[ ! -f /etc/sysconfig/docker ] || sed -i -E "s/ *--live-restore(=[a-z]+)?([ '\"]|$)/\\2/" /etc/sysconfig/docker
coe_docker_setup
mkdir -p "$TLS_DIR"
chmod 0700 "$TLS_DIR"
export OPENSSL_PASS=$COE_SWARM_CA_PASSPHRASE

# With TLS and the CA coe keeps, the manager token never passes through
# Heat (where whoever may read the stack could read it, and join as a
# manager): the other managers ask manager 0's Docker API for it.
private=
if ! is_true "$COE_TLS_DISABLED" && [ -n "${COE_CA_KEY_URL:-}" ]; then private=1; fi

report=
if [ "$COE_NODE_INDEX" -eq 0 ]; then
  swarm_active || docker swarm init --advertise-addr "$COE_PRIVATE_ADDRESS" --listen-addr "$COE_PRIVATE_ADDRESS:2377"
  # one assignment each, so that a failure stops the script
  worker_token=$(docker swarm join-token -q worker)
  report="worker=$worker_token"
  if [ -z "$private" ]; then
    manager_token=$(docker swarm join-token -q manager)
    report="$report manager=$manager_token"
  fi
  if ! is_true "$COE_TLS_DISABLED"; then
    # The CA coe keeps in Barbican (`coe env` signs with it), else our own.
    if ! coe_install_ca "$TLS_DIR/ca.pem" "$TLS_DIR/ca-key.pem"; then
      openssl genrsa -out "$TLS_DIR/ca-key.pem" 2048 2>/dev/null
      openssl req -x509 -new -key "$TLS_DIR/ca-key.pem" -days 3650 -sha256 \
        -subj "/CN=$COE_CLUSTER_NAME docker API CA" -out "$TLS_DIR/ca.pem"
    fi
    mkdir -p "$CLIENT_DIR"
    sign "$CLIENT_DIR" client "$COE_CLUSTER_NAME client" clientAuth
    cp "$TLS_DIR/ca.pem" "$CLIENT_DIR/ca.pem"
    mv "$CLIENT_DIR/client.pem" "$CLIENT_DIR/cert.pem"
    mv "$CLIENT_DIR/client-key.pem" "$CLIENT_DIR/key.pem"
    report="$report ca=$(base64 -w0 <"$TLS_DIR/ca.pem")"
    # the other managers fetch a kept CA's key from Barbican themselves
    [ -n "$private" ] ||
      report="$report cakey=$(openssl enc -aes-256-cbc -md sha256 -salt -a -A -pass env:OPENSSL_PASS <"$TLS_DIR/ca-key.pem")"
  fi
elif [ -n "$private" ]; then
  coe_install_ca "$TLS_DIR/ca.pem" "$TLS_DIR/ca-key.pem"
  # its own assignment, so that a failure stops the script
  SWARM_TOKEN=$(manager_token_from_api)
  retry 30 10 join_swarm
else
  SWARM_TOKEN=$(join_field manager)
  [ -n "$SWARM_TOKEN" ] || die "manager 0 reported no manager token"
  retry 30 10 join_swarm
  if ! is_true "$COE_TLS_DISABLED"; then
    join_field ca | base64 -d >"$TLS_DIR/ca.pem"
    (umask 077 && join_field cakey | openssl enc -d -aes-256-cbc -md sha256 -a -A -pass env:OPENSSL_PASS >"$TLS_DIR/ca-key.pem")
  fi
fi
unset OPENSSL_PASS COE_SWARM_CA_PASSPHRASE

if ! is_true "$COE_TLS_DISABLED"; then server_cert; fi
docker_api
coe_done "$report"

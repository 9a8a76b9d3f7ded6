#!/bin/bash
# coe node library, sourced by every role script: environment, logging,
# retries, labels, proxies, volumes, downloads and the wait-condition signal.
# The node templates write it to /etc/coe next to /etc/coe/env.

COE_DIR=/etc/coe
COE_STATE=/var/lib/coe
COE_LOG=/var/log/coe-bootstrap.log
COE_BIN=/opt/coe/bin

log() { printf '%s coe: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# retry ATTEMPTS DELAY CMD...: run CMD until it succeeds
retry() {
  local n=$1 delay=$2 i=1
  shift 2
  until "$@"; do
    if [ "$i" -ge "$n" ]; then
      log "gave up after $n attempts: $*"
      return 1
    fi
    i=$((i + 1))
    sleep "$delay"
  done
}

is_true() {
  case ${1,,} in true | yes | on | 1) return 0 ;; *) return 1 ;; esac
}

# Values arrive percent-encoded, so any byte survives Heat, Ignition data URLs
# and this shell. pct_decode VAR TEXT decodes TEXT into VAR.
pct_decode() { printf -v "$1" '%b' "${2//\%/\\x}"; }

coe_load_env() {
  local line key
  [ -r "$COE_DIR/env" ] || die "$COE_DIR/env is missing"
  while IFS= read -r line || [ -n "$line" ]; do
    key=${line%%=*}
    case $key in COE_[A-Z0-9_]*) ;; *) continue ;; esac
    pct_decode "$key" "${line#*=}"
    export "${key?}"
  done <"$COE_DIR/env"
}

# label KEY [DEFAULT]: the label's value, or DEFAULT when unset or empty.
# COE_LABELS holds one KEY=VALUE line per label, both sides percent-encoded
# by coe (src/compile/label_lines.rs), so no value can break a line.
label() {
  local line key value=""
  while IFS= read -r line; do
    pct_decode key "${line%%=*}"
    if [ "$key" = "$1" ]; then
      pct_decode value "${line#*=}"
      break
    fi
  done <<<"${COE_LABELS:-}"
  printf '%s' "${value:-${2:-}}"
}

json_escape() {
  local s=$1
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//$'\n'/\\n}
  s=${s//$'\r'/}
  s=${s//$'\t'/ }
  printf '%s' "$s" | LC_ALL=C tr -d '\000-\010\013\014\016-\037'
}

# coe_signal SUCCESS|FAILURE REASON [DATA]: report to the node's wait condition
coe_signal() {
  local body=$COE_STATE/signal.json
  if [ -z "${COE_WAIT_CURL:-}" ]; then
    log "no wait condition to signal ($1: $2)"
    return 0
  fi
  printf '{"status": "%s", "reason": "%s", "data": "%s"}\n' \
    "$1" "$(json_escape "$2")" "$(json_escape "${3:-}")" >"$body"
  # the handle's curl_cli is a full command line with quoted headers
  retry 12 10 eval "$COE_WAIT_CURL --silent --show-error --fail --output /dev/null --data-binary @$body"
}

coe_on_exit() {
  local rc=$?
  trap - EXIT
  [ "$rc" -eq 0 ] && return 0
  log "bootstrap failed with exit code $rc"
  coe_signal FAILURE "$(tail -n 15 "$COE_LOG" 2>/dev/null | cut -c1-300)" || true
  exit "$rc"
}

# coe_start: every role script calls this first
coe_start() {
  set -eEu -o pipefail
  umask 022
  mkdir -p "$COE_STATE" "$COE_BIN"
  exec > >(tee -a "$COE_LOG") 2>&1
  trap 'log "failed: line $LINENO: $BASH_COMMAND"' ERR
  trap coe_on_exit EXIT
  coe_load_env
  export PATH=$COE_BIN:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
  log "bootstrapping $COE_NODE_NAME ($COE_ROLE, $COE_DRIVER)"
  coe_proxy_env
  case $(uname -m) in
    x86_64) COE_ARCH=amd64 ;;
    aarch64) COE_ARCH=arm64 ;;
    *) COE_ARCH=$(uname -m) ;;
  esac
  export COE_ARCH
}

# coe_done [DATA]: mark the node bootstrapped and report success
coe_done() {
  touch "$COE_STATE/bootstrap.done"
  log "bootstrap finished"
  coe_signal SUCCESS "$COE_NODE_NAME is ready" "${1:-}"
}

coe_proxy_env() {
  local extra="localhost,127.0.0.1,$COE_PRIVATE_ADDRESS"
  [ -n "${COE_HTTP_PROXY}${COE_HTTPS_PROXY}" ] || return 0
  [ -z "${COE_API_ADDRESS:-}" ] || extra="$extra,$COE_API_ADDRESS"
  COE_NO_PROXY=${COE_NO_PROXY:+$COE_NO_PROXY,}$extra
  export http_proxy=$COE_HTTP_PROXY HTTP_PROXY=$COE_HTTP_PROXY
  export https_proxy=$COE_HTTPS_PROXY HTTPS_PROXY=$COE_HTTPS_PROXY
  export no_proxy=$COE_NO_PROXY NO_PROXY=$COE_NO_PROXY
}

# coe_proxy_dropin UNIT [NO_PROXY_EXTRA]: pass the proxies to a systemd unit
coe_proxy_dropin() {
  local dir=/etc/systemd/system/$1.d np=${COE_NO_PROXY}${2:+,$2} var val
  [ -n "${COE_HTTP_PROXY}${COE_HTTPS_PROXY}" ] || return 0
  mkdir -p "$dir"
  {
    echo "[Service]"
    for var in HTTP_PROXY=$COE_HTTP_PROXY HTTPS_PROXY=$COE_HTTPS_PROXY NO_PROXY=$np; do
      val=${var//\\/\\\\}
      val=${val//\"/\\\"}
      printf 'Environment="%s"\n' "${val//%/%%}"
    done
  } >"$dir/coe-proxy.conf"
}

# coe_fetch URL FILE [SHA256]: download with retries, optionally verified
coe_fetch() {
  log "downloading $1"
  retry 5 10 curl -fsSL --connect-timeout 20 -o "$2.part" "$1"
  if [ -n "${3:-}" ]; then
    echo "$3  $2.part" | sha256sum -c - >/dev/null || die "checksum mismatch for $1"
  fi
  mv "$2.part" "$2"
}

# coe_image NAME: NAME under the label container_infra_prefix, if any
coe_image() {
  local prefix
  prefix=$(label container_infra_prefix)
  if [ -n "$prefix" ]; then printf '%s%s' "$prefix" "${1##*/}"; else printf '%s' "$1"; fi
}

# coe_wait_device DEVICE: Cinder attaches volumes after boot, so a volume's
# device appears some time after the bootstrap starts
coe_wait_device() {
  local i=0
  log "waiting for volume $1"
  until [ -b "$1" ]; do
    i=$((i + 1))
    [ "$i" -le 120 ] || die "volume $1 never appeared"
    sleep 5
  done
}

# coe_mount_volume DEVICE DIR: format DEVICE if it has no filesystem and mount
# it on DIR for good.
coe_mount_volume() {
  local dev=$1 dir=$2 unit
  [ -n "$dev" ] || return 0
  coe_wait_device "$dev"
  if ! blkid "$dev" >/dev/null 2>&1; then
    if command -v mkfs.xfs >/dev/null; then mkfs.xfs -q "$dev"; else mkfs.ext4 -q "$dev"; fi
  fi
  mkdir -p "$dir"
  unit=$(systemd-escape -p --suffix=mount "$dir")
  cat >"/etc/systemd/system/$unit" <<EOF
[Unit]
Description=coe volume for $dir
Before=local-fs.target

[Mount]
What=$dev
Where=$dir

[Install]
WantedBy=local-fs.target
EOF
  systemctl daemon-reload
  systemctl enable --now "$unit"
  # a fresh filesystem has no SELinux labels; give it the ones of its path
  if command -v restorecon >/dev/null; then
    restorecon -R "$dir" || log "warning: restorecon $dir failed"
  fi
}

coe_kernel_setup() {
  local m
  swapoff -a || true
  sed -i '/\sswap\s/s/^/#/' /etc/fstab 2>/dev/null || true
  mkdir -p /etc/modules-load.d /etc/sysctl.d
  printf '%s\n' overlay br_netfilter >/etc/modules-load.d/coe.conf
  for m in overlay br_netfilter; do modprobe "$m" || log "cannot load module $m"; done
  cat >/etc/sysctl.d/90-coe.conf <<'EOF'
net.bridge.bridge-nf-call-iptables = 1
net.bridge.bridge-nf-call-ip6tables = 1
net.ipv4.ip_forward = 1
EOF
  sysctl --system >/dev/null || true
}

# Docker engine for swarm-mode and mesos nodes: storage on the docker volume,
# the storage driver and proxies.
coe_docker_setup() {
  local driver=${COE_DOCKER_STORAGE_DRIVER:-overlay2}
  if ! command -v dockerd >/dev/null && ! command -v docker >/dev/null; then
    if command -v apt-get >/dev/null; then
      retry 5 10 apt-get update -q
      DEBIAN_FRONTEND=noninteractive retry 5 10 apt-get install -y -q docker.io
    else
      die "docker is not installed on this image"
    fi
  fi
  systemctl stop docker.service 2>/dev/null || true
  if [ -f /etc/sysconfig/docker-storage-setup ] && command -v container-storage-setup >/dev/null; then
    # fedora-atomic: its storage helper owns the driver flags and, for
    # devicemapper, builds a volume group on the device, which must be there
    if [ "$driver" = devicemapper ] && [ -n "$COE_DOCKER_DEVICE" ]; then coe_wait_device "$COE_DOCKER_DEVICE"; fi
    {
      echo "STORAGE_DRIVER=$driver"
      if [ "$driver" = devicemapper ] && [ -n "$COE_DOCKER_DEVICE" ]; then
        echo "DEVS=$COE_DOCKER_DEVICE"
        echo "VG=docker"
      fi
    } >/etc/sysconfig/docker-storage-setup
    if [ "$driver" != devicemapper ]; then coe_mount_volume "$COE_DOCKER_DEVICE" /var/lib/docker; fi
    rm -f /etc/sysconfig/docker-storage
    container-storage-setup
  else
    if [ "$driver" = devicemapper ]; then
      log "devicemapper is not supported here; using overlay2"
      driver=overlay2
    fi
    coe_mount_volume "$COE_DOCKER_DEVICE" /var/lib/docker
    mkdir -p /etc/docker
    [ -s /etc/docker/daemon.json ] || printf '{"storage-driver": "%s"}\n' "$driver" >/etc/docker/daemon.json
  fi
  coe_proxy_dropin docker.service
  systemctl daemon-reload
  systemctl enable docker.service
  systemctl restart docker.service
  retry 30 2 docker info >/dev/null
}

# coe_barbican_get URL FILE [URL FILE...]: secrets coe keeps in Barbican
# (README, "Cluster credentials"), each payload into its FILE (mode 0600),
# with one login of the node credential. That credential may read the
# cluster's secrets and nothing else, and apply opens it only while it
# builds masters: a refusal stops the node loudly.
coe_barbican_get() {
  local tmp token
  tmp=$(umask 077 && mktemp -d)
  printf '{"auth":{"identity":{"methods":["application_credential"],"application_credential":{"name":"%s","user":{"id":"%s"},"secret":"%s"}}}}' \
    "$(json_escape "$COE_NODE_CREDENTIAL_NAME")" "$(json_escape "$COE_NODE_CREDENTIAL_USER")" \
    "$(json_escape "$COE_NODE_CREDENTIAL_SECRET")" >"$tmp/auth.json"
  # Secrets go in files, never on a command line other users can read, and
  # the files go whatever happens.
  if ! retry 5 10 curl -fsS --connect-timeout 20 -D "$tmp/headers" -o /dev/null \
    -H 'Content-Type: application/json' --data @"$tmp/auth.json" "$COE_KEYSTONE_URL/auth/tokens"; then
    rm -rf "$tmp"
    die "Keystone at $COE_KEYSTONE_URL refused the node credential (apply opens it only while it builds masters); the cluster's secrets cannot be fetched"
  fi
  token=$(awk -F': ' 'tolower($1) == "x-subject-token" { print $2 }' "$tmp/headers" | tr -d '\r')
  printf 'X-Auth-Token: %s\n' "$token" >"$tmp/token"
  rm -f "$tmp/auth.json" "$tmp/headers"
  if [ -z "$token" ]; then
    rm -rf "$tmp"
    die "Keystone at $COE_KEYSTONE_URL gave no token for the node credential"
  fi
  while [ $# -ge 2 ]; do
    mkdir -p "$(dirname "$2")"
    if ! (umask 077 && retry 5 10 curl -fsS --connect-timeout 20 -H @"$tmp/token" \
      -H 'Accept: application/octet-stream' -o "$2" "$1"); then
      rm -rf "$tmp"
      die "Barbican refused the secret at $1"
    fi
    shift 2
  done
  rm -rf "$tmp"
}

# coe_same_key CERT_OR_PUBLIC KEY: whether KEY is the private half of the
# certificate or public key in the first file
coe_same_key() {
  local public private
  if grep -q 'BEGIN CERTIFICATE' "$1"; then
    public=$(openssl x509 -noout -pubkey -in "$1" 2>/dev/null) || return 1
  else
    public=$(openssl pkey -pubin -pubout -in "$1" 2>/dev/null) || return 1
  fi
  private=$(openssl pkey -pubout -in "$2" 2>/dev/null) || return 1
  # two files openssl cannot read are not a match
  [ -n "$public" ] && [ "$public" = "$private" ]
}

# coe_install_ca CERT KEY: the cluster CA coe keeps in Barbican. Returns 0
# having written CERT and KEY (0600); without COE_CA_KEY_URL (a cloud
# without Barbican) it returns 1 and the caller makes its own CA.
coe_install_ca() {
  local cert=$1 key=$2
  [ -n "${COE_CA_KEY_URL:-}" ] || return 1
  mkdir -p "$(dirname "$cert")"
  printf '%s\n' "$COE_CA_CERT" >"$cert"
  coe_barbican_get "$COE_CA_KEY_URL" "$key"
  coe_same_key "$cert" "$key" ||
    die "the key at $COE_CA_KEY_URL is not the CA certificate's; the node would make certificates no client trusts"
  log "installed the cluster CA from Barbican"
}

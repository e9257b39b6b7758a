#!/usr/bin/env bash
# DockBridge end to end on this machine, no cloud account needed. A Hetzner Cloud API simulator stands in
# for the cloud; its "servers" are network namespaces running a real sshd and dockerd. What it shows:
#   dockbridge start --detach: no server exists yet, and `dockbridge status` says so
#   the first docker command creates one (pinned host key, SSH-only firewall) and runs there, over one SSH session
#   a published port is fetched from localhost (forwarded automatically)
#   nobody uses it for 20 s (idle.timeout): the server is deleted, and status shows what it cost
#   the next docker command brings a new one, transparently
# Run as root on Debian. Uses dist/'s linux-x64 tarball (its own Java runtime) when there is one, else the build.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
if [ ! -f e2e/target/classpath.txt ] || [ ! -x cli/target/dockbridge/dockbridge/bin/dockbridge ]; then
  ./mvnw -q -B -ntp -DskipTests install
fi
started=$(date +%s)

# shellcheck source=scripts/testbed.sh
. scripts/testbed.sh
demo=/tmp/dockbridge-demo
rm -rf "$demo" && mkdir -p "$demo"
db=$PWD/cli/target/dockbridge/dockbridge/bin/dockbridge
for tarball in dist/dockbridge-*-linux-x64.tar.gz; do
  [ -f "$tarball" ] || continue
  tar -xzf "$tarball" -C "$demo" && db=$(printf '%s\n' "$demo"/dockbridge-*/bin/dockbridge)
done

echo "== starting the Hetzner simulator and its server slots (log: $demo/simulator.log)"
start_simulator dbdemo "$demo" 2   # exports HCLOUD_ENDPOINT, HCLOUD_TOKEN

cat >"$demo/config.yaml" <<CFG
provider: hetzner
hetzner:
  server_type: cx23
  location: fsn1
idle:
  timeout: 20s
  billing_aware: false   # delete right after the timeout (a real server is paid by the hour anyway)
CFG
# (with hetzner.volume_size_gb, images and containers would outlive the deletion; here the next server starts empty)
export DOCKBRIDGE_HOME=$demo/home DOCKER_CONFIG=$demo/docker-config
dockbridge() { "$db" "$@"; }
stop_daemon() { dockbridge stop --destroy >/dev/null 2>&1 || dockbridge stop >/dev/null 2>&1 || true; }
trap 'stop_daemon; testbed_cleanup' EXIT   # the daemon first, while the simulator can still delete its server

set -x
dockbridge --version
dockbridge start --detach --config "$demo/config.yaml"
eval "$(dockbridge env --config "$demo/config.yaml")"
dockbridge status
time docker version --format 'client {{.Client.Version}} -> remote engine {{.Server.Version}}'   # creates the server
mkdir -p "$demo/image"
cp /bin/busybox "$demo/image/busybox"
printf 'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox","--install","-s","/bin"]\nRUN mkdir -p /www && echo "hello from a container on the cloud server" >/www/index.html\n' \
  >"$demo/image/Dockerfile"
docker build -q -t dockbridge-demo "$demo/image"
docker run --rm dockbridge-demo echo "hello from docker run"
printf 'stdin travels too\n' | docker run -i --rm dockbridge-demo sh -c 'cat; echo "(stdin closed, output kept)"'
docker run -d --name web -p 8080:8080 dockbridge-demo httpd -f -p 8080 -h /www
set +x
for _ in $(seq 50); do curl -fsS --max-time 2 http://127.0.0.1:8080/ >/dev/null 2>&1 && break; sleep 0.2; done
set -x
curl -sS http://127.0.0.1:8080/                # the published port, on localhost
dockbridge status                               # the server, the forward, and when it will be deleted
set +x
echo "== nobody uses it now: the server is deleted after idle.timeout (20 s)"
for _ in $(seq 90); do
  dockbridge status --json | grep -q '"state" *: *"absent"' && break
  sleep 1
done
set -x
dockbridge status                               # no server, and what the last one cost
time docker build -q -t dockbridge-demo "$demo/image"   # the next command brings a new server, transparently
docker run --rm dockbridge-demo echo "on the new server"
dockbridge stop --destroy
set +x
echo "== the demo took $(( $(date +%s) - started )) s after the build; the daemon log: $demo/home/default/daemon.log"

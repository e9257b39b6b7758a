#!/usr/bin/env bash
# DockBridge end to end on this machine, no cloud account needed. A Hetzner Cloud API simulator stands in
# for the cloud; its "servers" are network namespaces running a real sshd and dockerd. DockBridge starts
# with no server, the first docker command creates one (pinned host key, SSH-only firewall), the normal
# docker CLI builds and runs containers there over one SSH session, and the server is deleted at the end.
# Run as root on Debian.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
./mvnw -q -B -ntp -DskipTests install

. scripts/testbed.sh
demo=/tmp/dockbridge-demo
dist=$PWD/cli/target/dockbridge/dockbridge
rm -rf "$demo" && mkdir -p "$demo"

echo "== starting the Hetzner simulator and its server slot (log: $demo/simulator.log)"
start_simulator dbdemo "$demo" 1   # exports HCLOUD_ENDPOINT, HCLOUD_TOKEN

cat >"$demo/config.yaml" <<CFG
provider: hetzner
hetzner:
  server_type: cx23
  location: fsn1
CFG
export DOCKBRIDGE_HOME=$demo/home
echo "== dockbridge start: no server exists yet (log: $demo/daemon.log)"
"$dist/bin/dockbridge" start --config "$demo/config.yaml" >"$demo/daemon.log" 2>&1 &
track $!
eval "$("$dist/bin/dockbridge" env --config "$demo/config.yaml")"
for _ in $(seq 300); do [ -S "${DOCKER_HOST#unix://}" ] && break; sleep 0.1; done
echo "DOCKER_HOST=$DOCKER_HOST"

set -x
"$dist/bin/dockbridge" server status --config "$demo/config.yaml"
time docker version --format 'client {{.Client.Version}} -> remote engine {{.Server.Version}}'   # creates the server
"$dist/bin/dockbridge" server status --config "$demo/config.yaml"
mkdir -p "$demo/image"
cp /bin/busybox "$demo/image/busybox"
printf 'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox","--install","-s","/bin"]\n' >"$demo/image/Dockerfile"
docker build -q -t dockbridge-demo "$demo/image"
docker run --rm dockbridge-demo echo "hello from a container on the cloud server"
printf 'stdin travels too\n' | docker run -i --rm dockbridge-demo sh -c 'cat; echo "(stdin closed, output kept)"'
"$dist/bin/dockbridge" server destroy --config "$demo/config.yaml"
set +x
echo "== the daemon log:"
cat "$demo/daemon.log"

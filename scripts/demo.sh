#!/usr/bin/env bash
# DockBridge end to end on this machine, no cloud account needed: a network namespace plays the remote
# host (real sshd + dockerd); DockBridge serves a local Docker socket tunnelled to it over SSH; the normal
# docker CLI then builds and runs containers there. Run as root on Debian.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
./mvnw -q -B -ntp -DskipTests install

demo=/tmp/dockbridge-demo
dist=$PWD/cli/target/dockbridge/dockbridge
bed() { java -cp e2e/target/classes -Ddockbridge.testbed.prefix=dbdemo dev.dockbridge.e2e.testbed.TestBedMain "$@"; }
daemon_pid=
cleanup() {
  [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null || true
  bed down "$demo" >/dev/null 2>&1 || true
}
trap cleanup EXIT

echo "== bringing up the test-bed host (sshd + dockerd in a network namespace)"
bed up "$demo"

export DOCKBRIDGE_HOME=$demo/home
echo "== dockbridge start (log: $demo/daemon.log)"
"$dist/bin/dockbridge" start --config "$demo/config.yaml" >"$demo/daemon.log" 2>&1 &
daemon_pid=$!
eval "$("$dist/bin/dockbridge" env --config "$demo/config.yaml")"
for _ in $(seq 100); do [ -S "${DOCKER_HOST#unix://}" ] && break; sleep 0.1; done
echo "DOCKER_HOST=$DOCKER_HOST"

set -x
docker version --format 'client {{.Client.Version}} -> remote engine {{.Server.Version}}'
mkdir -p "$demo/image"
cp /bin/busybox "$demo/image/busybox"
printf 'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox","--install","-s","/bin"]\n' >"$demo/image/Dockerfile"
docker build -q -t dockbridge-demo "$demo/image"
docker run --rm dockbridge-demo echo "hello from a container on the remote engine"
printf 'stdin travels too\n' | docker run -i --rm dockbridge-demo sh -c 'cat; echo "(stdin closed, output kept)"'
docker ps -a --format '{{.Image}} {{.Status}}'
set +x
echo "== done; the daemon log:"
cat "$demo/daemon.log"

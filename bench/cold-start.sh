#!/usr/bin/env bash
# Provisioning overhead on the test bed, against the Hetzner simulator:
#   cold    first `docker ps` on a daemon with no server: create, boot (the simulator waits D seconds,
#           like a real server booting), SSH with the pinned key, Docker /_ping, then the answer.
#           Target: at most D + 2 s, i.e. DockBridge's own overhead (API calls, polling) under 2 s.
#   adopt   `dockbridge start` with the server already running, until `docker ps` answers. Target < 3 s.
# Medians of RUNS rounds (default 5). Run as root on Debian.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-5}
boot_delay=${BOOT_DELAY_S:-5}
bash scripts/install-deps.sh python3 bc >/dev/null
[ -f e2e/target/classpath.txt ] && [ -x cli/target/dockbridge/dockbridge/bin/dockbridge ] || ./mvnw -q -B -ntp -DskipTests install

. scripts/testbed.sh
dir=/tmp/dbbench-cold
dist=$PWD/cli/target/dockbridge/dockbridge
rm -rf "$dir" && mkdir -p "$dir"
start_simulator dbcold "$dir" 1 $((boot_delay * 1000))
printf 'provider: hetzner\n' >"$dir/config.yaml"
export DOCKBRIDGE_HOME=$dir/home DOCKER_CONFIG=$dir/docker-config
export DOCKER_HOST=unix://$DOCKBRIDGE_HOME/default/docker.sock
mkdir -p "$DOCKER_CONFIG"

now() { date +%s.%N; }
start_daemon() {
  "$dist/bin/dockbridge" start --config "$dir/config.yaml" >>"$dir/daemon.log" 2>&1 &
  daemon=$!
  track $daemon
}
stop_daemon() { kill "$daemon"; wait "$daemon" 2>/dev/null || true; }
wait_socket() { for _ in $(seq 600); do [ -S "${DOCKER_HOST#unix://}" ] && return; sleep 0.01; done; }

: >"$dir/cold.txt"; : >"$dir/adopt.txt"
for i in $(seq "$runs"); do
  start_daemon; wait_socket
  t0=$(now); docker ps >/dev/null; t1=$(now)
  echo "$t1 - $t0" | bc -l >>"$dir/cold.txt"
  stop_daemon
  t0=$(now); start_daemon; wait_socket; docker ps >/dev/null; t1=$(now)
  echo "$t1 - $t0" | bc -l >>"$dir/adopt.txt"
  "$dist/bin/dockbridge" server destroy --config "$dir/config.yaml" >/dev/null
  stop_daemon
  sleep 2 # the simulator wipes the deleted server's Docker before the slot is free again
done

python3 - "$dir" "$boot_delay" "$runs" <<'PY'
import statistics, sys
d, boot, runs = sys.argv[1], float(sys.argv[2]), sys.argv[3]
cold = [float(x) for x in open(d + "/cold.txt")]
adopt = [float(x) for x in open(d + "/adopt.txt")]
print(f"Provisioning against the simulator, boot delay D = {boot:.0f} s, median of {runs} rounds\n")
print("| measure | median s | min s | max s | target |")
print("|---|---|---|---|---|")
print(f"| cold: first `docker ps`, no server | {statistics.median(cold):.2f} | {min(cold):.2f} | {max(cold):.2f} | <= D + 2 = {boot + 2:.0f} |")
print(f"| overhead beyond D | {statistics.median(cold) - boot:.2f} | {min(cold) - boot:.2f} | {max(cold) - boot:.2f} | <= 2 |")
print(f"| adopt: `dockbridge start` to `docker ps` answered | {statistics.median(adopt):.2f} | {min(adopt):.2f} | {max(adopt):.2f} | < 3 |")
PY

#!/usr/bin/env bash
# Docker commands over a WAN round trip, side by side in one run on the local test bed (issue 13):
#   dockbridge    DockBridge's local socket (one persistent SSH session)
#   ssh -L        a persistent OpenSSH socket tunnel (ssh -N -L local.sock:remote.sock)
#   ssh://        the docker CLI's DOCKER_HOST=ssh:// (a new ssh process and handshake per command)
# every path through the same relay in front of the host's sshd (bench/delay-relay.py: each chunk held
# RTT/2 each way), at RTT 0 and 20 ms (RTTS="0 20"). Work: docker ps, docker run --rm, docker exec, docker
# build of a small context, docker-compose up -d of three services (torn down before each run).
# Prints medians (hyperfine, whole processes) and each path's ratio to ssh -L. Run as root on Debian.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-10}
rtts=${RTTS:-0 20}
works=${WORKS:-ps run exec build compose}
warmup=${WARMUP:-2}   # warm-up runs per command (the daemon is fresh per RTT)
warmup_path=${WARMUP_PATH:-true}   # the daemon's local.warmup; when on, the timing starts once it has ended
bash scripts/install-deps.sh hyperfine openssh-client python3 docker-compose >/dev/null
[ -f e2e/target/classpath.txt ] && [ -x cli/target/dockbridge/dockbridge/bin/dockbridge ] || ./mvnw -q -B -ntp -DskipTests install

. scripts/testbed.sh
# shellcheck source=bench/lib.sh
. bench/lib.sh
dir=/tmp/dbwan
on_exit="testbed dbwan down $dir"
testbed dbwan down "$dir" >/dev/null 2>&1 || true
testbed dbwan up "$dir" >/dev/null
host=198.18.1.2
remote_sock=$dir/h1/docker.sock
relay_port=22220

# the engine's image and a long-running container, made on the engine directly (not part of any timing)
busybox_image wan-busybox
DOCKER_HOST=unix://$remote_sock docker run -d --name wan-ctr wan-busybox sleep 3600 >/dev/null
mkdir -p "$dir/build" && printf 'FROM wan-busybox\nCOPY hello.txt /hello.txt\n' >"$dir/build/Dockerfile"
head -c 65536 /dev/urandom | base64 >"$dir/build/hello.txt"
mkdir -p "$dir/compose"
cat >"$dir/compose/docker-compose.yml" <<YML
version: "3"
services:
  a: { image: wan-busybox, command: sleep 3600 }
  b: { image: wan-busybox, command: sleep 3600 }
  c: { image: wan-busybox, command: sleep 3600 }
YML

cat >"$dir/ssh_config" <<CFG
Host wan
  HostName 127.0.0.1
  Port $relay_port
  User root
  IdentityFile $dir/client_ed25519
  UserKnownHostsFile $dir/known_hosts
  StrictHostKeyChecking yes
CFG
mkdir -p "$dir/bin"
printf '#!/bin/sh\nexec /usr/bin/ssh -F %s "$@"\n' "$dir/ssh_config" >"$dir/bin/ssh"
chmod +x "$dir/bin/ssh"
relay_config "$dir/wan.yaml" "local:
  warmup: $warmup_path"
export DOCKER_CONFIG=$dir/docker-config
mkdir -p "$DOCKER_CONFIG"

: >"$dir/results.tsv"
for rtt in $rtts; do
  python3 bench/delay-relay.py "$relay_port" "$host" 22 "$(python3 -c "print($rtt / 2)")" &
  relay=$!
  track $relay
  for _ in $(seq 50); do ss -Hltn "sport = :$relay_port" | grep -q . && break; sleep 0.1; done
  kill -0 $relay || { echo "the relay did not start (port $relay_port taken?)" >&2; exit 1; }
  export DOCKBRIDGE_HOME=$dir/home-$rtt
  cli/target/dockbridge/dockbridge/bin/dockbridge start --config "$dir/wan.yaml" >"$dir/daemon-$rtt.log" 2>&1 &
  daemon=$!
  track $daemon
  ssh -F "$dir/ssh_config" -N -o StreamLocalBindUnlink=yes -L "$dir/ssh-L-$rtt.sock:$remote_sock" wan &
  tunnel=$!
  track $tunnel
  db_sock=$DOCKBRIDGE_HOME/default/docker.sock
  for _ in $(seq 300); do [ -S "$db_sock" ] && [ -S "$dir/ssh-L-$rtt.sock" ] && break; sleep 0.1; done
  if [ "$warmup_path" = true ]; then
    for _ in $(seq 1800); do grep -q "request path warm" "$dir/daemon-$rtt.log" && break; sleep 0.1; done
    grep -o "request path warm.*" "$dir/daemon-$rtt.log" >&2 || echo "the daemon's warm-up did not end within 180 s" >&2
  fi
  declare -A hosts=([dockbridge]="unix://$db_sock" ["ssh -L"]="unix://$dir/ssh-L-$rtt.sock" ["ssh://"]="ssh://wan")
  for work in $works; do
    args=()
    for path in dockbridge "ssh -L" "ssh://"; do
      # Debian's docker-compose (1.29) fails against ssh:// here (exit 1): that row has no ssh:// column
      [ $work = compose ] && [ "$path" = "ssh://" ] && continue
      env="env PATH=$dir/bin:$PATH DOCKER_HOST=${hosts[$path]} DOCKER_BUILDKIT=0"
      case $work in
        ps) cmd="$env docker ps" ;;
        run) cmd="$env docker run --rm wan-busybox true" ;;
        exec) cmd="$env docker exec wan-ctr true" ;;
        build) cmd="$env docker build -q -t wan-built $dir/build" ;;
        compose) cmd="$env docker-compose -p wan -f $dir/compose/docker-compose.yml up -d" ;;
      esac
      args+=(-n "$path" "$cmd")
    done
    prepare="true"
    [ $work = compose ] && prepare="env DOCKER_HOST=unix://$remote_sock docker-compose -p wan -f $dir/compose/docker-compose.yml down -t 0"
    hyperfine -N --warmup "$warmup" --runs "$runs" --prepare "$prepare" --export-json "$dir/$work-$rtt.json" "${args[@]}" >"$dir/hyperfine-$work-$rtt.log" 2>&1
    python3 - "$dir/$work-$rtt.json" "$work" "$rtt" >>"$dir/results.tsv" <<'PY'
import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    print(f"{sys.argv[3]}\t{sys.argv[2]}\t{r['command']}\t{r['median'] * 1000:.0f}")
PY
  done
  kill "$daemon" "$tunnel" "$relay" 2>/dev/null || true
  wait "$daemon" "$tunnel" "$relay" 2>/dev/null || true
done
DOCKER_HOST=unix://$remote_sock docker-compose -p wan -f "$dir/compose/docker-compose.yml" down -t 0 >/dev/null 2>&1 || true

python3 - "$dir/results.tsv" "$runs" <<'PY'
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
print(f"Docker commands through a delaying relay, medians of {sys.argv[2]} whole processes (hyperfine -N), ms; x = ratio to ssh -L\n")
print("| RTT | work | DockBridge | ssh -L | ssh:// | DockBridge x | ssh:// x |")
print("|---|---|---|---|---|---|---|")
seen = {}
for rtt, work, path, ms in rows:
    seen.setdefault((rtt, work), {})[path] = int(ms)
for (rtt, work), m in seen.items():
    base = m["ssh -L"]
    ssh = m.get("ssh://")
    print(f"| {rtt} ms | {work} | {m['dockbridge']} | {base} | {ssh if ssh else 'n/a'} | {m['dockbridge'] / base:.2f} | "
          f"{f'{ssh / base:.2f}' if ssh else 'n/a'} |")
PY

#!/usr/bin/env bash
# `docker ps` wall time, side by side in one run on the local test bed:
#   direct        the remote engine's own socket (no SSH at all)
#   dockbridge    DockBridge's local socket (one persistent SSH session, a channel per connection)
#   ssh -L        a persistent OpenSSH socket tunnel (ssh -N -L local.sock:remote.sock)
#   ssh://        the docker CLI's DOCKER_HOST=ssh:// (a new ssh process and handshake per command)
# Prints medians (hyperfine, whole process) and the ratio to direct. Run as root on Debian.
# WARMUP_PATH=false starts the daemon with local.warmup off; otherwise the timing starts once its request-path
# warm-up has ended (what a user has some 10 s after the first engine is ready).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-30}
warmup=${WARMUP:-20}
bash scripts/install-deps.sh hyperfine openssh-client python3 >/dev/null
[ -f e2e/target/classpath.txt ] && [ -x cli/target/dockbridge/dockbridge/bin/dockbridge ] || ./mvnw -q -B -ntp -DskipTests install

. scripts/testbed.sh
dir=/tmp/dbbench
on_exit="testbed dbbench down $dir"
testbed dbbench down "$dir" >/dev/null 2>&1 || true
testbed dbbench up "$dir" >/dev/null
host=198.18.1.2
remote_sock=$dir/h1/docker.sock

export DOCKBRIDGE_HOME=$dir/home
printf 'local:\n  warmup: %s\n' "${WARMUP_PATH:-true}" >>"$dir/config.yaml"
cli/target/dockbridge/dockbridge/bin/dockbridge start --config "$dir/config.yaml" >"$dir/daemon.log" 2>&1 &
track $!
db_sock=$DOCKBRIDGE_HOME/default/docker.sock

cat >"$dir/ssh_config" <<CFG
Host $host
  User root
  IdentityFile $dir/client_ed25519
  UserKnownHostsFile $dir/known_hosts
  StrictHostKeyChecking yes
CFG
ssh -F "$dir/ssh_config" -N -o StreamLocalBindUnlink=yes -L "$dir/ssh-L.sock:$remote_sock" "$host" &
track $!
# the docker CLI runs `ssh` from PATH for ssh://; this one reads the bench's ssh config
mkdir -p "$dir/bin"
printf '#!/bin/sh\nexec /usr/bin/ssh -F %s "$@"\n' "$dir/ssh_config" >"$dir/bin/ssh"
chmod +x "$dir/bin/ssh"

for _ in $(seq 200); do [ -S "$db_sock" ] && [ -S "$dir/ssh-L.sock" ] && break; sleep 0.1; done
if [ "${WARMUP_PATH:-true}" = true ]; then
  for _ in $(seq 1200); do grep -q "request path warm" "$dir/daemon.log" && break; sleep 0.1; done
  grep -o "request path warm.*" "$dir/daemon.log" >&2 || echo "the daemon's warm-up did not end within 120 s" >&2
fi
export DOCKER_CONFIG=$dir/docker-config
mkdir -p "$DOCKER_CONFIG"

hyperfine -N --warmup "$warmup" --runs "$runs" --export-json "$dir/ps.json" \
  -n direct "env DOCKER_HOST=unix://$remote_sock docker ps" \
  -n dockbridge "env DOCKER_HOST=unix://$db_sock docker ps" \
  -n "ssh -L" "env DOCKER_HOST=unix://$dir/ssh-L.sock docker ps" \
  -n "ssh://" "env PATH=$dir/bin:$PATH DOCKER_HOST=ssh://$host docker ps" >"$dir/hyperfine.log"

python3 - "$dir/ps.json" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
base = next(r for r in results if r["command"] == "direct")["median"]
print(f"`docker ps`, median of {len(results[0]['times'])} runs (hyperfine -N, whole process)\n")
print("| through | median ms | ratio to direct |")
print("|---|---|---|")
for r in results:
    print(f"| {r['command']} | {r['median'] * 1000:.1f} | {r['median'] / base:.2f} |")
PY

# A reply read to its end (Connection: close), as a client of a stream that ends does (an attach when its container
# exits): the channel's EOF comes after the last bytes, which sshd's Nagle holds for the client's delayed ACK until
# a command runs on the connection (SshTunnel.holdInteractive).
PYTHONPATH=bench python3 - "$remote_sock" "$db_sock" "$dir/ssh-L.sock" <<'PY'
import sys
from unix_request import timed_request
def once(path):
    return timed_request(path, b"GET /version HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n")
print("\n`GET /version` read to its end (Connection: close), median of 31\n")
print("| through | median ms |")
print("|---|---|")
for name, path in zip(("direct", "dockbridge", "ssh -L"), sys.argv[1:]):
    times = sorted(once(path) for _ in range(31))
    print(f"| {name} | {times[15]:.1f} |")
PY

#!/usr/bin/env bash
# Bulk streams through the Docker socket, side by side in one run on the test bed: SIZE_MIB (default 512) of random
# bytes into a container's stdin (`docker exec -i CTR sh -c 'cat >/dev/null'`, the path of a build context,
# `docker load` or `cp`) and back out of it (`docker exec CTR cat /big`), through
#   direct       the remote engine's own socket (no SSH at all)
#   ssh -L       a persistent OpenSSH socket tunnel (aes128-gcm, ssh -N -L local.sock:remote.sock)
#   dockbridge   DockBridge's local socket
# Whole docker processes' wall time; medians of ROUNDS rounds (default 4) after the first, and the ratio to ssh -L.
# Run as root on Debian.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-4}
size_mib=${SIZE_MIB:-512}
bash scripts/install-deps.sh openssh-client python3 >/dev/null
[ -f e2e/target/classpath.txt ] && [ -x cli/target/dockbridge/dockbridge/bin/dockbridge ] || ./mvnw -q -B -ntp -DskipTests install

. scripts/testbed.sh
dir=/tmp/dbbench-sock
# shellcheck disable=SC2034 # read by testbed.sh's exit trap
on_exit="testbed dbsk down $dir"
testbed dbsk down "$dir" >/dev/null 2>&1 || true
testbed dbsk up "$dir" >/dev/null
host=198.18.1.2
remote_sock=$dir/h1/docker.sock
export DOCKBRIDGE_HOME=$dir/home
cli/target/dockbridge/dockbridge/bin/dockbridge start --config "$dir/config.yaml" >"$dir/daemon.log" 2>&1 &
track $!
db_sock=$DOCKBRIDGE_HOME/default/docker.sock
ssh -i "$dir/client_ed25519" -o UserKnownHostsFile="$dir/known_hosts" -o StrictHostKeyChecking=yes -c aes128-gcm@openssh.com \
  -N -o StreamLocalBindUnlink=yes -L "$dir/ssh-L.sock:$remote_sock" root@$host &
track $!
for _ in $(seq 200); do [ -S "$db_sock" ] && [ -S "$dir/ssh-L.sock" ] && break; sleep 0.1; done
# the daemon's request-path warm-up runs once the first engine is ready; the timing starts after it
for _ in $(seq 1200); do grep -q "request path warm" "$dir/daemon.log" && break; sleep 0.1; done
export DOCKER_CONFIG=$dir/docker-config
mkdir -p "$DOCKER_CONFIG" "$dir/ctx"
cp /bin/busybox "$dir/ctx/busybox"
printf 'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox","--install","-s","/bin"]\nRUN dd if=/dev/urandom of=/big bs=1M count=%s\n' \
  "$size_mib" >"$dir/ctx/Dockerfile"
DOCKER_HOST=unix://$remote_sock DOCKER_BUILDKIT=0 docker build -q -t bulk "$dir/ctx" >/dev/null
ctr=$(DOCKER_HOST=unix://$remote_sock docker run -d bulk sleep 2147483647)
head -c "$((size_mib * 1024 * 1024))" /dev/urandom >"$dir/big"

ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }
upload() { local s; s=$(date +%s%N); DOCKER_HOST=unix://$1 docker exec -i "$ctr" sh -c 'cat >/dev/null' <"$dir/big"; ms_since "$s"; }
download() { local s; s=$(date +%s%N); DOCKER_HOST=unix://$1 docker exec "$ctr" cat /big >/dev/null; ms_since "$s"; }
: >"$dir/results.txt"
for r in $(seq "$rounds"); do
  for path in "direct $remote_sock" "ssh-L $dir/ssh-L.sock" "dockbridge $db_sock"; do
    read -r name sock <<<"$path"
    echo "$r $name $(upload "$sock") $(download "$sock")" >>"$dir/results.txt"
  done
done

python3 - "$dir/results.txt" "$size_mib" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
mib = int(sys.argv[2])
def med(path, col):
    return statistics.median(int(r[col]) for r in rows if r[1] == path and r[0] != "1")
print(f"{mib} MiB per transfer; medians of the rounds after the first, whole docker processes\n")
print("| through | upload ms | MiB/s | x ssh -L time | download ms | MiB/s | x ssh -L time |")
print("|---|---|---|---|---|---|---|")
names = {"direct": "direct (the engine's socket)", "ssh-L": "OpenSSH ssh -L (aes128-gcm)", "dockbridge": "DockBridge"}
for p in ["direct", "ssh-L", "dockbridge"]:
    up, down = med(p, 2), med(p, 3)
    print(f"| {names[p]} | {up:.0f} | {mib * 1000 / up:.0f} | {up / med('ssh-L', 2):.2f} | {down:.0f} | {mib * 1000 / down:.0f} | {down / med('ssh-L', 3):.2f} |")
PY

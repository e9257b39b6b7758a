#!/usr/bin/env bash
# Issue 7's figures on the local test bed (provider ssh, one host):
#   detect    seconds from the link going down to the daemon declaring the SSH session dead
#             (ssh.keepalive_interval 5s x keepalive_max_misses 3: expect about 15 s)
#   recover   seconds from the link coming back to `docker ps` succeeding, and to a forward answering
#   memory    the daemon's RSS idle, then with 1,000 idle connections open on its Docker socket
# Link down for 30 s each round, 5 rounds; prints medians. Run as root on Debian.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-5}
bash scripts/install-deps.sh python3 >/dev/null
[ -f e2e/target/classpath.txt ] && [ -x cli/target/dockbridge/dockbridge/bin/dockbridge ] || ./mvnw -q -B -ntp -DskipTests install

. scripts/testbed.sh
dir=/tmp/dbrecovery
fresh_testbed dbrec "$dir" 1
sed -i 's/^ssh:$/ssh:\n  keepalive_interval: 5s\n  keepalive_max_misses: 3/' "$dir/config.yaml"

export DOCKBRIDGE_HOME=$dir/home DOCKER_CONFIG=$dir/docker-config
db=cli/target/dockbridge/dockbridge/bin/dockbridge
$db start --config "$dir/config.yaml" >"$dir/daemon.out" 2>&1 &
track $!
for _ in $(seq 300); do [ -S "$DOCKBRIDGE_HOME/default/docker.sock" ] && break; sleep 0.1; done
export DOCKER_HOST=unix://$DOCKBRIDGE_HOME/default/docker.sock
mkdir -p "$dir/ctx" && cp /bin/busybox "$dir/ctx/busybox"
printf 'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox","--install","-s","/bin"]\nRUN mkdir -p /www && echo hello > /www/index.html\n' >"$dir/ctx/Dockerfile"
DOCKER_BUILDKIT=0 docker build -q -t bench-busybox "$dir/ctx" >/dev/null
docker run -d -p 18590:80 bench-busybox httpd -f -p 80 -h /www >/dev/null
pid=$(cat "$DOCKBRIDGE_HOME/default/daemon.pid")

python3 - "$dir" "$pid" "$rounds" <<'PY'
import datetime, os, socket, statistics, subprocess, sys, time
d, pid, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
log = os.path.join(d, "home/default/daemon.log")
link = "dbrech1o"

def rss_mb():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024

def lost_lines():
    return [l for l in open(log) if "lost; reconnecting" in l]

def stamp(line):
    return datetime.datetime.fromisoformat(line.split()[0].replace("Z", "+00:00")).timestamp()

def forward_ok():
    try:
        with socket.create_connection(("127.0.0.1", 18590), timeout=2) as s:
            s.settimeout(5)
            s.sendall(b"GET /index.html HTTP/1.0\r\nHost: x\r\n\r\n")
            return b"hello" in s.recv(4096)
    except OSError:
        return False

detect, recover_ps, recover_fwd = [], [], []
for r in range(rounds):
    while not forward_ok():
        time.sleep(0.5)
    before = len(lost_lines())
    down = time.time()
    subprocess.run(["ip", "link", "set", link, "down"], check=True)
    while len(lost_lines()) == before and time.time() - down < 120:
        time.sleep(0.2)
    detect.append(stamp(lost_lines()[-1]) - down)
    time.sleep(max(0, 30 - (time.time() - down)))
    subprocess.run(["ip", "link", "set", link, "up"], check=True)
    up = time.time()
    while subprocess.run(["docker", "ps"], capture_output=True).returncode != 0:
        time.sleep(0.2)
    recover_ps.append(time.time() - up)
    while not forward_ok():
        time.sleep(0.2)
    recover_fwd.append(time.time() - up)
    print(f"round {r + 1}: detect {detect[-1]:.1f} s, docker ps back {recover_ps[-1]:.1f} s, forward back {recover_fwd[-1]:.1f} s", flush=True)

idle_rss = rss_mb()
sock = os.path.join(d, "home/default/docker.sock")
conns = []
for _ in range(1000):
    c = socket.socket(socket.AF_UNIX)
    c.connect(sock)
    conns.append(c)
time.sleep(2)
loaded_rss = rss_mb()
t0 = time.time()
ok = subprocess.run(["docker", "ps"], capture_output=True).returncode == 0
ps_with_idle = time.time() - t0
for c in conns:
    c.close()

print()
print(f"{'figure':<44} {'median':>8}")
print(f"{'detect a dead session (5 s x 3 keepalives), s':<44} {statistics.median(detect):>8.1f}")
print(f"{'docker ps works after the link returns, s':<44} {statistics.median(recover_ps):>8.1f}")
print(f"{'forward answers after the link returns, s':<44} {statistics.median(recover_fwd):>8.1f}")
print(f"{'daemon RSS idle, MiB':<44} {idle_rss:>8.0f}")
print(f"{'daemon RSS, 1000 idle docker connections, MiB':<44} {loaded_rss:>8.0f}")
print(f"{'docker ps meanwhile, s (ok=' + str(ok) + ')':<44} {ps_with_idle:>8.2f}")
PY

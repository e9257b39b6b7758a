#!/usr/bin/env bash
# The daemon's memory (RSS from /proc), side by side in one run on the test bed (provider ssh), for:
#   before     the JVM options of the launcher before issue 16 (java 17, -XX:+UseSerialGC -Xss512k)
#   java 17    today's launcher on Debian's Java 17
#   bundled    today's launcher with its own runtime (the linux-x64 tarball: jlink of JDK 25)
# Each: RSS idle with the server ready and five forwards (median of 5 samples), the peak while 1 GiB goes
# through a forward (and its rate), the peak with 1,000 connections open on the Docker socket.
# TRY_OPTS="..." adds a row: today's launcher on Java 17 with those JVM options added; ROUNDS (default 3).
# Targets (issue 16): idle <= 100 MiB, under load <= 160 MiB, throughput as before. Run as root on Debian.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh python3 curl >/dev/null
if [ ! -f e2e/target/classpath.txt ] || [ ! -x cli/target/dockbridge/dockbridge/bin/dockbridge ]; then
  ./mvnw -q -B -ntp -DskipTests install
fi
ls dist/dockbridge-*-linux-x64.tar.gz >/dev/null 2>&1 || bash scripts/package.sh --no-build >/dev/null

. scripts/testbed.sh
dir=/tmp/dbmem
fresh_testbed dbmem "$dir" 1
export DOCKER_CONFIG=$dir/docker-config
remote="env DOCKER_HOST=unix://$dir/h1/docker.sock"
mkdir -p "$dir/image" "$dir/bundled" "$DOCKER_CONFIG"
cp /bin/busybox "$dir/image/busybox"
printf 'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox","--install","-s","/bin"]\nRUN mkdir -p /www && dd if=/dev/zero of=/www/big bs=1M count=1024 2>/dev/null\n' \
  >"$dir/image/Dockerfile"
$remote docker build -q -t membench "$dir/image" >/dev/null
for p in 1 2 3 4 5; do
  $remote docker run -d -p "1930$p:80" membench httpd -f -p 80 -h /www >/dev/null
done
tar -xzf dist/dockbridge-*-linux-x64.tar.gz -C "$dir/bundled"
bundled=$(echo "$dir"/bundled/dockbridge-*/bin/dockbridge)
app=cli/target/dockbridge/dockbridge
java17=/usr/lib/jvm/java-17-openjdk-amd64/bin/java

rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
peak_while() { # PID COMMAND...: runs COMMAND, samples PID's RSS every 50 ms, prints the peak in KiB
  local pid=$1; shift
  "$@" &
  local job=$! peak=0 r
  while kill -0 "$job" 2>/dev/null; do
    r=$(rss_kib "$pid"); [ "$r" -gt "$peak" ] && peak=$r
    sleep 0.05
  done
  wait "$job"
  echo "$peak"
}

measure() { # NAME COMMAND...: starts a daemon with COMMAND, prints NAME idle peak_transfer rate peak_conns
  local name=$1; shift
  export DOCKBRIDGE_HOME=$dir/home-$name
  "$@" start --config "$dir/config.yaml" >"$dir/daemon-$name.log" 2>&1 &
  local pid=$!
  for _ in $(seq 300); do [ -S "$DOCKBRIDGE_HOME/default/docker.sock" ] && break; sleep 0.1; done
  local sock=$DOCKBRIDGE_HOME/default/docker.sock
  DOCKER_HOST=unix://$sock docker ps >/dev/null
  for _ in $(seq 200); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:19305/ 2>/dev/null)" = 404 ] && break
    sleep 0.1
  done
  sleep 5
  local samples=()
  for _ in 1 2 3 4 5; do samples+=("$(rss_kib $pid)"); sleep 1; done
  local idle
  idle=$(printf '%s\n' "${samples[@]}" | sort -n | sed -n 3p)
  local t0 t1 transfer
  t0=$(date +%s%N)
  transfer=$(peak_while $pid curl -s -o /dev/null http://127.0.0.1:19301/big)
  t1=$(date +%s%N)
  local rate
  rate=$(( 1024 * 1000000000 / (t1 - t0) ))
  local conns
  conns=$(peak_while $pid python3 - "$sock" <<'PY'
import socket, sys, time
held = []
for _ in range(1000):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])
    s.sendall(b"GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n")
    held.append(s)
for s in held:
    s.recv(4096)
time.sleep(2)
PY
)
  kill "$pid"; wait "$pid" 2>/dev/null || true
  echo "$name $idle $transfer $rate $conns" >>"$dir/results.txt"
}

: >"$dir/results.txt"
for round in $(seq "${ROUNDS:-3}"); do
  measure before "$java17" -XX:+UseSerialGC -Xss512k -cp "$app/lib/*" dev.dockbridge.cli.Main
  measure java17 env JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64 "$app/bin/dockbridge"
  measure bundled "$bundled"
  if [ -n "${TRY_OPTS:-}" ]; then
    measure try env JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64 DOCKBRIDGE_JAVA_OPTS="$TRY_OPTS" "$app/bin/dockbridge"
  fi
  echo "round $round done" >&2
done

python3 - "$dir/results.txt" "${TRY_OPTS:-}" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
names = {"before": "before (java 17, -Xss512k only)", "java17": "launcher, Debian Java 17", "bundled": "launcher, bundled runtime (JDK 25)",
         "try": f"launcher, Java 17, plus {sys.argv[2]}"}
print("Medians of 3 rounds; RSS in MiB\n")
print("| daemon | idle, ready, 5 forwards | peak, 1 GiB through a forward | MiB/s | peak, 1,000 connections |")
print("|---|---|---|---|---|")
for n in ["before", "java17", "bundled", "try"]:
    r = [x for x in rows if x[0] == n]
    if not r:
        continue
    med = lambda i: statistics.median(int(x[i]) for x in r)
    print(f"| {names[n]} | {med(1) / 1024:.0f} | {med(2) / 1024:.0f} | {med(3):.0f} | {med(4) / 1024:.0f} |")
PY

#!/usr/bin/env bash
# Forwards by the daemon's ahead-of-time cache (Java 25), one test bed, one build, the daemon restarted per kind:
#   train-T     the first daemon, recording: it ends the recording once its forwards were used (as shipped)
#   train-life  the same, recording to its exit (as before: -Ddockbridge.aot.recording=false)
#   cached-T    a daemon with the cache train-T wrote
#   cached-L    a daemon with the cache train-life wrote
# Per start: three rounds of iperf3 (8 s, one stream) and wrk (8 s, 20 connections, each request a new connection)
# through a forward; the CPU time of the daemon per connection. The cached kinds start twice, alternating. The table
# shows rounds 2-3 (round 1 is the JIT's) and their medians. Needs a Java 25 (JAVA_HOME, default Temurin 25).
# Run as root on Debian.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${JAVA_HOME:-}" ]; then
  for d in /usr/lib/jvm/temurin-25*; do [ -x "$d/bin/java" ] && JAVA_HOME=$d; done
fi
export JAVA_HOME
[ -x "$JAVA_HOME/bin/java" ] || { echo "needs a Java 25 JDK: set JAVA_HOME" >&2; exit 1; }
bash scripts/install-deps.sh iperf3 wrk python3 >/dev/null
[ -f e2e/target/classpath.txt ] && [ -x cli/target/dockbridge/dockbridge/bin/dockbridge ] || ./mvnw -q -B -ntp -DskipTests install

. scripts/testbed.sh
dir=/tmp/dbbench-aot
on_exit="testbed dbaot down $dir"
testbed dbaot down "$dir" >/dev/null 2>&1 || true
testbed dbaot up "$dir" >/dev/null
remote_sock=$dir/h1/docker.sock
export DOCKER_CONFIG=$dir/docker-config DOCKBRIDGE_HOME=$dir/home
mkdir -p "$DOCKER_CONFIG"
# shellcheck source=bench/lib.sh
. bench/lib.sh
forward_targets
db=cli/target/dockbridge/dockbridge/bin/dockbridge

# run LABEL CACHE-DIR [ENV=VALUE...]: a daemon with its caches in CACHE-DIR, after its request-path warm-up, three rounds
run() {
  local label=$1 cache=$2 d r gbits before after out
  shift 2
  env XDG_CACHE_HOME="$cache" "$@" "$db" start --config "$dir/config.yaml" >"$dir/daemon-$label.log" 2>&1 &
  d=$!
  for _ in $(seq 1200); do grep -q "request path warm" "$dir/daemon-$label.log" && break; sleep 0.1; done
  for _ in $(seq 300); do
    (exec 3<>/dev/tcp/127.0.0.1/18080) 2>/dev/null && (exec 3<>/dev/tcp/127.0.0.1/5201) 2>/dev/null && break
    sleep 0.1
  done
  for r in 1 2 3; do
    gbits=$(iperf3 -c 127.0.0.1 -p 5201 -t 8 -J | python3 -c 'import json,sys; print(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e9)')
    before=$(cpu_ms "$d")
    out=$(wrk -t2 -c20 -d8s http://127.0.0.1:18080/index.html)
    after=$(cpu_ms "$d")
    printf '%s' "$out" | python3 -c '
import re, sys
text = sys.stdin.read()
requests = int(re.search(r"(\d+) requests in", text).group(1))
rate = float(re.search(r"Requests/sec:\s+([0-9.]+)", text).group(1))
print(sys.argv[1], sys.argv[2], sys.argv[3], rate, (float(sys.argv[5]) - float(sys.argv[4])) * 1000 / requests)' \
      "$label" "$r" "$gbits" "$before" "$after" >>"$dir/results.txt"
  done
  grep -h "ahead-of-time training" "$dir/daemon-$label.log" >&2 || true
  env XDG_CACHE_HOME="$cache" "$db" stop --config "$dir/config.yaml" >/dev/null 2>&1 || kill "$d"
  for _ in $(seq 600); do kill -0 "$d" 2>/dev/null || break; sleep 0.1; done
}

: >"$dir/results.txt"
rm -rf "$dir/cache-T" "$dir/cache-L"
run train-T "$dir/cache-T"
run train-life "$dir/cache-L" DOCKBRIDGE_JAVA_OPTS=-Ddockbridge.aot.recording=false
for _ in 1 2; do
  run cached-T "$dir/cache-T"
  run cached-L "$dir/cache-L"
done

python3 - "$dir/results.txt" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
names = {"train-T": "recording, ended once the forwards were used (shipped)", "train-life": "recording to its exit (before)",
         "cached-T": "with the cache of the shipped recording", "cached-L": "with the cache of a recording to exit"}
print("Forwards by the daemon's ahead-of-time cache: rounds 2-3 of each start (iperf3 8 s; wrk 8 s x20)\n")
print("| daemon | Gbit/s | new conn/s | CPU µs per connection | medians: Gbit/s, conn/s, µs |")
print("|---|---|---|---|---|")
for label, name in names.items():
    rs = [r for r in rows if r[0] == label and r[1] != "1"]
    cols = [[float(r[i]) for r in rs] for i in (2, 3, 4)]
    print(f"| {name} | {', '.join(f'{x:.2f}' for x in cols[0])} | {', '.join(f'{x:.0f}' for x in cols[1])} | "
          f"{', '.join(f'{x:.0f}' for x in cols[2])} | {statistics.median(cols[0]):.2f}, {statistics.median(cols[1]):.0f}, "
          f"{statistics.median(cols[2]):.0f} |")
PY

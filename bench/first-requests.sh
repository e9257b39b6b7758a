#!/usr/bin/env bash
# A fresh daemon's first requests, with the request-path warm-up off: the JIT's start, as a user's first commands meet it.
# Each start: 1,001 requests `GET /v1.41/containers/json`, each on a new connection, read to its end; medians per batch.
#   aot      the launcher as shipped on Java 25+: an ahead-of-time cache with the method profiles of an earlier
#            daemon's whole run (trained once here, its request-path warm-up included; it forwards nothing, so its
#            recording goes on to its exit)
#   archive  the dynamic class-data archive the launcher used before (made by an earlier start)
# ROUNDS starts of each (default 5), alternating; medians over the starts. Needs a Java 25 (JAVA_HOME, default Temurin 25).
# Run as root on Debian.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-5}
if [ -z "${JAVA_HOME:-}" ]; then
  for d in /usr/lib/jvm/temurin-25*; do [ -x "$d/bin/java" ] && JAVA_HOME=$d; done
fi
export JAVA_HOME
[ -x "$JAVA_HOME/bin/java" ] || { echo "needs a Java 25 JDK: set JAVA_HOME" >&2; exit 1; }
bash scripts/install-deps.sh python3 >/dev/null
[ -f e2e/target/classpath.txt ] && [ -x cli/target/dockbridge/dockbridge/bin/dockbridge ] || ./mvnw -q -B -ntp -DskipTests install

. scripts/testbed.sh
dir=/tmp/dbbench-first
on_exit="testbed dbfirst down $dir"
testbed dbfirst down "$dir" >/dev/null 2>&1 || true
testbed dbfirst up "$dir" >/dev/null
export DOCKBRIDGE_HOME=$dir/home XDG_CACHE_HOME=$dir/cache
db=cli/target/dockbridge/dockbridge/bin/dockbridge
sock=$DOCKBRIDGE_HOME/default/docker.sock
cp "$dir/config.yaml" "$dir/config-base.yaml"
archive=(DOCKBRIDGE_NO_CDS=1 "DOCKBRIDGE_JAVA_OPTS=-XX:+AutoCreateSharedArchive -XX:SharedArchiveFile=$dir/daemon.jsa -Xlog:cds=off -Xlog:cds+dynamic=off")

# start WARMUP LABEL [ENV=VALUE...]: a daemon in the background, until its docker socket is there
start() {
  local warm=$1 label=$2
  shift 2
  cp "$dir/config-base.yaml" "$dir/config.yaml"
  printf 'local:\n  warmup: %s\n' "$warm" >>"$dir/config.yaml"
  env "$@" "$db" start --config "$dir/config.yaml" >"$dir/daemon-$label.log" 2>&1 &
  daemon=$!
  for _ in $(seq 300); do [ -S "$sock" ] && break; sleep 0.1; done
}
stop() {
  "$db" stop --config "$dir/config.yaml" >/dev/null 2>&1 || kill "$daemon"
  for _ in $(seq 600); do kill -0 "$daemon" 2>/dev/null || break; sleep 0.1; done
}
probe() {
  PYTHONPATH=bench python3 - "$sock" "$1" >>"$dir/results.txt" <<'PY'
import statistics, sys
from unix_request import timed_request
def once():
    return timed_request(sys.argv[1], b"GET /v1.41/containers/json HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n")
first = once()
times = [once() for _ in range(1000)]
print(sys.argv[2], f"{first:.2f}", " ".join(f"{statistics.median(times[a:b]):.2f}" for a, b in [(0, 35), (35, 185), (185, 485), (485, 1000)]))
PY
}

: >"$dir/results.txt"
# the launcher's cache: written at the training daemon's exit, taken into use by the next start
start true train
for _ in $(seq 1800); do grep -q "request path warm" "$dir/daemon-train.log" && break; sleep 0.1; done
probe trained
t0=$(date +%s%N)
stop
echo "the training daemon's stop (the JVM writes the cache): $(( ($(date +%s%N) - t0) / 1000000 )) ms" >&2
# the archive is made at the first exit of a daemon that has none
start false archive0 "${archive[@]}"
stop
for r in $(seq "$rounds"); do
  start false "archive$r" "${archive[@]}"
  probe archive
  stop
  start false "aot$r"
  tr '\0' ' ' <"/proc/$daemon/cmdline" | grep -q -- "-XX:AOTCache=" || { echo "the daemon runs without the cache" >&2; exit 1; }
  probe aot
  stop
done

python3 - "$dir/results.txt" "$rounds" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
names = {"archive": "dynamic class-data archive (before)", "aot": "ahead-of-time cache with profiles (shipped)",
         "trained": "the training daemon, after its request-path warm-up"}
print(f"A fresh daemon's requests, ms: medians per batch, then the median over {sys.argv[2]} starts\n")
print("| daemon | first | 1-35 | 35-185 | 185-485 | 485-1000 |")
print("|---|---|---|---|---|---|")
for kind in ["archive", "aot", "trained"]:
    runs = [r[1:] for r in rows if r[0] == kind]
    print(f"| {names[kind]} | " + " | ".join(f"{statistics.median(float(x[i]) for x in runs):.2f}" for i in range(5)) + " |")
PY

#!/usr/bin/env bash
# Wall time of the client commands a user types all day (JVM start included), with a running daemon on the
# local test bed (provider ssh), side by side in one run:
#   before    the build before issue 16 (BEFORE_REV, default af4b04b: picocli's Java 5 jar, old launcher), Java 17
#   java 17   today's launcher on Debian's Java 17 (class-data-sharing archive)
#   temurin   today's launcher with JAVA_HOME at a Temurin 25 JDK (ahead-of-time cache)
#   bundled   today's linux-x64 tarball: its own jlink runtime of JDK 25 (ahead-of-time cache)
# Each: `status`, `status --json`, `--version` (hyperfine medians), and `start --detach` until the socket answers.
# Targets (issue 16): status <= 100 ms and --version <= 80 ms with the bundled runtime, start --detach <= 1 s,
# no slower than before on Java 17. Run as root on Debian.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
runs=${RUNS:-20}
before_rev=${BEFORE_REV:-af4b04b}
bash scripts/install-deps.sh hyperfine python3 >/dev/null
if [ ! -f e2e/target/classpath.txt ] || [ ! -x cli/target/dockbridge/dockbridge/bin/dockbridge ]; then
  ./mvnw -q -B -ntp -DskipTests install
fi
ls dist/dockbridge-*-linux-x64.tar.gz >/dev/null 2>&1 || bash scripts/package.sh --no-build >/dev/null
old=/tmp/dbstatus-before
if [ ! -x "$old/cli/target/dockbridge/dockbridge/bin/dockbridge" ]; then
  rm -rf "$old" && git worktree prune && git worktree add -f "$old" "$before_rev" >/dev/null 2>&1
  (cd "$old" && ./mvnw -q -B -ntp -o -DskipTests -pl cli -am package >/dev/null)
fi

# shellcheck source=scripts/testbed.sh
. scripts/testbed.sh
dir=/tmp/dbstatus
fresh_testbed dbstatus "$dir" 1
mkdir -p "$dir/bundled"
tar -xzf dist/dockbridge-*-linux-x64.tar.gz -C "$dir/bundled"
temurin=
for d in /usr/lib/jvm/temurin-25*; do [ -x "$d/bin/java" ] && temurin=$d; done

variant_cmd() { # NAME -> the command that runs dockbridge that way
  case $1 in
    before) echo "env JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64 $old/cli/target/dockbridge/dockbridge/bin/dockbridge" ;;
    java17) echo "env JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64 $root/cli/target/dockbridge/dockbridge/bin/dockbridge" ;;
    temurin) echo "env JAVA_HOME=$temurin $root/cli/target/dockbridge/dockbridge/bin/dockbridge" ;;
    bundled) printf "%s\n" "$dir"/bundled/dockbridge-*/bin/dockbridge ;;
  esac
}
variants=(before java17 bundled)
[ -n "$temurin" ] && variants=(before java17 temurin bundled)

export DOCKBRIDGE_HOME=$dir/home DOCKER_CONFIG=$dir/docker-config
: >"$dir/detach.txt"
args=()
for v in "${variants[@]}"; do
  db=$(variant_cmd "$v")
  export XDG_CACHE_HOME=$dir/cache-$v
  # start --detach until the socket answers, 5 times (the daemon is stopped after each)
  for _ in 1 2 3 4 5; do
    t0=$(date +%s%N)
    $db start --detach --config "$dir/config.yaml" >/dev/null
    t1=$(date +%s%N)
    echo "$v $(( (t1 - t0) / 1000000 ))" >>"$dir/detach.txt"
    $db stop >/dev/null
  done
  # the class cache is made in the background after a first command
  $db --version >/dev/null
  for _ in $(seq 100); do ls "$XDG_CACHE_HOME"/dockbridge/*-*.* >/dev/null 2>&1 && break; sleep 0.1; done
  sleep 1
done
# one daemon (today's, Java 17) answers every variant's status
env JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64 cli/target/dockbridge/dockbridge/bin/dockbridge start --detach --config "$dir/config.yaml" >/dev/null
for v in "${variants[@]}"; do
  db=$(variant_cmd "$v")
  for c in status "status --json" --version; do
    args+=(-n "$v|$c" "env XDG_CACHE_HOME=$dir/cache-$v $db $c")
  done
done
hyperfine -N --warmup 3 --runs "$runs" --export-json "$dir/h.json" "${args[@]}" >"$dir/hyperfine.out" || { cat "$dir/hyperfine.out"; exit 1; }
cli/target/dockbridge/dockbridge/bin/dockbridge stop >/dev/null

python3 - "$dir/h.json" "$dir/detach.txt" "${variants[@]}" <<'PY'
import json, statistics, sys
rows = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
detach = [l.split() for l in open(sys.argv[2])]
variants = sys.argv[3:]
names = {"before": "before (Java 17, old build)", "java17": "today, Debian Java 17 (CDS)",
         "temurin": "today, Temurin 25 JAVA_HOME (AOT)", "bundled": "today, bundled runtime (AOT)"}
print("hyperfine medians in ms; start --detach: median of 5, until the socket answers\n")
print("| runs as | status | status --json | --version | start --detach |")
print("|---|---|---|---|---|")
for v in variants:
    m = lambda c: rows[f"{v}|{c}"]["median"] * 1000
    d = statistics.median(int(x[1]) for x in detach if x[0] == v)
    print(f"| {names[v]} | {m('status'):.0f} | {m('status --json'):.0f} | {m('--version'):.0f} | {d} |")
PY

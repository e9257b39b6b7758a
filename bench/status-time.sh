#!/usr/bin/env bash
# Wall time of the client commands a user types all day (JVM start included), with a running daemon on
# the local test bed (provider ssh): `dockbridge status`, `status --json`, `ports`, `--version`, each
# with the launcher's class-data-sharing archive (the default) and without it (DOCKBRIDGE_NO_CDS=1).
# Prints hyperfine medians. Target (issue 6): status <= 300 ms median. Run as root on Debian.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-30}
bash scripts/install-deps.sh hyperfine python3 >/dev/null
[ -f e2e/target/classpath.txt ] && [ -x cli/target/dockbridge/dockbridge/bin/dockbridge ] || ./mvnw -q -B -ntp -DskipTests install

. scripts/testbed.sh
dir=/tmp/dbstatus
fresh_testbed dbstatus "$dir" 1

export DOCKBRIDGE_HOME=$dir/home XDG_CACHE_HOME=$dir/cache DOCKER_CONFIG=$dir/docker-config
db=cli/target/dockbridge/dockbridge/bin/dockbridge
$db start --config "$dir/config.yaml" >"$dir/daemon.log" 2>&1 &
track $!
for _ in $(seq 300); do [ -S "$DOCKBRIDGE_HOME/default/docker.sock" ] && break; sleep 0.1; done
$db status >/dev/null
for _ in $(seq 100); do ls "$XDG_CACHE_HOME"/dockbridge/cds-*.jsa >/dev/null 2>&1 && break; sleep 0.1; done

hyperfine -N --warmup 5 --runs "$runs" --export-json "$dir/h.json" \
  -n "status" "$db status" \
  -n "status --json" "$db status --json" \
  -n "ports" "$db ports" \
  -n "version" "$db --version" \
  -n "status (no CDS)" "env DOCKBRIDGE_NO_CDS=1 $db status" >"$dir/hyperfine.out" || { cat "$dir/hyperfine.out"; exit 1; }

python3 - "$dir/h.json" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))["results"]
print(f"{'command':<18} {'median ms':>10} {'min ms':>8} {'max ms':>8}")
for r in rows:
    print(f"{r['command']:<18} {r['median']*1000:>10.0f} {r['min']*1000:>8.0f} {r['max']*1000:>8.0f}")
PY

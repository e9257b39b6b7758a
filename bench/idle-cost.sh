#!/usr/bin/env bash
# Cost model of idle deletion: replays day-long traces (a workday; the same with an IDE polling; a nightly
# batch job; a laptop that sleeps overnight; two machines sharing a profile) through the daemon's own
# request classes, container work and idle policy, and through a plain 15-minute timeout, an Offload-like
# policy and an always-on server; prints billed hours, jobs killed and servers created next to an oracle
# that knows the whole trace (the lower bound).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f e2e/target/classpath.txt ] || ./mvnw -q -B -ntp -DskipTests install
java -cp "e2e/target/classes:$(cat e2e/target/classpath.txt)" dev.dockbridge.e2e.bench.IdleCostSimulation

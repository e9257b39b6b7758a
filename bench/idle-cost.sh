#!/usr/bin/env bash
# Cost model of the idle policy: replays activity traces (a workday with bursts, lunch and meetings; short
# bursts; a night build; an idle day) and prints billed server-hours and cost per day: billing-aware
# deletion (the default), a plain 15-minute timeout, and an always-on server.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f e2e/target/classpath.txt ] || ./mvnw -q -B -ntp -DskipTests install
java -cp "e2e/target/classes:$(cat e2e/target/classpath.txt)" dev.dockbridge.e2e.bench.IdleCostSimulation

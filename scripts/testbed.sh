# Shell helpers shared by scripts/demo.sh and bench/*.sh (source it; needs a built e2e module).
#   testbed PREFIX up|down|sim DIR [HOSTS]   the test bed (TestBedMain) with a namespace prefix
#   start_simulator PREFIX DIR HOSTS [BOOT_MS] starts the Hetzner simulator in the background, waits for
#                                            it and exports HCLOUD_ENDPOINT / HCLOUD_TOKEN
#   fresh_testbed PREFIX DIR HOSTS          a new test bed (an old one of that prefix removed), torn down on exit
#   track PID                                remember a background process; the EXIT trap stops it
# The EXIT trap stops tracked processes and runs "$on_exit" (e.g. a test-bed teardown) if set.

testbed_pids=()
on_exit=

testbed() {
  local prefix=$1; shift
  java -cp "e2e/target/classes:$(cat e2e/target/classpath.txt)" -Ddockbridge.testbed.prefix="$prefix" \
    dev.dockbridge.e2e.testbed.TestBedMain "$@"
}

fresh_testbed() {
  local prefix=$1 dir=$2 hosts=$3
  on_exit="testbed $prefix down $dir"
  testbed "$prefix" down "$dir" >/dev/null 2>&1 || true
  testbed "$prefix" up "$dir" "$hosts" >/dev/null
}

track() {
  testbed_pids+=("$1")
}

testbed_cleanup() {
  for p in "${testbed_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ -n "$on_exit" ]; then eval "$on_exit" >/dev/null 2>&1 || true; fi
}
trap testbed_cleanup EXIT

start_simulator() {
  local prefix=$1 dir=$2 hosts=$3 boot_ms=${4:-1000}
  # java itself in the background (not a function's subshell), so the EXIT trap's kill reaches it and
  # its shutdown hook removes the hosts
  java -cp "e2e/target/classes:$(cat e2e/target/classpath.txt)" -Ddockbridge.testbed.prefix="$prefix" \
    -Ddockbridge.sim.boot_delay_ms="$boot_ms" dev.dockbridge.e2e.testbed.TestBedMain sim "$dir" "$hosts" >"$dir/simulator.log" 2>&1 &
  track $!
  for _ in $(seq 600); do [ -f "$dir/sim.env" ] && break; sleep 0.1; done
  [ -f "$dir/sim.env" ] || { echo "the simulator did not start; see $dir/simulator.log" >&2; return 1; }
  set -a; . "$dir/sim.env"; set +a
}

#!/usr/bin/env bash
# Port-forward performance, side by side in one run on the test bed:
#   throughput  iperf3 single stream (RUN_S seconds) to a container's published port
#   conn/s      wrk, 20 connections, against busybox httpd (which closes every connection: each request is
#               a new forwarded connection), with wrk's error count, and the CPU time the forwarding process
#               (the ssh client, DockBridge's daemon) spent per connection, and the server's side (sshd, and Docker's
#               userland proxy where a connection goes through the published port)
# through: direct (inside the host's namespace), OpenSSH ssh -L (default cipher, and aes128-gcm; to the published
# port, and with aes128-gcm to the container's own address as a DockBridge forward goes, with and without a command
# on its session), and a DockBridge forward.
# Medians of ROUNDS rounds (default 3). Also the daemon's RSS after the load.
# Run as root on Debian.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-3}
run_s=${RUN_S:-5}
bash scripts/install-deps.sh iperf3 wrk python3 >/dev/null
[ -f e2e/target/classpath.txt ] && [ -x cli/target/dockbridge/dockbridge/bin/dockbridge ] || ./mvnw -q -B -ntp -DskipTests install

. scripts/testbed.sh
dir=/tmp/dbbench-fwd
ns=dbfw-h1
on_exit="testbed dbfw down $dir"
testbed dbfw down "$dir" >/dev/null 2>&1 || true
testbed dbfw up "$dir" >/dev/null
host=198.18.1.2
export DOCKER_CONFIG=$dir/docker-config
remote_sock=$dir/h1/docker.sock
remote="env DOCKER_HOST=unix://$remote_sock"
mkdir -p "$DOCKER_CONFIG"
# shellcheck source=bench/lib.sh
. bench/lib.sh
forward_targets
address() { $remote docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$1"; }
iperf_ip=$(address "$iperf_ctr")
httpd_ip=$(address "$httpd_ctr")

export DOCKBRIDGE_HOME=$dir/home
cli/target/dockbridge/dockbridge/bin/dockbridge start --config "$dir/config.yaml" >"$dir/daemon.log" 2>&1 &
daemon=$!
track $daemon
ssh_login=(-i "$dir/client_ed25519" -o UserKnownHostsFile="$dir/known_hosts" -o StrictHostKeyChecking=yes)
ssh_opts=("${ssh_login[@]}" -N)
ssh "${ssh_opts[@]}" -L 25201:127.0.0.1:5201 -L 28080:127.0.0.1:18080 root@$host &
ssh_pid=$!
track $ssh_pid
ssh "${ssh_opts[@]}" -c aes128-gcm@openssh.com -L 35201:127.0.0.1:5201 -L 38080:127.0.0.1:18080 root@$host &
ssh_gcm_pid=$!
track $ssh_gcm_pid
# the route a DockBridge forward takes on the server (the container's own address, not Docker's userland proxy behind
# the published port): the same transport work, without the proxy's
ssh "${ssh_opts[@]}" -c aes128-gcm@openssh.com -L 45201:"$iperf_ip":5201 -L 48080:"$httpd_ip":80 root@$host &
ssh_ctr_pid=$!
track $ssh_ctr_pid
# the same with a command on its session, as an `ssh -L PORT:ADDR:PORT host` with a shell has, and as DockBridge's
# session has: OpenSSH's sshd turns Nagle's algorithm off (TCP_NODELAY) for a connection at its first command, so its
# small packets leave at once, each in its own segment, instead of waiting for the ACK of the one before
ssh "${ssh_login[@]}" -T -c aes128-gcm@openssh.com -L 55201:"$iperf_ip":5201 -L 58080:"$httpd_ip":80 root@$host 'exec sleep 2147483647' </dev/null >/dev/null &
ssh_cmd_pid=$!
track $ssh_cmd_pid
for _ in $(seq 300); do
  (exec 3<>/dev/tcp/127.0.0.1/18080) 2>/dev/null && (exec 3<>/dev/tcp/127.0.0.1/28080) 2>/dev/null \
    && (exec 3<>/dev/tcp/127.0.0.1/38080) 2>/dev/null && (exec 3<>/dev/tcp/127.0.0.1/48080) 2>/dev/null \
    && (exec 3<>/dev/tcp/127.0.0.1/58080) 2>/dev/null && break
  sleep 0.1
done

# the daemon's request-path warm-up (2,000 exchanges with the engine at start) would count in its CPU per connection
for _ in $(seq 1200); do grep -q "request path warm" "$dir/daemon.log" && break; sleep 0.1; done
grep -q "request path warm" "$dir/daemon.log" || echo "the daemon's warm-up did not end within 120 s" >&2
# the first daemon after a build records its ahead-of-time cache (the launcher's -XX:AOTCacheOutput) until its
# forwards have carried enough, then ends the recording (some seconds: the cache's assembly) in the rounds below
if tr '\0' ' ' <"/proc/$daemon/cmdline" | grep -q -- "-XX:AOTCacheOutput="; then
  recording=1
else
  recording=0
fi

inside() { nsenter --net=/var/run/netns/$ns "$@"; }
iperf() { "$@" -t "$run_s" -J | python3 -c 'import json,sys; print(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e9)'; }
# CPU time (ms) of each thread of a process so far, summed by thread name with digits dropped: "name ms" lines
thread_ms() {
  for t in /proc/"$1"/task/*; do
    printf '%s %s\n' "$(tr -d ' ' <"$t/comm" | tr -d '0-9')" "$(stat_ms "$t/stat")"
  done 2>/dev/null | awk '{ms[$1] += $2} END {for (n in ms) print n, ms[n]}'
}
# CPU time (ms) so far of the test-bed host's processes whose name matches a case pattern ("*" for any ending)
host_ms() {
  local total=0 pid
  for pid in $(ip netns pids "$ns"); do
    # shellcheck disable=SC2254 # the pattern is the argument
    case "$(cat /proc/"$pid"/comm 2>/dev/null)" in $1) total=$(awk -v t="$total" -v c="$(cpu_ms "$pid")" 'BEGIN {print t + c}');; esac
  done
  echo "$total"
}
# the host's sshd processes (the listener and every session's process)
sshd_ms() { host_ms 'sshd*'; }
# what forwarding costs the server: sshd, and Docker's userland proxy behind a published port (the connections that
# reach the container through it; a DockBridge forward goes to the container's own address)
server_ms() { awk -v a="$(sshd_ms)" -v b="$(host_ms docker-proxy)" 'BEGIN {print a + b}'; }
# iperfrun PID IPERF-COMMAND...: "Gbit/s cores-of-PID cores-of-the-host's-sshd" (PID 0: not measured); cores = CPU time
# over wall time, so 1.00 is one core busy throughout: the side at 1.00 is the one that sets the rate
iperfrun() {
  local pid=$1 before=0 after=0 s_before s_after start end rate
  shift
  [ "$pid" = 0 ] || before=$(cpu_ms "$pid")
  s_before=$(sshd_ms); start=$(date +%s%N)
  rate=$(iperf "$@")
  end=$(date +%s%N); s_after=$(sshd_ms)
  [ "$pid" = 0 ] || after=$(cpu_ms "$pid")
  awk -v r="$rate" -v b="$before" -v a="$after" -v sb="$s_before" -v sa="$s_after" -v ns="$((end - start))" \
    'BEGIN {ms = ns / 1e6; printf "%s %.2f %.2f\n", r, (a - b) / ms, (sa - sb) / ms}'
}
# wrkrun PID WRK-COMMAND...: "rate errors requests cpu-ms-of-PID server-cpu-ms" (PID 0: not measured)
wrkrun() {
  local pid=$1 before=0 after=0 s_before s_after
  shift
  [ "$pid" = 0 ] || before=$(cpu_ms "$pid")
  s_before=$(server_ms)
  local out
  out=$("$@")
  s_after=$(server_ms)
  [ "$pid" = 0 ] || after=$(cpu_ms "$pid")
  printf '%s' "$out" | python3 -c '
import re, sys
text = sys.stdin.read()
rate = float(re.search(r"Requests/sec:\s+([0-9.]+)", text).group(1))
requests = int(re.search(r"(\d+) requests in", text).group(1))
m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
errors = sum(int(x) for x in m.groups()) if m else 0
n = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
errors += int(n.group(1)) if n else 0
print(f"{rate} {errors} {requests} {float(sys.argv[2]) - float(sys.argv[1])} {float(sys.argv[4]) - float(sys.argv[3])}")' \
    "$before" "$after" "$s_before" "$s_after"
}

: >"$dir/results.txt"
: >"$dir/threads.txt"
for r in $(seq "$rounds"); do
  echo "direct iperf $(iperfrun 0 inside iperf3 -c 127.0.0.1 -p 5201)" >>"$dir/results.txt"
  echo "ssh-L iperf $(iperfrun $ssh_pid iperf3 -c 127.0.0.1 -p 25201)" >>"$dir/results.txt"
  echo "ssh-L-gcm iperf $(iperfrun $ssh_gcm_pid iperf3 -c 127.0.0.1 -p 35201)" >>"$dir/results.txt"
  echo "ssh-L-ctr iperf $(iperfrun $ssh_ctr_pid iperf3 -c 127.0.0.1 -p 45201)" >>"$dir/results.txt"
  echo "ssh-L-cmd iperf $(iperfrun $ssh_cmd_pid iperf3 -c 127.0.0.1 -p 55201)" >>"$dir/results.txt"
  echo "dockbridge iperf $(iperfrun $daemon iperf3 -c 127.0.0.1 -p 5201)" >>"$dir/results.txt"
  echo "direct wrk $(wrkrun 0 inside wrk -t2 -c20 -d${run_s}s http://127.0.0.1:18080/index.html)" >>"$dir/results.txt"
  echo "ssh-L wrk $(wrkrun $ssh_pid wrk -t2 -c20 -d${run_s}s http://127.0.0.1:28080/index.html)" >>"$dir/results.txt"
  echo "ssh-L-gcm wrk $(wrkrun $ssh_gcm_pid wrk -t2 -c20 -d${run_s}s http://127.0.0.1:38080/index.html)" >>"$dir/results.txt"
  echo "ssh-L-ctr wrk $(wrkrun $ssh_ctr_pid wrk -t2 -c20 -d${run_s}s http://127.0.0.1:48080/index.html)" >>"$dir/results.txt"
  echo "ssh-L-cmd wrk $(wrkrun $ssh_cmd_pid wrk -t2 -c20 -d${run_s}s http://127.0.0.1:58080/index.html)" >>"$dir/results.txt"
  thread_ms $daemon >"$dir/threads-before.txt"
  line="dockbridge wrk $(wrkrun $daemon wrk -t2 -c20 -d${run_s}s http://127.0.0.1:18080/index.html)"
  echo "$line" >>"$dir/results.txt"
  thread_ms $daemon | awk -v round="$r" -v requests="$(echo "$line" | cut -d' ' -f5)" 'NR == FNR {before[$1] = $2; next}
    {print round, $1, ($2 - before[$1]) * 1000 / requests}' "$dir/threads-before.txt" - >>"$dir/threads.txt"
done
rss=$(awk '/VmRSS/ {print $2}' /proc/$daemon/status)

if [ $recording = 1 ]; then
  echo "The daemon recorded its ahead-of-time cache (this build's first daemon); $(grep -o "ahead-of-time training [a-z ]*" "$dir/daemon.log" \
    || echo "the recording did not end")."
else
  echo "The daemon started with its ahead-of-time cache."
fi
python3 - "$dir/results.txt" "$rounds" "$rss" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
def med(path, kind, col=2):
    return statistics.median(float(r[col]) for r in rows if r[0] == path and r[1] == kind)
def errs(path):
    return sum(int(r[3]) for r in rows if r[0] == path and r[1] == "wrk")
names = {"direct": "direct (inside the namespace)", "ssh-L": "OpenSSH ssh -L (default cipher)",
         "ssh-L-gcm": "OpenSSH ssh -L (aes128-gcm)",
         "ssh-L-ctr": "OpenSSH ssh -L (aes128-gcm) to the container's address",
         "ssh-L-cmd": "the same, with a command on its session (sshd's TCP_NODELAY, as DockBridge's)",
         "dockbridge": "DockBridge forward"}
paths = ["direct", "ssh-L", "ssh-L-gcm", "ssh-L-ctr", "ssh-L-cmd", "dockbridge"]
base = med("ssh-L", "iperf"); base_c = med("ssh-L", "wrk")
print(f"Median of {sys.argv[2]} rounds; iperf3 single stream; wrk -c20 against httpd that closes every connection\n")
def cpu_per_conn(path):
    # the forwarding process's CPU time per connection, microseconds, round by round
    return [float(r[5]) * 1000 / int(r[4]) for r in rows if r[0] == path and r[1] == "wrk"]
# the median holds the daemon's JIT work of its first rounds; the last round is the compiled path
print("| through | Gbit/s | vs ssh -L | new conn/s | vs ssh -L | CPU µs per conn | CPU µs per conn, last round | wrk errors (all rounds) |")
print("|---|---|---|---|---|---|---|---|")
for p in paths:
    cpu = ["n/a"] * 2 if p == "direct" else [f"{statistics.median(cpu_per_conn(p)):.0f}", f"{cpu_per_conn(p)[-1]:.0f}"]
    print(f"| {names[p]} | {med(p, 'iperf'):.2f} | {med(p, 'iperf') / base:.2f} | {med(p, 'wrk'):.0f} | {med(p, 'wrk') / base_c:.2f} | {cpu[0]} | {cpu[1]} | {errs(p)} |")
# the server's side of the same connections: its sshd, and Docker's userland proxy where a connection goes through the
# published port ("direct", which has no sshd, and the OpenSSH paths but the two to the container's address); CPU per
# connection of each side, medians
def server_per_conn(path):
    return [float(r[6]) * 1000 / int(r[4]) for r in rows if r[0] == path and r[1] == "wrk"]
print("\n| wrk through | server: sshd + Docker's proxy, CPU µs per conn | client (forwarding process), CPU µs per conn | both |")
print("|---|---|---|---|")
for p in paths:
    server = statistics.median(server_per_conn(p))
    client = 0 if p == "direct" else statistics.median(cpu_per_conn(p))
    print(f"| {names[p]} | {server:.0f} | {'n/a' if p == 'direct' else f'{client:.0f}'} | {server + client:.0f} |")
# which side sets a single stream's rate: the one near 1.00 core (CPU time over the run's wall time)
print("\n| iperf3 through | Gbit/s | forwarding process, cores | the host's sshd, cores |")
print("|---|---|---|---|")
for p in paths[1:]:
    print(f"| {names[p]} | {med(p, 'iperf'):.2f} | {med(p, 'iperf', 3):.2f} | {med(p, 'iperf', 4):.2f} |")
# the targets side by side: DockBridge against each OpenSSH path (new connections, the client's CPU per connection in
# the median of rounds and in the last round, once the daemon's JIT is done)
print("\n| DockBridge against | Gbit/s x | new conn/s x | client CPU per conn x (median) | x (last round) |")
print("|---|---|---|---|---|")
db_cpu = cpu_per_conn("dockbridge")
for p in paths[1:-1]:
    print(f"| {names[p]} | {med('dockbridge', 'iperf') / med(p, 'iperf'):.2f} | {med('dockbridge', 'wrk') / med(p, 'wrk'):.2f} | "
          f"{statistics.median(db_cpu) / statistics.median(cpu_per_conn(p)):.2f} | {db_cpu[-1] / cpu_per_conn(p)[-1]:.2f} |")
print(f"\nDockBridge daemon RSS after the load: {int(sys.argv[3]) / 1024:.0f} MiB")
PY
# where the daemon's CPU per connection went, by thread (digits dropped from names), round by round
python3 - "$dir/threads.txt" "$rounds" <<'PY'
import collections, sys
per = collections.defaultdict(dict)
for line in open(sys.argv[1]):
    r, name, us = line.split()
    per[name][int(r)] = float(us)
rounds = range(1, int(sys.argv[2]) + 1)
names = sorted(per, key=lambda n: -sum(per[n].values()))
print("\nDockBridge daemon: CPU µs per connection by thread, round by round\n")
print("| thread | " + " | ".join(f"round {r}" for r in rounds) + " |")
print("|---|" + "---|" * len(rounds))
for n in names:
    if max(per[n].values()) >= 1:
        print(f"| {n} | " + " | ".join(f"{per[n].get(r, 0):.0f}" for r in rounds) + " |")
print("| all | " + " | ".join(f"{sum(per[n].get(r, 0) for n in per):.0f}" for r in rounds) + " |")
PY

# shellcheck shell=bash disable=SC2154
# Shared by the benchmarks on a test-bed host. Needs $dir (the bed's folder), $remote_sock (the host's engine) and,
# for those that reach the host through bench/delay-relay.py, $relay_port (the relay in front of the host's sshd).

# busybox_image TAG: a FROM-scratch busybox image, built on the host's engine directly (not part of any timing).
busybox_image() {
  mkdir -p "$dir/ctx" && cp /bin/busybox "$dir/ctx/busybox"
  printf 'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox","--install","-s","/bin"]\n' >"$dir/ctx/Dockerfile"
  DOCKER_HOST=unix://$remote_sock DOCKER_BUILDKIT=0 docker build -q -t "$1" "$dir/ctx" >/dev/null
}

# relay_config FILE [YAML]: DockBridge's config for the host behind the relay, YAML appended; the host's key is
# trusted at the relay's address.
relay_config() {
  local key
  key=$(awk '{print $1" "$2}' "$dir/h1/ssh_host_ed25519_key.pub")
  printf '[127.0.0.1]:%s %s\n' "$relay_port" "$key" >>"$dir/known_hosts"
  cat >"$1" <<YML
provider: ssh
ssh:
  host: 127.0.0.1
  port: $relay_port
  identity_file: $dir/client_ed25519
  known_hosts: $dir/known_hosts
remote:
  docker_socket: $remote_sock
${2:-}
YML
}

# forward_targets: two containers on the host's engine behind published ports, for forwards to carry: iperf3 -s on 5201
# (from this machine's root filesystem) and busybox httpd on 18080, which closes every connection (a request is a new
# connection); sets iperf_ctr and httpd_ctr.
forward_targets() {
  local engine=(env "DOCKER_HOST=unix://$remote_sock")
  mkdir -p "$dir/image" && cp /bin/busybox "$dir/image/busybox"
  printf 'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox","--install","-s","/bin"]\nRUN mkdir -p /www && echo hello > /www/index.html\n' \
    >"$dir/image/Dockerfile"
  "${engine[@]}" docker build -q -t bench "$dir/image" >/dev/null 2>&1
  # shellcheck disable=SC2034 # for the caller
  iperf_ctr=$("${engine[@]}" docker run -d -p 5201:5201 -v /:/host bench chroot /host iperf3 -s -p 5201)
  # shellcheck disable=SC2034
  httpd_ctr=$("${engine[@]}" docker run -d -p 18080:80 bench httpd -f -p 80 -h /www)
}

# stat_ms FILE: the CPU time (user + system, ms) so far in a /proc stat file (a process's, or one of its threads')
stat_ms() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) * 1000 / hz}' "$1"; }
# cpu_ms PID: the CPU time (user + system, ms) of a process so far
cpu_ms() { stat_ms "/proc/$1/stat"; }

# shellcheck shell=bash disable=SC2154
# Shared by the benchmarks that reach a test-bed host through bench/delay-relay.py. Needs $dir (the bed's
# folder), $remote_sock (the host's engine) and $relay_port (the relay in front of the host's sshd).

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

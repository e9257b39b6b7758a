#!/usr/bin/env bash
# Installs what the build and the local test bed need on Debian/Ubuntu. Run as root; safe to re-run.
set -euo pipefail

packages=(docker.io docker-compose openssh-server openssh-client busybox-static iproute2 iptables util-linux procps curl ca-certificates inotify-tools)
command -v javac >/dev/null 2>&1 || packages+=(openjdk-17-jdk-headless)
for optional in "$@"; do packages+=("$optional"); done

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "install-deps: need root to install: ${missing[*]}" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null \
  || { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null; }

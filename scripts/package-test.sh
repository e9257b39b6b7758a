#!/usr/bin/env bash
# Tests the release artifacts in dist/ (bash scripts/package.sh) as a user gets them, on the local test bed:
#  - the launcher and install.sh pass shellcheck and run under dash;
#  - the .deb installs with dpkg -i, and the installed /usr/bin/dockbridge (its own runtime) runs end to end:
#    --version, doctor, start --detach, docker build and run, a forwarded port, stop; dpkg -r leaves none of
#    its files behind;
#  - the tarball without a runtime, installed with install.sh into an empty folder, runs the same flow with
#    Debian's Java 17 and with a Temurin 25 JDK; with JAVA_HOME at a Java 11, the launcher says what to
#    install in one line and exits 1.
# Run as root on Debian, after scripts/package.sh and a build of the e2e module (the test bed).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
dist=$root/dist
bash scripts/install-deps.sh shellcheck curl

# a failed step leaves no daemon behind holding the bed's ports for the next run
fail() {
  echo "package-test: FAILED: $*" >&2
  if [ -n "${config:-}" ]; then pkill -f -- "--config $config" 2>/dev/null || true; fi
  exit 1
}
step() { echo "== package-test: $*"; }

deb=''
plain=''
for f in "$dist"/dockbridge_*_amd64.deb; do [ -f "$f" ] && deb=$f; done
for f in "$dist"/dockbridge-*.tar.gz; do case $f in *-linux-x64.tar.gz) ;; *) [ -f "$f" ] && plain=$f ;; esac; done
if [ -z "$deb" ] || [ -z "$plain" ]; then fail "no packages in $dist: run bash scripts/package.sh first"; fi
(cd "$dist" && sha256sum --check --quiet sha256sums.txt) || fail "sha256sums.txt does not match the artifacts"

step "shellcheck and dash"
shellcheck -s sh cli/src/main/dist/bin/dockbridge scripts/dist/install.sh || fail "shellcheck"
shellcheck -x scripts/package.sh scripts/package-test.sh || fail "shellcheck"

# shellcheck source=scripts/testbed.sh
. scripts/testbed.sh
work=/tmp/dbpkg
rm -rf "$work" && mkdir -p "$work"
fresh_testbed dbpkg "$work/bed" 1
config=$work/bed/config.yaml
mkdir -p "$work/image" && cp /bin/busybox "$work/image/busybox"
printf 'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox","--install","-s","/bin"]\nRUN mkdir -p /www && echo hello-from-the-package > /www/index.html\n' \
  >"$work/image/Dockerfile"

# flow NAME DOCKBRIDGE [ENV=VALUE...]: the user's first session with an installed DockBridge
flow() {
  local name=$1 db=$2; shift 2
  local home=$work/$name
  mkdir -p "$home"
  local -a env=(env "DOCKBRIDGE_HOME=$home/state" "XDG_CACHE_HOME=$home/cache" "DOCKER_CONFIG=$home/docker-config" "$@")
  step "$name: --version"
  "${env[@]}" "$db" --version | tee "$home/version.txt"
  grep -q '^dockbridge ' "$home/version.txt" || fail "$name: --version"
  step "$name: start --detach"
  "${env[@]}" "$db" start --detach --config "$config" | tee "$home/start.txt" || fail "$name: start --detach"
  local pid
  pid=$(sed -n 's/.*(pid \([0-9]*\)).*/\1/p' "$home/start.txt")
  step "$name: doctor"
  "${env[@]}" "$db" doctor --config "$config" || fail "$name: doctor"
  local sock=$home/state/default/docker.sock
  "${env[@]}" DOCKER_HOST="unix://$sock" docker build -q -t dbpkg "$work/image" >/dev/null || fail "$name: docker build"
  local out
  out=$("${env[@]}" DOCKER_HOST="unix://$sock" docker run --rm dbpkg echo "ran through $name") || fail "$name: docker run"
  [ "$out" = "ran through $name" ] || fail "$name: docker run printed '$out'"
  step "$name: a published port, fetched from localhost"
  "${env[@]}" DOCKER_HOST="unix://$sock" docker run -d --name web -p 18231:8080 dbpkg httpd -f -p 8080 -h /www >/dev/null \
    || fail "$name: docker run -p"
  local page=
  for _ in $(seq 100); do
    page=$(curl -fsS --max-time 2 http://127.0.0.1:18231/ 2>/dev/null) && break
    sleep 0.2
  done
  [ "$page" = hello-from-the-package ] || fail "$name: http://127.0.0.1:18231/ answered '$page'"
  if tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "-XX:AOTCacheOutput="; then
    # a JVM that records forwards slower: the first daemon ends its recording once the request-path warm-up is done and
    # its forwards have carried enough (here DOCKBRIDGE_JAVA_OPTS makes that a few connections), and writes its
    # ahead-of-time cache then, running on, instead of at its exit
    step "$name: the first daemon writes its ahead-of-time cache once its forwards were used, running on"
    for _ in $(seq 30); do curl -fsS --max-time 2 -o /dev/null http://127.0.0.1:18231/ || fail "$name: a forwarded fetch"; done
    local log=$home/state/default/daemon.log
    for _ in $(seq 360); do
      grep -q "ahead-of-time training" "$log" && break
      kill -0 "$pid" 2>/dev/null || fail "$name: the daemon exited"
      sleep 0.5
    done
    grep -q "ahead-of-time training ended" "$log" \
      || fail "$name: the recording did not end within 3 min of the daemon's start: $(grep "ahead-of-time\|warm" "$log" || true)"
    ls "$home/cache/dockbridge/"daemon-*.aot.new >/dev/null 2>&1 || fail "$name: the recording ended, but no cache was written"
    kill -0 "$pid" 2>/dev/null || fail "$name: the daemon exited"
    page=$(curl -fsS --max-time 2 http://127.0.0.1:18231/) || fail "$name: a forwarded fetch after the recording"
    [ "$page" = hello-from-the-package ] || fail "$name: after the recording http://127.0.0.1:18231/ answered '$page'"
    out=$("${env[@]}" DOCKER_HOST="unix://$sock" docker run --rm dbpkg echo "after the recording") || fail "$name: docker run after the recording"
    [ "$out" = "after the recording" ] || fail "$name: docker run after the recording printed '$out'"
    touch "$home/aot-written-while-running"
  fi
  "${env[@]}" DOCKER_HOST="unix://$sock" docker rm -f web >/dev/null
  step "$name: stop"
  "${env[@]}" "$db" stop || fail "$name: stop"
  [ ! -S "$sock" ] || fail "$name: the socket is still there after stop"
}

step "the .deb"
dpkg -r dockbridge >/dev/null 2>&1 || true
dpkg -i "$deb" >/dev/null || fail "dpkg -i $deb"
[ "$(readlink -f /usr/bin/dockbridge)" = /usr/lib/dockbridge/bin/dockbridge ] || fail "/usr/bin/dockbridge"
dpkg-query -W -f='${Depends}\n' dockbridge | grep -qx 'libc6 (>= 2.17)' || fail "the .deb depends on more than libc"
# the daemons' ahead-of-time training ends once their forwards carried 20 connections and 1,000 bytes (5,000 and 4 GiB
# for users)
few="DOCKBRIDGE_JAVA_OPTS=-Ddockbridge.aot.forwarded-connections=20 -Ddockbridge.aot.forwarded-bytes=1000"
flow deb /usr/bin/dockbridge "$few"
grep -q "bundled runtime" "$work/deb/version.txt" || fail "the .deb does not run its own runtime"
[ -f "$work/deb/aot-written-while-running" ] || fail "the .deb's first daemon did not record an ahead-of-time cache"
[ -f /usr/share/bash-completion/completions/dockbridge ] || fail "no bash completion"
files=$(dpkg-query -L dockbridge | while read -r f; do if [ -f "$f" ] || [ -L "$f" ]; then echo "$f"; fi; done)
[ -n "$files" ] || fail "dpkg-query -L lists no files"
dpkg -r dockbridge >/dev/null || fail "dpkg -r"
left=$(for f in $files; do if [ -e "$f" ] || [ -L "$f" ]; then echo "$f"; fi; done)
[ -z "$left" ] || fail "dpkg -r left files behind: $left"
[ ! -e /usr/lib/dockbridge ] || fail "dpkg -r left /usr/lib/dockbridge"

step "install.sh refuses a tarball that does not match sha256sums.txt"
prefix=$work/prefix
mkdir -p "$work/corrupt" && cp "$plain" "$dist/install.sh" "$work/corrupt/"
sed "s/^[0-9a-f]\{8\}/00000000/" "$dist/sha256sums.txt" >"$work/corrupt/sha256sums.txt"
rc=0
dash "$work/corrupt/install.sh" --prefix "$prefix" >"$work/corrupt.out" 2>&1 || rc=$?
if [ $rc != 1 ] || ! grep -q "does not match sha256sums.txt" "$work/corrupt.out"; then
  fail "a corrupt download was installed: $(cat "$work/corrupt.out")"
fi
[ ! -e "$prefix/bin/dockbridge" ] || fail "a corrupt download left $prefix/bin/dockbridge"

step "the tarball without a runtime, installed with install.sh into an empty folder"
mkdir -p "$work/download" && cp "$plain" "$dist/sha256sums.txt" "$dist/install.sh" "$work/download/"
dash "$work/download/install.sh" --prefix "$prefix" | tee "$work/install.txt"
grep -q "Put it on your PATH" "$work/install.txt" || fail "install.sh did not say how to put it on the PATH"
[ ! -e "$prefix/lib/dockbridge/runtime" ] || fail "the plain tarball has a runtime"
flow java17 "$prefix/bin/dockbridge" JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64
grep -q "java 17" "$work/java17/version.txt" || fail "not run by Java 17"
temurin=
for d in /usr/lib/jvm/temurin-25*; do [ -x "$d/bin/java" ] && temurin=$d; done
[ -n "$temurin" ] || fail "no Temurin 25 JDK under /usr/lib/jvm"
# caches of other installs or Javas: the ones nothing read for a week go when this install makes its own, the rest stay
stale=$work/java25/cache/dockbridge
mkdir -p "$stale"
for f in daemon-111.aot aot-222.aot cds-333.jsa daemon-444.jsa notes.txt; do echo old >"$stale/$f"; done
touch -d '10 days ago' "$stale/daemon-111.aot" "$stale/aot-222.aot" "$stale/cds-333.jsa" "$stale/notes.txt"
flow java25 "$prefix/bin/dockbridge" JAVA_HOME="$temurin" "$few"
for f in daemon-111.aot aot-222.aot cds-333.jsa; do [ ! -e "$stale/$f" ] || fail "java25: a cache unread for ten days was left: $f"; done
for f in daemon-444.jsa notes.txt; do [ -e "$stale/$f" ] || fail "java25: $f was removed with the stale caches"; done
grep -q "java 25" "$work/java25/version.txt" || fail "not run by Java 25"
ls "$work/java25/cache/dockbridge/"aot-*.aot >/dev/null 2>&1 || sleep 5
ls "$work/java25/cache/dockbridge/"aot-*.aot >/dev/null 2>&1 || fail "no ahead-of-time cache made on Java 25"
# the daemon's own cache: written once the first daemon's forwards were used, taken into use by the next start
[ -f "$work/java25/aot-written-while-running" ] || fail "java25: the first daemon did not record an ahead-of-time cache"
ls "$work/java25/cache/dockbridge/"daemon-*.aot.new >/dev/null 2>&1 || fail "the first daemon on Java 25 left no ahead-of-time cache"
step "java25: the next daemon starts with the cache the first one wrote"
# and removes what a recording leaves when its daemon stops while the cache is assembled (planted here)
for f in "$work/java25/cache/dockbridge/"daemon-*.aot.new; do echo config >"$f.config"; done
j25=(env "DOCKBRIDGE_HOME=$work/java25/state" "XDG_CACHE_HOME=$work/java25/cache" "DOCKER_CONFIG=$work/java25/docker-config" JAVA_HOME="$temurin")
"${j25[@]}" "$prefix/bin/dockbridge" start --detach --config "$config" | tee "$work/java25/again.txt" || fail "java25: start --detach again"
pid=$(sed -n 's/.*(pid \([0-9]*\)).*/\1/p' "$work/java25/again.txt")
tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "-XX:AOTCache=$work/java25/cache/dockbridge/daemon-" \
  || fail "java25: the second daemon does not use the cache: $(tr '\0' ' ' <"/proc/$pid/cmdline")"
out=$("${j25[@]}" DOCKER_HOST="unix://$work/java25/state/default/docker.sock" docker run --rm dbpkg echo again) || fail "java25: docker run with the cache"
[ "$out" = again ] || fail "java25: docker run with the cache printed '$out'"
"${j25[@]}" "$prefix/bin/dockbridge" stop || fail "java25: stop"
ls "$work/java25/cache/dockbridge/"daemon-*.aot.new >/dev/null 2>&1 && fail "java25: the daemon's new cache was not taken into use"
ls "$work/java25/cache/dockbridge/"daemon-*.aot >/dev/null 2>&1 || fail "java25: no daemon cache after the second start"
ls "$work/java25/cache/dockbridge/"*.config >/dev/null 2>&1 && fail "java25: a recording's configuration was left: $(ls "$work/java25/cache/dockbridge/")"

step "a Java that is too old"
mkdir -p "$work/java11/bin"
cat >"$work/java11/bin/java" <<'STUB'
#!/bin/sh
echo 'openjdk version "11.0.22" 2024-01-16' >&2
echo 'OpenJDK Runtime Environment (build 11.0.22+7-post-Debian-1deb11u1)' >&2
echo 'OpenJDK 64-Bit Server VM (build 11.0.22+7-post-Debian-1deb11u1, mixed mode, sharing)' >&2
STUB
chmod +x "$work/java11/bin/java"
rc=0
JAVA_HOME=$work/java11 dash "$prefix/bin/dockbridge" status >"$work/old.out" 2>"$work/old.err" || rc=$?
[ $rc = 1 ] || fail "with Java 11 the launcher exited $rc, not 1"
[ "$(wc -l <"$work/old.err")" = 1 ] || fail "with Java 11 the launcher said more than one line: $(cat "$work/old.err")"
grep -q "is Java 11.0.22. DockBridge needs Java 17 or newer: install one" "$work/old.err" || fail "message: $(cat "$work/old.err")"
cat "$work/old.err"
dash "$prefix/lib/dockbridge/install.sh" --help >/dev/null 2>&1 || true
dash "$work/download/install.sh" --prefix "$prefix" --uninstall >/dev/null
if [ -e "$prefix/bin/dockbridge" ] || [ -e "$prefix/lib/dockbridge" ]; then fail "install.sh --uninstall left files"; fi
step "all passed"

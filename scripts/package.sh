#!/usr/bin/env bash
# Builds DockBridge's release artifacts into dist/:
#   dockbridge_<version>_amd64.deb          /usr/bin/dockbridge with its own Java runtime (jlink of a JDK 25)
#   dockbridge-<version>-linux-x64.tar.gz   the same files, for any x86-64 Linux
#   dockbridge-<version>.tar.gz             no runtime: any OS with Java 17 or newer
#   install.sh, sha256sums.txt
# Usage: bash scripts/package.sh [--no-build]   (--no-build: package what ./mvnw install built last)
# Needs a JDK 25 for the runtime: $RUNTIME_JDK, or the first /usr/lib/jvm/*25* that has jlink.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

# The modules DockBridge and its libraries use (jdeps over lib/, plus what they load by reflection:
# jdk.unsupported for Netty and signals; jdk.management for the diagnostic command that ends the daemon's
# ahead-of-time training, and jdk.jfr, without which that MBean loses every command: its JFR commands fail to
# describe themselves and take the others with them, 2 MB). Not java.desktop: Jackson and commons-lang3 do without java.beans,
# and it would bring X11 and font libraries (and a dependency on them).
modules=java.base,java.logging,java.management,java.naming,java.sql,java.xml,java.rmi,java.security.jgss,jdk.unsupported,jdk.net,jdk.management,jdk.jfr

build=1
[ "${1:-}" = --no-build ] && build=0

jdk=${RUNTIME_JDK:-}
if [ -z "$jdk" ]; then
  for candidate in /usr/lib/jvm/*25*; do
    [ -x "$candidate/bin/jlink" ] && { jdk=$candidate; break; }
  done
fi
if [ -z "$jdk" ] || [ ! -x "$jdk/bin/jlink" ]; then
  echo "package: no JDK 25 with jlink found: install one (e.g. Temurin 25) and set RUNTIME_JDK to it" >&2
  exit 1
fi
command -v dpkg-deb >/dev/null || { echo "package: dpkg-deb is missing: apt install dpkg-dev" >&2; exit 1; }

# The version: a release tag (v1.2.3) names it; otherwise the project's version.
version=$(git describe --tags --exact-match --match 'v[0-9]*' 2>/dev/null | sed 's/^v//' || true)
mvn_version=()
if [ -n "$version" ]; then
  mvn_version=(-Ddockbridge.version="$version")
else
  version=$(sed -n '/<artifactId>dockbridge-parent<\/artifactId>/{n;s/.*<version>\(.*\)<\/version>.*/\1/p;q;}' pom.xml)
fi
[ -n "$version" ] || { echo "package: cannot read the version from pom.xml" >&2; exit 1; }
deb_version=${version//-/\~}   # 0.1.0-SNAPSHOT sorts before 0.1.0 as 0.1.0~SNAPSHOT

if [ $build = 1 ]; then
  ./mvnw -B -ntp -q -DskipTests "${mvn_version[@]}" install
fi
app=$root/cli/target/dockbridge/dockbridge
[ -x "$app/bin/dockbridge" ] || { echo "package: $app is missing: run without --no-build" >&2; exit 1; }

dist=$root/dist
work=$dist/.work
rm -rf "$dist" && mkdir -p "$work"
name=dockbridge-$version

# The files every artifact has: launcher, jars, completions, docs
plain=$work/plain/$name
mkdir -p "$plain/share/bash-completion/completions" "$plain/share/zsh/site-functions" "$plain/share/doc/dockbridge"
cp -r "$app/bin" "$app/lib" "$plain/"
DOCKBRIDGE_NO_CDS=1 "$plain/bin/dockbridge" completion bash >"$plain/share/bash-completion/completions/dockbridge"
DOCKBRIDGE_NO_CDS=1 "$plain/bin/dockbridge" completion zsh >"$plain/share/zsh/site-functions/_dockbridge"
cp README.md "$plain/share/doc/dockbridge/"
cp scripts/dist/copyright "$plain/share/doc/dockbridge/"
cp scripts/dist/install.sh "$plain/install.sh"
chmod 0755 "$plain/install.sh" "$plain/bin/dockbridge"

# The bundled runtime: only the modules above, no debug symbols, headers or man pages, with the JDK's own
# class-data archive (the base the launcher's caches build on). Not compressed by jlink
# (the archives are): a compressed module image is slower to start.
withrt=$work/linux-x64/$name
mkdir -p "$(dirname "$withrt")"
cp -r "$plain" "$withrt"
"$jdk/bin/jlink" --add-modules "$modules" --strip-debug --no-man-pages --no-header-files --generate-cds-archive \
  --output "$withrt/runtime"
runtime_version=$(sed -n 's/^JAVA_VERSION="\(.*\)"$/\1/p' "$withrt/runtime/release")

tarball() { # <dir holding $name> <archive>
  tar -C "$1" --owner=0 --group=0 --numeric-owner --sort=name -czf "$2" "$name"
}
tarball "$work/plain" "$dist/$name.tar.gz"
tarball "$work/linux-x64" "$dist/$name-linux-x64.tar.gz"

# The .deb: /usr/lib/dockbridge holds the tree, /usr/bin/dockbridge links to its launcher
deb=$work/deb
mkdir -p "$deb/DEBIAN" "$deb/usr/lib/dockbridge" "$deb/usr/bin" "$deb/usr/share/bash-completion/completions" \
  "$deb/usr/share/zsh/vendor-completions" "$deb/usr/share/doc"
cp -r "$withrt/bin" "$withrt/lib" "$withrt/runtime" "$deb/usr/lib/dockbridge/"
ln -s ../lib/dockbridge/bin/dockbridge "$deb/usr/bin/dockbridge"
cp "$withrt/share/bash-completion/completions/dockbridge" "$deb/usr/share/bash-completion/completions/dockbridge"
cp "$withrt/share/zsh/site-functions/_dockbridge" "$deb/usr/share/zsh/vendor-completions/_dockbridge"
cp -r "$withrt/share/doc/dockbridge" "$deb/usr/share/doc/"
find "$deb" -type d -exec chmod 0755 {} +
find "$deb/usr" -type f -exec chmod 0644 {} +
chmod 0755 "$deb/usr/lib/dockbridge/bin/dockbridge" "$deb"/usr/lib/dockbridge/runtime/bin/*
find "$deb/usr/lib/dockbridge/runtime/lib" -name '*.so' -exec chmod 0755 {} +
[ -f "$deb/usr/lib/dockbridge/runtime/lib/jspawnhelper" ] && chmod 0755 "$deb/usr/lib/dockbridge/runtime/lib/jspawnhelper"
size=$(du -sk "$deb/usr" | cut -f1)
cat >"$deb/DEBIAN/control" <<CONTROL
Package: dockbridge
Version: $deb_version
Architecture: amd64
Maintainer: DockBridge developers <dockbridge@localhost>
Installed-Size: $size
Depends: libc6 (>= 2.17)
Recommends: docker.io | docker-ce-cli
Section: admin
Priority: optional
Homepage: https://github.com/dockbridge/dockbridge
Description: Docker engine in the cloud that feels local
 dockbridge start, then the normal docker CLI: every Docker API call goes over one
 SSH connection to a remote engine (an existing host, or a Hetzner Cloud server
 created on first use and deleted when idle), and published ports are forwarded
 to localhost. Brings its own Java runtime ($runtime_version).
CONTROL
dpkg-deb --root-owner-group -Zxz --build "$deb" "$dist/dockbridge_${deb_version}_amd64.deb" >/dev/null

cp scripts/dist/install.sh "$dist/install.sh"
chmod 0755 "$dist/install.sh"
rm -rf "$work"
(cd "$dist" && sha256sum -- *.deb *.tar.gz install.sh >sha256sums.txt)

echo "package: DockBridge $version with runtime $runtime_version ($modules)"
(cd "$dist" && du -k -- *.deb *.tar.gz install.sh sha256sums.txt | awk '{printf "  %8d KiB  %s\n", $1, $2}')

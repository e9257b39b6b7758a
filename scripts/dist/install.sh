#!/bin/sh
# Installs DockBridge from a release tarball into ~/.local (or --prefix DIR), for the current user; no root.
#   sh install.sh                     the tarball next to this script (linux-x64 on x86-64 Linux, else the one
#                                     without a runtime), or the unpacked tree this script is part of
#   sh install.sh dockbridge-X.tar.gz a given tarball
#   sh install.sh --uninstall         removes what an earlier run installed
# Checks the tarball against sha256sums.txt when that file is next to it.
set -eu

prefix=${HOME:?HOME is not set}/.local
tarball=
uninstall=0
while [ $# -gt 0 ]; do
  case $1 in
    --prefix) [ $# -ge 2 ] || { echo "install.sh: --prefix needs a directory" >&2; exit 2; }; prefix=$2; shift 2 ;;
    --prefix=*) prefix=${1#--prefix=}; shift ;;
    --uninstall) uninstall=1; shift ;;
    -h|--help) sed -n '2,7s/^# \{0,1\}//p' "$0"; exit 0 ;;
    -*) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) tarball=$1; shift ;;
  esac
done
case $prefix in /*) ;; *) prefix=$PWD/$prefix ;; esac
home=$prefix/lib/dockbridge
bash_completion=$prefix/share/bash-completion/completions/dockbridge
zsh_completion=$prefix/share/zsh/site-functions/_dockbridge

if [ $uninstall = 1 ]; then
  rm -rf "$home" "$home.new"
  rm -f "$prefix/bin/dockbridge" "$bash_completion" "$zsh_completion"
  echo "DockBridge removed from $prefix (your profiles and servers' state stay in ~/.dockbridge)"
  exit 0
fi

here=$(cd "$(dirname "$0")" && pwd)
sha256() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1" | cut -d' ' -f1; else shasum -a 256 "$1" | cut -d' ' -f1; fi
}

src=
if [ -z "$tarball" ] && [ -x "$here/bin/dockbridge" ] && [ -d "$here/lib" ]; then
  src=$here # run from an unpacked tarball
elif [ -z "$tarball" ]; then
  machine="$(uname -s)-$(uname -m)"
  for candidate in "$here"/dockbridge-*-linux-x64.tar.gz "$here"/dockbridge-*.tar.gz; do
    [ -f "$candidate" ] || continue
    case $candidate in *-linux-x64.tar.gz) [ "$machine" = Linux-x86_64 ] || continue ;; esac
    tarball=$candidate
    break
  done
  [ -n "$tarball" ] || { echo "install.sh: no dockbridge-*.tar.gz next to $0: name the tarball to install" >&2; exit 1; }
fi

tmp=
cleanup() { [ -n "$tmp" ] && rm -rf "$tmp"; return 0; }
trap cleanup EXIT INT TERM
if [ -z "$src" ]; then
  [ -f "$tarball" ] || { echo "install.sh: $tarball does not exist" >&2; exit 1; }
  sums=$(dirname "$tarball")/sha256sums.txt
  if [ -f "$sums" ]; then
    want=$(awk -v f="$(basename "$tarball")" '$2 == f || $2 == "*" f { print $1 }' "$sums")
    got=$(sha256 "$tarball")
    if [ -n "$want" ] && [ "$want" != "$got" ]; then
      echo "install.sh: $tarball does not match sha256sums.txt ($got, expected $want): download it again" >&2
      exit 1
    fi
  fi
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/dockbridge-install.XXXXXX")
  tar -xzf "$tarball" -C "$tmp"
  for d in "$tmp"/dockbridge-*; do src=$d; done
  [ -x "$src/bin/dockbridge" ] || { echo "install.sh: $tarball is not a DockBridge tarball" >&2; exit 1; }
fi

mkdir -p "$prefix/bin" "$prefix/lib" "$(dirname "$bash_completion")" "$(dirname "$zsh_completion")"
# next to the old one, then swapped in: a failed copy leaves the old install working
rm -rf "$home.new"
cp -R "$src" "$home.new"
rm -f "$home.new/install.sh"
rm -rf "$home"
mv "$home.new" "$home"
ln -sf "$home/bin/dockbridge" "$prefix/bin/dockbridge"
cp "$home/share/bash-completion/completions/dockbridge" "$bash_completion"
cp "$home/share/zsh/site-functions/_dockbridge" "$zsh_completion"

echo "DockBridge installed in $home; the command is $prefix/bin/dockbridge"
case ":${PATH:-}:" in
  *":$prefix/bin:"*) ;;
  *) echo "Put it on your PATH: add  export PATH=\"$prefix/bin:\$PATH\"  to ~/.profile (or ~/.zshrc), then open a new shell" ;;
esac
if [ ! -x "$home/runtime/bin/java" ]; then
  echo "This build has no Java runtime of its own: it runs with Java 17 or newer from JAVA_HOME or the PATH"
fi
echo "Then: dockbridge doctor, and dockbridge start --detach"

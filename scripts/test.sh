#!/usr/bin/env bash
# Runs the whole suite: unit tests, then the end-to-end tests on the local test bed
# (network-namespace hosts with a real sshd and dockerd, driven by the real docker CLI).
# Then the release packages: built (scripts/package.sh), installed and run as a user would
# (scripts/package-test.sh). Needs root on Debian; installs its packages itself.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh chromium zsh fish shellcheck   # chromium: the browser test of port forwards; zsh, fish: the shell tests
./mvnw -B -ntp verify "$@"
bash scripts/package.sh --no-build
bash scripts/package-test.sh

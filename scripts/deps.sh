#!/usr/bin/env bash
# Installs the Debian packages quotad needs to build, test and run its demo (run as root).
# Packages already present are skipped, so a second run costs a second. libclang-rt-14-dev holds
# libFuzzer and clang's sanitizer runtimes (the fuzz targets link them); it is only a Recommends
# of Debian 12's clang, which --no-install-recommends leaves out. help2man makes the man pages;
# systemd (systemd-analyze, systemd-sysusers), util-linux (setpriv) and procps serve the install
# test, which runs quotad as the unit would; jq reads JSON in the documented curl examples.
# chromium and a CJK font (fonts-wqy-zenhei, so the Chinese pages render in screenshots) serve
# the browser tests; zlib1g-dev is quotad's gzip of its public pages.
set -euo pipefail

packages=(
  build-essential cmake pkg-config clang libclang-rt-14-dev
  liblmdb-dev lmdb-utils libssl-dev openssl libsodium-dev libuv1-dev libcriterion-dev
  libhttp-parser-dev libjansson-dev libinih-dev libcurl4-openssl-dev
  curl python3 python3-cryptography cppcheck clang-tidy zlib1g-dev
  help2man systemd util-linux procps jq
  chromium fonts-wqy-zenhei
  etcd-server etcd-client
)
if [ "${QUOTAD_BENCH_DEPS:-0}" = 1 ]; then
  packages+=(postgresql postgresql-contrib)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}"
  if [ "$(id -u)" != 0 ]; then SUDO=sudo; else SUDO=; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The browser tests drive chromium from node (playwright-core, axe-core: npm, pinned in
# tests/browser/package-lock.json). A node that is already installed (Debian's or another
# vendor's, which bundles npm) is kept: Debian's npm package would conflict with the latter.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "deps: installing nodejs npm"
  if [ "$(id -u)" != 0 ]; then SUDO=sudo; else SUDO=; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
echo "deps: all ${#packages[@]} packages present"

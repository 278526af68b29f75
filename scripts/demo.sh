#!/usr/bin/env bash
# README command one: on a fresh machine, install what is missing, make a
# Debian base image with debootstrap (no registry here), fetch Debian's
# linux-source-6.1 tree, and build a tinyconfig bzImage through
# `make CONTAINER=korg-gcc`, with O= outside the (untouched) tree: the runner
# builds the korg-gcc image on demand (images/, Debian source) first.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo=$PWD
step() { printf '==> %s\n' "$*" >&2; }

step "host set-up"
bash scripts/setup-engines.sh
# shellcheck source=scripts/lib.sh
. scripts/lib.sh
podman image exists korg-debian-base:trixie ||
    make -C images PREFIX=korg- debian-base SUITE=trixie DEBIAN_MIRROR="$(debian_mirror_uri)"
tree=$(bash scripts/fetch-kernels.sh 6.1 | tail -n 1)

step "kbuild-container"
[ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error
npm run --silent build
# The fragment finds the runner on PATH, as it would after `npm install -g`.
bindir=$(mktemp -d)
ln -s "$repo/dist/kbuild-container.cjs" "$bindir/kbuild-container"
export PATH="$bindir:$PATH"

out=${KBC_DEMO_OUT:-/tmp/kbuild-container-demo/x86}
step "make -C $tree -f make/Makefile.container CONTAINER=korg-gcc -j$(nproc) O=$out tinyconfig bzImage"
time make -C "$tree" -f "$repo/make/Makefile.container" CONTAINER=korg-gcc -j"$(nproc)" O="$out" tinyconfig bzImage
ls -l "$out/arch/x86/boot/bzImage"
